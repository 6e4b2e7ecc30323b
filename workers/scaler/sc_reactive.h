/* Runners spawned for reactive jobs (scaler.spawn with a job_id) in pools with
 * reactive: true, counted apart from min_idle: while such a runner is creating, booting,
 * or idle for less than reactive.idle_grace, its pool's target is raised by one for it
 * (sc_pool.reactive), so it
 * neither stands in for a min_idle runner nor is deleted as surplus.  Once idle past
 * idle_grace (its job went to another runner: ephemeral runners take any job with their
 * labels) it counts like any idle runner and scale-down takes it.
 *
 * The raise is computed from a first decision's classification (the same rows the
 * decision counts), and the decision is then made again with the raised targets. */
#ifndef GHR_SC_REACTIVE_H
#define GHR_SC_REACTIVE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "workers/scaler/sc_decide.h"

void sc_reactive_setup(const json_t *cfg);          /* reactive.idle_grace, the reactive pools */
/* A runner is spawned for a job: recorded when its create is submitted (it stands for
 * its job while queued or in flight), forgotten when the create is refused or fails. */
void sc_reactive_note(const char *name, int64_t now_ms);
void sc_reactive_forget(const char *name);
/* Spawned for a job (and not forgotten): its busy arrival is the job it was spawned for,
 * not demand (sc_demand.h). */
int sc_reactive_spawned(const char *name, int64_t now_ms);
/* The pool has reactive: true. */
int sc_reactive_pool(const char *pool);
/* Whether a ready runner (creating, booting or idle) stands apart from the target: spawned
 * for a job in a reactive pool, and not yet online (online_ms 0) or online for less than
 * idle_grace.  The one rule of the reconcile and the top-up (sc_watch.c). */
int sc_reactive_apart(const char *name, const char *pool, int64_t online_ms, int64_t now_ms);
/* Raise each pool's target by its reactive runners as classified in plan; 1 when any
 * target changed (decide again), 0 otherwise.  Forgets names no longer in the plan. */
int sc_reactive_adjust(struct sc_pool *pools, size_t npools, const struct sc_plan *plan, int64_t now_ms);
/* Whether the caller `from` (an instance name) may spawn in a pool: reactive consumers
 * only in reactive pools (a compromised one must not grow the others), anyone else
 * allowed by the catalogue in any pool. */
int sc_reactive_may_spawn(const char *from, int pool_reactive);

#endif
