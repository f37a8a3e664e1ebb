/* SPDX-License-Identifier: ISC */
/* test_relay.c: relay_run() in a child process between two socketpairs (or
 * two loopback TCP connections); the test plays both the client and the
 * backend. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "relay.h"
#include "unit.h"

/* 1: the relay copies through its buffers; 0: it splices (socketpairs allow it) */
static int force_copy;
/* 1: the relay's ends are loopback TCP connections (urgent data needs TCP) */
static int use_tcp;

struct relay_child {
	pid_t pid;
	int cfd, bfd;		/* the test's ends: it is the client and the backend */
	int statfd;		/* the child writes its struct relay_stats here */
};

/* A connected pair like socketpair(2), over 127.0.0.1 when use_tcp; -1 on error. */
static int
stream_pair(int sv[2])
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sin;
	int ls, one = 1;

	if (!use_tcp)
		return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls == -1 || bind(ls, (struct sockaddr *)&sin, sizeof sin) == -1 || listen(ls, 1) == -1 ||
	    getsockname(ls, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv[0] == -1 || connect(sv[0], (struct sockaddr *)&sin, sizeof sin) == -1)
		return -1;
	sv[1] = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	close(ls);
	if (sv[1] == -1)
		return -1;
	/* small writes go out as small segments, as a chatty peer's do; small
	 * socket buffers fill in a few thousand of them, not megabytes */
	for (int i = 0; i < 2; i++) {
		int sz = 32768;

		(void)setsockopt(sv[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
		(void)setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	}
	return 0;
}

static void
start_relay(struct relay_child *rc, size_t csize, size_t usize, int64_t idle_ms)
{
	int cp[2], bp[2], sp[2];

	if (stream_pair(cp) == -1 || stream_pair(bp) == -1 || pipe2(sp, O_CLOEXEC) == -1) {
		perror("socketpair");
		exit(2);
	}
	rc->pid = fork();
	if (rc->pid == 0) {
		struct relay_conf conf = { .cfd = cp[1], .bfd = bp[1], .cbufsize = csize,
		    .ubufsize = usize, .idle_ms = idle_ms, .copy = force_copy };
		struct relay_stats st;

		close(cp[0]);
		close(bp[0]);
		close(sp[0]);
		conf.cbuf = malloc(csize);
		conf.ubuf = malloc(usize);
		relay_run(&conf, &st);
		(void)!write(sp[1], &st, sizeof st);
		_exit(0);
	}
	close(cp[1]);
	close(bp[1]);
	close(sp[1]);
	rc->cfd = cp[0];
	rc->bfd = bp[0];
	rc->statfd = sp[0];
	fcntl(rc->cfd, F_SETFL, O_NONBLOCK);
	fcntl(rc->bfd, F_SETFL, O_NONBLOCK);
}

/* Wait for the child; its stats, or end = -1 if it died. */
static struct relay_stats
finish_relay(struct relay_child *rc)
{
	struct relay_stats st = { .end = (enum relay_end)-1 };
	int status;

	if (read(rc->statfd, &st, sizeof st) != (ssize_t)sizeof st)
		st.end = (enum relay_end)-1;
	waitpid(rc->pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(rc->statfd);
	if (rc->cfd != -1)
		close(rc->cfd);
	if (rc->bfd != -1)
		close(rc->bfd);
	return st;
}

/* finish_relay() for a relay that must end by itself within MS: one that does
 * not is killed and fails the check instead of hanging the test. */
static struct relay_stats
finish_relay_within(struct relay_child *rc, int ms, const char *file, int line)
{
	struct pollfd pfd = { .fd = rc->statfd, .events = POLLIN };
	int r = poll(&pfd, 1, ms);

	CHECK_AT(r == 1, file, line);
	if (r != 1)
		kill(rc->pid, SIGKILL);
	return finish_relay(rc);
}

/* Byte I of stream SEED: position-dependent, so a lost, doubled or reordered
 * chunk shows. */
static uint8_t
pat(uint32_t seed, uint64_t i)
{
	return (uint8_t)(((i + seed) * 0x9E3779B97F4A7C15ull) >> 56);
}

/* One end of the test: what it sends and what it expects to receive. */
struct end {
	int fd;
	uint32_t tx_seed, rx_seed;
	uint64_t tx_total, tx_done;	/* shut down for writing after tx_total */
	bool tx_shut;
	uint64_t rx_got;
	bool rx_eof, rx_bad, rx_wait_eof;
};

static void
end_tx(struct end *e)
{
	char buf[65536];
	size_t n = sizeof buf;

	if (e->tx_total - e->tx_done < n)
		n = (size_t)(e->tx_total - e->tx_done);
	for (size_t k = 0; k < n; k++)
		buf[k] = (char)pat(e->tx_seed, e->tx_done + k);
	if (n > 0) {
		ssize_t w = write(e->fd, buf, n);

		if (w > 0)
			e->tx_done += (uint64_t)w;
	}
	if (e->tx_done == e->tx_total && !e->tx_shut) {
		shutdown(e->fd, SHUT_WR);
		e->tx_shut = true;
	}
}

static void
end_rx(struct end *e)
{
	char buf[65536];
	ssize_t n = read(e->fd, buf, sizeof buf);

	if (n == 0 || (n == -1 && errno != EAGAIN))
		e->rx_eof = true;
	for (ssize_t k = 0; k < n; k++)
		if ((uint8_t)buf[k] != pat(e->rx_seed, e->rx_got + (uint64_t)k))
			e->rx_bad = true;
	if (n > 0)
		e->rx_got += (uint64_t)n;
}

/* Move data until every end sent all it had and every end that waits for EOF saw it. */
static int
pump(struct end *e, int n, int timeout_ms)
{
	int64_t deadline = mp_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd[2];
		bool busy = false;

		for (int i = 0; i < n; i++) {
			pfd[i].fd = e[i].fd;
			pfd[i].events = 0;
			if (e[i].tx_done < e[i].tx_total || !e[i].tx_shut) {
				pfd[i].events |= POLLOUT;
				busy = true;
			}
			if (!e[i].rx_eof) {
				pfd[i].events |= POLLIN;
				if (e[i].rx_wait_eof)
					busy = true;
			}
		}
		if (!busy)
			return 0;
		if (mp_now_ms() > deadline)
			return -1;
		if (poll(pfd, (nfds_t)n, 100) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (pfd[i].revents & POLLIN)
				end_rx(&e[i]);
			if (pfd[i].revents & (POLLOUT | POLLERR | POLLHUP))
				end_tx(&e[i]);
		}
	}
}

/* 8 MiB each way at once, with the default buffers and with tiny ones. */
static void
test_bulk(size_t csize, size_t usize, uint64_t amount)
{
	struct relay_child rc;
	struct relay_stats st;

	start_relay(&rc, csize, usize, 10000);
	struct end e[2] = {
		{ .fd = rc.cfd, .tx_seed = 1, .rx_seed = 2, .tx_total = amount, .rx_wait_eof = true },
		{ .fd = rc.bfd, .tx_seed = 2, .rx_seed = 1, .tx_total = amount, .rx_wait_eof = true },
	};
	CHECK(pump(e, 2, 20000) == 0);
	CHECK(e[0].rx_got == amount && e[1].rx_got == amount);
	CHECK(!e[0].rx_bad && !e[1].rx_bad);
	st = finish_relay(&rc);
	CHECK(st.end == RELAY_END_DONE);
	CHECK(st.c2b == amount && st.b2c == amount);
	CHECK(st.spliced == !force_copy);
}

/* The client shuts down its write side: the backend sees EOF and still
 * gets its whole answer through to the client. */
static void
test_half_close(void)
{
	struct relay_child rc;
	struct relay_stats st;

	start_relay(&rc, 4096, 4096, 10000);
	struct end e[2] = {
		{ .fd = rc.cfd, .tx_seed = 5, .rx_seed = 6, .tx_total = 100 },
		{ .fd = rc.bfd, .tx_seed = 6, .rx_seed = 5, .tx_total = 0, .tx_shut = true, .rx_wait_eof = true },
	};
	CHECK(pump(e, 2, 5000) == 0);
	CHECK(e[1].rx_eof && e[1].rx_got == 100 && !e[1].rx_bad);
	CHECK(!e[0].rx_eof);

	/* now the backend answers, 1 MiB, then closes its side */
	e[1].tx_total = 1 << 20;
	e[1].tx_shut = false;
	e[0].rx_wait_eof = true;
	CHECK(pump(e, 2, 10000) == 0);
	CHECK(e[0].rx_eof && e[0].rx_got == 1 << 20 && !e[0].rx_bad);
	st = finish_relay(&rc);
	CHECK(st.end == RELAY_END_DONE);
	CHECK(st.c2b == 100 && st.b2c == 1 << 20);
}

/* The backend says goodbye and closes: the client gets it all, then EOF. */
static void
test_backend_closes_first(void)
{
	struct relay_child rc;
	struct relay_stats st;
	char buf[64];
	struct pollfd pfd;
	size_t got = 0;
	bool eof = false;

	start_relay(&rc, 4096, 4096, 10000);
	CHECK(write(rc.bfd, "* BYE bye\r\n", 11) == 11);
	close(rc.bfd);
	rc.bfd = -1;
	pfd = (struct pollfd){ .fd = rc.cfd, .events = POLLIN };
	while (!eof && poll(&pfd, 1, 5000) == 1) {
		ssize_t n = read(rc.cfd, buf + got, sizeof buf - got);

		if (n <= 0)
			eof = true;
		else
			got += (size_t)n;
	}
	CHECK(eof);
	CHECK_MEM(buf, got, "* BYE bye\r\n", 11);
	close(rc.cfd);
	rc.cfd = -1;
	st = finish_relay(&rc);
	CHECK(st.end == RELAY_END_DONE);
	CHECK(st.b2c == 11 && st.c2b == 0);
}

/* The client talks on after the backend is gone: the session ends on the
 * write error and the client sees EOF. */
static void
test_write_to_closed_backend(void)
{
	struct relay_child rc;
	struct relay_stats st;
	struct pollfd pfd;
	char buf[16];

	start_relay(&rc, 4096, 4096, 10000);
	close(rc.bfd);
	rc.bfd = -1;
	pfd = (struct pollfd){ .fd = rc.cfd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 5000) == 1);
	CHECK(read(rc.cfd, buf, sizeof buf) == 0);	/* the backend's EOF, passed on */
	CHECK(write(rc.cfd, "a1 NOOP\r\n", 9) == 9);
	st = finish_relay(&rc);
	CHECK(st.end == RELAY_END_BACKEND);
	CHECK(st.err == EPIPE || st.err == ECONNRESET);
}

