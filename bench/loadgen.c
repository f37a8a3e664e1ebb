/* SPDX-License-Identifier: ISC */
/* loadgen.c: the benchmark's client, one epoll loop.
 *
 *   loadgen cycles -P imap|pop3|smtp -p PORT -c CONC -d SECONDS [-g] [-m PID]...
 *       login cycles (connect, greeting, login, logout, wait for the
 *       server's close) with CONC sessions in flight; -g stops after the
 *       greeting (connections/s). Prints cycles/s, connect-to-greeting
 *       p50/p99 and, with -m, the CPU that the process trees PID used.
 *   loadgen stream -p PORT -n STREAMS -b BYTES [-m PID]...
 *       IMAP login, then "s STREAM BYTES": BYTES each way at once per stream.
 *   loadgen idle -P proto -p PORT -n SESSIONS
 *       log SESSIONS sessions in and keep them; prints "ready", holds them
 *       until stdin closes.
 * Output: one line of key=value pairs. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum proto { P_IMAP, P_POP3, P_SMTP };
enum mode { M_CYCLES, M_STREAM, M_IDLE };

#define MAXSTEPS 4
#define CHUNK (256u * 1024)

struct step {
	const char *send;
	const char *ok;		/* the final reply line starts with this */
	const char *more;	/* a line starting with this is not final (SMTP "250-") */
};

static const struct step scripts[3][MAXSTEPS + 1] = {
	[P_IMAP] = {
		{ NULL, "* OK", NULL },
		{ "a LOGIN alice alicepass\r\n", "a OK", "* " },
		{ "b LOGOUT\r\n", "b OK", "* " },
		{ NULL, NULL, NULL } },
	[P_POP3] = {
		{ NULL, "+OK", NULL },
		{ "USER alice\r\n", "+OK", NULL },
		{ "PASS alicepass\r\n", "+OK", NULL },
		{ "QUIT\r\n", "+OK", NULL },
		{ NULL, NULL, NULL } },
	[P_SMTP] = {
		{ NULL, "220 ", "220-" },
		{ "EHLO loadgen\r\n", "250 ", "250-" },
		/* \0alice\0alicepass */
		{ "AUTH PLAIN AGFsaWNlAGFsaWNlcGFzcw==\r\n", "235 ", NULL },
		{ "QUIT\r\n", "221 ", NULL },
		{ NULL, NULL, NULL } },
};

struct slot {
	int fd;
	int step;		/* index into the script; -1 = waiting for EOF */
	int64_t t0;		/* connect time, ns */
	char in[2048];
	size_t inlen;
	/* stream */
	bool streaming;
	uint64_t tx_left, rx_left;
	int64_t s0, s1;
};

static enum mode mode;
static enum proto proto = P_IMAP;
static int port, conc = 1, ep;
static double seconds = 3;
static bool greet_only;
static uint64_t nbytes = 64ull << 20;
static struct slot *slots;
static uint32_t *lat;		/* connect-to-greeting, microseconds */
static size_t nlat, latcap;
static uint64_t done_cycles, errors;
static bool stopping;
static int npids;
static int pids[16];
static char chunk[CHUNK], sink[CHUNK];

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU ticks of PID and of its live children, own plus reaped children's. */
static long long
tree_ticks(int pid)
{
	char path[64], buf[1024];
	long long sum = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(buf, sizeof buf, f) != NULL) {
			char *p = strrchr(buf, ')');
			unsigned long long ut, st;
			long long cut, cst;

			/* after ") ": state ppid pgrp session tty tpgid flags minflt
			 * cminflt majflt cmajflt utime stime cutime cstime */
			if (p != NULL && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			    "%llu %llu %lld %lld", &ut, &st, &cut, &cst) == 4)
				sum += (long long)(ut + st) + cut + cst;
		}
		fclose(f);
	}
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
	if ((f = fopen(path, "r")) != NULL) {
		int child;

		while (fscanf(f, "%d", &child) == 1)
			sum += tree_ticks(child);
		fclose(f);
	}
	return sum;
}

static long long
all_ticks(void)
{
	long long s = 0;

	for (int i = 0; i < npids; i++)
		s += tree_ticks(pids[i]);
	return s;
}

static void
slot_close(struct slot *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

static void
slot_send(struct slot *s, const char *text)
{
	size_t n = strlen(text);

	/* a login line always fits in an empty socket buffer */
	if (write(s->fd, text, n) != (ssize_t)n) {
		errors++;
		slot_close(s);
	}
}

static int
slot_open(struct slot *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct epoll_event ev;
	int one = 1;

	memset(s, 0, sizeof *s);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd == -1)
		return -1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	s->t0 = now_ns();
	if (connect(s->fd, (struct sockaddr *)&sa, sizeof sa) == -1 && errno != EINPROGRESS) {
		slot_close(s);
		return -1;
	}
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = s };
	epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
	return 0;
}

