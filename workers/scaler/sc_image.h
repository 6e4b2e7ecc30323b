/* Which image a pool's new runners boot from.
 *
 * pools[].image is an image name or id (passed to the openstack worker as is), or
 * `tag:TAG`: the newest active image carrying TAG (os.images.list, newest first).  An
 * image just built for the tag (image.built) is used at once, until a listing asked for
 * after it says what the tag holds: then the listing decides (a newer image, or an older
 * one the tag was moved back to, wins).  The operator may also name an image outright
 * (scaler.image), which wins until the next one or a restart.  When a create fails because the chosen image cannot be used (deleted,
 * deactivated), the image is marked bad and the next older active image of the tag is
 * used: the pool keeps working on the previous image, and the caller logs it loudly and
 * counts it (ghr_image_fallbacks_total).  Pure: no I/O here. */
#ifndef GHR_SC_IMAGE_H
#define GHR_SC_IMAGE_H

#include <stdint.h>
#include <jansson.h>

#define SC_IMAGE_CANDIDATES 8
#define SC_IMAGE_ID_MAX 64

struct sc_image {
	char spec[128];                                        /* as configured */
	char override[SC_IMAGE_ID_MAX];                        /* scaler.image; "" none */
	char built[SC_IMAGE_ID_MAX];                           /* image.built; "" none */
	int64_t built_ms;                                      /* when it was heard of (epoch) */
	char cands[SC_IMAGE_CANDIDATES][SC_IMAGE_ID_MAX];      /* active, newest first */
	int ncands;
	char bad[SC_IMAGE_CANDIDATES][SC_IMAGE_ID_MAX];        /* failed creates */
	int64_t bad_ms[SC_IMAGE_CANDIDATES];                   /* when marked (epoch ms) */
	int nbad;
};

/* A bad mark is forgotten after this long: an image that failed during a Glance outage,
 * or was reactivated, gets another chance. */
#define SC_IMAGE_BAD_TTL_MS 3600000

void sc_image_init(struct sc_image *im, const char *spec);
/* The tag to list, or NULL when the spec is a plain name or id. */
const char *sc_image_tag(const struct sc_image *im);
/* Take the os.images.list reply's `images` array (order: newest first; entries with a
 * created_at are sorted by it), asked for at asked_ms (epoch).  Entries not `active` are
 * skipped.  A built image heard of before asked_ms is then left to the listing. */
void sc_image_set_candidates(struct sc_image *im, const json_t *images, int64_t asked_ms);
/* An image was just built for the pool's tag (at now_ms, epoch): use it until a listing
 * asked for after now_ms. */
void sc_image_built(struct sc_image *im, const char *id, int64_t now_ms);
/* The image to use now, or NULL when none is usable.  *fallback is set when it is not
 * the newest candidate (an older image is being used because newer ones failed). */
const char *sc_image_pick(const struct sc_image *im, int *fallback);
/* A create failed because of this image (at now_ms, epoch).  Returns 1 when another image
 * is left to try. */
int sc_image_mark_bad(struct sc_image *im, const char *id, int64_t now_ms);
/* Forget the marks older than SC_IMAGE_BAD_TTL_MS. */
void sc_image_expire(struct sc_image *im, int64_t now_ms);
/* Is this create error about the image?  (not_found/bad_request naming the image) */
int sc_image_error_is_image(int is_not_found_or_bad_request, const char *message);

#endif