/* No traffic for idle_ms ends the session; traffic keeps it alive. */
static void
test_idle_timeout(void)
{
	struct relay_child rc;
	struct relay_stats st;
	int64_t t0;
	struct pollfd pfd;
	char buf[16];

	start_relay(&rc, 4096, 4096, 300);
	t0 = mp_now_ms();
	for (int i = 0; i < 6; i++) {	/* 6 x 100 ms of chatter: twice the idle limit */
		usleep(100000);
		CHECK(write(rc.cfd, "x", 1) == 1);
		pfd = (struct pollfd){ .fd = rc.bfd, .events = POLLIN };
		CHECK(poll(&pfd, 1, 1000) == 1 && read(rc.bfd, buf, sizeof buf) == 1);
	}
	pfd = (struct pollfd){ .fd = rc.cfd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 3000) == 1);
	CHECK(read(rc.cfd, buf, sizeof buf) == 0);
	st = finish_relay(&rc);
	CHECK(st.end == RELAY_END_TIMEOUT);
	CHECK(st.c2b == 6);
	CHECK(mp_now_ms() - t0 >= 880);
	CHECK(st.ms >= 880 && st.ms < 2500);
}

/* The CPU time the process PID has used, in clock ticks; -1 if unknown. */
static long
cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* after "pid (comm)": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* The share of one CPU, in percent, that the relay used over MS milliseconds. */
static long
relay_cpu_percent(pid_t pid, int ms)
{
	long t0 = cpu_ticks(pid), t1;
	int64_t w0 = mp_now_ms(), w1;

	usleep((useconds_t)ms * 1000);
	t1 = cpu_ticks(pid);
	w1 = mp_now_ms();
	CHECK(t0 >= 0 && t1 >= 0 && w1 > w0);
	if (t0 < 0 || t1 < 0 || w1 <= w0)
		return 100;
	return (t1 - t0) * 100000 / sysconf(_SC_CLK_TCK) / (w1 - w0);
}

