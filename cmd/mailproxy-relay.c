/* SPDX-License-Identifier: ISC */
/* mailproxy-relay: the proxying phase of one mail session, exec'd by
 * mailproxy after the backend login. The client is fd 0, the backend fd 3;
 * this program only copies bytes between them and logs one line at the end. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "relay.h"
#include "sandbox.h"

#define CLIENT_FD 0
#define BACKEND_FD 3
#define BUF_MAX (64u * 1024 * 1024)	/* a sanity bound on -c/-u, far above any sane buffer */

static void
usage(void)
{
	fprintf(stderr, "usage: mailproxy-relay [-t idle_ms] [-c client_bufsize] [-u upstream_bufsize]\n"
	    "       [-l level] [-L target[:level]]... [-s session_id] [-C client] [-S server]\n"
	    "       [-U login] [-P upstream]\n");
	exit(1);
}

static long long
number(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "mailproxy-relay: invalid number \"%s\"\n", s);
		usage();
	}
	return v;
}

/* "path:level" with level 0..8; a path without such a suffix takes DEFLEVEL. */
static int
add_target(char *arg, int deflevel)
{
	char *colon = strrchr(arg, ':');
	int level = deflevel;

	if (colon != NULL && colon[1] >= '0' && colon[1] <= '8' && colon[2] == '\0') {
		level = colon[1] - '0';
		*colon = '\0';
	}
	return log_add_target(arg, level);
}

/* Latency beats packet count for an interactive protocol, as in nginx;
 * on a socketpair to a TLS process this fails harmlessly. */
static void
nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* splice(2) needs a socket (or pipe) at both ends; asked before the
 * filter, which does not allow fstat. */
static int
is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

int
main(int argc, char **argv)
{
	struct relay_conf rc = { .cfd = CLIENT_FD, .bfd = BACKEND_FD, .cbufsize = 4096, .ubufsize = 4096 };
	struct relay_stats st;
	char *targets[LOG_MAX_TARGETS];
	const char *sid = NULL, *client = NULL, *server = NULL, *login = NULL, *upstream = NULL;
	int ntargets = 0, level = MP_LOG_ERR, c;

	log_init("mailproxy-relay");
	while ((c = getopt(argc, argv, "t:c:u:l:L:s:C:S:U:P:")) != -1) {
		switch (c) {
		case 't': rc.idle_ms = number(optarg, 0, LLONG_MAX / 2); break;
		case 'c': rc.cbufsize = (size_t)number(optarg, 1, BUF_MAX); break;
		case 'u': rc.ubufsize = (size_t)number(optarg, 1, BUF_MAX); break;
		case 'l': level = (int)number(optarg, MP_LOG_EMERG, MP_LOG_DEBUG); break;
		case 'L':
			if (ntargets == LOG_MAX_TARGETS)
				usage();
			targets[ntargets++] = optarg;
			break;
		case 's': sid = optarg; break;
		case 'C': client = optarg; break;
		case 'S': server = optarg; break;
		case 'U': login = optarg; break;
		case 'P': upstream = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();

	/* -L replaces the default stderr target; level -1 lets nothing through */
	log_reset(ntargets > 0 ? -1 : level);
	/* a target that cannot be opened: the handler said so already, and
	 * stderr may be nothing (under inetd it was the client: lib/base/log.c) */
	for (int i = 0; i < ntargets; i++)
		(void)add_target(targets[i], level);
	if (sid != NULL)
		log_set_session_id(sid);
	log_set_client(client);
	log_set_server(server);
	if (login != NULL)
		log_set_login(login, strlen(login));
	log_set_upstream(upstream);

	if (fcntl(CLIENT_FD, F_GETFD) == -1 || fcntl(BACKEND_FD, F_GETFD) == -1) {
		log_msg(MP_LOG_ALERT, "mailproxy-relay needs the client on fd 0 and the backend on fd 3");
		return 1;
	}
	/* a peer that closed must show as EPIPE, not kill the relay */
	signal(SIGPIPE, SIG_IGN);
	nodelay(CLIENT_FD);
	nodelay(BACKEND_FD);

	rc.copy = !is_socket(CLIENT_FD) || !is_socket(BACKEND_FD);
	/* no buffers given: relay_run allocates them only if it has to copy
	 * (not a socket pair, or splice refused), so that an idle spliced
	 * session holds no heap pages */
	rc.cbuf = rc.ubuf = NULL;

	/* the narrowest filter: the copy loop and the closing log line */
	if (sandbox_enter(SANDBOX_RELAY) == -1) {
		log_msg(MP_LOG_ALERT, "seccomp filter not installed (%d: %s)", errno, strerror(errno));
		return 1;
	}
	log_set_action("proxying");
	relay_run(&rc, &st);

	switch (st.end) {
	case RELAY_END_DONE:
		break;
	case RELAY_END_TIMEOUT:
		log_msg(MP_LOG_INFO, "%s", relay_end_text(st.end));
		break;
	case RELAY_END_CLIENT:
	case RELAY_END_BACKEND:
		log_msg(MP_LOG_INFO, "%s (%d: %s)", relay_end_text(st.end), st.err, strerror(st.err));
		break;
	case RELAY_END_SYSTEM:
		log_msg(MP_LOG_ALERT, "%s (%d: %s)", relay_end_text(st.end), st.err, strerror(st.err));
		break;
	}
	log_set_action(NULL);
	log_msg(MP_LOG_INFO, "proxied session done (to upstream: %llu bytes, to client: %llu bytes, "
	    "time: %lld.%03lld s)", (unsigned long long)st.c2b, (unsigned long long)st.b2c,
	    (long long)(st.ms / 1000), (long long)(st.ms % 1000));
	/* exit closes both sockets */
	return 0;
}
