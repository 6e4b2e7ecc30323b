/* One held job's steps:
 *   check   github.job.get: gone (404), in_progress or completed → done; queued → spawn
 *   spawn   scaler.spawn {pool, job_id}; unavailable (pool full, backing off) → retry later
 *   watch   until picked up (webhook facts first, github.job.get every poll_interval);
 *           not picked up within pickup_timeout, or its runner failed (the scaler's
 *           scaler.runner.failed) → requeue with backoff, or dead after max_attempts spawns
 * Every write goes through the store with the attempt this consumer owns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jobstore.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/reactive-consumer/rc.h"

#define CALL_TIMEOUT_MS 15000
#define SPAWN_TIMEOUT_MS 60000
#define RETRY_MS 2000
#define REQUEUE_CAP_MS 3600000
#define FAILED_MAX 20000

static int64_t num(const json_t *doc, const char *key)
{
	return json_integer_value(json_object_get(doc, key));
}

static const char *str(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key)) ?: "";
}

void rc_job_finish(struct rc *rc, struct rc_job *j, const char *status, const char *why)
{
	json_object_set_new(j->doc, "status", json_string(status));
	json_object_set_new(j->doc, "reason", json_string(why));
	json_object_set_new(j->doc, "finished_at", json_integer(wall_ms()));
	json_object_set_new(j->doc, "lease_until", json_integer(0));
	js_history_add(j->doc, wall_ms(), status, why);
	log_info(strcmp(status, "dead") == 0 ? "job dead" : "job done", "job_id=%lld reason=\"%s\"",
	         (long long)j->id, why);
	j->stage = RC_FINISH;
	rc_store_finish(rc, j);
}

static void replaced(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct rc_job *j = arg;
	struct rc *rc = rc_get(w);
	j->busy = 0;
	if (!rc || j->gone)
		return;
	char why[300];
	if (res->ok) {
		log_info("runner spawned for job", "job_id=%lld attempt=%lld runner=%s spawns=1", (long long)j->id,
		         (long long)j->attempt, str(res->body, "name"));
		snprintf(why, sizeof(why), "picked up by a runner spawned for another job; %.64s spawned in its place",
		         str(res->body, "name"));
	} else
		snprintf(why, sizeof(why), "picked up by a runner spawned for another job (no replacement: %.120s)",
		         res->message ? res->message : "refused");
	rc_job_finish(rc, j, "done", why);
}

/* A job picked up before any runner was spawned for it took a runner spawned for another
 * job (other: that job, or -1 when only known to be some job's: in a pool without
 * min_idle every runner is), which is now left without one: spawn one in its place, so
 * that every queued job still brings exactly one runner (instead of the other job
 * waiting for pickup_timeout).  A job taken by a min_idle runner needs nothing: the
 * reconcile replaces that one. */
static void borrowed(struct rc *rc, struct rc_job *j, const char *runner, int64_t other)
{
	if (other == 0) {
		char why[200];
		snprintf(why, sizeof(why), "picked up by %.120s", runner && *runner ? runner : "a runner");
		rc_job_finish(rc, j, "done", why);
		return;
	}
	json_t *body = json_pack("{s:s, s:I}", "pool", str(j->doc, "pool"), "job_id", (json_int_t)j->id);
	if (worker_call(rc->w, "scaler.spawn", body, SPAWN_TIMEOUT_MS, replaced, j) == 0)
		j->busy = 1;
}

/* Is runner one of the job's pool ("<manager>-<pool>-<8 hex>") in a pool without
 * min_idle, where every runner was spawned for some job? */
static int spawned_for_a_job(const struct rc *rc, const struct rc_job *j, const char *runner)
{
	const char *pool = str(j->doc, "pool");
	size_t i;
	const json_t *p;
	json_array_foreach(rc->pools, i, p) {
		if (strcmp(str(p, "name"), pool) != 0 || num(p, "min_idle") != 0)
			continue;
		char mid[64];
		snprintf(mid, sizeof(mid), "-%s-", pool);
		const char *at = strstr(runner, mid);
		return at && strlen(at + strlen(mid)) == 8;
	}
	return 0;
}

void rc_job_picked(struct rc *rc, struct rc_job *j, const char *runner)
{
	if (num(j->doc, "spawns") != 0 || !runner || !*runner)
		borrowed(rc, j, runner, 0);
	else if (spawned_for_a_job(rc, j, runner))
		borrowed(rc, j, runner, -1 /* some job of the pool: which one does not matter */);
	else
		rc_store_runner_owner(rc, j, runner, borrowed);   /* the store knows, if recorded yet */
}

