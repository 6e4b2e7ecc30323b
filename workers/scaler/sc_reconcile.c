/* One reconcile (DESIGN.md §5): list VMs and runners once (both must succeed: never act
 * on half the picture), decide, act through the executor, then report, write metrics and
 * schedule the next one.  One reconcile at a time: a request that arrives while one runs
 * joins it and gets its report.
 *
 * The server and runner lists come in parts (os.servers.list and github.runners.list
 * chunked:true; each reply under the 1 MiB bus frame, `next` = the marker of the
 * following part), each followed until it is complete; a part that fails aborts the
 * reconcile.  Each part is turned into the decision's compact records as it arrives and
 * its JSON dropped, so the scaler never holds the fleet's JSON.  A list that fails
 * (`unavailable`: a cloud or GitHub outage; `conflict`: a part asked after the worker
 * dropped its snapshot) skips the reconcile, is logged, and is retried with backoff:
 * 5 s, 10 s, ... never later than the next interval; the retry lists from the start. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "common/util.h"
#include "workers/scaler/sc.h"
#include "workers/scaler/sc_reactive.h"

struct waiter {
	struct wreq *req;
	char pool[SC_POOL_MAX];        /* "" = every pool */
};

#define SC_LIST_MAX_PARTS 1000   /* a worker that keeps sending `next` cannot loop us */
#define SC_TRIM_AFTER      500    /* servers + runners listed above which the heap is trimmed */
#define SC_MARKER_MAX      128

struct sc_recon;

/* One list asked in parts (chunked:true), `next` followed until it ends. */
struct sc_list {
	struct sc *sc;
	const char *method;            /* "os.servers.list" */
	const char *key;               /* the reply's array: "servers" */
	int (*add)(struct sc *sc, struct sc_recon *r, const json_t *arr);   /* -1: out of memory */
	int parts;                     /* replies so far */
	char marker[SC_MARKER_MAX];    /* `next` of the last part */
};

struct sc_recon {
	int64_t t0;                    /* monotonic, when the lists were requested */
	int lists_out;
	int failed;
	enum proto_error error;
	int64_t retry_after_ms;
	char message[300];
	struct sc_vm *vms; size_t nvms, cap_vms;       /* this manager's servers, so far */
	struct sc_ghr *ghs; size_t nghs, cap_ghs;       /* every runner listed, so far; pools set later */
	struct sc_list servers, runners;
	int jobs_out;
	int acting;
	json_t *actions;               /* the report */
	struct waiter *waiters;
	size_t nwaiters;
};

struct image_ctx { struct sc *sc; size_t pool; int64_t asked_ms; };

static void finish(struct sc *sc);

/* ---- turning replies into decision inputs -------------------------------------------- */

static int cmp_vm_name(const void *a, const void *b)
{
	return strcmp(((const struct sc_vm *)a)->name, ((const struct sc_vm *)b)->name);
}

/* arr with room for need items of size bytes (its capacity in *cap); NULL when out of
 * memory, arr then left as it was. */
static void *reserve(void *arr, size_t *cap, size_t need, size_t size)
{
	if (arr && need <= *cap)
		return arr;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *grown = realloc(arr, c * size);
	if (grown)
		*cap = c;
	return grown;
}

/* Append this manager's servers of one part to r->vms.  -1: out of memory. */
static int add_servers(struct sc *sc, struct sc_recon *r, const json_t *arr)
{
	struct sc_vm *vms = reserve(r->vms, &r->cap_vms, r->nvms + json_array_size(arr), sizeof(*vms));
	if (!vms)
		return -1;
	r->vms = vms;
	size_t i;
	const json_t *s;
	json_array_foreach(arr, i, s) {
		const char *id = json_string_value(json_object_get(s, "id"));
		const char *name = json_string_value(json_object_get(s, "name"));
		const char *status = json_string_value(json_object_get(s, "status"));
		const json_t *md = json_object_get(s, "metadata");
		const char *mgr = json_string_value(json_object_get(md, "ghr-manager"));
		const char *mpool = json_string_value(json_object_get(md, "ghr-pool"));
		/* Only VMs carrying this manager's metadata are ever touched. */
		if (!id || !name || !mgr || strcmp(mgr, sc->manager_id) != 0
		    || strlen(name) >= SC_NAME_MAX || strlen(id) >= SC_ID_MAX)
			continue;
		/* the image builder's VMs are its own business */
		if (json_object_get(md, "ghr-builder"))
			continue;
		struct sc_vm *v = &r->vms[r->nvms];
		memset(v, 0, sizeof(*v));
		sc_copy(v->id, id, sizeof(v->id));
		sc_copy(v->name, name, sizeof(v->name));
		sc_copy(v->status, status ? status : "UNKNOWN", sizeof(v->status));
		/* Nova lists a deleted server, with its old status, until it is gone. */
		const char *task = json_string_value(json_object_get(s, "task_state"));
		v->deleting = task && (strcmp(task, "deleting") == 0 || strcmp(task, "soft-deleting") == 0);
		if (mpool && sc_name_part_ok(mpool, SC_POOL_MAX - 1))
			sc_copy(v->pool, mpool, sizeof(v->pool));
		else if (sc_name_parse(name, sc->manager_id, v->pool, sizeof(v->pool)) != 0)
			sc_copy(v->pool, "unknown", sizeof(v->pool));
		const char *created = json_string_value(json_object_get(s, "created"));
		/* 0 when missing or unreadable: the decision then ages the VM from when it was
		 * first seen, so it still meets creation_timeout. */
		v->created_ms = created ? iso8601_to_ms(created) : 0;
		if (v->created_ms < 0)
			v->created_ms = 0;
		r->nvms++;
	}
	return 0;
}

