/* SPDX-License-Identifier: ISC */
/* launcher.h: what mailproxy-accept keeps while it serves a socket unit with
 * Accept=no as systemd serves one with Accept=yes: a table of the live
 * sessions, each with its client's address, sized once at start (the total
 * bound), so that neither a flood nor many sources make it grow; and the
 * refusals of a burst, said in one line when it starts and one when it ends. */
#ifndef MP_LAUNCHER_H
#define MP_LAUNCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

/* The largest total bound: the table is scanned on each accept. */
#define LAUNCHER_MAX 65536

/* A client's address as MaxConnectionsPerSource= counts it: IPv4 (an
 * IPv4-mapped IPv6 address too) or IPv6, the whole address; anything else
 * (a unix socket) has no source and is counted in the total only. */
struct launcher_source {
	uint8_t family;		/* 0: none, 4 or 6 */
	uint8_t addr[16];
};

struct launcher_slot {
	pid_t pid;		/* 0: free */
	struct launcher_source src;
};

struct launcher_table {
	struct launcher_slot *slot;
	size_t cap, used;
};

/* CAP slots, allocated now and never again; -1 with errno. */
int launcher_table_init(struct launcher_table *t, size_t cap);
void launcher_source_of(const struct sockaddr *sa, struct launcher_source *src);
/* Live sessions from SRC (0 for a source-less address). */
size_t launcher_table_count(const struct launcher_table *t, const struct launcher_source *src);
/* Record a session; -1 when the table is full (the caller checks first). */
int launcher_table_add(struct launcher_table *t, pid_t pid, const struct launcher_source *src);
/* Forget PID; false if it was not ours. */
bool launcher_table_remove(struct launcher_table *t, pid_t pid);

/* Why a connection was not served, or (ACCEPT) not even taken from the backlog. */
enum launcher_refusal { REFUSED_TOTAL, REFUSED_SOURCE, REFUSED_FORK, REFUSED_ACCEPT,
    REFUSED_KINDS };

/* A burst lasts while refusals come less than LAUNCHER_QUIET apart; a flood
 * that never pauses is summed up every LAUNCHER_SUMMARY. */
#define LAUNCHER_QUIET_MS 1000
#define LAUNCHER_SUMMARY_MS 60000

struct launcher_burst {
	bool on;
	struct timespec start, last, said;
	unsigned long n[REFUSED_KINDS];
};

/* Count a refusal at NOW; true when it opens a burst (the caller logs it). */
bool launcher_burst_refuse(struct launcher_burst *b, enum launcher_refusal why,
    const struct timespec *now);
/* At NOW: true when a summary is due (the burst ended, or LAUNCHER_SUMMARY
 * passed in one); then B's counts are the summary's, and the caller logs
 * them and calls launcher_burst_said(). */
bool launcher_burst_due(const struct launcher_burst *b, const struct timespec *now);
void launcher_burst_said(struct launcher_burst *b, const struct timespec *now);
/* Milliseconds until launcher_burst_due() can next be true; -1: never. */
int launcher_burst_wait(const struct launcher_burst *b, const struct timespec *now);
/* Milliseconds from A to B. */
long long launcher_ms(const struct timespec *a, const struct timespec *b);

#endif
