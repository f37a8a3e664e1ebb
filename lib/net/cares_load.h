/* SPDX-License-Identifier: ISC */
/* cares_load.h: c-ares, loaded with dlopen(3) the first time an SMTP
 * session has a resolver to ask. IMAP, POP3 and SMTP without `resolver`
 * never map the library: every connection pays for what the handler loads.
 * The macros below keep the resolver's calls spelled as c-ares documents
 * them. */
#ifndef MP_CARES_LOAD_H
#define MP_CARES_LOAD_H

#include <ares.h>
#include <stdbool.h>
#include <stddef.h>

struct cares_api {
	int (*library_init)(int);
	void (*library_cleanup)(void);
	int (*init_options)(ares_channel *, struct ares_options *, int);
	int (*set_servers_ports)(ares_channel, struct ares_addr_port_node *);
	void (*destroy)(ares_channel);
	void (*cancel)(ares_channel);
	int (*getsock)(ares_channel, ares_socket_t *, int);
	struct timeval *(*timeout)(ares_channel, struct timeval *, struct timeval *);
	void (*process_fd)(ares_channel, ares_socket_t, ares_socket_t);
	void (*query)(ares_channel, const char *, int, int, ares_callback, void *);
	int (*expand_name)(const unsigned char *, const unsigned char *, int, char **, long *);
	void (*free_string)(void *);
	const char *(*strerror)(int);
};

extern struct cares_api cares;

/* 0 when every function is there; -1 with the reason in WHY. */
int cares_load(char *why, size_t whylen);

#define ares_library_init	cares.library_init
#define ares_library_cleanup	cares.library_cleanup
#define ares_init_options	cares.init_options
#define ares_set_servers_ports	cares.set_servers_ports
#define ares_destroy		cares.destroy
#define ares_cancel		cares.cancel
#define ares_getsock		cares.getsock
#define ares_timeout		cares.timeout
#define ares_process_fd		cares.process_fd
#define ares_query		cares.query
#define ares_expand_name	cares.expand_name
#define ares_free_string	cares.free_string
#define ares_strerror		cares.strerror

#endif
