# exitlog - build everything into build/.
#   make          build/exitlog, the sample guests, the unit tests
#   make test     unit tests, then end-to-end tests against real KVM
#                 (natively, or in the nested sandbox: scripts/with-kvm)
#   make demo     record the ata-rw sample and show its report
#   make bench    benchmarks (bench/README.md); BENCH_QUICK=1 for a smoke run
#   make install  PREFIX=/usr/local
#   make fuzz     libFuzzer targets (tests/fuzz/README.md), FUZZ_SECONDS each
#   SANITIZE=1    build everything with ASan+UBSan into build/asan/ and test
#                 that (make unit SANITIZE=1, make test SANITIZE=1)

CC      ?= cc
BUILD   := build
GUESTDIR := build/guests
PREFIX  ?= /usr/local
VERSION := 0.1.0

PKGS    := sqlite3 libtraceevent libtracefs libtracecmd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsqlite3)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -MMD -MP -I. -I$(BUILD)/gen \
	   -DEXITLOG_VERSION=\"$(VERSION)\" $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lpthread

# SANITIZE=1: the same build with ASan and UBSan (halt on the first report)
# in its own directory, so sanitized and normal objects never mix.
ifeq ($(SANITIZE),1)
BUILD   := build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=all
CFLAGS  += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
export ASAN_OPTIONS ?= halt_on_error=1:abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS ?= suppressions=$(CURDIR)/tests/sanitize/lsan.supp:print_suppressions=0
export EXITLOG := $(BUILD)/exitlog
# carried into the KVM sandbox by scripts/with-kvm
export EXITLOG_SANDBOX_ENV := $(strip $(EXITLOG_SANDBOX_ENV) EXITLOG ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS)
endif

