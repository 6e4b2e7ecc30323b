#!/bin/sh
# Checks of what ghr ships for monitoring: the alerting rules load (promtool check rules)
# and fire as intended (promtool test rules), and every query of the Grafana dashboard
# is valid PromQL (each is loaded by promtool as a recording rule).  That every metric
# they name is one ghr really exports is checked against a live /metrics by the
# integration test test_metrics_worker.
# Prints one line per check and `monitoring: N passed, N failed`; exits 1 on any failure.
set -u

here=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/ghr-check-monitoring-XXXXXX)
trap 'rm -rf "$out"' EXIT INT TERM
# shellcheck source=tests/scripts/check_lib.sh
. "$here/tests/scripts/check_lib.sh"

if ! command -v promtool >/dev/null 2>&1; then
	echo "FAIL promtool is not installed (make deps: Debian package prometheus)"
	echo "monitoring: 0 passed, 1 failed"
	exit 1
fi

check "promtool check rules etc/prometheus/ghr-rules.yaml" promtool check rules "$here/etc/prometheus/ghr-rules.yaml"
check "promtool test rules (the alerts fire, and only when they should)" \
	sh -c "cd '$here/tests/monitoring' && promtool test rules ghr-rules.test.yaml"
check "etc/grafana/ghr.json: every query is PromQL" sh -c \
	"python3 '$here/tests/scripts/dashboard_queries.py' rules '$here/etc/grafana/ghr.json' > '$out/dash.yaml' \
	 && promtool check rules '$out/dash.yaml'"

echo "monitoring: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
