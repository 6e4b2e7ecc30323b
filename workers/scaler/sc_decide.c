/* The reconcile decision (rules in sc_decide.h).  Pure: inputs in, plan out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "workers/scaler/sc_decide.h"
#include "workers/scaler/sc_demand.h"

/* ---- sorted views of the inputs, for the join by name ------------------------------- */

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Each input struct starts with, or contains, its name; index arrays point at the name. */
static const char **index_names(const void *base, size_t n, size_t stride, size_t name_off)
{
	const char **idx = calloc(n ? n : 1, sizeof(*idx));
	if (!idx)
		return NULL;
	for (size_t i = 0; i < n; i++)
		idx[i] = (const char *)base + i * stride + name_off;
	qsort(idx, n, sizeof(*idx), cmp_str_ptr);
	return idx;
}

static const void *lookup(const char **idx, size_t n, const char *name, size_t name_off)
{
	const char **hit = bsearch(&name, idx, n, sizeof(*idx), cmp_str_ptr);
	return hit ? (const void *)(*hit - name_off) : NULL;
}

/* ---- growing arrays ---------------------------------------------------------------- */

struct builder {
	struct sc_plan *p;
	size_t cap_act, cap_evt, cap_cnt;
	int oom;
};

/* Append one zeroed element to a plan array; NULL (and b->oom) when out of memory. */
static void *push(struct builder *b, void **arr, size_t *n, size_t *cap, size_t elem)
{
	if (array_reserve(arr, cap, *n + 1, elem) < 0) {
		b->oom = 1;
		return NULL;
	}
	void *slot = (char *)*arr + (*n)++ * elem;
	memset(slot, 0, elem);
	return slot;
}

static struct sc_action *add_action(struct builder *b)
{
	return push(b, (void **)&b->p->actions, &b->p->nactions, &b->cap_act, sizeof(struct sc_action));
}

static struct sc_event *add_event(struct builder *b)
{
	return push(b, (void **)&b->p->events, &b->p->nevents, &b->cap_evt, sizeof(struct sc_event));
}

static struct sc_count *count_for(struct builder *b, const char *pool)
{
	for (size_t i = 0; i < b->p->ncounts; i++)
		if (strcmp(b->p->counts[i].pool, pool) == 0)
			return &b->p->counts[i];
	struct sc_count *c = push(b, (void **)&b->p->counts, &b->p->ncounts, &b->cap_cnt, sizeof(struct sc_count));
	if (!c)
		return NULL;
	sc_copy(c->pool, pool, SC_POOL_MAX);
	return c;          /* unknown pool: target 0, no cap */
}

/* ---- the decision ------------------------------------------------------------------ */

static void delete_row(struct builder *b, const struct sc_row *r, int guarded, const char *reason)
{
	struct sc_action *a = add_action(b);
	if (!a)
		return;
	a->kind = SC_ACT_DELETE;
	sc_copy(a->pool, r->pool, SC_POOL_MAX);
	sc_copy(a->name, r->name, SC_NAME_MAX);
	sc_copy(a->vm_id, r->vm_id, SC_ID_MAX);
	a->runner_id = r->gh_id;
	a->guarded = guarded;
	a->reason = reason;
}

/* The GitHub runner of a VM being deleted goes (as it would have with the VM); the VM is
 * left to the delete under way.  A busy one is left, as on any VM: its job ends with
 * the VM, and the runner is then gone or found dangling. */
static void delete_runner_of_going(struct builder *b, const struct sc_row *r)
{
	struct sc_action *a = add_action(b);
	if (!a)
		return;
	a->kind = SC_ACT_DELETE;
	sc_copy(a->pool, r->pool, SC_POOL_MAX);
	sc_copy(a->name, r->name, SC_NAME_MAX);
	a->runner_id = r->gh_id;
	a->reason = "runner of a server being deleted";
}

