# The build, read by `make` (Makefile) only after the Debian packages are
# installed: the pkg-config flags below are computed when this file is read.
# Run it directly (make -f build.mk) only on a machine that has them.

CC      ?= cc
PKGS    := fcgi libmongoc-1.0 libbson-1.0 json-c libcurl openssl libargon2 libcmark \
	   libxcrypt sqlite3 zlib gdlib
RELAY_PKGS := libwebsockets libuv

# hiredis is included as <hiredis/…>: its own include dir would shadow
# headers named read.h, sds.h or alloc.h.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(RELAY_PKGS))
ifneq ($(.SHELLSTATUS),0)
$(error pkg-config cannot find $(PKGS) $(RELAY_PKGS): run `make deps` (or plain `make`))
endif
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lhiredis -lm
RELAY_LIBS := $(shell pkg-config --libs $(RELAY_PKGS))

# -Wformat-truncation stays on: a truncated snprintf is a bug unless the
# code checks the result (and where it matters it must: see the callers).
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -MMD -MP -D_GNU_SOURCE -Icommon -Ibuild/gen $(PKG_CFLAGS)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

COMMON_SRC := $(sort $(wildcard common/*/*.c))
SITE_SRC   := $(sort $(wildcard fcgi-apps/site/*.c))
ADMIN_SRC  := $(sort $(wildcard fcgi-apps/admin/*.c))
RELAY_SRC  := $(sort $(wildcard ws-relay/*.c))
CLI_SRC    := $(sort $(wildcard cli/cwc-*.c))
CLI_LIB_SRC := cli/cli.c
BACKUP_SRC := $(sort $(wildcard cli/backup/*.c))
MIGRATE_SRC := $(sort $(wildcard cli/migrate/*.c))
UNIT_SRC   := $(sort $(wildcard t/unit/*.c))
BENCH_SRC  := $(sort $(wildcard bench/*/*.c))
# Programs the black-box tests run (tpl-render), built with the sanitizers.
TOOL_SRC   := $(sort $(wildcard t/tools/*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=build/obj/%.o)
COMMON_SAN := $(COMMON_SRC:%.c=build/asan/%.o)

PROGRAMS   := bin/site bin/admin bin/ws-relay $(CLI_SRC:cli/%.c=bin/%)
# The same programs with ASan + UBSan: what the black-box tests run.
SAN_PROGRAMS := build/asan/bin/site build/asan/bin/admin build/asan/bin/ws-relay \
	$(CLI_SRC:cli/%.c=build/asan/bin/%)
UNIT_TESTS := $(UNIT_SRC:t/unit/%.c=build/asan/t/%.t)
TOOLS      := $(TOOL_SRC:t/tools/%.c=build/asan/t/tools/%)
BENCH_BINS := $(BENCH_SRC:bench/%.c=build/bench/%)

PUBLIC_SRC := $(wildcard fcgi-apps/site/public/*)

.PHONY: all programs unit bench-bins mongo-server
all: programs $(SAN_PROGRAMS)
# What production runs (docker/Dockerfile builds only this).
programs: $(PROGRAMS) build/gen/assets.h

# Static assets, fingerprinted into build/public (served by Caddy); pages
# link them through the macros of build/gen/assets.h.
# The list of files too: a file added with an older date than assets.h
# must still be fingerprinted.
ASSET_LIST := build/gen/assets.list
$(shell mkdir -p build/gen; echo '$(PUBLIC_SRC)' | cmp -s - $(ASSET_LIST) || echo '$(PUBLIC_SRC)' > $(ASSET_LIST))
build/gen/assets.h: $(PUBLIC_SRC) $(ASSET_LIST) etc/fingerprint
	@echo "  ASSETS  $@"
	$(Q)rm -rf build/public
	$(Q)sh etc/fingerprint fcgi-apps/site/public build/public $@

# Any object may include assets.h, so it exists before the first compile
# (order only); the real header dependencies come from the compiler
# (-MMD -MP, the .d files included at the end).

# Objects are kept (no intermediate deletion); V=1 shows the commands.
.SECONDARY:
Q := $(if $(V),,@)

build/obj/%.o: %.c | build/gen/assets.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/asan/%.o: %.c | build/gen/assets.h
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) -DCWC_TEST_BUILD -c -o $@ $<

# Thin archives: members keep their paths, so web/page.o and chat/page.o
# do not replace each other.
build/libcommon.a: $(COMMON_OBJ)
	@rm -f $@
	$(Q)ar rcsT $@ $^

build/libcommon-asan.a: $(COMMON_SAN)
	@rm -f $@
	$(Q)ar rcsT $@ $^

define app
bin/$(1): $(2:%.c=build/obj/%.o) build/libcommon.a
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	$$(Q)$$(CC) $$(CFLAGS) -o $$@ $$^ $(3) $$(PKG_LIBS)

build/asan/bin/$(1): $(2:%.c=build/asan/%.o) build/libcommon-asan.a
	@mkdir -p $$(dir $$@)
	@echo "  LD asan $$@"
	$$(Q)$$(CC) $$(CFLAGS) -O1 $$(SAN) -o $$@ $$^ $(3) $$(PKG_LIBS)
endef
$(eval $(call app,site,$(SITE_SRC)))
$(eval $(call app,admin,$(ADMIN_SRC)))
$(eval $(call app,ws-relay,$(RELAY_SRC),$(RELAY_LIBS)))

bin/cwc-backup: $(BACKUP_SRC:%.c=build/obj/%.o)
bin/cwc-ctl: $(MIGRATE_SRC:%.c=build/obj/%.o)
bin/%: build/obj/cli/%.o $(CLI_LIB_SRC:%.c=build/obj/%.o) build/libcommon.a
	@mkdir -p bin
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(PKG_LIBS)

build/asan/bin/cwc-backup: $(BACKUP_SRC:%.c=build/asan/%.o)
build/asan/bin/cwc-ctl: $(MIGRATE_SRC:%.c=build/asan/%.o)
build/asan/bin/%: build/asan/cli/%.o $(CLI_LIB_SRC:%.c=build/asan/%.o) build/libcommon-asan.a
	@mkdir -p $(dir $@)
	@echo "  LD asan $@"
	$(Q)$(CC) $(CFLAGS) -O1 $(SAN) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(PKG_LIBS)

build/asan/t/%.t: build/asan/t/unit/%.o build/libcommon-asan.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -O1 $(SAN) -o $@ $^ $(PKG_LIBS)

build/asan/t/tools/%: build/asan/t/tools/%.o build/libcommon-asan.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -O1 $(SAN) -o $@ $^ $(PKG_LIBS)

build/bench/%: build/obj/bench/%.o build/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

unit: $(UNIT_TESTS) $(TOOLS)
bench-bins: $(BENCH_BINS)

# Fuzz targets (t/fuzz/, libFuzzer): the library again, built by clang
# with ASan + UBSan and libFuzzer's coverage, in its own object dir; the
# relay's frame handler links the relay objects it needs (the sockets and
# Redis are stubbed in the target). `make fuzz` runs them (Makefile).
FUZZ_CC     := clang
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	       -fno-omit-frame-pointer
FUZZ_CFLAGS  = -std=gnu11 $(WARN) -O1 -g -MMD -MP -D_GNU_SOURCE -Icommon -Ibuild/gen \
	       $(PKG_CFLAGS) $(FUZZ_SAN) -DCWC_TEST_BUILD
FUZZ_SRC    := $(sort $(wildcard t/fuzz/*.c))
FUZZ_BINS   := $(FUZZ_SRC:t/fuzz/%.c=build/fuzz/bin/%)
COMMON_FUZZ := $(COMMON_SRC:%.c=build/fuzz/%.o)
FUZZ_RELAY_OBJ := $(addprefix build/fuzz/ws-relay/,relay_frame.o relay_chat.o \
	relay_event.o relay_outq.o relay_store.o)


build/fuzz/t/fuzz/%.o: t/fuzz/%.c | build/gen/assets.h
	@mkdir -p $(dir $@)
	@echo "  CC fuzz $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Iws-relay -fsanitize=fuzzer -c -o $@ $<

build/fuzz/%.o: %.c | build/gen/assets.h
	@mkdir -p $(dir $@)
	@echo "  CC fuzz $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/libcommon-fuzz.a: $(COMMON_FUZZ)
	@rm -f $@
	$(Q)ar rcsT $@ $^

build/fuzz/bin/relay_frame: $(FUZZ_RELAY_OBJ)
build/fuzz/bin/session: build/fuzz/ws-relay/relay_auth.o build/fuzz/ws-relay/relay_store.o
build/fuzz/bin/relay_frame build/fuzz/bin/session: FUZZ_LIBS = $(RELAY_LIBS)
build/fuzz/bin/%: build/fuzz/t/fuzz/%.o build/libcommon-fuzz.a
	@mkdir -p $(dir $@)
	@echo "  LD fuzz $@"
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $(filter %.o,$^) \
		$(filter %.a,$^) $(PKG_LIBS) $(FUZZ_LIBS)

.PHONY: fuzz-bins
fuzz-bins: $(FUZZ_BINS)

# The MongoDB-compatible test server (FerretDB, Go: `make test` installs
# Go, etc/install-go). Without Go the build fails, unless CWC_SKIP_MONGODB=1
# says to skip the MongoDB tests (README); a failing build always fails.
mongo-server:
	@echo "  GO      t/bin/mongo-server"
	$(Q)sh t/mongo-server/build.sh t/bin/mongo-server || { rc=$$?; \
		[ $$rc -eq 3 ] && [ "$(CWC_SKIP_MONGODB)" = 1 ] && \
		echo "  SKIP    t/bin/mongo-server: no Go and CWC_SKIP_MONGODB=1"; }

-include $(shell find build -name '*.d' 2>/dev/null)