/* Append every runner of one part to r->ghs, pool not yet known (it needs the complete
 * server list).  -1: out of memory. */
static int add_runners(struct sc *sc, struct sc_recon *r, const json_t *arr)
{
	struct sc_ghr *ghs = reserve(r->ghs, &r->cap_ghs, r->nghs + json_array_size(arr), sizeof(*ghs));
	if (!ghs)
		return -1;
	r->ghs = ghs;
	size_t i;
	const json_t *g;
	json_array_foreach(arr, i, g) {
		const char *name = json_string_value(json_object_get(g, "name"));
		const json_t *id = json_object_get(g, "id");
		if (!name || !json_is_integer(id) || strlen(name) >= SC_NAME_MAX)
			continue;
		struct sc_ghr *x = &r->ghs[r->nghs++];
		memset(x, 0, sizeof(*x));
		sc_copy(x->name, name, sizeof(x->name));
		x->id = json_integer_value(id);
		const char *st = json_string_value(json_object_get(g, "status"));
		x->online = st && strcmp(st, "online") == 0;
		x->busy = json_is_true(json_object_get(g, "busy"));
	}
	return 0;
}

/* Keep the runners that are this manager's, with their pool: a GitHub runner is ours
 * when one of our VMs (metadata-checked) carries its name, or when its name parses with
 * our prefix and its pool is configured.  A bare name match is not enough: manager "ghr"
 * must not claim the runners of manager "ghr-b".  vms must be sorted by name. */
static size_t own_runners(struct sc *sc, struct sc_ghr *ghs, size_t n, const struct sc_vm *vms, size_t nvms)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		struct sc_ghr *x = &ghs[i];
		char pool[SC_POOL_MAX] = "";
		struct sc_vm key;
		sc_copy(key.name, x->name, sizeof(key.name));
		const struct sc_vm *vm = bsearch(&key, vms, nvms, sizeof(*vms), cmp_vm_name);
		if (vm)
			sc_copy(x->pool, vm->pool, sizeof(x->pool));
		else if (sc_name_parse(x->name, sc->manager_id, pool, sizeof(pool)) == 0 && sc_pool_find(sc, pool))
			sc_copy(x->pool, pool, sizeof(x->pool));
		else
			continue;
		if (kept != i)
			ghs[kept] = *x;
		kept++;
	}
	return kept;
}

/* ---- list replies ------------------------------------------------------------------- */

static void list_failed(struct sc_recon *r, const struct wcall_result *res, const char *what)
{
	if (r->failed)
		return;
	r->failed = 1;
	r->error = res->error == PROTO_E_RATE_LIMITED ? PROTO_E_RATE_LIMITED : PROTO_E_UNAVAILABLE;
	r->retry_after_ms = res->retry_after_ms;
	snprintf(r->message, sizeof(r->message), "%s failed: %s: %s", what, proto_error_name(res->error),
	         res->message ? res->message : "");
}

static void lists_done(struct sc *sc);

static void list_step(struct sc *sc)
{
	if (--sc->recon->lists_out == 0)
		lists_done(sc);
}

static void send_list(struct sc *sc, const char *method, json_t *body, worker_call_cb cb, void *arg);
static void on_part(struct worker *w, const struct wcall_result *res, void *arg);