static void requeued(struct rc *rc, struct rc_job *j, int ok)
{
	if (ok)
		j->gone = 1;
	else
		j->next_at = wall_ms() + RETRY_MS;
}

static void requeue_or_dead(struct rc *rc, struct rc_job *j, const char *why)
{
	int64_t spawns = num(j->doc, "spawns");
	if (spawns >= rc->max_attempts) {
		char dead[300];
		snprintf(dead, sizeof(dead), "%s; %lld runners spawned, max_attempts %lld reached", why,
		         (long long)spawns, (long long)rc->max_attempts);
		rc_job_finish(rc, j, "dead", dead);
		return;
	}
	int64_t delay = rc->backoff_ms;
	for (int64_t i = 1; i < spawns && delay < REQUEUE_CAP_MS; i++)
		delay *= 2;
	if (delay > REQUEUE_CAP_MS)
		delay = REQUEUE_CAP_MS;
	int64_t now = wall_ms();
	json_object_set_new(j->doc, "status", json_string("queued"));
	json_object_set_new(j->doc, "not_before", json_integer(now + delay));
	json_object_set_new(j->doc, "lease_owner", json_string(""));
	json_object_set_new(j->doc, "lease_until", json_integer(0));
	json_object_set_new(j->doc, "spawned_at", json_integer(0));
	js_history_add(j->doc, wall_ms(), "requeued", why);
	log_info("job requeued", "job_id=%lld delay_ms=%lld reason=\"%s\"", (long long)j->id, (long long)delay, why);
	rc_store_set(rc, j, json_pack("{s:s, s:I, s:s, s:I, s:I}", "status", "queued", "not_before",
	                              (json_int_t)(now + delay), "lease_owner", "", "lease_until", (json_int_t)0,
	                              "spawned_at", (json_int_t)0),
	             requeued);
}

/* github.job.get's answer: 1 when the job no longer waits for a runner (finished). */
static int settle(struct rc *rc, struct rc_job *j, const struct wcall_result *res)
{
	if (!res->ok && res->error == PROTO_E_NOT_FOUND) {
		rc_job_finish(rc, j, "done", "GitHub no longer knows the job (404)");
		return 1;
	}
	if (!res->ok)
		return 0;
	const char *status = str(res->body, "status");
	if (strcmp(status, "in_progress") == 0 || strcmp(status, "completed") == 0) {
		rc_job_picked(rc, j, str(res->body, "runner_name"));
		return 1;
	}
	return 0;
}

static void watched(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct rc_job *j = arg;
	struct rc *rc = rc_get(w);
	j->busy = 0;
	if (j->gone || !rc || settle(rc, j, res))
		return;
	j->next_poll = wall_ms() + rc->poll_ms;
}

/* The runner exists whether or not the store took the news: watch it either way, and
 * write again until the store has it (or the lease is gone). */
static void spawned_written(struct rc *rc, struct rc_job *j, int ok)
{
	if (ok) {
		json_decref(j->unsaved);
		j->unsaved = NULL;
	} else
		j->next_at = wall_ms() + RETRY_MS;
}

static void save_spawn(struct rc *rc, struct rc_job *j)
{
	rc_store_set(rc, j, json_deep_copy(j->unsaved), spawned_written);
}

static void spawned(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct rc_job *j = arg;
	struct rc *rc = rc_get(w);
	j->busy = 0;
	if (j->gone || !rc)
		return;
	if (!res->ok) {
		int64_t delay = backoff_ms(++j->spawn_retries, RETRY_MS, 30000);
		if (res->retry_after_ms > delay)
			delay = res->retry_after_ms;
		if (j->spawn_retries == 1 || j->spawn_retries % 10 == 0)
			log_info("spawn refused; retrying", "job_id=%lld pool=%s error=\"%s\" retry_ms=%lld",
			         (long long)j->id, str(j->doc, "pool"), res->message ? res->message : "",
			         (long long)delay);
		j->next_at = wall_ms() + delay;
		return;
	}
	const char *name = str(res->body, "name");
	int64_t now = wall_ms(), spawns = num(j->doc, "spawns") + 1;
	json_object_set_new(j->doc, "status", json_string("spawned"));
	json_object_set_new(j->doc, "runner", json_string(name));
	json_object_set_new(j->doc, "spawns", json_integer(spawns));
	json_object_set_new(j->doc, "spawned_at", json_integer(now));
	js_history_add(j->doc, wall_ms(), "spawned", name);
	log_info("runner spawned for job", "job_id=%lld attempt=%lld runner=%s spawns=%lld", (long long)j->id,
	         (long long)j->attempt, name, (long long)spawns);
	j->stage = RC_WATCH;
	j->next_poll = now + rc->poll_ms;
	j->unsaved = json_pack("{s:s, s:s, s:I, s:I}", "status", "spawned", "runner", name,
	                       "spawns", (json_int_t)spawns, "spawned_at", (json_int_t)now);
	save_spawn(rc, j);
}

