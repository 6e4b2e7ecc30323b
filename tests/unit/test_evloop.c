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


/* ---- callbacks that change the loop under it ---- */

struct two_fds { int a[2], b[2]; int a_calls, b_calls; };

static void unwatch_other(struct ev_loop *l, int fd, int events, void *arg)
{
	struct two_fds *t = arg;
	if (fd == t->a[0]) {
		t->a_calls++;
		ev_fd_unwatch(l, t->b[0]);
	} else {
		t->b_calls++;
		ev_fd_unwatch(l, t->a[0]);
	}
}

/* Both fds are ready in the same poll; whichever is served first unwatches the other,
 * whose callback must then not run (its arg may already be freed in real code). */
static void test_unwatch_other_ready_fd(void)
{
	struct ev_loop *l = ev_new();
	struct two_fds t = { .a_calls = 0 };
	CU_ASSERT_FATAL(pipe(t.a) == 0 && pipe(t.b) == 0);
	CU_ASSERT_EQUAL(write(t.a[1], "x", 1), 1);
	CU_ASSERT_EQUAL(write(t.b[1], "x", 1), 1);
	ev_fd_watch(l, t.a[0], EV_READ, unwatch_other, &t);
	ev_fd_watch(l, t.b[0], EV_READ, unwatch_other, &t);
	CU_ASSERT_EQUAL(ev_run_once(l, 1000), 0);
	CU_ASSERT_EQUAL(t.a_calls + t.b_calls, 1);
	/* still ready, still unwatched: later passes do not serve it either */
	ev_run_once(l, 0);
	ev_run_once(l, 0);
	/* the survivor is served on each pass, the unwatched one never */
	CU_ASSERT((t.a_calls == 3 && t.b_calls == 0) || (t.b_calls == 3 && t.a_calls == 0));
	close(t.a[0]); close(t.a[1]); close(t.b[0]); close(t.b[1]);
	ev_free(l);
}

static int rearm_calls, fd_calls;

static void rearm_zero(struct ev_loop *l, int64_t id, void *arg)
{
	rearm_calls++;
	ev_timer_add(l, 0, rearm_zero, arg);
}

static void count_fd(struct ev_loop *l, int fd, int events, void *arg)
{
	fd_calls++;
}

/* A zero-delay timer re-armed from its own callback fires once per pass, not in a
 * loop inside one pass, and the descriptors are still served between passes. */
static void test_zero_timer_rearm_does_not_spin(void)
{
	struct ev_loop *l = ev_new();
	int p[2];
	CU_ASSERT_FATAL(pipe(p) == 0);
	CU_ASSERT_EQUAL(write(p[1], "x", 1), 1);
	ev_fd_watch(l, p[0], EV_READ, count_fd, NULL);
	rearm_calls = fd_calls = 0;
	ev_timer_add(l, 0, rearm_zero, NULL);
	for (int i = 1; i <= 5; i++) {
		CU_ASSERT_EQUAL(ev_run_once(l, 1000), 0);
		CU_ASSERT_EQUAL(rearm_calls, i);
		CU_ASSERT_EQUAL(fd_calls, i);       /* level-triggered: served on every pass */
	}
	close(p[0]);
	close(p[1]);
	ev_free(l);
}

static int64_t victim_id;
static int killer_calls;

static void killer(struct ev_loop *l, int64_t id, void *arg)
{
	killer_calls++;
	ev_timer_del(l, victim_id);
}

static void victim(struct ev_loop *l, int64_t id, void *arg)
{
	CU_FAIL("a timer deleted by an earlier timer of the same pass fired");
}

/* Two timers due in the same pass; the one that runs first deletes the other. */
static void test_timer_deleted_in_same_pass(void)
{
	struct ev_loop *l = ev_new();
	killer_calls = 0;
	/* the killer is due earlier, so it runs first whatever the table order; both are due
	 * by the time of the pass */
	victim_id = ev_timer_add(l, 2, victim, NULL);
	ev_timer_add(l, 1, killer, NULL);
	for (int i = 0; i < 16; i++)          /* filler timers, so deletion moves slots */
		ev_timer_add(l, 1000, never, NULL);
	int64_t end = now_ms() + 3;
	while (now_ms() < end)
		;                                  /* both due before the single pass below */
	CU_ASSERT_EQUAL(ev_run_once(l, 0), 0);
	CU_ASSERT_EQUAL(killer_calls, 1);
	ev_free(l);
}

UNIT_SUITE(evloop,
	UNIT_TEST(test_timers_fire_in_order),
	UNIT_TEST(test_timer_delete),
	UNIT_TEST(test_fd_readable_and_unwatch),
	UNIT_TEST(test_unwatch_other_ready_fd),
	UNIT_TEST(test_zero_timer_rearm_does_not_spin),
	UNIT_TEST(test_timer_deleted_in_same_pass))
