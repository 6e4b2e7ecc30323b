/* scaler.* handlers.  Reads (runners, pools, metrics) answer from the last reconciled
 * view, without API calls; writes go through the executor or the reconcile. */
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "common/util.h"
#include "workers/scaler/sc.h"
#include "workers/scaler/sc_reactive.h"

static int alive_state(enum sc_state s)
{
	return s == SC_CREATING || s == SC_BOOTING || s == SC_IDLE || s == SC_BUSY || s == SC_OFFLINE;
}

/* A server that is going (being deleted, or deleted by the last reconcile) still uses the
 * quota: it holds a max_runners slot until gone (sc_decide.h). */
static int going_server(const struct sc_row *r)
{
	return r->vm_id[0] && (r->state == SC_DELETING || r->state == SC_FINISHED || r->state == SC_FAILED);
}

/* Runners alive in a pool: the view, plus every name being created (queued, in flight,
 * or of unknown outcome), each counted once.  A spawn's slot is reserved when it is
 * queued (sc_exec_submit), so parallel spawns see each other.  with_going: also the
 * servers going (the max_runners slots in use). */
static int pool_alive(const struct sc *sc, const char *pool, int with_going)
{
	int n = (int)sc_pending_count(sc, pool);
	for (size_t i = 0; i < sc->nrows; i++)
		if (strcmp(sc->rows[i].pool, pool) == 0
		    && (alive_state(sc->rows[i].state) || (with_going && going_server(&sc->rows[i])))
		    && !sc_pending_find(sc, sc->rows[i].name))
			n++;
	return n;
}

static struct sc_pool_rt *want_pool(struct wreq *req, struct sc *sc, int required)
{
	const char *name = json_string_value(json_object_get(req->body, "pool"));
	if (!name) {
		if (required)
			worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "pool: required");
		return NULL;
	}
	struct sc_pool_rt *p = sc_pool_find(sc, name);
	if (!p)
		worker_reply_err(req, PROTO_E_NOT_FOUND, 0, "no pool named %s", name);
	return p;
}

/* ---- scaler.spawn ---------------------------------------------------------------------- */

static void on_spawned(struct sc *sc, const struct sc_job *j, void *arg)
{
	struct wreq *req = arg;
	/* Refused or failed: no server comes for the job.  An unknown outcome keeps its
	 * pending entry, and the runner stays counted for its job. */
	if (!j->ok && !sc_pending_find(sc, j->name))
		sc_reactive_forget(j->name);
	if (j->ok)
		worker_reply_ok(req, json_pack("{s:s}", "name", j->name));
	else
		worker_reply_err(req, j->error ? j->error : PROTO_E_INTERNAL, j->retry_after_ms, "%s", j->message);
}

static void h_spawn(struct wreq *req)
{
	struct sc *sc = sc_get(req->w);
	struct sc_pool_rt *p = want_pool(req, sc, 1);
	if (!p)
		return;
	/* Scaled to 0 by the operator: no runner at all, not even for a job.  The consumer
	 * keeps the job and asks again later. */
	if (p->min_idle_override == 0) {
		worker_reply_err(req, PROTO_E_UNAVAILABLE, 0,
		                 "pool %s is scaled to 0 (ghr-ctl scale %s --reset lifts it)", p->name, p->name);
		return;
	}
	if (!sc_reactive_may_spawn(req->from, p->reactive)) {
		worker_reply_err(req, PROTO_E_FORBIDDEN, 0, "pool %s is not reactive: %s may spawn only in reactive pools",
		                 p->name, req->from);
		return;
	}
	int held = pool_alive(sc, p->name, 1);
	if (p->max_runners > 0 && held >= p->max_runners) {
		worker_reply_err(req, PROTO_E_UNAVAILABLE, 0,
		                 "pool %s is full: %d of max_runners %d servers (alive or being deleted)",
		                 p->name, held, p->max_runners);
		return;
	}
	int64_t left = sc_exec_backoff_left(sc, p);
	if (left > 0) {
		worker_reply_err(req, PROTO_E_UNAVAILABLE, left, "pool %s: creates back off after %u failures",
		                 p->name, p->create_failures);
		return;
	}
	json_int_t job = json_integer_value(json_object_get(req->body, "job_id"));
	log_info("spawn requested", "pool=%s job_id=%lld from=%s", p->name, (long long)job, req->from);
	struct sc_action a = { .kind = SC_ACT_CREATE, .reason = "spawn" };
	sc_copy(a.pool, p->name, sizeof(a.pool));
	/* A runner spawned for a job stands for it from now on (sc_reactive.h): while
	 * queued and in flight it is no min_idle runner. */
	if (job > 0) {
		if (sc_name_new(a.name, sizeof(a.name), sc->manager_id, p->name) != 0) {
			worker_reply_err(req, PROTO_E_INTERNAL, 0, "runner name too long for pool %s", p->name);
			return;
		}
		sc_reactive_note(a.name, wall_ms());
	}
	sc_exec_submit(sc, &a, 0, on_spawned, req);
}

