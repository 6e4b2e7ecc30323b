#!/bin/sh
# Install every Debian package that building and testing ghr needs.
# Idempotent: when everything is present it changes nothing and prints nothing.
set -eu

PKGS="build-essential pkg-config libzmq3-dev libjansson-dev libcurl4-openssl-dev \
libyaml-dev libcunit1-dev libssl-dev openssl mandoc shellcheck python3 \
clang libclang-rt-14-dev procps curl ca-certificates"
# Reactive jobs: the job store's MongoDB driver and the webhook listener.
PKGS="$PKGS libmongoc-dev libbson-dev libmicrohttpd-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
