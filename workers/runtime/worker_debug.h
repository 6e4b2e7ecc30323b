/* Test hooks of the worker runtime, used by the fake worker (workers/fake) to
 * misbehave on purpose so that ghrd's supervision can be tested.  Real workers never
 * call these. */
#ifndef GHR_WORKER_DEBUG_H
#define GHR_WORKER_DEBUG_H

#include <stddef.h>

struct worker;

/* Called after the bootstrap was read (so the instance name is known) and before the
 * hello is sent; argc/argv are the worker's own. */
typedef void (*worker_prehello_fn)(struct worker *w, int argc, char **argv);
void worker_debug_set_prehello(worker_prehello_fn fn);

/* Let this executable stand in for any worker of the table: the bootstrap's worker
 * name is not checked against def->name, nor the method table against the catalogue
 * (must be called before worker_main). */
void worker_debug_stand_in(void);
void worker_debug_skip_hello(struct worker *w);      /* never say hello (nor ready) */
void worker_debug_stop_heartbeat(struct worker *w);  /* stop sending hb */
void worker_debug_ignore_term(struct worker *w);     /* SIGTERM is logged, nothing else */
/* Send raw bytes as one frame (garbage tests).  Returns 0 or -1. */
int worker_debug_send_raw(struct worker *w, const void *data, size_t len);

#endif
