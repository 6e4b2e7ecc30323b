/* Fuzz the scaler's reading of webhook.job event bodies (JSON from another process):
 * any bytes in, an event or a refusal out, never a crash; what is accepted is
 * well-formed, and the events log lines built from it are JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include "workers/scaler/sc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Kept across inputs: the job map fills up to its bound. */
static struct sc sc = { .prefix = "ghr-" };

static void line_is_json(enum sc_evt_kind kind, const char *name)
{
	struct sc_event e = { .kind = kind, .pool = "p", .status = "normal" };
	snprintf(e.name, sizeof(e.name), "%s", name);
	char *s = sc_jobinfo_event_line(&sc, &e, 1.0);
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;
	if (!j)
		abort();
	json_decref(j);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, 0, NULL);
	struct sc_job_event ev;
	if (body && sc_job_event_parse(body, &ev) == 0) {
		if (ev.action > SC_JOB_COMPLETED || (ev.labels && !json_is_array(ev.labels)))
			abort();
		if ((ev.queue_s != -1 && ev.queue_s < 0) || (ev.job_s != -1 && ev.job_s < 0))
			abort();
		size_t i;
		const json_t *l;
		json_array_foreach(ev.labels, i, l)
			if (!json_string_value(l))
				abort();
		sc_jobinfo_note(&sc, &ev, (int64_t)size);
		if (sc.njobinfo > SC_JOBINFO_MAX)
			abort();
		if (ev.runner_name) {
			line_is_json(SC_EVT_START, ev.runner_name);
			if (ev.action == SC_JOB_COMPLETED)
				line_is_json(SC_EVT_STOP, ev.runner_name);
		}
	}
	json_decref(body);
	return 0;
}
