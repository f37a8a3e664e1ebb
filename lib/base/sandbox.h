/* SPDX-License-Identifier: ISC */
/* sandbox.h: seccomp-BPF system-call filters, one per phase.
 *
 * The handler's filter goes on after the configuration is read and the logs
 * are open: it keeps what a pre-auth session needs (sockets, the auth
 * request, fork+exec of mailproxy-tls, execve of the relay, sleeps) and
 * answers anything else with EPERM, so the failing call is logged. Filters
 * are inherited across fork and execve, so mailproxy-tls and the relay start
 * under it; the relay then adds the narrowest one, and a TLS session, once
 * its keys are loaded, one for the handshake and a narrower one after it:
 * these kill the process on any call outside their loop. A program whose filter fails to go on must not carry
 * on: the callers exit.
 *
 * mailproxy-accept's filter is inherited by every session it starts, so it
 * allows the handler's whole life too (sandbox.c, launcher_calls): what it
 * keeps from the launcher is what no session needs either. */
#ifndef MP_SANDBOX_H
#define MP_SANDBOX_H

enum sandbox_phase {
	SANDBOX_HANDLER,	/* forbidden: EPERM */
	SANDBOX_RELAY,		/* forbidden: the process is killed (SIGSYS) */
	SANDBOX_TLS_HANDSHAKE,	/* a TLS session, keys loaded: no writes to files; killed */
	SANDBOX_TLS,		/* and after the handshake: no file at all; killed */
	SANDBOX_LAUNCHER	/* mailproxy-accept and, inherited, its sessions: EPERM */
};

/* Installs PHASE's filter (and PR_SET_NO_NEW_PRIVS). 1 installed; 0 not
 * available here (an architecture without a filter, or a sanitizer build:
 * ASan/LSan need ptrace, /proc and more, see sandbox.c); -1 with errno. */
int sandbox_enter(enum sandbox_phase phase);

/* Before the handler's filter: PATH is a program it may execute later.
 * The handler's filter allows execve(2) only of the copy that
 * sandbox_exec_path() returns, at most two of them. 0, or -1 with errno. */
int sandbox_exec_allow(const char *path);

/* The allowed copy of PATH, for execve(2); PATH itself where it is none
 * (then the handler's filter refuses the exec). */
const char *sandbox_exec_path(const char *path);

/* As sandbox_enter, but also in sanitizer builds: for the unit test, which
 * tries forbidden calls in a child that leaves by exit_group(2). */
int sandbox_install(enum sandbox_phase phase);

/* For the unit test: PHASE's program (*n instructions of struct sock_filter)
 * and the calls it allows without an argument check; 0, or -1 with errno
 * where there is no filter. */
int sandbox_program(enum sandbox_phase phase, const void **insns, unsigned *n,
    const int **calls, unsigned *ncalls);

/* A short word for the log: "seccomp", "off (sanitizer build)", ... */
const char *sandbox_mode(void);

/* Landlock (sandbox_fs.c): what the handler, and what it executes, may open;
 * the handler's rules come from its configuration (lib/conf/sandbox_conf.h). */
#define SANDBOX_FS_READ		1u	/* read files and list directories beneath */
#define SANDBOX_FS_EXEC		2u	/* execute files beneath */
#define SANDBOX_FS_WRITE	4u	/* write existing files beneath (no create) */

/* The kernel's Landlock ABI version, or -1 with errno (none here). */
int sandbox_fs_abi(void);

/* PATH (a file, or a directory and all beneath it) may be opened as HOW says.
 * A PATH that is not there is no error: nothing may open it later. 0, or -1
 * with errno. Past 128 distinct paths sandbox_fs_enter applies none. */
int sandbox_fs_allow(const char *path, unsigned how);

/* Restricts this process and its future children to the rules given:
 * the ABI version (>= 1) on; 0 not applied, nothing changed, and errno says
 * why: ENOSYS or EOPNOTSUPP (no Landlock in this kernel), EPERM (its calls
 * are filtered), E2BIG (too many paths); -1 with errno. */
int sandbox_fs_enter(void);

#endif
