/* workers/scaler/sc_jobs.c: reading webhook.job event bodies. */
#include <stdio.h>
#include <stdlib.h>
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
	CU_ASSERT_EQUAL(ev.action, SC_JOB_COMPLETED);
	CU_ASSERT_EQUAL(ev.job_s, -1);
	CU_ASSERT_PTR_NULL(ev.conclusion);
	json_decref(b);
	CU_ASSERT_EQUAL(parse("{\"action\":\"completed\",\"workflow\":\"CI\",\"repo\":\"o/r\",\"github_event\":\"push\","
	                      "\"conclusion\":\"success\",\"started_at\":\"2026-01-01T10:00:00Z\","
	                      "\"completed_at\":\"2026-01-01T10:02:00Z\"}", &ev, &b), 0);
	CU_ASSERT_STRING_EQUAL(ev.workflow, "CI");
	CU_ASSERT_STRING_EQUAL(ev.repo, "o/r");
	CU_ASSERT_STRING_EQUAL(ev.github_event, "push");
	CU_ASSERT_STRING_EQUAL(ev.conclusion, "success");
	CU_ASSERT_DOUBLE_EQUAL(ev.job_s, 120.0, 1e-9);
	CU_ASSERT_EQUAL(ev.queue_s, -1);
	json_decref(b);
	CU_ASSERT_EQUAL(parse("{\"action\":\"waiting\"}", &ev, &b), 0);
	CU_ASSERT_EQUAL(ev.action, SC_JOB_OTHER);
	json_decref(b);
	static const char *const bad[] = {
		"[]", "{}", "{\"action\":1}", "{\"action\":\"queued\",\"labels\":\"small\"}",
		"{\"action\":\"queued\",\"labels\":[\"a\",2]}", "{\"action\":\"in_progress\",\"runner_name\":7}",
		"{\"action\":\"queued\",\"pool\":[\"small\"]}", "{\"action\":\"completed\",\"workflow\":3}",
		"{\"action\":\"completed\",\"conclusion\":{}}", "{\"action\":\"in_progress\",\"repo\":true}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(parse(bad[i], &ev, &b), -1);
		json_decref(b);
	}
}

/* Feed one event body to the job map, as sc_on_event does. */
static void note(struct sc *sc, const char *text, int64_t now)
{
	struct sc_job_event ev;
	json_t *b;
	CU_ASSERT_EQUAL_FATAL(parse(text, &ev, &b), 0);
	sc_jobinfo_note(sc, &ev, now);
	json_decref(b);
}

static char *line_of(struct sc *sc, enum sc_evt_kind kind, const char *name, double measured_s)
{
	struct sc_event e = { .kind = kind, .pool = "small", .idle_s = 2.0, .job_s = measured_s, .status = "normal" };
	snprintf(e.name, sizeof(e.name), "%s", name);
	return sc_jobinfo_event_line(sc, &e, 1.0);
}

static void test_events_log_details(void)
{
	struct sc sc = { .prefix = "m1-" };
	/* no event for the runner: the fields stay as without webhooks */
	char *s = line_of(&sc, SC_EVT_START, "m1-small-1", 0);
	CU_ASSERT_STRING_EQUAL(s, "{\"timestamp\": 1.0, \"event\": \"runner_start\", \"flavor\": \"small\", "
	                          "\"workflow\": \"\", \"repo\": \"\", \"github_event\": \"\", \"idle\": 2.0}");
	free(s);
	s = line_of(&sc, SC_EVT_STOP, "m1-small-1", 30.0);
	CU_ASSERT_STRING_EQUAL(s, "{\"timestamp\": 1.0, \"event\": \"runner_stop\", \"flavor\": \"small\", "
	                          "\"workflow\": \"\", \"repo\": \"\", \"github_event\": \"\", \"status\": \"normal\", "
	                          "\"job_duration\": 30.0}");
	free(s);

	note(&sc, "{\"action\":\"in_progress\",\"runner_name\":\"m1-small-1\",\"workflow\":\"CI\",\"repo\":\"o/r\","
	          "\"github_event\":\"push\",\"created_at\":\"2026-01-01T10:00:00Z\",\"started_at\":\"2026-01-01T10:00:04.5Z\"}", 1000);
	/* another manager's runner is not ours to remember */
	note(&sc, "{\"action\":\"in_progress\",\"runner_name\":\"m2-small-1\",\"workflow\":\"CI\"}", 1000);
	CU_ASSERT_EQUAL(sc.njobinfo, 1);
	s = line_of(&sc, SC_EVT_START, "m1-small-1", 0);
	CU_ASSERT_STRING_EQUAL(s, "{\"timestamp\": 1.0, \"event\": \"runner_start\", \"flavor\": \"small\", "
	                          "\"workflow\": \"CI\", \"repo\": \"o/r\", \"github_event\": \"push\", \"idle\": 2.0, "
	                          "\"queue_duration\": 4.5}");
	free(s);
	/* the completed event: the webhook's duration and conclusion; the stop forgets the runner */
	note(&sc, "{\"action\":\"completed\",\"runner_name\":\"m1-small-1\",\"workflow\":\"CI\",\"repo\":\"o/r\","
	          "\"conclusion\":\"failure\",\"started_at\":\"2026-01-01T10:00:04.5Z\",\"completed_at\":\"2026-01-01T10:01:05Z\"}", 2000);
	CU_ASSERT_EQUAL(sc.njobinfo, 1);
	s = line_of(&sc, SC_EVT_STOP, "m1-small-1", 90.0);
	CU_ASSERT_STRING_EQUAL(s, "{\"timestamp\": 1.0, \"event\": \"runner_stop\", \"flavor\": \"small\", "
	                          "\"workflow\": \"CI\", \"repo\": \"o/r\", \"github_event\": \"push\", \"status\": \"normal\", "
	                          "\"job_duration\": 60.5, \"job_conclusion\": \"failure\"}");
	free(s);
	CU_ASSERT_EQUAL(sc.njobinfo, 0);
	CU_ASSERT_PTR_NULL(sc_jobinfo_find(&sc, "m1-small-1"));
	free(sc.jobinfo);
}