static void checked(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct rc_job *j = arg;
	struct rc *rc = rc_get(w);
	j->busy = 0;
	if (j->gone || !rc || settle(rc, j, res))
		return;
	if (!res->ok) {
		j->next_at = wall_ms() + RETRY_MS;
		return;
	}
	if (strcmp(str(res->body, "status"), "queued") != 0) {
		j->next_at = wall_ms() + rc->poll_ms;   /* waiting for approval and the like */
		return;
	}
	j->stage = RC_SPAWN;
	rc_job_step(rc, j);
}

static void ask_github(struct rc *rc, struct rc_job *j, worker_call_cb cb)
{
	json_t *body = json_pack("{s:s, s:I}", "repo", str(j->doc, "repo"), "job_id", (json_int_t)j->id);
	if (worker_call(rc->w, "github.job.get", body, CALL_TIMEOUT_MS, cb, j) == 0)
		j->busy = 1;
}

void rc_job_step(struct rc *rc, struct rc_job *j)
{
	char key[32];
	snprintf(key, sizeof(key), "%lld", (long long)j->id);
	json_t *picked = json_object_get(rc->picked, key);
	if (picked && j->stage != RC_FINISH) {
		rc_job_picked(rc, j, json_string_value(picked));
		return;
	}
	switch (j->stage) {
	case RC_CHECK:
		/* Claimed back from a consumer that had spawned its runner: watch, not spawn. */
		if (strcmp(str(j->doc, "status"), "claimed") == 0 && num(j->doc, "spawned_at") > 0
		    && wall_ms() - num(j->doc, "spawned_at") < rc->pickup_ms) {
			j->stage = RC_WATCH;
			j->next_poll = 0;
			rc_job_step(rc, j);
			return;
		}
		ask_github(rc, j, checked);
		break;
	case RC_SPAWN: {
		if (num(j->doc, "spawns") >= rc->max_attempts) {
			requeue_or_dead(rc, j, "no runner picked it up");
			return;
		}
		json_t *body = json_pack("{s:s, s:I}", "pool", str(j->doc, "pool"), "job_id", (json_int_t)j->id);
		if (worker_call(rc->w, "scaler.spawn", body, SPAWN_TIMEOUT_MS, spawned, j) == 0)
			j->busy = 1;
		break;
	}
	case RC_WATCH: {
		const char *failed = json_string_value(json_object_get(rc->failed, str(j->doc, "runner")));
		if (j->unsaved)
			save_spawn(rc, j);
		else if (failed) {
			char why[300];
			snprintf(why, sizeof(why), "runner %.100s failed: %.160s", str(j->doc, "runner"), failed);
			requeue_or_dead(rc, j, why);
		} else if (wall_ms() - num(j->doc, "spawned_at") > rc->pickup_ms) {
			char why[200];
			snprintf(why, sizeof(why), "runner %.100s did not pick it up within pickup_timeout",
			         str(j->doc, "runner"));
			requeue_or_dead(rc, j, why);
		} else if (wall_ms() >= j->next_poll)
			ask_github(rc, j, watched);
		break;
	}
	case RC_FINISH:
		rc_store_finish(rc, j);
		break;
	}
}

void rc_runner_failed(struct rc *rc, const json_t *body)
{
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *reason = json_string_value(json_object_get(body, "reason"));
	if (!name || !*name)
		return;
	if (json_object_size(rc->failed) >= FAILED_MAX)
		json_object_clear(rc->failed);
	json_object_set_new(rc->failed, name, json_string(reason && *reason ? reason : "failed"));
	/* The spawn's answer may still be on its way: the watch checks the name when it starts. */
	for (size_t i = 0; i < rc->njobs; i++) {
		struct rc_job *j = rc->jobs[i];
		if (j->stage == RC_WATCH && !j->gone && strcmp(str(j->doc, "runner"), name) == 0) {
			j->next_at = 0;
			if (!j->busy)
				rc_job_step(rc, j);
		}
	}
}
