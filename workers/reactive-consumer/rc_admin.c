/* The control methods (ghr-ctl jobs …), each run on the store thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jobstore.h"
#include "common/offload.h"
#include "common/util.h"
#include "workers/reactive-consumer/rc.h"

#define RECENT_DEAD 10
#define ADMIN_LEASE_MS 30000

struct admin {
	struct rc *rc;
	struct wreq *req;
	int64_t id, now;
	json_t *out;
	char err[256];
	void (*run)(struct js *js, struct admin *a);
};

static void run_admin(void *ctx, void *arg)
{
	struct admin *a = arg;
	a->run(ctx, a);
}

static void admin_done(void *arg)
{
	struct admin *a = arg;
	if (a->out)
		worker_reply_ok(a->req, a->out);
	else
		worker_reply_err(a->req, strncmp(a->err, "no ", 3) == 0 ? PROTO_E_NOT_FOUND : PROTO_E_UNAVAILABLE, 0,
		                 "%s", a->err);
	free(a);
}

static void start(struct wreq *req, void (*run)(struct js *, struct admin *))
{
	struct rc *rc = rc_get(req->w);
	struct admin *a = calloc(1, sizeof(*a));
	if (!a || !rc || !rc->off) {
		free(a);
		worker_reply_err(req, PROTO_E_UNAVAILABLE, 0, "the job store is not open");
		return;
	}
	a->rc = rc;
	a->req = req;
	a->run = run;
	a->now = wall_ms();
	a->id = json_integer_value(json_object_get(req->body, "id"));
	if (offload_submit(rc->off, run_admin, admin_done, a) != 0) {
		free(a);
		worker_reply_err(req, PROTO_E_UNAVAILABLE, 0, "cannot queue store work");
	}
}

/* ---- reactive.jobs ---------------------------------------------------------------------- */

static void count(json_t *counts, const char *status, const char *pool)
{
	size_t i;
	json_t *row;
	json_array_foreach(counts, i, row)
		if (!strcmp(json_string_value(json_object_get(row, "status")), status)
		    && !strcmp(json_string_value(json_object_get(row, "pool")), pool)) {
			json_object_set_new(row, "count", json_integer(json_integer_value(json_object_get(row, "count")) + 1));
			return;
		}
	json_array_append_new(counts, json_pack("{s:s, s:s, s:i}", "status", status, "pool", pool, "count", 1));
}

static void run_jobs(struct js *js, struct admin *a)
{
	json_t *live = js_find(js, "jobs", NULL, NULL, 0, a->err, sizeof(a->err));
	json_t *dead_filter = json_pack("{s:s}", "status", "dead");
	json_t *dead = live ? js_find(js, "finished", dead_filter, "finished_at", RECENT_DEAD, a->err, sizeof(a->err))
	                    : NULL;
	json_decref(dead_filter);
	if (live && dead) {
		json_t *counts = json_array();
		int64_t oldest = 0;
		size_t i;
		json_t *doc;
		json_array_foreach(live, i, doc) {
			const char *status = json_string_value(json_object_get(doc, "status")) ?: "?";
			count(counts, status, json_string_value(json_object_get(doc, "pool")) ?: "");
			int64_t q = json_integer_value(json_object_get(doc, "queued_at"));
			if (strcmp(status, "queued") == 0 && q > 0 && (oldest == 0 || q < oldest))
				oldest = q;
		}
		json_t *brief = json_array();
		json_array_foreach(dead, i, doc)
			json_array_append_new(brief, json_pack("{s:O, s:s, s:s, s:s, s:I}", "id", json_object_get(doc, "_id"),
			                      "repo", json_string_value(json_object_get(doc, "repo")) ?: "",
			                      "pool", json_string_value(json_object_get(doc, "pool")) ?: "",
			                      "reason", json_string_value(json_object_get(doc, "reason")) ?: "",
			                      "finished_at", (json_int_t)json_integer_value(json_object_get(doc, "finished_at"))));
		a->out = json_pack("{s:I, s:o, s:I, s:o}", "live", (json_int_t)json_array_size(live), "counts", counts,
		                   "oldest_queued_s", (json_int_t)(oldest ? (a->now - oldest) / 1000 : 0), "dead", brief);
	}
	json_decref(live);
	json_decref(dead);
}

