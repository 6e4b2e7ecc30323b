/* offload: work runs off the loop, done() runs on the loop in submission order. */
#include <pthread.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/offload.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static pthread_t loop_thread;
static int ran_off_loop, done_order[8], n_done;

static void work(void *ctx, void *arg)
{
	if (!pthread_equal(pthread_self(), loop_thread))
		ran_off_loop++;
	usleep(1000);
}

static void done(void *arg)
{
	if (pthread_equal(pthread_self(), loop_thread))
		done_order[n_done++] = (int)(intptr_t)arg;
}

static void test_work_off_loop_done_in_order(void)
{
	struct ev_loop *l = ev_new();
	char err[128];
	loop_thread = pthread_self();
	ran_off_loop = n_done = 0;
	struct offload *o = offload_start(l, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(offload_submit(o, work, done, (void *)(intptr_t)i), 0);
	CU_ASSERT_EQUAL(offload_pending(o), 5);
	int64_t deadline = now_ms() + 5000;
	while (n_done < 5 && now_ms() < deadline)
		ev_run_once(l, 50);
	CU_ASSERT_EQUAL(ran_off_loop, 5);
	CU_ASSERT_EQUAL(n_done, 5);
	for (int i = 0; i < n_done; i++)
		CU_ASSERT_EQUAL(done_order[i], i);
	CU_ASSERT_EQUAL(offload_pending(o), 0);
	offload_stop(o);
	ev_free(l);
}

UNIT_SUITE(offload,
	UNIT_TEST(test_work_off_loop_done_in_order))
