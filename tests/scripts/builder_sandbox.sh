#!/bin/sh
# Runs a rendered image-builder script in a sandbox and checks how it ends:
#   builder_sandbox.sh SCRIPT SCENARIO
# The script's absolute paths (/home/ubuntu, /var/tmp, /dev/console) are moved under a
# temporary directory, and PATH holds only stubs (apt-get, curl, chown, cloud-init,
# snap, poweroff, shutdown, sync, sleep) that log their calls, plus the real tools the
# script computes with (tar, sha256sum, cut, ...): nothing can touch the machine running
# the test.  curl "downloads" a small runner tarball made here; the expected checksum in
# the script is set to that tarball's, or left as rendered (a mismatch).  Scenarios:
#   ok                 -> packages, runner unpacked and owned by the runner user, its
#                         dependencies installed, cloud-init clean, "ok" result line, one power-off
#   checksum-mismatch  -> "failed stage=checksum-mismatch", nothing unpacked, one power-off
#   apt-fails          -> apt retried 5 times, "failed stage=apt", no download, one power-off
#   aproxy             -> as ok, and aproxy installed
# Exits 0 when the scenario behaved, 1 with a message otherwise.
set -u

script=$1
scenario=$2
box=$(mktemp -d /tmp/ghr-builder-sandbox-XXXXXX)
trap 'rm -rf "$box"' EXIT INT TERM
mkdir -p "$box/bin" "$box/home/ubuntu" "$box/var/tmp" "$box/src/bin"
calls="$box/calls"
: > "$calls"
: > "$box/console"

# shellcheck source-path=SCRIPTDIR source=sandbox.sh
. "$(dirname "$0")/sandbox.sh"
sandbox_tools sed tr date mkdir chmod cat printf tar gzip sha256sum cut rm cp
for s in poweroff shutdown sync sleep chown cloud-init snap; do stub "$s" 0; done
stub apt-get 0
[ "$scenario" = apt-fails ] && stub apt-get 100

# the runner release: a tarball with the dependency installer the script runs
printf '#!/bin/sh\necho "installdependencies" >> "%s"\n' "$calls" > "$box/src/bin/installdependencies.sh"
chmod +x "$box/src/bin/installdependencies.sh"
printf 'runner\n' > "$box/src/run.sh"
tar -czf "$box/runner.tar.gz" -C "$box/src" .
sum=$(sha256sum "$box/runner.tar.gz" | cut -d ' ' -f 1)
# shellcheck disable=SC2016 # the stub's own $@
printf '#!/bin/sh\necho "curl $*" >> "%s"\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && { cp "%s" "$2"; exit 0; }; shift; done\nexit 2\n' \
	"$calls" "$box/runner.tar.gz" > "$box/bin/curl"
chmod +x "$box/bin/curl"

want_sum=$sum
[ "$scenario" = checksum-mismatch ] && want_sum=$(printf '%064d' 0)
sed -e "s#/home/ubuntu#$box/home/ubuntu#g" -e "s#/var/tmp/#$box/var/tmp/#g" -e "s#/dev/console#$box/console#g" \
	-e "s#^RUNNER_SHA256=.*#RUNNER_SHA256='$want_sum'#" "$script" > "$box/builder.sh"
env -i PATH="$box/bin" /bin/sh "$box/builder.sh" > "$box/out" 2>&1
rc=$?

fail() { echo "$scenario: $*"; sed 's/^/  calls: /' "$calls"; sed 's/^/  out: /' "$box/out"; exit 1; }
offs=$(grep -c '^poweroff' "$calls")
[ "$offs" -eq 1 ] || fail "powered off $offs times, want exactly 1"
has() { grep -q -- "$1" "$2" || fail "$2 lacks $1"; }
lacks() { ! grep -q -- "$1" "$2" || fail "$2 has $1"; }
runner="$box/home/ubuntu/actions-runner"
[ ! -e "$box/var/tmp/ghr-actions-runner.tar.gz" ] || fail "the tarball was left behind"
case "$scenario" in
ok|aproxy)
	[ "$rc" -eq 0 ] || fail "exit $rc"
	has '^ghr-build [0-9a-f]* ok runner=' "$box/console"; has 'ok runner=' "$box/out"
	has '^apt-get update' "$calls"; has '^apt-get install -y --no-install-recommends git jq build-essential' "$calls"
	[ -f "$runner/run.sh" ] || fail "runner not unpacked"
	has "^chown -R ubuntu:ubuntu $runner" "$calls"; has '^installdependencies' "$calls"
	has '^cloud-init clean' "$calls"
	if [ "$scenario" = aproxy ]; then has '^snap install aproxy' "$calls"; else lacks '^snap' "$calls"; fi ;;
checksum-mismatch)
	[ "$rc" -ne 0 ] || fail "exit 0"
	has 'failed stage=checksum-mismatch' "$box/console"; lacks ' ok ' "$box/console"
	[ ! -e "$runner/run.sh" ] || fail "a runner that failed its checksum was unpacked"
	lacks '^cloud-init' "$calls" ;;
apt-fails)
	[ "$rc" -ne 0 ] || fail "exit 0"
	has 'failed stage=apt' "$box/console"
	[ "$(grep -c '^apt-get update' "$calls")" -eq 5 ] || fail "apt-get update not tried 5 times"
	lacks '^curl' "$calls" ;;
*) fail "unknown scenario" ;;
esac
echo "$scenario: ok"
