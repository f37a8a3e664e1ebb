/* SPDX-License-Identifier: ISC */
/* log.c: nginx-shaped log lines with a session id and context, written
 * with one write(2) per line so concurrent sessions never interleave.
 *
 * Under inetd and xinetd the connection is fd 0 and 1, and fd 2 as well:
 * stderr is the client. log_init() moves it out of the way before anything
 * can write there (a log line, libc's fatal messages, a sanitizer report):
 * fd 2 becomes a datagram socket connected to the local syslog socket, or
 * /dev/null where there is none. The programs we execute inherit it.
 *
 * error_log syslog:... targets get nginx's datagrams: the RFC 3164 header
 * (log_syslog.c), then the line as the file has it, one datagram per line,
 * from a non-blocking socket opened before the sandbox: a collector that is
 * gone or slow loses lines, never time. The local socket on fd 2 gets the
 * same header from the same writer, with syslog(3)'s "prog[pid]" tag. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "log_syslog.h"

#define LOG_LINE_MAX 2048

enum log_kind {
	LOG_FILE,	/* a file, or stderr as it is */
	LOG_JOURNAL,	/* stderr is journald's stream: "<N>" prefix, no timestamp */
	LOG_LOCAL,	/* stderr is the local syslog socket: "<N>date prog[pid]: " */
	LOG_SYSLOG,	/* error_log syslog:...: "<N>date host tag: " and the file's line */
};

struct log_target {
	int fd;
	int level;
	enum log_kind kind;
	int facility;			/* LOG_LOCAL, LOG_SYSLOG */
	bool hostname;
	char tag[33];
	struct sockaddr_storage sa;	/* LOG_SYSLOG: the collector */
	socklen_t salen;
};

static struct log_target targets[LOG_MAX_TARGETS];
static size_t ntargets;
static const char *progname = "mailproxy";
static char sid[17];
static char ctx_client[64], ctx_server[160], ctx_login[200], ctx_upstream[160];
static const char *action;	/* log_set_action() */
static char hostname[256];	/* as nginx has it: gethostname(), in lower case */

static const char *const level_names[] = {
	"stderr", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"
};
/* syslog priorities for journald's "<N>" prefix, by nginx level */
static const int level_prio[] = { 3, 0, 1, 2, 3, 4, 5, 6, 7 };
#define LOG_FACILITY_MAIL 2
#define SYSLOG_SOCKET "/dev/log"

