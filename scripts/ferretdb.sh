#!/bin/sh
# Build the MongoDB-compatible test server (FerretDB with its SQLite backend) into a
# cache directory inside the build tree. Idempotent: prints the binary path and does
# nothing more when it is already built.
#
# `go install ...@v1.24.1` gives a binary that refuses to start (the module carries no
# build/version/version.txt), so: download the module, copy its source, write the
# version file, build from the copy.
#   usage: scripts/ferretdb.sh [BUILD_DIR]     (default: build)
set -eu

VERSION=v1.24.1
MODULE=github.com/FerretDB/FerretDB
build_dir=${1:-build}
cache="$build_dir/ferretdb-$VERSION"
bin="$cache/ferretdb"

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

# FerretDB v1.24.1 needs Go 1.24.  A Go of 1.21 or later fetches that toolchain itself
# from the module proxy (GOTOOLCHAIN=auto); without any Go (Debian 12's own is 1.19) the
# same toolchain archive is fetched from the module proxy into the cache.
TOOLCHAIN=go1.24.3
fetch_toolchain() {
	tc="$build_dir/go-$TOOLCHAIN"
	if [ ! -x "$tc/go/bin/go" ]; then
		url="${GOPROXY_URL:-https://proxy.golang.org}/golang.org/toolchain/@v/v0.0.1-$TOOLCHAIN.linux-$(go_arch).zip"
		echo "ferretdb.sh: fetching the Go toolchain $TOOLCHAIN from the module proxy" >&2
		rm -rf "$tc.tmp" && mkdir -p "$tc.tmp"
		curl -fsSL --retry 3 -o "$tc.tmp/go.zip" "$url" || {
			echo "ferretdb.sh: cannot download $url" >&2; exit 1; }
		python3 -m zipfile -e "$tc.tmp/go.zip" "$tc.tmp/x"
		rm -rf "$tc"
		mkdir -p "$tc"
		mv "$tc.tmp/x/golang.org/toolchain@v0.0.1-$TOOLCHAIN.linux-$(go_arch)" "$tc/go"
		chmod -R u+rwX,go+rX "$tc/go"
		chmod +x "$tc/go/bin/"* "$tc/go/pkg/tool/"*/* 2>/dev/null || :
		rm -rf "$tc.tmp"
	fi
	GO=$(cd "$tc/go/bin" && pwd)/go
}
go_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	*) uname -m ;;
	esac
}
go_recent() {       # a Go that can fetch newer toolchains itself: 1.21 or later
	v=$("$1" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
	[ -n "$v" ] && [ "$v" -ge 21 ]
}

GO=${GO:-}
if [ -z "$GO" ]; then
	for g in go /usr/local/go/bin/go /usr/lib/go/bin/go; do
		if command -v "$g" >/dev/null 2>&1 && go_recent "$g"; then GO=$g; break; fi
	done
fi
[ -n "$GO" ] || fetch_toolchain

mkdir -p "$cache"
dir=$("$GO" mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "ferretdb.sh: go mod download gave no source directory for $MODULE@$VERSION" >&2
	exit 1
fi
src="$cache/src"
rm -rf "$src" "$src.tmp"
cp -R "$dir" "$src.tmp"
chmod -R u+w "$src.tmp"
mkdir -p "$src.tmp/build/version"
printf '%s\n' "$VERSION" > "$src.tmp/build/version/version.txt"
mv "$src.tmp" "$src"
(cd "$src" && GOFLAGS=-mod=mod "$GO" build -o ../ferretdb.tmp ./cmd/ferretdb)
mv "$cache/ferretdb.tmp" "$bin"
rm -rf "$src"
echo "$bin"
