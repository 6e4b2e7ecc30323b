/* ghr-protocol(7) documents every method and every error code of the catalogue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "tests/unit/unit.h"

/* man pages escape '-' and may break words; look for the name as roff writes it */
static int mentions(const char *page, const char *name)
{
	char esc[256];
	size_t k = 0;
	for (const char *p = name; *p && k + 3 < sizeof(esc); p++) {
		if (*p == '-')
			esc[k++] = '\\';
		esc[k++] = *p;
	}
	esc[k] = 0;
	return strstr(page, name) != NULL || strstr(page, esc) != NULL;
}

static void test_every_method_documented(void)
{
	char *page = unit_read("man/ghr-protocol.7");
	size_t n;
	const struct proto_method *m = proto_methods(&n);
	CU_ASSERT(n > 10);
	for (size_t i = 0; i < n; i++) {
		if (!mentions(page, m[i].name)) {
			fprintf(stderr, "ghr-protocol.7 does not mention %s\n", m[i].name);
			CU_FAIL("method missing from ghr-protocol.7");
		}
	}
	free(page);
}

static void test_every_error_documented(void)
{
	char *page = unit_read("man/ghr-protocol.7");
	for (int e = 1; e < PROTO_ERROR_COUNT; e++) {
		const char *name = proto_error_name((enum proto_error)e);
		if (!mentions(page, name)) {
			fprintf(stderr, "ghr-protocol.7 does not mention %s\n", name);
			CU_FAIL("error code missing from ghr-protocol.7");
		}
	}
	free(page);
}

UNIT_SUITE(sup_protodoc,
	UNIT_TEST(test_every_method_documented),
	UNIT_TEST(test_every_error_documented))
