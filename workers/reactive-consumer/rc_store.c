/* The consumer's store operations: each runs on the store thread and reports back on
 * the loop.  A failed call changes nothing locally; the tick tries again later. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jobstore.h"
#include "common/log.h"
#include "common/offload.h"
#include "common/util.h"
#include "workers/reactive-consumer/rc.h"

#define IDLE_CLAIM_MS 1000
#define CLAIM_ROUND 16
#define RETRY_BASE_MS 500
#define RETRY_CAP_MS 15000

struct op {
	struct rc *rc;
	struct rc_job *job;
	int64_t now, attempt, max;
	json_t *in, *out;
	int code;
	char err[256];
	void (*then)(struct rc *, struct rc_job *, int ok);
	void (*owner_cb)(struct rc *, struct rc_job *, const char *runner, int64_t other);
};

static void run_renew(void *ctx, void *arg);

static struct op *op_new(struct rc *rc)
{
	struct op *o = calloc(1, sizeof(*o));
	if (o) {
		o->rc = rc;
		o->now = wall_ms();
	}
	return o;
}

static int submit(struct rc *rc, offload_run_fn run, offload_done_fn done, struct op *o)
{
	/* Renewals go first: a backlog of other work must not let leases run out. */
	int (*queue)(struct offload *, offload_run_fn, offload_done_fn, void *) =
		run == run_renew ? offload_submit_first : offload_submit;
	if (!o || !rc->off || queue(rc->off, run, done, o) != 0) {
		if (o)
			json_decref(o->in);
		free(o);
		return -1;
	}
	return 0;
}

static void op_free(struct op *o)
{
	json_decref(o->in);
	json_decref(o->out);
	free(o);
}

/* A store call failed: say so once, and back off the next claim. */
static void store_failed(struct rc *rc, const char *what, const char *err)
{
	if (rc->store_failures++ == 0)
		log_warn("job store call failed; retrying with backoff", "op=%s error=\"%s\"", what, err);
	rc->next_claim = wall_ms() + backoff_ms(rc->store_failures, RETRY_BASE_MS, RETRY_CAP_MS) + 100;
}

static void store_ok(struct rc *rc)
{
	if (rc->store_failures)
		log_info("job store reachable again", "after_failures=%u", rc->store_failures);
	rc->store_failures = 0;
}

/* ---- claim ------------------------------------------------------------------------------ */

static void run_claim(void *ctx, void *arg)
{
	struct op *o = arg;
	o->out = js_claim(ctx, o->rc->owner, o->now, o->rc->lease_ms, (size_t)o->max, o->err, sizeof(o->err));
}

static void claim_done(void *arg)
{
	struct op *o = arg;
	struct rc *rc = o->rc;
	rc->claiming = 0;
	if (!o->out) {
		store_failed(rc, "claim", o->err);
		op_free(o);
		return;
	}
	store_ok(rc);
	size_t i;
	json_t *doc;
	json_array_foreach(o->out, i, doc) {
		struct rc_job *j = calloc(1, sizeof(*j));
		if (!j || array_reserve((void **)&rc->jobs, &rc->cap, rc->njobs + 1, sizeof(*rc->jobs)) != 0) {
			free(j);   /* the lease runs out and another claimer takes it */
			break;
		}
		j->doc = json_incref(doc);
		j->id = json_integer_value(json_object_get(doc, "_id"));
		j->attempt = json_integer_value(json_object_get(doc, "attempt"));
		j->stage = RC_CHECK;
		j->lease_deadline = o->now + rc->lease_ms - js_lease_margin(rc->lease_ms);
		rc->jobs[rc->njobs++] = j;
		log_info("job claimed", "job_id=%lld attempt=%lld pool=%s", (long long)j->id, (long long)j->attempt,
		         json_string_value(json_object_get(doc, "pool")) ?: "?");
		rc_job_step(rc, j);
	}
	/* A full batch, or jobs stored while this claim was under way: look again at once;
	 * otherwise a little later (jobs requeued, leases run out, other hosts' webhooks). */
	int again = rc->claim_wanted || json_array_size(o->out) >= (size_t)o->max;
	rc->claim_wanted = 0;
	rc->next_claim = again ? 0 : wall_ms() + IDLE_CLAIM_MS;
	op_free(o);
	if (again)
		rc_store_claim_soon(rc);
}