/* Write CHUNK-byte pieces of E's stream until the relay has taken none for
 * 200 ms: its destination's peer does not read, so everything in between is
 * full. An urgent byte, which the stream does not count, goes out after the
 * first piece when OOB. */
static void
send_until_blocked(struct end *e, size_t chunk, bool oob)
{
	char buf[4096];
	int64_t since = mp_now_ms();

	while (mp_now_ms() - since < 200) {
		ssize_t w;

		for (size_t k = 0; k < chunk; k++)
			buf[k] = (char)pat(e->tx_seed, e->tx_done + k);
		w = write(e->fd, buf, chunk);
		if (w > 0) {
			e->tx_done += (uint64_t)w;
			since = mp_now_ms();
		} else
			usleep(1000);
		if (oob && e->tx_done > 0) {
			CHECK(send(e->fd, "!", 1, MSG_OOB) == 1);
			oob = false;
		}
	}
}

/* A peer that stops reading while the other writes many small pieces: once
 * the pipe's slots (pages) are full, the pipe takes nothing more though it has
 * byte room, and the relay must wait for its destination instead of polling a
 * source it cannot read (which spun at 100% CPU). Then the reader resumes and
 * gets every byte, in order; the urgent byte, when OOB, is dropped as read(2)
 * drops it. FROM_BACKEND picks the direction. */
