/* evloop — zmq_poll()-based event loop.  See evloop.h.
 *
 * Watches live in a growable array; removal marks a slot dead and the array is compacted
 * between iterations, so callbacks may add or remove watches (their own included) while
 * the loop walks the poll results.  Timers are a small unsorted array: the earliest is
 * found by a scan, which is cheap for the tens of timers a process keeps (known limit:
 * thousands of timers would want a heap). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/evloop.h"
#include "common/util.h"

struct ev_watch {
	int fd;                 /* -1 for a zmq socket */
	void *zsock;
	int events;
	ev_fd_cb fd_cb;
	ev_zsock_cb z_cb;
	void *arg;
	int dead;
};

struct ev_timer {
	int64_t id;
	int64_t when;           /* monotonic ms */
	ev_timer_cb cb;
	void *arg;
};

struct ev_loop {
	struct ev_watch *w;
	size_t nw, capw;
	struct ev_timer *t;
	size_t nt, capt;
	int64_t next_timer_id;
	zmq_pollitem_t *items;
	size_t cap_items;
	int stop;
};

struct ev_loop *ev_new(void)
{
	struct ev_loop *l = calloc(1, sizeof(*l));
	if (l)
		l->next_timer_id = 1;
	return l;
}

void ev_free(struct ev_loop *l)
{
	if (!l)
		return;
	free(l->w);
	free(l->t);
	free(l->items);
	free(l);
}

static struct ev_watch *find_watch(struct ev_loop *l, int fd, void *zsock)
{
	for (size_t i = 0; i < l->nw; i++) {
		struct ev_watch *w = &l->w[i];
		if (w->dead)
			continue;
		if (zsock ? w->zsock == zsock : (w->zsock == NULL && w->fd == fd))
			return w;
	}
	return NULL;
}

static struct ev_watch *add_watch(struct ev_loop *l)
{
	if (array_reserve((void **)&l->w, &l->capw, l->nw + 1, sizeof(*l->w)) < 0)
		return NULL;
	struct ev_watch *w = &l->w[l->nw++];
	memset(w, 0, sizeof(*w));
	return w;
}

int ev_fd_watch(struct ev_loop *l, int fd, int events, ev_fd_cb cb, void *arg)
{
	struct ev_watch *w = find_watch(l, fd, NULL);
	if (!w && !(w = add_watch(l)))
		return -1;
	w->fd = fd;
	w->zsock = NULL;
	w->events = events;
	w->fd_cb = cb;
	w->arg = arg;
	return 0;
}

void ev_fd_unwatch(struct ev_loop *l, int fd)
{
	struct ev_watch *w = find_watch(l, fd, NULL);
	if (w)
		w->dead = 1;
}

int ev_zsock_watch(struct ev_loop *l, void *zsock, int events, ev_zsock_cb cb, void *arg)
{
	struct ev_watch *w = find_watch(l, -1, zsock);
	if (!w && !(w = add_watch(l)))
		return -1;
	w->fd = -1;
	w->zsock = zsock;
	w->events = events;
	w->z_cb = cb;
	w->arg = arg;
	return 0;
}

void ev_zsock_unwatch(struct ev_loop *l, void *zsock)
{
	struct ev_watch *w = find_watch(l, -1, zsock);
	if (w)
		w->dead = 1;
}

int64_t ev_timer_add(struct ev_loop *l, int64_t delay_ms, ev_timer_cb cb, void *arg)
{
	if (array_reserve((void **)&l->t, &l->capt, l->nt + 1, sizeof(*l->t)) < 0)
		return -1;
	struct ev_timer *t = &l->t[l->nt++];
	t->id = l->next_timer_id++;
	t->when = now_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->cb = cb;
	t->arg = arg;
	return t->id;
}

void ev_timer_del(struct ev_loop *l, int64_t id)
{
	for (size_t i = 0; i < l->nt; i++) {
		if (l->t[i].id == id) {
			l->t[i] = l->t[--l->nt];
			return;
		}
	}
}

void ev_stop(struct ev_loop *l)
{
	l->stop = 1;
}

static void compact_watches(struct ev_loop *l)
{
	size_t j = 0;
	for (size_t i = 0; i < l->nw; i++)
		if (!l->w[i].dead)
			l->w[j++] = l->w[i];
	l->nw = j;
}

/* Fire every timer due now.  A timer added by a callback is not fired in the same pass
 * unless it was already due when the pass began (so a zero-delay re-arm cannot spin). */
static void run_timers(struct ev_loop *l)
{
	int64_t now = now_ms();
	int64_t limit_id = l->next_timer_id;
	for (;;) {
		size_t best = l->nt;
		for (size_t i = 0; i < l->nt; i++)
			if (l->t[i].when <= now && l->t[i].id < limit_id &&
			    (best == l->nt || l->t[i].when < l->t[best].when))
				best = i;
		if (best == l->nt)
			return;
		struct ev_timer t = l->t[best];
		l->t[best] = l->t[--l->nt];
		t.cb(l, t.id, t.arg);
	}
}

int ev_run_once(struct ev_loop *l, int64_t max_wait_ms)
{
	compact_watches(l);
	if (l->cap_items < l->nw) {
		zmq_pollitem_t *ni = realloc(l->items, l->nw * sizeof(*ni));
		if (!ni)
			return -1;
		l->items = ni;
		l->cap_items = l->nw;
	}
	size_t n = l->nw;
	for (size_t i = 0; i < n; i++) {
		struct ev_watch *w = &l->w[i];
		l->items[i].socket = w->zsock;
		l->items[i].fd = w->zsock ? 0 : w->fd;
		l->items[i].events = (short)(((w->events & EV_READ) ? ZMQ_POLLIN : 0) |
		                             ((w->events & EV_WRITE) ? ZMQ_POLLOUT : 0));
		l->items[i].revents = 0;
	}
	int64_t wait = max_wait_ms;
	int64_t now = now_ms();
	for (size_t i = 0; i < l->nt; i++) {
		int64_t d = l->t[i].when - now;
		if (d < 0)
			d = 0;
		if (wait < 0 || d < wait)
			wait = d;
	}
	int rc = zmq_poll(l->items, (int)n, (long)wait);
	if (rc < 0) {
		if (errno == EINTR)
			return 0;
		return -1;
	}
	/* Dispatch by identity, not index: a callback may remove or add watches. */
	for (size_t i = 0; i < n && rc > 0; i++) {
		short re = l->items[i].revents;
		if (!re)
			continue;
		rc--;
		int ev = ((re & ZMQ_POLLIN) ? EV_READ : 0) | ((re & ZMQ_POLLOUT) ? EV_WRITE : 0) |
		         ((re & ZMQ_POLLERR) ? EV_ERROR : 0);
		struct ev_watch *w = &l->w[i];
		if (w->dead)
			continue;
		if (w->zsock)
			w->z_cb(l, w->zsock, ev, w->arg);
		else
			w->fd_cb(l, w->fd, ev, w->arg);
		if (l->stop)
			break;
	}
	run_timers(l);
	return 0;
}

int ev_run(struct ev_loop *l)
{
	l->stop = 0;
	while (!l->stop) {
		/* With no timer and no watch there is nothing that could ever wake us. */
		if (l->nt == 0 && l->nw == 0)
			return 0;
		if (ev_run_once(l, -1) < 0)
			return -1;
	}
	return 0;
}
