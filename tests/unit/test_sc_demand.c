/* workers/scaler/sc_demand.c and the decision's use of it: arrival rates, boot times,
 * the target over demand, schedule windows and their boundaries, and gentle scale-down.
 * The clock is always an input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "common/sched.h"
#include "tests/unit/unit.h"
#include "workers/scaler/sc_decide.h"
#include "workers/scaler/sc_demand.h"

#define T0 1764547200000LL          /* 2025-12-01T00:00:00Z, a Monday */

static int64_t at_ms(int y, int m, int d, int hh, int mm, int ss)
{
	return (tz_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss) * 1000;
}

static void test_rate(void)
{
	struct sc_demand *d = calloc(1, sizeof(*d));
	CU_ASSERT_DOUBLE_EQUAL(sc_demand_rate(d, T0), 0.0, 1e-9);
	/* one job a second for two minutes */
	for (int i = 1; i <= 120; i++)
		sc_demand_arrival(d, SC_ARR_BUSY, T0 + i * 1000);
	CU_ASSERT_DOUBLE_EQUAL(sc_demand_rate(d, T0 + 120000), 1.0, 0.02);
	/* the first seconds are not a storm: at least ten seconds are counted */
	struct sc_demand *e = calloc(1, sizeof(*e));
	sc_demand_arrival(e, SC_ARR_BUSY, T0);
	CU_ASSERT_DOUBLE_EQUAL(sc_demand_rate(e, T0 + 500), 0.1, 1e-9);
	/* a quiet spell: the long window keeps the rate for ten minutes, then it is gone */
	CU_ASSERT_DOUBLE_EQUAL(sc_demand_rate(d, T0 + 120000 + 300000), 120.0 / 419.0, 1e-9);   /* watched since T0 + 1 s */
	CU_ASSERT_DOUBLE_EQUAL(sc_demand_rate(d, T0 + 120000 + 600000 + 1), 0.0, 1e-9);
	/* a burst after a quiet hour is followed within the minute (short window) */
	for (int i = 0; i < 30; i++)
		sc_demand_arrival(d, SC_ARR_BUSY, T0 + 3600000 + i * 1000);
	CU_ASSERT_DOUBLE_EQUAL(sc_demand_rate(d, T0 + 3600000 + 30000), 30.0 / 60.0, 1e-9);
	/* webhook arrivals and busy transitions see the same jobs: the larger rate wins */
	for (int i = 0; i < 120; i++)
		sc_demand_arrival(e, SC_ARR_QUEUED, T0 + i * 500);
	CU_ASSERT_DOUBLE_EQUAL(sc_demand_rate(e, T0 + 60000), 2.0, 0.05);
	/* the ring keeps the newest SC_ARRIVALS_MAX */
	for (int i = 0; i < SC_ARRIVALS_MAX + 100; i++)
		sc_demand_arrival(d, SC_ARR_BUSY, T0 + 7200000 + i * 10);
	CU_ASSERT_EQUAL(d->arr[SC_ARR_BUSY].n, SC_ARRIVALS_MAX);
	sc_demand_arrival(d, (enum sc_arrival_src)7, T0);      /* unknown source: ignored */
	free(d);
	free(e);
}

static void test_boot_p90(void)
{
	struct sc_demand *d = calloc(1, sizeof(*d));
	CU_ASSERT_EQUAL(sc_demand_boot_p90(d), 0);
	sc_demand_boot(d, 0);                      /* not a sample */
	sc_demand_boot(d, -5);
	CU_ASSERT_EQUAL(sc_demand_boot_p90(d), 0);
	for (int i = 10; i >= 1; i--)
		sc_demand_boot(d, i * 1000);
	CU_ASSERT_EQUAL(sc_demand_boot_p90(d), 9000);
	sc_demand_boot(d, 100000);                 /* one slow boot among 11 */
	CU_ASSERT_EQUAL(sc_demand_boot_p90(d), 10000);
	/* only the last SC_BOOT_SAMPLES count: the images got faster */
	for (int i = 0; i < SC_BOOT_SAMPLES; i++)
		sc_demand_boot(d, 2000);
	CU_ASSERT_EQUAL(sc_demand_boot_p90(d), 2000);
	free(d);
}

static struct sc_pool pool(int min_idle)
{
	struct sc_pool p;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "small");
	p.min_idle = min_idle;
	return p;
}

