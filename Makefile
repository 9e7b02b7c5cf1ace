# exitlog - build everything into build/.
#   make          build/exitlog, the sample guests, the unit tests
#   make test     unit tests, then end-to-end tests against real KVM
#                 (natively, or in the nested sandbox: scripts/with-kvm)
#   make demo     record the ata-rw sample and show its report
#   make bench    benchmarks (bench/README.md); BENCH_QUICK=1 for a smoke run
#   make install  PREFIX=/usr/local

CC      ?= cc
BUILD   := build
PREFIX  ?= /usr/local
VERSION := 0.1.0

PKGS    := sqlite3 libtraceevent libtracefs libtracecmd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsqlite3)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -MMD -MP -I. -I$(BUILD)/gen \
	   -DEXITLOG_VERSION=\"$(VERSION)\" $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lpthread

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
GUESTS     := $(patsubst samples/guests/%.asm,$(BUILD)/guests/%.bin,$(GUEST_SRCS))

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

EMBED := $(wildcard schema/*.sql schema/queries/*.sql)

.PHONY: all deps test unit e2e demo bench install clean linux-guest

all: $(BUILD)/exitlog $(GUESTS) $(TEST_BINS) $(BENCH_BINS)

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

$(BUILD)/guests/%.bin: samples/guests/%.asm $(wildcard samples/guests/*.inc)
	@mkdir -p $(dir $@)
	nasm -f bin -I samples/guests/ -o $@ $<

deps:
	@scripts/install-deps

unit: $(TEST_BINS)
	@sh tests/run-unit.sh $(TEST_BINS)

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

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh

linux-guest: deps
	@sh samples/linux/build-guest.sh

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
	rm -rf $(BUILD)/obj $(BUILD)/gen $(BUILD)/tests $(BUILD)/bench $(BUILD)/guests $(BUILD)/exitlog $(LIB)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
