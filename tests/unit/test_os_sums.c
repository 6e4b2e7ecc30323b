/* SHA256SUMS as Ubuntu publishes them (workers/openstack/os_sums.c). */
#include <string.h>
#include "tests/unit/unit.h"
#include "workers/openstack/os.h"

#define A "a08d4b1f3a52393fd43b1ddb4fca01f7508093ad6e5fa1f49df1f1e1b1c18fe3"
#define B "0000000000000000000000000000000000000000000000000000000000000001"

static int find(const char *text, const char *file, char out[65])
{
	return os_sha256sums_find(text, strlen(text), file, out);
}

static void test_sums_found(void)
{
	char out[65];
	const char *sums = B " *noble-server-cloudimg-arm64.img\n" A " *noble-server-cloudimg-amd64.img\n"
	                   B "  noble-server-cloudimg-amd64.tar.gz\r\n";
	CU_ASSERT_EQUAL(find(sums, "noble-server-cloudimg-amd64.img", out), 0);
	CU_ASSERT_STRING_EQUAL(out, A);
	CU_ASSERT_EQUAL(find(sums, "noble-server-cloudimg-amd64.tar.gz", out), 0);     /* text mode, CRLF */
	CU_ASSERT_STRING_EQUAL(out, B);
	CU_ASSERT_EQUAL(find("A08D4B1F3A52393FD43B1DDB4FCA01F7508093AD6E5FA1F49DF1F1E1B1C18FE3 *x.img", "x.img", out), 0);
	CU_ASSERT_STRING_EQUAL(out, A);                                               /* lower-cased */
}

static void test_sums_not_found(void)
{
	char out[65];
	const char *sums = A " *noble-server-cloudimg-amd64.img\n";
	CU_ASSERT_EQUAL(find(sums, "noble-server-cloudimg-amd64", out), 1);      /* a prefix is not the file */
	CU_ASSERT_EQUAL(find(sums, "cloudimg-amd64.img", out), 1);               /* nor a suffix */
	CU_ASSERT_EQUAL(find(sums, "", out), 1);
	CU_ASSERT_EQUAL(find("", "x.img", out), 1);
	CU_ASSERT_EQUAL(find("zz08d4b1f3a52393fd43b1ddb4fca01f7508093ad6e5fa1f49df1f1e1b1c18fe3 *x.img\n", "x.img", out), 1);
	CU_ASSERT_EQUAL(find(A "\t*x.img\n", "x.img", out), 1);
	CU_ASSERT_EQUAL(find("08d4 *x.img\n", "x.img", out), 1);
	CU_ASSERT_STRING_EQUAL(out, "");
}

UNIT_SUITE(os_sums,
	UNIT_TEST(test_sums_found),
	UNIT_TEST(test_sums_not_found))
