/* SPDX-License-Identifier: ISC */
/* test_launcher.c: mailproxy-accept's session table (sources as systemd counts
 * them, a full table, no growth) and its refusal bursts (one line to open, a
 * sum when they stop or each minute of a flood). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "launcher.h"
#include "unit.h"

static void
src4(const char *ip, struct launcher_source *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(1234) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	launcher_source_of((struct sockaddr *)&a, s);
}

static void
src6(const char *ip, unsigned port, struct launcher_source *s)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };

	inet_pton(AF_INET6, ip, &a.sin6_addr);
	launcher_source_of((struct sockaddr *)&a, s);
}

static void
test_table(void)
{
	struct launcher_table t;
	struct launcher_source a, a6, b, u;
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	CHECK(launcher_table_init(&t, 0) == -1);
	CHECK(launcher_table_init(&t, LAUNCHER_MAX + 1) == -1);
	CHECK(launcher_table_init(&t, 3) == 0);
	src4("192.0.2.1", &a);
	src6("::ffff:192.0.2.1", 999, &a6);	/* the same client on a dual-stack socket */
	src6("2001:db8::1", 1, &b);
	launcher_source_of((struct sockaddr *)&un, &u);
	CHECK(memcmp(&a, &a6, sizeof a) == 0);
	CHECK(u.family == 0);
	CHECK(launcher_table_add(&t, 100, &a) == 0);
	CHECK(launcher_table_add(&t, 101, &a6) == 0);
	CHECK(launcher_table_add(&t, 102, &u) == 0);
	CHECK(launcher_table_count(&t, &a) == 2);
	CHECK(launcher_table_count(&t, &b) == 0);
	CHECK(launcher_table_count(&t, &u) == 0);	/* no source: never bounded per source */
	CHECK(t.used == 3);
	CHECK(launcher_table_add(&t, 103, &b) == -1);	/* full: no growth */
	CHECK(!launcher_table_remove(&t, 999));
	CHECK(launcher_table_remove(&t, 100));
	CHECK(!launcher_table_remove(&t, 100));
	CHECK(t.used == 2);
	CHECK(launcher_table_count(&t, &a) == 1);
	CHECK(launcher_table_add(&t, 103, &b) == 0);	/* the freed slot */
	CHECK(launcher_table_count(&t, &b) == 1);
	free(t.slot);
}

static struct timespec
at(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	return ts;
}

static void
test_burst(void)
{
	struct launcher_burst b;
	struct timespec t;

	memset(&b, 0, sizeof b);
	t = at(0);
	CHECK(launcher_burst_wait(&b, &t) == -1);
	CHECK(launcher_burst_refuse(&b, REFUSED_SOURCE, &t));	/* opens: the caller logs */
	for (long ms = 10; ms < 500; ms += 10) {
		t = at(ms);
		CHECK(!launcher_burst_refuse(&b, ms % 20 ? REFUSED_SOURCE : REFUSED_TOTAL, &t));
		CHECK(!launcher_burst_due(&b, &t));
	}
	CHECK(b.n[REFUSED_SOURCE] + b.n[REFUSED_TOTAL] == 49);
	CHECK(b.n[REFUSED_TOTAL] == 24);
	t = at(1000);
	CHECK(!launcher_burst_due(&b, &t));		/* 510 ms since the last */
	CHECK(launcher_burst_wait(&b, &t) > 0);
	CHECK(launcher_burst_wait(&b, &t) <= 491);
	t = at(1490);
	CHECK(launcher_burst_due(&b, &t));		/* a second without one: over */
	launcher_burst_said(&b, &t);
	CHECK(!b.on);
	CHECK(launcher_burst_refuse(&b, REFUSED_TOTAL, &t));	/* the next burst opens */
	/* a flood that never pauses: a sum each minute, the counts start again */
	for (long ms = 1500; ms <= 1500 + LAUNCHER_SUMMARY_MS; ms += 100) {
		t = at(ms);
		CHECK(!launcher_burst_refuse(&b, REFUSED_TOTAL, &t));
	}
	CHECK(launcher_burst_due(&b, &t));
	CHECK(b.n[REFUSED_TOTAL] == LAUNCHER_SUMMARY_MS / 100 + 1);
	launcher_burst_said(&b, &t);
	CHECK(b.on);
	CHECK(b.n[REFUSED_TOTAL] == 0);
	CHECK(!launcher_burst_due(&b, &t));
}

int
main(void)
{
	test_table();
	test_burst();
	UNIT_DONE();
}