static void
test_blocked_reader(bool from_backend, size_t chunk, bool oob)
{
	struct relay_child rc;
	struct relay_stats st;
	long cpu;

	start_relay(&rc, 4096, 4096, 20000);
	struct end e[2] = {
		{ .fd = rc.cfd, .tx_seed = 11, .rx_seed = 12, .tx_shut = true },
		{ .fd = rc.bfd, .tx_seed = 12, .rx_seed = 11, .tx_shut = true },
	};
	struct end *tx = &e[from_backend], *rx = &e[!from_backend];

	send_until_blocked(tx, chunk, oob);
	CHECK(tx->tx_done > 0);
	cpu = relay_cpu_percent(rc.pid, 600);
	if (cpu >= 10)
		fprintf(stderr, "relay blocked %s (%s, %s, %zu-byte writes%s): %ld%% CPU\n",
		    from_backend ? "towards the client" : "towards the backend", use_tcp ? "tcp" : "unix",
		    force_copy ? "copy" : "splice", chunk, oob ? ", urgent byte" : "", cpu);
	CHECK(cpu < 10);
	/* the reader resumes; the writer finishes with an EOF */
	tx->tx_total = tx->tx_done;
	tx->tx_shut = false;
	rx->rx_wait_eof = true;
	CHECK(pump(e, 2, 10000) == 0);
	CHECK(rx->rx_eof && rx->rx_got == tx->tx_done && !rx->rx_bad);
	close(rx->fd);
	if (from_backend)
		rc.cfd = -1;
	else
		rc.bfd = -1;
	st = finish_relay_within(&rc, 3000, __FILE__, __LINE__);
	CHECK(st.end == RELAY_END_DONE || st.end == (from_backend ? RELAY_END_CLIENT : RELAY_END_BACKEND));
	CHECK((from_backend ? st.b2c : st.c2b) == tx->tx_done);
}

