/* The reconcile decision (workers/scaler/sc_decide.c): classification rules, per-pool
 * targets, and invariants checked over every combination of observations. */
#include <stdio.h>
#include <string.h>
#include "tests/unit/unit.h"
#include "workers/scaler/sc_decide.h"

#define NOW      1763856000000LL
#define CREATE_T 600000LL          /* creation_timeout 10 min */
#define BOOT_T   1200000LL         /* bootstrap_timeout 20 min */
#define MAXN     64

/* A small world built by each test. */
struct world {
	struct sc_pool pools[4]; size_t npools;
	struct sc_vm vms[MAXN]; size_t nvms;
	struct sc_ghr gh[MAXN]; size_t ngh;
	struct sc_pending pd[MAXN]; size_t npd;
	struct sc_seen seen[MAXN]; size_t nseen;
	int64_t now;
};

static void w_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->now = NOW;
}

static void w_pool(struct world *w, const char *name, int min_idle, int max_runners)
{
	struct sc_pool *p = &w->pools[w->npools++];
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->min_idle = min_idle;
	p->max_runners = max_runners;
}

static void name_of(char *out, const char *pool, int i)
{
	snprintf(out, SC_NAME_MAX, "ghr-%s-%08x", pool, (unsigned)i);
}

/* status "ACTIVE+deleting": status ACTIVE, task_state deleting (Nova keeps listing a
 * deleted server, with its old status, until it is gone). */
static void w_vm(struct world *w, const char *pool, int i, const char *status, int64_t age_ms)
{
	struct sc_vm *v = &w->vms[w->nvms++];
	name_of(v->name, pool, i);
	snprintf(v->id, sizeof(v->id), "vm-%s-%d", pool, i);
	snprintf(v->pool, sizeof(v->pool), "%s", pool);
	const char *plus = strchr(status, '+');
	snprintf(v->status, sizeof(v->status), "%.*s", plus ? (int)(plus - status) : (int)strlen(status), status);
	v->deleting = plus && strcmp(plus, "+deleting") == 0;
	v->created_ms = w->now - age_ms;
}

static void w_deleting(struct world *w, const char *pool, int i, const char *status, int64_t since_ago)
{
	char st[32];
	snprintf(st, sizeof(st), "%s+deleting", status);
	w_vm(w, pool, i, st, 3600000);
	struct sc_seen *s = &w->seen[w->nseen++];
	name_of(s->name, pool, i);
	s->flags = SC_SEEN_DELETING;
	s->deleting_ms = w->now - since_ago;
}

/* gh: 0 offline, 1 online, 2 busy */
static void w_gh(struct world *w, const char *pool, int i, int how)
{
	struct sc_ghr *g = &w->gh[w->ngh++];
	name_of(g->name, pool, i);
	snprintf(g->pool, sizeof(g->pool), "%s", pool);
	g->id = 1000 + (int64_t)w->ngh;
	g->online = how >= 1;
	g->busy = how == 2;
}

static void w_runner(struct world *w, const char *pool, int i, int how, int64_t age_ms)
{
	w_vm(w, pool, i, "ACTIVE", age_ms);
	w_gh(w, pool, i, how);
}

static void w_pending(struct world *w, const char *pool, int i)
{
	struct sc_pending *p = &w->pd[w->npd++];
	name_of(p->name, pool, i);
	snprintf(p->pool, sizeof(p->pool), "%s", pool);
	p->started_ms = w->now - 1000;
}

static void w_seen(struct world *w, const char *pool, int i, unsigned flags, int64_t since_ago)
{
	struct sc_seen *s = &w->seen[w->nseen++];
	name_of(s->name, pool, i);
	s->flags = flags;
	s->online_ms = w->now - 3600000;
	s->busy_ms = (flags & SC_SEEN_BUSY) ? w->now - 60000 : 0;
	s->since_ms = w->now - since_ago;
}

static void run(struct world *w, struct sc_plan *p)
{
	struct sc_input in = {
		.manager_id = "ghr",
		.pools = w->pools, .npools = w->npools,
		.vms = w->vms, .nvms = w->nvms,
		.runners = w->gh, .nrunners = w->ngh,
		.pending = w->pd, .npending = w->npd,
		.seen = w->seen, .nseen = w->nseen,
		.now_ms = w->now, .creation_timeout_ms = CREATE_T, .bootstrap_timeout_ms = BOOT_T,
	};
	CU_ASSERT_EQUAL_FATAL(sc_decide(&in, p), 0);
}

static int n_kind(const struct sc_plan *p, enum sc_act_kind k, const char *pool)
{
	int n = 0;
	for (size_t i = 0; i < p->nactions; i++)
		if (p->actions[i].kind == k && (!pool || strcmp(p->actions[i].pool, pool) == 0))
			n++;
	return n;
}

static const struct sc_row *row(const struct sc_plan *p, const char *pool, int i)
{
	char name[SC_NAME_MAX];
	name_of(name, pool, i);
	for (size_t k = 0; k < p->nrows; k++)
		if (strcmp(p->rows[k].name, name) == 0)
			return &p->rows[k];
	return NULL;
}

static const struct sc_action *delete_of(const struct sc_plan *p, const char *pool, int i)
{
	char name[SC_NAME_MAX];
	name_of(name, pool, i);
	for (size_t k = 0; k < p->nactions; k++)
		if (p->actions[k].kind == SC_ACT_DELETE && strcmp(p->actions[k].name, name) == 0)
			return &p->actions[k];
	return NULL;
}

static const struct sc_action *delete_of_vm(const struct sc_plan *p, const char *vm_id);
static unsigned seen_flags(const struct sc_plan *p, const char *pool, int i);
static const struct sc_seen *seen_of(const struct sc_plan *p, const char *pool, int i);

/* ---- classification table -------------------------------------------------------- */

struct ccase {
	const char *vm;          /* NULL: no VM */
	int64_t age;
	int gh;                  /* -1 none, 0 offline, 1 online, 2 busy */
	unsigned prev;           /* 0xffff: no earlier observation */
	int64_t since_ago;       /* for SC_SEEN_OFFLINE */
	int pending;
	enum sc_state want;
	int deleted;
};

