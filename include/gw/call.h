/* gw/call.h — calls: the objects joining a browser's WebRTC leg to its far
 * end (the built-in echo, later a SIP leg).  Control loop owns call state. */
#ifndef GW_CALL_H
#define GW_CALL_H

struct gw_config;

/* Register the call API handlers with the signalling layer.  0 or errno. */
int gw_call_init(const struct gw_config *cfg);

/* End every call and free the registry (after the loops stopped posting). */
void gw_call_cleanup(void);

/* Calls in progress. */
unsigned gw_call_count(void);

/* End every call with @code/@reason (shutdown). */
void gw_call_hangup_all(int code, const char *reason);

#endif
