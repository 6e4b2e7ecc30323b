/* Image choice per pool (see sc_image.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "workers/scaler/sc_image.h"
#include "workers/scaler/sc_names.h"

void sc_image_init(struct sc_image *im, const char *spec)
{
	memset(im, 0, sizeof(*im));
	sc_copy(im->spec, spec ? spec : "", sizeof(im->spec));
}

const char *sc_image_tag(const struct sc_image *im)
{
	return strncmp(im->spec, "tag:", 4) == 0 && im->spec[4] ? im->spec + 4 : NULL;
}

static int is_bad(const struct sc_image *im, const char *id)
{
	for (int i = 0; i < im->nbad; i++)
		if (strcmp(im->bad[i], id) == 0)
			return 1;
	return 0;
}

struct cand { const char *id; const char *created; size_t order; };

static int cmp_newest(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->created && y->created) {
		int c = strcmp(y->created, x->created);     /* ISO 8601 UTC sorts as text */
		if (c)
			return c;
	}
	return x->order < y->order ? -1 : x->order > y->order;
}

void sc_image_built(struct sc_image *im, const char *id, int64_t now_ms)
{
	sc_copy(im->built, id, SC_IMAGE_ID_MAX);
	im->built_ms = now_ms;
}

void sc_image_set_candidates(struct sc_image *im, const json_t *images, int64_t asked_ms)
{
	if (im->built[0] && asked_ms > im->built_ms)
		im->built[0] = 0;
	size_t n = json_array_size(images), k = 0, i;
	struct cand *c = calloc(n ? n : 1, sizeof(*c));
	if (!c)
		return;
	const json_t *v;
	json_array_foreach(images, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *st = json_string_value(json_object_get(v, "status"));
		if (!id || strlen(id) >= SC_IMAGE_ID_MAX || (st && strcmp(st, "active") != 0))
			continue;
		c[k].id = id;
		c[k].created = json_string_value(json_object_get(v, "created"));   /* os.images.list item */
		c[k].order = i;
		k++;
	}
	qsort(c, k, sizeof(*c), cmp_newest);
	im->ncands = 0;
	for (i = 0; i < k && im->ncands < SC_IMAGE_CANDIDATES; i++)
		sc_copy(im->cands[im->ncands++], c[i].id, SC_IMAGE_ID_MAX);
	free(c);
}

const char *sc_image_pick(const struct sc_image *im, int *fallback)
{
	if (fallback)
		*fallback = 0;
	if (im->override[0] && !is_bad(im, im->override))
		return im->override;
	if (im->built[0] && sc_image_tag(im) && !is_bad(im, im->built))
		return im->built;
	if (!sc_image_tag(im))
		return im->spec[0] ? im->spec : NULL;
	for (int i = 0; i < im->ncands; i++) {
		if (is_bad(im, im->cands[i]))
			continue;
		if (fallback)
			*fallback = i > 0 || im->override[0] || im->built[0];
		return im->cands[i];
	}
	return NULL;
}

static void forget(struct sc_image *im, int i)
{
	memmove(im->bad[i], im->bad[i + 1], sizeof(im->bad[0]) * (size_t)(im->nbad - i - 1));
	memmove(&im->bad_ms[i], &im->bad_ms[i + 1], sizeof(im->bad_ms[0]) * (size_t)(im->nbad - i - 1));
	im->nbad--;
}

int sc_image_mark_bad(struct sc_image *im, const char *id, int64_t now_ms)
{
	if (!is_bad(im, id)) {
		if (im->nbad == SC_IMAGE_CANDIDATES)            /* forget the oldest mark */
			forget(im, 0);
		im->bad_ms[im->nbad] = now_ms;
		sc_copy(im->bad[im->nbad++], id, SC_IMAGE_ID_MAX);
	}
	const char *next = sc_image_pick(im, NULL);
	return next && strcmp(next, id) != 0;        /* a plain name has nothing to fall back to */
}

void sc_image_expire(struct sc_image *im, int64_t now_ms)
{
	for (int i = 0; i < im->nbad;) {
		if (now_ms - im->bad_ms[i] >= SC_IMAGE_BAD_TTL_MS)
			forget(im, i);
		else
			i++;
	}
}

int sc_image_error_is_image(int is_not_found_or_bad_request, const char *message)
{
	return is_not_found_or_bad_request && message && strcasestr(message, "image") != NULL;
}