#define NOPREV 0xffffu
static const struct ccase ccases[] = {
	/* VM status decides first */
	{ "ERROR", 1000, -1, NOPREV, 0, 0, SC_FAILED, 1 },
	{ "ERROR", 1000, 1, NOPREV, 0, 0, SC_FAILED, 1 },
	{ "SHUTOFF", 1000, -1, NOPREV, 0, 0, SC_FINISHED, 1 },
	{ "SHUTOFF", 1000, 0, NOPREV, 0, 0, SC_FINISHED, 1 },
	{ "SHUTOFF", 1000, 2, NOPREV, 0, 0, SC_BUSY, 0 },
	/* being deleted: never deleted again (Nova lists it a while, with its old status) */
	{ "DELETED", 1000, -1, NOPREV, 0, 0, SC_DELETING, 0 },
	{ "SOFT_DELETED", 1000, -1, NOPREV, 0, 0, SC_DELETING, 0 },
	{ "ACTIVE+deleting", 1000, -1, NOPREV, 0, 0, SC_DELETING, 0 },
	{ "ACTIVE+deleting", CREATE_T * 5, -1, NOPREV, 0, 0, SC_DELETING, 0 },
	{ "ACTIVE+deleting", 1000, -1, SC_SEEN_ONLINE | SC_SEEN_GONE, 0, 0, SC_DELETING, 0 },
	{ "SHUTOFF+deleting", 1000, -1, SC_SEEN_ONLINE | SC_SEEN_BUSY, 0, 0, SC_DELETING, 0 },
	{ "ERROR+deleting", 1000, -1, NOPREV, 0, 0, SC_DELETING, 0 },
	{ "BUILD+deleting", CREATE_T + 1, -1, NOPREV, 0, 0, SC_DELETING, 0 },
	{ "ACTIVE+deleting", BOOT_T + 1, -1, SC_SEEN_STALE, 0, 0, SC_DELETING, 0 },
	/* ... its runner still goes (runner only), unless busy */
	{ "ACTIVE+deleting", 1000, 1, NOPREV, 0, 0, SC_DELETING, 1 },
	{ "ACTIVE+deleting", 1000, 0, NOPREV, 0, 0, SC_DELETING, 1 },
	{ "ACTIVE+deleting", 1000, 2, NOPREV, 0, 0, SC_DELETING, 0 },
	{ "BUILD", 1000, 0, NOPREV, 0, 0, SC_CREATING, 0 },
	{ "BUILD", CREATE_T + 1, 0, NOPREV, 0, 0, SC_FAILED, 1 },
	{ "BUILD", CREATE_T - 1, -1, NOPREV, 0, 0, SC_CREATING, 0 },
	{ "PAUSED", 1000, 0, NOPREV, 0, 0, SC_CREATING, 0 },
	{ "PAUSED", CREATE_T + 1, -1, NOPREV, 0, 0, SC_FAILED, 1 },
	{ "REBOOT", 1000, 1, NOPREV, 0, 0, SC_IDLE, 0 },
	/* ACTIVE with a runner */
	{ "ACTIVE", 1000, 1, NOPREV, 0, 0, SC_IDLE, 0 },
	{ "ACTIVE", 1000, 2, NOPREV, 0, 0, SC_BUSY, 0 },
	{ "ACTIVE", BOOT_T * 10, 2, NOPREV, 0, 0, SC_BUSY, 0 },
	{ "ACTIVE", 1000, 0, NOPREV, 0, 0, SC_BOOTING, 0 },
	{ "ACTIVE", BOOT_T - 1, 0, NOPREV, 0, 0, SC_BOOTING, 0 },
	/* never online past bootstrap_timeout: one look is not enough, two are */
	{ "ACTIVE", BOOT_T + 1, 0, NOPREV, 0, 0, SC_BOOTING, 0 },
	{ "ACTIVE", BOOT_T + 1, 0, 0, 0, 0, SC_BOOTING, 0 },
	{ "ACTIVE", BOOT_T + 1, 0, SC_SEEN_STALE, 0, 0, SC_FAILED, 1 },
	{ "ACTIVE", BOOT_T + 1, -1, SC_SEEN_STALE, 0, 0, SC_FAILED, 1 },
	{ "ACTIVE", BOOT_T + 1, -1, NOPREV, 0, 0, SC_BOOTING, 0 },
	/* online once: briefly offline is not a reason to delete */
	{ "ACTIVE", BOOT_T * 3, 0, SC_SEEN_ONLINE, 0, 0, SC_OFFLINE, 0 },
	{ "ACTIVE", BOOT_T * 3, 0, SC_SEEN_ONLINE | SC_SEEN_OFFLINE, BOOT_T - 1, 0, SC_OFFLINE, 0 },
	{ "ACTIVE", BOOT_T * 3, 0, SC_SEEN_ONLINE | SC_SEEN_OFFLINE, BOOT_T + 1, 0, SC_FAILED, 1 },
	{ "ACTIVE", 1000, 1, SC_SEEN_ONLINE | SC_SEEN_OFFLINE, BOOT_T + 1, 0, SC_IDLE, 0 },
	/* online once and now gone from GitHub: its job is done -- on the second look in a
	 * row (a paginated list can skip a runner once); a powered-off VM needs no second */
	{ "ACTIVE", 5000, -1, SC_SEEN_ONLINE, 0, 0, SC_OFFLINE, 0 },
	{ "ACTIVE", 5000, -1, SC_SEEN_ONLINE | SC_SEEN_BUSY, 0, 0, SC_BUSY, 0 },
	{ "ACTIVE", 5000, -1, SC_SEEN_ONLINE | SC_SEEN_GONE, 0, 0, SC_FINISHED, 1 },
	{ "ACTIVE", 5000, -1, SC_SEEN_ONLINE | SC_SEEN_BUSY | SC_SEEN_GONE, 0, 0, SC_FINISHED, 1 },
	{ "ACTIVE", 5000, 2, SC_SEEN_ONLINE | SC_SEEN_BUSY | SC_SEEN_GONE, 0, 0, SC_BUSY, 0 },
	{ "SHUTOFF", 5000, -1, SC_SEEN_ONLINE | SC_SEEN_BUSY, 0, 0, SC_FINISHED, 1 },
	{ "ERROR", 1000, 2, NOPREV, 0, 0, SC_FAILED, 1 },
	/* a create in flight protects the name */
	{ "ACTIVE", 1000, -1, NOPREV, 0, 1, SC_BOOTING, 0 },
	{ NULL, 0, 0, NOPREV, 0, 1, SC_CREATING, 0 },
	{ NULL, 0, -1, NOPREV, 0, 1, SC_CREATING, 0 },
	{ NULL, 0, 0, SC_SEEN_DANGLING, 0, 1, SC_CREATING, 0 },
	/* runner without VM: delete on the second look, never when busy */
	{ NULL, 0, 0, NOPREV, 0, 0, SC_DANGLING, 0 },
	{ NULL, 0, 1, NOPREV, 0, 0, SC_DANGLING, 0 },
	{ NULL, 0, 0, SC_SEEN_DANGLING, 0, 0, SC_DANGLING, 1 },
	{ NULL, 0, 1, SC_SEEN_DANGLING, 0, 0, SC_DANGLING, 1 },
	{ NULL, 0, 2, SC_SEEN_DANGLING, 0, 0, SC_DANGLING, 0 },
};

static void test_classify_table(void)
{
	for (size_t i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		const struct ccase *c = &ccases[i];
		struct world w;
		w_init(&w);
		w_pool(&w, "small", 1, 0);        /* one idle runner is wanted: never surplus */
		if (c->vm)
			w_vm(&w, "small", 1, c->vm, c->age);
		if (c->gh >= 0)
			w_gh(&w, "small", 1, c->gh);
		if (c->prev != NOPREV)
			w_seen(&w, "small", 1, c->prev, c->since_ago);
		if (c->pending)
			w_pending(&w, "small", 1);
		struct sc_plan p;
		run(&w, &p);
		const struct sc_row *r = row(&p, "small", 1);
		CU_ASSERT_PTR_NOT_NULL(r);
		if (r && (r->state != c->want || (delete_of(&p, "small", 1) != NULL) != c->deleted)) {
			fprintf(stderr, "\n case %zu: vm=%s age=%lld gh=%d prev=%#x pending=%d: got %s (%s) deleted=%d\n",
			        i, c->vm ? c->vm : "-", (long long)c->age, c->gh, c->prev, c->pending,
			        sc_state_name(r->state), r->reason, delete_of(&p, "small", 1) != NULL);
			CU_FAIL("classification differs from the table");
		}
		sc_plan_free(&p);
	}
}

