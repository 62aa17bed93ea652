# CoworKing Café — build, run and test.
#
#   make          build every program into bin/
#   make run      install Debian packages if missing, build, run the whole stack
#   make test     install what the tests need, build, run every test (prove)
#   make bench    the benchmarks of bench/ (not tests)
#   make stop     stop a stack started by `make run` in the background

# The one list of Debian packages the project needs (build, run and test).
DEBIAN_PACKAGES := build-essential pkg-config libfcgi-dev caddy redis-server \
	libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libhiredis-dev \
	libmongoc-dev libbson-dev libjson-c-dev libcurl4-openssl-dev libssl-dev \
	libargon2-dev libcrypt-dev libsqlite3-dev zlib1g-dev wrk curl \
	python3 python3-bson python3-websockets python3-yaml perl chromium

CC      ?= cc
PKGS    := fcgi libmongoc-1.0 libbson-1.0 json-c libcurl openssl libargon2 \
	   libxcrypt sqlite3 zlib
# hiredis is included as <hiredis/…>: its own include dir would shadow
# headers named read.h, sds.h or alloc.h.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhiredis -lm
RELAY_LIBS := $(shell pkg-config --libs libwebsockets libuv 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -Wshadow -Wstrict-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -Icommon -Ibuild/gen $(PKG_CFLAGS)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

COMMON_SRC := $(sort $(wildcard common/*.c))
SITE_SRC   := $(sort $(wildcard fcgi-apps/site/*.c))
ADMIN_SRC  := $(sort $(wildcard fcgi-apps/admin/*.c))
RELAY_SRC  := $(sort $(wildcard ws-relay/*.c))
CLI_SRC    := $(sort $(wildcard cli/*.c))
UNIT_SRC   := $(sort $(wildcard t/unit/*.c))
BENCH_SRC  := $(sort $(wildcard bench/*/*.c))

HEADERS    := $(wildcard common/*.h fcgi-apps/*/*.h ws-relay/*.h cli/*.h t/unit/*.h)

COMMON_OBJ := $(COMMON_SRC:%.c=build/obj/%.o)
COMMON_SAN := $(COMMON_SRC:%.c=build/asan/%.o)

PROGRAMS := bin/site bin/admin bin/ws-relay $(CLI_SRC:cli/%.c=bin/%)
UNIT_TESTS := $(UNIT_SRC:t/unit/%.c=build/asan/t/%.t)
BENCH_BINS := $(BENCH_SRC:bench/%.c=build/bench/%)

PUBLIC_SRC := $(wildcard fcgi-apps/site/public/*)

.PHONY: all deps run stop test unit bench clean mongo-server
all: $(PROGRAMS) build/gen/assets.h

# Static assets, fingerprinted into build/public (served by Caddy); pages
# link them through the macros of build/gen/assets.h.
build/gen/assets.h: $(PUBLIC_SRC) etc/fingerprint
	@echo "  ASSETS  $@"
	$(Q)rm -rf build/public
	$(Q)sh etc/fingerprint fcgi-apps/site/public build/public $@

$(COMMON_OBJ) $(COMMON_SAN): build/gen/assets.h

deps:
	@sh etc/install-deps $(DEBIAN_PACKAGES)

# Objects are kept (no intermediate deletion); V=1 shows the commands.
.SECONDARY:
Q := $(if $(V),,@)

build/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/asan/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) -DCWC_TEST_BUILD -c -o $@ $<

build/libcommon.a: $(COMMON_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

build/libcommon-asan.a: $(COMMON_SAN)
	@rm -f $@
	$(Q)ar rcs $@ $^

bin/site: $(SITE_SRC:%.c=build/obj/%.o) build/libcommon.a
	@mkdir -p bin
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

bin/admin: $(ADMIN_SRC:%.c=build/obj/%.o) build/libcommon.a
	@mkdir -p bin
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

bin/ws-relay: $(RELAY_SRC:%.c=build/obj/%.o) build/libcommon.a
	@mkdir -p bin
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(RELAY_LIBS) $(PKG_LIBS)

bin/%: build/obj/cli/%.o build/libcommon.a
	@mkdir -p bin
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/t/%.t: build/asan/t/unit/%.o build/libcommon-asan.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -O1 $(SAN) -o $@ $^ $(PKG_LIBS)

build/bench/%: build/obj/bench/%.o build/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

unit: $(UNIT_TESTS)

# The MongoDB-compatible test server (FerretDB, Go); skipped without go.
mongo-server:
	@sh t/mongo-server/build.sh t/bin/mongo-server || true

run: deps all
	@perl t/run-stack

stop:
	@perl t/run-stack --stop

test: deps all unit mongo-server
	prove -r --timer t/ build/asan/t/

bench: deps all $(BENCH_BINS) mongo-server
	@for b in bench/*/run; do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf build bin t/bin
