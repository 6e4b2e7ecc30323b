/* Demand: what a pool's jobs ask for, measured, and the idle target it implies.  Pure:
 * every time is given by the caller.
 *
 * Measured per pool:
 *   arrivals  jobs taken by the pool's runners (a runner seen going idle -> busy, by the
 *             runner-list watch or a reconcile) and, separately, jobs announced queued by
 *             the webhook.  Jobs served by runners spawned for them (sc_reactive.h) are
 *             not counted: a runner spawned for a job, and a job queued for a reactive
 *             pool, ask nothing of the idle runners.  The rate is the larger of the two sources (both see the same
 *             jobs when both exist), each the larger of its last-minute and last-ten-minute
 *             rates: a rising demand is followed within a minute, a falling one gently.
 *   boot      time from create to online of the pool's last SC_BOOT_SAMPLES runners; the
 *             90th percentile is used.
 *
 * The target (sc_pool_target): the floor is min_idle, or the schedule's min_idle of the
 * window that holds now -- or that will hold one boot time from now, whichever is larger,
 * so the next window's runners are ready when it opens.  An operator override from
 * `ghr-ctl scale` is the target, in place of the schedule and the demand.  With demand on, the idle runners must absorb the jobs
 * that arrive while a replacement boots, less the wait the operator accepts:
 *     lead   = max(boot_p90 - target_queue_time, 0)
 *     expect = rate * lead                       (jobs arriving during one lead)
 *     want   = ceil(expect + 2 * sqrt(expect))   (plus two Poisson deviations: ~98% of
 *                                                 lead-long stretches need no more)
 *     target = max(floor, min(want, max_idle))   (max_idle 0: no cap but max_runners)
 * With no boot sample yet, demand adds nothing. */
#ifndef GHR_SC_DEMAND_H
#define GHR_SC_DEMAND_H

#include <stddef.h>
#include <stdint.h>

#define SC_ARRIVALS_MAX   2048          /* arrivals kept per source (ten minutes at 3.4/s) */
#define SC_BOOT_SAMPLES   32
#define SC_RATE_SHORT_MS  60000
#define SC_RATE_LONG_MS   600000

enum sc_arrival_src { SC_ARR_BUSY = 0, SC_ARR_QUEUED, SC_ARR_SOURCES };

struct sc_arrivals {                    /* a ring of arrival times, epoch ms */
	int64_t t[SC_ARRIVALS_MAX];
	size_t head, n;
};

struct sc_demand {
	struct sc_arrivals arr[SC_ARR_SOURCES];
	int64_t since_ms[SC_ARR_SOURCES];   /* first arrival of each source: the rate's window
	                                       is never longer than what was watched */
	int64_t boot_ms[SC_BOOT_SAMPLES];
	size_t boot_head, boot_n;
};

void sc_demand_arrival(struct sc_demand *d, enum sc_arrival_src src, int64_t now_ms);
void sc_demand_boot(struct sc_demand *d, int64_t boot_ms);
/* Jobs per second (0 when nothing arrived in the last ten minutes). */
double sc_demand_rate(const struct sc_demand *d, int64_t now_ms);
/* 90th percentile of the boot samples, ms; 0 when there is none. */
int64_t sc_demand_boot_p90(const struct sc_demand *d);

struct sc_pool;
struct sc_target {
	int target;                        /* idle + booting + creating wanted */
	int floor;                         /* min_idle or the schedule's */
	int demand;                        /* what demand alone asks (0 when off) */
	int window;                        /* index of the schedule window holding, -1 none */
	int reactive;                      /* runners spawned for jobs, on top (sc_pool.reactive) */
};
/* The pool's target at now (see above). */
void sc_pool_target(const struct sc_pool *p, int64_t now_ms, struct sc_target *out);
/* Creates that bring ready (idle + booting + creating) up to target, within max_runners
 * (0: no cap) given the slots already held. */
int sc_creates_needed(int target, int ready, int max_runners, int held);

#endif