void rc_store_claim_soon(struct rc *rc)
{
	rc->next_claim = 0;
	if (rc->claiming)
		rc->claim_wanted = 1;
	else if (!rc->stopping && (int64_t)rc->njobs < rc->in_flight)
		rc_store_claim(rc);
}

void rc_store_claim(struct rc *rc)
{
	struct op *o = op_new(rc);
	if (!o)
		return;
	o->max = rc->in_flight - (int64_t)rc->njobs;
	/* Small rounds: the first jobs of a burst start while later ones are claimed. */
	if (o->max > CLAIM_ROUND)
		o->max = CLAIM_ROUND;
	if (submit(rc, run_claim, claim_done, o) == 0)
		rc->claiming = 1;
}

/* ---- lease renewal ---------------------------------------------------------------------- */

/* One write for all; only when some were taken over, one per job to find out which. */
static void run_renew(void *ctx, void *arg)
{
	struct op *o = arg;
	o->out = json_array();
	size_t i;
	json_t *row;
	json_t *ids = json_array();
	json_array_foreach(o->in, i, row)
		json_array_append(ids, json_array_get(row, 0));
	int64_t held = js_renew(ctx, o->rc->owner, ids, o->now + o->rc->lease_ms, o->err, sizeof(o->err));
	json_decref(ids);
	if (held < 0 || held == (int64_t)json_array_size(o->in)) {
		json_array_foreach(o->in, i, row)
			json_array_append_new(o->out, json_integer(held < 0 ? -1 : 0));
		return;
	}
	json_t *set = json_pack("{s:I}", "lease_until", (json_int_t)(o->now + o->rc->lease_ms));
	json_array_foreach(o->in, i, row) {
		int code = js_job_set(ctx, json_integer_value(json_array_get(row, 0)),
		                      json_integer_value(json_array_get(row, 1)), set, o->err, sizeof(o->err));
		json_array_append_new(o->out, json_integer(code));
	}
	json_decref(set);
}

static void renew_done(void *arg)
{
	struct op *o = arg;
	struct rc *rc = o->rc;
	rc->renewing = 0;
	size_t i;
	json_t *row;
	json_array_foreach(o->in, i, row) {
		int64_t id = json_integer_value(json_array_get(row, 0)), att = json_integer_value(json_array_get(row, 1));
		int code = (int)json_integer_value(json_array_get(o->out, i));
		for (size_t k = 0; k < rc->njobs; k++) {
			struct rc_job *j = rc->jobs[k];
			if (j->id != id || j->attempt != att || j->gone)
				continue;
			if (code == 0)
				j->lease_deadline = o->now + rc->lease_ms - js_lease_margin(rc->lease_ms);
			else if (code == JS_LOST) {
				log_warn("job taken over by another consumer", "job_id=%lld attempt=%lld",
				         (long long)id, (long long)att);
				j->gone = 1;
			}
		}
	}
	rc->next_renew = o->now + rc->lease_ms / 3;
	op_free(o);
}

void rc_store_renew(struct rc *rc)
{
	struct op *o = op_new(rc);
	if (!o)
		return;
	o->in = json_array();
	for (size_t i = 0; i < rc->njobs; i++)
		if (!rc->jobs[i]->gone)
			json_array_append_new(o->in, json_pack("[I,I]", (json_int_t)rc->jobs[i]->id,
			                                       (json_int_t)rc->jobs[i]->attempt));
	if (submit(rc, run_renew, renew_done, o) == 0)
		rc->renewing = 1;
}

/* ---- webhook marks of watched jobs -------------------------------------------------------- */

/* One lookup by key per watched job (job_marks), not a query on job_events, which
 * grows with every job and which a server without indexes reads whole. */
