/* The image builder's pure rules (workers/image-builder/ib_rules.c): the console result
 * line, why to build, the retry backoff, and which images pruning deletes. */
#include <string.h>
#include "tests/unit/unit.h"
#include "workers/image-builder/ib.h"

static enum ib_console result(const char *out, const char *id, char *detail, size_t len)
{
	return ib_console_result(out, strlen(out), id, detail, len);
}

static void test_console_ok_line(void)
{
	char d[64];
	const char *out = "[   12.3] cloud-init[812]: ghr-build 0badcafe ok runner=2.330.0\r\nreboot: Power down\n";
	CU_ASSERT_EQUAL(result(out, "0badcafe", d, sizeof(d)), IB_CONSOLE_OK);
	CU_ASSERT_STRING_EQUAL(d, "ok runner=2.330.0?");     /* the \r shows as '?' */
}

static void test_console_failed_and_last_wins(void)
{
	char d[64];
	const char *out = "ghr-build 0badcafe ok runner=1\nghr-build 0badcafe failed stage=apt status=100\n";
	CU_ASSERT_EQUAL(result(out, "0badcafe", d, sizeof(d)), IB_CONSOLE_FAILED);
	CU_ASSERT_STRING_EQUAL(d, "failed stage=apt status=100");
}

static void test_console_other_build_or_garbage(void)
{
	char d[16];
	/* another build's line (an earlier VM's log), a prefix of the id, a word that only starts alike */
	CU_ASSERT_EQUAL(result("ghr-build 11111111 ok runner=1\n", "0badcafe", d, sizeof(d)), IB_CONSOLE_NONE);
	CU_ASSERT_EQUAL(result("ghr-build 0badcafe0 ok\n", "0badcafe", d, sizeof(d)), IB_CONSOLE_NONE);
	CU_ASSERT_EQUAL(result("ghr-build 0badcafe okay\n", "0badcafe", d, sizeof(d)), IB_CONSOLE_NONE);
	CU_ASSERT_EQUAL(result("ghr-build 0badcafe ", "0badcafe", d, sizeof(d)), IB_CONSOLE_NONE);
	CU_ASSERT_EQUAL(result("", "0badcafe", d, sizeof(d)), IB_CONSOLE_NONE);
	CU_ASSERT_EQUAL(result("ghr-build  ok\n", "", d, sizeof(d)), IB_CONSOLE_NONE);
	CU_ASSERT_STRING_EQUAL(d, "");
	/* unterminated last line, control bytes masked, detail cut to its buffer */
	CU_ASSERT_EQUAL(result("x\nghr-build 0badcafe failed \x1b[31mstage=x", "0badcafe", d, sizeof(d)), IB_CONSOLE_FAILED);
	CU_ASSERT_STRING_EQUAL(d, "failed ?[31msta");
}

static void test_build_reason(void)
{
	char b[96];
	const int64_t H = 3600000;
	CU_ASSERT_STRING_EQUAL(ib_build_reason(1, 1, 0, 6 * H, "2.330.0", "2.330.0", b, sizeof(b)), "requested");
	CU_ASSERT_STRING_EQUAL(ib_build_reason(0, 0, 0, 6 * H, "", "2.330.0", b, sizeof(b)), "no usable image");
	CU_ASSERT_STRING_EQUAL(ib_build_reason(0, 1, 6 * H, 6 * H, "2.330.0", "2.330.0", b, sizeof(b)),
	                       "newest image older than the interval");
	CU_ASSERT_PTR_NULL(ib_build_reason(0, 1, H, 6 * H, "2.330.0", "2.330.0", b, sizeof(b)));
	CU_ASSERT_STRING_EQUAL(ib_build_reason(0, 1, H, 6 * H, "2.330.0", "2.331.0", b, sizeof(b)),
	                       "runner 2.331.0 released (image has 2.330.0)");
	CU_ASSERT_STRING_EQUAL(ib_build_reason(0, 1, H, 6 * H, "2.9.0", "2.10.0", b, sizeof(b)),
	                       "runner 2.10.0 released (image has 2.9.0)");     /* numeric, not text */
	/* GitHub offering an older version (a rollback) does not downgrade the image */
	CU_ASSERT_PTR_NULL(ib_build_reason(0, 1, H, 6 * H, "2.331.0", "2.330.0", b, sizeof(b)));
	/* an image of unknown version (hand-made) is replaced by a known release */
	CU_ASSERT_PTR_NOT_NULL(ib_build_reason(0, 1, H, 6 * H, "", "2.330.0", b, sizeof(b)));
	/* GitHub said nothing usable: no build for that reason */
	CU_ASSERT_PTR_NULL(ib_build_reason(0, 1, H, 6 * H, "2.330.0", "", b, sizeof(b)));
}

static void test_retry_delay(void)
{
	CU_ASSERT_EQUAL(ib_retry_delay(1, 1000, 60000), 1000);
	CU_ASSERT_EQUAL(ib_retry_delay(2, 1000, 60000), 2000);
	CU_ASSERT_EQUAL(ib_retry_delay(4, 1000, 60000), 8000);
	CU_ASSERT_EQUAL(ib_retry_delay(7, 1000, 60000), 60000);
	CU_ASSERT_EQUAL(ib_retry_delay(1000, 1000, 60000), 60000);   /* no overflow */
}

static json_t *img(const char *id, const char *created, const char *mgr)
{
	json_t *props = mgr ? json_pack("{ss}", "ghr-manager", mgr) : json_object();
	return json_pack("{ss ss so}", "id", id, "created", created, "properties", props);
}

static int has(const json_t *arr, const char *id)
{
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), id) == 0)
			return 1;
	return 0;
}

static void test_prune_select(void)
{
	json_t *l = json_array();
	json_array_append_new(l, img("b", "2026-02-01T00:00:00Z", "t"));
	json_array_append_new(l, img("d", "2026-04-01T00:00:00Z", "t"));
	json_array_append_new(l, img("a", "2026-01-01T00:00:00Z", "t"));
	json_array_append_new(l, img("c", "2026-03-01T00:00:00Z", "t"));
	json_array_append_new(l, img("other", "2020-01-01T00:00:00Z", "u"));   /* another manager's */
	json_array_append_new(l, img("hand", "2020-01-01T00:00:00Z", NULL));   /* made by hand */
	json_t *in_use = json_pack("[s]", "a");
	json_t *out = ib_prune_select(l, "t", 2, in_use);
	CU_ASSERT_EQUAL(json_array_size(out), 1);
	CU_ASSERT_TRUE(has(out, "b"));
	json_decref(out);
	out = ib_prune_select(l, "t", 2, NULL);
	CU_ASSERT_EQUAL(json_array_size(out), 2);
	CU_ASSERT_TRUE(has(out, "a") && has(out, "b"));
	json_decref(out);
	out = ib_prune_select(l, "t", 10, NULL);
	CU_ASSERT_EQUAL(json_array_size(out), 0);
	json_decref(out);
	out = ib_prune_select(l, "t", 0, NULL);        /* never below one: the newest stays */
	CU_ASSERT_EQUAL(json_array_size(out), 3);
	CU_ASSERT_FALSE(has(out, "d"));
	json_decref(out);
	json_decref(in_use);
	json_decref(l);
}

UNIT_SUITE(ib_rules,
	UNIT_TEST(test_console_ok_line),
	UNIT_TEST(test_console_failed_and_last_wins),
	UNIT_TEST(test_console_other_build_or_garbage),
	UNIT_TEST(test_build_reason),
	UNIT_TEST(test_retry_delay),
	UNIT_TEST(test_prune_select))
