/* jsonpart: parts fit the budget, cover the array exactly once, always make progress. */
#include <string.h>
#include "common/jsonpart.h"
#include "tests/unit/unit.h"

/* n objects {"id":i,"name":"r-…"} */
static json_t *items(size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:I, s:s}", "id", (json_int_t)i, "name", "r-0123456789"));
	return a;
}

static size_t enc(const json_t *v)
{
	return json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void test_parts_cover_everything_once_within_budget(void)
{
	json_t *a = items(1000);
	const size_t budget = 4096;
	size_t from = 0, parts = 0, seen = 0;
	while (from < json_array_size(a)) {
		size_t used = 0;
		size_t end = jsonpart_end(a, from, budget, &used);
		CU_ASSERT_FATAL(end > from);
		CU_ASSERT(used <= budget);
		json_t *part = jsonpart_slice(a, from, end);
		CU_ASSERT_FATAL(part != NULL);
		CU_ASSERT_EQUAL(json_array_size(part), end - from);
		/* the encoded part is the items plus separators plus the brackets */
		CU_ASSERT(enc(part) <= used + 1);
		CU_ASSERT(json_integer_value(json_object_get(json_array_get(part, 0), "id")) == (json_int_t)from);
		/* full: the next item would not have fitted */
		if (end < json_array_size(a))
			CU_ASSERT(used + enc(json_array_get(a, end)) + 1 > budget);
		seen += json_array_size(part);
		json_decref(part);
		from = end;
		parts++;
	}
	CU_ASSERT_EQUAL(seen, 1000);
	CU_ASSERT(parts > 1);
	CU_ASSERT_FALSE(jsonpart_fits(a, budget));
	CU_ASSERT_TRUE(jsonpart_fits(a, enc(a)));
	json_decref(a);
}

static void test_fits_exactly_at_the_edge(void)
{
	json_t *a = items(10);
	size_t used = 0;
	CU_ASSERT_EQUAL(jsonpart_end(a, 0, (size_t)-1, &used), 10);
	/* the whole array encodes to used + 1 bytes ("[" and "]" for nine commas and one spare) */
	CU_ASSERT_EQUAL(enc(a), used + 1);
	CU_ASSERT_EQUAL(jsonpart_end(a, 0, used, NULL), 10);
	CU_ASSERT_EQUAL(jsonpart_end(a, 0, used - 1, NULL), 9);
	CU_ASSERT_TRUE(jsonpart_fits(a, used));
	CU_ASSERT_FALSE(jsonpart_fits(a, used - 1));
	json_decref(a);
}

static void test_oversized_item_goes_alone(void)
{
	json_t *a = json_array();
	char big[2000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	json_array_append_new(a, json_string("small"));
	json_array_append_new(a, json_string(big));
	json_array_append_new(a, json_integer(7));
	CU_ASSERT_EQUAL(jsonpart_end(a, 0, 100, NULL), 1);
	CU_ASSERT_EQUAL(jsonpart_end(a, 1, 100, NULL), 2);   /* progress, though over budget */
	CU_ASSERT_EQUAL(jsonpart_end(a, 2, 100, NULL), 3);   /* scalars are measured too */
	json_decref(a);
}

static void test_empty_and_out_of_range(void)
{
	json_t *a = json_array();
	size_t used = 99;
	CU_ASSERT_EQUAL(jsonpart_end(a, 0, 10, &used), 0);
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT_TRUE(jsonpart_fits(a, 0));
	json_t *s = jsonpart_slice(a, 0, 5);
	CU_ASSERT_EQUAL(json_array_size(s), 0);
	json_decref(s);
	json_decref(a);
	json_t *b = items(3);
	CU_ASSERT_EQUAL(jsonpart_end(b, 3, 10, NULL), 3);
	CU_ASSERT_EQUAL(jsonpart_end(b, 7, 10, NULL), 7);
	s = jsonpart_slice(b, 1, 99);                            /* end clamped */
	CU_ASSERT_EQUAL(json_array_size(s), 2);
	CU_ASSERT_PTR_EQUAL(json_array_get(s, 0), json_array_get(b, 1));   /* shared, not copied */
	json_decref(s);
	json_decref(b);
	json_t *notarr = json_object();
	CU_ASSERT_EQUAL(jsonpart_end(notarr, 0, 10, NULL), 0);
	json_decref(notarr);
}

UNIT_SUITE(jsonpart,
	UNIT_TEST(test_parts_cover_everything_once_within_budget),
	UNIT_TEST(test_fits_exactly_at_the_edge),
	UNIT_TEST(test_oversized_item_goes_alone),
	UNIT_TEST(test_empty_and_out_of_range))
