/* The top-up between reconciles (workers/scaler/sc_watch.c): what it counts of a pool
 * (sc_pool_now) and the creates it makes, checked against the full reconcile's decision
 * (sc_decide, then sc_reactive_adjust and sc_decide again) over the same runners: the
 * top-up never creates more than the reconcile would.  And what the runner tracking
 * (sc_track.c) takes as demand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "tests/unit/unit.h"
#include "workers/scaler/sc.h"
#include "workers/scaler/sc_reactive.h"

#define MAXN 32

struct world {
	struct sc_pool pool;
	struct sc_vm vms[MAXN]; size_t nvms;
	struct sc_ghr gh[MAXN]; size_t ngh;
	int64_t now;
};

static void name_of(char *out, const char *pool, int i)
{
	snprintf(out, SC_NAME_MAX, "tu-%s-%08x", pool, (unsigned)i);
}

/* gh: -1 none, 0 offline, 1 online, 2 busy */
static void w_add(struct world *w, int i, const char *status, int gh, int64_t age_ms)
{
	char pool[SC_POOL_MAX];
	sc_copy(pool, w->pool.name, sizeof(pool));
	struct sc_vm *v = &w->vms[w->nvms++];
	name_of(v->name, pool, i);
	snprintf(v->id, sizeof(v->id), "vm-%d", i);
	sc_copy(v->pool, w->pool.name, sizeof(v->pool));
	snprintf(v->status, sizeof(v->status), "%s", status);
	v->created_ms = w->now - age_ms;
	if (gh < 0)
		return;
	struct sc_ghr *g = &w->gh[w->ngh++];
	name_of(g->name, pool, i);
	sc_copy(g->pool, w->pool.name, sizeof(g->pool));
	g->id = 100 + i;
	g->online = gh >= 1;
	g->busy = gh == 2;
}

/* The reconcile's decision (as sc_reconcile.c makes it); returns its creates. */
static int reconcile(struct world *w, const struct sc_seen *seen, size_t nseen, struct sc_plan *plan)
{
	struct sc_pool pool = w->pool;
	struct sc_input in = {
		.manager_id = "tu", .pools = &pool, .npools = 1, .vms = w->vms, .nvms = w->nvms,
		.runners = w->gh, .nrunners = w->ngh, .seen = seen, .nseen = nseen, .now_ms = w->now,
		.creation_timeout_ms = 600000, .bootstrap_timeout_ms = 1200000,
	};
	CU_ASSERT_EQUAL_FATAL(sc_decide(&in, plan), 0);
	if (sc_reactive_adjust(&pool, 1, plan, w->now)) {
		sc_plan_free(plan);
		CU_ASSERT_EQUAL_FATAL(sc_decide(&in, plan), 0);
	}
	return plan->counts[0].creates;
}

/* A scaler whose last reconcile made plan (the plan stays the caller's). */
static struct sc *scaler_after(const struct world *w, struct sc_plan *plan)
{
	struct sc *sc = calloc(1, sizeof(*sc));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	sc->pools = calloc(1, sizeof(*sc->pools));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc->pools);
	sc->npools = 1;
	struct sc_pool_rt *p = &sc->pools[0];
	sc_copy(p->name, w->pool.name, sizeof(p->name));
	p->min_idle_cfg = w->pool.min_idle;
	p->min_idle_override = -1;
	p->max_runners = w->pool.max_runners;
	p->dm = calloc(1, sizeof(*p->dm));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->dm);
	sc->rows = plan->rows; sc->nrows = plan->nrows;
	sc->counts = plan->counts; sc->ncounts = plan->ncounts;
	sc->seen = plan->seen; sc->nseen = plan->nseen;
	sc->view_wall_ms = w->now;
	sc_track_from_rows(sc);
	return sc;
}

static void scaler_free(struct sc *sc)
{
	free(sc->pools[0].dm);
	free(sc->pools);
	free(sc->trk);
	free(sc->pending);
	free(sc);
}

/* What the watch learns from GitHub's list: runner i now busy. */
static void watch_busy(struct sc *sc, int i)
{
	char name[SC_NAME_MAX];
	name_of(name, sc->pools[0].name, i);
	struct sc_track *t = sc_track_find(sc, name);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	t->flags |= SC_TRK_NOW_BUSY | SC_TRK_ONLINE;
	t->flags &= ~SC_TRK_NOW_ON;
}

/* What the top-up sees of the pool now. */
static void expect_now(struct sc *sc, int64_t now, int ready, int alive, int reactive, int held)
{
	struct sc_pool_now pn;
	sc_pool_now(sc, sc->pools[0].name, now, &pn);
	CU_ASSERT_EQUAL(pn.ready, ready);
	CU_ASSERT_EQUAL(pn.alive, alive);
	CU_ASSERT_EQUAL(pn.reactive, reactive);
	CU_ASSERT_EQUAL(pn.held, held);
}