static void test_target_demand(void)
{
	struct sc_target t;
	struct sc_pool p = pool(5);
	sc_pool_target(&p, T0, &t);
	CU_ASSERT_EQUAL(t.target, 5);
	CU_ASSERT_EQUAL(t.demand, 0);
	CU_ASSERT_EQUAL(t.window, -1);
	/* measured but off: nothing */
	p.rate = 1.0;
	p.boot_p90_ms = 30000;
	sc_pool_target(&p, T0, &t);
	CU_ASSERT_EQUAL(t.target, 5);
	/* on: 1 job/s, 30 s boot, 10 s accepted -> 20 expected, + 2 sqrt(20) = 28.9 -> 29 */
	p.demand = 1;
	p.target_queue_ms = 10000;
	sc_pool_target(&p, T0, &t);
	CU_ASSERT_EQUAL(t.demand, 29);
	CU_ASSERT_EQUAL(t.target, 29);
	/* accepted wait longer than the boot: demand asks nothing, the floor stays */
	p.target_queue_ms = 60000;
	sc_pool_target(&p, T0, &t);
	CU_ASSERT_EQUAL(t.demand, 0);
	CU_ASSERT_EQUAL(t.target, 5);
	/* exact square: 0.25 job/s over 16 s -> 4 + 4 = 8 */
	p.target_queue_ms = 0;
	p.rate = 0.25;
	p.boot_p90_ms = 16000;
	sc_pool_target(&p, T0, &t);
	CU_ASSERT_EQUAL(t.demand, 8);
	/* max_idle caps demand, not the floor */
	p.max_idle = 6;
	sc_pool_target(&p, T0, &t);
	CU_ASSERT_EQUAL(t.target, 6);
	p.min_idle = 7;
	sc_pool_target(&p, T0, &t);
	CU_ASSERT_EQUAL(t.target, 7);
	/* no boot sample yet, or no arrival: demand adds nothing */
	p.boot_p90_ms = 0;
	sc_pool_target(&p, T0, &t);
	CU_ASSERT_EQUAL(t.demand, 0);
	p.boot_p90_ms = 16000;
	p.rate = 0;
	sc_pool_target(&p, T0, &t);
	CU_ASSERT_EQUAL(t.demand, 0);
}

/* Runners spawned for jobs come on top of whatever sets the target: min_idle, demand
 * (capped by max_idle, the reactive ones are not), or an operator override (which sets
 * demand aside). */
static void test_target_reactive_on_top(void)
{
	/* demand on asks 8 (0.25 job/s over 16 s), capped to max_idle 6 */
	static const struct { int demand, override, min_idle, reactive, want; } t[] = {
		{ 0, 0, 2, 3, 5 },       /* min_idle 2 + 3 */
		{ 1, 0, 2, 3, 9 },       /* demand, capped at 6, + 3 (the cap is not theirs) */
		{ 1, 1, 0, 3, 3 },       /* override 0 sets demand aside; they stay on top */
		{ 1, 1, 0, 0, 0 },
		{ 1, 1, 4, 0, 4 },       /* override 4 beside demand 8 */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sc_pool p = pool(t[i].min_idle);
		p.demand = t[i].demand;
		p.override = t[i].override;
		p.reactive = t[i].reactive;
		p.rate = 0.25;
		p.boot_p90_ms = 16000;
		p.max_idle = 6;
		struct sc_target tg;
		sc_pool_target(&p, T0, &tg);
		if (tg.target != t[i].want || tg.reactive != t[i].reactive) {
			fprintf(stderr, "\n reactive case %zu: target %d (reactive %d), want %d\n", i, tg.target,
			        tg.reactive, t[i].want);
			CU_FAIL("reactive runners not on top of the target");
		}
	}
}

static void load_window(struct sched_window *w, const char *json)
{
	char dir[4096], err[400];
	snprintf(dir, sizeof(dir), "%s/tests/unit/fixtures/zoneinfo", unit_srcdir());
	json_t *cfg = json_loads(json, 0, NULL);
	CU_ASSERT_EQUAL_FATAL(sched_window_load(w, cfg, dir, err, sizeof(err)), 0);
	json_decref(cfg);
}

/* 20 on weekdays 08:00-18:00 Paris, 2 otherwise; ahead by one boot time, down at the
 * boundary. */