/* ---- reads ------------------------------------------------------------------------------ */

static json_t *row_json(const struct sc_row *r, int64_t now)
{
	int64_t age = r->created_ms > 0 && now > r->created_ms ? (now - r->created_ms) / 1000 : 0;
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:I}",
	                 "name", r->name, "pool", r->pool, "state", sc_state_name(r->state),
	                 "reason", r->reason ? r->reason : "", "age_s", (json_int_t)age,
	                 "vm_id", r->vm_id, "vm_status", r->vm_status,
	                 "github_status", r->gh_status ? r->gh_status : "", "github_id", (json_int_t)r->gh_id);
}

static void h_runners(struct wreq *req)
{
	struct sc *sc = sc_get(req->w);
	const char *pool = json_string_value(json_object_get(req->body, "pool"));
	if (pool && !sc_pool_find(sc, pool)) {
		worker_reply_err(req, PROTO_E_NOT_FOUND, 0, "no pool named %s", pool);
		return;
	}
	json_t *arr = json_array();
	int64_t now = wall_ms();
	for (size_t i = 0; i < sc->nrows; i++)
		if (!pool || strcmp(sc->rows[i].pool, pool) == 0)
			json_array_append_new(arr, row_json(&sc->rows[i], now));
	/* creates started after the last reconcile */
	for (size_t i = 0; i < sc->npending; i++) {
		const struct sc_pending_rt *e = &sc->pending[i];
		int known = 0;
		for (size_t k = 0; k < sc->nrows && !known; k++)
			known = strcmp(sc->rows[k].name, e->p.name) == 0;
		if (known || (pool && strcmp(e->p.pool, pool) != 0))
			continue;
		struct sc_row r = { .state = SC_CREATING,
		                    .reason = e->outcome_unknown ? "create outcome unknown" : e->done_mono ? "server created"
		                              : "create queued or in flight",
		                    .created_ms = e->p.started_ms, .gh_status = "" };
		sc_copy(r.name, e->p.name, sizeof(r.name));
		sc_copy(r.pool, e->p.pool, sizeof(r.pool));
		json_array_append_new(arr, row_json(&r, now));
	}
	worker_reply_ok(req, json_pack("{s:o}", "runners", arr));
}

