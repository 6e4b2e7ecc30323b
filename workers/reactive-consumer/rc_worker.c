/* The reactive-consumer worker: definition, configuration and the tick that drives
 * claims, lease renewals and each held job's next step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonget.h"
#include "common/evloop.h"
#include "common/jobstore.h"
#include "common/log.h"
#include "common/offload.h"
#include "common/util.h"
#include "workers/reactive-consumer/rc.h"

#define TICK_MS 250
#define EVENTS_EVERY_MS 1000
#define PRUNE_EVERY_MS 600000
#define IMPORT_EVERY_MS 2000
#define PICKED_MAX 20000

struct rc *rc_get(struct worker *w)
{
	return worker_data(w);
}

/* Drop the jobs that are gone and idle. */
static void sweep(struct rc *rc)
{
	size_t k = 0;
	for (size_t i = 0; i < rc->njobs; i++) {
		struct rc_job *j = rc->jobs[i];
		if (j->gone && !j->busy) {
			json_decref(j->doc);
			json_decref(j->unsaved);
			free(j);
		} else
			rc->jobs[k++] = j;
	}
	rc->njobs = k;
}

static void tick(struct ev_loop *loop, int64_t id, void *arg)
{
	struct rc *rc = arg;
	rc->tick_timer = ev_timer_add(loop, TICK_MS, tick, rc);
	int64_t now = wall_ms();
	sweep(rc);
	if (rc->stopping)
		return;
	if (!rc->renewing && now >= rc->next_renew && rc->njobs > 0)
		rc_store_renew(rc);
	if (!rc->claiming && now >= rc->next_claim && (int64_t)rc->njobs < rc->in_flight)
		rc_store_claim(rc);
	if (!rc->checking_events && now >= rc->next_events)
		rc_store_events(rc);
	if (now >= rc->next_prune)
		rc_store_prune(rc);
	if (rc->kombu_db[0] && !rc->importing && now >= rc->next_import) {
		rc->next_import = now + IMPORT_EVERY_MS;
		rc_store_kombu(rc);
	}
	for (size_t i = 0; i < rc->njobs; i++) {
		struct rc_job *j = rc->jobs[i];
		if (j->gone || j->busy)
			continue;
		if (now > j->lease_deadline) {
			log_warn("lease ran out; leaving the job to the next claimer", "job_id=%lld attempt=%lld",
			         (long long)j->id, (long long)j->attempt);
			j->gone = 1;
			continue;
		}
		if (now >= j->next_at)
			rc_job_step(rc, j);
	}
}

/* webhook.job events: a job picked up (in_progress or completed) ends its watch at once;
 * webhook.stored: deliveries reached the store, so there may be jobs to claim;
 * scaler.runner.failed: a job waiting for that runner is requeued at once. */
static void rc_on_event(struct worker *w, const char *topic, const json_t *body, const char *from)
{
	struct rc *rc = rc_get(w);
	if (rc && strcmp(topic, "webhook.stored") == 0) {
		rc_store_claim_soon(rc);      /* new jobs in the store: look now */
		return;
	}
	if (rc && strcmp(topic, "scaler.runner.failed") == 0) {
		rc_runner_failed(rc, body);
		return;
	}
	const char *action = json_string_value(json_object_get(body, "action"));
	json_int_t id = json_integer_value(json_object_get(body, "job_id"));
	if (!rc || strcmp(topic, "webhook.job") != 0 || !action || id <= 0
	    || (strcmp(action, "in_progress") != 0 && strcmp(action, "completed") != 0))
		return;
	if (json_object_size(rc->picked) >= PICKED_MAX)
		json_object_clear(rc->picked);
	char key[32];
	snprintf(key, sizeof(key), "%lld", (long long)id);
	const char *runner = json_string_value(json_object_get(body, "runner_name"));
	json_object_set_new(rc->picked, key, json_string(runner ? runner : ""));
	for (size_t i = 0; i < rc->njobs; i++)
		if (rc->jobs[i]->id == id && !rc->jobs[i]->gone && !rc->jobs[i]->busy)
			rc_job_picked(rc, rc->jobs[i], runner);
}

static int rc_init(struct worker *w, const json_t *config, const json_t *secret)
{
	char err[512];
	const char *uri = json_string_value(json_object_get(secret, "mongodb_uri"));
	const json_t *c = json_object_get(config, "reactive");
	struct rc *rc = calloc(1, sizeof(*rc));
	if (!rc || !uri) {
		log_error("reactive-consumer: no MongoDB URI was handed over", "%s", "");
		free(rc);
		return -1;
	}
	worker_set_data(w, rc);
	rc->w = w;
	char rnd[9];
	random_hex(rnd, 4);
	snprintf(rc->owner, sizeof(rc->owner), "%.40s/%.60s/%s",
	         json_string_value(json_object_get(config, "manager_id")) ?: "ghr", worker_instance(w), rnd);
	rc->in_flight = jsonget_int(c, "in_flight", 50);
	rc->lease_ms = jsonget_int(c, "lease", 60000);
	rc->pickup_ms = jsonget_int(c, "pickup_timeout", 600000);
	rc->poll_ms = jsonget_int(c, "poll_interval", 30000);
	rc->backoff_ms = jsonget_int(c, "backoff", 10000);
	rc->max_attempts = jsonget_int(c, "max_attempts", 5);
	rc->keep_done_ms = jsonget_int(c, "keep_done", 7 * 86400000LL);
	snprintf(rc->kombu_db, sizeof(rc->kombu_db), "%s",
	         json_string_value(json_object_get(c, "kombu_database")) ?: "");
	rc->picked = json_object();
	rc->failed = json_object();
	rc->pools = json_object_get(config, "pools");
	if (!(rc->js = js_open(uri, jsonget_int(c, "db_timeout", 5000), err, sizeof(err)))
	    || !(rc->off = offload_start(worker_loop(w), rc->js, err, sizeof(err)))) {
		log_error("reactive-consumer cannot start", "error=\"%s\"", err);
		return -1;
	}
	char shown[512];
	log_info("reactive-consumer ready", "owner=%s store=%s in_flight=%lld", rc->owner,
	         js_uri_redacted(uri, shown, sizeof(shown)), (long long)rc->in_flight);
	rc->next_prune = wall_ms() + 10000;
	rc->tick_timer = ev_timer_add(worker_loop(w), 0, tick, rc);
	worker_set_ready(w);
	return 0;
}

static void rc_shutdown(struct worker *w)
{
	struct rc *rc = rc_get(w);
	if (!rc)
		return;
	rc->stopping = 1;
	/* Held jobs keep their leases until they run out; another consumer takes them. */
	offload_stop(rc->off);
	rc->off = NULL;
	js_close(rc->js);
	rc->js = NULL;
}

const struct worker_def rc_worker_def = {
	.name = "reactive-consumer",
	.methods = rc_methods,
	.init = rc_init,
	.shutdown = rc_shutdown,
	.on_event = rc_on_event,
};
