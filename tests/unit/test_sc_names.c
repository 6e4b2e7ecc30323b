/* Runner names (workers/scaler/sc_names.c). */
#include <string.h>
#include "tests/unit/unit.h"
#include "workers/scaler/sc_names.h"

static void test_name_make_and_parse(void)
{
	char name[SC_NAME_MAX], pool[SC_POOL_MAX];
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), "ghr", "small", "3f9c2a1b"), 0);
	CU_ASSERT_STRING_EQUAL(name, "ghr-small-3f9c2a1b");
	CU_ASSERT_EQUAL(sc_name_parse(name, "ghr", pool, sizeof(pool)), 0);
	CU_ASSERT_STRING_EQUAL(pool, "small");
	/* pools with dashes parse from both ends */
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), "ci-prod", "x-large-arm", "00000000"), 0);
	CU_ASSERT_EQUAL(sc_name_parse(name, "ci-prod", pool, sizeof(pool)), 0);
	CU_ASSERT_STRING_EQUAL(pool, "x-large-arm");
}

static void test_name_new_is_random_and_valid(void)
{
	char a[SC_NAME_MAX], b[SC_NAME_MAX], pool[SC_POOL_MAX];
	CU_ASSERT_EQUAL(sc_name_new(a, sizeof(a), "ghr", "small"), 0);
	CU_ASSERT_EQUAL(sc_name_new(b, sizeof(b), "ghr", "small"), 0);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(strlen(a), strlen("ghr-small-") + 8);
	CU_ASSERT_EQUAL(sc_name_parse(a, "ghr", pool, sizeof(pool)), 0);
}

static void test_name_length_limit(void)
{
	char name[SC_NAME_MAX];
	const char *mgr20 = "abcdefghijklmnopqrst";      /* 20 */
	const char *pool20 = "pppppppppppppppppppp";     /* 20 */
	/* 20 + 1 + 20 + 1 + 8 = 50: fits */
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), mgr20, pool20, "deadbeef"), 0);
	CU_ASSERT_EQUAL(strlen(name), 50);
	/* a 21-character pool is refused */
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), "ghr", "ppppppppppppppppppppp", "deadbeef"), -1);
	/* a manager id that makes the name longer than 64 is refused */
	char mgr[60];
	memset(mgr, 'm', 55);
	mgr[55] = 0;
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), mgr, "pool", "deadbeef"), -1);
	/* a buffer too small is refused, not overrun */
	char small[10];
	CU_ASSERT_EQUAL(sc_name_make(small, sizeof(small), "ghr", "small", "deadbeef"), -1);
}

static void test_name_bad_parts(void)
{
	char name[SC_NAME_MAX];
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), "GHR", "small", "deadbeef"), -1);
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), "ghr", "sm all", "deadbeef"), -1);
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), "ghr", "", "deadbeef"), -1);
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), "ghr", "-x", "deadbeef"), -1);
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), "ghr", "small", "DEADBEEF"), -1);
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), "ghr", "small", "deadbee"), -1);
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), "ghr", "small", "deadbeeg"), -1);
	CU_ASSERT_EQUAL(sc_name_make(name, sizeof(name), NULL, "small", "deadbeef"), -1);
}

static void test_name_parse_rejects_foreign(void)
{
	char pool[SC_POOL_MAX];
	static const char *bad[] = {
		"ghr-small", "ghr--deadbeef", "ghrx-small-deadbeef", "other-small-deadbeef",
		"ghr-small-deadbee", "ghr-small-deadbeefa", "ghr-small-DEADBEEF", "ghr-small_deadbeef",
		"ghr-Small-deadbeef", "ghr-small-dead beef", "", "ghr-", "ghr-a b-deadbeef",
		"ghr-aaaaaaaaaaaaaaaaaaaaa-deadbeef",          /* 21-character pool */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(sc_name_parse(bad[i], "ghr", pool, sizeof(pool)), -1);
	CU_ASSERT_EQUAL(sc_name_parse(NULL, "ghr", pool, sizeof(pool)), -1);
	/* another manager whose id extends ours parses only as a pool that is not ours */
	CU_ASSERT_EQUAL(sc_name_parse("ghr-b-small-deadbeef", "ghr", pool, sizeof(pool)), 0);
	CU_ASSERT_STRING_EQUAL(pool, "b-small");
	CU_ASSERT_EQUAL(sc_name_parse("ghr-b-small-deadbeef", "ghr-b", pool, sizeof(pool)), 0);
	CU_ASSERT_STRING_EQUAL(pool, "small");
}

static void test_copy_bounded(void)
{
	char b[4];
	sc_copy(b, "abcdef", sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "abc");
	sc_copy(b, NULL, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "");
}

UNIT_SUITE(sc_names,
	UNIT_TEST(test_name_make_and_parse),
	UNIT_TEST(test_name_new_is_random_and_valid),
	UNIT_TEST(test_name_length_limit),
	UNIT_TEST(test_name_bad_parts),
	UNIT_TEST(test_name_parse_rejects_foreign),
	UNIT_TEST(test_copy_bounded))
