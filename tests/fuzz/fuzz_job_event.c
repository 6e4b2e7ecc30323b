/* Fuzz the scaler's reading of webhook.job event bodies (JSON from another process):
 * any bytes in, an event or a refusal out, never a crash; what is accepted is
 * well-formed. */
#include <stdint.h>
#include <stdlib.h>
#include <jansson.h>
#include "workers/scaler/sc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, 0, NULL);
	struct sc_job_event ev;
	if (body && sc_job_event_parse(body, &ev) == 0) {
		if (ev.action > SC_JOB_IN_PROGRESS || (ev.labels && !json_is_array(ev.labels)))
			abort();
		if (ev.queue_s != -1 && ev.queue_s < 0)
			abort();
		size_t i;
		const json_t *l;
		json_array_foreach(ev.labels, i, l)
			if (!json_string_value(l))
				abort();
	}
	json_decref(body);
	return 0;
}
