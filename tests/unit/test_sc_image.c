/* Image choice per pool (workers/scaler/sc_image.c): newest active image of a tag wins;
 * an unusable image falls back to the previous one of the same tag. */
#include <string.h>
#include "tests/unit/unit.h"
#include "workers/scaler/sc_image.h"

static json_t *images(void)
{
	/* deliberately not in date order; one not active */
	return json_pack("[{s:s,s:s,s:s}, {s:s,s:s,s:s}, {s:s,s:s,s:s}, {s:s,s:s,s:s}]",
	                 "id", "old", "status", "active", "created_at", "2025-01-01T00:00:00Z",
	                 "id", "newest", "status", "active", "created_at", "2025-03-01T00:00:00Z",
	                 "id", "saving", "status", "saving", "created_at", "2025-04-01T00:00:00Z",
	                 "id", "middle", "status", "active", "created_at", "2025-02-01T00:00:00Z");
}

static void test_tag_newest_active_wins(void)
{
	struct sc_image im;
	sc_image_init(&im, "tag:ghr-runner");
	CU_ASSERT_STRING_EQUAL(sc_image_tag(&im), "ghr-runner");
	CU_ASSERT_PTR_NULL(sc_image_pick(&im, NULL));       /* nothing listed yet */
	json_t *l = images();
	sc_image_set_candidates(&im, l);
	json_decref(l);
	int fb = -1;
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, &fb), "newest");
	CU_ASSERT_EQUAL(fb, 0);
}

static void test_fallback_to_previous(void)
{
	struct sc_image im;
	sc_image_init(&im, "tag:ghr-runner");
	json_t *l = images();
	sc_image_set_candidates(&im, l);
	int fb = 0;
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "newest"), 1);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, &fb), "middle");
	CU_ASSERT_EQUAL(fb, 1);
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "middle"), 1);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "old");
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "old"), 0);
	CU_ASSERT_PTR_NULL(sc_image_pick(&im, NULL));
	/* a later listing keeps the marks: a bad image stays bad */
	sc_image_set_candidates(&im, l);
	CU_ASSERT_PTR_NULL(sc_image_pick(&im, NULL));
	json_decref(l);
}

static void test_plain_name_and_override(void)
{
	struct sc_image im;
	sc_image_init(&im, "ubuntu-22.04");
	CU_ASSERT_PTR_NULL(sc_image_tag(&im));
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "ubuntu-22.04");
	/* nothing to fall back to for a plain name: it is kept */
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "ubuntu-22.04"), 0);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "ubuntu-22.04");
	/* the image builder's choice wins until it fails */
	strcpy(im.override, "built-1");
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "built-1");
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "built-1"), 1);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "ubuntu-22.04");
	/* "tag:" alone is not a tag */
	sc_image_init(&im, "tag:");
	CU_ASSERT_PTR_NULL(sc_image_tag(&im));
}

static void test_image_error_detection(void)
{
	CU_ASSERT_TRUE(sc_image_error_is_image(1, "Image 5c1d... could not be found."));
	CU_ASSERT_FALSE(sc_image_error_is_image(0, "Image not found"));
	CU_ASSERT_FALSE(sc_image_error_is_image(1, "Flavor not found"));
	CU_ASSERT_FALSE(sc_image_error_is_image(1, NULL));
}

static void test_garbage_listing(void)
{
	struct sc_image im;
	sc_image_init(&im, "tag:x");
	json_t *l = json_pack("[i, {s:i}, {s:s}, null]", 3, "id", 4, "name", "no id");
	sc_image_set_candidates(&im, l);
	CU_ASSERT_EQUAL(im.ncands, 0);
	json_decref(l);
	sc_image_set_candidates(&im, NULL);
	CU_ASSERT_EQUAL(im.ncands, 0);
}

UNIT_SUITE(sc_image,
	UNIT_TEST(test_tag_newest_active_wins),
	UNIT_TEST(test_fallback_to_previous),
	UNIT_TEST(test_plain_name_and_override),
	UNIT_TEST(test_image_error_detection),
	UNIT_TEST(test_garbage_listing))
