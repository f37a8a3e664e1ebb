/* SPDX-License-Identifier: ISC */
/* backend.c: a mail backend for the benchmark that is never the bottleneck.
 * One epoll loop answers the login dialogue of IMAP, POP3 and SMTP with
 * canned replies (every password is right), and "STREAM n" (IMAP: "tag
 * STREAM n") makes it send n bytes and swallow n bytes at once, so the relay
 * can be timed in both directions. No mailbox, no parsing beyond a line.
 *
 *   backend [-i imap_port] [-p pop3_port] [-s smtp_port] [-w workers]
 * listens on 127.0.0.1; -w forks that many processes sharing the sockets. */
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
#include <sys/wait.h>
#include <unistd.h>

enum proto { P_IMAP, P_POP3, P_SMTP };

#define LINE_MAX_ 4096
#define CHUNK (1u << 20)

struct conn {
	int fd;
	enum proto proto;
	char in[LINE_MAX_];
	size_t inlen;
	uint64_t literal;	/* IMAP: bytes of a literal still to skip */
	uint64_t tx_left, rx_left;	/* STREAM */
	bool streaming, closing;
	char head[128];		/* IMAP: the first line of a command with literals */
	size_t headlen;
	bool inhead;
	char out[1024];
	size_t outoff, outlen;
};

static char chunk[CHUNK];
static char sink[CHUNK];
static int ep;

static void
die(const char *what)
{
	fprintf(stderr, "backend: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
listen_on(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(fd, 4096) == -1)
		die("bind/listen");
	return fd;
}

static void
arm(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	if (c->outoff < c->outlen || (c->streaming && c->tx_left > 0))
		ev.events |= EPOLLOUT;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
drop(struct conn *c)
{
	close(c->fd);
	free(c);
}

static void
say(struct conn *c, const char *s, size_t n)
{
	if (c->outlen + n > sizeof c->out)
		return;	/* the client outran us badly; it will notice */
	memcpy(c->out + c->outlen, s, n);
	c->outlen += n;
}

static void
says(struct conn *c, const char *s)
{
	say(c, s, strlen(s));
}

static bool
word_is(const char *p, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n >= k && strncasecmp(p, w, k) == 0 && (n == k || p[k] == ' ' || p[k] == '\r');
}

/* One complete line (without CRLF), or an IMAP command whose literals were skipped. */
static void
command(struct conn *c, char *line, size_t n)
{
	char *cmd = line, tag[64] = "", buf[256];
	size_t cn = n;

	if (c->proto == P_IMAP) {
		char *sp = memchr(line, ' ', n);
		size_t tl = sp ? (size_t)(sp - line) : n;

		if (tl >= sizeof tag)
			tl = sizeof tag - 1;
		memcpy(tag, line, tl);
		tag[tl] = '\0';
		cmd = sp ? sp + 1 : line + n;
		cn = n - (size_t)(cmd - line);
	}
	if (word_is(cmd, cn, "STREAM")) {
		c->tx_left = c->rx_left = strtoull(cmd + 7 < line + n ? cmd + 7 : "0", NULL, 10);
		c->streaming = true;
		return;
	}
	switch (c->proto) {
	case P_IMAP:
		if (word_is(cmd, cn, "LOGOUT")) {
			snprintf(buf, sizeof buf, "* BYE bye\r\n%s OK LOGOUT done\r\n", tag);
			c->closing = true;
		} else if (word_is(cmd, cn, "CAPABILITY")) {
			snprintf(buf, sizeof buf, "* CAPABILITY IMAP4rev1 LITERAL+\r\n%s OK done\r\n", tag);
		} else {
			snprintf(buf, sizeof buf, "%s OK done\r\n", tag);
		}
		break;
	case P_POP3:
		if (word_is(cmd, cn, "QUIT")) {
			snprintf(buf, sizeof buf, "+OK bye\r\n");
			c->closing = true;
		} else {
			snprintf(buf, sizeof buf, "+OK\r\n");
		}
		break;
	case P_SMTP:
	default:
		if (word_is(cmd, cn, "QUIT")) {
			snprintf(buf, sizeof buf, "221 2.0.0 bye\r\n");
			c->closing = true;
		} else if (word_is(cmd, cn, "EHLO")) {
			snprintf(buf, sizeof buf, "250-backend\r\n250-XCLIENT ADDR LOGIN NAME HELO\r\n"
			    "250 8BITMIME\r\n");
		} else if (word_is(cmd, cn, "XCLIENT")) {
			snprintf(buf, sizeof buf, "220 backend ready\r\n");
		} else if (word_is(cmd, cn, "AUTH")) {
			snprintf(buf, sizeof buf, "235 2.0.0 ok\r\n");
		} else {
			snprintf(buf, sizeof buf, "250 2.0.0 ok\r\n");
		}
		break;
	}
	says(c, buf);
}

/* Parse what is in c->in: lines, and IMAP literals {n} / {n+}. */
static void
parse(struct conn *c)
{
	size_t start = 0;

	for (;;) {
		char *nl;
		size_t n;

		if (c->streaming) {
			size_t k = c->inlen - start < c->rx_left ? c->inlen - start : (size_t)c->rx_left;

			start += k;
			c->rx_left -= k;
			break;
		}
		if (c->literal > 0) {
			size_t k = c->inlen - start < c->literal ? c->inlen - start : (size_t)c->literal;

			start += k;
			c->literal -= k;
			if (c->literal > 0)
				break;
			continue;
		}
		nl = memchr(c->in + start, '\n', c->inlen - start);
		if (nl == NULL)
			break;
		n = (size_t)(nl - (c->in + start)) + 1;
		if (c->proto == P_IMAP && n >= 4 && c->in[start + n - 3] == '}') {
			/* ...{123}\r\n or {123+}\r\n: skip the literal, the command goes on */
			char *open = NULL;

			for (size_t i = start + n - 3; i > start; i--)
				if (c->in[i] == '{') {
					open = c->in + i;
					break;
				}
			if (open != NULL) {
				c->literal = strtoull(open + 1, NULL, 10);
				if (c->in[start + n - 4] != '+')
					says(c, "+ go on\r\n");
				/* the command is named by its first line; it is
				 * answered when its last line (no literal) comes */
				if (!c->inhead) {
					c->headlen = n < sizeof c->head ? n : sizeof c->head;
					memcpy(c->head, c->in + start, c->headlen);
					c->inhead = true;
				}
				start += n;
				continue;
			}
		}
		if (c->inhead) {
			c->inhead = false;
			command(c, c->head, c->headlen);
		} else {
			command(c, c->in + start, n >= 2 ? n - 2 : 0);
		}
		start += n;
		if (c->closing)
			break;
	}
	memmove(c->in, c->in + start, c->inlen - start);
	c->inlen -= start;
}

static void
on_event(struct conn *c, uint32_t ev)
{
	ssize_t n;

	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (c->streaming && c->rx_left > 0) {
			n = read(c->fd, sink, c->rx_left < CHUNK ? (size_t)c->rx_left : CHUNK);
			if (n > 0)
				c->rx_left -= (uint64_t)n;
		} else if (c->streaming) {
			n = read(c->fd, sink, CHUNK);	/* after the stream: wait for the close */
		} else {
			n = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
			if (n > 0) {
				c->inlen += (size_t)n;
				parse(c);
				if (c->inlen == sizeof c->in)
					c->inlen = 0;	/* a line too long: forget it */
			}
		}
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			drop(c);
			return;
		}
	}
	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n <= 0)
			break;
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		if (c->closing) {
			drop(c);
			return;
		}
		while (c->streaming && c->tx_left > 0) {
			n = write(c->fd, chunk, c->tx_left < CHUNK ? (size_t)c->tx_left : CHUNK);
			if (n <= 0)
				break;
			c->tx_left -= (uint64_t)n;
		}
	}
	arm(c);
}