/* The peer that does not read, having half-closed its own side first, goes
 * away: the relay, blocked on it, sees the hang-up at once (its only poll on
 * that peer is the blocked direction's POLLOUT) and ends on the failed write,
 * blamed on that peer. */
static void
test_blocked_reader_leaves(bool from_backend)
{
	struct relay_child rc;
	struct relay_stats st;
	int64_t t0;

	start_relay(&rc, 4096, 4096, 20000);
	struct end e = { .fd = from_backend ? rc.bfd : rc.cfd, .tx_seed = 14, .tx_shut = true };

	CHECK(shutdown(from_backend ? rc.cfd : rc.bfd, SHUT_WR) == 0);
	send_until_blocked(&e, 29, false);
	t0 = mp_now_ms();
	if (from_backend) {
		close(rc.cfd);
		rc.cfd = -1;
	} else {
		close(rc.bfd);
		rc.bfd = -1;
	}
	st = finish_relay_within(&rc, 3000, __FILE__, __LINE__);
	CHECK(mp_now_ms() - t0 < 1000);
	CHECK(st.end == (from_backend ? RELAY_END_CLIENT : RELAY_END_BACKEND));
	CHECK(st.err == EPIPE || st.err == ECONNRESET);
}

/* An urgent byte with nothing behind it, then more and the EOF: the relay
 * waits without spinning, drops the byte, and relays the rest. */
static void
test_urgent_alone(void)
{
	struct relay_child rc;
	struct pollfd pfd;
	char buf[16];
	size_t got = 0;
	bool eof = false;
	long cpu;

	start_relay(&rc, 4096, 4096, 20000);
	CHECK(write(rc.cfd, "a", 1) == 1);
	usleep(100000);
	CHECK(send(rc.cfd, "!", 1, MSG_OOB) == 1);
	cpu = relay_cpu_percent(rc.pid, 500);
	if (cpu >= 10)
		fprintf(stderr, "relay after an urgent byte (%s): %ld%% CPU\n",
		    force_copy ? "copy" : "splice", cpu);
	CHECK(cpu < 10);
	/* the FIN right behind, both in before the relay looks: splice says
	 * EOF at the mark, and must not be believed */
	CHECK(kill(rc.pid, SIGSTOP) == 0);
	CHECK(write(rc.cfd, "bc", 2) == 2);
	CHECK(shutdown(rc.cfd, SHUT_WR) == 0);
	usleep(50000);
	CHECK(kill(rc.pid, SIGCONT) == 0);
	pfd = (struct pollfd){ .fd = rc.bfd, .events = POLLIN };
	while (!eof && poll(&pfd, 1, 2000) == 1) {
		ssize_t n = read(rc.bfd, buf + got, sizeof buf - got);

		if (n <= 0)
			eof = true;
		else
			got += (size_t)n;
	}
	CHECK(eof);
	CHECK_MEM(buf, got, "abc", 3);
	close(rc.cfd);
	rc.cfd = -1;
	close(rc.bfd);
	rc.bfd = -1;
	(void)finish_relay(&rc);
}

/* A relay blocked on a peer that does not read moves no byte: that is idle
 * time, and proxy_timeout ends it (nginx: no data either way for the time). */
static void
test_blocked_times_out(void)
{
	struct relay_child rc;
	struct relay_stats st;
	int64_t t0;

	start_relay(&rc, 4096, 4096, 500);
	struct end e = { .fd = rc.bfd, .tx_seed = 13, .tx_shut = true };

	send_until_blocked(&e, 29, false);
	t0 = mp_now_ms();
	st = finish_relay_within(&rc, 3000, __FILE__, __LINE__);
	CHECK(st.end == RELAY_END_TIMEOUT);
	/* blocked 200 ms before send_until_blocked returned */
	CHECK(mp_now_ms() - t0 < 1500);
	CHECK(st.b2c < e.tx_done);
}