/* ---- per-pool targets ---------------------------------------------------------------- */

static void test_empty_pool_creates_min_idle(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 3, 0);
	struct sc_plan p;
	run(&w, &p);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 3);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_DELETE, NULL), 0);
	CU_ASSERT_EQUAL(p.ncounts, 1);
	CU_ASSERT_EQUAL(p.counts[0].creates, 3);
	sc_plan_free(&p);
}

static void test_max_runners_caps_creates(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 3, 2);
	struct sc_plan p;
	run(&w, &p);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 2);
	sc_plan_free(&p);

	/* busy runners count against max_runners */
	w_init(&w);
	w_pool(&w, "small", 2, 4);
	for (int i = 0; i < 3; i++)
		w_runner(&w, "small", i, 2, 60000);
	run(&w, &p);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 1);
	sc_plan_free(&p);

	/* full: nothing */
	w_init(&w);
	w_pool(&w, "small", 2, 3);
	for (int i = 0; i < 3; i++)
		w_runner(&w, "small", i, 2, 60000);
	run(&w, &p);
	CU_ASSERT_EQUAL(p.nactions, 0);
	sc_plan_free(&p);
}

static void test_idle_creating_booting_count_toward_min_idle(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 4, 0);
	w_runner(&w, "small", 1, 1, 60000);          /* idle */
	w_vm(&w, "small", 2, "BUILD", 1000);          /* creating */
	w_runner(&w, "small", 3, 0, 1000);           /* booting */
	w_pending(&w, "small", 4);                    /* create in flight */
	w_runner(&w, "small", 5, 2, 1000);           /* busy: does not count */
	struct sc_plan p;
	run(&w, &p);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 0);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_DELETE, NULL), 0);
	CU_ASSERT_EQUAL(p.nrows, 5);
	CU_ASSERT_EQUAL(p.counts[0].n[SC_CREATING], 2);
	CU_ASSERT_EQUAL(p.counts[0].alive, 5);
	sc_plan_free(&p);
}

static void test_scale_down_deletes_oldest_idle_only(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 2, 0);
	for (int i = 0; i < 5; i++)
		w_runner(&w, "small", i, 1, 10000 + 1000 * i);   /* i=4 oldest */
	for (int i = 5; i < 8; i++)
		w_runner(&w, "small", i, 2, 99000);              /* busy, older still */
	struct sc_plan p;
	run(&w, &p);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_DELETE, "small"), 3);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(delete_of(&p, "small", 4));
	CU_ASSERT_PTR_NOT_NULL(delete_of(&p, "small", 3));
	CU_ASSERT_PTR_NOT_NULL(delete_of(&p, "small", 2));
	for (size_t i = 0; i < p.nactions; i++) {
		CU_ASSERT_TRUE(p.actions[i].guarded);      /* GitHub first, 422 leaves it */
		CU_ASSERT_NOT_EQUAL(p.actions[i].runner_id, 0);
	}
	for (int i = 5; i < 8; i++)
		CU_ASSERT_PTR_NULL(delete_of(&p, "small", i));
	sc_plan_free(&p);
}

static void test_scale_down_never_touches_creating_or_booting(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 0, 0);
	w_vm(&w, "small", 1, "BUILD", 1000);
	w_runner(&w, "small", 2, 0, 1000);
	struct sc_plan p;
	run(&w, &p);
	CU_ASSERT_EQUAL(p.nactions, 0);
	sc_plan_free(&p);
}

static void test_above_max_runners_deletes_idle(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 4, 3);
	for (int i = 0; i < 4; i++)
		w_runner(&w, "small", i, 1, 1000 * (i + 1));
	w_runner(&w, "small", 9, 2, 1000);
	struct sc_plan p;
	run(&w, &p);
	/* 5 alive, cap 3: two idle go although idle (4) is not above min_idle (4) */
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_DELETE, "small"), 2);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, NULL), 0);
	CU_ASSERT_PTR_NULL(delete_of(&p, "small", 9));
	sc_plan_free(&p);
}

static void test_error_vm_deleted_and_replaced_same_reconcile(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 2, 2);
	w_runner(&w, "small", 1, 1, 60000);
	w_vm(&w, "small", 2, "ERROR", 5000);
	w_gh(&w, "small", 2, 0);
	struct sc_plan p;
	run(&w, &p);
	const struct sc_action *d = delete_of(&p, "small", 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_FALSE(d->guarded);
	CU_ASSERT_STRING_EQUAL(d->vm_id, "vm-small-2");
	CU_ASSERT_NOT_EQUAL(d->runner_id, 0);
	/* the ERROR VM still uses quota until Nova has removed it: it holds its slot of
	 * max_runners 2, so the replacement waits for it ... */
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 0);
	CU_ASSERT_EQUAL(p.counts[0].held, 2);
	sc_plan_free(&p);

	/* ... and is created in the same reconcile when the cap leaves room */
	w.pools[0].max_runners = 3;
	run(&w, &p);
	CU_ASSERT_PTR_NOT_NULL(delete_of(&p, "small", 2));
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 1);
	sc_plan_free(&p);
	w.pools[0].max_runners = 0;
	run(&w, &p);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 1);
	sc_plan_free(&p);
}

/* ---- servers being deleted ------------------------------------------------------------ */

/* Nova lists a deleted server (task_state deleting, old status) until it is gone: it is
 * never deleted again, and it is not an idle runner. */
static void test_deleting_never_deleted_again(void)
{
	static const char *const st[] = { "ACTIVE+deleting", "SHUTOFF+deleting", "ERROR+deleting",
	                                  "BUILD+deleting", "DELETED", "SOFT_DELETED" };
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		struct world w;
		w_init(&w);
		w_pool(&w, "small", 0, 0);
		w_vm(&w, "small", 1, st[i], CREATE_T * 3);   /* old: no timeout applies */
		w_seen(&w, "small", 1, SC_SEEN_ONLINE | SC_SEEN_BUSY | SC_SEEN_GONE, 0);
		struct sc_plan p;
		run(&w, &p);
		CU_ASSERT_EQUAL(row(&p, "small", 1)->state, SC_DELETING);
		CU_ASSERT_STRING_EQUAL(sc_state_name(SC_DELETING), "deleting");
		if (p.nactions != 0) {
			fprintf(stderr, "\n %s: %zu actions (%s)\n", st[i], p.nactions, p.actions[0].reason);
			CU_FAIL("a server being deleted was deleted again");
		}
		CU_ASSERT_TRUE(seen_flags(&p, "small", 1) & SC_SEEN_DELETING);
		sc_plan_free(&p);
	}

	/* the runner of a server being deleted goes, and only the runner */
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 0, 0);
	w_vm(&w, "small", 1, "ACTIVE+deleting", 60000);
	w_gh(&w, "small", 1, 1);
	struct sc_plan p;
	run(&w, &p);
	const struct sc_action *d = delete_of(&p, "small", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d->vm_id, "");
	CU_ASSERT_NOT_EQUAL(d->runner_id, 0);
	sc_plan_free(&p);

	/* a duplicate VM being deleted is not deleted again, and the live one is kept */
	w_init(&w);
	w_pool(&w, "small", 1, 0);
	w_vm(&w, "small", 1, "ACTIVE+deleting", 90000);
	snprintf(w.vms[0].id, sizeof(w.vms[0].id), "vm-old");
	w_vm(&w, "small", 1, "ACTIVE", 1000);
	w_gh(&w, "small", 1, 1);
	run(&w, &p);
	CU_ASSERT_EQUAL(p.nactions, 0);
	CU_ASSERT_EQUAL(row(&p, "small", 1)->state, SC_IDLE);
	CU_ASSERT_STRING_EQUAL(row(&p, "small", 1)->vm_id, "vm-small-1");
	CU_ASSERT_EQUAL(p.counts[0].held, 2);
	sc_plan_free(&p);
}