static void setup_reactive(void)
{
	json_t *cfg = json_pack("{s:{s:i}, s:[{s:s, s:b}]}", "reactive", "idle_grace", 60000,
	                        "pools", "name", "rp", "reactive", 1);
	sc_reactive_setup(cfg);
	json_decref(cfg);
}

/* min_idle 2 and 10 runners spawned for jobs booting: when the two idle runners take
 * jobs, the top-up replaces them at once (the reconcile would create 2 too), and the
 * target it computes does not replace the one shown. */
static void test_topup_counts_reactive_as_the_reconcile(void)
{
	setup_reactive();
	struct world w = { .pool = { .name = "rp", .min_idle = 2 }, .now = wall_ms() };
	w_add(&w, 0, "ACTIVE", 1, 3600000);
	w_add(&w, 1, "ACTIVE", 1, 3600000);
	for (int i = 2; i < 12; i++) {
		w_add(&w, i, "ACTIVE", 0, 5000);
		char name[SC_NAME_MAX];
		name_of(name, "rp", i);
		sc_reactive_note(name, w.now - 5000);
	}
	struct sc_plan plan;
	CU_ASSERT_EQUAL(reconcile(&w, NULL, 0, &plan), 0);
	CU_ASSERT_EQUAL(plan.counts[0].target, 12);
	struct sc *sc = scaler_after(&w, &plan);
	sc->pools[0].target.target = 12;

	struct sc_target tg;
	expect_now(sc, w.now, 12, 12, 10, 12);
	CU_ASSERT_EQUAL(sc_topup_creates(sc, &sc->pools[0], w.now, &tg), 0);

	watch_busy(sc, 0);
	watch_busy(sc, 1);
	expect_now(sc, w.now, 10, 12, 10, 12);
	int topup = sc_topup_creates(sc, &sc->pools[0], w.now, &tg);
	CU_ASSERT_EQUAL(tg.target, 12);
	CU_ASSERT_EQUAL(tg.reactive, 10);
	CU_ASSERT_EQUAL(sc->pools[0].target.target, 12);

	/* the reconcile over the same runners */
	struct world w2 = w;
	w2.gh[0].busy = w2.gh[1].busy = 1;
	struct sc_plan plan2;
	int full = reconcile(&w2, plan.seen, plan.nseen, &plan2);
	CU_ASSERT_EQUAL(full, 2);
	CU_ASSERT_EQUAL(topup, full);
	sc_plan_free(&plan2);
	scaler_free(sc);
	sc_plan_free(&plan);
}

/* Servers the reconcile saw building, whose runners GitHub does not list, are coming:
 * the top-up counts them (ready and alive) and creates nothing for them -- as the
 * reconcile.  One whose runner was seen online and has left since is not counted. */
static void test_topup_counts_unlisted_building_servers(void)
{
	setup_reactive();
	struct world w = { .pool = { .name = "rq", .min_idle = 3, .max_runners = 6 }, .now = wall_ms() };
	for (int i = 0; i < 3; i++)
		w_add(&w, 20 + i, "BUILD", -1, 2000);
	struct sc_plan plan;
	CU_ASSERT_EQUAL(reconcile(&w, NULL, 0, &plan), 0);
	struct sc *sc = scaler_after(&w, &plan);
	CU_ASSERT_EQUAL(sc->ntrk, 0);                  /* no runner listed for them */
	struct sc_target tg;
	expect_now(sc, w.now, 3, 3, 0, 3);
	CU_ASSERT_EQUAL(sc_topup_creates(sc, &sc->pools[0], w.now, &tg), 0);

	/* One came online, took its job and left GitHub's list before the next reconcile. */
	sc_track_observe(sc, "tu-rq-00000014", "rq", 0, 1, 1, w.now);
	expect_now(sc, w.now, 2, 2, 0, 3);
	CU_ASSERT_EQUAL(sc_topup_creates(sc, &sc->pools[0], w.now, &tg), 1);
	scaler_free(sc);
	sc_plan_free(&plan);
}

/* A spawn queued (pending, not in the last reconcile's rows) stands for its job: it is
 * ready and reactive, and held against max_runners. */
