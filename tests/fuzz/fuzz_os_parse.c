/* Fuzz every parser of OpenStack replies and the clouds.yaml loader: any bytes in,
 * an answer or an error out, never a crash, and every produced object well-formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/clouds.h"
#include "workers/openstack/os_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_servers(const json_t *reply)
{
	json_t *out = json_array();
	int next;
	char last[64], err[256];
	if (os_parse_servers_page(reply, "m", out, &next, last, sizeof last, err, sizeof err) >= 0) {
		size_t i;
		json_t *s;
		json_array_foreach(out, i, s)
			if (!json_string_value(json_object_get(s, "id")) || !json_is_object(json_object_get(s, "metadata")))
				abort();
	}
	json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], msg[256], a[16], b[16], url[256], id[64];
	int64_t e, s;
	int missing;
	os_error_message(500, NULL, (const char *)data, size, msg, sizeof msg);
	if (!memchr(msg, 0, sizeof msg) || !msg[0])
		abort();
	os_error_message(502, "text/html", (const char *)data, size, msg, sizeof msg);
	if (!memchr(msg, 0, sizeof msg) || !msg[0])
		abort();

	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (j) {
		check_servers(j);
		os_parse_token(j, &e, &s, err, sizeof err);
		os_catalog_pick(j, "compute", "public", NULL, url, sizeof url, err, sizeof err);
		os_parse_version(j, a, b, sizeof a, err, sizeof err);
		json_t *out = json_array();
		char next[128];
		os_parse_images_page(j, out, next, sizeof next, err, sizeof err);
		json_decref(out);
		json_decref(os_parse_flavors(j, err, sizeof err));
		json_decref(os_parse_limits(j, err, sizeof err));
		os_find_id_by_name(j, "networks", "n", id, sizeof id, &missing, err, sizeof err);
		json_t *body = os_auth_body(j, err, sizeof err);
		json_decref(body);
		json_decref(j);
	}
	json_t *entry = os_clouds_load_string((const char *)data, size, "fuzz", "a", err, sizeof err);
	if (!entry && !memchr(err, 0, sizeof err))
		abort();
	os_clouds_wipe(entry);
	return 0;
}