/* Our DELETE failed after Nova marked the server deleting: it is sent again at the
 * first reconcile after a short pause (not after creation_timeout), and again while it
 * keeps failing, each pause twice the last, capped. */
static void test_failed_delete_sent_again_after_a_pause(void)
{
	for (int due = 0; due <= 1; due++) {
		struct world w;
		struct sc_plan p;
		w_init(&w);
		w_pool(&w, "small", 1, 1);
		w_deleting(&w, "small", 1, "ERROR", 30000);      /* far from creation_timeout */
		sc_seen_delete_failed(&w.seen[0], w.now - 30000);
		if (!due)
			w.seen[0].delete_retry_ms = w.now + 1000;
		run(&w, &p);
		const struct sc_action *d = delete_of(&p, "small", 1);
		CU_ASSERT_EQUAL(row(&p, "small", 1)->state, SC_DELETING);
		CU_ASSERT_EQUAL(d != NULL, due);
		if (d)
			CU_ASSERT_STRING_EQUAL(d->vm_id, "vm-small-1");
		CU_ASSERT_TRUE(seen_flags(&p, "small", 1) & SC_SEEN_DELETE_FAILED);
		sc_plan_free(&p);
	}
	struct sc_seen s;
	memset(&s, 0, sizeof(s));
	int64_t last = 0;
	for (int i = 0; i < 12; i++) {
		sc_seen_delete_failed(&s, NOW);
		int64_t pause = s.delete_retry_ms - NOW;
		CU_ASSERT_TRUE(pause >= SC_DELETE_RETRY_MS && pause <= SC_DELETE_RETRY_MAX_MS);
		CU_ASSERT_TRUE(i == 0 || pause == SC_DELETE_RETRY_MAX_MS || pause == 2 * last);
		last = pause;
	}
	CU_ASSERT_EQUAL(last, SC_DELETE_RETRY_MAX_MS);
}

/* Servers being deleted are not ready runners (min_idle is met by idle, creating and
 * booting ones only), but they hold a max_runners slot until gone: they use quota. */
static void test_deleting_counts_against_max_runners_not_min_idle(void)
{
	struct world w;
	struct sc_plan p;
	w_init(&w);
	w_pool(&w, "small", 2, 0);
	for (int i = 0; i < 5; i++)
		w_vm(&w, "small", i, "ACTIVE+deleting", 60000);
	run(&w, &p);
	CU_ASSERT_EQUAL(p.counts[0].n[SC_DELETING], 5);
	CU_ASSERT_EQUAL(p.counts[0].n[SC_IDLE], 0);
	CU_ASSERT_EQUAL(p.counts[0].alive, 0);
	CU_ASSERT_EQUAL(p.counts[0].held, 5);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 2);    /* no cap: min_idle met */
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_DELETE, NULL), 0);
	sc_plan_free(&p);

	/* cap 6: 5 going + 1 idle leave no room for the second idle runner wanted */
	w_init(&w);
	w_pool(&w, "small", 2, 6);
	for (int i = 0; i < 5; i++)
		w_vm(&w, "small", i, "ACTIVE+deleting", 60000);
	w_runner(&w, "small", 9, 1, 60000);
	run(&w, &p);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 0);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_DELETE, NULL), 0);      /* the idle one is not "above max" */
	sc_plan_free(&p);

	/* cap 10: a cycling pool -- busy runners finishing (SHUTOFF, deleted now) and the
	 * ones deleted before still going -- creates only up to 10 servers in all */
	w_init(&w);
	w_pool(&w, "small", 4, 10);
	for (int i = 0; i < 3; i++)
		w_vm(&w, "small", i, "SHUTOFF+deleting", 60000);
	for (int i = 3; i < 6; i++)
		w_vm(&w, "small", i, "SHUTOFF", 60000);               /* finished: deleted now */
	for (int i = 6; i < 8; i++)
		w_runner(&w, "small", i, 2, 60000);                   /* busy */
	run(&w, &p);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_DELETE, "small"), 3);
	CU_ASSERT_EQUAL(p.counts[0].held, 8);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 2);    /* 4 wanted, 2 slots left */
	sc_plan_free(&p);

	/* a cap lowered below what exists: runners alive above it are scaled down, but the
	 * servers already going do not make idle runners go */
	w_init(&w);
	w_pool(&w, "small", 3, 3);
	for (int i = 0; i < 4; i++)
		w_vm(&w, "small", i, "ACTIVE+deleting", 60000);
	for (int i = 4; i < 7; i++)
		w_runner(&w, "small", i, 1, 60000);
	run(&w, &p);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_DELETE, NULL), 0);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, NULL), 0);
	sc_plan_free(&p);
}

/* A delete that is stuck (still listed creation_timeout after it was first seen being
 * deleted) is sent once more -- once. */
