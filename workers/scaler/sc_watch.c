/* Replace at once: the runner-list watch and the top-up.
 *
 * Every reconcile.watch_interval the scaler asks github.runners.list again.  The github
 * worker sends each page with its ETag: an unchanged list is a 304, which spends no
 * rate-limit budget, and the reply says etag_hit.  A changed list (a runner went busy,
 * came online, or left) updates what the scaler knows of each name (sc_track.c), and
 * then every pool is topped up: when idle + booting + creating is below the pool's
 * target, the difference is created now (within max_runners; the executor bounds the
 * creates in flight by create_concurrency and applies the pool's backoff), not at the
 * next reconcile.  The full reconcile (VM list, cleanup, timeouts) keeps its interval,
 * and no top-up runs while one is under way (it decides itself) or before the first one
 * (nothing is known yet).  A webhook `in_progress` for one of our runners tops up at
 * once too (sc_jobs.c). */
#include <stdlib.h>
#include <string.h>
#include "common/evloop.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/scaler/sc.h"
#include "workers/scaler/sc_reactive.h"

#define SC_WATCH_TIMEOUT_MS 30000

static void on_watch_timer(struct ev_loop *loop, int64_t id, void *arg);

void sc_watch_schedule(struct sc *sc)
{
	if (sc->watch_interval_ms <= 0 || sc->stopping)
		return;
	if (sc->watch_timer)
		ev_timer_del(worker_loop(sc->w), sc->watch_timer);
	sc->watch_timer = ev_timer_add(worker_loop(sc->w), sc->watch_interval_ms, on_watch_timer, sc);
}

/* A server the last reconcile saw creating or booting, whose runner is neither listed
 * now nor known to have been online (then it has taken its job and left): it is still
 * coming, though GitHub does not list its runner (yet), and no create is pending. */
static int coming_unlisted(struct sc *sc, const struct sc_row *r)
{
	if ((r->state != SC_CREATING && r->state != SC_BOOTING) || !r->vm_id[0] || sc_pending_find(sc, r->name))
		return 0;
	const struct sc_track *t = sc_track_find(sc, r->name);
	return !t || !(t->flags & (SC_TRK_LISTED | SC_TRK_ONLINE));
}

/* The max_runners slots the pool holds now, at least: those of the last reconcile
 * (servers alive or going then; some may be gone since, which only errs on the safe
 * side) plus the creates started since; and never less than what is known alive now
 * plus the servers that were going. */
static int held_now(struct sc *sc, const char *pool, int alive)
{
	int held = 0, going = 0;
	for (size_t k = 0; k < sc->ncounts; k++)
		if (strcmp(sc->counts[k].pool, pool) == 0) {
			held = sc->counts[k].held;
			going = held > sc->counts[k].alive ? held - sc->counts[k].alive : 0;
		}
	held += sc_track_new_creates(sc, pool);
	return held > alive + going ? held : alive + going;
}

void sc_pool_now(struct sc *sc, const char *pool, int64_t now, struct sc_pool_now *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sc->ntrk; i++) {
		const struct sc_track *t = &sc->trk[i];
		if (strcmp(t->pool, pool) != 0)
			continue;
		int ready;
		int64_t online_ms = 0;
		if (t->flags & SC_TRK_LISTED) {
			/* busy, or offline after having been online: not ready */
			ready = !(t->flags & SC_TRK_NOW_BUSY) && ((t->flags & SC_TRK_NOW_ON) || !(t->flags & SC_TRK_ONLINE));
			online_ms = t->flags & SC_TRK_NOW_ON ? t->online_ms : 0;
		} else if (sc_pending_find(sc, t->name)) {
			ready = !(t->flags & SC_TRK_NOW_BUSY);
		} else {
			continue;
		}
		out->alive++;
		if (ready) {
			out->ready++;
			out->reactive += sc_reactive_apart(t->name, pool, online_ms, now);
		}
	}
	for (size_t i = 0; i < sc->nrows; i++)
		if (strcmp(sc->rows[i].pool, pool) == 0 && coming_unlisted(sc, &sc->rows[i])) {
			out->alive++;
			out->ready++;
			out->reactive += sc_reactive_apart(sc->rows[i].name, pool, 0, now);
		}
	out->held = held_now(sc, pool, out->alive);
}

/* The reconcile raises the target by the reactive runners it sees (sc_reactive.h), and
 * they are among the ready ones: the top-up counts them the same way, so that it never
 * creates more than the reconcile would.  The target it computes is its own: the one
 * shown (ghr-ctl pools, ghr_pool_target) is the last reconcile's. */
int sc_topup_creates(struct sc *sc, const struct sc_pool_rt *p, int64_t now, struct sc_target *target)
{
	struct sc_pool in;
	struct sc_pool_now pn;
	sc_pool_input(p, &in, now);
	sc_pool_now(sc, p->name, now, &pn);
	in.reactive = pn.reactive;
	sc_pool_target(&in, now, target);
	return sc_creates_needed(target->target, pn.ready, p->max_runners, pn.held);
}

