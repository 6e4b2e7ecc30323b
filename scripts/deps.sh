#!/bin/sh
# Install every Debian package that building and testing ghr needs.
# Idempotent: when everything is present it changes nothing and prints nothing.
set -eu

PKGS="build-essential pkg-config libzmq3-dev libjansson-dev libcurl4-openssl-dev \
libyaml-dev libcunit1-dev libssl-dev openssl mandoc shellcheck python3 \
clang libclang-rt-14-dev procps curl ca-certificates"
# The job store's MongoDB driver (reactive jobs); the HTTP listener of the webhook and
# metrics workers (libmicrohttpd); schedule time zones (tzdata); the check of the shipped
# alerting rules (promtool, in Debian's prometheus package).
PKGS="$PKGS libmongoc-dev libbson-dev libmicrohttpd-dev tzdata prometheus"

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
# Another apt-get (unattended-upgrades, a parallel install) may hold the dpkg and list
# locks: wait for them (up to DEPS_LOCK_TIMEOUT seconds) rather than fail.
wait_lock="-o DPkg::Lock::Timeout=${DEPS_LOCK_TIMEOUT:-600}"
# shellcheck disable=SC2086
apt-get $wait_lock update -qq
# shellcheck disable=SC2086
apt-get $wait_lock install -y -qq --no-install-recommends $missing >/dev/null