static void test_stuck_deleting_deleted_again_once(void)
{
	struct world w;
	struct sc_plan p;
	/* first seen being deleted: the memory starts */
	w_init(&w);
	w_pool(&w, "small", 0, 0);
	w_vm(&w, "small", 1, "ACTIVE+deleting", 60000);
	run(&w, &p);
	struct sc_seen s = *seen_of(&p, "small", 1);
	CU_ASSERT_TRUE(s.flags & SC_SEEN_DELETING);
	CU_ASSERT_EQUAL(s.deleting_ms, w.now);
	CU_ASSERT_EQUAL(p.nactions, 0);
	sc_plan_free(&p);

	/* later looks: nothing until creation_timeout has passed, then one delete of the VM
	 * (and its runner), then nothing again however long it stays */
	int deletes = 0;
	for (int look = 1; look <= 6; look++) {
		w_init(&w);
		w.now += look * (CREATE_T / 3);
		w_pool(&w, "small", 0, 0);
		w_vm(&w, "small", 1, "ACTIVE+deleting", 60000);
		w_gh(&w, "small", 1, 0);
		w.seen[w.nseen++] = s;
		run(&w, &p);
		CU_ASSERT_EQUAL(row(&p, "small", 1)->state, SC_DELETING);
		const struct sc_action *d = delete_of(&p, "small", 1);
		CU_ASSERT_PTR_NOT_NULL(d);          /* its (offline) runner goes at every look */
		if (d && d->vm_id[0]) {
			deletes++;
			CU_ASSERT_EQUAL(look, 4);        /* the first look past creation_timeout */
			CU_ASSERT_TRUE(row(&p, "small", 1)->redelete);
			CU_ASSERT_NOT_EQUAL(d->runner_id, 0);
			CU_ASSERT_FALSE(d->guarded);
		}
		s = *seen_of(&p, "small", 1);
		CU_ASSERT_EQUAL(s.deleting_ms, NOW);
		sc_plan_free(&p);
	}
	CU_ASSERT_EQUAL(deletes, 1);
	CU_ASSERT_TRUE(s.flags & SC_SEEN_REDELETED);

	/* stuck, seen so the previous time too (w_deleting): exactly one VM delete */
	w_init(&w);
	w_pool(&w, "small", 0, 0);
	w_deleting(&w, "small", 1, "SHUTOFF", CREATE_T + 1);
	run(&w, &p);
	CU_ASSERT_EQUAL(p.nactions, 1);
	CU_ASSERT_PTR_NOT_NULL(delete_of_vm(&p, "vm-small-1"));
	sc_plan_free(&p);
}

static void test_unknown_pool_target_zero_busy_left(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 0, 0);
	w_runner(&w, "gone", 1, 1, 1000);
	w_runner(&w, "gone", 2, 2, 1000);
	w_vm(&w, "gone", 3, "SHUTOFF", 1000);
	struct sc_plan p;
	run(&w, &p);
	CU_ASSERT_PTR_NOT_NULL(delete_of(&p, "gone", 1));
	CU_ASSERT_PTR_NULL(delete_of(&p, "gone", 2));
	CU_ASSERT_PTR_NOT_NULL(delete_of(&p, "gone", 3));
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, NULL), 0);
	CU_ASSERT_FALSE(row(&p, "gone", 1)->pool_known);
	CU_ASSERT_EQUAL(p.ncounts, 2);
	sc_plan_free(&p);
}

/* Two VMs with one name: which one goes is decided, never left to list order. */
static const struct sc_action *delete_of_vm(const struct sc_plan *p, const char *vm_id)
{
	for (size_t k = 0; k < p->nactions; k++)
		if (p->actions[k].kind == SC_ACT_DELETE && strcmp(p->actions[k].vm_id, vm_id) == 0)
			return &p->actions[k];
	return NULL;
}

struct dupcase {
	const char *st_a; int64_t age_a;   /* VM "vm-a" */
	const char *st_b; int64_t age_b;   /* VM "vm-b" */
	int gh;                            /* -1 none, 0 offline, 1 online, 2 busy */
	const char *deleted;               /* the VM id deleted, or NULL: none */
};

static const struct dupcase dupcases[] = {
	/* runner offline or absent: keep the ACTIVE one, else the older one, else the smaller id */
	{ "ACTIVE", 1000, "BUILD", 5000, 0, "vm-b" },
	{ "BUILD", 5000, "ACTIVE", 1000, 0, "vm-a" },
	{ "ACTIVE", 1000, "ACTIVE", 5000, -1, "vm-a" },
	{ "ACTIVE", 5000, "ACTIVE", 1000, -1, "vm-b" },
	{ "ACTIVE", 3000, "ACTIVE", 3000, 0, "vm-b" },
	{ "ERROR", 9000, "ACTIVE", 1000, 0, "vm-a" },
	/* runner online or busy: either VM may be running it; nothing that could is deleted */
	{ "ACTIVE", 1000, "ACTIVE", 5000, 1, NULL },
	{ "ACTIVE", 5000, "ACTIVE", 1000, 2, NULL },
	{ "ACTIVE", 1000, "BUILD", 5000, 2, NULL },
	/* ... but an ERROR or stopped duplicate cannot be, and goes */
	{ "ACTIVE", 1000, "ERROR", 5000, 2, "vm-b" },
	{ "SHUTOFF", 1000, "ACTIVE", 5000, 2, "vm-a" },
};

static void test_duplicate_vm_names_deleted(void)
{
	for (size_t i = 0; i < sizeof(dupcases) / sizeof(dupcases[0]); i++) {
		const struct dupcase *c = &dupcases[i];
		for (int order = 0; order < 2; order++) {          /* list order never matters */
			struct world w;
			w_init(&w);
			w_pool(&w, "small", 1, 0);
			w_vm(&w, "small", 1, order ? c->st_b : c->st_a, order ? c->age_b : c->age_a);
			snprintf(w.vms[0].id, sizeof(w.vms[0].id), "%s", order ? "vm-b" : "vm-a");
			w_vm(&w, "small", 1, order ? c->st_a : c->st_b, order ? c->age_a : c->age_b);
			snprintf(w.vms[1].id, sizeof(w.vms[1].id), "%s", order ? "vm-a" : "vm-b");
			if (c->gh >= 0)
				w_gh(&w, "small", 1, c->gh);
			struct sc_plan p;
			run(&w, &p);
			CU_ASSERT_EQUAL(p.nrows, 1);
			const struct sc_action *da = delete_of_vm(&p, "vm-a"), *db = delete_of_vm(&p, "vm-b");
			int ok = c->deleted ? (strcmp(c->deleted, "vm-a") == 0 ? da && !db : db && !da) : !da && !db;
			/* the row kept is joined with the VM kept */
			if (ok && c->deleted)
				ok = strcmp(p.rows[0].vm_id, c->deleted) != 0;
			if (!ok) {
				fprintf(stderr, "\n dup case %zu order %d: deleted a=%d b=%d row vm=%s\n", i, order,
				        da != NULL, db != NULL, p.rows[0].vm_id);
				CU_FAIL("duplicate VM choice differs from the table");
			}
			/* a duplicate's delete never touches the GitHub runner */
			if (c->deleted && (da || db) && (da ? da : db)->reason[0] == 's')
				CU_ASSERT_EQUAL((da ? da : db)->runner_id, 0);
			sc_plan_free(&p);
		}
	}
}

static void test_foreign_runners_ignored(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 0, 0);
	struct sc_ghr *g = &w.gh[w.ngh++];
	snprintf(g->name, sizeof(g->name), "other-small-0000abcd");
	g->id = 7;       /* pool left empty: not this manager's */
	struct sc_plan p;
	run(&w, &p);
	CU_ASSERT_EQUAL(p.nrows, 0);
	CU_ASSERT_EQUAL(p.nactions, 0);
	sc_plan_free(&p);
}

static void test_two_pools_independent(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 2, 0);
	w_pool(&w, "large", 1, 1);
	w_runner(&w, "small", 1, 1, 1000);
	w_runner(&w, "large", 1, 2, 1000);
	struct sc_plan p;
	run(&w, &p);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 1);
	CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "large"), 0);   /* capped */
	CU_ASSERT_STRING_EQUAL(p.counts[0].pool, "small");
	CU_ASSERT_STRING_EQUAL(p.counts[1].pool, "large");
	sc_plan_free(&p);
}

