/* Image choice per pool (workers/scaler/sc_image.c): newest active image of a tag wins;
 * an unusable image falls back to the previous one of the same tag. */
#include <stdio.h>
#include <string.h>
#include "tests/unit/unit.h"
#include "workers/openstack/os_parse.h"
#include "workers/scaler/sc_image.h"

#define T0 1763856000000LL

/* The list as os.images.list gives it: Glance images through the openstack worker's
 * own normalisation, so that the scaler reads the field names the worker writes. */
static json_t *images(void)
{
	/* deliberately not in date order; one not active */
	json_t *glance = json_pack("[{s:s,s:s,s:s}, {s:s,s:s,s:s}, {s:s,s:s,s:s}, {s:s,s:s,s:s}]",
	                 "id", "old", "status", "active", "created_at", "2025-01-01T00:00:00Z",
	                 "id", "newest", "status", "active", "created_at", "2025-03-01T00:00:00Z",
	                 "id", "saving", "status", "saving", "created_at", "2025-04-01T00:00:00Z",
	                 "id", "middle", "status", "active", "created_at", "2025-02-01T00:00:00Z");
	json_t *out = json_array();
	size_t i;
	json_t *g;
	json_array_foreach(glance, i, g)
		json_array_append_new(out, os_image_normalise(g));
	json_decref(glance);
	return out;
}

static void test_tag_newest_active_wins(void)
{
	struct sc_image im;
	sc_image_init(&im, "tag:ghr-runner");
	CU_ASSERT_STRING_EQUAL(sc_image_tag(&im), "ghr-runner");
	CU_ASSERT_PTR_NULL(sc_image_pick(&im, NULL));       /* nothing listed yet */
	json_t *l = images();
	sc_image_set_candidates(&im, l, T0);
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
	sc_image_set_candidates(&im, l, T0);
	int fb = 0;
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "newest", T0), 1);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, &fb), "middle");
	CU_ASSERT_EQUAL(fb, 1);
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "middle", T0), 1);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "old");
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "old", T0), 0);
	CU_ASSERT_PTR_NULL(sc_image_pick(&im, NULL));
	/* a later listing keeps the marks */
	sc_image_set_candidates(&im, l, T0);
	CU_ASSERT_PTR_NULL(sc_image_pick(&im, NULL));
	json_decref(l);
}

/* A bad mark is not forever: after SC_IMAGE_BAD_TTL_MS the image is tried again. */
static void test_bad_marks_expire(void)
{
	struct sc_image im;
	sc_image_init(&im, "tag:ghr-runner");
	json_t *l = images();
	sc_image_set_candidates(&im, l, T0);
	json_decref(l);
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "newest", T0), 1);
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "middle", T0 + 60000), 1);
	sc_image_expire(&im, T0 + SC_IMAGE_BAD_TTL_MS - 1);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "old");
	sc_image_expire(&im, T0 + SC_IMAGE_BAD_TTL_MS);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "newest");
	CU_ASSERT_EQUAL(im.nbad, 1);
	sc_image_expire(&im, T0 + 60000 + SC_IMAGE_BAD_TTL_MS);
	CU_ASSERT_EQUAL(im.nbad, 0);
	/* a full list of marks drops the oldest, times kept with their ids */
	for (int i = 0; i < SC_IMAGE_CANDIDATES + 1; i++) {
		char id[16];
		snprintf(id, sizeof(id), "img-%d", i);
		sc_image_mark_bad(&im, id, T0 + i);
	}
	CU_ASSERT_EQUAL(im.nbad, SC_IMAGE_CANDIDATES);
	CU_ASSERT_STRING_EQUAL(im.bad[0], "img-1");
	CU_ASSERT_EQUAL(im.bad_ms[0], T0 + 1);
}

static void test_plain_name_and_override(void)
{
	struct sc_image im;
	sc_image_init(&im, "ubuntu-22.04");
	CU_ASSERT_PTR_NULL(sc_image_tag(&im));
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "ubuntu-22.04");
	/* nothing to fall back to for a plain name: it is kept */
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "ubuntu-22.04", T0), 0);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "ubuntu-22.04");
	/* the image builder's choice wins until it fails */
	strcpy(im.override, "built-1");
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "built-1");
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "built-1", T0), 1);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "ubuntu-22.04");
	/* "tag:" alone is not a tag */
	sc_image_init(&im, "tag:");
	CU_ASSERT_PTR_NULL(sc_image_tag(&im));
}

/* image.built: the built image is used at once, and a listing asked for after it then
 * decides -- a newer image, or the tag moved back to an older one (rollback), wins. */
static void test_built_image_until_a_later_listing(void)
{
	struct sc_image im;
	sc_image_init(&im, "tag:ghr-runner");
	json_t *old = json_pack("[{s:s, s:s, s:s}]", "id", "img-1", "status", "active", "created", "2026-01-01T00:00:00Z");
	json_t *newer = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]",
	                          "id", "img-3", "status", "active", "created", "2026-01-03T00:00:00Z",
	                          "id", "img-2", "status", "active", "created", "2026-01-02T00:00:00Z");
	sc_image_set_candidates(&im, old, T0);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "img-1");
	sc_image_built(&im, "img-2", T0 + 1000);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "img-2");
	/* a listing asked for before the build does not know it yet: the built one stays */
	sc_image_set_candidates(&im, old, T0 + 500);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "img-2");
	/* rollback: the tag moved back to img-1, listed after the build */
	sc_image_set_candidates(&im, old, T0 + 2000);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "img-1");
	/* a newer image than the built one wins once listed */
	sc_image_built(&im, "img-2", T0 + 3000);
	sc_image_set_candidates(&im, newer, T0 + 4000);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "img-3");
	/* a built image that fails falls back to the listing at once */
	sc_image_built(&im, "img-4", T0 + 5000);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "img-4");
	CU_ASSERT_EQUAL(sc_image_mark_bad(&im, "img-4", T0 + 5000), 1);
	CU_ASSERT_STRING_EQUAL(sc_image_pick(&im, NULL), "img-3");
	json_decref(old);
	json_decref(newer);
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
	sc_image_set_candidates(&im, l, T0);
	CU_ASSERT_EQUAL(im.ncands, 0);
	json_decref(l);
	sc_image_set_candidates(&im, NULL, T0);
	CU_ASSERT_EQUAL(im.ncands, 0);
}

UNIT_SUITE(sc_image,
	UNIT_TEST(test_tag_newest_active_wins),
	UNIT_TEST(test_fallback_to_previous),
	UNIT_TEST(test_bad_marks_expire),
	UNIT_TEST(test_plain_name_and_override),
	UNIT_TEST(test_built_image_until_a_later_listing),
	UNIT_TEST(test_image_error_detection),
	UNIT_TEST(test_garbage_listing))