void sc_topup(struct sc *sc, const char *why)
{
	if (sc->stopping || sc->recon || !sc->view_wall_ms || sc->trk_stale)
		return;
	int64_t now = wall_ms();
	for (size_t i = 0; i < sc->npools; i++) {
		struct sc_pool_rt *p = &sc->pools[i];
		if (sc_exec_backoff_left(sc, p) > 0)
			continue;               /* its creates fail: the backoff decides when to retry */
		struct sc_target tg;
		int n = sc_topup_creates(sc, p, now, &tg);
		if (n <= 0)
			continue;
		log_info("pool below its target: creating now", "pool=%s target=%d reactive=%d creates=%d why=%s",
		         p->name, tg.target, tg.reactive, n, log_q(why));
		sc->replacements += (uint64_t)n;
		struct sc_action a = { .kind = SC_ACT_CREATE, .reason = why };
		sc_copy(a.pool, p->name, sizeof(a.pool));
		for (int k = 0; k < n; k++)
			sc_exec_submit(sc, &a, 0, NULL, NULL);
	}
}

/* ---- the listing ------------------------------------------------------------------- */

static void ask(struct sc *sc);

static void take_part(struct sc *sc, const json_t *runners)
{
	int64_t now = wall_ms();
	if (sc->watch_parts == 1) {
		sc->trk_stale = 1;
		for (size_t i = 0; i < sc->ntrk; i++)
			sc->trk[i].flags &= ~(SC_TRK_LISTED | SC_TRK_NOW_ON | SC_TRK_NOW_BUSY);
	}
	size_t i;
	const json_t *g;
	json_array_foreach(runners, i, g) {
		const char *name = json_string_value(json_object_get(g, "name"));
		char pool[SC_POOL_MAX];
		if (!name || strlen(name) >= SC_NAME_MAX
		    || sc_name_parse(name, sc->manager_id, pool, sizeof(pool)) != 0 || !sc_pool_find(sc, pool))
			continue;
		const char *st = json_string_value(json_object_get(g, "status"));
		int online = st && strcmp(st, "online") == 0;
		int busy = json_is_true(json_object_get(g, "busy"));
		sc_track_observe(sc, name, pool, 0, online, busy, now);
		struct sc_track *t = sc_track_find(sc, name);
		if (t)
			t->flags |= SC_TRK_LISTED | (online ? SC_TRK_NOW_ON : 0u) | (busy ? SC_TRK_NOW_BUSY : 0u);
	}
}

static void on_list(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct sc *sc = arg;
	const json_t *runners = res->ok ? json_object_get(res->body, "runners") : NULL;
	const char *next = res->ok ? json_string_value(json_object_get(res->body, "next")) : NULL;
	int unchanged = res->ok && json_is_true(json_object_get(res->body, "etag_hit"));
	if (!json_is_array(runners) || sc->stopping
	    || (next && (!*next || strlen(next) >= sizeof(sc->watch_marker) || sc->watch_parts >= 1000))) {
		if (!sc->stopping)
			log_debug("runner list watch failed; the next one lists again", "error=%s message=%s",
			          res->ok ? "bad reply" : proto_error_name(res->error), log_q(res->message ? res->message : ""));
		sc->watch_failures++;
		sc->watch_out = 0;
		sc_watch_schedule(sc);
		/* rate limited: not before GitHub's window allows */
		if (!res->ok && res->retry_after_ms > sc->watch_interval_ms && !sc->stopping) {
			ev_timer_del(worker_loop(sc->w), sc->watch_timer);
			sc->watch_timer = ev_timer_add(worker_loop(sc->w), res->retry_after_ms, on_watch_timer, sc);
		}
		return;
	}
	sc->watch_parts++;
	/* An unchanged list needs no look, unless a listing stopped half-way since. */
	if (!(unchanged && sc->watch_parts == 1 && !next && !sc->trk_stale))
		take_part(sc, runners);
	if (next) {
		sc_copy(sc->watch_marker, next, sizeof(sc->watch_marker));
		ask(sc);
		return;
	}
	sc->watches++;
	sc->trk_stale = 0;
	if (!unchanged)
		sc->watch_changes++;
	sc->watch_out = 0;
	sc_topup(sc, "replace at once: runner list changed");
	sc_watch_schedule(sc);
}

static void ask(struct sc *sc)
{
	json_t *body = json_pack("{s:s, s:b}", "prefix", sc->prefix, "chunked", 1);
	if (body && sc->watch_marker[0])
		json_object_set_new(body, "marker", json_string(sc->watch_marker));
	sc_call(sc, "github.runners.list", body, SC_WATCH_TIMEOUT_MS, on_list, sc);
}

static void on_watch_timer(struct ev_loop *loop, int64_t id, void *arg)
{
	struct sc *sc = arg;
	sc->watch_timer = 0;
	/* A reconcile lists the runners itself; the first one has not run yet. */
	if (sc->watch_out || sc->recon || !sc->view_wall_ms) {
		sc_watch_schedule(sc);
		return;
	}
	sc->watch_out = 1;
	sc->watch_parts = 0;
	sc->watch_marker[0] = 0;
	ask(sc);
}