/* ---- memory and events --------------------------------------------------------------- */

static const struct sc_seen *seen_of(const struct sc_plan *p, const char *pool, int i)
{
	char name[SC_NAME_MAX];
	name_of(name, pool, i);
	for (size_t k = 0; k < p->nseen; k++)
		if (strcmp(p->seen[k].name, name) == 0)
			return &p->seen[k];
	return NULL;
}

static unsigned seen_flags(const struct sc_plan *p, const char *pool, int i)
{
	const struct sc_seen *s = seen_of(p, pool, i);
	return s ? s->flags : 0;
}

static int n_events(const struct sc_plan *p, enum sc_evt_kind k)
{
	int n = 0;
	for (size_t i = 0; i < p->nevents; i++)
		n += p->events[i].kind == k;
	return n;
}

static void test_lifecycle_memory_and_events(void)
{
	struct world w;
	struct sc_plan p;
	/* 1: booting */
	w_init(&w);
	w_pool(&w, "small", 0, 0);
	w_runner(&w, "small", 1, 0, 1000);
	run(&w, &p);
	CU_ASSERT_EQUAL(p.nevents, 0);
	struct sc_seen s1 = *seen_of(&p, "small", 1);
	CU_ASSERT_FALSE(s1.flags & SC_SEEN_ONLINE);
	sc_plan_free(&p);

	/* 2: online -> runner_installed with duration = age */
	w_init(&w);
	w_pool(&w, "small", 0, 1);
	w_runner(&w, "small", 1, 1, 30000);
	w.pools[0].min_idle = 1;
	w.seen[w.nseen++] = s1;
	run(&w, &p);
	CU_ASSERT_EQUAL(n_events(&p, SC_EVT_INSTALLED), 1);
	CU_ASSERT_DOUBLE_EQUAL(p.events[0].duration_s, 30.0, 0.001);
	struct sc_seen s2 = *seen_of(&p, "small", 1);
	CU_ASSERT_TRUE(s2.flags & SC_SEEN_ONLINE);
	CU_ASSERT_EQUAL(s2.online_ms, w.now);
	sc_plan_free(&p);

	/* 3: busy 5 s later -> runner_start with idle 5 s */
	w_init(&w);
	w.now += 5000;
	w_pool(&w, "small", 1, 1);
	w_runner(&w, "small", 1, 2, 35000);
	w.seen[w.nseen++] = s2;
	run(&w, &p);
	CU_ASSERT_EQUAL(n_events(&p, SC_EVT_INSTALLED), 0);
	CU_ASSERT_EQUAL(n_events(&p, SC_EVT_START), 1);
	CU_ASSERT_DOUBLE_EQUAL(p.events[0].idle_s, 5.0, 0.001);
	struct sc_seen s3 = *seen_of(&p, "small", 1);
	sc_plan_free(&p);

	/* 4a: runner missing from one list, VM still ACTIVE: still busy, nothing deleted */
	w_init(&w);
	w.now += 15000;
	w_pool(&w, "small", 1, 1);
	w_vm(&w, "small", 1, "ACTIVE", 50000);
	w.seen[w.nseen++] = s3;
	run(&w, &p);
	CU_ASSERT_EQUAL(row(&p, "small", 1)->state, SC_BUSY);
	CU_ASSERT_PTR_NULL(delete_of(&p, "small", 1));
	CU_ASSERT_EQUAL(n_events(&p, SC_EVT_STOP), 0);
	struct sc_seen s3b = *seen_of(&p, "small", 1);
	sc_plan_free(&p);

	/* 4b: missing again 20 s after busy -> finished, runner_stop once */
	w_init(&w);
	w.now += 25000;
	w_pool(&w, "small", 1, 1);
	w_vm(&w, "small", 1, "ACTIVE", 60000);
	w.seen[w.nseen++] = s3b;
	run(&w, &p);
	CU_ASSERT_EQUAL(row(&p, "small", 1)->state, SC_FINISHED);
	CU_ASSERT_EQUAL_FATAL(n_events(&p, SC_EVT_STOP), 1);
	CU_ASSERT_STRING_EQUAL(p.events[0].status, "normal");
	CU_ASSERT_DOUBLE_EQUAL(p.events[0].job_s, 20.0, 0.001);
	struct sc_seen s4 = *seen_of(&p, "small", 1);
	CU_ASSERT_PTR_NOT_NULL(delete_of(&p, "small", 1));
	sc_plan_free(&p);

	/* 5: delete failed, seen again: no second runner_stop */
	w_init(&w);
	w_pool(&w, "small", 1, 1);
	w_vm(&w, "small", 1, "SHUTOFF", 90000);
	w.seen[w.nseen++] = s4;
	run(&w, &p);
	CU_ASSERT_EQUAL(n_events(&p, SC_EVT_STOP), 0);
	CU_ASSERT_PTR_NOT_NULL(delete_of(&p, "small", 1));
	sc_plan_free(&p);
}

/* ---- invariants over every combination --------------------------------------------- */

