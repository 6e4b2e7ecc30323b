/* jsonwipe — overwrite every string inside a JSON value (secrets are strings somewhere
 * in it: a token, a private key PEM, a clouds.yaml password) before it is freed. */
#ifndef GHR_JSONWIPE_H
#define GHR_JSONWIPE_H

#include <jansson.h>

/* Wipes in place; strings shared with other values (json_deep_copy shares none, a
 * plain json_object_set does) are wiped for them too.  NULL is fine. */
void jsonwipe(json_t *v);

#endif
