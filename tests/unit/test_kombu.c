/* The original router's kombu messages → job documents. */
#include <string.h>

#include "tests/unit/unit.h"
#include "workers/reactive-consumer/rc.h"

static const char *const pools_json =
	"[{\"name\":\"plain\",\"flavor\":\"small\"},{\"name\":\"rx\",\"flavor\":\"small\",\"reactive\":true}]";

static json_t *message(const char *queue, const char *body, const char *encoding)
{
	json_t *env = json_pack("{s:s, s:{}}", "body", body, "properties");
	if (encoding)
		json_object_set_new(json_object_get(env, "properties"), "body_encoding", json_string(encoding));
	char *payload = json_dumps(env, JSON_COMPACT);
	json_t *m = json_pack("{s:s, s:s, s:i}", "payload", payload, "queue", queue, "priority", 9);
	free(payload);
	json_decref(env);
	return m;
}

static void test_kombu_messages(void)
{
	json_t *pools = json_loads(pools_json, 0, NULL);
	char why[256];
	/* {"labels":["self-hosted","rx"],"status":"queued","url":".../repos/o/r/actions/jobs/42"} */
	const char *b64 = "eyJsYWJlbHMiOiBbInNlbGYtaG9zdGVkIiwgInJ4Il0sICJzdGF0dXMiOiAicXVldWVkIiwgInVybCI6ICJodHRw"
	                  "czovL2FwaS5naXRodWIuY29tL3JlcG9zL28vci9hY3Rpb25zL2pvYnMvNDIifQ==";
	json_t *m = message("small", b64, "base64");
	json_t *doc = rc_kombu_job(m, pools, 1000, why, sizeof(why));
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(doc, "_id")), 42);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "repo")), "o/r");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "pool")), "rx");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "status")), "queued");
	json_decref(doc);
	json_decref(m);
	m = message("medium", "{\"labels\":[],\"url\":\"https://x/repos/o/r/actions/jobs/7\"}", NULL);
	doc = rc_kombu_job(m, pools, 1000, why, sizeof(why));
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "status")), "dead");
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(doc, "reason")), "medium"));
	json_decref(doc);
	json_decref(m);
	static const char *const bad_bodies[] = {
		"{\"labels\":[],\"url\":\"https://x/repos/o/actions/jobs/7\"}",
		"{\"labels\":[],\"url\":\"https://x/repos/o/r/actions/jobs/x7\"}",
		"{\"url\":\"https://x/repos/o/r/actions/jobs/7\"}",
		"not json",
	};
	for (size_t i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]); i++) {
		m = message("small", bad_bodies[i], NULL);
		CU_ASSERT_PTR_NULL(rc_kombu_job(m, pools, 1000, why, sizeof(why)));
		json_decref(m);
	}
	m = message("small", "@@@@", "base64");
	CU_ASSERT_PTR_NULL(rc_kombu_job(m, pools, 1000, why, sizeof(why)));
	json_decref(m);
	m = json_pack("{s:s}", "payload", "{}");
	CU_ASSERT_PTR_NULL(rc_kombu_job(m, pools, 1000, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not a kombu message"));
	json_decref(m);
	json_decref(pools);
}

UNIT_SUITE(kombu,
	UNIT_TEST(test_kombu_messages))
