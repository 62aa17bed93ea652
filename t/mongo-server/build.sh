#!/bin/sh
# build.sh OUT_PATH - build the FerretDB-based test server (see main.go).
# build.sh --which-go - print the Go it would use, or exit 3.
#
# Skips the build when OUT_PATH is newer than main.go, go.mod and go.sum.
# Modules come from the Go module proxy into the default module cache
# (GOPATH/pkg/mod); nothing is vendored.
#
# The Go used: $GO, else `go` on PATH, else $CWC_GO_ROOT/bin/go
# (/usr/local/go/bin/go by default) — the
# first that is at least go.mod's version (Debian 12's golang-go, 1.19,
# is not: FerretDB needs the standard library of 1.22+). `make test`
# installs one when there is none (etc/install-go).
#
# Exit status: 0 built or up to date, 3 no usable Go (says why on
# stderr), anything else: build failed.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 OUT_PATH | --which-go" >&2
	exit 2
fi

src=$(cd "$(dirname "$0")" && pwd)
want=$(sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' "$src/go.mod")

case $1 in
--which-go) out= ;;
/*) out=$1 ;;
*) out=$(pwd)/$1 ;;
esac

if [ -n "$out" ] && [ -f "$out" ] &&
	[ "$out" -nt "$src/main.go" ] &&
	[ "$out" -nt "$src/go.mod" ] &&
	[ "$out" -nt "$src/go.sum" ]; then
	exit 0
fi

# "1.24.3" -> "1024" (major*1000 + minor): enough to compare Go releases.
minor_of() {
	echo "${1#go}" | sed -n 's/^\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p' |
		{ read -r a b && echo $((a * 1000 + b)); }
}

GO_FOUND=""
tried=""
for go in ${GO:-} go "${CWC_GO_ROOT:-/usr/local/go}/bin/go"; do
	path=$(command -v "$go" 2>/dev/null) || continue
	case " $tried " in *" $path ("*) continue ;; esac
	v=$("$path" env GOVERSION 2>/dev/null) || continue
	tried="$tried $path ($v)"
	n=$(minor_of "$v")
	if [ -n "$n" ] && [ "$n" -ge "$(minor_of "$want")" ]; then
		GO_FOUND=$path
		break
	fi
done
if [ -z "$GO_FOUND" ]; then
	echo "no Go >= $want found (tried:${tried:- none}); make test installs one (etc/install-go)" >&2
	exit 3
fi
if [ -z "$out" ]; then
	echo "$GO_FOUND"
	exit 0
fi
GO=$GO_FOUND

mkdir -p "$(dirname "$out")"
cd "$src"
"$GO" build -trimpath -o "$out" .