static void test_invariants_all_combinations(void)
{
	static const char *vms[] = { NULL, "BUILD", "ACTIVE", "ERROR", "SHUTOFF", "PAUSED",
	                             "ACTIVE+deleting", "SHUTOFF+deleting", "DELETED" };
	static const int64_t ages[] = { 1000, CREATE_T + 1, BOOT_T + 1 };
	static const unsigned prevs[] = { NOPREV, 0, SC_SEEN_ONLINE, SC_SEEN_DANGLING, SC_SEEN_STALE,
	                                  SC_SEEN_ONLINE | SC_SEEN_OFFLINE, SC_SEEN_ONLINE | SC_SEEN_BUSY,
	                                  SC_SEEN_ONLINE | SC_SEEN_BUSY | SC_SEEN_GONE };
	const size_t nprevs = sizeof(prevs) / sizeof(prevs[0]);
	int combos = 0;
	for (size_t a = 0; a < sizeof(vms) / sizeof(vms[0]); a++)
	for (int gh = -1; gh <= 2; gh++)
	for (size_t g = 0; g < 3; g++)
	for (size_t pv = 0; pv < nprevs; pv++)
	for (int pend = 0; pend <= 1; pend++)
	for (int min_idle = 0; min_idle <= 2; min_idle++) {
		if (!vms[a] && gh < 0 && !pend)
			continue;                      /* nothing observed: no name */
		struct world w;
		w_init(&w);
		w_pool(&w, "small", min_idle, 2);
		if (vms[a])
			w_vm(&w, "small", 1, vms[a], ages[g]);
		if (gh >= 0)
			w_gh(&w, "small", 1, gh);
		if (prevs[pv] != NOPREV)
			w_seen(&w, "small", 1, prevs[pv], BOOT_T + 1);
		if (pend)
			w_pending(&w, "small", 1);
		struct sc_plan p;
		run(&w, &p);
		combos++;
		CU_ASSERT_EQUAL(p.nrows, 1);
		const struct sc_row *r = &p.rows[0];
		const struct sc_action *d = delete_of(&p, "small", 1);
		int going = vms[a] && (strchr(vms[a], '+') || strcmp(vms[a], "DELETED") == 0);
		/* a server being deleted is never deleted again (its stuck delete is sent once
		 * more only creation_timeout after it was first seen going: never on one look);
		 * its runner goes unless busy; it is no ready runner, but holds its slot */
		if (going) {
			CU_ASSERT_EQUAL(r->state, SC_DELETING);
			CU_ASSERT_TRUE(!d || !d->vm_id[0]);
			CU_ASSERT_EQUAL(d != NULL, gh == 0 || gh == 1);
			CU_ASSERT_EQUAL(p.counts[0].alive, 0);
			CU_ASSERT_EQUAL(p.counts[0].held, 1);
		}
		int creates = n_kind(&p, SC_ACT_CREATE, NULL);
		/* never more actions on one name than one delete */
		CU_ASSERT_TRUE(n_kind(&p, SC_ACT_DELETE, NULL) <= 1);
		/* a busy runner on a VM that can run it is never deleted */
		if (gh == 2 && vms[a] && strcmp(vms[a], "ERROR") != 0)
			CU_ASSERT_PTR_NULL(d);
		/* without VM, only a non-busy runner seen dangling twice is deleted, GitHub first */
		if (!vms[a] && d) {
			CU_ASSERT_TRUE(d->guarded);
			CU_ASSERT_TRUE(prevs[pv] != NOPREV && (prevs[pv] & SC_SEEN_DANGLING) && gh != 2 && !pend);
		}
		/* guarded deletes are for idle runners (scale-down), dangling ones, and failed
		 * VMs whose runner is busy */
		if (d && d->guarded)
			CU_ASSERT_TRUE(r->state == SC_IDLE || r->state == SC_DANGLING
			               || (r->state == SC_FAILED && gh == 2));
		/* a young VM with no history is removed only for ERROR or power-off */
		if (vms[a] && ages[g] == 1000 && prevs[pv] == NOPREV && d && !d->guarded && d->vm_id[0])
			CU_ASSERT_TRUE(strcmp(vms[a], "ERROR") == 0 || strcmp(vms[a], "SHUTOFF") == 0);
		/* a runner seen online whose VM can still run it is not deleted for missing from
		 * one GitHub list: only when the previous look missed it too */
		if (gh < 0 && vms[a] && strcmp(vms[a], "ACTIVE") == 0 && prevs[pv] != NOPREV
		    && (prevs[pv] & SC_SEEN_ONLINE) && !(prevs[pv] & SC_SEEN_GONE))
			CU_ASSERT_PTR_NULL(d);
		/* a failed VM under a runner GitHub shows busy: GitHub first */
		if (d && gh == 2)
			CU_ASSERT_TRUE(d->guarded);
		/* a create in flight is never judged dangling or failed by age */
		if (pend && !vms[a])
			CU_ASSERT_EQUAL(r->state, SC_CREATING);
		/* creates never exceed min_idle nor the cap of 2 servers (alive or going) */
		CU_ASSERT_TRUE(creates <= min_idle);
		CU_ASSERT_TRUE(creates + p.counts[0].held <= 2 || creates == 0);
		CU_ASSERT_TRUE(p.counts[0].held >= p.counts[0].alive);
		/* deleted rows do not count as ready */
		if (d && !d->guarded)
			CU_ASSERT_TRUE(r->state == SC_FAILED || r->state == SC_FINISHED || r->state == SC_DELETING);
		sc_plan_free(&p);
	}
	CU_ASSERT_TRUE(combos > 2600);

	/* the sequence itself: busy last time, absent once -> no delete; absent twice -> delete */
	struct sc_seen mem[1];
	size_t nmem = 0;
	for (int look = 0; look < 3; look++) {
		struct world w;
		w_init(&w);
		w.now += look * 10000;
		w_pool(&w, "small", 0, 0);
		w_vm(&w, "small", 1, "ACTIVE", 60000 + look * 10000);
		if (look == 0)
			w_gh(&w, "small", 1, 2);
		for (size_t k = 0; k < nmem; k++)
			w.seen[w.nseen++] = mem[k];
		struct sc_plan p;
		run(&w, &p);
		const struct sc_action *d = delete_of(&p, "small", 1);
		CU_ASSERT_EQUAL(d != NULL, look == 2);
		nmem = 0;
		if (seen_of(&p, "small", 1))
			mem[nmem++] = *seen_of(&p, "small", 1);
		sc_plan_free(&p);
	}
}

/* ---- reviewed cases ------------------------------------------------------------------- */

/* Creating and booting runners (e.g. spawned for queued jobs) never make ready idle
 * runners surplus: only idle runners beyond min_idle go. */
static void test_spawned_creates_do_not_make_idle_surplus(void)
{
	static const struct { int min_idle, idle, creating, booting, want_deleted; } t[] = {
		{ 2, 2, 3, 0, 0 },
		{ 2, 2, 0, 3, 0 },
		{ 1, 2, 3, 1, 1 },
		{ 0, 3, 2, 2, 3 },
		{ 3, 1, 4, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct world w;
		w_init(&w);
		w_pool(&w, "small", t[i].min_idle, 0);
		int k = 0;
		for (int n = 0; n < t[i].idle; n++)
			w_runner(&w, "small", k++, 1, 60000);
		for (int n = 0; n < t[i].creating; n++)
			w_pending(&w, "small", k++);
		for (int n = 0; n < t[i].booting; n++)
			w_runner(&w, "small", k++, 0, 1000);
		struct sc_plan p;
		run(&w, &p);
		if (n_kind(&p, SC_ACT_DELETE, "small") != t[i].want_deleted) {
			fprintf(stderr, "\n surplus case %zu: %d deleted, want %d\n", i,
			        n_kind(&p, SC_ACT_DELETE, "small"), t[i].want_deleted);
			CU_FAIL("scale-down counted creating/booting runners as idle");
		}
		for (size_t a = 0; a < p.nactions; a++)
			if (p.actions[a].kind == SC_ACT_DELETE)
				CU_ASSERT_EQUAL(row(&p, "small", 0)->state, SC_IDLE);
		sc_plan_free(&p);
	}
}

/* `ghr-ctl scale POOL 0` on a demand pool drains it at once: the override is the target,
 * and scale-down's grace period (which keeps young idle runners through a dip in
 * demand) does not hold it back.  Without the override the same young runners stay. */
static void test_override_zero_drains_demand_pool(void)
{
	for (int override = 0; override <= 1; override++) {
		struct world w;
		w_init(&w);
		w_pool(&w, "small", 0, 0);
		w.pools[0].override = override;
		w.pools[0].demand = 1;
		w.pools[0].grace_ms = 600000;
		w.pools[0].boot_p90_ms = 60000;
		w.pools[0].rate = 0.001;          /* demand asks for 1 */
		for (int i = 0; i < 4; i++)
			w_runner(&w, "small", i, 1, 60000);     /* idle, younger than the grace */
		w_runner(&w, "small", 4, 2, 60000);         /* busy: never touched */
		struct sc_plan p;
		run(&w, &p);
		CU_ASSERT_EQUAL(p.counts[0].target, override ? 0 : 1);
		CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_DELETE, "small"), override ? 4 : 0);
		CU_ASSERT_EQUAL(n_kind(&p, SC_ACT_CREATE, "small"), 0);
		CU_ASSERT_PTR_NULL(delete_of(&p, "small", 4));
		sc_plan_free(&p);
	}
}