static void test_jobinfo_bounded(void)
{
	struct sc sc = { .prefix = "m1-" };
	char body[160];
	/* bounded in count: the oldest goes first */
	for (int i = 0; i <= SC_JOBINFO_MAX; i++) {
		snprintf(body, sizeof(body), "{\"action\":\"in_progress\",\"runner_name\":\"m1-small-%d\"}", i);
		note(&sc, body, 1000 + i);
	}
	CU_ASSERT_EQUAL(sc.njobinfo, SC_JOBINFO_MAX);
	CU_ASSERT_PTR_NULL(sc_jobinfo_find(&sc, "m1-small-0"));
	CU_ASSERT_PTR_NOT_NULL(sc_jobinfo_find(&sc, "m1-small-1"));
	snprintf(body, sizeof(body), "m1-small-%d", SC_JOBINFO_MAX);
	CU_ASSERT_PTR_NOT_NULL(sc_jobinfo_find(&sc, body));
	/* runners not tracked: kept for the grace, then dropped; a tracked one stays until
	 * the age limit */
	int64_t t0 = 1000 + SC_JOBINFO_MAX;
	sc_track_observe(&sc, "m1-small-5", "small", 0, 1, 1, t0);
	sc_jobinfo_prune(&sc, t0 + SC_JOBINFO_GRACE_MS / 2);
	CU_ASSERT_EQUAL(sc.njobinfo, SC_JOBINFO_MAX);
	sc_jobinfo_prune(&sc, t0 + SC_JOBINFO_GRACE_MS + 1);
	CU_ASSERT_EQUAL(sc.njobinfo, 1);
	CU_ASSERT_PTR_NOT_NULL(sc_jobinfo_find(&sc, "m1-small-5"));
	sc_jobinfo_prune(&sc, 1005 + SC_JOBINFO_MAX_AGE_MS + 1);
	CU_ASSERT_EQUAL(sc.njobinfo, 0);
	free(sc.jobinfo);
	free(sc.trk);
}

static void test_job_duration_histogram(void)
{
	struct sc_pool_metrics p = { .pool = "small" };
	sc_hist_add(&p.job, &sc_job_bounds, 45);
	sc_hist_add(&p.job, &sc_job_bounds, 60);
	sc_hist_add(&p.job, &sc_job_bounds, 1e6);
	sc_hist_add(&p.queue, &sc_queue_bounds, 3);
	struct sc_metrics m = { .pools = &p, .npools = 1 };
	char *t = sc_prom_render(&m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE ghr_job_duration_seconds histogram\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_job_duration_seconds_bucket{pool=\"small\",le=\"30\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_job_duration_seconds_bucket{pool=\"small\",le=\"60\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_job_duration_seconds_bucket{pool=\"small\",le=\"21600\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_job_duration_seconds_bucket{pool=\"small\",le=\"+Inf\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_job_duration_seconds_count{pool=\"small\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_job_queue_seconds_bucket{pool=\"small\",le=\"2\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_job_queue_seconds_bucket{pool=\"small\",le=\"5\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_job_queue_seconds_sum{pool=\"small\"} 3.000\n"));
	free(t);
}

UNIT_SUITE(sc_jobs,
	UNIT_TEST(test_events),
	UNIT_TEST(test_events_log_details),
	UNIT_TEST(test_jobinfo_bounded),
	UNIT_TEST(test_job_duration_histogram))
