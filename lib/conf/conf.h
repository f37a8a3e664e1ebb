/* SPDX-License-Identifier: ISC */
/* conf.h: the parsed configuration. nginx's mail{} grammar and directives,
 * read once per connection, so the result is plain data in one arena. */
#ifndef MP_CONF_H
#define MP_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "log.h"
#include "log_syslog.h"

enum mp_proto { MP_PROTO_NONE = 0, MP_PROTO_IMAP, MP_PROTO_POP3, MP_PROTO_SMTP,
    MP_PROTO_SIEVE };

/* SASL / auth method bits for imap_auth, pop3_auth, smtp_auth. */
#define MP_AUTH_PLAIN    0x01u
#define MP_AUTH_LOGIN    0x02u
#define MP_AUTH_APOP     0x04u
#define MP_AUTH_CRAM_MD5 0x08u
#define MP_AUTH_EXTERNAL 0x10u
#define MP_AUTH_NONE     0x20u
#define MP_AUTH_XOAUTH2  0x40u
#define MP_AUTH_OAUTHBEARER 0x80u

/* ssl_protocols bits */
#define MP_SSLv2	0x01u
#define MP_SSLv3	0x02u
#define MP_TLSv1	0x04u
#define MP_TLSv1_1	0x08u
#define MP_TLSv1_2	0x10u
#define MP_TLSv1_3	0x20u
#define MP_TLS_ANY	(MP_TLSv1 | MP_TLSv1_1 | MP_TLSv1_2 | MP_TLSv1_3)

enum mp_starttls { MP_STARTTLS_OFF = 0, MP_STARTTLS_ON, MP_STARTTLS_ONLY };
enum mp_verify { MP_VERIFY_OFF = 0, MP_VERIFY_ON, MP_VERIFY_OPTIONAL, MP_VERIFY_OPTIONAL_NO_CA };
/* proxy_ssl: TLS to the backend */
enum mp_proxy_ssl { MP_PROXY_SSL_OFF = 0, MP_PROXY_SSL_ON, MP_PROXY_SSL_STARTTLS };

struct mp_strlist {
	size_t n;
	const char **v;
};

struct mp_log_target {
	const char *path;	/* file path, "stderr", or "syslog:..." as written */
	int level;		/* enum mp_loglevel; default MP_LOG_ERR */
	struct mp_syslog *syslog;	/* a syslog: target, parsed; else NULL */
};

struct mp_listen {
	struct sockaddr_storage sa;	/* port 0 never; wildcard = INADDR_ANY / in6addr_any */
	socklen_t salen;
	char text[128];		/* as nginx prints it: "127.0.0.1:143", "[::1]:993", "*:143", "unix:/p" */
	bool wildcard;
	bool ssl, proxy_protocol, bind, multipath;
	int backlog;		/* -1 unset */
	int rcvbuf, sndbuf;	/* -1 unset */
	int ipv6only;		/* -1 unset, 0 off, 1 on */
	int so_keepalive;	/* -1 unset, 0 off, 1 on (also 1 when timers given) */
	int keepidle, keepintvl, keepcnt;	/* seconds / count, 0 = not given */
	struct mp_server *server;
	const char *file;
	unsigned line;
};

struct mp_auth_url {
	bool is_unix;
	const char *host;	/* Host: header value; "localhost" for unix: */
	unsigned port;		/* default 80 */
	const char *uri;	/* default "/" */
	const char *path;	/* unix socket path */
	const char *text;	/* as written, for log lines */
	/* Added by the parser: a numeric host or the unix path, port set, ready
	 * for connect(); addrlen 0 when host is a name (resolve it when used).
	 * An IPv6 host keeps its brackets, as the Host: header wants it. */
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

struct mp_header {
	const char *name, *value;
};

struct mp_cidr {
	int family;		/* AF_INET, AF_INET6, or AF_UNIX (matches every unix peer) */
	uint8_t addr[16], mask[16];
};

struct mp_ssl {
	int starttls;			/* enum mp_starttls */
	struct mp_strlist certificate, certificate_key;
	const char *password_file;
	bool certificate_compression;
	const char *dhparam;
	const char *ecdh_curve;		/* default "auto" */
	unsigned protocols;		/* MP_SSLv2 ... MP_TLSv1_3 */
	const char *ciphers;		/* default "HIGH:!aNULL:!MD5" */
	bool prefer_server_ciphers;
	const char *session_cache;	/* as written; default "none" */
	bool session_tickets;
	struct mp_strlist session_ticket_key;
	int64_t session_timeout_ms;	/* default 5m */
	int verify_client;		/* enum mp_verify */
	int verify_depth;		/* default 1 */
	const char *client_certificate, *trusted_certificate, *crl;
	struct mp_strlist conf_command;	/* name, value pairs flattened */
	const char *cert_file; unsigned cert_line;	/* the "listen ... ssl" or "starttls" that needs a
							 * certificate: where nginx blames a missing one */
};

struct mp_server {
	const char *file;
	unsigned line;			/* line of the "server" keyword */
	int protocol;			/* enum mp_proto */

