/* util: time parsing, backoff bounds, random hex, atomic writes. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/util.h"
#include "tests/unit/unit.h"

static void test_iso8601_forms(void)
{
	CU_ASSERT_EQUAL(iso8601_to_ms("1970-01-01T00:00:00Z"), 0);
	CU_ASSERT_EQUAL(iso8601_to_ms("1970-01-01T00:00:01.5Z"), 1500);
	CU_ASSERT_EQUAL(iso8601_to_ms("2025-11-23T01:02:03Z"), 1763859723000LL);
	CU_ASSERT_EQUAL(iso8601_to_ms("2025-11-23T01:02:03.000000"), 1763859723000LL);
	CU_ASSERT_EQUAL(iso8601_to_ms("2025-11-23T02:02:03+01:00"), 1763859723000LL);
	CU_ASSERT_EQUAL(iso8601_to_ms("2025-11-23T00:02:03-01:00"), 1763859723000LL);
	char buf[32];
	ms_to_iso8601(1763859723000LL, buf);
	CU_ASSERT_STRING_EQUAL(buf, "2025-11-23T01:02:03Z");
}

static void test_iso8601_garbage(void)
{
	const char *bad[] = { "", "2025", "2025-13-01T00:00:00Z", "2025-11-23T25:00:00Z",
	                      "2025-11-23T01:02:03Zjunk", "2025-11-23T01:02:03.", "xxxx-11-23T01:02:03Z",
	                      "2025-11-23 01:02", NULL };
	for (int i = 0; bad[i]; i++)
		CU_ASSERT_EQUAL(iso8601_to_ms(bad[i]), -1);
	CU_ASSERT_EQUAL(iso8601_to_ms(NULL), -1);
}

static void test_backoff_bounds(void)
{
	CU_ASSERT_EQUAL(backoff_ms(0, 100, 10000), 0);     /* first retry immediate */
	for (int round = 0; round < 200; round++) {
		int64_t a1 = backoff_ms(1, 100, 10000);
		CU_ASSERT(a1 >= 50 && a1 <= 100);
		int64_t a4 = backoff_ms(4, 100, 10000);
		CU_ASSERT(a4 >= 400 && a4 <= 800);
		int64_t big = backoff_ms(60, 100, 10000);
		CU_ASSERT(big >= 5000 && big <= 10000);
	}
}

static void test_random_hex(void)
{
	char a[17], b[17];
	random_hex(a, 8);
	random_hex(b, 8);
	CU_ASSERT_EQUAL(strlen(a), 16);
	CU_ASSERT_EQUAL(strspn(a, "0123456789abcdef"), 16);
	CU_ASSERT(strcmp(a, b) != 0);
}

static void test_atomic_write_and_read(void)
{
	char dir[] = "/tmp/ghr-unit-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/f", dir);
	CU_ASSERT_EQUAL(write_file_atomic(path, "hello", 5, 0600), 0);
	size_t len = 0;
	char *s = read_file(path, 1024, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_STRING_EQUAL(s, "hello");
	free(s);
	CU_ASSERT_PTR_NULL(read_file(path, 3, NULL));     /* over the cap */
	unlink(path);
	rmdir(dir);
}

static void test_strlcpy_chk(void)
{
	char b[4];
	CU_ASSERT_EQUAL(strlcpy_chk(b, "abc", sizeof(b)), 0);
	CU_ASSERT_EQUAL(strlcpy_chk(b, "abcd", sizeof(b)), -1);
	CU_ASSERT_STRING_EQUAL(b, "abc");
}

static void test_array_reserve(void)
{
	int *a = NULL;
	size_t cap = 0;
	CU_ASSERT_EQUAL(array_reserve((void **)&a, &cap, 0, sizeof(*a)), 0);
	CU_ASSERT_PTR_NULL(a);                       /* nothing needed, nothing allocated */
	CU_ASSERT_EQUAL(array_reserve((void **)&a, &cap, 1, sizeof(*a)), 0);
	CU_ASSERT_EQUAL(cap, 16);
	for (int i = 0; i < 16; i++)
		a[i] = i;
	CU_ASSERT_EQUAL(array_reserve((void **)&a, &cap, 17, sizeof(*a)), 0);
	CU_ASSERT_EQUAL(cap, 32);
	CU_ASSERT_EQUAL(a[15], 15);                  /* kept across the move */
	int *before = a;
	CU_ASSERT_EQUAL(array_reserve((void **)&a, &cap, (size_t)-1 / 2, sizeof(*a)), -1);
	CU_ASSERT_EQUAL(array_reserve((void **)&a, &cap, (size_t)-1, 1), -1);
	CU_ASSERT_PTR_EQUAL(a, before);              /* untouched on failure */
	CU_ASSERT_EQUAL(cap, 32);
	free(a);
}

UNIT_SUITE(util,
	UNIT_TEST(test_array_reserve),
	UNIT_TEST(test_iso8601_forms),
	UNIT_TEST(test_iso8601_garbage),
	UNIT_TEST(test_backoff_bounds),
	UNIT_TEST(test_random_hex),
	UNIT_TEST(test_atomic_write_and_read),
	UNIT_TEST(test_strlcpy_chk))