/* The largest pipe the relay in PID holds, read through copies of its fds
 * (pidfd_getfd: the test is the relay's parent); 0 when it has none. */
static int
largest_pipe(pid_t pid)
{
	char dir[64], path[340], link[64];
	int pidfd, best = 0;
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	d = opendir(dir);
	CHECK(pidfd != -1 && d != NULL);
	while (pidfd != -1 && d != NULL && (de = readdir(d)) != NULL) {
		ssize_t n;
		int fd, sz;

		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "pipe:", 5) != 0)
			continue;
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
		if (fd == -1)
			continue;
		sz = fcntl(fd, F_GETPIPE_SZ);
		if (sz > best)
			best = sz;
		close(fd);
	}
	if (d != NULL)
		closedir(d);
	if (pidfd != -1)
		close(pidfd);
	return best;
}

/* A bulk transfer grows the splice pipe to 1 MiB; a second of quiet gives
 * the pages back to the user's pipe budget. */
static void
test_pipe_grows_and_shrinks(void)
{
	struct relay_child rc;
	struct relay_stats st;
	uint64_t amount = 4u << 20;
	int64_t t0;
	int sz = 0;

	start_relay(&rc, 4096, 4096, 10000);
	for (t0 = mp_now_ms(); sz == 0 && mp_now_ms() - t0 < 2000; usleep(10000))
		sz = largest_pipe(rc.pid);
	CHECK(sz == 65536);
	/* the client sends, the backend does not read yet: the pipe fills */
	struct end e[2] = {
		{ .fd = rc.cfd, .tx_seed = 7, .rx_seed = 8, .tx_total = amount },
		{ .fd = rc.bfd, .tx_seed = 8, .rx_seed = 7, .tx_total = 0, .tx_shut = true },
	};
	for (t0 = mp_now_ms(); e[0].tx_done < amount && mp_now_ms() - t0 < 2000; usleep(1000))
		end_tx(&e[0]);
	usleep(100000);
	CHECK(largest_pipe(rc.pid) == 1 << 20);
	/* the backend reads it all, the client's EOF included; then quiet */
	e[1].rx_wait_eof = true;
	CHECK(pump(e, 2, 10000) == 0);
	CHECK(e[1].rx_got == amount && !e[1].rx_bad);
	CHECK(largest_pipe(rc.pid) == 1 << 20);
	usleep(1500000);
	CHECK(largest_pipe(rc.pid) == 65536);
	close(rc.bfd);
	rc.bfd = -1;
	st = finish_relay(&rc);
	CHECK(st.end == RELAY_END_DONE);
	CHECK(st.c2b == amount);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(120);	/* a hung relay fails the test instead of hanging it */
	for (force_copy = 0; force_copy <= 1; force_copy++) {
		test_bulk(4096, 4096, 8u << 20);
		test_bulk(16384, 8192, 8u << 20);
		test_bulk(1, 7, 256u << 10);
		test_bulk(262144, 262144, 8u << 20);
		test_half_close();
		test_backend_closes_first();
		test_write_to_closed_backend();
		test_idle_timeout();
	}
	for (force_copy = 0; force_copy <= 1; force_copy++) {
		test_blocked_reader(true, 29, false);
		test_blocked_reader(false, 29, false);
	}
	force_copy = 0;
	test_blocked_times_out();
	test_blocked_reader_leaves(true);
	test_blocked_reader_leaves(false);
	use_tcp = 1;
	test_blocked_reader_leaves(true);
	test_blocked_reader_leaves(false);
	for (force_copy = 0; force_copy <= 1; force_copy++) {
		test_blocked_reader(true, 29, false);
		test_blocked_reader(false, 29, true);
		test_blocked_reader(true, 1000, true);
		test_urgent_alone();
	}
	use_tcp = 0;
	force_copy = 0;
	test_pipe_grows_and_shrinks();
	UNIT_DONE();
}
