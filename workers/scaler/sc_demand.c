/* Demand measurement and the pool target (rules in sc_demand.h).  Pure. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/sched.h"
#include "workers/scaler/sc_decide.h"
#include "workers/scaler/sc_demand.h"

void sc_demand_arrival(struct sc_demand *d, enum sc_arrival_src src, int64_t now_ms)
{
	if ((unsigned)src >= SC_ARR_SOURCES)
		return;
	struct sc_arrivals *a = &d->arr[src];
	if (a->n == 0 && d->since_ms[src] == 0)
		d->since_ms[src] = now_ms;
	a->t[(a->head + a->n) % SC_ARRIVALS_MAX] = now_ms;
	if (a->n < SC_ARRIVALS_MAX)
		a->n++;
	else
		a->head = (a->head + 1) % SC_ARRIVALS_MAX;
}

void sc_demand_boot(struct sc_demand *d, int64_t boot_ms)
{
	if (boot_ms <= 0)
		return;
	d->boot_ms[d->boot_head] = boot_ms;
	d->boot_head = (d->boot_head + 1) % SC_BOOT_SAMPLES;
	if (d->boot_n < SC_BOOT_SAMPLES)
		d->boot_n++;
}

/* Arrivals in (now - window, now], over the window (or the time watched, if shorter,
 * but never less than ten seconds: one early arrival is not a storm). */
static double rate_over(const struct sc_arrivals *a, int64_t since, int64_t now, int64_t window)
{
	size_t count = 0;
	for (size_t i = 0; i < a->n; i++) {
		int64_t t = a->t[(a->head + a->n - 1 - i) % SC_ARRIVALS_MAX];
		if (t <= now - window)
			break;
		if (t <= now)
			count++;
	}
	int64_t span = now - since < window ? now - since : window;
	if (span < 10000)
		span = 10000;
	return (double)count * 1000.0 / (double)span;
}

double sc_demand_rate(const struct sc_demand *d, int64_t now_ms)
{
	double best = 0;
	for (int s = 0; s < SC_ARR_SOURCES; s++) {
		double a = rate_over(&d->arr[s], d->since_ms[s], now_ms, SC_RATE_SHORT_MS);
		double b = rate_over(&d->arr[s], d->since_ms[s], now_ms, SC_RATE_LONG_MS);
		if (a > best)
			best = a;
		if (b > best)
			best = b;
	}
	return best;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int64_t sc_demand_boot_p90(const struct sc_demand *d)
{
	if (d->boot_n == 0)
		return 0;
	int64_t v[SC_BOOT_SAMPLES];
	memcpy(v, d->boot_ms, d->boot_n * sizeof(v[0]));
	qsort(v, d->boot_n, sizeof(v[0]), cmp_i64);
	size_t k = (d->boot_n * 9 + 9) / 10;          /* nearest rank: ceil(0.9 n) */
	return v[k - 1];
}

void sc_pool_target(const struct sc_pool *p, int64_t now_ms, struct sc_target *out)
{
	memset(out, 0, sizeof(*out));
	out->window = -1;
	out->floor = p->min_idle;
	if (!p->override && p->nwindows) {
		for (size_t i = 0; i < p->nwindows; i++)
			if (sched_window_active(&p->windows[i], now_ms)) {
				out->window = (int)i;
				break;
			}
		int now_min = out->window >= 0 ? p->windows[out->window].min_idle : p->min_idle;
		int ahead = sched_min_idle_at(p->windows, p->nwindows, now_ms + p->boot_p90_ms);
		if (ahead < 0)
			ahead = p->min_idle;
		out->floor = now_min > ahead ? now_min : ahead;
	}
	if (p->demand && p->boot_p90_ms > 0 && p->rate > 0) {
		int64_t lead = p->boot_p90_ms - p->target_queue_ms;
		double expect = lead > 0 ? p->rate * (double)lead / 1000.0 : 0.0;
		double want = ceil(expect + 2.0 * sqrt(expect) - 1e-9);
		out->demand = want > 1e6 ? 1000000 : (int)want;
	}
	int d = out->demand;
	if (p->max_idle > 0 && d > p->max_idle)
		d = p->max_idle;
	/* An operator override (ghr-ctl scale) is the target, whatever the demand says:
	 * scaling a pool to 0 drains it.  Runners spawned for jobs come on top. */
	out->reactive = p->reactive;
	out->target = (p->override || d < out->floor ? out->floor : d) + p->reactive;
}

int sc_creates_needed(int target, int ready, int max_runners, int held)
{
	int want = target > ready ? target - ready : 0;
	if (max_runners > 0 && want > max_runners - held)
		want = max_runners - held > 0 ? max_runners - held : 0;
	return want;
}
