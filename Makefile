# CoworKing Café — build, run and test.
#
#   make          install Debian packages if missing, build every program into bin/
#   make run      the same, then run the whole stack (embedded store, demo data)
#   make test     the same with the test tools (and Go), then run every test (prove)
#   make bench    the benchmarks of bench/ (not tests)
#   make fuzz     the fuzz targets, for longer than make test runs them
#   make stop     stop a stack started by `make run` in the background
#   make rolling-update  build, then replace every instance of the stack
#                 `make run` runs, one at a time, losing no request
#
# This file only installs and dispatches: the build itself is build.mk, run
# in a sub-make once the packages are there. Nothing here may read
# pkg-config or a header: on a fresh machine they appear only after `deps`.

# The one list of Debian packages the project needs (build, run and test).
DEBIAN_PACKAGES := build-essential pkg-config libfcgi-dev caddy redis-server \
	libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libhiredis-dev \
	libmongoc-dev libbson-dev libjson-c-dev libcurl4-openssl-dev libssl-dev \
	libargon2-dev libcrypt-dev libsqlite3-dev zlib1g-dev libcmark-dev libgd-dev wrk curl openssl \
	python3 python3-bson python3-websockets python3-yaml python3-pystache python3-icalendar \
	perl chromium chromium-l10n clang libclang-rt-14-dev systemd

BUILD := $(MAKE) --no-print-directory -f build.mk

.PHONY: all deps go lighthouse run stop rolling-update test unit bench fuzz clean
all: deps
	+@$(BUILD) all

deps:
	@sh etc/install-deps $(DEBIAN_PACKAGES)

# Go builds the MongoDB test server (t/mongo-server) for the tests and
# benchmarks; CWC_SKIP_MONGODB=1 skips it and the MongoDB tests.
go: deps
	@[ "$${CWC_SKIP_MONGODB:-}" = 1 ] || sh etc/install-go

run: deps
	+@$(BUILD) all
	@perl t/run-stack

stop:
	@perl t/run-stack --stop

# CWC_SITE_INSTANCES, CWC_ADMIN_INSTANCES, CWC_RELAY_INSTANCES: how many
# of each `make run` starts (docs/operations.md).
rolling-update: deps
	+@$(BUILD) all
	@perl t/run-stack --rolling-update

# Lighthouse (npm, pinned in t/lighthouse/) for t/site-lighthouse.t.
lighthouse: deps
	@sh etc/install-lighthouse

test: go lighthouse
	+@$(BUILD) all unit mongo-server fuzz-bins
	prove -r --timer t/ build/asan/t/

unit: deps
	+@$(BUILD) unit

bench: go
	+@$(BUILD) all bench-bins mongo-server
	@for b in bench/*/run; do echo "== $$b"; $$b || exit 1; done

# Each fuzz target for FUZZ_SECONDS (two at a time); what they find is
# kept in build/fuzz/corpus/ for the next run (t/fuzz/README).
FUZZ_SECONDS ?= 300
fuzz: deps
	+@$(BUILD) fuzz-bins
	CWC_FUZZ_SECONDS=$(FUZZ_SECONDS) CWC_FUZZ_CORPUS=build/fuzz/corpus prove -v t/fuzz.t

clean:
	rm -rf build bin t/bin