static void test_topup_pending_spawn(void)
{
	setup_reactive();
	struct world w = { .pool = { .name = "rp", .min_idle = 1, .max_runners = 3 }, .now = wall_ms() };
	w_add(&w, 40, "ACTIVE", 1, 3600000);
	struct sc_plan plan;
	CU_ASSERT_EQUAL(reconcile(&w, NULL, 0, &plan), 0);
	struct sc *sc = scaler_after(&w, &plan);
	const char *name = "tu-rp-00000029";
	sc_reactive_note(name, w.now);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc_pending_add(sc, name, "rp"));
	sc_track_observe(sc, name, "rp", 0, 0, 0, w.now);
	struct sc_target tg;
	expect_now(sc, w.now, 2, 2, 1, 2);
	CU_ASSERT_EQUAL(sc_topup_creates(sc, &sc->pools[0], w.now, &tg), 0);
	/* the idle runner takes a job: replaced, within max_runners */
	watch_busy(sc, 40);
	CU_ASSERT_EQUAL(sc_topup_creates(sc, &sc->pools[0], w.now, &tg), 1);
	CU_ASSERT_EQUAL(tg.target, 2);
	/* the spawn refused: forgotten, and no longer held */
	sc_reactive_forget(name);
	sc_pending_remove(sc, name);
	expect_now(sc, w.now, 0, 1, 0, 1);
	scaler_free(sc);
	sc_plan_free(&plan);
}

/* The reconcile decides twice: the first decision classifies the runners, the reactive
 * ones among them raise the target, and the second decides with it.  One decision
 * alone would take the young spawned idle runner for surplus, and leave the pool short
 * once the booting spawned ones take their jobs. */
static void test_two_pass_decision_keeps_reactive_apart(void)
{
	setup_reactive();
	struct world w = { .pool = { .name = "rp", .min_idle = 1 }, .now = wall_ms() };
	w_add(&w, 60, "ACTIVE", 1, 3600000);          /* plain idle, oldest */
	w_add(&w, 61, "ACTIVE", 1, 20000);            /* spawned, online just now */
	w_add(&w, 62, "ACTIVE", 0, 5000);             /* spawned, booting */
	w_add(&w, 63, "ACTIVE", 0, 5000);             /* spawned, booting */
	for (int i = 61; i < 64; i++) {
		char name[SC_NAME_MAX];
		name_of(name, "rp", i);
		sc_reactive_note(name, w.now - 20000);
	}
	struct sc_pool pool = w.pool;
	struct sc_input in = {
		.manager_id = "tu", .pools = &pool, .npools = 1, .vms = w.vms, .nvms = w.nvms,
		.runners = w.gh, .nrunners = w.ngh, .now_ms = w.now,
		.creation_timeout_ms = 600000, .bootstrap_timeout_ms = 1200000,
	};
	struct sc_plan one;
	CU_ASSERT_EQUAL_FATAL(sc_decide(&in, &one), 0);
	CU_ASSERT_EQUAL(one.counts[0].target, 1);
	CU_ASSERT_EQUAL(one.counts[0].deletes, 1);    /* alone, it would delete an idle runner */
	CU_ASSERT_EQUAL(sc_reactive_adjust(&pool, 1, &one, w.now), 1);
	CU_ASSERT_EQUAL(pool.reactive, 3);
	sc_plan_free(&one);

	struct sc_plan two;
	CU_ASSERT_EQUAL(reconcile(&w, NULL, 0, &two), 0);
	CU_ASSERT_EQUAL(two.counts[0].target, 4);
	CU_ASSERT_EQUAL(two.counts[0].deletes, 0);
	CU_ASSERT_EQUAL(two.nactions, 0);
	sc_plan_free(&two);
}

/* A runner seen going busy is an arrival, unless it was spawned for its job. */
static void test_spawned_runner_busy_is_no_arrival(void)
{
	setup_reactive();
	struct world w = { .pool = { .name = "rp" }, .now = wall_ms() };
	struct sc_plan plan;
	reconcile(&w, NULL, 0, &plan);
	struct sc *sc = scaler_after(&w, &plan);
	sc_reactive_note("tu-rp-00000050", w.now);
	const char *names[] = { "tu-rp-00000050", "tu-rp-00000051" };
	for (int i = 0; i < 2; i++) {
		sc_track_observe(sc, names[i], "rp", w.now - 5000, 0, 0, w.now - 5000);
		sc_track_observe(sc, names[i], "rp", 0, 1, 0, w.now - 1000);
		sc_track_observe(sc, names[i], "rp", 0, 1, 1, w.now);
	}
	const struct sc_demand *dm = sc->pools[0].dm;
	CU_ASSERT_EQUAL(dm->arr[SC_ARR_BUSY].n, 1);      /* the plain runner's job only */
	CU_ASSERT_EQUAL(dm->boot_n, 2);                  /* both boots measured */
	CU_ASSERT_EQUAL(dm->boot_ms[0], 4000);
	scaler_free(sc);
	sc_plan_free(&plan);
}

UNIT_SUITE(sc_topup,
	UNIT_TEST(test_topup_counts_reactive_as_the_reconcile),
	UNIT_TEST(test_topup_counts_unlisted_building_servers),
	UNIT_TEST(test_topup_pending_spawn),
	UNIT_TEST(test_two_pass_decision_keeps_reactive_apart),
	UNIT_TEST(test_spawned_runner_busy_is_no_arrival))
