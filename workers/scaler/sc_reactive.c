/* Reactive runners counted apart from min_idle (sc_reactive.h).  The scaler is a single
 * process, so the set of spawned names lives here. */
#include <string.h>

#include "workers/scaler/sc.h"
#include "workers/scaler/sc_reactive.h"

#define FORGET_AFTER_MS (24LL * 3600 * 1000)

static json_t *spawned;          /* runner name → epoch ms of the spawn */
static int64_t idle_grace_ms = 300000;

void sc_reactive_setup(const json_t *cfg)
{
	const json_t *g = json_object_get(json_object_get(cfg, "reactive"), "idle_grace");
	if (json_is_integer(g))
		idle_grace_ms = json_integer_value(g);
	if (!spawned)
		spawned = json_object();
}

void sc_reactive_note(const char *name, int64_t now)
{
	if (!spawned)
		spawned = json_object();
	json_object_set_new(spawned, name, json_integer(now));
}

static const struct sc_row *row_of(const struct sc *sc, const char *name)
{
	for (size_t i = 0; i < sc->nrows; i++)
		if (strcmp(sc->rows[i].name, name) == 0)
			return &sc->rows[i];
	return NULL;
}

static int64_t online_since(const struct sc *sc, const char *name)
{
	for (size_t i = 0; i < sc->nseen; i++)
		if (strcmp(sc->seen[i].name, name) == 0)
			return sc->seen[i].online_ms;
	return 0;
}

int sc_reactive_bonus(const struct sc *sc, const char *pool, int64_t now)
{
	int bonus = 0;
	const char *name;
	json_t *at, *tmp;
	json_object_foreach_safe(spawned, tmp, name, at) {
		const struct sc_row *r = row_of(sc, name);
		const struct sc_pending_rt *pe = sc_pending_find(sc, name);
		int pending = pe != NULL;
		if (!r && !pending && now - json_integer_value(at) > sc->creation_timeout_ms) {
			json_object_del(spawned, name);      /* gone, or never made it */
			continue;
		}
		if (now - json_integer_value(at) > FORGET_AFTER_MS) {
			json_object_del(spawned, name);
			continue;
		}
		if (strcmp(r ? r->pool : pending ? pe->p.pool : "", pool) != 0)
			continue;
		if (!r || r->state == SC_CREATING || r->state == SC_BOOTING)
			bonus++;
		else if (r->state == SC_IDLE) {
			int64_t since = online_since(sc, name);
			if (since <= 0 || now - since < idle_grace_ms)
				bonus++;
		}
	}
	return bonus;
}
