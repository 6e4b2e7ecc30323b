/* Draining the spool into the job store, in order, a batch at a time, on the store's
 * own thread.  Every write is idempotent (unique keys), so a batch that failed half-way,
 * or was stored just before a crash, is simply written again. */
#include <stdio.h>
#include <string.h>

#include "common/evloop.h"
#include "common/jobstore.h"
#include "common/log.h"
#include "common/offload.h"
#include "common/util.h"
#include "workers/webhook/wh_int.h"

#define BATCH 64
#define RETRY_BASE_MS 500
#define RETRY_CAP_MS 10000

struct batch {
	struct wh *h;
	json_t *records;
	int64_t end;
	int rc;
	char err[256];
};

/* The job document a queued delivery creates (ghr-jobs(7)). */
static json_t *job_doc(const json_t *rec)
{
	const char *dead = json_string_value(json_object_get(rec, "dead_reason"));
	int64_t at = json_integer_value(json_object_get(rec, "received_at"));
	json_t *doc = json_pack("{s:O, s:O, s:O, s:O, s:s, s:I, s:I, s:I, s:I, s:[O], s:[{s:I, s:s, s:s}]}",
	                        "_id", json_object_get(rec, "job_id"), "repo", json_object_get(rec, "repo"),
	                        "labels", json_object_get(rec, "labels"), "run_id", json_object_get(rec, "run_id"),
	                        "status", dead ? "dead" : "queued", "attempt", (json_int_t)0, "spawns", (json_int_t)0,
	                        "not_before", (json_int_t)0, "queued_at", (json_int_t)at,
	                        "deliveries", json_object_get(rec, "delivery"),
	                        "history", "at", (json_int_t)at, "what", dead ? "dead" : "queued",
	                        "why", dead ? dead : "webhook");
	static const char *const copy[] = { "pool", "workflow", "created_at" };
	for (size_t i = 0; doc && i < sizeof(copy) / sizeof(copy[0]); i++)
		if (json_object_get(rec, copy[i]))
			json_object_set(doc, copy[i], json_object_get(rec, copy[i]));
	if (doc && dead) {
		json_object_set_new(doc, "reason", json_string(dead));
		json_object_set_new(doc, "finished_at", json_integer(at));
	}
	return doc;
}

/* A batch in a few round trips of inserts, plus one lookup by key per queued job (the
 * only kind of query that stays cheap on every server as the store grows):
 *   1. every fact into job_events (unordered insert; redeliveries are duplicates), and
 *      the jobs GitHub reported in_progress or completed into job_marks;
 *   2. each queued job's mark: finished (a late or repeated queued: never made live
 *      again), in_progress or completed (out of order: born done, never claimed);
 *   3. the new jobs into jobs, those born finished into finished and job_marks.
 * Records of jobs that fit no reactive pool store nothing: the bus event was enough. */
