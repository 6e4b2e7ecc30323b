/* Reactive runners counted apart from min_idle: creating, booting and freshly idle ones
 * raise their pool's target; idle past idle_grace, busy, or not spawned for a job do not. */
#include <string.h>

#include "tests/unit/unit.h"
#include "workers/scaler/sc_reactive.h"

static void row(struct sc_row *r, const char *name, const char *pool, enum sc_state st)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->name, name);
	strcpy(r->pool, pool);
	r->state = st;
}

static void test_adjust_counts_reactive_runners_apart(void)
{
	const int64_t now = 10000000;
	json_t *cfg = json_pack("{s:{s:i}, s:[{s:s, s:b}, {s:s, s:b}, {s:s}]}", "reactive", "idle_grace", 60000,
	                        "pools", "name", "rx", "reactive", 1, "name", "ry", "reactive", 1, "name", "rz");
	sc_reactive_setup(cfg);
	json_decref(cfg);
	struct sc_row rows[6];
	struct sc_seen seen[2];
	memset(seen, 0, sizeof(seen));
	row(&rows[0], "t-rx-00000001", "rx", SC_CREATING);
	row(&rows[1], "t-rx-00000002", "rx", SC_IDLE);          /* idle 10 s: counted */
	row(&rows[2], "t-rx-00000003", "rx", SC_IDLE);          /* idle 2 min: past grace */
	row(&rows[3], "t-rx-00000004", "rx", SC_BUSY);
	row(&rows[4], "t-rx-00000005", "rx", SC_IDLE);          /* not spawned for a job */
	row(&rows[5], "t-ry-00000006", "ry", SC_BOOTING);
	struct sc_row extra;
	row(&extra, "t-rz-00000007", "rz", SC_BOOTING);         /* pool not reactive */
	strcpy(seen[0].name, "t-rx-00000002");
	seen[0].online_ms = now - 10000;
	strcpy(seen[1].name, "t-rx-00000003");
	seen[1].online_ms = now - 120000;
	for (int i = 0; i < 6; i++)
		if (i != 4)
			sc_reactive_note(rows[i].name, now - 200000);
	sc_reactive_note(extra.name, now - 200000);
	struct sc_row all[7];
	memcpy(all, rows, sizeof(rows));
	all[6] = extra;
	struct sc_plan plan = { .rows = all, .nrows = 7, .seen = seen, .nseen = 2 };
	struct sc_pool pools[3] = { { .name = "rx", .min_idle = 1 }, { .name = "ry" }, { .name = "rz" } };
	CU_ASSERT_EQUAL(sc_reactive_adjust(pools, 3, &plan, now), 1);
	CU_ASSERT_EQUAL(pools[0].reactive, 2);
	CU_ASSERT_EQUAL(pools[1].reactive, 1);
	CU_ASSERT_EQUAL(pools[2].reactive, 0);
	CU_ASSERT_EQUAL(pools[0].min_idle, 1);          /* min_idle itself is left alone */
	/* Spawns not in the plan yet are kept a while, then forgotten. */
	struct sc_plan empty = { 0 };
	CU_ASSERT_EQUAL(sc_reactive_adjust(pools, 3, &empty, now), 0);
	pools[0].reactive = 0;
	CU_ASSERT_EQUAL(sc_reactive_adjust(pools, 3, &plan, now), 1);
	CU_ASSERT_EQUAL(pools[0].reactive, 2);
	CU_ASSERT_EQUAL(sc_reactive_adjust(pools, 3, &empty, now + 700000), 0);
	pools[0].reactive = 0;
	CU_ASSERT_EQUAL(sc_reactive_adjust(pools, 3, &plan, now), 0);
	CU_ASSERT_EQUAL(pools[0].reactive, 0);
}

/* A reactive consumer spawns in reactive pools only; administrators anywhere. */
static void test_consumers_spawn_only_in_reactive_pools(void)
{
	CU_ASSERT_TRUE(sc_reactive_may_spawn("reactive-consumer.3", 1));
	CU_ASSERT_FALSE(sc_reactive_may_spawn("reactive-consumer.3", 0));
	CU_ASSERT_FALSE(sc_reactive_may_spawn("reactive-consumer", 0));     /* the only instance */
	CU_ASSERT_TRUE(sc_reactive_may_spawn("ctl", 0));
	CU_ASSERT_TRUE(sc_reactive_may_spawn("reactive-consumerx", 0));    /* another name */
}

UNIT_SUITE(sc_reactive,
	UNIT_TEST(test_adjust_counts_reactive_runners_apart),
	UNIT_TEST(test_consumers_spawn_only_in_reactive_pools))
