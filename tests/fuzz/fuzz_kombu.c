/* Fuzz the reading of the original router's kombu messages (documents from the
 * database): a queued or dead job document of the promised shape, or a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "workers/reactive-consumer/rc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *pools;
	if (!pools)
		pools = json_loads("[{\"name\":\"rx\",\"flavor\":\"small\",\"reactive\":true}]", 0, NULL);
	json_t *msg = json_loadb((const char *)data, size, 0, NULL);
	if (!msg)
		return 0;
	char why[256];
	json_t *doc = rc_kombu_job(msg, pools, 1000, why, sizeof(why));
	if (doc) {
		const char *status = json_string_value(json_object_get(doc, "status"));
		if (json_integer_value(json_object_get(doc, "_id")) <= 0 || !status
		    || !strchr(json_string_value(json_object_get(doc, "repo")) ?: "", '/')
		    || (strcmp(status, "queued") != 0 && strcmp(status, "dead") != 0))
			abort();
		json_decref(doc);
	}
	json_decref(msg);
	return 0;
}