static void
on_accept(int lfd, enum proto proto)
{
	static const char *greet[] = {
		[P_IMAP] = "* OK [CAPABILITY IMAP4rev1 LITERAL+] backend ready\r\n",
		[P_POP3] = "+OK backend ready\r\n",
		[P_SMTP] = "220 backend ESMTP ready\r\n",
	};
	for (;;) {
		int one = 1, fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;
		struct epoll_event ev;

		if (fd == -1)
			return;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c = calloc(1, sizeof *c);
		if (c == NULL) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->proto = proto;
		says(c, greet[proto]);
		ev = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* listening sockets are told apart by a tagged pointer: 1 + proto */
int
main(int argc, char **argv)
{
	int ports[3] = { 0, 0, 0 }, lfd[3] = { -1, -1, -1 }, workers = 1, ch;
	struct rlimit rl;

	while ((ch = getopt(argc, argv, "i:p:s:w:")) != -1) {
		switch (ch) {
		case 'i': ports[P_IMAP] = atoi(optarg); break;
		case 'p': ports[P_POP3] = atoi(optarg); break;
		case 's': ports[P_SMTP] = atoi(optarg); break;
		case 'w': workers = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: backend [-i port] [-p port] [-s port] [-w workers]\n");
			return 1;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(chunk, 'x', sizeof chunk);
	for (int i = 0; i < 3; i++)
		if (ports[i] > 0)
			lfd[i] = listen_on(ports[i]);
	for (int w = 1; w < workers; w++)
		if (fork() == 0)
			break;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep == -1)
		die("epoll_create1");
	for (int i = 0; i < 3; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)(i + 1) };

		if (lfd[i] != -1)
			epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &ev);
	}
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 >= 1 && evs[i].data.u64 <= 3) {
				int p = (int)evs[i].data.u64 - 1;

				on_accept(lfd[p], (enum proto)p);
			} else {
				on_event(evs[i].data.ptr, evs[i].events);
			}
		}
	}
}
