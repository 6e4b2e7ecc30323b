/* Names being created (sc->pending): the one place that adds, finds, counts and expires
 * them.
 *
 * An entry is added when a create is queued -- before it starts -- so that the slot is
 * reserved at once: parallel scaler.spawn requests see each other and never exceed
 * max_runners, and a reconcile neither doubles a queued create nor mistakes its runner
 * for a dangling one.  Its life:
 *   in flight       drop_after_mono 0
 *   created         kept until a reconcile whose lists were requested after the create
 *                   finished (the lists may not show the server yet)
 *   outcome unknown (reply lost, timeout, "server exists"): kept creation_timeout, so the
 *                   next reconciles find the VM if it appears; if none does, the entry
 *                   goes and the runner is removed as dangling (two looks)
 *   refused         removed at once */
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "workers/scaler/sc.h"

struct sc_pending_rt *sc_pending_add(struct sc *sc, const char *name, const char *pool)
{
	if (array_reserve((void **)&sc->pending, &sc->cap_pending, sc->npending + 1, sizeof(*sc->pending)) < 0)
		return NULL;
	struct sc_pending_rt *e = &sc->pending[sc->npending++];
	memset(e, 0, sizeof(*e));
	sc_copy(e->p.name, name, sizeof(e->p.name));
	sc_copy(e->p.pool, pool, sizeof(e->p.pool));
	e->p.started_ms = wall_ms();
	return e;
}

struct sc_pending_rt *sc_pending_find(const struct sc *sc, const char *name)
{
	for (size_t i = 0; i < sc->npending; i++)
		if (strcmp(sc->pending[i].p.name, name) == 0)
			return &sc->pending[i];
	return NULL;
}

void sc_pending_remove(struct sc *sc, const char *name)
{
	struct sc_pending_rt *e = sc_pending_find(sc, name);
	if (e)
		*e = sc->pending[--sc->npending];
}

void sc_pending_settle(struct sc *sc, const char *name, int64_t keep_ms)
{
	struct sc_pending_rt *e = sc_pending_find(sc, name);
	if (e) {
		e->done_mono = now_ms();
		e->drop_after_mono = e->done_mono + (keep_ms > 0 ? keep_ms : 0);
	}
}

size_t sc_pending_count(const struct sc *sc, const char *pool)
{
	size_t n = 0;
	for (size_t i = 0; i < sc->npending; i++)
		n += strcmp(sc->pending[i].p.pool, pool) == 0;
	return n;
}

static int keep(const struct sc_pending_rt *e, int64_t t0)
{
	return !e->done_mono || e->drop_after_mono >= t0;
}

size_t sc_pending_snapshot(struct sc *sc, int64_t t0, struct sc_pending *out)
{
	size_t n = 0;
	for (size_t i = 0; i < sc->npending;) {
		if (!keep(&sc->pending[i], t0)) {
			sc->pending[i] = sc->pending[--sc->npending];
			continue;
		}
		out[n++] = sc->pending[i++].p;
	}
	return n;
}
