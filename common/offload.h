/* offload — one thread that runs blocking work (libmongoc calls) for an event loop.
 *
 * Work items run in the thread, in submission order; each item's done() then runs on
 * the loop (an eventfd wakes it), so a slow or unreachable database never holds up
 * the loop's heartbeats.  The thread owns whatever `ctx` is (e.g. the database
 * client); nothing else may touch it while the thread runs. */
#ifndef GHR_OFFLOAD_H
#define GHR_OFFLOAD_H

#include <stddef.h>

struct ev_loop;
struct offload;

typedef void (*offload_run_fn)(void *ctx, void *arg);   /* in the thread */
typedef void (*offload_done_fn)(void *arg);             /* on the loop, after run */

struct offload *offload_start(struct ev_loop *loop, void *ctx, char *err, size_t errlen);
/* Queue one item; 0, or -1 (out of memory, or stopping). */
int offload_submit(struct offload *o, offload_run_fn run, offload_done_fn done, void *arg);
/* Queue one item ahead of all queued ones (e.g. lease renewals, which must not wait
 * behind a backlog). */
int offload_submit_first(struct offload *o, offload_run_fn run, offload_done_fn done, void *arg);
/* Items queued or running (not yet done on the loop). */
size_t offload_pending(const struct offload *o);
/* Finish the item running now, drop the queued ones (their done() is not called),
 * join the thread and free.  ctx is left to the caller. */
void offload_stop(struct offload *o);

#endif