static void run_events(void *ctx, void *arg)
{
	struct op *o = arg;
	o->out = json_array();
	size_t i;
	json_t *id;
	json_array_foreach(o->in, i, id) {
		json_t *mark = js_mark_find(ctx, json_integer_value(id), o->err, sizeof(o->err));
		if (!mark)
			break;
		const char *what = json_string_value(json_object_get(mark, "what"));
		if (what && strcmp(what, JS_MARK_FINISHED) != 0)
			json_array_append(o->out, mark);
		json_decref(mark);
	}
}

static void events_done(void *arg)
{
	struct op *o = arg;
	struct rc *rc = o->rc;
	rc->checking_events = 0;
	rc->next_events = wall_ms() + 1000;
	size_t i;
	json_t *ev;
	json_array_foreach(o->out, i, ev) {
		int64_t id = json_integer_value(json_object_get(ev, "job_id"));
		for (size_t k = 0; k < rc->njobs; k++)
			if (rc->jobs[k]->id == id && !rc->jobs[k]->gone && !rc->jobs[k]->busy)
				rc_job_picked(rc, rc->jobs[k], json_string_value(json_object_get(ev, "runner_name")));
	}
	op_free(o);
}

void rc_store_events(struct rc *rc)
{
	struct op *o = op_new(rc);
	if (!o)
		return;
	o->in = json_array();
	for (size_t i = 0; i < rc->njobs; i++)
		if (!rc->jobs[i]->gone && rc->jobs[i]->stage == RC_WATCH)
			json_array_append_new(o->in, json_integer(rc->jobs[i]->id));
	if (json_array_size(o->in) == 0) {
		rc->next_events = wall_ms() + 1000;
		op_free(o);
		return;
	}
	if (submit(rc, run_events, events_done, o) == 0)
		rc->checking_events = 1;
}

/* ---- pruning finished jobs ---------------------------------------------------------------- */

static void run_prune(void *ctx, void *arg)
{
	struct op *o = arg;
	o->code = (int)js_prune_finished(ctx, o->now - o->rc->keep_done_ms, o->rc->lease_ms, o->err,
	                                       sizeof(o->err));
}

static void prune_done(void *arg)
{
	struct op *o = arg;
	if (o->code > 0)
		log_info("finished jobs pruned", "count=%d", o->code);
	op_free(o);
}

void rc_store_prune(struct rc *rc)
{
	rc->next_prune = wall_ms() + 600000;
	submit(rc, run_prune, prune_done, op_new(rc));
}

/* ---- writes of one owned job ------------------------------------------------------------ */

static void run_set(void *ctx, void *arg)
{
	struct op *o = arg;
	o->code = js_job_set(ctx, o->job->id, o->attempt, o->in, o->err, sizeof(o->err));
}

static void set_done(void *arg)
{
	struct op *o = arg;
	struct rc_job *j = o->job;
	j->busy = 0;
	if (o->code == JS_LOST) {
		log_warn("job moved on without this consumer", "job_id=%lld attempt=%lld", (long long)j->id,
		         (long long)o->attempt);
		j->gone = 1;
	} else if (o->code < 0)
		store_failed(o->rc, "job write", o->err);
	if (o->then)
		o->then(o->rc, j, o->code == 0);
	op_free(o);
}

void rc_store_set(struct rc *rc, struct rc_job *j, json_t *set,
                  void (*then)(struct rc *, struct rc_job *, int ok))
{
	struct op *o = op_new(rc);
	if (!o) {
		json_decref(set);
		return;
	}
	o->job = j;
	o->attempt = j->attempt;
	o->in = set;
	o->then = then;
	json_object_set(set, "history", json_object_get(j->doc, "history"));
	if (submit(rc, run_set, set_done, o) == 0)
		j->busy = 1;
}

/* Finishing is batched: the jobs that finish while a batch is in the store wait for
 * the next one, which costs the same few writes for all of them. */
#define FINISH_BATCH 100