static void lifecycle_events(struct builder *b, const struct sc_input *in, const struct sc_row *r,
                             const struct sc_seen *prev, struct sc_seen *now)
{
	unsigned pf = prev ? prev->flags : 0;
	struct sc_event *e;
	if ((now->flags & SC_SEEN_ONLINE) && !(pf & SC_SEEN_ONLINE) && (e = add_event(b))) {
		e->kind = SC_EVT_INSTALLED;
		e->duration_s = r->created_ms > 0 && in->now_ms > r->created_ms
			? (double)(in->now_ms - r->created_ms) / 1000.0 : 0.0;
	} else {
		e = NULL;
	}
	if (e) {
		sc_copy(e->pool, r->pool, SC_POOL_MAX);
		sc_copy(e->name, r->name, SC_NAME_MAX);
	}
	if ((now->flags & SC_SEEN_BUSY) && !(pf & SC_SEEN_BUSY) && (e = add_event(b))) {
		e->kind = SC_EVT_START;
		e->idle_s = now->busy_ms > now->online_ms ? (double)(now->busy_ms - now->online_ms) / 1000.0 : 0.0;
		sc_copy(e->pool, r->pool, SC_POOL_MAX);
		sc_copy(e->name, r->name, SC_NAME_MAX);
	}
	/* A VM deleted under a busy runner without being seen finished first (flush --busy,
	 * someone else's delete): its job ended abnormally. */
	if ((r->state == SC_FINISHED || r->state == SC_FAILED || r->state == SC_DELETING)
	    && (now->flags & SC_SEEN_BUSY) && !(now->flags & SC_SEEN_STOPPED) && (e = add_event(b))) {
		e->kind = SC_EVT_STOP;
		e->status = r->state == SC_FINISHED ? "normal" : "abnormal";
		e->job_s = in->now_ms > now->busy_ms ? (double)(in->now_ms - now->busy_ms) / 1000.0 : 0.0;
		sc_copy(e->pool, r->pool, SC_POOL_MAX);
		sc_copy(e->name, r->name, SC_NAME_MAX);
		now->flags |= SC_SEEN_STOPPED;
	}
}

static int cmp_row_pool_name(const void *a, const void *b)
{
	const struct sc_row *x = a, *y = b;
	int c = strcmp(x->pool, y->pool);
	return c ? c : strcmp(x->name, y->name);
}

