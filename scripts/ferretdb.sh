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

GO=${GO:-}
if [ -z "$GO" ]; then
	if command -v go >/dev/null 2>&1; then GO=go
	elif [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go
	else echo "ferretdb.sh: no Go toolchain (set GO=/path/to/go)" >&2; exit 1
	fi
fi

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
