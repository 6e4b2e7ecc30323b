/* evloop: timers in order, fd readiness, removal from inside callbacks. */
#include <unistd.h>
#include "common/evloop.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static int order[8], n_order;

static void record(struct ev_loop *l, int64_t id, void *arg)
{
	order[n_order++] = (int)(intptr_t)arg;
	if (n_order == 3)
		ev_stop(l);
}

static void test_timers_fire_in_order(void)
{
	struct ev_loop *l = ev_new();
	n_order = 0;
	ev_timer_add(l, 30, record, (void *)3);
	ev_timer_add(l, 10, record, (void *)1);
	ev_timer_add(l, 20, record, (void *)2);
	int64_t t0 = now_ms();
	CU_ASSERT_EQUAL(ev_run(l), 0);
	CU_ASSERT(now_ms() - t0 >= 30);
	CU_ASSERT_EQUAL(order[0], 1);
	CU_ASSERT_EQUAL(order[1], 2);
	CU_ASSERT_EQUAL(order[2], 3);
	ev_free(l);
}

static void never(struct ev_loop *l, int64_t id, void *arg)
{
	CU_FAIL("deleted timer fired");
}

static void stop_cb(struct ev_loop *l, int64_t id, void *arg)
{
	ev_stop(l);
}

static void test_timer_delete(void)
{
	struct ev_loop *l = ev_new();
	int64_t id = ev_timer_add(l, 5, never, NULL);
	ev_timer_add(l, 20, stop_cb, NULL);
	ev_timer_del(l, id);
	ev_run(l);
	ev_free(l);
}

static int reads;

static void on_read(struct ev_loop *l, int fd, int events, void *arg)
{
	char c;
	CU_ASSERT(events & EV_READ);
	CU_ASSERT_EQUAL(read(fd, &c, 1), 1);
	reads++;
	ev_fd_unwatch(l, fd);      /* removal from inside its own callback */
	ev_stop(l);
}

static void test_fd_readable_and_unwatch(void)
{
	struct ev_loop *l = ev_new();
	int p[2];
	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	reads = 0;
	ev_fd_watch(l, p[0], EV_READ, on_read, NULL);
	CU_ASSERT_EQUAL(write(p[1], "x", 1), 1);
	ev_run(l);
	CU_ASSERT_EQUAL(reads, 1);
	/* Unwatched: a second byte must not be delivered. */
	CU_ASSERT_EQUAL(write(p[1], "y", 1), 1);
	ev_run_once(l, 20);
	CU_ASSERT_EQUAL(reads, 1);
	close(p[0]);
	close(p[1]);
	ev_free(l);
}

UNIT_SUITE(evloop,
	UNIT_TEST(test_timers_fire_in_order),
	UNIT_TEST(test_timer_delete),
	UNIT_TEST(test_fd_readable_and_unwatch))
