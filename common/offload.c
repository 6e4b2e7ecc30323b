/* offload: a worker thread, a mutex-protected queue in, a done list out, an eventfd. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/offload.h"

struct item {
	struct item *next;
	offload_run_fn run;
	offload_done_fn done;
	void *arg;
};

struct offload {
	struct ev_loop *loop;
	void *ctx;
	int efd;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *todo, *todo_tail;    /* FIFO */
	struct item *done, *done_tail;    /* FIFO */
	size_t pending;                   /* touched on the loop only */
	int stopping;
};

static void push(struct item **head, struct item **tail, struct item *it)
{
	it->next = NULL;
	if (*tail)
		(*tail)->next = it;
	else
		*head = it;
	*tail = it;
}

static void *thread_main(void *p)
{
	struct offload *o = p;
	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (!o->todo && !o->stopping)
			pthread_cond_wait(&o->cv, &o->mu);
		if (o->stopping)
			break;
		struct item *it = o->todo;
		o->todo = it->next;
		if (!o->todo)
			o->todo_tail = NULL;
		pthread_mutex_unlock(&o->mu);
		it->run(o->ctx, it->arg);
		pthread_mutex_lock(&o->mu);
		push(&o->done, &o->done_tail, it);
		uint64_t one = 1;
		while (write(o->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

static void on_wake(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct offload *o = arg;
	uint64_t n;
	while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&o->mu);
	struct item *list = o->done;
	o->done = o->done_tail = NULL;
	pthread_mutex_unlock(&o->mu);
	while (list) {
		struct item *it = list;
		list = it->next;
		o->pending--;
		if (it->done)
			it->done(it->arg);
		free(it);
	}
}

struct offload *offload_start(struct ev_loop *loop, void *ctx, char *err, size_t errlen)
{
	struct offload *o = calloc(1, sizeof(*o));
	if (!o) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->loop = loop;
	o->ctx = ctx;
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	o->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int rc = o->efd < 0 ? errno : 0;
	if (!rc && ev_fd_watch(loop, o->efd, EV_READ, on_wake, o) != 0)
		rc = ENOMEM;
	if (!rc)
		rc = pthread_create(&o->thread, NULL, thread_main, o);
	if (rc) {
		snprintf(err, errlen, "offload thread: %s", strerror(rc));
		if (o->efd >= 0) {
			ev_fd_unwatch(loop, o->efd);
			close(o->efd);
		}
		free(o);
		return NULL;
	}
	return o;
}

static int submit(struct offload *o, offload_run_fn run, offload_done_fn done, void *arg, int first)
{
	struct item *it = calloc(1, sizeof(*it));
	if (!it)
		return -1;
	it->run = run;
	it->done = done;
	it->arg = arg;
	pthread_mutex_lock(&o->mu);
	int stopping = o->stopping;
	if (!stopping && first) {
		it->next = o->todo;
		o->todo = it;
		if (!o->todo_tail)
			o->todo_tail = it;
		pthread_cond_signal(&o->cv);
	} else if (!stopping) {
		push(&o->todo, &o->todo_tail, it);
		pthread_cond_signal(&o->cv);
	}
	pthread_mutex_unlock(&o->mu);
	if (stopping) {
		free(it);
		return -1;
	}
	o->pending++;
	return 0;
}

int offload_submit(struct offload *o, offload_run_fn run, offload_done_fn done, void *arg)
{
	return submit(o, run, done, arg, 0);
}

int offload_submit_first(struct offload *o, offload_run_fn run, offload_done_fn done, void *arg)
{
	return submit(o, run, done, arg, 1);
}

size_t offload_pending(const struct offload *o)
{
	return o->pending;
}

static void free_list(struct item *it)
{
	while (it) {
		struct item *next = it->next;
		free(it);
		it = next;
	}
}

void offload_stop(struct offload *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&o->mu);
	o->stopping = 1;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
	pthread_join(o->thread, NULL);
	free_list(o->todo);
	free_list(o->done);
	ev_fd_unwatch(o->loop, o->efd);
	close(o->efd);
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	free(o);
}
