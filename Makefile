# SPDX-License-Identifier: ISC
# mailproxy: a plain Makefile. Override CC, CFLAGS, LDFLAGS, PREFIX, DESTDIR as usual.
# BUILD names the output directory; SAN=1 builds with ASan+UBSan (make check does both).

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/lib/mailproxy
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR  ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DESTDIR  ?=
BUILD    ?= build
SAN      ?=

CC       ?= cc
WARN     = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter -Wvla
HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS   ?= -O2 -g
ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
HARDEN   = -fstack-protector-strong -fPIE
endif
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(SANFLAGS) $(LIB_INC) $(CFLAGS) \
             -DMP_VERSION=\"$(VERSION)\" -DMP_RELAY_PATH=\"$(RELAY_PATH)\" \
             -DMP_CONF_PATH=\"$(SYSCONFDIR)/mailproxy/mailproxy.conf\"
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SANFLAGS) $(LDFLAGS)

# make prints one short line per step (CC lib/session/imap.c); make V=1 the full commands
V ?=
Q  = $(if $(filter 1,$(V)),,@)
say = $(if $(filter 1,$(V)),,@printf '  %-6s %s\n' '$(1)' '$(2)';)

VERSION  = 0.1.0
# The handler finds the relay beside itself first (so build/ works); this is the installed path.
RELAY_PATH ?= $(LIBEXECDIR)/mailproxy-relay