static void run_finish(void *ctx, void *arg)
{
	struct op *o = arg;
	o->code = js_jobs_finish(ctx, o->in, o->err, sizeof(o->err)) < 0 ? -1 : 0;
}

static void finish_next(struct rc *rc);

static void finish_done(void *arg)
{
	struct op *o = arg;
	struct rc *rc = o->rc;
	rc->finishing = 0;
	for (size_t i = 0; i < rc->njobs; i++) {
		struct rc_job *j = rc->jobs[i];
		if (j->finish != RC_FINISH_SENT)
			continue;
		j->finish = RC_FINISH_NONE;
		j->busy = 0;
		if (o->code == 0)
			j->gone = 1;      /* or someone else finished or took it meanwhile */
		else
			j->next_at = wall_ms() + 1000;
	}
	if (o->code != 0)
		store_failed(rc, "finish", o->err);
	op_free(o);
	finish_next(rc);
}

static void finish_next(struct rc *rc)
{
	if (rc->finishing || rc->stopping)
		return;
	json_t *docs = json_array();
	int64_t now = wall_ms();
	for (size_t i = 0; i < rc->njobs && json_array_size(docs) < FINISH_BATCH; i++) {
		struct rc_job *j = rc->jobs[i];
		if (j->finish != RC_FINISH_WANTED)
			continue;
		if (now > j->lease_deadline) {
			j->finish = RC_FINISH_NONE;       /* no longer ours to write: the next owner finishes it */
			j->busy = 0;
			j->gone = 1;
			continue;
		}
		j->finish = RC_FINISH_SENT;
		json_array_append(docs, j->doc);
	}
	struct op *o = json_array_size(docs) ? op_new(rc) : NULL;
	if (o)
		o->in = docs;
	if (o && submit(rc, run_finish, finish_done, o) == 0) {
		rc->finishing = 1;
		return;
	}
	if (!o)
		json_decref(docs);         /* (submit frees o and docs when it fails) */
	for (size_t i = 0; i < rc->njobs; i++)
		if (rc->jobs[i]->finish == RC_FINISH_SENT) {
			rc->jobs[i]->finish = RC_FINISH_NONE;     /* the tick tries again (stage RC_FINISH) */
			rc->jobs[i]->busy = 0;
			rc->jobs[i]->next_at = now + 1000;
		}
}

void rc_store_finish(struct rc *rc, struct rc_job *j)
{
	j->busy = 1;
	j->finish = RC_FINISH_WANTED;
	finish_next(rc);
}

/* ---- whose runner took a job ----------------------------------------------------------- */

static void run_runner_owner(void *ctx, void *arg)
{
	struct op *o = arg;
	static const char *const colls[] = { "jobs", "finished" };
	json_t *filter = json_pack("{s:O, s:{s:I}}", "runner", o->in, "_id", "$ne", (json_int_t)o->job->id);
	for (size_t i = 0; i < 2 && o->code == 0; i++) {
		json_t *docs = js_find(ctx, colls[i], filter, NULL, 1, o->err, sizeof(o->err));
		if (!docs)
			o->code = -1;      /* not knowing: no replacement, the other job times out */
		else if (json_array_size(docs) > 0)
			o->out = json_incref(json_object_get(json_array_get(docs, 0), "_id"));
		json_decref(docs);
		if (o->out)
			break;
	}
	json_decref(filter);
}

static void runner_owner_done(void *arg)
{
	struct op *o = arg;
	o->job->busy = 0;
	o->owner_cb(o->rc, o->job, json_string_value(o->in), o->out ? json_integer_value(o->out) : 0);
	op_free(o);
}

void rc_store_runner_owner(struct rc *rc, struct rc_job *j, const char *runner,
                           void (*then)(struct rc *, struct rc_job *, const char *runner, int64_t other))
{
	struct op *o = op_new(rc);
	if (!o)
		return;
	o->job = j;
	o->in = json_string(runner);
	o->owner_cb = then;
	if (submit(rc, run_runner_owner, runner_owner_done, o) == 0)
		j->busy = 1;
}
