#!/bin/sh
# Runs a rendered runner boot script in a sandbox and checks how it ends:
#   boot_sandbox.sh SCRIPT SCENARIO
# The script's absolute paths (/etc, /opt/ghr, /home/ubuntu) are moved under a temporary
# directory, and PATH holds only stubs (poweroff, shutdown, su, snap, nft, systemctl,
# hostnamectl, ip, chown, sync) that log their calls, plus a few harmless real tools:
# nothing can touch the machine running the test.  Scenarios:
#   job-ok        run.sh exits 0       -> one power-off, outcome normal, stage job
#   job-fails     run.sh exits 3       -> one power-off, outcome abnormal, code 3
#   boot-fails    chown fails          -> one power-off, outcome abnormal, stage boot, no run.sh
#   aproxy-ok     snap works           -> seed waited before snap set, nft loaded, power-off
#   aproxy-fails  snap set fails       -> no nft, still boots the job, power-off
# Exits 0 when the scenario behaved, 1 with a message otherwise.
set -u

script=$1
scenario=$2
box=$(mktemp -d /tmp/ghr-boot-sandbox-XXXXXX)
trap 'rm -rf "$box"' EXIT INT TERM
mkdir -p "$box/bin" "$box/etc" "$box/opt" "$box/home/ubuntu/actions-runner"
calls="$box/calls"
: > "$calls"

# shellcheck source-path=SCRIPTDIR source=sandbox.sh
. "$(dirname "$0")/sandbox.sh"
sandbox_tools sed tr date mkdir chmod cat printf
for s in poweroff shutdown systemctl hostnamectl hostname nft sync; do stub "$s" 0; done
stub chown 0
stub snap 0
stub su 0
printf '#!/bin/sh\necho "1.1.1.1 via 10.0.0.1 dev eth0 src 10.0.0.5 uid 0"\n' > "$box/bin/ip"
chmod +x "$box/bin/ip"
case "$scenario" in
job-fails) stub su 3 ;;
boot-fails) stub chown 1 ;;
aproxy-fails)
	# shellcheck disable=SC2016 # the stub's own $* and $1
	printf '#!/bin/sh\necho "snap $*" >> "%s"\n[ "$1" = set ] && exit 1\nexit 0\n' "$calls" > "$box/bin/snap"
	chmod +x "$box/bin/snap" ;;
esac

sed -e "s#/etc/#$box/etc/#g" -e "s#/opt/ghr#$box/opt/ghr#g" -e "s#/home/ubuntu#$box/home/ubuntu#g" \
	"$script" > "$box/user-data.sh"
env -i PATH="$box/bin" /bin/sh "$box/user-data.sh" > "$box/out" 2>&1
rc=$?

fail() { echo "$scenario: $*"; sed 's/^/  calls: /' "$calls"; sed 's/^/  out: /' "$box/out"; exit 1; }
metrics="$box/home/ubuntu/github-runner-metrics/post-job-metrics.json"
offs=$(grep -c '^poweroff' "$calls")
[ "$offs" -eq 1 ] || fail "powered off $offs times, want exactly 1"
[ -f "$metrics" ] || fail "no post-job metrics"
has() { grep -q "$1" "$2" || fail "$2 lacks $1"; }
lacks() { ! grep -q "$1" "$2" || fail "$2 has $1"; }
case "$scenario" in
job-ok)
	[ "$rc" -eq 0 ] || fail "exit $rc"
	has '"status": "normal"' "$metrics"; has '"stage": "job"' "$metrics"; has '^su ' "$calls" ;;
job-fails)
	[ "$rc" -eq 3 ] || fail "exit $rc"
	has '"status": "abnormal"' "$metrics"; has '"code": 3' "$metrics" ;;
boot-fails)
	[ "$rc" -ne 0 ] || fail "exit 0"
	has '"status": "abnormal"' "$metrics"; has '"stage": "boot"' "$metrics"; lacks '^su ' "$calls" ;;
aproxy-ok)
	has '^nft -f' "$calls"
	w=$(grep -n '^snap wait system seed.loaded' "$calls" | cut -d: -f1)
	s=$(grep -n '^snap set aproxy' "$calls" | cut -d: -f1)
	if [ -z "$w" ] || [ -z "$s" ] || [ "$w" -ge "$s" ]; then
		fail "snap set before the seed was waited for"
	fi
	for r in 127.0.0.0/8 169.254.0.0/16 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16; do
		has "$r" "$box/etc/nftables.conf"
	done ;;
aproxy-fails)
	lacks '^nft' "$calls"; has '^su ' "$calls"; has 'nft redirection NOT loaded' "$box/out" ;;
*) fail "unknown scenario" ;;
esac
echo "$scenario: ok"