static void
record_latency(struct slot *s)
{
	if (nlat == latcap) {
		latcap = latcap ? latcap * 2 : 65536;
		lat = realloc(lat, latcap * sizeof *lat);
		if (lat == NULL)
			exit(2);
	}
	lat[nlat++] = (uint32_t)((now_ns() - s->t0) / 1000);
}

static void
stream_arm(struct slot *s)
{
	struct epoll_event ev = { .events = EPOLLIN | (s->tx_left ? EPOLLOUT : 0), .data.ptr = s };

	epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
}

/* The session after login: stream, or idle, or the next step. */
static void
after_login(struct slot *s)
{
	char cmd[64];

	if (mode == M_STREAM) {
		snprintf(cmd, sizeof cmd, "s STREAM %llu\r\n", (unsigned long long)nbytes);
		s->streaming = true;
		s->tx_left = s->rx_left = nbytes;
		s->s0 = now_ns();
		slot_send(s, cmd);
		if (s->fd != -1)
			stream_arm(s);
	}
	/* idle: keep it */
}

/* Whole lines in s->in; returns false when the slot was closed. */
static bool
lines(struct slot *s)
{
	size_t start = 0;
	bool ok = true;

	while (s->step >= 0) {
		const struct step *st = &scripts[proto][s->step];
		char *nl = memchr(s->in + start, '\n', s->inlen - start);
		const char *line = s->in + start;
		size_t n;

		if (nl == NULL)
			break;
		n = (size_t)(nl - line) + 1;
		start += n;
		if (st->more != NULL && n >= strlen(st->more) && memcmp(line, st->more, strlen(st->more)) == 0)
			continue;
		if (n < strlen(st->ok) || memcmp(line, st->ok, strlen(st->ok)) != 0) {
			if (errors < 5)
				fprintf(stderr, "loadgen: step %d: unexpected reply: %.*s", s->step, (int)n, line);
			errors++;
			slot_close(s);
			return false;
		}
		if (s->step == 0) {
			record_latency(s);
			if (greet_only) {
				done_cycles++;
				slot_close(s);
				return false;
			}
		}
		s->step++;
		if (scripts[proto][s->step].send == NULL) {
			s->step = -1;	/* wait for the server to close */
			break;
		}
		if (mode != M_CYCLES && scripts[proto][s->step + 1].send == NULL) {
			/* logged in: the logout step is not for stream/idle */
			s->step = -2;
			after_login(s);
			ok = s->fd != -1;
			break;
		}
		slot_send(s, scripts[proto][s->step].send);
		if (s->fd == -1)
			return false;
	}
	memmove(s->in, s->in + start, s->inlen - start);
	s->inlen -= start;
	return ok;
}

static void
on_stream(struct slot *s, uint32_t ev)
{
	ssize_t n;

	if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) && s->rx_left > 0) {
		n = read(s->fd, sink, s->rx_left < CHUNK ? (size_t)s->rx_left : CHUNK);
		if (n > 0)
			s->rx_left -= (uint64_t)n;
		else if (n == 0 || errno != EAGAIN) {
			errors++;
			slot_close(s);
			return;
		}
	}
	if ((ev & EPOLLOUT) && s->tx_left > 0) {
		n = write(s->fd, chunk, s->tx_left < CHUNK ? (size_t)s->tx_left : CHUNK);
		if (n > 0)
			s->tx_left -= (uint64_t)n;
	}
	if (s->tx_left == 0 && s->rx_left == 0) {
		s->s1 = now_ns();
		done_cycles++;
		slot_close(s);
		return;
	}
	stream_arm(s);
}

