/* Fuzz the loader of HTTP reply bodies: any bytes and any content type in, a JSON value
 * or a short, terminated reason out; never a crash, never the body copied. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/jsonbody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the first line is the content type, the rest the body */
	const uint8_t *nl = memchr(data, '\n', size < 80 ? size : 80);
	char ctype[81] = "";
	const char *body = (const char *)data;
	size_t len = size;
	if (nl) {
		memcpy(ctype, data, (size_t)(nl - data));
		ctype[nl - data] = 0;
		body = (const char *)nl + 1;
		len = size - (size_t)(nl - data) - 1;
	}
	char why[160];
	why[0] = 0;
	json_t *j = jsonbody_load(body, len, JSON_DECODE_ANY, nl ? ctype : NULL, why, sizeof why);
	if (!j && (!why[0] || !memchr(why, 0, sizeof why)))
		abort();
	json_decref(j);
	jsonbody_type_is_json(nl ? ctype : NULL);
	return 0;
}
