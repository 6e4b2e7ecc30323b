/* webhook.job events (published by the webhook worker when it exists; the scaler works
 * without them):
 *   queued       a job arrived: an arrival for the pool it names, or else the first pool
 *                whose labels hold all of the job's (case-insensitive, as GitHub matches)
 *   in_progress  one of our runners took a job: it is busy now (an arrival, if the runner
 *                list did not show it yet), its pool is topped up at once, and the time
 *                from created_at to started_at is a queue-time sample of its pool.
 * An event that is not of this shape is logged and dropped. */
#include <strings.h>
#include <string.h>
#include "common/log.h"
#include "common/util.h"
#include "workers/scaler/sc.h"
#include "workers/scaler/sc_reactive.h"

static const double queue_bounds[SC_QUEUE_BUCKETS] = SC_QUEUE_BOUNDS;

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

static void queue_sample(struct sc_pool_rt *p, double v)
{
	int b = 0;
	while (b < SC_QUEUE_BUCKETS && v > queue_bounds[b])
		b++;
	p->m.queue_hist[b]++;
	p->m.queue_sum += v;
	p->m.queue_count++;
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

int sc_job_event_parse(const json_t *body, struct sc_job_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->queue_s = -1;
	const char *action = json_string_value(json_object_get(body, "action"));
	const json_t *labels = json_object_get(body, "labels");
	const json_t *runner = json_object_get(body, "runner_name");
	const json_t *pool = json_object_get(body, "pool");
	if (!json_is_object(body) || !action || (labels && !strings_only(labels))
	    || (runner && !json_is_string(runner) && !json_is_null(runner))
	    || (pool && !json_is_string(pool) && !json_is_null(pool)))
		return -1;
	ev->action = strcmp(action, "queued") == 0 ? SC_JOB_QUEUED
		: strcmp(action, "in_progress") == 0 ? SC_JOB_IN_PROGRESS : SC_JOB_OTHER;
	ev->labels = labels;
	ev->runner_name = json_string_value(runner);
	ev->pool = json_string_value(pool);
	const char *c = json_string_value(json_object_get(body, "created_at"));
	const char *st = json_string_value(json_object_get(body, "started_at"));
	int64_t cm = c ? iso8601_to_ms(c) : -1, sm = st ? iso8601_to_ms(st) : -1;
	if (cm >= 0 && sm >= cm)
		ev->queue_s = (double)(sm - cm) / 1000.0;
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
	if (ev.action != SC_JOB_IN_PROGRESS || !ev.runner_name)
		return;
	struct sc_track *t = sc_track_find(sc, ev.runner_name);
	if (!t)
		return;                   /* not one of ours, or not known yet */
	struct sc_pool_rt *p = sc_pool_find(sc, t->pool);
	if (p && ev.queue_s >= 0)
		queue_sample(p, ev.queue_s);
	sc_track_observe(sc, ev.runner_name, t->pool, 0, 1, 1, now);
	if ((t = sc_track_find(sc, ev.runner_name)))
		t->flags |= SC_TRK_NOW_BUSY;
	sc_topup(sc, "replace at once: webhook in_progress");
}
