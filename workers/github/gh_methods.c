/* The github.* handlers other than the runner list (gh_list.c) and the JIT registration
 * (gh_jit.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "workers/github/gh.h"

static struct gh *gh_of(const struct wreq *req)
{
	return worker_data(req->w);
}

/* ---- github.runner.delete --------------------------------------------------------- */

static void on_delete(struct gh *g, const struct gh_result *r, void *arg)
{
	struct wreq *req = arg;
	int64_t id = json_integer_value(json_object_get(req->body, "id"));
	if (r->err == PROTO_OK) {
		log_info("runner deleted", "id=%lld", (long long)id);
		worker_reply_ok(req, NULL);
	} else if (r->err == PROTO_E_NOT_FOUND && r->retries > 0) {
		/* An earlier attempt ended in a 5xx or a reset, but GitHub may have deleted the
		 * runner before its reply was lost: gone is what was asked for. */
		log_info("runner deleted", "id=%lld retries=%u note=%s", (long long)id, r->retries,
		         log_q("404 on a retry: an earlier attempt deleted it"));
		worker_reply_ok(req, NULL);
	} else if (r->status == 422) {
		/* GitHub refuses to delete a runner that is running a job */
		worker_reply_err(req, PROTO_E_CONFLICT, 0, "runner %lld is busy: %s", (long long)id,
		                 r->message);
	} else if (r->err == PROTO_E_NOT_FOUND) {
		worker_reply_err(req, PROTO_E_NOT_FOUND, 0, "runner %lld does not exist: %s",
		                 (long long)id, r->message);
	} else {
		worker_reply_err(req, r->err, r->retry_after_ms, "%s", r->message);
	}
}

void gh_h_runner_delete(struct wreq *req)
{
	struct gh *g = gh_of(req);
	json_int_t id = json_integer_value(json_object_get(req->body, "id"));
	if (id <= 0) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "id must be a positive runner id");
		return;
	}
	char path[600];
	snprintf(path, sizeof(path), "%s/actions/runners/%lld", g->target.base, (long long)id);
	gh_api_call(g, GH_CALL_DELETE, "DELETE", path, NULL, NULL, req->deadline_ms, on_delete, req);
}

/* ---- github.job.get --------------------------------------------------------------- */

static void on_job(struct gh *g, const struct gh_result *r, void *arg)
{
	struct wreq *req = arg;
	if (r->err != PROTO_OK) {
		worker_reply_err(req, r->err, r->retry_after_ms, "%s", r->message);
		return;
	}
	char err[300];
	json_t *job = gh_parse_job(r->resp->body, r->resp->body_len, err, sizeof(err));
	if (!job) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "GitHub sent invalid JSON for job %lld: %s",
		                 (long long)json_integer_value(json_object_get(req->body, "job_id")), err);
		return;
	}
	worker_reply_ok(req, job);
}

void gh_h_job_get(struct wreq *req)
{
	const char *repo = json_string_value(json_object_get(req->body, "repo"));
	json_int_t id = json_integer_value(json_object_get(req->body, "job_id"));
	if (!gh_repo_name_ok(repo)) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "repo must be owner/name");
		return;
	}
	if (id <= 0) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "job_id must be a positive job id");
		return;
	}
	char path[600];
	snprintf(path, sizeof(path), "/repos/%s/actions/jobs/%lld", repo, (long long)id);
	gh_api_call(gh_of(req), GH_CALL_JOB, "GET", path, NULL, NULL, req->deadline_ms, on_job, req);
}

/* ---- github.runner.downloads ----------------------------------------------------- */

static void on_downloads(struct gh *g, const struct gh_result *r, void *arg)
{
	struct wreq *req = arg;
	if (r->err != PROTO_OK) {
		worker_reply_err(req, r->err, r->retry_after_ms, "%s", r->message);
		return;
	}
	char err[300];
	json_t *out = NULL;
	const char *os = json_string_value(json_object_get(req->body, "os"));
	const char *arch = json_string_value(json_object_get(req->body, "arch"));
	int rc = gh_parse_downloads(r->resp->body, r->resp->body_len, os, arch, &out, err, sizeof(err));
	if (rc == 0)
		worker_reply_ok(req, out);
	else if (rc == 1)
		worker_reply_err(req, PROTO_E_NOT_FOUND, 0, "%s", err);
	else
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "GitHub sent invalid JSON for runner downloads: %s",
		                 err);
}

static int word_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 20)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

void gh_h_downloads(struct wreq *req)
{
	struct gh *g = gh_of(req);
	if (!word_ok(json_string_value(json_object_get(req->body, "os"))) ||
	    !word_ok(json_string_value(json_object_get(req->body, "arch")))) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0,
		                 "os and arch must be lower-case words such as linux and x64");
		return;
	}
	char path[600];
	snprintf(path, sizeof(path), "%s/actions/runners/downloads", g->target.base);
	gh_api_call(g, GH_CALL_DOWNLOADS, "GET", path, NULL, NULL, req->deadline_ms, on_downloads, req);
}

/* ---- github.ratelimit -------------------------------------------------------------- */

static void reply_ratelimit(struct gh *g, struct wreq *req)
{
	int64_t now = wall_ms();
	worker_reply_ok(req, json_pack("{s:o, s:I}", "resources", gh_rl_report(&g->rl, now),
	                               "used_last_hour", (json_int_t)gh_rl_used_last_hour(&g->rl, now)));
}

static void on_rate_limit(struct gh *g, const struct gh_result *r, void *arg)
{
	struct wreq *req = arg;
	if (r->err != PROTO_OK) {
		worker_reply_err(req, r->err, r->retry_after_ms, "%s", r->message);
		return;
	}
	char err[300];
	json_t *res = gh_parse_rate_limit(r->resp->body, r->resp->body_len, err, sizeof(err));
	if (!res) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "GitHub sent invalid JSON for rate_limit: %s", err);
		return;
	}
	if (err[0])
		log_warn("odd entry in GitHub's rate_limit, keeping the rest", "detail=%s", log_q(err));
	gh_rl_merge(&g->rl, res, wall_ms());
	json_decref(res);
	reply_ratelimit(g, req);
}

/* Answers from what the replies told us; asks GET /rate_limit (free) only when no reply
 * has said anything yet. */
void gh_h_ratelimit(struct wreq *req)
{
	struct gh *g = gh_of(req);
	int known = 0;
	for (int i = 0; i < g->rl.n; i++)
		known |= g->rl.res[i].known;
	if (known) {
		reply_ratelimit(g, req);
		return;
	}
	gh_api_call(g, GH_CALL_RATE_LIMIT, "GET", "/rate_limit", NULL, NULL, req->deadline_ms,
	            on_rate_limit, req);
}
