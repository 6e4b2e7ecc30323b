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

static struct sc_pool_rt *pool_of_job(struct sc *sc, const json_t *body)
{
	struct sc_pool_rt *p = sc_pool_find(sc, json_string_value(json_object_get(body, "pool")));
	const json_t *labels = json_object_get(body, "labels");
	for (size_t i = 0; !p && json_is_array(labels) && i < sc->npools; i++)
		if (labels_fit(labels, sc->pools[i].labels))
			p = &sc->pools[i];
	return p;
}

static void queue_sample(struct sc_pool_rt *p, const json_t *body)
{
	const char *c = json_string_value(json_object_get(body, "created_at"));
	const char *s = json_string_value(json_object_get(body, "started_at"));
	int64_t cm = c ? iso8601_to_ms(c) : -1, sm = s ? iso8601_to_ms(s) : -1;
	if (cm < 0 || sm < cm)
		return;
	double v = (double)(sm - cm) / 1000.0;
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

void sc_on_event(struct worker *w, const char *topic, const json_t *body, const char *from)
{
	struct sc *sc = sc_get(w);
	if (!sc || strcmp(topic, "webhook.job") != 0)
		return;
	const char *action = json_string_value(json_object_get(body, "action"));
	const json_t *labels = json_object_get(body, "labels");
	if (!json_is_object(body) || !action || (labels && !strings_only(labels))) {
		log_warn("webhook.job event dropped: not {action, labels: [strings], ...}", "from=%s", log_q(from));
		return;
	}
	int64_t now = wall_ms();
	if (strcmp(action, "queued") == 0) {
		struct sc_pool_rt *p = pool_of_job(sc, body);
		if (p)
			sc_demand_arrival(p->dm, SC_ARR_QUEUED, now);
		return;
	}
	if (strcmp(action, "in_progress") != 0)
		return;
	const char *runner = json_string_value(json_object_get(body, "runner_name"));
	struct sc_track *t = runner ? sc_track_find(sc, runner) : NULL;
	if (!t)
		return;                   /* not one of ours, or not known yet */
	struct sc_pool_rt *p = sc_pool_find(sc, t->pool);
	if (p)
		queue_sample(p, body);
	sc_track_observe(sc, runner, t->pool, 0, 1, 1, now);
	if ((t = sc_track_find(sc, runner)))
		t->flags |= SC_TRK_NOW_BUSY;
	sc_topup(sc, "replace at once: webhook in_progress");
}
