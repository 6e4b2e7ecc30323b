/* What the scaler knows of each runner name between reconciles: the measurements of
 * demand (sc_demand.h) come from here.  A name is recorded when its create starts (its
 * start time known), or when a list first shows it.  Its first online observation is a
 * boot sample, its first busy one an arrival -- but only when it was known offline (or
 * idle) before: the runners found already online or busy when the scaler starts measure
 * nothing. */
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "workers/scaler/sc.h"
#include "workers/scaler/sc_reactive.h"

static size_t lower_bound(const struct sc *sc, const char *name)
{
	size_t lo = 0, hi = sc->ntrk;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(sc->trk[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct sc_track *sc_track_find(struct sc *sc, const char *name)
{
	size_t i = lower_bound(sc, name);
	return i < sc->ntrk && strcmp(sc->trk[i].name, name) == 0 ? &sc->trk[i] : NULL;
}

static struct sc_track *track_add(struct sc *sc, const char *name, const char *pool, unsigned flags)
{
	size_t i = lower_bound(sc, name);
	if (array_reserve((void **)&sc->trk, &sc->cap_trk, sc->ntrk + 1, sizeof(*sc->trk)) < 0)
		return NULL;
	memmove(&sc->trk[i + 1], &sc->trk[i], (sc->ntrk - i) * sizeof(*sc->trk));
	sc->ntrk++;
	struct sc_track *t = &sc->trk[i];
	memset(t, 0, sizeof(*t));
	sc_copy(t->name, name, sizeof(t->name));
	sc_copy(t->pool, pool, sizeof(t->pool));
	t->flags = flags;
	return t;
}

void sc_track_observe(struct sc *sc, const char *name, const char *pool, int64_t created_ms,
                      int online, int busy, int64_t now_wall)
{
	struct sc_track *t = sc_track_find(sc, name);
	if (!t) {
		/* First seen already online or busy: nothing to measure from it. */
		t = track_add(sc, name, pool, (online || busy ? SC_TRK_ONLINE : 0u) | (busy ? SC_TRK_BUSY : 0u));
		if (!t)
			return;
	}
	if (!t->created_ms && created_ms > 0)
		t->created_ms = created_ms;
	struct sc_pool_rt *p = sc_pool_find(sc, t->pool);
	if ((online || busy) && !t->online_ms)
		t->online_ms = now_wall;
	if ((online || busy) && !(t->flags & SC_TRK_ONLINE)) {
		t->flags |= SC_TRK_ONLINE;
		if (p && t->created_ms > 0 && now_wall > t->created_ms)
			sc_demand_boot(p->dm, now_wall - t->created_ms);
	}
	/* A runner spawned for a job runs a job that never waited for an idle runner: no
	 * arrival (sc_demand.h). */
	if (busy && !(t->flags & SC_TRK_BUSY)) {
		t->flags |= SC_TRK_BUSY;
		if (p && !sc_reactive_spawned(t->name, now_wall))
			sc_demand_arrival(p->dm, SC_ARR_BUSY, now_wall);
	}
}

/* Rows are sorted by pool, then name (sc_decide). */
static int cmp_row_key(const void *key, const void *row)
{
	const struct sc_track *t = key;
	const struct sc_row *r = row;
	int c = strcmp(t->pool, r->pool);
	return c ? c : strcmp(t->name, r->name);
}

static int in_rows(const struct sc *sc, const struct sc_track *t)
{
	return bsearch(t, sc->rows, sc->nrows, sizeof(*sc->rows), cmp_row_key) != NULL;
}

int sc_track_new_creates(struct sc *sc, const char *pool)
{
	int n = 0;
	for (size_t i = 0; i < sc->ntrk; i++)
		n += strcmp(sc->trk[i].pool, pool) == 0 && sc_pending_find(sc, sc->trk[i].name)
		     && !in_rows(sc, &sc->trk[i]);
	return n;
}

static void prune(struct sc *sc)
{
	size_t k = 0;
	for (size_t i = 0; i < sc->ntrk; i++) {
		if (sc_pending_find(sc, sc->trk[i].name) || in_rows(sc, &sc->trk[i]))
			sc->trk[k++] = sc->trk[i];
	}
	sc->ntrk = k;
}

void sc_track_from_rows(struct sc *sc)
{
	int64_t now = wall_ms();
	for (size_t i = 0; i < sc->ntrk; i++)
		sc->trk[i].flags &= ~(SC_TRK_LISTED | SC_TRK_NOW_ON | SC_TRK_NOW_BUSY);
	for (size_t i = 0; i < sc->nrows; i++) {
		const struct sc_row *r = &sc->rows[i];
		if (!r->pool_known || !r->gh_id)
			continue;
		int busy = r->gh_status && strcmp(r->gh_status, "busy") == 0;
		int online = busy || (r->gh_status && strcmp(r->gh_status, "online") == 0);
		sc_track_observe(sc, r->name, r->pool, r->created_ms, online, busy, now);
		struct sc_track *t = sc_track_find(sc, r->name);
		if (t)
			t->flags |= SC_TRK_LISTED | (online ? SC_TRK_NOW_ON : 0u) | (busy ? SC_TRK_NOW_BUSY : 0u);
	}
	/* The reconcile's memory knows since when a runner is online (it may be earlier
	 * than this scaler first saw it). */
	for (size_t i = 0; i < sc->nseen; i++) {
		struct sc_track *t = sc->seen[i].online_ms > 0 ? sc_track_find(sc, sc->seen[i].name) : NULL;
		if (t && (!t->online_ms || sc->seen[i].online_ms < t->online_ms))
			t->online_ms = sc->seen[i].online_ms;
	}
	prune(sc);
	sc_jobinfo_prune(sc, now);
	sc->trk_stale = 0;
}
