/* Unit-test registration: every tests/unit/test_*.c registers its suite from a
 * constructor, so adding a test file needs no edit anywhere else.
 *
 *   static void test_decode_ok(void) { CU_ASSERT_EQUAL(...); }
 *   UNIT_SUITE(proto_decode,
 *       UNIT_TEST(test_decode_ok),
 *       UNIT_TEST(test_decode_garbage))
 *
 * The runner (tests/unit/main.c) exits with the number of failures, and with 1 when no
 * test ran.  `GHR_SRCDIR` points at the source tree; fixtures live in it
 * (tests/fixtures/, the recorded API replies under tests/fixtures/api/). */
#ifndef GHR_UNIT_H
#define GHR_UNIT_H

#include <CUnit/CUnit.h>

struct unit_test { const char *name; void (*fn)(void); };
void unit_register(const char *suite, const struct unit_test *tests);
const char *unit_srcdir(void);
/* Read a fixture file relative to the source tree (aborts the test on failure). */
char *unit_read(const char *relpath);

#define UNIT_TEST(fn) { #fn, fn }
#define UNIT_SUITE(suite, ...) \
	static const struct unit_test suite##_tests_[] = { __VA_ARGS__, { 0, 0 } }; \
	__attribute__((constructor)) static void suite##_register_(void) \
	{ unit_register(#suite, suite##_tests_); }

#endif