/* journald sets JOURNAL_STREAM=dev:ino for the stream it hands us as stderr. */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev, ino;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(2, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* fd 2 is the client: a socket that is also fd 0 or fd 1, or one with a
 * TCP peer (journald's stream, the one socket a service manager makes
 * stderr, is a unix socket and is fd 2 alone). */
static bool
stderr_is_client(void)
{
	struct stat s2, s;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	if (fstat(2, &s2) == -1 || !S_ISSOCK(s2.st_mode) || stderr_is_journal())
		return false;
	for (int fd = 0; fd < 2; fd++)
		if (fstat(fd, &s) == 0 && s.st_dev == s2.st_dev && s.st_ino == s2.st_ino)
			return true;
	return getsockname(2, (struct sockaddr *)&ss, &sl) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
}

/* A datagram socket on fd 2 is the syslog socket stderr_away() put there
 * (here or in the process that executed us). */
static bool
stderr_is_syslog(void)
{
	int type = 0;
	socklen_t l = sizeof type;

	return getsockopt(2, SOL_SOCKET, SO_TYPE, &type, &l) == 0 && type == SOCK_DGRAM;
}

/* The local syslog socket, non-blocking (a full syslog drops a line, it
 * never stalls a session), or -1. MAILPROXY_SYSLOG_SOCKET names another. */
static int
syslog_open(void)
{
	const char *path = getenv("MAILPROXY_SYSLOG_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (path == NULL)
		path = SYSLOG_SOCKET;
	if (*path == '\0' || strlen(path) >= sizeof sun.sun_path)
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Put the syslog socket, else /dev/null, on fd 2; a closed fd 2 gets
 * /dev/null too, so that no file we open later becomes stderr. If even
 * that fails, fd 2 is closed: never the client. */
static void
stderr_away(bool client)
{
	int fd = client ? syslog_open() : -1;

	if (fd == -1)
		fd = open("/dev/null", O_WRONLY);
	if (fd == -1) {
		close(2);
		return;
	}
	if (fd != 2) {
		if (dup2(fd, 2) == -1)
			close(2);
		close(fd);
	}
}

void
log_init(const char *prog)
{
	struct timespec ts;

	progname = prog;
	if (fcntl(2, F_GETFD) == -1 && errno == EBADF)
		stderr_away(false);
	else if (stderr_is_client())
		stderr_away(true);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(sid, sizeof sid, "%08lx",
	    (unsigned long)((unsigned long)getpid() * 2654435761u ^ (unsigned long)ts.tv_nsec) & 0xffffffffUL);
	log_reset(MP_LOG_INFO);
}

void
log_reset(int level)
{
	for (size_t i = 0; i < ntargets; i++)
		if (targets[i].fd > 2)
			close(targets[i].fd);
	ntargets = 0;
	log_add_target("stderr", level);
}

int
log_add_target(const char *path, int level)
{
	struct log_target *t;
	int fd;

	if (ntargets == LOG_MAX_TARGETS)
		return errno = ENOSPC, -1;
	if (strcmp(path, "stderr") == 0) {
		if (stderr_is_client())	/* log_init() was not called */
			return 0;
		fd = 2;
	} else if (strncmp(path, "syslog:", 7) == 0) {
		struct mp_syslog sl;
		char host[8], err[256];

		/* the relay's -L: numeric, made by syslog_spec() */
		if (syslog_parse(path + 7, &sl, host, sizeof host, err, sizeof err) != 0)
			return errno = EINVAL, -1;
		return log_add_syslog(&sl, level);
	} else if (strcmp(path, "/dev/null") == 0) {
		return 0;
	} else {
		/* created only if missing: the programs the handler executes
		 * reopen its files under its filter, which refuses O_CREAT */
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT)
			fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd == -1)
			return -1;
	}
	/* the same file twice: keep the more verbose level once */
	for (size_t i = 0; i < ntargets; i++) {
		if (fd == 2 && targets[i].fd == 2) {
			if (level > targets[i].level)
				targets[i].level = level;
			return 0;
		}
	}
	t = &targets[ntargets++];
	memset(t, 0, sizeof *t);
	t->fd = fd;
	t->level = level;
	if (fd == 2 && stderr_is_journal())
		t->kind = LOG_JOURNAL;
	else if (fd == 2 && stderr_is_syslog()) {
		t->kind = LOG_LOCAL;
		t->facility = LOG_FACILITY_MAIL;
	}
	return 0;
}

int
log_add_syslog(const struct mp_syslog *sl, int level)
{
	struct log_target *t;
	int fd;

	if (ntargets == LOG_MAX_TARGETS)
		return errno = ENOSPC, -1;
	if (sl->salen == 0 || sl->salen > sizeof t->sa)
		return errno = EINVAL, -1;
	if (hostname[0] == '\0') {
		if (gethostname(hostname, sizeof hostname - 1) == -1)
			hostname[0] = '\0';
		for (char *c = hostname; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
	/* not connected: sendto() reaches a collector that started later, or
	 * restarted, and never reports an earlier datagram's ICMP error */
	fd = socket(sl->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	t = &targets[ntargets++];
	memset(t, 0, sizeof *t);
	t->fd = fd;
	t->level = level;
	t->kind = LOG_SYSLOG;
	t->facility = sl->facility;
	t->hostname = !sl->nohostname;
	memcpy(t->tag, sl->tag, sizeof t->tag);
	memcpy(&t->sa, &sl->sa, sl->salen);
	t->salen = sl->salen;
	return 0;
}

const char *
log_session_id(void)
{
	return sid;
}

void
log_set_session_id(const char *id)
{
	snprintf(sid, sizeof sid, "%s", id);
}

static void
set_ctx(char *dst, size_t cap, const char *v)
{
	if (v != NULL)
		snprintf(dst, cap, "%s", v);
}

void
log_set_action(const char *a)
{
	if (a == action)
		return;
	action = NULL;
	if (a != NULL)
		log_msg(MP_LOG_DEBUG, "mail state: %s", a);
	action = a;
}

void
log_set_client(const char *client)
{
	set_ctx(ctx_client, sizeof ctx_client, client);
}

void
log_set_server(const char *server)
{
	set_ctx(ctx_server, sizeof ctx_server, server);
}

void
log_set_upstream(const char *upstream)
{
	set_ctx(ctx_upstream, sizeof ctx_upstream, upstream);
}

/* The login is client input: control bytes and quotes are shown escaped so a
 * log line stays one line and unambiguous. */
void
log_set_login(const char *login, size_t len)
{
	size_t o = 0;

	if (login == NULL)
		return;
	for (size_t i = 0; i < len && o + 5 < sizeof ctx_login; i++) {
		unsigned char c = (unsigned char)login[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(ctx_login + o, sizeof ctx_login - o, "\\x%02x", c);
		else
			ctx_login[o++] = (char)c;
	}
	ctx_login[o] = '\0';
}

static void
append(char *line, size_t cap, size_t *n, const char *a, const char *b, const char *c)
{
	int r = snprintf(line + *n, cap - *n, "%s%s%s", a, b, c);

	if (r > 0)
		*n += (size_t)r;
	if (*n >= cap)
		*n = cap - 1;
}

bool
log_wants(int level)
{
	for (size_t i = 0; i < ntargets; i++)
		if (level <= targets[i].level)
			return true;
	return false;
}

void
log_msg(int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX], stamp[32], sstamp[32];
	size_t n, body;
	int r;
	va_list ap;
	struct timespec ts;
	struct tm tm;
	bool wanted = false;

	for (size_t i = 0; i < ntargets; i++)
		if (level <= targets[i].level)
			wanted = true;
	if (!wanted)
		return;

	va_start(ap, fmt);
	r = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	n = (size_t)r < sizeof line ? (size_t)r : sizeof line - 1;
	/* one event, one line: a message quoting peer text (an upstream's
	 * reply, an auth server's status) never carries line breaks or other
	 * control bytes into the log */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\n' || c == '\r')
			line[i] = ' ';
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			line[i] = '?';
	}
	/* a message that names its own phase keeps it */
	if (action != NULL && strstr(line, " while ") == NULL)
		append(line, sizeof line, &n, " while ", action, "");
	if (ctx_client[0])
		append(line, sizeof line, &n, ", client: ", ctx_client, "");
	if (ctx_server[0])
		append(line, sizeof line, &n, ", server: ", ctx_server, "");
	if (ctx_login[0])
		append(line, sizeof line, &n, ", login: \"", ctx_login, "\"");
	if (ctx_upstream[0])
		append(line, sizeof line, &n, ", upstream: ", ctx_upstream, "");
	body = n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y/%m/%d %H:%M:%S", &tm);
	strftime(sstamp, sizeof sstamp, "%b %e %H:%M:%S", &tm);	/* syslog(3)'s */
	if (level < 0 || level > MP_LOG_DEBUG)
		level = MP_LOG_ERR;

	for (size_t i = 0; i < ntargets; i++) {
		const struct log_target *t = &targets[i];
		char out[LOG_LINE_MAX + 512], tag[64];
		size_t h = 0;
		int r2;

		if (level > t->level)
			continue;
		if (t->kind == LOG_LOCAL || t->kind == LOG_SYSLOG) {
			/* the one syslog writer: header, then the body below */
			if (t->kind == LOG_LOCAL)
				snprintf(tag, sizeof tag, "%s[%ld]", progname, (long)getpid());
			h = syslog_header(out, sizeof out, t->facility * 8 + level_prio[level], sstamp,
			    t->hostname && hostname[0] ? hostname : NULL, t->kind == LOG_LOCAL ? tag : t->tag);
			if (h == 0)
				continue;
		}
		if (t->kind == LOG_JOURNAL)
			r2 = snprintf(out + h, sizeof out - h, "<%d>[%s] *%s ", level_prio[level],
			    level_names[level], sid);
		else if (t->kind == LOG_LOCAL)
			r2 = snprintf(out + h, sizeof out - h, "[%s] *%s ", level_names[level], sid);
		else
			r2 = snprintf(out + h, sizeof out - h, "%s [%s] %ld#0: *%s ", stamp,
			    level_names[level], (long)getpid(), sid);
		if (r2 < 0 || (size_t)r2 + h + body + 1 > sizeof out)
			continue;
		h += (size_t)r2;
		memcpy(out + h, line, body);
		h += body;
		if (t->kind == LOG_SYSLOG) {
			/* one datagram per line, no newline, as nginx sends it */
			(void)sendto(t->fd, out, h, MSG_DONTWAIT | MSG_NOSIGNAL,
			    (const struct sockaddr *)&t->sa, t->salen);
			continue;
		}
		out[h++] = '\n';
		(void)!write(t->fd, out, h);
	}
}
