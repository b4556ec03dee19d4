# kato-live: a pipeline of small C tools.  See README.md.
#
#   make            build every tool in cmd/ into bin/
#   make asan       the same with AddressSanitizer + UBSan, into build/asan/bin/
#   make test       unit tests and bats suite, plain build then sanitizer build
#   make fuzz       every libFuzzer target, FUZZ_SECONDS (60) each, one at a time
#   make bench      benchmarks (figures go in README.md)
#   make demo       the live dashboard on a simulated KATO
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
MANDIR   = $(PREFIX)/share/man
SHAREDIR = $(PREFIX)/share/kato-live
SYSCONFDIR ?= /etc
UNITDIR  ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-missing-field-initializers \
           -Wno-format-truncation
CPPFLAGS += -D_GNU_SOURCE -Icommon $(shell pkg-config --cflags libcurl libcjson 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs libcurl libcjson 2>/dev/null || echo -lcurl -lcjson) -lm
# Each tool links only the code and the libraries it uses: kato-sub runs
# once per browser, and every shared library it maps costs it private pages.
TRIM     = -ffunction-sections -fdata-sections
TRIMLD   = -Wl,--gc-sections -Wl,--as-needed
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

TOOLS   := $(notdir $(patsubst %/,%,$(wildcard cmd/*/)))
# hiredis only for the tools that talk to Redis.
bin/kato-sessions build/asan/bin/kato-sessions bin/kato-stream build/asan/bin/kato-stream: LDLIBS += $(shell pkg-config --libs hiredis 2>/dev/null || echo -lhiredis)
COMMON_SRC := $(wildcard common/*.c)
COMMON_HDR := $(wildcard common/*.h)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNITS   := $(notdir $(UNIT_SRC:.c=))
# Unit tests #include the tool sources they test.
CMD_SRC := $(wildcard cmd/*/*.c cmd/*/*.h)

BIN      = $(addprefix bin/,$(TOOLS)) $(addprefix build/unit/,$(UNITS))
# uPlot for the page's history charts: scripts/install-deps puts it in
# scripts/npm/node_modules (npm); copied into web/vendor/, never committed.
UPLOT_DIST := $(wildcard scripts/npm/node_modules/uplot/dist/uPlot.esm.js scripts/npm/node_modules/uplot/dist/uPlot.min.css)
WEB_VENDOR := $(patsubst scripts/npm/node_modules/uplot/dist/%,web/vendor/%,$(UPLOT_DIST))
ifeq ($(UPLOT_DIST),)
$(warning uPlot is not installed (run scripts/install-deps): the page will have no history charts)
endif
ASAN_BIN = $(addprefix build/asan/bin/,$(TOOLS)) $(addprefix build/asan/unit/,$(UNITS))

.PHONY: all asan fuzz-build fuzz test test-plain test-asan bench demo install uninstall clean deps check-syntax
.DELETE_ON_ERROR:

all: $(BIN) $(WEB_VENDOR)

asan: $(ASAN_BIN)

# --- plain build ---------------------------------------------------------
build/obj/%.o: common/%.c $(COMMON_HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(TRIM) $(CFLAGS) -c -o $@ $<

build/libcommon.a: $(patsubst common/%.c,build/obj/%.o,$(COMMON_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

.SECONDEXPANSION:
bin/%: $$(wildcard cmd/%/*.c) $$(wildcard cmd/%/*.h) build/libcommon.a Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Icmd/$* $(WARN) $(TRIM) $(CFLAGS) -o $@ $(filter %.c,$^) build/libcommon.a $(TRIMLD) $(LDFLAGS) $(LDLIBS)

# (unit tests #include the tool sources they test: rebuild when those change)
build/unit/%: tests/unit/%.c tests/unit/unit.h $(wildcard cmd/*/*.[ch]) build/libcommon.a Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(WARN) $(CFLAGS) -o $@ $< build/libcommon.a $(LDFLAGS) $(LDLIBS)

web/vendor/%: scripts/npm/node_modules/uplot/dist/%
	@mkdir -p $(@D)
	cp $< $@

# --- sanitizer build ------------------------------------------------------
build/asan/obj/%.o: common/%.c $(COMMON_HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) -O1 -g $(SANFLAGS) -c -o $@ $<

build/asan/libcommon.a: $(patsubst common/%.c,build/asan/obj/%.o,$(COMMON_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

build/asan/bin/%: $$(wildcard cmd/%/*.c) $$(wildcard cmd/%/*.h) build/asan/libcommon.a Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Icmd/$* $(WARN) -O1 -g $(SANFLAGS) -o $@ $(filter %.c,$^) build/asan/libcommon.a $(LDFLAGS) $(LDLIBS)

build/asan/unit/%: tests/unit/%.c tests/unit/unit.h $(wildcard cmd/*/*.[ch]) build/asan/libcommon.a Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(WARN) -O1 -g $(SANFLAGS) -o $@ $< build/asan/libcommon.a $(LDFLAGS) $(LDLIBS)

# --- fuzzing --------------------------------------------------------------
# libFuzzer targets built with Debian's clang (clang-14) and ASan + UBSan:
# tests/fuzz/NAME.c becomes build/fuzz/NAME, linked with the common code
# and the tool sources named by its line below (one line per target; a
# target that needs only common/ needs no line).  Seeds are kept in
# tests/fuzz/corpus/NAME/.  There is no fallback compiler: without clang
# and libclang-rt-14-dev the build fails, and so does `make test`.
fuzz_src_snapshot_request = cmd/kato-snapshot/request.c
fuzz_src_merge_record     = cmd/kato-merge/frame.c cmd/kato-merge/dhosts.c cmd/kato-merge/rsess.c
fuzz_src_alerts_frame     = cmd/kato-alerts/rules.c cmd/kato-alerts/splice.c
fuzz_src_docker_stats     = cmd/docker-stats/calc.c cmd/docker-stats/report.c
fuzz_src_docker_list      = cmd/docker-stats/list.c
fuzz_src_kato_body        = cmd/session-summary/count.c
fuzz_src_iso_time         = cmd/docker-stats/calc.c
fuzz_src_sub_client       = cmd/kato-sub/clientmsg.c cmd/kato-hub/cmd.c
fuzz_src_hub_cmd          = cmd/kato-hub/cmd.c

FUZZ_CC     ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
               -Wmissing-prototypes -Wno-missing-field-initializers \
               -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_TARGETS := $(notdir $(basename $(wildcard tests/fuzz/*.c)))
FUZZ_BIN     := $(addprefix build/fuzz/,$(FUZZ_TARGETS))

build/fuzzlib/%.o: common/%.c $(COMMON_HDR) Makefile
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

build/fuzzlib/libcommon.a: $(patsubst common/%.c,build/fuzzlib/%.o,$(COMMON_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $$(fuzz_src_$$*) \
              $$(wildcard $$(addsuffix *.h,$$(dir $$(fuzz_src_$$*)))) build/fuzzlib/libcommon.a Makefile
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(addprefix -I,$(sort $(dir $(fuzz_src_$*)))) \
	    $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ \
	    $(filter %.c,$^) build/fuzzlib/libcommon.a $(LDFLAGS) $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

# Each target in turn for FUZZ_SECONDS on its seeds (new inputs go to
# build/fuzz/corpus/, crashes to build/fuzz/artifacts/), leaks detected.
fuzz: fuzz-build
	@tests/fuzz/run -t $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# --- tests ----------------------------------------------------------------
# TAP from both runs goes to stdout; tests/run-suite counts it.
test: all asan fuzz-build
	@tests/run-suite

test-plain: all fuzz-build
	@KL_SUITES=plain tests/run-suite

test-asan: asan fuzz-build
	@KL_SUITES=asan tests/run-suite

bench: all
	@tests/bench/run

demo: all
	scripts/kato-live --demo $(DEMO_ARGS)

deps:
	scripts/install-deps

# --- install ---------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(SHAREDIR)/web $(DESTDIR)$(SYSCONFDIR)/kato-live $(DESTDIR)$(UNITDIR)
	install -m 755 $(addprefix bin/,$(TOOLS)) $(DESTDIR)$(BINDIR)/
	sed 's|^\(\s*def_env=\)/etc/kato-live/|\1$(SYSCONFDIR)/kato-live/|' scripts/kato-live \
	    >$(DESTDIR)$(BINDIR)/kato-live && chmod 755 $(DESTDIR)$(BINDIR)/kato-live
	install -m 755 scripts/kato-sim $(DESTDIR)$(SHAREDIR)/kato-sim
	install -d $(DESTDIR)$(SHAREDIR)/nginx
	install -m 644 etc/nginx/kato-live.conf $(DESTDIR)$(SHAREDIR)/nginx/kato-live.conf
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	-install -m 644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7/
	cp -R web/. $(DESTDIR)$(SHAREDIR)/web/
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/kato-live/kato-live.env ]; then \
	    install -m 644 etc/kato-live.env $(DESTDIR)$(SYSCONFDIR)/kato-live/kato-live.env; fi
	install -d $(DESTDIR)$(SYSUSERSDIR)
	install -m 644 etc/kato-live.sysusers $(DESTDIR)$(SYSUSERSDIR)/kato-live.conf
	for u in etc/*.service; do \
	    sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/etc/kato-live/|$(SYSCONFDIR)/kato-live/|g' \
	        $$u >$(DESTDIR)$(UNITDIR)/$${u#etc/} || exit 1; done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS) kato-live)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard man/*.7)))
	rm -rf $(DESTDIR)$(SHAREDIR)
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(wildcard etc/*.service)))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/kato-live.conf

clean:
	rm -rf bin build web/vendor