/* VMs that fail before their runner was ever online are failed creates of the pool, each
 * counted once (the executor backs the pool's creates off on them).
 * A runner that fails without having run a job is announced once (failed_now: the
 * executor publishes scaler.runner.failed, so a job waiting for it is requeued at once). */
static void test_failed_creates_counted_once(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 3, 0);
	w_vm(&w, "small", 1, "ERROR", 1000);                 /* "No valid host" */
	w_vm(&w, "small", 2, "BUILD", CREATE_T + 1);         /* stuck building */
	w_vm(&w, "small", 3, "ERROR", 1000);
	w_gh(&w, "small", 3, 1);                              /* it had been online: not a create failure */
	w_runner(&w, "small", 4, 0, BOOT_T + 1);             /* bootstrap timeout: not a create failure */
	w_seen(&w, "small", 4, SC_SEEN_STALE, 0);
	w_vm(&w, "small", 5, "ERROR", 1000);
	w_gh(&w, "small", 5, 1);
	w_seen(&w, "small", 5, SC_SEEN_ONLINE | SC_SEEN_BUSY, 0);   /* ERROR under its job */
	struct sc_plan p;
	run(&w, &p);
	CU_ASSERT_EQUAL(p.counts[0].failed_creates, 2);
	CU_ASSERT_EQUAL(row(&p, "small", 4)->state, SC_FAILED);
	CU_ASSERT_STRING_EQUAL(row(&p, "small", 1)->reason, "VM in ERROR");
	for (int i = 1; i <= 4; i++)
		CU_ASSERT_EQUAL(row(&p, "small", i)->failed_now, 1);
	CU_ASSERT_EQUAL(row(&p, "small", 5)->state, SC_FAILED);
	CU_ASSERT_EQUAL(row(&p, "small", 5)->failed_now, 0);
	struct sc_seen s1 = *seen_of(&p, "small", 1);
	sc_plan_free(&p);

	/* its delete failed: seen again, not counted again */
	w_init(&w);
	w_pool(&w, "small", 3, 0);
	w_vm(&w, "small", 1, "ERROR", 2000);
	w.seen[w.nseen++] = s1;
	run(&w, &p);
	CU_ASSERT_EQUAL(p.counts[0].failed_creates, 0);
	CU_ASSERT_EQUAL(row(&p, "small", 1)->failed_now, 0);
	CU_ASSERT_PTR_NOT_NULL(delete_of(&p, "small", 1));
	sc_plan_free(&p);
}

/* An ERROR VM whose runner GitHub shows busy: GitHub first (a 422 leaves it). */
static void test_error_vm_busy_runner_guarded(void)
{
	struct world w;
	w_init(&w);
	w_pool(&w, "small", 0, 0);
	w_vm(&w, "small", 1, "ERROR", 60000);
	w_gh(&w, "small", 1, 2);
	w_vm(&w, "small", 2, "ERROR", 60000);
	w_gh(&w, "small", 2, 0);
	struct sc_plan p;
	run(&w, &p);
	const struct sc_action *d1 = delete_of(&p, "small", 1), *d2 = delete_of(&p, "small", 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d2);
	CU_ASSERT_TRUE(d1->guarded);
	CU_ASSERT_NOT_EQUAL(d1->runner_id, 0);
	CU_ASSERT_FALSE(d2->guarded);
	sc_plan_free(&p);
}

/* A VM whose `created` could not be read is aged from when it was first seen. */
static void test_unreadable_created_ages_from_first_seen(void)
{
	struct world w;
	struct sc_plan p;
	w_init(&w);
	w_pool(&w, "small", 0, 0);
	w_vm(&w, "small", 1, "BUILD", 0);
	w.vms[0].created_ms = 0;
	run(&w, &p);
	CU_ASSERT_EQUAL(row(&p, "small", 1)->state, SC_CREATING);
	struct sc_seen s = *seen_of(&p, "small", 1);
	CU_ASSERT_EQUAL(s.first_ms, w.now);
	sc_plan_free(&p);

	/* creation_timeout later, still building: failed */
	w_init(&w);
	w.now += CREATE_T + 1;
	w_pool(&w, "small", 0, 0);
	w_vm(&w, "small", 1, "BUILD", 0);
	w.vms[0].created_ms = 0;
	w.seen[w.nseen++] = s;
	run(&w, &p);
	CU_ASSERT_EQUAL(row(&p, "small", 1)->state, SC_FAILED);
	CU_ASSERT_PTR_NOT_NULL(delete_of(&p, "small", 1));
	sc_plan_free(&p);

	/* ACTIVE, runner never online, bootstrap_timeout after first seen: confirming, then failed */
	struct sc_seen mem = { .flags = 0 };
	snprintf(mem.name, sizeof(mem.name), "%s", s.name);
	mem.first_ms = NOW - BOOT_T - 1;
	for (int look = 0; look < 2; look++) {
		w_init(&w);
		w_pool(&w, "small", 0, 0);
		w_vm(&w, "small", 1, "ACTIVE", 0);
		w.vms[0].created_ms = 0;
		w.seen[w.nseen++] = mem;
		run(&w, &p);
		CU_ASSERT_EQUAL(row(&p, "small", 1)->state, look ? SC_FAILED : SC_BOOTING);
		mem = *seen_of(&p, "small", 1);
		sc_plan_free(&p);
	}
}

UNIT_SUITE(sc_decide,
	UNIT_TEST(test_classify_table),
	UNIT_TEST(test_empty_pool_creates_min_idle),
	UNIT_TEST(test_max_runners_caps_creates),
	UNIT_TEST(test_idle_creating_booting_count_toward_min_idle),
	UNIT_TEST(test_scale_down_deletes_oldest_idle_only),
	UNIT_TEST(test_scale_down_never_touches_creating_or_booting),
	UNIT_TEST(test_above_max_runners_deletes_idle),
	UNIT_TEST(test_error_vm_deleted_and_replaced_same_reconcile),
	UNIT_TEST(test_unknown_pool_target_zero_busy_left),
	UNIT_TEST(test_deleting_never_deleted_again),
	UNIT_TEST(test_failed_delete_sent_again_after_a_pause),
	UNIT_TEST(test_deleting_counts_against_max_runners_not_min_idle),
	UNIT_TEST(test_stuck_deleting_deleted_again_once),
	UNIT_TEST(test_duplicate_vm_names_deleted),
	UNIT_TEST(test_foreign_runners_ignored),
	UNIT_TEST(test_two_pools_independent),
	UNIT_TEST(test_lifecycle_memory_and_events),
	UNIT_TEST(test_invariants_all_combinations),
	UNIT_TEST(test_spawned_creates_do_not_make_idle_surplus),
	UNIT_TEST(test_override_zero_drains_demand_pool),
	UNIT_TEST(test_failed_creates_counted_once),
	UNIT_TEST(test_error_vm_busy_runner_guarded),
	UNIT_TEST(test_unreadable_created_ages_from_first_seen))
