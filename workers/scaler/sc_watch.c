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

/* Idle + booting + creating, and everything alive, of one pool, as known now. */
static void pool_now(struct sc *sc, const char *pool, int *ready, int *alive)
{
	*ready = *alive = 0;
	for (size_t i = 0; i < sc->ntrk; i++) {
		const struct sc_track *t = &sc->trk[i];
		if (strcmp(t->pool, pool) != 0)
			continue;
		if (t->flags & SC_TRK_LISTED) {
			(*alive)++;
			/* busy, or offline after having been online: not ready */
			if (!(t->flags & SC_TRK_NOW_BUSY) && ((t->flags & SC_TRK_NOW_ON) || !(t->flags & SC_TRK_ONLINE)))
				(*ready)++;
		} else if (sc_pending_find(sc, t->name)) {
			(*alive)++;
			if (!(t->flags & SC_TRK_NOW_BUSY))
				(*ready)++;
		}
	}
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

void sc_topup(struct sc *sc, const char *why)
{
	if (sc->stopping || sc->recon || !sc->view_wall_ms || sc->trk_stale)
		return;
	int64_t now = wall_ms();
	for (size_t i = 0; i < sc->npools; i++) {
		struct sc_pool_rt *p = &sc->pools[i];
		struct sc_pool in;
		/* Runners spawned for jobs are left to the full reconcile, which sees them by
		 * name (sc_reactive.c); here they count as ready, so a top-up errs on the side
		 * of fewer creates, never more. */
		sc_pool_input(p, &in, now);
		sc_pool_target(&in, now, &p->target);
		int ready, alive;
		if (sc_exec_backoff_left(sc, p) > 0)
			continue;               /* its creates fail: the backoff decides when to retry */
		pool_now(sc, p->name, &ready, &alive);
		int n = sc_creates_needed(p->target.target, ready, p->max_runners, held_now(sc, p->name, alive));
		if (n <= 0)
			continue;
		log_info("pool below its target: creating now", "pool=%s target=%d ready=%d creates=%d why=%s",
		         p->name, p->target.target, ready, n, log_q(why));
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
