/* jsonbody — load an HTTP reply body as JSON, or say briefly why it is not JSON:
 * empty, truncated, nested too deep, another content type (an HTML error page), or
 * not JSON at all.  Never copies the body into the message. */
#ifndef GHR_JSONBODY_H
#define GHR_JSONBODY_H

#include <stddef.h>
#include <jansson.h>

/* json_loadb(body, len, flags); on failure NULL and `why` filled.  content_type may be
 * NULL (unknown). */
json_t *jsonbody_load(const char *body, size_t len, size_t flags, const char *content_type,
                      char *why, size_t whylen);

/* Whether a Content-Type names JSON ("application/json", "...+json"); NULL counts as
 * JSON (unknown: let the parser decide). */
int jsonbody_type_is_json(const char *content_type);

#endif
