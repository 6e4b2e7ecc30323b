#!/bin/sh
# ghr pre-job hook: run by the GitHub runner before each job (ACTIONS_RUNNER_HOOK_JOB_STARTED),
# as the runner user, with the job's GITHUB_* variables and the runner's .env.
#   1. writes the pre-job metrics JSON the events log is built from,
#   2. refuses jobs of pull requests from outside the organisation when
#      GHR_ALLOW_EXTERNAL_CONTRIBUTOR is false,
#   3. runs the operator's own script, if any.
# A non-zero exit fails the job before any of its steps run.
set -eu

metrics_dir="${GHR_METRICS_DIR:-$HOME/github-runner-metrics}"

# JSON string escaping for values taken from the job's environment.
json_str() {
	printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\000-\037')"
}

mkdir -p "$metrics_dir"
{
	printf '{"timestamp": %s' "$(date +%s)"
	printf ', "workflow": %s' "$(json_str "${GITHUB_WORKFLOW:-}")"
	printf ', "workflow_run_id": %s' "$(json_str "${GITHUB_RUN_ID:-}")"
	printf ', "repository": %s' "$(json_str "${GITHUB_REPOSITORY:-}")"
	printf ', "event": %s}\n' "$(json_str "${GITHUB_EVENT_NAME:-}")"
} > "$metrics_dir/pre-job-metrics.json.tmp"
mv "$metrics_dir/pre-job-metrics.json.tmp" "$metrics_dir/pre-job-metrics.json"

# External contributors: for pull_request events, the author must be an owner, member
# or collaborator.  The event payload is GitHub's JSON; a plain match on the one field
# avoids needing jq in the image.
if [ "${GHR_ALLOW_EXTERNAL_CONTRIBUTOR:-true}" = false ]; then
	case "${GITHUB_EVENT_NAME:-}" in
	pull_request | pull_request_target | pull_request_review | pull_request_review_comment)
		assoc=""
		if [ -r "${GITHUB_EVENT_PATH:-}" ]; then
			assoc=$(tr -d '\n' < "$GITHUB_EVENT_PATH" |
				sed -n 's/.*"author_association"[[:space:]]*:[[:space:]]*"\([A-Z_]*\)".*/\1/p' | head -n 1)
		fi
		case "$assoc" in
		OWNER | MEMBER | COLLABORATOR) ;;
		*)
			echo "ghr: jobs from external contributors are not allowed on this runner (author association: ${assoc:-unknown})" >&2
			printf '{"timestamp": %s, "status": "repo-policy-check-failure"}\n' "$(date +%s)" \
				> "$metrics_dir/pre-job-check.json"
			exit 1
			;;
		esac
		;;
	esac
fi

if [ -n "${GHR_OPERATOR_PRE_JOB:-}" ] && [ -x "$GHR_OPERATOR_PRE_JOB" ]; then
	"$GHR_OPERATOR_PRE_JOB"
fi