static void h_jobs(struct wreq *req)
{
	start(req, run_jobs);
}

/* ---- reactive.job.show / retry / drop ------------------------------------------------- */

static void run_show(struct js *js, struct admin *a)
{
	json_t *job = js_job_get(js, a->id, a->err, sizeof(a->err));
	json_t *events = job ? js_events(js, a->id, a->err, sizeof(a->err)) : NULL;
	if (job && events)
		a->out = json_pack("{s:O, s:O}", "job", job, "events", events);
	json_decref(job);
	json_decref(events);
}

static void h_show(struct wreq *req)
{
	start(req, run_show);
}

/* A live job is taken at a new attempt (whoever held it loses its lease at once). */
static void run_retry(struct js *js, struct admin *a)
{
	json_t *doc = js_take(js, a->id, "admin", a->now, ADMIN_LEASE_MS, a->err, sizeof(a->err));
	if (!doc) {
		if (strncmp(a->err, "no live job", 11) == 0)
			a->out = js_job_revive(js, a->id, a->now, a->err, sizeof(a->err));
		if (a->out)
			a->out = json_pack("{s:o}", "job", a->out);
		return;
	}
	json_t *set = json_pack("{s:s, s:I, s:I, s:s, s:I, s:I}", "status", "queued", "not_before", (json_int_t)0,
	                        "spawns", (json_int_t)0, "lease_owner", "", "lease_until", (json_int_t)0,
	                        "spawned_at", (json_int_t)0);
	js_history_add(doc, a->now, "retried", "by an administrator");
	json_object_set(set, "history", json_object_get(doc, "history"));
	int64_t attempt = json_integer_value(json_object_get(doc, "attempt"));
	if (js_job_set(js, a->id, attempt, set, a->err, sizeof(a->err)) == 0) {
		json_object_update(doc, set);
		a->out = json_pack("{s:O}", "job", doc);
	}
	json_decref(set);
	json_decref(doc);
}

static void h_retry(struct wreq *req)
{
	start(req, run_retry);
}

static void run_drop(struct js *js, struct admin *a)
{
	json_t *doc = js_take(js, a->id, "admin", a->now, ADMIN_LEASE_MS, a->err, sizeof(a->err));
	if (!doc)
		return;
	json_object_set_new(doc, "status", json_string("dead"));
	json_object_set_new(doc, "reason", json_string("dropped by an administrator"));
	json_object_set_new(doc, "finished_at", json_integer(a->now));
	js_history_add(doc, a->now, "dead", "dropped by an administrator");
	json_t *docs = json_pack("[O]", doc);
	if (js_jobs_finish(js, docs, a->err, sizeof(a->err)) >= 0)
		a->out = json_pack("{s:O}", "job", doc);
	json_decref(docs);
	json_decref(doc);
}

static void h_drop(struct wreq *req)
{
	start(req, run_drop);
}

static void h_kombu(struct wreq *req)
{
	const char *db = json_string_value(json_object_get(req->body, "database"));
	if (rc_kombu_start(rc_get(req->w), req, db ? db : "", json_integer_value(json_object_get(req->body, "limit"))) != 0)
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "database: a name of at most 63 characters, "
		                 "and the job store must be open");
}

const struct worker_method rc_methods[] = {
	{ "reactive.jobs", h_jobs },
	{ "reactive.job.show", h_show },
	{ "reactive.job.retry", h_retry },
	{ "reactive.job.drop", h_drop },
	{ "reactive.kombu.import", h_kombu },
	{ NULL, NULL },
};
