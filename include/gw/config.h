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
#include <glib.h>

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
	GW_CONF_ENUMLIST,  /* space/comma list of gw_conf_key.choices, any case, at least one */
	GW_CONF_SIPURI,    /* "sip:host[:port][;params]" or "sips:..."; or empty */
	GW_CONF_DIALSTRING,/* digits, '*' and '#'; or empty */
	GW_CONF_MAP,       /* documentation only: a group whose key names are data
			    * ([route] prefixes, [dids] numbers); key is a placeholder,
			    * choices says what the value is, def is an example line */
};

/* A row of the key table.  Rows whose group is "trunk.*" (gw_trunk_keys)
 * describe the keys of every [trunk.NAME] section; their offset points into
 * struct gw_trunk_config instead of struct gw_config. */
struct gw_conf_key {
	const char *group;
	const char *key;
	enum gw_conf_type type;
	const char *def;     /* default as written in the file */
	long min, max;       /* GW_CONF_INT range */
	const char *choices; /* GW_CONF_ENUM, GW_CONF_ENUMLIST; GW_CONF_MAP: the value */
	const char *help;    /* one line */
	size_t offset;       /* into struct gw_config (trunk.*: gw_trunk_config): bool, int or char * */
};

enum gw_auth_mode { GW_AUTH_NONE, GW_AUTH_JWT };

/* One [trunk.NAME] section: a SIP peer (carrier, PBX, SIP provider). */
struct gw_trunk_config {
	char *name;              /* NAME of [trunk.NAME] */
	char *proxy;             /* SIP URI of the peer, "sip:host[:port]" (required) */
	char *outbound_proxy;    /* SIP URI requests are sent through; "" = none */
	char *transport;         /* udp|tcp|tls */
	char *username;          /* digest user (and From/To user of REGISTER) */
	char *password;          /* digest password; "" = no credentials */
	char *auth_username;     /* digest user when it differs from username; "" = username */
	char *from_user;         /* caller id user in From; "" = caller_id's */
	char *caller_id;         /* From user when from_user is "": user|did */
	char *from_domain;       /* From host; "" = the proxy's host */
	bool send_pai;           /* INVITEs carry P-Asserted-Identity with the caller (RFC 3325) */
	bool trust_pai;          /* inbound: the caller shown is the INVITE's P-Asserted-Identity */
	bool rel100;             /* RFC 3262 with this trunk (with sip.100rel) */
	int invite_timeout;      /* s without any response to our INVITE before giving up; 0 = timer B */
	bool registration;       /* key "register": REGISTER with the proxy */
	int register_expires;    /* seconds asked for in REGISTER */
	int options_interval;    /* OPTIONS keepalive period in seconds; 0 = off */
	char *codecs;            /* preference order, normalised on load: "G722 PCMU PCMA" (upper case, one space) */
	char *dtmf;              /* rfc4733|info */
	char *allowed_networks;  /* inbound INVITEs from these networks belong to this trunk */
	char *inbound_username;  /* digest user an INVITE from elsewhere must present; "" = none */
	char *inbound_password;  /* its password (set together with inbound_username) */
	bool symmetric_rtp;      /* latch RTP to the source of the first packet received */
	char *plus;              /* leading '+' of a destination: keep|strip|00 */
	char *prefix;            /* prepended to the normalised number; "" = none */
};

/* One [route] prefix rule. */
struct gw_route {
	char *prefix;            /* destination prefix, after normalisation, e.g. "+44" */
	char *trunk;             /* trunk names (gw_config_trunk_list): the first, then
				  * the failovers */
};

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
	int signal_max_pending_per_ip; /* 0 = no limit */
	int signal_max_frame;
	int signal_hello_timeout;
	int signal_resume_timeout;
	int signal_ping_interval;
	char *signal_allowed_origins; /* origins allowed to open /ws; "" = own, "*" = any */

	/* [auth] */
	char *auth_mode;
	char *auth_jwt_secret;
	bool auth_allow_insecure;

	/* [media] */
	int media_threads;
	int media_clock_slots;
	char *media_coalesce_wakeups;   /* auto|on|off */
	int media_max_calls;
	int media_max_busy_pct;
	int media_max_queue_ms;         /* 0 = never drop for age */
	bool media_passthrough;
	int media_jitter_max_ms;
	int media_jitter_start_ms;
	int media_rtp_timeout;
	int media_opus_complexity;
	int media_opus_bitrate;
	bool media_opus_fec;
	int media_opus_expected_loss;
	int media_overload_opus_complexity;
	int media_overload_late_ms;

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

	/* [sip] */
	char *sip_listen;        /* UDP + TCP */
	char *sip_tls_listen;    /* TLS; used when sip_tls_cert is set */
	char *sip_tls_cert;
	char *sip_tls_key;
	char *sip_public_ip;     /* Contact/Via/SDP address behind 1:1 NAT; "" = local */
	char *sip_rtp_address;   /* local address of SIP-side RTP; "" = host of sip_listen */
	char *sip_rtp_port_range;
	int sip_max_calls;
	int sip_ring_timeout;
	int sip_session_expires; /* RFC 4028 interval; 0 = no session timer */
	bool sip_100rel;         /* RFC 3262: support (and PRACK) reliable 18x */
	bool sip_accept_refer;
	bool sip_trace;
	char *sip_user_agent;
	char *sip_domain;        /* host part of From for browser users; "" = rtp/listen host */

	/* [trunk.NAME] sections: struct gw_trunk_config *, in file order */
	GPtrArray *trunks;
	/* [route]: "default" names the default trunk ("" = none) ... */
	char *route_default;
	/* ... every other key is a prefix rule: struct gw_route *, longest prefix first */
	GPtrArray *routes;
	/* [dids]: number (Request-URI user) -> browser user; never NULL */
	GHashTable *dids;
};

/* The key tables, in the order of the sample file: the fixed groups
 * ([general] .. [sip]), the keys of every [trunk.NAME], then [route] and
 * [dids] (route.default plus GW_CONF_MAP rows documenting the data keys). */
extern const struct gw_conf_key gw_conf_keys[];
extern const size_t gw_conf_nkeys;
extern const struct gw_conf_key gw_trunk_keys[];
extern const size_t gw_trunk_nkeys;
extern const struct gw_conf_key gw_map_keys[];
extern const size_t gw_map_nkeys;

/* Parse @value as row @k prescribes into the struct its offset points into
 * (@base: struct gw_config, or struct gw_trunk_config for "trunk.*" rows);
 * relative paths resolve against @basedir (NULL: kept as written).  0, or
 * EINVAL with *reason (g_free) saying what is wrong, the field unchanged. */
int gw_config_key_parse(const struct gw_conf_key *k, void *base, const char *value,
			const char *basedir, char **reason);

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

/* The trunk named @name, or NULL. */
const struct gw_trunk_config *gw_config_trunk(const struct gw_config *cfg, const char *name);
/* The trunk names of a [route] value, space or comma separated, in order
 * (g_strfreev; empty for NULL). */
char **gw_config_trunk_list(const char *value);

/* Derived values. */
enum gw_auth_mode gw_config_auth_mode(const struct gw_config *cfg);

/* Split "host:port" / "[v6]:port"; 0 or EINVAL.  *host is g_free'd by caller. */
int gw_config_split_hostport(const char *s, char **host, uint16_t *port);

/* Split "min-max"; 0 or EINVAL.  Empty string gives 0,0. */
int gw_config_split_portrange(const char *s, uint16_t *min, uint16_t *max);

/* Number of media loops to run: media.threads, or the core count when 0. */
unsigned gw_config_media_threads(const struct gw_config *cfg);

#endif
