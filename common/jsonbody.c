/* jsonbody — see jsonbody.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/jsonbody.h"

int jsonbody_type_is_json(const char *ct)
{
	if (!ct || !*ct)
		return 1;
	size_t n = strcspn(ct, ";");   /* "application/json; charset=utf-8" */
	return (n >= 4 && strncasecmp(ct + n - 4, "json", 4) == 0);
}

/* The media type alone, bounded and printable, for a message. */
static void media_type(const char *ct, char *out, size_t outlen)
{
	size_t n = strcspn(ct, "; \t");
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < outlen && o < 60; i++) {
		unsigned char c = (unsigned char)ct[i];
		out[o++] = c >= 0x21 && c < 0x7f ? (char)c : '?';
	}
	out[o] = 0;
}

json_t *jsonbody_load(const char *body, size_t len, size_t flags, const char *content_type,
                      char *why, size_t whylen)
{
	if (!body || len == 0) {
		snprintf(why, whylen, "empty body");
		return NULL;
	}
	json_error_t e;
	json_t *j = json_loadb(body, len, flags, &e);
	if (j)
		return j;
	char mt[64];
	switch (json_error_code(&e)) {
	case json_error_premature_end_of_input:
		snprintf(why, whylen, "truncated JSON (ends after %zu bytes)", len);
		break;
	case json_error_stack_overflow:
		snprintf(why, whylen, "JSON nested too deep (%zu bytes)", len);
		break;
	case json_error_out_of_memory:
		snprintf(why, whylen, "JSON too large to load (%zu bytes)", len);
		break;
	default:
		if (!jsonbody_type_is_json(content_type)) {
			media_type(content_type, mt, sizeof(mt));
			snprintf(why, whylen, "not JSON but %s (%zu bytes)", mt, len);
		} else {
			snprintf(why, whylen, "not JSON (%s at byte %d of %zu)", e.text, e.position, len);
		}
		break;
	}
	return NULL;
}
