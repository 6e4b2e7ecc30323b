/* webhook.job events (published by the webhook worker when it exists; the scaler works
 * without them):
 *   queued       a job arrived: an arrival for the pool it names, or else the first pool
 *                whose labels hold all of the job's (case-insensitive, as GitHub matches)
 *   in_progress  one of our runners took a job: it is busy now (an arrival, if the runner
 *                list did not show it yet), its pool is topped up at once, and the time
 *                from created_at to started_at is a queue-time sample of its pool.
 *   completed    one of our runners finished its job: started_at to completed_at is a
 *                job-duration sample of its pool.
 * in_progress and completed events of runners named with our prefix also give the job's
 * details to the events log (sc_jobinfo.c).
 * An event that is not of this shape is logged and dropped. */
#include <strings.h>
#include <string.h>
#include "common/log.h"
#include "common/util.h"
#include "workers/scaler/sc.h"
#include "workers/scaler/sc_reactive.h"

static int labels_fit(const json_t *want, const json_t *have)
{
	size_t i, j;
	const json_t *a, *b;
	json_array_foreach(want, i, a) {
		int found = 0;
		json_array_foreach(have, j, b)
			if (strcasecmp(json_string_value(a), json_string_value(b)) == 0)
				found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

static struct sc_pool_rt *pool_of_job(struct sc *sc, const struct sc_job_event *ev)
{
	struct sc_pool_rt *p = sc_pool_find(sc, ev->pool);
	for (size_t i = 0; !p && json_is_array(ev->labels) && i < sc->npools; i++)
		if (labels_fit(ev->labels, sc->pools[i].labels))
			p = &sc->pools[i];
	return p;
}

static int strings_only(const json_t *arr)
{
	size_t i;
	const json_t *v;
	if (!json_is_array(arr))
		return 0;
	json_array_foreach(arr, i, v)
		if (!json_is_string(v))
			return 0;
	return 1;
}

static int string_or_null(const json_t *v)
{
	return !v || json_is_string(v) || json_is_null(v);
}

/* b - a in seconds for two ISO 8601 times, or -1 when one is missing, bad or b < a. */
static double span_s(const json_t *body, const char *a, const char *b)
{
	const char *sa = json_string_value(json_object_get(body, a));
	const char *sb = json_string_value(json_object_get(body, b));
	int64_t ma = sa ? iso8601_to_ms(sa) : -1, mb = sb ? iso8601_to_ms(sb) : -1;
	return ma >= 0 && mb >= ma ? (double)(mb - ma) / 1000.0 : -1;
}

int sc_job_event_parse(const json_t *body, struct sc_job_event *ev)
{
	static const char *const strs[] = { "runner_name", "pool", "workflow", "repo", "github_event", "conclusion" };
	memset(ev, 0, sizeof(*ev));
	ev->queue_s = ev->job_s = -1;
	const char *action = json_string_value(json_object_get(body, "action"));
	const json_t *labels = json_object_get(body, "labels");
	const char **dst[] = { &ev->runner_name, &ev->pool, &ev->workflow, &ev->repo,
	                       &ev->github_event, &ev->conclusion };
	if (!json_is_object(body) || !action || (labels && !strings_only(labels)))
		return -1;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		const json_t *v = json_object_get(body, strs[i]);
		if (!string_or_null(v))
			return -1;
		*dst[i] = json_string_value(v);
	}
	ev->action = strcmp(action, "queued") == 0 ? SC_JOB_QUEUED
		: strcmp(action, "in_progress") == 0 ? SC_JOB_IN_PROGRESS
		: strcmp(action, "completed") == 0 ? SC_JOB_COMPLETED : SC_JOB_OTHER;
	ev->labels = labels;
	ev->queue_s = span_s(body, "created_at", "started_at");
	ev->job_s = span_s(body, "started_at", "completed_at");
	return 0;
}

void sc_on_event(struct worker *w, const char *topic, const json_t *body, const char *from)
{
	struct sc *sc = sc_get(w);
	struct sc_job_event ev;
	if (!sc || strcmp(topic, "webhook.job") != 0)
		return;
	if (sc_job_event_parse(body, &ev) != 0) {
		log_warn("webhook.job event dropped: not {action, labels: [strings], runner_name?: string, ...}",
		         "from=%s", log_q(from));
		return;
	}
	int64_t now = wall_ms();
	if (ev.action == SC_JOB_QUEUED) {
		/* A job for a reactive pool gets a runner spawned for it: it is no demand on
		 * the pool's idle runners. */
		struct sc_pool_rt *p = pool_of_job(sc, &ev);
		if (p && !sc_reactive_pool(p->name))
			sc_demand_arrival(p->dm, SC_ARR_QUEUED, now);
		return;
	}
	if ((ev.action != SC_JOB_IN_PROGRESS && ev.action != SC_JOB_COMPLETED) || !ev.runner_name)
		return;
	sc_jobinfo_note(sc, &ev, now);
	struct sc_track *t = sc_track_find(sc, ev.runner_name);
	if (!t)
		return;                   /* not one of ours, or not known yet */
	struct sc_pool_rt *p = sc_pool_find(sc, t->pool);
	if (ev.action == SC_JOB_COMPLETED) {
		if (p && ev.job_s >= 0)
			sc_hist_add(&p->m.job, &sc_job_bounds, ev.job_s);
		return;
	}
	if (p && ev.queue_s >= 0)
		sc_hist_add(&p->m.queue, &sc_queue_bounds, ev.queue_s);
	sc_track_observe(sc, ev.runner_name, t->pool, 0, 1, 1, now);
	if ((t = sc_track_find(sc, ev.runner_name)))
		t->flags |= SC_TRK_NOW_BUSY;
	sc_topup(sc, "replace at once: webhook in_progress");
}