static void
on_event(struct slot *s, uint32_t ev)
{
	ssize_t n;

	if (s->streaming) {
		on_stream(s, ev);
		return;
	}
	n = read(s->fd, s->in + s->inlen, sizeof s->in - s->inlen - 1);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		if (s->step == -1) {
			done_cycles++;	/* the cycle ends with the server's close */
		} else {
			if (errors < 5)
				fprintf(stderr, "loadgen: step %d: connection closed (%s)\n", s->step,
				    n == 0 ? "EOF" : strerror(errno));
			errors++;
		}
		slot_close(s);
		return;
	}
	s->inlen += (size_t)n;
	if (s->step >= 0)
		lines(s);
	else
		s->inlen = 0;	/* after the last reply or while idle: ignored */
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	if (nlat == 0)
		return 0;
	return lat[(size_t)(p * (double)(nlat - 1))] / 1000.0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen cycles|stream|idle [-P proto] -p port [-c conc] [-d seconds] "
	    "[-n count] [-b bytes] [-g] [-m pid]...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int ch, nslots, opened = 0;
	long long ticks0, ticks1;
	int64_t t0, t1, deadline;
	struct rlimit rl;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "cycles") == 0)
		mode = M_CYCLES;
	else if (strcmp(argv[1], "stream") == 0)
		mode = M_STREAM;
	else if (strcmp(argv[1], "idle") == 0)
		mode = M_IDLE;
	else
		usage();
	optind = 2;
	while ((ch = getopt(argc, argv, "P:p:c:d:n:b:gm:")) != -1) {
		switch (ch) {
		case 'P':
			if (strcmp(optarg, "imap") == 0) proto = P_IMAP;
			else if (strcmp(optarg, "pop3") == 0) proto = P_POP3;
			else if (strcmp(optarg, "smtp") == 0) proto = P_SMTP;
			else usage();
			break;
		case 'p': port = atoi(optarg); break;
		case 'c': case 'n': conc = atoi(optarg); break;
		case 'd': seconds = atof(optarg); break;
		case 'b': nbytes = strtoull(optarg, NULL, 0); break;
		case 'g': greet_only = true; break;
		case 'm':
			if (npids < 16)
				pids[npids++] = atoi(optarg);
			break;
		default: usage();
		}
	}
	if (port <= 0 || conc <= 0)
		usage();
	if (mode == M_STREAM)
		proto = P_IMAP;
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(chunk, 'y', sizeof chunk);
	nslots = conc;
	slots = calloc((size_t)nslots, sizeof *slots);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (slots == NULL || ep == -1)
		return 2;
	for (int i = 0; i < nslots; i++)
		slots[i].fd = -1;

	ticks0 = all_ticks();
	t0 = now_ns();
	deadline = t0 + (int64_t)(seconds * 1e9);
	/* idle: at most 32 logins in flight while the sessions are set up */
	for (int i = 0; i < nslots && (mode != M_IDLE || i < 32); i++, opened++)
		if (slot_open(&slots[i]) == -1)
			errors++;
	for (;;) {
		struct epoll_event evs[256];
		int live = 0, n, pending = 0;

		n = epoll_wait(ep, evs, 256, 100);
		for (int i = 0; i < n; i++) {
			struct slot *s = evs[i].data.ptr;

			if (s->fd != -1)
				on_event(s, evs[i].events);
		}
		if (mode == M_CYCLES && !stopping && now_ns() >= deadline)
			stopping = true;
		for (int i = 0; i < nslots; i++) {
			if (slots[i].fd != -1) {
				live++;
				if (slots[i].step >= -1)
					pending++;
			} else if (mode == M_CYCLES && !stopping) {
				if (slot_open(&slots[i]) == -1)
					errors++;
				live++;
			}
		}
		if (mode == M_IDLE) {
			while (opened < nslots && pending < 32) {
				if (slot_open(&slots[opened++]) == -1)
					errors++;
				pending++;
			}
			if (opened == nslots && pending == 0)
				break;
		}
		if (live == 0)
			break;
		if (mode == M_STREAM && now_ns() > t0 + 120 * (int64_t)1000000000)
			break;
	}
	t1 = now_ns();
	ticks1 = all_ticks();

	if (mode == M_IDLE) {
		int live = 0;
		char c;

		for (int i = 0; i < nslots; i++)
			live += slots[i].fd != -1;
		printf("sessions=%d errors=%llu\nready\n", live, (unsigned long long)errors);
		fflush(stdout);
		while (read(0, &c, 1) > 0)
			;
		return 0;
	}
	if (mode == M_STREAM) {
		int64_t s0 = INT64_MAX, s1 = 0;

		for (int i = 0; i < nslots; i++) {
			if (slots[i].s0 && slots[i].s0 < s0) s0 = slots[i].s0;
			if (slots[i].s1 > s1) s1 = slots[i].s1;
		}
		if ((int)done_cycles != nslots) {
			printf("streams=%d done=%llu errors=%llu gibps=0\n", nslots,
			    (unsigned long long)done_cycles, (unsigned long long)errors);
			return 1;
		}
		/* both directions together */
		printf("streams=%d errors=%llu secs=%.4f gibps=%.3f cpu_ms=%lld\n", nslots,
		    (unsigned long long)errors, (double)(s1 - s0) / 1e9,
		    2.0 * (double)nbytes * nslots / ((double)(s1 - s0) / 1e9) / (1u << 30),
		    (ticks1 - ticks0) * 1000 / sysconf(_SC_CLK_TCK));
		return 0;
	}
	qsort(lat, nlat, sizeof *lat, cmp_u32);
	{
		double secs = (double)(t1 - t0) / 1e9;
		double cpu_ms = (double)(ticks1 - ticks0) * 1000.0 / (double)sysconf(_SC_CLK_TCK);

		printf("cycles=%llu errors=%llu secs=%.3f rate=%.0f greet_p50_ms=%.3f greet_p99_ms=%.3f "
		    "cpu_ms=%.0f cpu_per_cycle_ms=%.4f\n", (unsigned long long)done_cycles,
		    (unsigned long long)errors, secs, (double)done_cycles / secs, pct(0.5), pct(0.99),
		    cpu_ms, done_cycles ? cpu_ms / (double)done_cycles : 0.0);
	}
	return errors > done_cycles / 10 ? 1 : 0;
}
