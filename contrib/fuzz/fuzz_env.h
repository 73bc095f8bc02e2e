/* fuzz_env.h — what every harness of contrib/fuzz reads from its
 * environment at LLVMFuzzerInitialize: FUZZ_LOG (the project's log level,
 * default error: debug shows its log lines) and FUZZ_ORACLE (0 keeps only
 * the sanitizers, without the harness's own checks). */
#ifndef GW_FUZZ_ENV_H
#define GW_FUZZ_ENV_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "gw/log.h"

/* Sets the log level; returns whether the harness's oracles are on. */
static inline bool fuzz_env_init(void)
{
	const char *o = getenv("FUZZ_ORACLE");
	enum gw_log_level level;

	if (!getenv("FUZZ_LOG") || gw_log_level_parse(getenv("FUZZ_LOG"), &level))
		level = GW_LOG_ERROR;
	gw_log_set_level(level);
	return !(o && strcmp(o, "0") == 0);
}

#endif