static void h_pools(struct wreq *req)
{
	struct sc *sc = sc_get(req->w);
	json_t *arr = json_array();
	for (size_t i = 0; i < sc->npools; i++) {
		struct sc_pool_rt *p = &sc->pools[i];
		json_t *counts = json_object();
		const struct sc_count *c = NULL;
		for (size_t k = 0; k < sc->ncounts; k++)
			if (strcmp(sc->counts[k].pool, p->name) == 0)
				c = &sc->counts[k];
		for (int s = 0; s < SC_STATE_COUNT; s++)
			json_object_set_new(counts, sc_state_name((enum sc_state)s), json_integer(c ? c->n[s] : 0));
		int fallback = 0;
		const char *img = sc_image_pick(&p->image, &fallback);
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:O, s:i, s:i, s:i, s:o, s:i, s:I, s:i, s:b}",
			"name", p->name, "flavor", p->flavor, "image", p->image.spec, "image_id", img ? img : "",
			"network", p->network, "labels", p->labels, "min_idle", sc_pool_min_idle(p),
			"min_idle_config", p->min_idle_cfg, "max_runners", p->max_runners, "counts", counts,
			"alive", pool_alive(sc, p->name, 0), "backoff_ms", (json_int_t)sc_exec_backoff_left(sc, p),
			"create_failures", (int)p->create_failures, "image_fallback", fallback));
		json_t *row = json_array_get(arr, json_array_size(arr) - 1);
		int64_t now = wall_ms();
		json_object_set_new(row, "target", json_integer(p->target.target));
		json_object_set_new(row, "override", json_boolean(p->min_idle_override >= 0));
		json_object_set_new(row, "reactive", json_integer(p->target.reactive));
		json_object_set_new(row, "demand_target", json_integer(p->target.demand));
		json_object_set_new(row, "schedule_window", json_integer(p->target.window));
		json_object_set_new(row, "arrival_rate", json_real(sc_demand_rate(p->dm, now)));
		json_object_set_new(row, "boot_p90_ms", json_integer(sc_demand_boot_p90(p->dm)));
		json_object_set_new(row, "demand", json_boolean(p->demand));
		json_t *problem = sc_problem_json(&p->problem, p->name, now);
		json_object_set_new(row, "problem", problem ? problem : json_null());
	}
	worker_reply_ok(req, json_pack("{s:o}", "pools", arr));
}

json_t *sc_health_report(const struct sc *sc, int64_t now_ms)
{
	json_t *problems = json_array();
	json_t *j = sc_problem_json(&sc->reconcile_problem, "reconcile", now_ms);
	if (j)
		json_array_append_new(problems, j);
	for (int a = 0; a < SC_API_COUNT; a++)
		if ((j = sc_problem_json(&sc->api_problem[a].p, sc_api_name((enum sc_api)a), now_ms)))
			json_array_append_new(problems, j);
	for (size_t i = 0; i < sc->npools; i++) {
		char source[SC_POOL_MAX + 8];
		snprintf(source, sizeof(source), "pool %s", sc->pools[i].name);
		if ((j = sc_problem_json(&sc->pools[i].problem, source, now_ms)))
			json_array_append_new(problems, j);
	}
	return json_pack("{s:b, s:o}", "degraded", json_array_size(problems) > 0, "problems", problems);
}

static void h_health(struct wreq *req)
{
	worker_reply_ok(req, sc_health_report(sc_get(req->w), wall_ms()));
}

static void h_metrics(struct wreq *req)
{
	char *t = sc_metrics_text(sc_get(req->w));
	if (!t) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	worker_reply_ok(req, json_pack("{s:s}", "text", t));
	free(t);
}

/* ---- writes ----------------------------------------------------------------------------- */

static void h_reconcile(struct wreq *req)
{
	struct sc *sc = sc_get(req->w);
	if (json_object_get(req->body, "pool") && !want_pool(req, sc, 0))
		return;
	sc_reconcile(sc, req);
}

/* min_idle N: the pool's target is N (schedule and demand set aside) until the scaler
 * restarts; reset: back to the configuration. */
static void h_scale(struct wreq *req)
{
	struct sc *sc = sc_get(req->w);
	struct sc_pool_rt *p = want_pool(req, sc, 1);
	if (!p)
		return;
	const json_t *jn = json_object_get(req->body, "min_idle");
	int reset = json_is_true(json_object_get(req->body, "reset"));
	if (reset == (jn != NULL)) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "give either min_idle or reset: true");
		return;
	}
	json_int_t n = json_integer_value(jn);
	if (!reset && (!json_is_integer(jn) || n < 0 || n > 10000)) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "min_idle: must be an integer from 0 to 10000");
		return;
	}
	p->min_idle_override = reset ? -1 : (int)n;
	if (reset)
		log_info("min_idle back to the configuration", "pool=%s min_idle=%d", p->name, p->min_idle_cfg);
	else
		log_info("min_idle changed until the scaler restarts", "pool=%s min_idle=%d config=%d", p->name,
		         (int)n, p->min_idle_cfg);
	worker_reply_ok(req, json_pack("{s:s, s:i, s:b}", "pool", p->name, "min_idle", sc_pool_min_idle(p),
	                               "override", !reset));
	sc_reconcile(sc, NULL);
}

