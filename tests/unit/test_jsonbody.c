/* A reply body that is not the JSON it should be is named for what it is. */
#include <stdlib.h>
#include <string.h>

#include "common/jsonbody.h"
#include "tests/unit/unit.h"

static char why[256];

static int says(const char *body, size_t len, const char *ctype, const char *want)
{
	json_t *j = jsonbody_load(body, len, 0, ctype, why, sizeof why);
	json_decref(j);
	int ok = !j && strstr(why, want) != NULL;
	if (!ok)
		fprintf(stderr, "\n  %.40s: got \"%s\", want \"%s\"\n", body, why, want);
	return ok;
}

static void test_reasons(void)
{
	const char *token = "{\"token\":{\"expires_at\":\"2030-01-01T00:00:00Z\",\"issued_at\":\"20";
	CU_ASSERT_TRUE(says(token, strlen(token), "application/json",
	                    "truncated JSON (ends after 61 bytes)"));
	CU_ASSERT_TRUE(says("", 0, "application/json", "empty body"));
	const char *html = "<html><body>502 Bad Gateway</body></html>";
	CU_ASSERT_TRUE(says(html, strlen(html), "text/html; charset=utf-8",
	                    "not JSON but text/html (41 bytes)"));
	CU_ASSERT_TRUE(says("garbage!", 8, "application/json", "not JSON ("));
	CU_ASSERT_TRUE(says("garbage!", 8, NULL, "not JSON ("));
	size_t depth = 5000;
	char *deep = malloc(2 * depth + 1);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	deep[2 * depth] = 0;
	CU_ASSERT_TRUE(says(deep, 2 * depth, "application/json", "JSON nested too deep"));
	free(deep);
	json_t *ok = jsonbody_load("{\"a\":1}", 7, 0, "application/json", why, sizeof why);
	CU_ASSERT_PTR_NOT_NULL(ok);
	json_decref(ok);
}

static void test_content_types(void)
{
	CU_ASSERT_TRUE(jsonbody_type_is_json("application/json"));
	CU_ASSERT_TRUE(jsonbody_type_is_json("application/json; charset=utf-8"));
	CU_ASSERT_TRUE(jsonbody_type_is_json("application/vnd.github+json"));
	CU_ASSERT_TRUE(jsonbody_type_is_json(NULL));
	CU_ASSERT_FALSE(jsonbody_type_is_json("text/html"));
	CU_ASSERT_FALSE(jsonbody_type_is_json("text/plain; charset=json"));
}

UNIT_SUITE(jsonbody,
	UNIT_TEST(test_reasons),
	UNIT_TEST(test_content_types))