# lib/ is in layers, one folder each; a layer uses the ones before it:
#   base     libc only: arena, clock, io, log, sandbox, base64 ...
#   conf     the configuration model, its parser, the protocol table, the unit writers
#   wire     pure parsers and builders of every protocol line and message
#   net      the other ends: backend login, auth server, resolver, PROXY, mailproxy-tls
#   session  the front end: the protocol table, the shared dialogue, IMAP/POP3/SMTP
#   tls      libtls and libcrypto: only mailproxy-tls links it
#   relay    the byte pump of mailproxy-relay
# Headers are included by bare name; each program lists the layers it links.
LAYERS   = base conf wire net session tls relay
LIB_INC  = $(LAYERS:%=-Ilib/%)
layer    = $(sort $(wildcard lib/$(1)/*.c))
LIB_SRC  = $(foreach l,$(LAYERS),$(call layer,$(l)))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)

# What each program is made of.
RELAY_SRC    = cmd/mailproxy-relay.c $(call layer,relay) \
               $(addprefix lib/base/,log.c log_syslog.c clock.c sandbox.c)
HANDLER_SRC  = cmd/mailproxy.c $(foreach l,base conf wire net session,$(call layer,$(l)))
# the high-rate mode's launcher: libc only, like the relay
ACCEPT_SRC   = cmd/mailproxy-accept.c lib/net/conn.c \
               $(addprefix lib/base/,log.c log_syslog.c launcher_table.c launcher_burst.c \
               sandbox.c)
TLS_SRC      = cmd/mailproxy-tls.c $(foreach l,base conf wire tls,$(call layer,$(l))) lib/net/conn.c
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

HANDLER_LIBS =
# musl for the handler and the relay (see "The relay needs libc only" below)
MUSL_CC     ?= $(if $(filter 1,$(SAN)),,$(shell command -v musl-gcc 2>/dev/null))
MULTIARCH   := $(shell $(CC) -print-multiarch 2>/dev/null)
# where musl's start files are: beside the specs file musl-gcc names (Debian:
# /usr/lib/x86_64-linux-musl; a musl built from source: PREFIX/lib)
MUSL_SPECS  := $(if $(MUSL_CC),$(shell sed -n 's/.*-specs "\{0,1\}\([^" ]*\).*/\1/p' $(MUSL_CC) 2>/dev/null))
MUSL_LIBDIR ?= $(if $(MUSL_SPECS),$(patsubst %/,%,$(dir $(MUSL_SPECS))),/usr/lib/$(patsubst %-linux-gnu,%-linux-musl,$(MULTIARCH)))
RELAY_LIBS   =
TLS_LIBS     = -ltls -lssl -lcrypto
# TLS_STATIC=1: mailproxy-tls gets libtls, libssl and libcrypto linked in, without PIE
# (libc stays shared). A shared libcrypto is relocated in every process, which dirties
# ~400 KiB of its data per idle TLS session; linked at fixed addresses those pages stay
# clean and shared. The price: no ASLR for mailproxy-tls's own image, and an OpenSSL
# security update needs a rebuild. TLS_STATIC=pie keeps PIE and saves only ~80 KiB.
# Numbers: bench/README, "Memory of an idle TLS session".
TLS_STATIC   ?=
TLS_STATIC_LIBS = -Wl,-Bstatic $(TLS_LIBS) -Wl,-Bdynamic
TLS_PROG_LIBS = $(if $(filter 1 pie,$(TLS_STATIC)),$(TLS_STATIC_LIBS),$(TLS_LIBS))
TLS_PROG_LDFLAGS = $(if $(filter 1,$(TLS_STATIC)),-no-pie)

# mailproxy-tls is the one program that links libtls and reads private keys
PROGS = $(BUILD)/mailproxy $(BUILD)/mailproxy-relay $(BUILD)/mailproxy-accept $(if $(wildcard cmd/mailproxy-tls.c),$(BUILD)/mailproxy-tls) \
        $(if $(MUSL_CC),$(BUILD)/mailproxy-full)

all: $(PROGS)

# Objects compile the installation paths in: another PREFIX rebuilds them.
PATHS_STAMP = $(BUILD)/paths.stamp
$(shell mkdir -p $(BUILD); echo '$(RELAY_PATH) $(SYSCONFDIR)' | cmp -s - $(PATHS_STAMP) || \
    echo '$(RELAY_PATH) $(SYSCONFDIR)' > $(PATHS_STAMP))

# -MMD: each object depends on the headers it really includes (.d files)
$(BUILD)/%.o: %.c $(PATHS_STAMP)
	$(call say,CC,$<)mkdir -p $(@D) && $(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(LIB_OBJ:.o=.d) $(patsubst %.c,$(BUILD)/%.d,$(wildcard cmd/*.c)) \
    $(patsubst %.c,$(BUILD)/musl/%.d,$(HANDLER_SRC) $(RELAY_SRC) $(ACCEPT_SRC))

$(BUILD)/libmailproxy.a: $(LIB_OBJ)
	$(call say,AR,$@)rm -f $@; ar rcs $@ $(LIB_OBJ)

# With musl (below) mailproxy is static and mailproxy-full is this, the
# glibc build, which can dlopen libcurl and c-ares (lib/net/libexec_full.c).
$(BUILD)/$(if $(MUSL_CC),mailproxy-full,mailproxy): $(HANDLER_SRC:%.c=$(BUILD)/%.o)
	$(call say,LD,$@)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(HANDLER_LIBS)

# The relay needs libc only: static, it maps nothing at exec and holds fewer
# private pages per idle session (not with the sanitizers, which need ld.so).
# It and the handler are built against musl when musl-gcc is there (Debian:
# musl-tools): glibc's start-up sizes the CPU caches with dozens of cpuid
# instructions, each a trap to the hypervisor in a VM, which made a glibc
# relay's exec cost 0.76 ms of CPU against 0.20 ms with musl, on every login
# (bench/README). MUSL_CC= (empty) builds both with $(CC) and glibc instead.
RELAY_MUSL_OBJ = $(RELAY_SRC:%.c=$(BUILD)/musl/%.o)
HANDLER_MUSL_OBJ = $(HANDLER_SRC:%.c=$(BUILD)/musl/%.o)
MUSL_LINK    = $(call say,LD,$@ (musl))$(CC) -nostdlib -static-pie -Wl,-z,relro,-z,now -o $@ $(MUSL_LIBDIR)/rcrt1.o \
	$(MUSL_LIBDIR)/crti.o $(shell $(CC) -print-file-name=crtbeginS.o) $^ \
	-L$(MUSL_LIBDIR) -lc $(shell $(CC) -print-libgcc-file-name) \
	$(shell $(CC) -print-file-name=crtendS.o) $(MUSL_LIBDIR)/crtn.o
RELAY_LDFLAGS = $(if $(filter 1,$(SAN)),,-static-pie)

ifneq ($(MUSL_CC),)
# musl's headers stand alone; the kernel's (seccomp, BPF) and the headers of
# libcurl and c-ares (for their types: this build never loads them) come from the system
MUSL_INC = $(BUILD)/musl/include
$(MUSL_INC)/.links:
	$(call say,LN,$(MUSL_INC))
	$(Q)mkdir -p $(MUSL_INC)
	$(Q)ln -sfn /usr/include/linux $(MUSL_INC)/linux
	$(Q)ln -sfn /usr/include/asm-generic $(MUSL_INC)/asm-generic
	$(Q)ln -sfn $(firstword $(wildcard /usr/include/$(MULTIARCH)/asm /usr/include/asm)) $(MUSL_INC)/asm
	$(Q)ln -sfn $(firstword $(wildcard /usr/include/$(MULTIARCH)/curl /usr/include/curl)) $(MUSL_INC)/curl
	$(Q)for h in /usr/include/ares*.h; do ln -sfn "$$h" $(MUSL_INC)/; done
	$(Q)touch $@

$(BUILD)/musl/%.o: %.c $(PATHS_STAMP) | $(MUSL_INC)/.links
	$(call say,CC,$< (musl))mkdir -p $(@D) && $(MUSL_CC) $(ALL_CFLAGS) -U_FORTIFY_SOURCE -DMP_LEAN_HANDLER -MMD -MP -isystem $(MUSL_INC) -c -o $@ $<

$(BUILD)/mailproxy-relay: $(RELAY_MUSL_OBJ)
	$(MUSL_LINK)

$(BUILD)/mailproxy: $(HANDLER_MUSL_OBJ)
	$(MUSL_LINK)

$(BUILD)/mailproxy-accept: $(ACCEPT_SRC:%.c=$(BUILD)/musl/%.o)
	$(MUSL_LINK)
else
$(BUILD)/mailproxy-relay: $(RELAY_SRC:%.c=$(BUILD)/%.o)
	$(call say,LD,$@)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(RELAY_LDFLAGS) $(RELAY_LIBS)

$(BUILD)/mailproxy-accept: $(ACCEPT_SRC:%.c=$(BUILD)/%.o)
	$(call say,LD,$@)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(RELAY_LDFLAGS)
endif

$(BUILD)/mailproxy-tls: $(TLS_SRC:%.c=$(BUILD)/%.o) $(BUILD)/tls-static.stamp
	$(call say,LD,$@)$(CC) -o $@ $(filter %.o,$^) $(ALL_LDFLAGS) $(TLS_PROG_LDFLAGS) $(TLS_PROG_LIBS)

# another TLS_STATIC relinks mailproxy-tls
$(shell mkdir -p $(BUILD); echo '$(TLS_STATIC)' | cmp -s - $(BUILD)/tls-static.stamp || \
    echo '$(TLS_STATIC)' > $(BUILD)/tls-static.stamp)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/peer.h $(BUILD)/libmailproxy.a | $(BUILD)/tests
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -Itests/unit -MMD -MP -o $@ $< $(BUILD)/libmailproxy.a $(ALL_LDFLAGS) $(HANDLER_LIBS) $(TLS_LIBS)

$(BUILD)/tests:
	$(Q)mkdir -p $@

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "unit: $$t"; $$t; done

deps:
	@tests/deps.sh

# One pass: unit tests, then the bats suites against the binaries in $(BUILD).
check-one: all unit replay
	tests/run-suites.sh $(abspath $(BUILD))

check: deps
	tests/lint-bats.sh tests/*.bats tests/lib/*.bash	# checks that cannot fail (set -e)
	tests/layers.sh	# no include crosses the layers of lib/ upwards
	$(MAKE) check-one
	$(MAKE) check-one BUILD=build-san SAN=1
	@echo "make check: all passes done (plain and ASan+UBSan)"

demo: deps all
	tests/demo.sh $(abspath $(BUILD))

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/mailproxy
	install -m 755 $(BUILD)/mailproxy $(DESTDIR)$(BINDIR)/mailproxy
	install -m 755 $(BUILD)/mailproxy-relay $(DESTDIR)$(LIBEXECDIR)/mailproxy-relay
	install -m 755 $(BUILD)/mailproxy-accept $(DESTDIR)$(LIBEXECDIR)/mailproxy-accept
	$(if $(MUSL_CC),install -m 755 $(BUILD)/mailproxy-full $(DESTDIR)$(LIBEXECDIR)/mailproxy-full)
	$(if $(wildcard cmd/mailproxy-tls.c),install -m 755 $(BUILD)/mailproxy-tls $(DESTDIR)$(LIBEXECDIR)/mailproxy-tls)
	install -m 644 mailproxy.conf.5 $(DESTDIR)$(MANDIR)/man5/mailproxy.conf.5
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	@# the units name the installed paths: ExecStart=$(BINDIR)/mailproxy, $(LIBEXECDIR)/mailproxy-tls
	for f in units/*.service units/*.socket; do \
	    sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' \
	        -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' "$$f" \
	        >"$(DESTDIR)$(UNITDIR)/$${f#units/}" && chmod 644 "$(DESTDIR)$(UNITDIR)/$${f#units/}" || exit 1; \
	done
	install -m 644 mailproxy.conf.example $(DESTDIR)$(SYSCONFDIR)/mailproxy/mailproxy.conf.example
	@# the user "mailproxy" that the units run as and that owns the TLS daemon's socket;
	@# created at once when installing into this system (packages: systemd-sysusers in postinst)
	install -d $(DESTDIR)$(SYSUSERSDIR)
	install -m 644 units/mailproxy.sysusers $(DESTDIR)$(SYSUSERSDIR)/mailproxy.conf
	if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
	    systemd-sysusers $(SYSUSERSDIR)/mailproxy.conf || \
	    echo "make install: run systemd-sysusers $(SYSUSERSDIR)/mailproxy.conf as root" >&2; \
	fi

# The benchmark (bench/README): not part of check. The floor is static on purpose.
BENCH_BIN = $(BUILD)/bench/loadgen $(BUILD)/bench/backend $(BUILD)/bench/floor $(BUILD)/bench/execcost
BENCH_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) -O2

# FLOOR_CC=musl-gcc: the floor without glibc's start-up (bench/README)
FLOOR_CC ?= $(CC)
$(BUILD)/bench/floor: bench/floor.c | $(BUILD)/bench
	$(call say,CC,$<)$(FLOOR_CC) $(BENCH_CFLAGS) -static -o $@ $<

$(BUILD)/bench/%: bench/%.c | $(BUILD)/bench
	$(call say,CC,$<)$(CC) $(BENCH_CFLAGS) -o $@ $<

$(BUILD)/bench:
	mkdir -p $@

bench: all $(BENCH_BIN)
	bench/run.sh $(abspath $(BUILD))
	@if [ "$$(id -u)" = 0 ]; then bench/systemd.sh $(abspath $(BUILD)); \
	else echo "make bench: the launcher rows (bench/systemd.sh) need root: left out"; fi

# mailproxy under a real systemd, the inetds and tcpserver, beside nginx (root only)
bench-systemd: all $(BENCH_BIN)
	bench/systemd.sh $(abspath $(BUILD))

clean:
	rm -rf build build-san

.PHONY: all unit deps check check-one demo install clean bench bench-systemd

include tests/fuzz/Makefile.inc
