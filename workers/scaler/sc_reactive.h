/* Runners spawned for reactive jobs (scaler.spawn with a job_id), counted apart from
 * min_idle: while such a runner is creating, booting, or idle for less than
 * reactive.idle_grace, the pool's min_idle target given to the decision is raised by
 * one for it, so it neither stands in for a min_idle runner nor is deleted as surplus.
 * Once idle past idle_grace (its job went to another runner: ephemeral runners take
 * any job with their labels) it counts like any idle runner and scale-down takes it. */
#ifndef GHR_SC_REACTIVE_H
#define GHR_SC_REACTIVE_H

#include <stdint.h>
#include <jansson.h>

struct sc;

void sc_reactive_setup(const json_t *cfg);          /* reads reactive.idle_grace */
void sc_reactive_note(const char *name, int64_t now_ms);
/* Extra min_idle for pool from its reactive runners, per the last view. */
int sc_reactive_bonus(const struct sc *sc, const char *pool, int64_t now_ms);

#endif
