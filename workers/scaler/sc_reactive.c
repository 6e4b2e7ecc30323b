/* Reactive runners counted apart from min_idle (sc_reactive.h).  The scaler is a single
 * process, so the set of spawned names lives here. */
#include <string.h>

#include "workers/scaler/sc_reactive.h"

#define FORGET_AFTER_MS (24LL * 3600 * 1000)

static json_t *spawned;          /* runner name → epoch ms of the spawn */
static json_t *reactive_pools;   /* names of the pools with reactive: true */
static int64_t idle_grace_ms = 300000;

void sc_reactive_setup(const json_t *cfg)
{
	const json_t *g = json_object_get(json_object_get(cfg, "reactive"), "idle_grace");
	if (json_is_integer(g))
		idle_grace_ms = json_integer_value(g);
	if (!spawned)
		spawned = json_object();
	json_decref(reactive_pools);
	reactive_pools = json_object();
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(cfg, "pools"), i, p)
		if (json_is_true(json_object_get(p, "reactive")) && json_string_value(json_object_get(p, "name")))
			json_object_set_new(reactive_pools, json_string_value(json_object_get(p, "name")), json_true());
}

void sc_reactive_note(const char *name, int64_t now)
{
	if (!spawned)
		spawned = json_object();
	json_object_set_new(spawned, name, json_integer(now));
}

void sc_reactive_forget(const char *name)
{
	json_object_del(spawned, name);
}

int sc_reactive_spawned(const char *name, int64_t now)
{
	json_t *at = json_object_get(spawned, name);
	return at && now - json_integer_value(at) <= FORGET_AFTER_MS;
}

int sc_reactive_pool(const char *pool)
{
	return json_object_get(reactive_pools, pool) != NULL;
}

int sc_reactive_apart(const char *name, const char *pool, int64_t online_ms, int64_t now)
{
	return sc_reactive_pool(pool) && sc_reactive_spawned(name, now)
	       && (online_ms <= 0 || now - online_ms < idle_grace_ms);
}

static int64_t online_since(const struct sc_plan *p, const char *name)
{
	for (size_t i = 0; i < p->nseen; i++)
		if (strcmp(p->seen[i].name, name) == 0)
			return p->seen[i].online_ms;
	return 0;
}

/* Does this row still stand for its job (not yet a plain idle runner)? */
static int counts_apart(const struct sc_plan *p, const struct sc_row *r, int64_t now)
{
	if (r->state == SC_CREATING || r->state == SC_BOOTING)
		return sc_reactive_apart(r->name, r->pool, 0, now);
	return r->state == SC_IDLE && sc_reactive_apart(r->name, r->pool, online_since(p, r->name), now);
}

int sc_reactive_adjust(struct sc_pool *pools, size_t npools, const struct sc_plan *plan, int64_t now)
{
	int changed = 0;
	json_t *still = json_object();
	for (size_t i = 0; i < plan->nrows; i++) {
		const struct sc_row *r = &plan->rows[i];
		json_t *at = json_object_get(spawned, r->name);
		if (!at)
			continue;
		json_object_set(still, r->name, at);
		if (!counts_apart(plan, r, now))
			continue;
		for (size_t k = 0; k < npools; k++)
			if (strcmp(pools[k].name, r->pool) == 0) {
				pools[k].reactive++;
				changed = 1;
			}
	}
	/* Spawns whose rows are not in this plan yet (the create just started) stay known
	 * for a while. */
	const char *name;
	json_t *at;
	json_object_foreach(spawned, name, at)
		if (!json_object_get(still, name) && now - json_integer_value(at) < 600000)
			json_object_set(still, name, at);
	json_decref(spawned);
	spawned = still;
	return changed;
}

int sc_reactive_may_spawn(const char *from, int pool_reactive)
{
	static const char consumer[] = "reactive-consumer";
	size_t n = sizeof(consumer) - 1;
	int is_consumer = strncmp(from, consumer, n) == 0 && (from[n] == '\0' || from[n] == '.');
	return pool_reactive || !is_consumer;
}
