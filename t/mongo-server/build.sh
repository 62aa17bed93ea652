#!/bin/sh
# build.sh OUT_PATH - build the FerretDB-based test server (see main.go).
#
# Skips the build when OUT_PATH is newer than main.go, go.mod and go.sum.
# Modules come from the Go module proxy into the default module cache
# (GOPATH/pkg/mod); nothing is vendored.
#
# Exit status: 0 built or up to date, 3 Go not installed (prints
# "skip: go not found" on stderr), anything else: build failed.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 OUT_PATH" >&2
	exit 2
fi

src=$(cd "$(dirname "$0")" && pwd)
case $1 in
/*) out=$1 ;;
*) out=$(pwd)/$1 ;;
esac

GO=${GO:-}
if [ -z "$GO" ]; then
	if command -v go >/dev/null 2>&1; then
		GO=go
	elif [ -x /usr/local/go/bin/go ]; then
		GO=/usr/local/go/bin/go
	else
		echo "skip: go not found" >&2
		exit 3
	fi
fi

if [ -f "$out" ] &&
	[ "$out" -nt "$src/main.go" ] &&
	[ "$out" -nt "$src/go.mod" ] &&
	[ "$out" -nt "$src/go.sum" ]; then
	exit 0
fi

mkdir -p "$(dirname "$out")"
cd "$src"
"$GO" build -trimpath -o "$out" .