static void test_target_schedule(void)
{
	struct sched_window w[2];
	load_window(&w[0], "{\"days\":[\"mon-fri\"],\"from\":\"08:00\",\"to\":\"18:00\","
	            "\"timezone\":\"Europe/Paris\",\"min_idle\":20}");
	load_window(&w[1], "{\"days\":[\"sat\"],\"from\":\"10:00\",\"to\":\"12:00\",\"min_idle\":4}");
	struct sc_pool p = pool(2);
	p.windows = w;
	p.nwindows = 2;
	p.boot_p90_ms = 60000;
	struct sc_target t;
	/* Wednesday 2 December 2026, 08:00 Paris = 07:00 UTC */
	sc_pool_target(&p, at_ms(2026, 12, 2, 6, 58, 59), &t);
	CU_ASSERT_EQUAL(t.target, 2);
	CU_ASSERT_EQUAL(t.window, -1);
	sc_pool_target(&p, at_ms(2026, 12, 2, 6, 59, 0), &t);     /* one boot time ahead */
	CU_ASSERT_EQUAL(t.target, 20);
	CU_ASSERT_EQUAL(t.window, -1);
	sc_pool_target(&p, at_ms(2026, 12, 2, 7, 0, 0), &t);
	CU_ASSERT_EQUAL(t.target, 20);
	CU_ASSERT_EQUAL(t.window, 0);
	sc_pool_target(&p, at_ms(2026, 12, 2, 16, 59, 59), &t);
	CU_ASSERT_EQUAL(t.target, 20);
	sc_pool_target(&p, at_ms(2026, 12, 2, 17, 0, 0), &t);     /* down at the boundary */
	CU_ASSERT_EQUAL(t.target, 2);
	/* summer: the same wall-clock hours are an hour earlier in UTC */
	sc_pool_target(&p, at_ms(2026, 7, 1, 6, 30, 0), &t);
	CU_ASSERT_EQUAL(t.target, 20);
	sc_pool_target(&p, at_ms(2026, 7, 1, 16, 0, 0), &t);
	CU_ASSERT_EQUAL(t.target, 2);
	/* the second window (UTC), a lower one: no runner made ahead beyond the current */
	sc_pool_target(&p, at_ms(2026, 12, 5, 10, 30, 0), &t);
	CU_ASSERT_EQUAL(t.target, 4);
	CU_ASSERT_EQUAL(t.window, 1);
	sc_pool_target(&p, at_ms(2026, 12, 5, 12, 0, 0), &t);
	CU_ASSERT_EQUAL(t.target, 2);
	/* demand on top of a window */
	p.demand = 1;
	p.rate = 2.0;
	p.target_queue_ms = 30000;                 /* lead 30 s: 60 + 2 sqrt(60) = 75.5 -> 76 */
	sc_pool_target(&p, at_ms(2026, 12, 2, 9, 0, 0), &t);
	CU_ASSERT_EQUAL(t.target, 76);
	CU_ASSERT_EQUAL(t.floor, 20);
	/* an operator override replaces the schedule and the demand (scale to 0 drains) */
	p.override = 1;
	p.min_idle = 0;
	sc_pool_target(&p, at_ms(2026, 12, 2, 9, 0, 0), &t);
	CU_ASSERT_EQUAL(t.target, 0);
	CU_ASSERT_EQUAL(t.demand, 76);                 /* still shown */
	p.min_idle = 1;
	p.demand = 0;
	sc_pool_target(&p, at_ms(2026, 12, 2, 9, 0, 0), &t);
	CU_ASSERT_EQUAL(t.target, 1);
	sched_window_free(&w[0]);
	sched_window_free(&w[1]);
}

static void test_creates_needed(void)
{
	CU_ASSERT_EQUAL(sc_creates_needed(5, 2, 0, 100), 3);
	CU_ASSERT_EQUAL(sc_creates_needed(5, 7, 0, 0), 0);
	CU_ASSERT_EQUAL(sc_creates_needed(5, 2, 10, 9), 1);       /* one slot left */
	CU_ASSERT_EQUAL(sc_creates_needed(5, 2, 10, 12), 0);      /* over the cap: none */
	CU_ASSERT_EQUAL(sc_creates_needed(0, 0, 0, 0), 0);
}

/* ---- the decision with a target ----------------------------------------------------- */

static struct sc_vm vms[16];
static struct sc_ghr ghs[16];

