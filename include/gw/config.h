/* gw/config.h — the daemon's configuration, declared once in a key table.
 *
 * The table (src/core/config_table.c) drives parsing, validation,
 * --check-config, the sample file and the README reference.  A loaded
 * struct gw_config is immutable and owned by the control loop; other loops
 * read it without locks.
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gw_conf_type {
	GW_CONF_BOOL,
	GW_CONF_INT,
	GW_CONF_STRING,
	GW_CONF_ENUM,      /* one of gw_conf_key.choices ("a|b|c") */
	GW_CONF_PATH,      /* relative paths resolve against the config file's folder */
	GW_CONF_HOSTPORT,  /* "host:port", "[v6]:port"; empty allowed when default is empty */
	GW_CONF_PORTRANGE, /* "min-max" or empty */
	GW_CONF_NETLIST,   /* "127.0.0.0/8, ::1/128" or empty (= any) */
	GW_CONF_ADDRLIST,  /* "127.0.0.1, ::1": IP addresses, no masks */
	GW_CONF_ADDR,      /* one IP address or empty */
};

struct gw_conf_key {
	const char *group;
	const char *key;
	enum gw_conf_type type;
	const char *def;     /* default as written in the file */
	long min, max;       /* GW_CONF_INT range */
	const char *choices; /* GW_CONF_ENUM */
	const char *help;    /* one line */
	size_t offset;       /* into struct gw_config: bool, int or char * */
};

enum gw_auth_mode { GW_AUTH_NONE, GW_AUTH_JWT };

struct gw_config {
	char *file;          /* path it was loaded from, or NULL for defaults */

	/* [general] */
	char *state_dir;
	char *log_level;

	/* [signal] */
	char *signal_listen;
	char *signal_web_root;
	char *signal_cert;
	char *signal_key;
	int signal_max_sessions;
	int signal_max_frame;
	int signal_hello_timeout;

	/* [auth] */
	char *auth_mode;
	char *auth_jwt_secret;
	bool auth_allow_insecure;

	/* [media] */
	int media_threads;
	int media_max_calls;
	bool media_passthrough;
	int media_jitter_max_ms;
	int media_opus_complexity;
	int media_opus_bitrate;
	bool media_opus_fec;
	int media_opus_expected_loss;

	/* [ice] */
	bool ice_lite;
	char *ice_local_addresses;
	char *ice_public_ip;
	char *ice_stun_server;
	char *ice_turn_server;
	char *ice_turn_user;
	char *ice_turn_password;
	char *ice_port_range;
	char *ice_remote_networks;
	int ice_timeout;

	/* [dtls] */
	char *dtls_cert;
	char *dtls_key;

	/* [echo] */
	bool echo_enabled;
	char *echo_destination;
};

extern const struct gw_conf_key gw_conf_keys[];
extern const size_t gw_conf_nkeys;

/* Load and validate @file.  On success *out is a new config (gw_config_free).
 * On failure returns EINVAL and *errors (g_strfreev) holds one line per
 * problem: "FILE: [group] key: what is wrong". */
int gw_config_load(const char *file, struct gw_config **out, char ***errors);

/* A config holding every default (no file). */
struct gw_config *gw_config_defaults(void);

void gw_config_free(struct gw_config *cfg);

/* The commented sample file (every key with default and help). g_free. */
char *gw_config_sample(void);

/* The Markdown reference table for the README. g_free. */
char *gw_config_reference(void);

/* Derived values. */
enum gw_auth_mode gw_config_auth_mode(const struct gw_config *cfg);

/* Split "host:port" / "[v6]:port"; 0 or EINVAL.  *host is g_free'd by caller. */
int gw_config_split_hostport(const char *s, char **host, uint16_t *port);

/* Split "min-max"; 0 or EINVAL.  Empty string gives 0,0. */
int gw_config_split_portrange(const char *s, uint16_t *min, uint16_t *max);

/* Number of media loops to run: media.threads, or the core count when 0. */
unsigned gw_config_media_threads(const struct gw_config *cfg);

#endif
