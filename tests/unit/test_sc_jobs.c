/* workers/scaler/sc_jobs.c: reading webhook.job event bodies. */
#include <string.h>
#include <jansson.h>
#include "tests/unit/unit.h"
#include "workers/scaler/sc.h"

static int parse(const char *text, struct sc_job_event *ev, json_t **keep)
{
	*keep = json_loads(text, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*keep);
	return sc_job_event_parse(*keep, ev);
}

static void test_events(void)
{
	struct sc_job_event ev;
	json_t *b;
	CU_ASSERT_EQUAL(parse("{\"action\":\"queued\",\"job_id\":1,\"labels\":[\"self-hosted\",\"small\"]}", &ev, &b), 0);
	CU_ASSERT_EQUAL(ev.action, SC_JOB_QUEUED);
	CU_ASSERT_EQUAL(json_array_size(ev.labels), 2);
	CU_ASSERT_PTR_NULL(ev.runner_name);
	CU_ASSERT_EQUAL(ev.queue_s, -1);
	json_decref(b);
	CU_ASSERT_EQUAL(parse("{\"action\":\"in_progress\",\"runner_name\":\"ghr-small-00000001\",\"pool\":\"small\","
	                      "\"created_at\":\"2026-01-01T10:00:00Z\",\"started_at\":\"2026-01-01T10:00:04.5Z\"}", &ev, &b), 0);
	CU_ASSERT_EQUAL(ev.action, SC_JOB_IN_PROGRESS);
	CU_ASSERT_STRING_EQUAL(ev.runner_name, "ghr-small-00000001");
	CU_ASSERT_STRING_EQUAL(ev.pool, "small");
	CU_ASSERT_DOUBLE_EQUAL(ev.queue_s, 4.5, 1e-9);
	json_decref(b);
	/* started before created, or a time that does not parse: no queue time */
	CU_ASSERT_EQUAL(parse("{\"action\":\"in_progress\",\"created_at\":\"2026-01-01T10:00:05Z\","
	                      "\"started_at\":\"2026-01-01T10:00:04Z\"}", &ev, &b), 0);
	CU_ASSERT_EQUAL(ev.queue_s, -1);
	json_decref(b);
	CU_ASSERT_EQUAL(parse("{\"action\":\"in_progress\",\"created_at\":\"yesterday\",\"started_at\":\"2026-01-01T10:00:04Z\","
	                      "\"runner_name\":null}", &ev, &b), 0);
	CU_ASSERT_EQUAL(ev.queue_s, -1);
	CU_ASSERT_PTR_NULL(ev.runner_name);
	json_decref(b);
	CU_ASSERT_EQUAL(parse("{\"action\":\"completed\"}", &ev, &b), 0);
	CU_ASSERT_EQUAL(ev.action, SC_JOB_OTHER);
	json_decref(b);
	static const char *const bad[] = {
		"[]", "{}", "{\"action\":1}", "{\"action\":\"queued\",\"labels\":\"small\"}",
		"{\"action\":\"queued\",\"labels\":[\"a\",2]}", "{\"action\":\"in_progress\",\"runner_name\":7}",
		"{\"action\":\"queued\",\"pool\":[\"small\"]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(parse(bad[i], &ev, &b), -1);
		json_decref(b);
	}
}

UNIT_SUITE(sc_jobs,
	UNIT_TEST(test_events))