/* Ask for the first part of a list (no marker) or the one after l->marker. */
static void ask_part(struct sc_list *l)
{
	json_t *body = json_pack("{s:s, s:b}", "prefix", l->sc->prefix, "chunked", 1);
	if (body && l->marker[0])
		json_object_set_new(body, "marker", json_string(l->marker));
	send_list(l->sc, l->method, body, on_part, l);
}

static void on_part(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct sc_list *l = arg;
	struct sc *sc = l->sc;
	struct sc_recon *r = sc->recon;
	const json_t *a = res->ok ? json_object_get(res->body, l->key) : NULL;
	const char *next = res->ok ? json_string_value(json_object_get(res->body, "next")) : NULL;
	struct wcall_result bad = { .error = PROTO_E_INTERNAL };
	char msg[80];
	l->parts++;
	if (!res->ok) {
		list_failed(r, res, l->method);
	} else if (!json_is_array(a)) {
		snprintf(msg, sizeof(msg), "reply without %s", l->key);
		bad.message = msg;
		list_failed(r, &bad, l->method);
	} else if (l->add(sc, r, a) != 0) {
		bad.message = "out of memory";
		list_failed(r, &bad, l->method);
	} else if (next && !r->failed) {
		/* Another part follows: ask for it before this reconcile may go on. */
		if (!*next || strlen(next) >= sizeof(l->marker) || strcmp(next, l->marker) == 0
		    || l->parts >= SC_LIST_MAX_PARTS) {
			bad.message = "a part's `next` repeats the last marker, is empty or too long, or the parts never end";
			list_failed(r, &bad, l->method);
		} else {
			sc_copy(l->marker, next, sizeof(l->marker));
			ask_part(l);
		}
	}
	list_step(sc);
}

/* The rate-limit budget is for metrics only: its failure does not stop the reconcile. */
static void on_ratelimit(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct sc *sc = arg;
	if (res->ok) {
		json_decref(sc->ratelimit);
		sc->ratelimit = json_deep_copy(res->body);
	}
	list_step(sc);
}

/* Images: a failed list keeps the candidates of the previous one. */
static void on_images(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct image_ctx *c = arg;
	struct sc *sc = c->sc;
	if (res->ok && c->pool < sc->npools)
		sc_image_set_candidates(&sc->pools[c->pool].image, json_object_get(res->body, "images"), c->asked_ms);
	else if (!res->ok)
		log_warn("image list failed; keeping the previous choice", "pool=%s error=%s",
		         sc->pools[c->pool].name, proto_error_name(res->error));
	free(c);
	list_step(sc);
}

/* ---- acting and reporting --------------------------------------------------------------- */

static void on_action_done(struct sc *sc, const struct sc_job *j, void *arg)
{
	struct sc_recon *r = arg;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}",
	                      "action", j->kind == SC_ACT_CREATE ? "create" : "delete",
	                      "pool", j->pool, "name", j->name, "reason", j->reason, "outcome", j->outcome);
	if (o && !j->ok && j->message[0])
		json_object_set_new(o, "error", json_string(j->message));
	if (o)
		json_array_append_new(r->actions, o);
	if (--r->jobs_out == 0 && !r->acting)
		finish(sc);
}

static void write_events(struct sc *sc, const struct sc_plan *p, double duration)
{
	if (!sc->events_log[0])
		return;
	double ts = (double)wall_ms() / 1000.0;
	for (size_t i = 0; i < p->nevents; i++) {
		const struct sc_event *e = &p->events[i];
		char *line = sc_jobinfo_event_line(sc, e, ts);
		if (line && sc_events_append(sc->events_log, line) != 0)
			log_warn("cannot append to the events log", "path=%s", log_q(sc->events_log));
		free(line);
	}
	for (size_t i = 0; i < p->ncounts; i++) {
		const struct sc_count *c = &p->counts[i];
		if (!c->known)
			continue;
		char *line = sc_event_reconciliation(ts, c->pool, c->n[SC_FAILED], c->n[SC_IDLE],
		                                      c->n[SC_BUSY], c->target, duration);
		if (line && sc_events_append(sc->events_log, line) != 0)
			log_warn("cannot append to the events log", "path=%s", log_q(sc->events_log));
		free(line);
	}
}

