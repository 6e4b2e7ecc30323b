/* The unit-test runner: runs every registered suite, exits with the failure count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "tests/unit/unit.h"

#define MAX_SUITES 256

static struct { const char *name; const struct unit_test *tests; } suites[MAX_SUITES];
static int n_suites;

void unit_register(const char *suite, const struct unit_test *tests)
{
	if (n_suites == MAX_SUITES) {
		fprintf(stderr, "unit: too many suites\n");
		exit(2);
	}
	suites[n_suites].name = suite;
	suites[n_suites].tests = tests;
	n_suites++;
}

const char *unit_srcdir(void)
{
	const char *d = getenv("GHR_SRCDIR");
	return d && *d ? d : ".";
}

char *unit_read(const char *relpath)
{
	char path[4096];
	if (relpath[0] == '/')
		snprintf(path, sizeof(path), "%s", relpath);
	else
		snprintf(path, sizeof(path), "%s/%s", unit_srcdir(), relpath);
	FILE *f = fopen(path, "rb");
	if (!f) {
		CU_FAIL_FATAL("fixture missing");
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		CU_FAIL_FATAL("fixture unreadable");
		return NULL;
	}
	buf[n] = 0;
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;   /* optional: run one suite */
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (int i = 0; i < n_suites; i++) {
		if (only && strcmp(only, suites[i].name) != 0)
			continue;
		CU_pSuite s = CU_add_suite(suites[i].name, NULL, NULL);
		if (!s)
			return 2;
		for (const struct unit_test *t = suites[i].tests; t->name; t++)
			if (!CU_add_test(s, t->name, t->fn))
				return 2;
	}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	unsigned ran = CU_get_number_of_tests_run();
	unsigned failed = CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	if (ran == 0) {
		fprintf(stderr, "unit: no test ran\n");
		return 1;
	}
	printf("unit: %u passed, %u failed\n", ran - failed, failed);
	return failed > 255 ? 255 : (int)failed;
}
