/* Fuzz what the webhook worker does with bytes from the network: the signature check and
 * the workflow_job parser with routing.  Any bytes: a record of the promised shape or a
 * verdict, never a crash.  Seeds: copies of GitHub's documented workflow_job samples
 * (tests/fixtures/api/webhooks/workflow_job.*.json) and small hand-made inputs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "workers/webhook/wh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wh_pool *pools;
	static size_t npools;
	static struct wh_scope scope;
	if (!pools) {
		json_t *cfg = json_loads("[{\"name\":\"a\",\"labels\":[\"x\",\"GPU\"],\"reactive\":true},"
		                         "{\"name\":\"b\",\"labels\":[\"y\"]}]", 0, NULL);
		pools = wh_pools_from(cfg, &npools);
		json_decref(cfg);
		char err[128];
		wh_scope_parse("ghr-org", &scope, err, sizeof(err));
	}
	char *hdr = malloc(size + 1);
	memcpy(hdr, data, size);
	hdr[size] = 0;
	if (wh_signature_ok("secret", 6, (const char *)data, size, hdr) != 0 && size != 71)
		abort();      /* only "sha256=" + 64 hex digits can ever match */
	free(hdr);
	enum wh_verdict v;
	char err[512];
	json_t *rec = wh_job_record((const char *)data, size, &scope, pools, npools, &v, err, sizeof(err));
	if (rec) {
		if (v != WH_OK || json_integer_value(json_object_get(rec, "job_id")) <= 0
		    || !json_is_array(json_object_get(rec, "labels"))
		    || !json_string_value(json_object_get(rec, "repo"))
		    || (!json_object_get(rec, "pool") && !json_object_get(rec, "dead_reason")))
			abort();
		json_decref(rec);
	} else if (v == WH_OK)
		abort();
	return 0;
}