# Every top-level folder with .c files is a module (discovered, never
# listed): its .c files go into one static library.  exitlog.c and cli/*.c
# make the binary; each tests/unit/test_*.c is one cmocka program; bench/*.c
# are benchmark programs.
NOT_MODULES := cli bench tests samples scripts build
MODULES  := $(filter-out $(NOT_MODULES),$(sort $(patsubst %/,%,$(dir $(wildcard */*.c)))))
LIB_SRCS := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) $(BUILD)/obj/gen/embedded.o
CLI_SRCS := exitlog.c $(wildcard cli/*.c)
CLI_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))
LIB      := $(BUILD)/libexitlog.a

TEST_SRCS    := $(wildcard tests/unit/test_*.c)
TEST_HELPERS := $(filter-out tests/unit/test_%,$(wildcard tests/unit/*.c))
TEST_BINS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TEST_HOBJS   := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_HELPERS))

GUEST_SRCS := $(wildcard samples/guests/*.asm)
GUESTS     := $(patsubst samples/guests/%.asm,$(GUESTDIR)/%.bin,$(GUEST_SRCS))

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

EMBED := $(wildcard schema/*.sql schema/queries/*.sql)

# Fuzzing (tests/fuzz/README.md).  Each tests/fuzz/target_NAME.c is one
# libFuzzer target, built by clang with ASan+UBSan into build/fuzz/ (its own
# objects); each is also built by $(CC) as a plain replayer of its
# regression inputs and seeds, which `make unit` runs.
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -O2 -g -std=gnu11 -Wall -Wextra -Werror -MMD -MP -I. -I$(FUZZ_DIR)/gen \
		-DEXITLOG_VERSION=\"$(VERSION)\" $(PKG_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_NAMES   := $(patsubst tests/fuzz/target_%.c,%,$(wildcard tests/fuzz/target_*.c))
FUZZ_HELPERS := tests/fuzz/fuzz_host.c tests/unit/synthrec.c
FUZZ_OBJS    := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRCS) $(FUZZ_HELPERS)) \
		$(FUZZ_DIR)/obj/gen/embedded.o
FUZZ_BINS    := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
REGRESS_HOBJS := $(patsubst %.c,$(BUILD)/obj/%.o,tests/fuzz/fuzz_host.c \
		 tests/fuzz/regress_main.c tests/unit/synthrec.c)
REGRESS_BINS := $(patsubst %,$(BUILD)/fuzz-regress/%,$(FUZZ_NAMES))

.PHONY: all deps test unit e2e demo bench install clean linux-guest fuzz fuzz-build rootfs test-distro

all: $(BUILD)/exitlog $(GUESTS) $(TEST_BINS) $(BENCH_BINS) $(REGRESS_BINS)

$(BUILD)/exitlog: $(CLI_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# schema/*.sql and schema/queries/*.sql are compiled into the binary.
$(BUILD)/gen/embedded.c: $(EMBED) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $(EMBED) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/embedded.o: $(BUILD)/gen/embedded.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_HOBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_HOBJS) $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/fuzz-regress/%: $(BUILD)/obj/tests/fuzz/target_%.o $(REGRESS_HOBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(REGRESS_HOBJS) $(LIB) $(LDLIBS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/gen/embedded.c: $(EMBED) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $(EMBED) > $@.tmp && mv $@.tmp $@

$(FUZZ_DIR)/obj/gen/embedded.o: $(FUZZ_DIR)/gen/embedded.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/libfuzz.a: $(FUZZ_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/target_%.o $(FUZZ_DIR)/libfuzz.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

$(GUESTDIR)/%.bin: samples/guests/%.asm $(wildcard samples/guests/*.inc)
	@mkdir -p $(dir $@)
	nasm -f bin -I samples/guests/ -o $@ $<

deps:
	@scripts/install-deps

unit: $(TEST_BINS) $(REGRESS_BINS)
	@sh tests/run-unit.sh $(TEST_BINS)
	@sh tests/fuzz/regress.sh $(REGRESS_BINS)

e2e: all
	@sh samples/linux/build-guest.sh
	@sh tests/e2e/run.sh

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

# (the sandbox's L1 with nested paging, as every figure in bench/README.md
# was measured; EXITLOG_SANDBOX_NPT=0 for shadow paging, make test's default)
bench: deps
	@$(MAKE) --no-print-directory all
	@EXITLOG_SANDBOX_NPT=$${EXITLOG_SANDBOX_NPT:-1} sh bench/run.sh

linux-guest: deps
	@sh samples/linux/build-guest.sh

# The Debian 12 image of a real distribution session (samples/distro/README.md),
# built once per machine into build/cache/rootfs/.
rootfs: deps
	@sh samples/distro/build-rootfs.sh

# The Debian session end to end (tests/e2e/distro/t_distro.sh): ~10 min in
# the nested sandbox, so not part of `make e2e`; .ci/run runs it after `make test`.
# DISTRO_JOB=FILE (another fio job or workload script), DISTRO_CPUS=N (default
# 2), DISTRO_DATA_MIB=N (the data disk; default what the job reaches, at least
# 64) and DISTRO_CONSOLE=FILE are carried into the sandbox.  L1 keeps nested
# paging here (EXITLOG_SANDBOX_NPT=1, as every distro session so far ran):
# shadow paging, make test's default against the 2-vCPU triple faults, was
# not measured on a systemd boot's hundreds of processes.
test-distro: rootfs
	@$(MAKE) --no-print-directory all
	@EXITLOG_SANDBOX_NPT=$${EXITLOG_SANDBOX_NPT:-1} EXITLOG_SANDBOX_MEM=$${EXITLOG_SANDBOX_MEM:-3072} EXITLOG_SANDBOX_TIMEOUT=$${EXITLOG_SANDBOX_TIMEOUT:-3000} \
		EXITLOG_SANDBOX_ENV="$${EXITLOG_SANDBOX_ENV:-} DISTRO_JOB DISTRO_CPUS DISTRO_CONSOLE DISTRO_DATA_MIB" \
		E2E_DIR=tests/e2e/distro sh tests/e2e/run.sh

# The binary, a man page per subcommand (docs/man/), bash completion and the
# schema files (also compiled in; installed for sqlite3 users).
MANDIR  ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DATADIR ?= $(PREFIX)/share/exitlog
install: $(BUILD)/exitlog
	install -D -m 755 $(BUILD)/exitlog $(DESTDIR)$(PREFIX)/bin/exitlog
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/schema/queries
	install -m 644 docs/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -D -m 644 scripts/bash-completion/exitlog $(DESTDIR)$(BASHCOMPDIR)/exitlog
	install -m 644 schema/*.sql $(DESTDIR)$(DATADIR)/schema/
	install -m 644 schema/queries/*.sql $(DESTDIR)$(DATADIR)/schema/queries/

clean:
	rm -rf $(BUILD)/obj $(BUILD)/gen $(BUILD)/tests $(BUILD)/bench $(BUILD)/guests $(BUILD)/exitlog $(LIB) \
		$(BUILD)/fuzz-regress $(FUZZ_DIR)/obj $(FUZZ_DIR)/gen $(FUZZ_DIR)/libfuzz.a $(FUZZ_BINS) build/asan

-include $(shell find $(BUILD)/obj $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