static void idle_runner(int i, int64_t now, int64_t age_ms)
{
	snprintf(vms[i].name, sizeof(vms[i].name), "ghr-small-%08x", (unsigned)i);
	snprintf(vms[i].id, sizeof(vms[i].id), "vm-%d", i);
	snprintf(vms[i].pool, sizeof(vms[i].pool), "small");
	snprintf(vms[i].status, sizeof(vms[i].status), "ACTIVE");
	vms[i].created_ms = now - age_ms;
	snprintf(ghs[i].name, sizeof(ghs[i].name), "%s", vms[i].name);
	snprintf(ghs[i].pool, sizeof(ghs[i].pool), "small");
	ghs[i].id = 100 + i;
	ghs[i].online = 1;
}

static int count(const struct sc_plan *p, enum sc_act_kind k)
{
	int n = 0;
	for (size_t i = 0; i < p->nactions; i++)
		n += p->actions[i].kind == k;
	return n;
}

/* Decide, and check how many creates and deletes were planned; the plan is kept in
 * *plan for more checks (the caller frees it). */
static void decide_expect(const struct sc_input *in, struct sc_plan *plan, int creates, int deletes)
{
	CU_ASSERT_EQUAL_FATAL(sc_decide(in, plan), 0);
	CU_ASSERT_EQUAL(count(plan, SC_ACT_CREATE), creates);
	CU_ASSERT_EQUAL(count(plan, SC_ACT_DELETE), deletes);
}

static void test_decide_demand(void)
{
	int64_t now = T0;
	struct sc_pool p = pool(2);
	p.demand = 1;
	p.rate = 0.5;
	p.boot_p90_ms = 18000;                     /* 9 expected + 6 = 15 */
	p.grace_ms = 600000;
	memset(vms, 0, sizeof(vms));
	memset(ghs, 0, sizeof(ghs));
	for (int i = 0; i < 3; i++)
		idle_runner(i, now, 60000);
	struct sc_input in = { .manager_id = "ghr", .pools = &p, .npools = 1, .vms = vms, .nvms = 3,
	                       .runners = ghs, .nrunners = 3, .now_ms = now,
	                       .creation_timeout_ms = 600000, .bootstrap_timeout_ms = 1200000 };
	struct sc_plan plan;
	decide_expect(&in, &plan, 12, 0);
	CU_ASSERT_EQUAL(plan.counts[0].target, 15);
	CU_ASSERT_STRING_EQUAL(plan.actions[0].reason, "below target");
	sc_plan_free(&plan);

	/* max_runners still caps it */
	p.max_runners = 8;
	decide_expect(&in, &plan, 5, 0);
	sc_plan_free(&plan);
	p.max_runners = 0;

	/* demand fell to nothing: 10 idle, target 2; only those older than the grace go,
	 * oldest first */
	p.rate = 0;
	for (int i = 0; i < 10; i++)
		idle_runner(i, now, i < 4 ? 700000 + i * 1000 : 60000);
	in.nvms = in.nrunners = 10;
	decide_expect(&in, &plan, 0, 4);
	for (size_t i = 0; i < plan.nactions; i++) {
		CU_ASSERT_TRUE(plan.actions[i].guarded);            /* GitHub first: never a busy one */
		int idx = (int)strtol(plan.actions[i].name + strlen("ghr-small-"), NULL, 16);
		CU_ASSERT_TRUE(idx < 4);
	}
	sc_plan_free(&plan);

	/* demand off: the old rule, every surplus idle runner goes at once */
	p.demand = 0;
	decide_expect(&in, &plan, 0, 8);
	sc_plan_free(&plan);

	/* over max_runners, young ones go too (the cap is not gentle): 4 old + 1 young */
	p.demand = 1;
	p.max_runners = 5;
	decide_expect(&in, &plan, 0, 5);
	int cap = 0;
	for (size_t i = 0; i < plan.nactions; i++)
		cap += strcmp(plan.actions[i].reason, "above max_runners") == 0;
	CU_ASSERT_EQUAL(cap, 1);
	sc_plan_free(&plan);
}

UNIT_SUITE(sc_demand,
	UNIT_TEST(test_rate),
	UNIT_TEST(test_boot_p90),
	UNIT_TEST(test_target_demand),
	UNIT_TEST(test_target_reactive_on_top),
	UNIT_TEST(test_target_schedule),
	UNIT_TEST(test_creates_needed),
	UNIT_TEST(test_decide_demand))