static void lists_done(struct sc *sc)
{
	struct sc_recon *r = sc->recon;
	if (r->failed) {
		sc->reconcile_failures++;
		sc->failures_in_row++;
		log_warn("reconcile skipped: the picture is incomplete; retried later", "failures=%u error=%s",
		         sc->failures_in_row, log_q(r->message));
		finish(sc);
		return;
	}
	sc->failures_in_row = 0;
	struct sc_pool *pools = calloc(sc->npools ? sc->npools : 1, sizeof(*pools));
	struct sc_pending *pend = calloc(sc->npending ? sc->npending : 1, sizeof(*pend));
	struct sc_plan plan;
	int rc = -1;
	if (pools && pend) {
		struct sc_vm *vms = r->vms;
		size_t nv = r->nvms;
		qsort(vms, nv, sizeof(*vms), cmp_vm_name);
		struct sc_ghr *ghs = r->ghs;
		size_t ng = own_runners(sc, ghs, r->nghs, vms, nv);
		int64_t now = wall_ms();
		for (size_t i = 0; i < sc->npools; i++)
			sc_pool_input(&sc->pools[i], &pools[i], now);
		size_t np = sc_pending_snapshot(sc, r->t0, pend);
		struct sc_input in = {
			.manager_id = sc->manager_id, .pools = pools, .npools = sc->npools,
			.vms = vms, .nvms = nv, .runners = ghs, .nrunners = ng,
			.pending = pend, .npending = np, .seen = sc->seen, .nseen = sc->nseen,
			.now_ms = now, .creation_timeout_ms = sc->creation_timeout_ms,
			.bootstrap_timeout_ms = sc->bootstrap_timeout_ms,
		};
		rc = sc_decide(&in, &plan);
		if (rc == 0 && sc_reactive_adjust(pools, sc->npools, &plan, in.now_ms)) {
			sc_plan_free(&plan);
			rc = sc_decide(&in, &plan);
		}
		for (size_t i = 0; i < sc->npools; i++)
			sc_pool_target(&pools[i], in.now_ms, &sc->pools[i].target);
	}
	/* The lists are in the plan now (rows): what they were made of can go, and after
	 * a large fleet's lists the freed heap goes back to the system rather than stay at
	 * the peak (the JSON of each part was freed as it was parsed). */
	int large = r->nvms + r->nghs > SC_TRIM_AFTER;
	free(r->vms);
	r->vms = NULL;
	r->nvms = r->cap_vms = 0;
	free(r->ghs);
	r->ghs = NULL;
	r->nghs = r->cap_ghs = 0;
	free(pools);
	free(pend);
	if (large)
		malloc_trim(0);
	if (rc != 0) {
		r->failed = 1;
		r->error = PROTO_E_INTERNAL;
		snprintf(r->message, sizeof(r->message), "out of memory deciding");
		sc->reconcile_failures++;
		finish(sc);
		return;
	}
	/* The plan becomes the view and the memory. */
	free(sc->rows);
	free(sc->counts);
	free(sc->seen);
	sc->rows = plan.rows; sc->nrows = plan.nrows;
	sc->counts = plan.counts; sc->ncounts = plan.ncounts;
	sc->seen = plan.seen; sc->nseen = plan.nseen;
	sc->view_wall_ms = wall_ms();
	sc_track_from_rows(sc);
	write_events(sc, &plan, (double)(now_ms() - r->t0) / 1000.0);
	for (size_t i = 0; i < plan.nrows; i++)
		if (plan.rows[i].redelete)
			log_warn("server delete sent again", "pool=%s name=%s vm=%s status=%s reason=%s",
			         plan.rows[i].pool, plan.rows[i].name, plan.rows[i].vm_id,
			         plan.rows[i].vm_status, log_q(plan.rows[i].reason));

	r->acting = 1;
	for (size_t i = 0; i < plan.nactions && !sc->stopping; i++) {
		r->jobs_out++;
		sc_exec_submit(sc, &plan.actions[i], 0, on_action_done, r);
	}
	r->acting = 0;
	/* After queueing: a VM that just went ERROR is still replaced now; the creates of
	 * the next reconciles back off if they keep failing. */
	sc_exec_note_plan(sc, &plan);
	free(plan.actions);
	free(plan.events);
	if (r->jobs_out == 0)
		finish(sc);
}

static json_t *report_for(const json_t *actions, const char *pool)
{
	json_t *out = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(actions, i, a)
		if (!pool[0] || strcmp(json_string_value(json_object_get(a, "pool")), pool) == 0)
			json_array_append(out, a);
	return out;
}

