/* sbuf: appends across growth, the empty text, and giving up after a failure. */
#include <stdlib.h>
#include <string.h>
#include "common/sbuf.h"
#include "tests/unit/unit.h"

static void test_grows_and_keeps_text(void)
{
	struct sbuf b = { .first_cap = 8 };
	char want[1024];
	size_t n = 0;
	for (int i = 0; i < 100; i++) {
		sbuf_put(&b, "abcdefghij", (size_t)(i % 10) + 1);
		memcpy(want + n, "abcdefghij", (size_t)(i % 10) + 1);
		n += (size_t)(i % 10) + 1;
	}
	want[n] = 0;
	CU_ASSERT_EQUAL(b.len, n);
	CU_ASSERT(b.cap > n);
	char *s = sbuf_finish(&b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, want);
	free(s);
}

static void test_not_terminated_input(void)
{
	struct sbuf b = { 0 };
	sbuf_put(&b, "secretXYZ", 6);
	sbuf_put(&b, "", 0);
	sbuf_put(&b, "!", 1);
	CU_ASSERT_EQUAL(b.cap, 256);          /* the default first allocation */
	char *s = sbuf_finish(&b);
	CU_ASSERT_STRING_EQUAL(s, "secret!");
	free(s);
}

static void test_empty_is_empty_string(void)
{
	struct sbuf b = { 0 };
	char *s = sbuf_finish(&b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
}

static void test_oom_gives_null_and_stops(void)
{
	struct sbuf b = { 0 };
	sbuf_put(&b, "token", 5);
	b.oom = 1;                             /* as after a failed malloc */
	sbuf_put(&b, "more", 4);
	CU_ASSERT_EQUAL(b.len, 5);
	CU_ASSERT_PTR_NULL(sbuf_finish(&b));
	CU_ASSERT_PTR_NULL(b.p);
	CU_ASSERT_EQUAL(b.cap, 0);
}

static void test_wipe_free_resets(void)
{
	struct sbuf b = { .first_cap = 16 };
	sbuf_put(&b, "password", 8);
	sbuf_wipe_free(&b);
	CU_ASSERT_PTR_NULL(b.p);
	CU_ASSERT_EQUAL(b.len, 0);
	sbuf_wipe_free(&b);                    /* twice is harmless */
	sbuf_put(&b, "again", 5);
	char *s = sbuf_finish(&b);
	CU_ASSERT_STRING_EQUAL(s, "again");
	free(s);
}

UNIT_SUITE(sbuf,
	UNIT_TEST(test_grows_and_keeps_text),
	UNIT_TEST(test_not_terminated_input),
	UNIT_TEST(test_empty_is_empty_string),
	UNIT_TEST(test_oom_gives_null_and_stops),
	UNIT_TEST(test_wipe_free_resets))
