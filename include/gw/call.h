/* gw/call.h — calls: the objects joining a browser's WebRTC leg to its far
 * end (the built-in echo, later a SIP leg).  Control loop owns call state. */
#ifndef GW_CALL_H
#define GW_CALL_H

struct gw_config;
struct gw_sip;
struct gw_sip_dialog;
struct gw_sip_incoming;

/* Register the call API handlers with the signalling layer.  0 or errno. */
int gw_call_init(const struct gw_config *cfg);

/* Hand the started SIP UA to the call layer (NULL: none).  Control loop. */
void gw_call_set_sip(struct gw_sip *sip);

/* The gw_sip_incoming_h to give gw_sip_start: an INVITE for a browser user
 * (maps [dids], forks to every session of the user). */
void gw_call_sip_incoming(struct gw_sip_dialog *d, const struct gw_sip_incoming *in, void *arg);

/* End every call and free the registry (after the loops stopped posting). */
void gw_call_cleanup(void);

/* Calls in progress. */
unsigned gw_call_count(void);

/* End every call with @code/@reason (shutdown). */
void gw_call_hangup_all(int code, const char *reason);

#endif
