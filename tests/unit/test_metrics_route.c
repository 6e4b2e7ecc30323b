/* workers/metrics: what each request is answered. */
#include <string.h>
#include "tests/unit/unit.h"
#include "workers/metrics/metrics.h"

static void test_route(void)
{
	struct metrics_answer a;
	metrics_route("GET", "/metrics", "ghr_up 1\n", &a);
	CU_ASSERT_EQUAL(a.status, 200);
	CU_ASSERT_STRING_EQUAL(a.body, "ghr_up 1\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(a.type, "version=0.0.4"));
	metrics_route("GET", "/metrics?name[]=x", "t", &a);
	CU_ASSERT_EQUAL(a.status, 200);
	metrics_route("HEAD", "/metrics", "t", &a);
	CU_ASSERT_EQUAL(a.status, 200);
	metrics_route("GET", "/metrics", NULL, &a);             /* nothing fetched yet */
	CU_ASSERT_EQUAL(a.status, 503);
	metrics_route("POST", "/metrics", "t", &a);
	CU_ASSERT_EQUAL(a.status, 405);
	static const char *const paths[] = { "/", "/metricsx", "/metric", "/metrics/", "", "//metrics", "/../metrics" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		metrics_route("GET", paths[i], "t", &a);
		CU_ASSERT_EQUAL(a.status, 404);
	}
	metrics_route(NULL, NULL, "t", &a);
	CU_ASSERT_EQUAL(a.status, 404);
}

UNIT_SUITE(metrics_route,
	UNIT_TEST(test_route))
