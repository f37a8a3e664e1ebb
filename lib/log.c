/* log.c: nginx-shaped log lines with a session id and context, written
 * with one write(2) per line so concurrent sessions never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_MAX_TARGETS 8
#define LOG_LINE_MAX 2048

struct log_target {
	int fd;
	int level;
	bool journal;	/* stderr is journald's stream: "<N>" prefix, no timestamp */
};

static struct log_target targets[LOG_MAX_TARGETS];
static size_t ntargets;
static const char *progname = "mailproxy";
static char sid[17];
static char ctx_client[64], ctx_server[160], ctx_login[200], ctx_upstream[160];

static const char *const level_names[] = {
	"stderr", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"
};
/* syslog priorities for journald's "<N>" prefix, by nginx level */
static const int level_prio[] = { 3, 0, 1, 2, 3, 4, 5, 6, 7 };

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

/* Under inetd, stderr is the client's socket: a log line there would reach
 * the client. Such a stderr is never used. */
static bool
stderr_is_client(void)
{
	struct stat s0, s2;

	if (fstat(2, &s2) == -1)
		return true;
	if (!S_ISSOCK(s2.st_mode) || stderr_is_journal())
		return false;
	return fstat(0, &s0) == 0 && s0.st_dev == s2.st_dev && s0.st_ino == s2.st_ino;
}

void
log_init(const char *prog)
{
	struct timespec ts;

	progname = prog;
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
		if (stderr_is_client())
			return 0;
		fd = 2;
	} else if (strncmp(path, "syslog:", 7) == 0 || strcmp(path, "/dev/null") == 0) {
		return 0;	/* syslog targets: journald already has stderr */
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
	t->fd = fd;
	t->level = level;
	t->journal = fd == 2 && stderr_is_journal();
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

void
log_msg(int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX], stamp[32];
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
	if (level < 0 || level > MP_LOG_DEBUG)
		level = MP_LOG_ERR;

	for (size_t i = 0; i < ntargets; i++) {
		char out[LOG_LINE_MAX + 128];
		int h;

		if (level > targets[i].level)
			continue;
		if (targets[i].journal)
			h = snprintf(out, sizeof out, "<%d>[%s] *%s ", level_prio[level],
			    level_names[level], sid);
		else
			h = snprintf(out, sizeof out, "%s [%s] %ld#0: *%s ", stamp,
			    level_names[level], (long)getpid(), sid);
		if (h < 0)
			continue;
		memcpy(out + h, line, body);
		out[(size_t)h + body] = '\n';
		(void)!write(targets[i].fd, out, (size_t)h + body + 1);
	}
}
