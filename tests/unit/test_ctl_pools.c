/* ghr-ctl pools' TARGET column (supervisor/ctl/cmd_pools.c): where the target comes from,
 * and the reactive runners on top shown apart. */
#include <string.h>
#include <jansson.h>
#include "supervisor/ctl/ctl.h"
#include "tests/unit/unit.h"

static void test_target_label(void)
{
	static const struct { const char *pool, *want; } t[] = {
		{ "{\"target\":3, \"schedule_window\":-1}", "3" },
		{ "{\"target\":20, \"schedule_window\":0}", "20 (window 0)" },
		{ "{\"target\":29, \"demand\":true, \"demand_target\":29, \"schedule_window\":-1}", "29 (demand)" },
		/* an override of 0 on a demand pool is the override, not the demand */
		{ "{\"target\":0, \"override\":true, \"demand\":true, \"demand_target\":5, \"schedule_window\":-1}",
		  "0 (override)" },
		/* reactive runners on top: the label stays, they are shown apart */
		{ "{\"target\":12, \"reactive\":10, \"override\":true, \"schedule_window\":-1}", "2 (override) +10 reactive" },
		{ "{\"target\":9, \"reactive\":3, \"demand\":true, \"demand_target\":6, \"schedule_window\":-1}",
		  "6 (demand) +3 reactive" },
		{ "{\"target\":5, \"reactive\":3, \"schedule_window\":-1}", "2 +3 reactive" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *p = json_loads(t[i].pool, 0, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		char out[96];
		ctl_pool_target_label(p, out, sizeof(out));
		CU_ASSERT_STRING_EQUAL(out, t[i].want);
		json_decref(p);
	}
}

UNIT_SUITE(ctl_pools,
	UNIT_TEST(test_target_label))
