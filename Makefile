# SPDX-License-Identifier: Apache-2.0
# slurm_exporter build. One Makefile, no generated configure step.
#   make                 release build (hardened, -O2) into build/
#   make SANITIZE=1      ASan+UBSan build into build-san/ (tests use this)
#   make test            the whole test suite (see tests/run)
#   make install PREFIX=/usr/local DESTDIR=

VERSION  ?= $(shell cat VERSION 2>/dev/null || echo 0.0.0)
REVISION ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
PREFIX   ?= /usr/local
CC       ?= cc
PKGS     := libmicrohttpd gnutls zlib

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wvla -Wpointer-arith -Wno-unused-parameter -Werror
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g $(WARN) -pthread \
        -DSE_VERSION='"$(VERSION)"' -DSE_REVISION='"$(REVISION)"' \
        $(shell pkg-config --cflags $(PKGS)) -Isrc
LIBS := $(shell pkg-config --libs $(PKGS)) -lcrypt -pthread -lm

ifeq ($(SANITIZE),1)
BUILD  ?= build-san
OPT    := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDOPT  := -fsanitize=address,undefined
else
BUILD  ?= build
OPT    := -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDOPT  := -pie -Wl,-z,relro,-z,now
endif
CFLAGS ?=
CFLAGS += $(BASE_CFLAGS) $(OPT)
LDFLAGS += $(LDOPT)

# Everything but main.c goes into a static library that tests link against.
LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c src/model/*.c src/util/*.c src/sources/*.c src/collectors/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/slurm_exporter $(BUILD)/slurm_exporter_trace

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libse.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/slurm_exporter: $(BUILD)/src/main.o $(BUILD)/libse.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libse.a tests/unit/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libse.a $(LIBS) -lcmocka

unit: $(UNIT_BIN)

# The job wrapper (docs/trace-wrapper.md): libc and GnuTLS (https), no libse.
$(BUILD)/slurm_exporter_trace: tools/trace/slurm_exporter_trace.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(shell pkg-config --libs gnutls)
trace-wrapper: $(BUILD)/slurm_exporter_trace

# Fuzz drivers (libFuzzer, clang): make fuzz; run with build-fuzz/fuzz_X -max_total_time=30
# The library is compiled once (instrumented for coverage, not linked with the
# fuzzer's main) into build-fuzz/libse.a; each driver is linked against it.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -fno-omit-frame-pointer
FUZZ_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@
build-fuzz/libse.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^
fuzz: build-fuzz/libse.a
	for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o build-fuzz/$$n $$f build-fuzz/libse.a \
	    $(LIBS) || exit 1; done

test:
	tests/run

FORMAT_FILES = $(wildcard src/*.[ch] src/*/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c tools/*/*.c)
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	  --suppress=missingIncludeSystem --std=c11 -D_GNU_SOURCE -DSE_VERSION='"x"' \
	  -DSE_REVISION='"x"' -Isrc src tools

# clang-tidy: the bug-prone and analyzer checks; warnings are errors.
TIDY_CHECKS := -*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.*,-clang-analyzer-valist.*,-clang-analyzer-optin.performance.Padding,bugprone-*,\
  -bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,\
  -bugprone-narrowing-conversions,-bugprone-branch-clone,-bugprone-assignment-in-if-condition
tidy:
	clang-tidy --quiet --checks='$(TIDY_CHECKS)' --warnings-as-errors='*' \
	  $(wildcard src/*.c src/*/*.c tools/*/*.c) -- $(BASE_CFLAGS)

lint: cppcheck tidy

# Installs the binary, the man page, the systemd units (ExecStart pointing at
# BINDIR), the sysusers.d entry and the examples (web config, Prometheus scrape
# configs, file_sd targets, /etc/default file, the Prometheus-Operator rule object) and the
# Prometheus recording and alerting rules (RULESDIR). Nothing under /etc is written.
BINDIR         ?= $(PREFIX)/bin
MANDIR         ?= $(PREFIX)/share/man
DOCDIR         ?= $(PREFIX)/share/doc/slurm_exporter
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
RULESDIR       ?= $(PREFIX)/share/slurm_exporter/rules
EXAMPLES := deploy/web-config.yml deploy/prometheus/prometheus.yml \
            deploy/prometheus/file_sd/slurm-controllers.yml deploy/systemd/slurm_exporter.default \
            deploy/kubernetes/prometheusrule.yaml
RULES    := deploy/prometheus/rules/slurm-recording.yml deploy/prometheus/rules/slurm-alerts.yml
install: $(BUILD)/slurm_exporter $(BUILD)/slurm_exporter_trace
	install -D -m 0755 $(BUILD)/slurm_exporter $(DESTDIR)$(BINDIR)/slurm_exporter
	install -D -m 0755 $(BUILD)/slurm_exporter_trace $(DESTDIR)$(BINDIR)/slurm_exporter_trace
	install -D -m 0644 docs/slurm_exporter_trace.1 $(DESTDIR)$(MANDIR)/man1/slurm_exporter_trace.1
	install -D -m 0644 docs/slurm_exporter.1 $(DESTDIR)$(MANDIR)/man1/slurm_exporter.1
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DOCDIR)/examples
	sed 's|@BINDIR@|$(BINDIR)|g' deploy/systemd/slurm_exporter.service \
	  > $(DESTDIR)$(SYSTEMDUNITDIR)/slurm_exporter.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/slurm_exporter.service
	install -m 0644 deploy/systemd/slurm_exporter.socket $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -D -m 0644 deploy/systemd/slurm_exporter.sysusers \
	  $(DESTDIR)$(SYSUSERSDIR)/slurm_exporter.conf
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	install -d $(DESTDIR)$(RULESDIR)
	install -m 0644 $(RULES) $(DESTDIR)$(RULESDIR)/
	install -m 0644 README.md docs/configuration.md docs/operations.md docs/trace-wrapper.md \
	  $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/slurm_exporter $(DESTDIR)$(MANDIR)/man1/slurm_exporter.1 \
	  $(DESTDIR)$(BINDIR)/slurm_exporter_trace $(DESTDIR)$(MANDIR)/man1/slurm_exporter_trace.1 \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/slurm_exporter.service \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/slurm_exporter.socket $(DESTDIR)$(SYSUSERSDIR)/slurm_exporter.conf
	rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(RULESDIR)

# A Debian package built from this tree (deploy/debian): build/*.deb
deb:
	deploy/build-deb

clean:
	rm -rf build build-san build-fuzz

.PHONY: all trace-wrapper unit fuzz test format format-check cppcheck tidy lint install uninstall deb clean
-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d $(BUILD)/slurm_exporter_trace.d $(FUZZ_OBJ:.o=.d)