struct flush { struct wreq *req; json_t *deleted; int out; int submitting; };

static void flush_reply(struct sc *sc, struct flush *f)
{
	worker_reply_ok(f->req, json_pack("{s:o}", "deleted", f->deleted));
	free(f);
	sc_reconcile(sc, NULL);     /* replace what went */
}

static void on_flushed(struct sc *sc, const struct sc_job *j, void *arg)
{
	struct flush *f = arg;
	if (j->ok && strcmp(j->outcome, "deleted") == 0)
		json_array_append_new(f->deleted, json_string(j->name));
	if (--f->out == 0 && !f->submitting)
		flush_reply(sc, f);
}

static void h_flush(struct wreq *req)
{
	struct sc *sc = sc_get(req->w);
	const char *pool = json_string_value(json_object_get(req->body, "pool"));
	if (pool && !sc_pool_find(sc, pool)) {
		worker_reply_err(req, PROTO_E_NOT_FOUND, 0, "no pool named %s", pool);
		return;
	}
	int busy = json_is_true(json_object_get(req->body, "busy"));
	struct flush *f = calloc(1, sizeof(*f));
	if (!f || !(f->deleted = json_array())) {
		free(f);
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	f->req = req;
	f->submitting = 1;
	for (size_t i = 0; i < sc->nrows; i++) {
		const struct sc_row *r = &sc->rows[i];
		if (pool && strcmp(r->pool, pool) != 0)
			continue;
		if (r->state != SC_IDLE && !(busy && (r->state == SC_BUSY || r->state == SC_OFFLINE)))
			continue;
		struct sc_action a = { .kind = SC_ACT_DELETE, .runner_id = r->gh_id,
		                       .guarded = r->state == SC_IDLE, .reason = "flush" };
		sc_copy(a.pool, r->pool, sizeof(a.pool));
		sc_copy(a.name, r->name, sizeof(a.name));
		sc_copy(a.vm_id, r->vm_id, sizeof(a.vm_id));
		f->out++;
		sc_exec_submit(sc, &a, r->state != SC_IDLE, on_flushed, f);
	}
	f->submitting = 0;
	if (f->out == 0)
		flush_reply(sc, f);
}

static void h_image(struct wreq *req)
{
	struct sc *sc = sc_get(req->w);
	const char *id = json_string_value(json_object_get(req->body, "image_id"));
	const char *pool = json_string_value(json_object_get(req->body, "pool"));
	if (!id || !*id || strlen(id) >= SC_IMAGE_ID_MAX) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "image_id: must be 1-%d characters", SC_IMAGE_ID_MAX - 1);
		return;
	}
	if (pool && !sc_pool_find(sc, pool)) {
		worker_reply_err(req, PROTO_E_NOT_FOUND, 0, "no pool named %s", pool);
		return;
	}
	for (size_t i = 0; i < sc->npools; i++) {
		if (pool && strcmp(sc->pools[i].name, pool) != 0)
			continue;
		sc_copy(sc->pools[i].image.override, id, SC_IMAGE_ID_MAX);
		log_info("new runners use a new image", "pool=%s image=%s", sc->pools[i].name, id);
	}
	worker_reply_ok(req, NULL);
}

const struct worker_method sc_methods[] = {
	{ "scaler.spawn", h_spawn },
	{ "scaler.runners", h_runners },
	{ "scaler.pools", h_pools },
	{ "scaler.health", h_health },
	{ "scaler.reconcile", h_reconcile },
	{ "scaler.flush", h_flush },
	{ "scaler.scale", h_scale },
	{ "scaler.metrics", h_metrics },
	{ "scaler.image", h_image },
	{ NULL, NULL },
};
