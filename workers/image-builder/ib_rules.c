/* Pure rules of the image builder (see ib.h): no I/O, unit-tested and fuzzed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workers/image-builder/ib.h"

#define IB_RESULT_WORD "ghr-build "

static void copy_printable(char *dst, size_t dlen, const char *src, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < dlen; i++)
		dst[k++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	if (dlen)
		dst[k] = 0;
}

enum ib_console ib_console_result(const char *output, size_t len, const char *build_id,
                                  char *detail, size_t detail_len)
{
	enum ib_console res = IB_CONSOLE_NONE;
	size_t idlen = strlen(build_id), wlen = strlen(IB_RESULT_WORD);
	if (detail_len)
		detail[0] = 0;
	if (idlen == 0)
		return res;
	for (size_t pos = 0; pos < len;) {
		const char *line = output + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + 1;
		/* the line may carry a console prefix ("[  12.3] cloud-init[812]: "): find the word */
		for (size_t i = 0; i + wlen + idlen + 1 <= n; i++) {
			const char *p = line + i;
			if (memcmp(p, IB_RESULT_WORD, wlen) != 0 || memcmp(p + wlen, build_id, idlen) != 0
			    || p[wlen + idlen] != ' ')
				continue;
			const char *rest = p + wlen + idlen + 1;
			size_t rn = n - (size_t)(rest - line);
			enum ib_console r = IB_CONSOLE_NONE;
			if (rn >= 2 && memcmp(rest, "ok", 2) == 0 && (rn == 2 || rest[2] == ' ' || rest[2] == '\r'))
				r = IB_CONSOLE_OK;
			else if (rn >= 6 && memcmp(rest, "failed", 6) == 0 && (rn == 6 || rest[6] == ' ' || rest[6] == '\r'))
				r = IB_CONSOLE_FAILED;
			if (r != IB_CONSOLE_NONE) {
				res = r;
				copy_printable(detail, detail_len, rest, rn);
			}
			break;
		}
	}
	return res;
}

/* "2.330.0" against "2.331.0": numeric, part by part; -2 when either is not a version. */
static int version_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		char *ea, *eb;
		long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
		if (ea == a || eb == b)
			return -2;
		if (x != y)
			return x < y ? -1 : 1;
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
		if ((*ea && *ea != '.') || (*eb && *eb != '.'))
			return -2;
	}
	return *a ? 1 : *b ? -1 : 0;
}

const char *ib_build_reason(int forced, int have_image, int64_t newest_age_ms, int64_t interval_ms,
                            const char *newest_version, const char *offered_version,
                            char *buf, size_t len)
{
	if (forced)
		snprintf(buf, len, "requested");
	else if (!have_image)
		snprintf(buf, len, "no usable image");
	else if (newest_age_ms >= interval_ms)
		snprintf(buf, len, "newest image older than the interval");
	else if (offered_version && *offered_version && newest_version
	         && version_cmp(newest_version, offered_version) != 0
	         && version_cmp(newest_version, offered_version) != 1)
		snprintf(buf, len, "runner %.30s released (image has %.30s)", offered_version,
		         *newest_version ? newest_version : "none");
	else
		return NULL;
	return buf;
}

int64_t ib_retry_delay(int failures, int64_t min_ms, int64_t max_ms)
{
	int64_t d = min_ms;
	for (int i = 1; i < failures && d < max_ms; i++)
		d *= 2;
	return d < max_ms ? d : max_ms;
}

static int in_list(const json_t *list, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach(list, i, v)
		if (s && json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

struct prune_cand { const char *id, *created; };

static int newest_first(const void *a, const void *b)
{
	const struct prune_cand *x = a, *y = b;
	return strcmp(y->created, x->created);     /* ISO 8601 UTC sorts as text */
}

json_t *ib_prune_select(const json_t *images, const char *manager, int keep, const json_t *in_use)
{
	json_t *out = json_array();
	size_t n = json_array_size(images), k = 0, i;
	struct prune_cand *c = calloc(n ? n : 1, sizeof(*c));
	if (!out || !c) {
		free(c);
		return out;
	}
	const json_t *im;
	json_array_foreach(images, i, im) {
		const char *id = json_string_value(json_object_get(im, "id"));
		const char *owner = json_string_value(json_object_get(json_object_get(im, "properties"), "ghr-manager"));
		if (!id || !owner || strcmp(owner, manager) != 0)
			continue;                 /* never another manager's, nor a hand-made image */
		const char *created = json_string_value(json_object_get(im, "created"));
		c[k].id = id;
		c[k].created = created ? created : "";
		k++;
	}
	qsort(c, k, sizeof(*c), newest_first);
	for (i = (size_t)(keep > 0 ? keep : 1); i < k; i++)
		if (!in_list(in_use, c[i].id))
			json_array_append_new(out, json_string(c[i].id));
	free(c);
	return out;
}
