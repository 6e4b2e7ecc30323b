# Shared by the check scripts (sourced): `check WHAT COMMAND...` runs one check, prints
# `ok   WHAT` or `FAIL WHAT` with the command's output indented, and counts it in
# $passed / $failed.
# shellcheck shell=sh
passed=0
failed=0

check() {
	what=$1
	shift
	if log=$("$@" 2>&1); then
		passed=$((passed + 1))
		echo "ok   $what"
	else
		failed=$((failed + 1))
		echo "FAIL $what"
		printf '%s\n' "$log" | sed 's/^/     /'
	fi
}