static void finish(struct sc *sc)
{
	struct sc_recon *r = sc->recon;
	int64_t dur = now_ms() - r->t0;
	sc->reconciles++;
	sc->last_reconcile_s = (double)dur / 1000.0;
	if (!r->failed) {
		sc->last_success_ts = (double)wall_ms() / 1000.0;
		sc_problem_clear(&sc->reconcile_problem);
	} else {
		sc_problem_fail(&sc->reconcile_problem, wall_ms(), "%s", r->message);
	}
	for (size_t i = 0; i < r->nwaiters; i++) {
		struct wreq *q = r->waiters[i].req;
		if (r->failed)
			worker_reply_err(q, r->error, r->retry_after_ms, "%s", r->message);
		else
			worker_reply_ok(q, json_pack("{s:o, s:I}", "actions", report_for(r->actions, r->waiters[i].pool),
			                             "duration_ms", (json_int_t)dur));
	}
	if (!r->failed)
		log_info("reconcile done", "duration_ms=%lld actions=%zu runners=%zu server_parts=%d runner_parts=%d",
		         (long long)dur, json_array_size(r->actions), sc->nrows, r->servers.parts, r->runners.parts);
	int failed = r->failed;
	int64_t r_retry_after = r->retry_after_ms;
	free(r->vms);
	free(r->ghs);
	json_decref(r->actions);
	free(r->waiters);
	free(r);
	sc->recon = NULL;
	if (sc->stopping)
		return;
	int64_t next = sc->interval_ms;
	if (sc->again)
		next = 0;
	else if (failed) {
		/* Soon after a blip, but a list that keeps failing (e.g. one too large for a
		 * frame) is not asked again and again: that would spend the API budget. */
		int64_t retry = backoff_ms(sc->failures_in_row, SC_RETRY_FAILED_MS, sc->interval_ms);
		if (r_retry_after > retry)
			retry = r_retry_after;
		if (retry < next)
			next = retry;
	}
	sc->again = 0;
	sc_schedule(sc, next);
}

static void add_waiter(struct sc_recon *r, struct wreq *waiter)
{
	if (!waiter)
		return;
	struct waiter *nw = realloc(r->waiters, (r->nwaiters + 1) * sizeof(*nw));
	if (!nw) {
		worker_reply_err(waiter, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	r->waiters = nw;
	nw[r->nwaiters].req = waiter;
	const char *pool = json_string_value(json_object_get(waiter->body, "pool"));
	sc_copy(nw[r->nwaiters].pool, pool ? pool : "", sizeof(nw[0].pool));
	r->nwaiters++;
}

/* Send one call of the list phase; a send that fails is answered at once. */
static void send_list(struct sc *sc, const char *method, json_t *body, worker_call_cb cb, void *arg)
{
	sc->recon->lists_out++;
	sc_call(sc, method, body, SC_LIST_TIMEOUT_MS, cb, arg);
}

void sc_reconcile(struct sc *sc, struct wreq *waiter)
{
	if (sc->stopping) {
		if (waiter)
			worker_reply_err(waiter, PROTO_E_SHUTTING_DOWN, 0, "the scaler is stopping");
		return;
	}
	if (sc->recon) {
		if (waiter)
			add_waiter(sc->recon, waiter);
		else
			sc->again = 1;     /* e.g. scaler.scale during a reconcile: look again after it */
		return;
	}
	struct sc_recon *r = calloc(1, sizeof(*r));
	if (!r || !(r->actions = json_array())) {
		free(r);
		if (waiter)
			worker_reply_err(waiter, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	sc->recon = r;
	add_waiter(r, waiter);
	r->t0 = now_ms();
	r->lists_out = 1;                         /* held until every call is sent */
	r->servers = (struct sc_list){ .sc = sc, .method = "os.servers.list", .key = "servers", .add = add_servers };
	r->runners = (struct sc_list){ .sc = sc, .method = "github.runners.list", .key = "runners", .add = add_runners };
	ask_part(&r->servers);
	ask_part(&r->runners);
	send_list(sc, "github.ratelimit", json_object(), on_ratelimit, sc);
	for (size_t i = 0; i < sc->npools; i++) {
		const char *tag = sc_image_tag(&sc->pools[i].image);
		struct image_ctx *c = tag ? calloc(1, sizeof(*c)) : NULL;
		if (!c)
			continue;
		c->sc = sc;
		c->pool = i;
		c->asked_ms = wall_ms();
		send_list(sc, "os.images.list", json_pack("{s:s}", "tag", tag), on_images, c);
	}
	list_step(sc);                            /* release the hold */
}
