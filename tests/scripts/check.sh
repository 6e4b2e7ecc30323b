#!/bin/sh
# Static checks of the shell that ghr ships: the runner boot script as rendered with
# several hostile configurations (by the unit runner's sc_userdata_samples suite), and
# every scripts/*.sh, through `sh -n` and `shellcheck -s sh`; and the boot script's
# endings, run in a sandbox (tests/scripts/boot_sandbox.sh).
# Prints one line per check and a closing `scripts: N passed, N failed`; exits 1 on any
# failure.
set -u

here=$(cd "$(dirname "$0")/../.." && pwd)
build=${GHR_BUILD:-$here/build}
out=$(mktemp -d /tmp/ghr-check-scripts-XXXXXX)
trap 'rm -rf "$out"' EXIT INT TERM
# shellcheck source=tests/scripts/check_lib.sh
. "$here/tests/scripts/check_lib.sh"

if ! command -v shellcheck >/dev/null 2>&1; then
	echo "FAIL shellcheck is not installed (make deps)"
	echo "scripts: 0 passed, 1 failed"
	exit 1
fi

check "render hostile user-data samples" env GHR_SRCDIR="$here" GHR_USERDATA_OUT="$out" \
	"$build/tests/unit" sc_userdata_samples
for f in "$out"/user-data-*.sh; do
	[ -e "$f" ] || { failed=$((failed + 1)); echo "FAIL no rendered samples"; break; }
	name=$(basename "$f")
	check "sh -n $name" sh -n "$f"
	check "shellcheck $name" shellcheck -s sh "$f"
done
# How the boot script ends, run in a sandbox with stubbed system commands: it powers the
# VM off exactly once whether run.sh succeeds, fails, or a step before it fails, and
# redirects to aproxy only once aproxy is configured.
for sc in job-ok job-fails boot-fails; do
	check "boot sandbox defaults $sc" sh "$here/tests/scripts/boot_sandbox.sh" "$out/user-data-defaults.sh" "$sc"
done
for sc in aproxy-ok aproxy-fails; do
	check "boot sandbox aproxy $sc" sh "$here/tests/scripts/boot_sandbox.sh" "$out/user-data-aproxy.sh" "$sc"
done
check "shellcheck tests/scripts/boot_sandbox.sh" shellcheck -x -s sh "$here/tests/scripts/boot_sandbox.sh"
# The image builder's script: rendered samples through sh -n and shellcheck, then run in
# a sandbox with stubbed commands (tests/scripts/builder_sandbox.sh).
check "render builder script samples" env GHR_SRCDIR="$here" GHR_USERDATA_OUT="$out" \
	"$build/tests/unit" ib_script_samples
for f in "$out"/builder-data-*.sh; do
	[ -e "$f" ] || { failed=$((failed + 1)); echo "FAIL no rendered builder samples"; break; }
	check "sh -n $(basename "$f")" sh -n "$f"
	check "shellcheck $(basename "$f")" shellcheck -s sh "$f"
done
for sc in ok checksum-mismatch apt-fails; do
	check "builder sandbox defaults $sc" sh "$here/tests/scripts/builder_sandbox.sh" "$out/builder-data-defaults.sh" "$sc"
done
check "builder sandbox aproxy" sh "$here/tests/scripts/builder_sandbox.sh" "$out/builder-data-aproxy.sh" aproxy
check "shellcheck tests/scripts/builder_sandbox.sh" shellcheck -x -s sh "$here/tests/scripts/builder_sandbox.sh"
check "shellcheck tests/scripts/sandbox.sh" shellcheck -s sh "$here/tests/scripts/sandbox.sh"
check "shellcheck tests/scripts/monitoring_check.sh" shellcheck -s sh -x "$here/tests/scripts/monitoring_check.sh"
for f in "$here"/scripts/*.sh; do
	check "sh -n scripts/$(basename "$f")" sh -n "$f"
	check "shellcheck scripts/$(basename "$f")" shellcheck -s sh "$f"
done

# A clone must pass on its own: no test, script or Makefile rule reads data from beside
# the repository (the recorded API replies live in tests/fixtures/api).
stays_inside() {
	! grep -rnE '\.\./shared|shared/api' "$here/Makefile" "$here/scripts" "$here/tests" \
		--exclude-dir=fixtures --exclude=check.sh
}
check "no test reads outside the repository" stays_inside

echo "scripts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
