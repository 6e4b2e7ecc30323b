/* evloop — the one event loop every ghr process runs (in the spirit of redis's ae.c).
 *
 * Built on zmq_poll() so that ZeroMQ sockets and plain descriptors (libcurl's sockets,
 * signalfd, fd 3, the self-pipe) are waited on together without ZMQ_FD's edge-trigger
 * traps.  Timers are one-shot, in monotonic milliseconds.  Callbacks may add and remove
 * watches and timers, including their own.  No call ever blocks longer than the nearest
 * timer, and the loop never waits forever while a timer exists.
 *
 * Known limit: watches are kept in an array scanned per iteration; fine for the few
 * hundred descriptors a worker has (libcurl multi with bounded concurrency). */
#ifndef GHR_EVLOOP_H
#define GHR_EVLOOP_H

#include <stdint.h>

#define EV_READ  1
#define EV_WRITE 2
#define EV_ERROR 4

struct ev_loop;
typedef void (*ev_fd_cb)(struct ev_loop *loop, int fd, int events, void *arg);
typedef void (*ev_zsock_cb)(struct ev_loop *loop, void *zsock, int events, void *arg);
typedef void (*ev_timer_cb)(struct ev_loop *loop, int64_t timer_id, void *arg);

struct ev_loop *ev_new(void);
void ev_free(struct ev_loop *loop);

/* Watch a descriptor (replaces an existing watch on the same fd).  events: EV_READ|EV_WRITE. */
int ev_fd_watch(struct ev_loop *loop, int fd, int events, ev_fd_cb cb, void *arg);
void ev_fd_unwatch(struct ev_loop *loop, int fd);

/* Watch a ZeroMQ socket for readability (EV_READ) and/or writability. */
int ev_zsock_watch(struct ev_loop *loop, void *zsock, int events, ev_zsock_cb cb, void *arg);
void ev_zsock_unwatch(struct ev_loop *loop, void *zsock);

/* One-shot timer after delay_ms (>= 0).  Returns an id > 0. */
int64_t ev_timer_add(struct ev_loop *loop, int64_t delay_ms, ev_timer_cb cb, void *arg);
void ev_timer_del(struct ev_loop *loop, int64_t timer_id);

/* Run until ev_stop().  Returns 0, or -1 if zmq_poll failed for a reason other than EINTR. */
int ev_run(struct ev_loop *loop);
void ev_stop(struct ev_loop *loop);
/* Run one iteration waiting at most max_wait_ms (tests). */
int ev_run_once(struct ev_loop *loop, int64_t max_wait_ms);

#endif