	/* core */
	const char *server_name;	/* default: gethostname() */
	int64_t timeout_ms;		/* default 60s */
	struct mp_log_target *error_log;
	size_t nerror_log;
	struct mp_strlist resolver;	/* empty = off */
	int64_t resolver_valid_ms;	/* 0 = use TTL */
	bool resolver_ipv4, resolver_ipv6;
	int64_t resolver_timeout_ms;	/* default 30s */
	unsigned max_errors;		/* default 5 */

	/* auth_http */
	struct mp_auth_url auth_http;	/* auth_http.text == NULL: not set */
	struct mp_header *auth_http_headers;
	size_t nauth_http_headers;
	bool auth_http_pass_client_cert;
	int64_t auth_http_timeout_ms;	/* default 60s */
	bool auth_http_pass_session_id;	/* Auth-Session-Id; default off */

	/* proxy */
	bool proxy;
	size_t proxy_buffer;		/* default 4096 */
	bool proxy_pass_error_message;
	int proxy_protocol;		/* 0 off, 1 on (v1), 2 v2 */
	bool proxy_smtp_auth;
	int64_t proxy_timeout_ms;	/* default 24h */
	bool xclient;			/* default on */
	bool proxy_client_id;		/* IMAP ID, POP3 XCLIENT, PROXY v2 UNIQUE_ID; default off */

	/* imap, pop3, smtp */
	unsigned imap_auth;		/* default MP_AUTH_PLAIN */
	struct mp_strlist imap_capabilities;	/* default IMAP4 IMAP4rev1 UIDPLUS */
	size_t imap_client_buffer;	/* default 4096 */
	bool imap_id;			/* ID before login (RFC 2971); default off */
	unsigned pop3_auth;		/* default MP_AUTH_PLAIN */
	struct mp_strlist pop3_capabilities;	/* default TOP USER UIDL */
	unsigned smtp_auth;		/* default PLAIN|LOGIN */
	struct mp_strlist smtp_capabilities;	/* default empty */
	size_t smtp_client_buffer;	/* default 4096 */
	int64_t smtp_greeting_delay_ms;	/* default 0 */
	unsigned sieve_auth;		/* default MP_AUTH_PLAIN */
	struct mp_strlist sieve_capabilities;	/* "NAME [VALUE]" lines; default Dovecot's */
	size_t sieve_client_buffer;	/* default 4096 */

	struct mp_ssl ssl;

	/* TLS to the backend: nginx stream's proxy_ssl_* names (backend_tls.h) */
	struct mp_proxy_tls {
		int mode;			/* enum mp_proxy_ssl; default off */
		bool verify;			/* default on (nginx: off) */
		const char *trusted_certificate;	/* NULL: the system's CA store */
		const char *name;		/* NULL: the Auth-Server address */
		bool server_name;		/* send SNI; default off */
		const char *certificate, *certificate_key;	/* a client certificate, or NULL */
		unsigned protocols;		/* bits as mp_ssl's; default TLSv1.2 TLSv1.3 */
		const char *ciphers;		/* default "DEFAULT" */
		int verify_depth;		/* default 1 */
	} ptls;

	/* realip */
	struct mp_cidr *real_ip_from;
	size_t nreal_ip_from;
};

struct mp_conf {
	const char *file;
	struct mp_server *servers;
	size_t nservers;
	struct mp_listen *listens;	/* every listen of every server, in order */
	size_t nlistens;
	struct mp_log_target *error_log;	/* main-level error_log lines */
	size_t nerror_log;
	uint64_t digest;	/* of every file read: two processes read the same configuration */
};

/* Parse PATH into CF. On error returns -1 and writes nginx's message into
 * ERR, e.g. "unknown directive \"foo\" in /etc/x.conf:12". Everything CF
 * points to stays allocated until the process exits. */
int conf_load(struct mp_conf *cf, const char *path, char *err, size_t errlen);

/* The same from a buffer: NAME names it in messages and gives the directory
 * relative includes start from. DATA is copied; it need not be NUL-terminated. */
int conf_load_buffer(struct mp_conf *cf, const char *name, const char *data, size_t len,
    char *err, size_t errlen);

/* The listen entry that serves a connection whose local address is SA, as
 * nginx picks it: exact address:port first, then the wildcard on that port;
 * unix sockets by path. NULL if none. */
const struct mp_listen *conf_find_listen(const struct mp_conf *cf,
    const struct sockaddr *sa, socklen_t salen);

/* Well-known port to protocol: 143/993 imap, 110/995 pop3, 25/465/587 smtp,
 * 4190 sieve. */
int conf_proto_by_port(unsigned port);

#endif