/* Idle rows of a pool, oldest first (they have waited longest; newest images stay). */
static int cmp_idle_age(const void *a, const void *b)
{
	const struct sc_row *x = *(const struct sc_row *const *)a, *y = *(const struct sc_row *const *)b;
	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void decide_pool(struct builder *b, const struct sc_input *in, struct sc_count *c)
{
	struct sc_plan *p = b->p;
	int ready = c->n[SC_IDLE] + c->n[SC_CREATING] + c->n[SC_BOOTING];
	c->alive = ready + c->n[SC_BUSY] + c->n[SC_OFFLINE];
	c->held += c->alive;          /* + the servers going, counted per row (sc_decide) */
	const struct sc_pool *cfg = NULL;
	for (size_t i = 0; i < in->npools && c->known; i++)
		if (strcmp(in->pools[i].name, c->pool) == 0)
			cfg = &in->pools[i];
	struct sc_target t = { 0 };
	if (cfg)
		sc_pool_target(cfg, in->now_ms, &t);
	int target = c->target = t.target;
	/* With demand on, an idle runner goes only once older than the grace period: a
	 * target that dips for a minute does not throw away booted runners.  An operator
	 * override is obeyed at once (`ghr-ctl scale POOL 0` drains the pool). */
	int64_t grace = cfg && cfg->demand && !cfg->override ? cfg->grace_ms : 0;

	/* Only idle runners beyond the target are surplus: creating and booting ones (e.g.
	 * spawned for a queued job) never make a ready idle runner go.  Beyond max_runners
	 * counts live runners only: servers already going (deleting) free their slot on
	 * their own, and deleting idle runners for them would empty the pool. */
	int surplus = c->n[SC_IDLE] > target ? c->n[SC_IDLE] - target : 0;
	if (grace > 0 && surplus > 0) {
		/* idle rows are deleted oldest first, so those old enough are a prefix */
		int old = 0;
		for (size_t i = 0; i < p->nrows; i++) {
			const struct sc_row *r = &p->rows[i];
			old += r->state == SC_IDLE && strcmp(r->pool, c->pool) == 0
			       && !(r->created_ms > 0 && in->now_ms - r->created_ms < grace);
		}
		if (surplus > old)
			surplus = old;
	}
	int over_max = c->max_runners > 0 && c->alive - surplus > c->max_runners
		? c->alive - surplus - c->max_runners : 0;
	int to_delete = surplus + over_max;
	if (to_delete > c->n[SC_IDLE])
		to_delete = c->n[SC_IDLE];

	if (to_delete > 0) {
		const struct sc_row **idle = calloc((size_t)c->n[SC_IDLE], sizeof(*idle));
		if (!idle) {
			b->oom = 1;
			return;
		}
		int k = 0;
		for (size_t i = 0; i < p->nrows; i++)
			if (p->rows[i].state == SC_IDLE && strcmp(p->rows[i].pool, c->pool) == 0)
				idle[k++] = &p->rows[i];
		qsort(idle, (size_t)k, sizeof(*idle), cmp_idle_age);
		for (int i = 0; i < to_delete && i < k; i++)
			delete_row(b, idle[i], 1, !c->known ? "pool no longer configured"
			           : i < surplus ? "scale down: above target" : "above max_runners");
		free(idle);
		c->deletes += to_delete;
	}

	if (c->known && ready < target) {
		/* Servers going still use the quota: they hold their slot until gone
		 * (sc_decide.h says why). */
		int want = sc_creates_needed(target, ready, c->max_runners, c->held);
		for (int i = 0; i < want; i++) {
			struct sc_action *a = add_action(b);
			if (!a)
				return;
			a->kind = SC_ACT_CREATE;
			sc_copy(a->pool, c->pool, SC_POOL_MAX);
			a->reason = "below target";
		}
		c->creates = want;
	}
}

/* Every distinct name of the three lists, sorted. */
static const char **all_names(const struct sc_input *in, size_t *count)
{
	size_t n = in->nvms + in->nrunners + in->npending, k = 0;
	const char **names = calloc(n ? n : 1, sizeof(*names));
	if (!names)
		return NULL;
	for (size_t i = 0; i < in->nvms; i++)
		names[k++] = in->vms[i].name;
	for (size_t i = 0; i < in->nrunners; i++)
		if (in->runners[i].pool[0])             /* not one of ours: ignored */
			names[k++] = in->runners[i].name;
	for (size_t i = 0; i < in->npending; i++)
		names[k++] = in->pending[i].name;
	qsort(names, k, sizeof(*names), cmp_str_ptr);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (u == 0 || strcmp(names[u - 1], names[i]) != 0)
			names[u++] = names[i];
	*count = u;
	return names;
}

static const size_t OFF_VM = offsetof(struct sc_vm, name);
static const size_t OFF_GH = offsetof(struct sc_ghr, name);
static const size_t OFF_PD = offsetof(struct sc_pending, name);
static const size_t OFF_SN = offsetof(struct sc_seen, name);

/* Two VMs with one name must never happen (creates look the name up first); if the cloud
 * shows it anyway, one is kept -- the one fittest to run the runner, then the older, then
 * the smaller id, so the choice never depends on list order -- and the join uses it. */
static int vm_keep_before(const struct sc_vm *a, const struct sc_vm *b)
{
	int ra = sc_vm_rank(a), rb = sc_vm_rank(b);
	if (ra != rb)
		return ra < rb;
	int64_t ca = a->created_ms > 0 ? a->created_ms : INT64_MAX;
	int64_t cb = b->created_ms > 0 ? b->created_ms : INT64_MAX;
	if (ca != cb)
		return ca < cb;
	return strcmp(a->id, b->id) < 0;
}

/* The VMs named name: [*lo, *hi) of the sorted index; returns the one kept, or NULL. */
static const struct sc_vm *vm_group(const char **vmidx, size_t n, const char *name, size_t *lo, size_t *hi)
{
	const char **hit = bsearch(&name, vmidx, n, sizeof(*vmidx), cmp_str_ptr);
	if (!hit)
		return NULL;
	size_t a = (size_t)(hit - vmidx), b = a + 1;
	while (a > 0 && strcmp(vmidx[a - 1], name) == 0)
		a--;
	while (b < n && strcmp(vmidx[b], name) == 0)
		b++;
	const struct sc_vm *keep = (const struct sc_vm *)(vmidx[a] - OFF_VM);
	for (size_t i = a + 1; i < b; i++) {
		const struct sc_vm *v = (const struct sc_vm *)(vmidx[i] - OFF_VM);
		if (vm_keep_before(v, keep))
			keep = v;
	}
	*lo = a;
	*hi = b;
	return keep;
}

/* Delete every VM of the group but the one kept.  While the runner of that name is online
 * or busy, a duplicate that could be the one running it (not ERROR, not stopped) is left:
 * which VM runs the job cannot be known, and a job is never killed for tidiness.  One
 * already being deleted is never deleted again. */
static void delete_duplicate_vms(struct builder *b, const char **vmidx, size_t lo, size_t hi,
                                 const struct sc_vm *keep, const struct sc_ghr *gh)
{
	int runner_up = gh && (gh->online || gh->busy);
	for (size_t i = lo; i < hi; i++) {
		const struct sc_vm *vm = (const struct sc_vm *)(vmidx[i] - OFF_VM);
		if (vm == keep || sc_vm_going(vm) || (runner_up && sc_vm_rank(vm) < 2))
			continue;
		struct sc_action *a = add_action(b);
		if (!a)
			return;
		a->kind = SC_ACT_DELETE;
		sc_copy(a->pool, vm->pool, SC_POOL_MAX);
		sc_copy(a->name, vm->name, SC_NAME_MAX);
		sc_copy(a->vm_id, vm->id, SC_ID_MAX);
		a->reason = "second VM with the same name";
	}
}

int sc_decide(const struct sc_input *in, struct sc_plan *out)
{
	memset(out, 0, sizeof(*out));
	struct builder b = { .p = out };
	size_t nnames = 0;
	const char **names = all_names(in, &nnames);
	const char **vmi = index_names(in->vms, in->nvms, sizeof(struct sc_vm), OFF_VM);
	const char **ghi = index_names(in->runners, in->nrunners, sizeof(struct sc_ghr), OFF_GH);
	const char **pdi = index_names(in->pending, in->npending, sizeof(struct sc_pending), OFF_PD);
	const char **sni = index_names(in->seen, in->nseen, sizeof(struct sc_seen), OFF_SN);
	if (!names || !vmi || !ghi || !pdi || !sni)
		goto oom;

	for (size_t i = 0; i < in->npools; i++) {
		struct sc_count *c = count_for(&b, in->pools[i].name);
		if (!c)
			goto oom;
		c->known = 1;
		c->min_idle = in->pools[i].min_idle;
		c->max_runners = in->pools[i].max_runners;
	}

	out->rows = calloc(nnames ? nnames : 1, sizeof(*out->rows));
	out->seen = calloc(nnames ? nnames : 1, sizeof(*out->seen));
	if (!out->rows || !out->seen)
		goto oom;
	for (size_t i = 0; i < nnames; i++) {
		size_t vlo = 0, vhi = 0;
		const struct sc_vm *vm = vm_group(vmi, in->nvms, names[i], &vlo, &vhi);
		const struct sc_ghr *gh = lookup(ghi, in->nrunners, names[i], OFF_GH);
		if (gh && !gh->pool[0])
			gh = NULL;
		if (vhi - vlo > 1)
			delete_duplicate_vms(&b, vmi, vlo, vhi, vm, gh);
		const struct sc_pending *pd = lookup(pdi, in->npending, names[i], OFF_PD);
		const struct sc_seen *prev = lookup(sni, in->nseen, names[i], OFF_SN);
		struct sc_row *r = &out->rows[out->nrows++];
		struct sc_seen *s = &out->seen[out->nseen++];
		sc_classify(in, names[i], vm, gh, prev, pd, r, s);
		struct sc_count *c = count_for(&b, r->pool);
		if (!c)
			goto oom;
		r->pool_known = c->known;
		c->n[r->state]++;
		/* Servers that exist but are going (or go now) hold a max_runners slot until
		 * Nova has removed them: the kept VM when it is deleting, finished or failed,
		 * and every other VM of the name. */
		if (r->vm_id[0] && (r->state == SC_DELETING || r->state == SC_FINISHED || r->state == SC_FAILED))
			c->held++;
		if (vhi - vlo > 1)
			c->held += (int)(vhi - vlo - 1);
		if ((s->flags & SC_SEEN_CREATE_FAILED) && !(prev && (prev->flags & SC_SEEN_CREATE_FAILED)))
			c->failed_creates++;
		if (r->state == SC_FAILED) {
			r->failed_now = !(s->flags & SC_SEEN_BUSY) && !(prev && (prev->flags & SC_SEEN_FAILED));
			s->flags |= SC_SEEN_FAILED;
		}
		lifecycle_events(&b, in, r, prev, s);
	}
	qsort(out->rows, out->nrows, sizeof(*out->rows), cmp_row_pool_name);

	for (size_t i = 0; i < out->nrows; i++) {
		const struct sc_row *r = &out->rows[i];
		/* A failed VM whose runner GitHub shows busy (e.g. ERROR under a running job):
		 * GitHub first, and a 422 leaves it. */
		if (r->state == SC_FAILED || r->state == SC_FINISHED)
			delete_row(&b, r, r->gh_status && strcmp(r->gh_status, "busy") == 0, r->reason);
		else if (r->state == SC_DANGLING && strcmp(r->reason, "runner without VM, seen twice") == 0)
			delete_row(&b, r, 1, "runner without VM");
		else if (r->state == SC_DELETING && r->redelete)
			delete_row(&b, r, r->gh_status && strcmp(r->gh_status, "busy") == 0, r->reason);
		else if (r->state == SC_DELETING && r->gh_id && strcmp(r->gh_status, "busy") != 0)
			delete_runner_of_going(&b, r);
	}
	for (size_t i = 0; i < out->ncounts; i++)
		decide_pool(&b, in, &out->counts[i]);
	if (b.oom)
		goto oom;

	free(names); free(vmi); free(ghi); free(pdi); free(sni);
	return 0;
oom:
	free(names); free(vmi); free(ghi); free(pdi); free(sni);
	sc_plan_free(out);
	return -1;
}

void sc_plan_free(struct sc_plan *p)
{
	free(p->rows);
	free(p->actions);
	free(p->seen);
	free(p->events);
	free(p->counts);
	memset(p, 0, sizeof(*p));
}