static int store_batch(struct js *js, const json_t *records, char *err, size_t errlen)
{
	json_t *events = json_array(), *queued = json_array();
	json_t *completed = json_array(), *running = json_array(), *runners[2] = { json_array(), json_array() };
	size_t i;
	json_t *rec;
	json_array_foreach(records, i, rec) {
		if (!json_is_object(rec) || (!json_object_get(rec, "pool") && !json_object_get(rec, "dead_reason")))
			continue;
		const char *action = json_string_value(json_object_get(rec, "action")) ?: "";
		char key[200];
		snprintf(key, sizeof(key), "%lld:%.40s:%.100s", (long long)json_integer_value(json_object_get(rec, "job_id")),
		         action, json_string_value(json_object_get(rec, "delivery")) ?: "");
		json_t *ev = json_deep_copy(rec);
		json_object_del(ev, "labels");
		json_object_set_new(ev, "_id", json_string(key));
		json_object_set(ev, "at", json_object_get(rec, "received_at"));
		json_array_append_new(events, ev);
		if (strcmp(action, "queued") == 0)
			json_array_append(queued, rec);
		else if (strcmp(action, "completed") == 0 || strcmp(action, "in_progress") == 0) {
			json_array_append(*action == 'c' ? completed : running, json_object_get(rec, "job_id"));
			json_array_append_new(runners[*action == 'c'],
			                      json_string(json_string_value(json_object_get(rec, "runner_name")) ?: ""));
		}
	}
	int rc = js_insert_many(js, "job_events", events, err, errlen);
	/* completed first: when both arrived together, the mark says so */
	if (rc == 0)
		rc = js_marks_put(js, completed, runners[1], "completed", wall_ms(), err, errlen);
	if (rc == 0)
		rc = js_marks_put(js, running, runners[0], "in_progress", wall_ms(), err, errlen);
	json_t *live = json_array(), *born_finished = json_array(), *finished_ids = json_array();
	json_array_foreach(queued, i, rec) {
		if (rc != 0)
			break;
		int64_t id = json_integer_value(json_object_get(rec, "job_id"));
		char mark[16];
		/* A job for no pool goes to finished whatever its mark (a duplicate if there). */
		int marked = json_object_get(rec, "pool") ? js_mark_get(js, id, mark, sizeof(mark), err, errlen) : 0;
		if (marked < 0)
			rc = -1;
		if (marked < 0 || (marked && strcmp(mark, JS_MARK_FINISHED) == 0))
			continue;           /* a late or repeated queued: never made live again */
		json_t *doc = job_doc(rec);
		if (doc && marked && json_object_get(rec, "pool")) {
			char why[96];
			int64_t at = json_integer_value(json_object_get(doc, "queued_at"));
			snprintf(why, sizeof(why), "GitHub reported it %s before its queued delivery arrived", mark);
			json_object_set_new(doc, "status", json_string("done"));
			json_object_set_new(doc, "reason", json_string(why));
			json_object_set_new(doc, "finished_at", json_integer(at));
			js_history_add(doc, at, "done", why);
		}
		if (doc && json_object_get(doc, "finished_at"))
			json_array_append(finished_ids, json_object_get(doc, "_id"));
		if (doc)
			json_array_append_new(json_object_get(doc, "finished_at") ? born_finished : live, doc);
	}
	if (rc == 0)
		rc = js_insert_many(js, "jobs", live, err, errlen);
	if (rc == 0)
		rc = js_insert_many(js, "finished", born_finished, err, errlen);
	if (rc == 0)
		rc = js_marks_put(js, finished_ids, NULL, JS_MARK_FINISHED, wall_ms(), err, errlen);
	json_decref(events);
	json_decref(completed);
	json_decref(running);
	json_decref(runners[0]);
	json_decref(runners[1]);
	json_decref(queued);
	json_decref(live);
	json_decref(born_finished);
	json_decref(finished_ids);
	return rc;
}

static void run_batch(void *ctx, void *arg)
{
	struct batch *b = arg;
	struct js *js = ctx;
	if (!b->h->schema_ok && js_ensure_schema(js, b->err, sizeof(b->err)) != 0) {
		b->rc = -1;
		return;
	}
	b->rc = store_batch(js, b->records, b->err, sizeof(b->err));
}

static void on_retry(struct ev_loop *loop, int64_t id, void *arg)
{
	struct wh *h = arg;
	h->retry_timer = 0;
	wh_drain_kick(h);
}

static void batch_done(void *arg)
{
	struct batch *b = arg;
	struct wh *h = b->h;
	h->draining = 0;
	if (b->rc == 0) {
		char err[256];
		if (!h->store_up)
			log_info("job store reachable", "spooled=%zu", wh_spool_pending(h->spool));
		h->schema_ok = h->store_up = 1;
		h->drain_failures = 0;
		if (wh_spool_drained(h->spool, b->end, json_array_size(b->records), err, sizeof(err)) != 0)
			log_error("spool", "error=\"%s\"", err);
		/* Consumers claim at once instead of at their next look. */
		if (json_array_size(b->records) > 0)
			worker_emit(h->w, "webhook.stored", json_pack("{s:I}", "count", (json_int_t)json_array_size(b->records)));
		if (wh_spool_pending(h->spool) > 0)
			wh_drain_kick(h);
	} else {
		if (h->store_up || h->drain_failures == 0)
			log_warn("job store unreachable; deliveries stay spooled", "error=\"%s\" spooled=%zu",
			         b->err, wh_spool_pending(h->spool));
		snprintf(h->store_error, sizeof(h->store_error), "%s", b->err);
		h->store_up = 0;
		h->drain_failures++;
		if (!h->retry_timer)
			h->retry_timer = ev_timer_add(worker_loop(h->w),
			                              backoff_ms(h->drain_failures, RETRY_BASE_MS, RETRY_CAP_MS) + 100,
			                              on_retry, h);
	}
	json_decref(b->records);
	free(b);
}

void wh_drain_kick(struct wh *h)
{
	if (h->draining || h->retry_timer || !h->off)
		return;
	if (wh_spool_pending(h->spool) == 0 && h->schema_ok)
		return;
	struct batch *b = calloc(1, sizeof(*b));
	char err[256];
	if (!b)
		return;
	b->h = h;
	b->records = wh_spool_peek(h->spool, BATCH, &b->end, err, sizeof(err));
	if (!b->records || offload_submit(h->off, run_batch, batch_done, b) != 0) {
		log_error("spool", "error=\"%s\"", b->records ? "cannot queue store work" : err);
		json_decref(b->records);
		free(b);
		return;
	}
	h->draining = 1;
}

int wh_store_up(const struct wh *h)
{
	return h->store_up;
}
