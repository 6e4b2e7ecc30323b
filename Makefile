# ghr — build, test, install.
#
# Layout convention (so that adding a file never needs an edit here):
#   common/*.c proto/*.c       -> build/libghr.a         (linked by everything)
#   workers/runtime/*.c        -> build/libghrworker.a   (linked by every worker)
#   supervisor/*.c             -> build/bin/ghrd         (main in supervisor/main.c)
#   supervisor/ctl/*.c         -> build/bin/ghr-ctl      (main in supervisor/ctl/main.c)
#   workers/NAME/*.c           -> build/libexec/ghr/NAME (main in workers/NAME/main.c)
#   tests/unit/*.c             -> build/tests/unit       (links every object except the mains)
#   tests/fuzz/fuzz_*.c        -> build/fuzz/fuzz_*      (clang -fsanitize=fuzzer, `make fuzz`)
# Non-static symbols carry their module's prefix, because the unit runner links them all.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= gcc
SAN     ?=

WERROR ?= -Werror
WARN    = -Wall -Wextra $(WERROR) -Wshadow -Wformat=2 -Wstrict-prototypes \
          -Wmissing-prototypes -Wpointer-arith -Wvla -Wno-unused-parameter
CFLAGS  ?= -O2 -g
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# The job store (libmongoc) and the webhook listener (libmicrohttpd).
MONGOC_CFLAGS := $(shell pkg-config --cflags libmongoc-1.0 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -I. $(MONGOC_CFLAGS) $(WARN) $(CFLAGS) -MMD -MP $(if $(SAN),$(SANFLAGS))
LDLIBS  = -lzmq -ljansson -lcurl -lyaml -lcrypto -lm -lmongoc-1.0 -lbson-1.0 -lmicrohttpd -lpthread
ALL_LDFLAGS = -Wl,--as-needed $(LDFLAGS) $(if $(SAN),$(SANFLAGS))

COMMON_SRC  = $(wildcard common/*.c proto/*.c)
RUNTIME_SRC = $(wildcard workers/runtime/*.c)
SUP_SRC     = $(wildcard supervisor/*.c)
CTL_SRC     = $(wildcard supervisor/ctl/*.c)
WORKERS     = $(patsubst workers/%/main.c,%,$(wildcard workers/*/main.c))
UNIT_SRC    = $(wildcard tests/unit/*.c)
FUZZ_SRC    = $(wildcard tests/fuzz/fuzz_*.c)
TOOLS       = $(patsubst tests/tools/%.c,%,$(wildcard tests/tools/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
nomain = $(filter-out %/main.o,$(1))

COMMON_OBJ  = $(call obj,$(COMMON_SRC))
RUNTIME_OBJ = $(call obj,$(RUNTIME_SRC))
SUP_OBJ     = $(call obj,$(SUP_SRC))
CTL_OBJ     = $(call obj,$(CTL_SRC))
WORKER_SRC_ALL = $(foreach w,$(WORKERS),$(wildcard workers/$(w)/*.c))
WORKER_OBJ_ALL = $(call obj,$(WORKER_SRC_ALL))
UNIT_OBJ    = $(call obj,$(UNIT_SRC))

BINS = $(BUILD)/bin/ghrd $(BUILD)/bin/ghr-ctl $(foreach w,$(WORKERS),$(BUILD)/libexec/ghr/$(w)) \
       $(foreach t,$(TOOLS),$(BUILD)/tests/$(t))

.PHONY: all deps test-deps check check-unit check-sim check-integration check-man check-scripts check-install fuzz-run \
        check-monitoring check-asan bench chaos demo fuzz install clean
all: $(BINS)

deps:
	@sh scripts/deps.sh

# The MongoDB-compatible server the reactive tests and benchmarks run against (built once
# into build/, see scripts/ferretdb.sh); the daemon itself and the demo do not need it.
test-deps: deps
	@sh scripts/ferretdb.sh build >/dev/null

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libghr.a: $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
$(BUILD)/libghrworker.a: $(RUNTIME_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/bin/ghrd: $(SUP_OBJ) $(BUILD)/libghr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(SUP_OBJ) $(BUILD)/libghr.a $(LDLIBS)
$(BUILD)/bin/ghr-ctl: $(CTL_OBJ) $(BUILD)/libghr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CTL_OBJ) $(BUILD)/libghr.a $(LDLIBS)

define worker_rule
$(BUILD)/libexec/ghr/$(1): $(call obj,$(wildcard workers/$(1)/*.c)) $(BUILD)/libghrworker.a $(BUILD)/libghr.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $(call obj,$(wildcard workers/$(1)/*.c)) $(BUILD)/libghrworker.a $(BUILD)/libghr.a $$(LDLIBS)
endef
$(foreach w,$(WORKERS),$(eval $(call worker_rule,$(w))))
# The scaler embeds its boot-script template and pre-job script (.incbin).
$(BUILD)/obj/workers/scaler/sc_template.o: scripts/runner-user-data.sh.in scripts/pre-job.sh
# The image builder embeds its builder script the same way.
$(BUILD)/obj/workers/image-builder/ib_script.o: scripts/builder-user-data.sh.in

# Test tools: one file each, linked with the common library.
$(BUILD)/tests/%: $(BUILD)/obj/tests/tools/%.o $(BUILD)/libghr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit: $(UNIT_OBJ) $(call nomain,$(SUP_OBJ) $(CTL_OBJ) $(WORKER_OBJ_ALL)) $(BUILD)/libghrworker.a $(BUILD)/libghr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

# ---- tests ---------------------------------------------------------------
# `make check` installs what it needs, builds, then runs every suite. Suites that
# do not share state run in parallel (make -j2 at the top level).
check: test-deps
	@$(MAKE) --no-print-directory -j2 all $(BUILD)/tests/unit
	@$(MAKE) --no-print-directory -j2 -k check-unit check-man check-scripts check-install check-sim check-integration \
		check-monitoring \
		> $(BUILD)/check.log 2>&1; rc=$$?; cat $(BUILD)/check.log; \
		python3 tests/summary.py $(BUILD)/check.log; exit $$rc

check-unit: $(BUILD)/tests/unit
	GHR_SRCDIR=$(CURDIR) $(BUILD)/tests/unit

check-sim:
	python3 -m unittest discover -s tests/sim -p 'test_*.py'

check-integration: all
	GHR_BUILD=$(CURDIR)/$(BUILD) python3 tests/integration/run.py

check-man:
	@for m in man/*.[0-9]; do mandoc -T lint -W warning $$m || exit 1; done; echo "man pages: lint clean"

check-scripts: $(BUILD)/tests/unit
	@GHR_BUILD=$(BUILD) sh tests/scripts/check.sh

# The shipped Prometheus rules and Grafana dashboard (promtool).
check-monitoring:
	@sh tests/scripts/monitoring_check.sh

check-install: all
	@sh tests/scripts/install_check.sh $(BUILD)

check-asan: test-deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 CFLAGS='-O1 -g' -j2 all build-asan/tests/unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(MAKE) --no-print-directory BUILD=build-asan SAN=1 CFLAGS='-O1 -g' check-unit check-integration

# Fuzzing: every object is compiled once with clang and coverage instrumentation (in
# build-fuzz/), then each tests/fuzz/fuzz_*.c target is linked against them and run for
# FUZZ_SECONDS on a copy of its seed corpus (so new inputs never land in the tree).
FUZZ_OBJ = $(call nomain,$(COMMON_OBJ) $(RUNTIME_OBJ) $(SUP_OBJ) $(WORKER_OBJ_ALL))
fuzz: deps
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang WERROR= SAN=1 \
		CFLAGS='-O1 -g -fsanitize=fuzzer-no-link' -j2 fuzz-run

fuzz-run: $(FUZZ_OBJ)
	@mkdir -p $(BUILD)/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
		$(CC) -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
		  -o $(BUILD)/fuzz/$$n $$f $(FUZZ_OBJ) $(LDLIBS) || exit 1; \
		rm -rf $(BUILD)/fuzz/corpus-$$n; cp -r tests/fuzz/corpus/$$n $(BUILD)/fuzz/corpus-$$n; \
		$(BUILD)/fuzz/$$n -max_total_time=$${FUZZ_SECONDS:-20} -seed=1 $(BUILD)/fuzz/corpus-$$n \
		  > $(BUILD)/fuzz/$$n.log 2>&1; rc=$$?; \
		echo "$$n: $$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' $(BUILD)/fuzz/$$n.log || tail -1 $(BUILD)/fuzz/$$n.log)"; \
		[ $$rc -eq 0 ] || { tail -30 $(BUILD)/fuzz/$$n.log; exit 1; }; done

bench: test-deps all
	GHR_BUILD=$(CURDIR)/$(BUILD) python3 tests/bench/run.py

# Chaos: workers and ghrd killed -9 at random under a stream of jobs and API faults,
# then drain and the simulator's consistency report (tests/chaos/chaos.py).
CHAOS_SECONDS ?= 600
chaos: deps
	@$(MAKE) --no-print-directory -j2 all
	GHR_BUILD=$(CURDIR)/$(BUILD) CHAOS_SECONDS=$(CHAOS_SECONDS) python3 tests/chaos/chaos.py

demo: deps
	@$(MAKE) --no-print-directory -j2 all
	GHR_BUILD=$(CURDIR)/$(BUILD) python3 tests/demo/demo.py

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/libexec/ghr \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/ghr $(DESTDIR)$(PREFIX)/share/doc/ghr/examples \
		$(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/lib/tmpfiles.d $(DESTDIR)$(PREFIX)/lib/sysusers.d \
		$(DESTDIR)/etc/logrotate.d
	install -m 0755 $(BUILD)/bin/ghrd $(DESTDIR)$(PREFIX)/sbin/ghrd
	install -m 0755 $(BUILD)/bin/ghr-ctl $(DESTDIR)$(PREFIX)/bin/ghr-ctl
	for w in $(WORKERS); do [ $$w = fake ] || install -m 0755 $(BUILD)/libexec/ghr/$$w $(DESTDIR)$(PREFIX)/libexec/ghr/$$w; done
	install -m 0644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 man/*.7 $(DESTDIR)$(PREFIX)/share/man/man7/
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 scripts/*.in $(DESTDIR)$(PREFIX)/share/ghr/ 2>/dev/null || true
	install -m 0644 etc/ghr.yaml etc/clouds.yaml $(DESTDIR)$(PREFIX)/share/doc/ghr/examples/ 2>/dev/null || true
	install -m 0644 etc/grafana/ghr.json etc/prometheus/ghr-rules.yaml $(DESTDIR)$(PREFIX)/share/doc/ghr/examples/
	sed 's,@SBINDIR@,$(PREFIX)/sbin,g' etc/systemd/ghrd.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/ghrd.service
	install -m 0644 etc/tmpfiles.d/ghr.conf $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/ghr.conf
	install -m 0644 etc/sysusers.d/ghr.conf $(DESTDIR)$(PREFIX)/lib/sysusers.d/ghr.conf
	install -m 0644 etc/logrotate.d/ghr $(DESTDIR)/etc/logrotate.d/ghr

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
