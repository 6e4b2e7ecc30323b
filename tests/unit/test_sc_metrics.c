/* Metrics (workers/scaler/sc_metrics.c): the events log lines have the original
 * system's exact field names, order and number format; the Prometheus text parses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/unit/unit.h"
#include "workers/scaler/sc_health.h"
#include "workers/scaler/sc_metrics.h"

static void test_event_lines_exact(void)
{
	char *s = sc_event_installed(1763856000.5, "small", 12.0);
	CU_ASSERT_STRING_EQUAL(s, "{\"timestamp\": 1763856000.5, \"event\": \"runner_installed\", "
	                          "\"flavor\": \"small\", \"duration\": 12.0}");
	free(s);
	s = sc_event_start(1763856000.0, "small", "", "", "", 0.1, -1);
	CU_ASSERT_STRING_EQUAL(s, "{\"timestamp\": 1763856000.0, \"event\": \"runner_start\", "
	                          "\"flavor\": \"small\", \"workflow\": \"\", \"repo\": \"\", "
	                          "\"github_event\": \"\", \"idle\": 0.1}");
	free(s);
	s = sc_event_start(1.0, "small", "CI", "o/r", "push", 2.0, 3.25);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"idle\": 2.0, \"queue_duration\": 3.25}"));
	free(s);
	s = sc_event_stop(1.0, "large", "w\"f", "o/r", "push", "normal", 61.5, NULL);
	CU_ASSERT_STRING_EQUAL(s, "{\"timestamp\": 1.0, \"event\": \"runner_stop\", \"flavor\": \"large\", "
	                          "\"workflow\": \"w\\\"f\", \"repo\": \"o/r\", \"github_event\": \"push\", "
	                          "\"status\": \"normal\", \"job_duration\": 61.5}");
	free(s);
	s = sc_event_reconciliation(2.0, "small", 1, 2, 3, 4, 0.25);
	CU_ASSERT_STRING_EQUAL(s, "{\"timestamp\": 2.0, \"event\": \"reconciliation\", \"flavor\": \"small\", "
	                          "\"crashed_runners\": 1, \"idle_runners\": 2, \"active_runners\": 3, "
	                          "\"expected_runners\": 4, \"duration\": 0.25}");
	free(s);
	/* negative durations (clock steps) are clamped like the original's NonNegativeFloat */
	s = sc_event_installed(1.0, "small", -3.0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"duration\": 0.0}"));
	free(s);
}

static void test_event_lines_are_json(void)
{
	char *s = sc_event_stop(1763856000.123, "p", "a\nb\\c", "r", "e", "abnormal", 1e-3, "failure");
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(j, "timestamp")), 1763856000.123, 1e-6);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "workflow")), "a\nb\\c");
	json_decref(j);
	free(s);
}

static void test_events_append(void)
{
	char path[] = "/tmp/ghr-events-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(sc_events_append(path, "{\"a\": 1}"), 0);
	CU_ASSERT_EQUAL(sc_events_append(path, "{\"b\": 2}"), 0);
	char *text = unit_read(path);
	CU_ASSERT_STRING_EQUAL(text, "{\"a\": 1}\n{\"b\": 2}\n");
	free(text);
	unlink(path);
	CU_ASSERT_EQUAL(sc_events_append("/nonexistent-dir/x.log", "{}"), -1);
}

static void test_prometheus_text(void)
{
	struct sc_pool_metrics pools[2] = { 0 };
	snprintf(pools[0].pool, sizeof(pools[0].pool), "small");
	pools[0].runners[SC_IDLE] = 3;
	pools[0].runners[SC_BUSY] = 2;
	pools[0].min_idle = 3;
	pools[0].creates = 7;
	snprintf(pools[1].pool, sizeof(pools[1].pool), "large");
	pools[1].create_failures = 2;
	json_t *rl = json_pack("{s:{s:{s:i,s:i}, s:{s:i,s:i}}, s:i}", "resources",
	                       "core", "limit", 5000, "remaining", 4990,
	                       "we\"ird", "limit", 1, "remaining", 0, "used_last_hour", 10);
	struct sc_problem gh = { 0 };
	sc_problem_fail(&gh, 1763856000000LL, "github.runners.list: unavailable: connection refused");
	json_t *health = json_pack("{s:b, s:[o]}", "degraded", 1, "problems",
	                           sc_problem_json(&gh, "github", 1763856060000LL));
	struct sc_metrics m = { .pools = pools, .npools = 2, .reconciles = 4, .reconcile_failures = 1,
	                        .last_reconcile_s = 0.125, .last_success_ts = 1763856000.0, .ratelimit = rl,
	                        .health = health };
	char *t = sc_prom_render(&m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE ghr_runners gauge\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_runners{pool=\"small\",state=\"idle\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_runners{pool=\"small\",state=\"busy\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_runners{pool=\"large\",state=\"dangling\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_runner_creates_total{pool=\"small\"} 7\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_runner_create_failures_total{pool=\"large\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_reconciles_total 4\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_reconcile_duration_seconds 0.125000\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_github_ratelimit_remaining{resource=\"core\"} 4990\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_github_ratelimit_remaining{resource=\"we\\\"ird\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "ghr_github_requests_last_hour 10\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\nghr_degraded 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\nghr_problem_since_seconds{source=\"github\"} 1763856000.000\n"));
	/* every line is a comment or `name{labels} value`; each family has HELP and TYPE once */
	int types = 0;
	for (char *line = t; *line;) {
		char *nl = strchr(line, '\n');
		CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
		if (line[0] == '#') {
			CU_ASSERT_TRUE(strncmp(line, "# HELP ghr_", 11) == 0 || strncmp(line, "# TYPE ghr_", 11) == 0);
			types += strncmp(line, "# TYPE", 6) == 0;
		} else {
			CU_ASSERT_TRUE(strncmp(line, "ghr_", 4) == 0);
			char *sp = memrchr(line, ' ', (size_t)(nl - line));
			CU_ASSERT_PTR_NOT_NULL(sp);
			char *end = NULL;
			strtod(sp + 1, &end);
			CU_ASSERT_PTR_EQUAL(end, nl);
		}
		line = nl + 1;
	}
	CU_ASSERT_EQUAL(types, 29);
	free(t);
	json_decref(rl);
	json_decref(health);

	/* without a rate-limit reading those families are absent */
	m.ratelimit = NULL;
	t = sc_prom_render(&m);
	CU_ASSERT_PTR_NULL(strstr(t, "ghr_github_ratelimit"));
	free(t);
}

/* A problem opens at the first failure, keeps its start and the latest error while
 * failures go on, and is gone after one success. */
static void test_problem_lifecycle(void)
{
	struct sc_problem p = { 0 };
	CU_ASSERT_PTR_NULL(sc_problem_json(&p, "reconcile", 1000));
	sc_problem_fail(&p, 1000, "os.servers.list failed: %s", "timeout");
	sc_problem_fail(&p, 4000, "os.servers.list failed: %s", "unavailable");
	json_t *j = sc_problem_json(&p, "reconcile", 6000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "error")), "os.servers.list failed: unavailable");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "since_ms")), 1000);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "for_ms")), 5000);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "failures")), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "since")), "1970-01-01T00:00:01Z");
	json_decref(j);
	sc_problem_clear(&p);
	CU_ASSERT_PTR_NULL(sc_problem_json(&p, "reconcile", 7000));
	sc_problem_fail(&p, 8000, "again");
	j = sc_problem_json(&p, "reconcile", 8000);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "since_ms")), 8000);
	json_decref(j);
	/* which answers count as the service failing */
	CU_ASSERT_TRUE(sc_error_is_outage(PROTO_E_UNAVAILABLE) && sc_error_is_outage(PROTO_E_UNAUTHORIZED));
	CU_ASSERT_FALSE(sc_error_is_outage(PROTO_E_NOT_FOUND) || sc_error_is_outage(PROTO_E_CONFLICT));
	CU_ASSERT_EQUAL(sc_api_of("github.runners.list"), SC_API_GITHUB);
	CU_ASSERT_EQUAL(sc_api_of("os.server.create"), SC_API_OPENSTACK);
	CU_ASSERT_EQUAL(sc_api_of("scaler.pools"), SC_API_COUNT);
}

/* An API's problem stays open until every method that failed has succeeded again: the
 * runner-list watch's answers do not hide a failing github.runner.jit. */
static void test_api_problem_per_method(void)
{
	struct sc_api_problem a = { 0 };
	sc_api_ok(&a, "github.runners.list");
	CU_ASSERT_PTR_NULL(sc_problem_json(&a.p, "github", 1000));
	sc_api_fail(&a, "github.runner.jit", 1000, "github.runner.jit: unavailable: down");
	sc_api_ok(&a, "github.runners.list");
	json_t *j = sc_problem_json(&a.p, "github", 2000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "error")), "github.runner.jit: unavailable: down");
	json_decref(j);
	sc_api_fail(&a, "github.runner.delete", 3000, "github.runner.delete: timeout: slow");
	sc_api_fail(&a, "github.runner.jit", 3500, "github.runner.jit: unavailable: down");
	sc_api_ok(&a, "github.runner.jit");
	j = sc_problem_json(&a.p, "github", 4000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "since_ms")), 1000);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "failures")), 3);
	json_decref(j);
	sc_api_ok(&a, "github.runner.delete");
	CU_ASSERT_PTR_NULL(sc_problem_json(&a.p, "github", 5000));
	CU_ASSERT_EQUAL(a.nfailing, 0);
}

UNIT_SUITE(sc_metrics,
	UNIT_TEST(test_problem_lifecycle),
	UNIT_TEST(test_api_problem_per_method),
	UNIT_TEST(test_event_lines_exact),
	UNIT_TEST(test_event_lines_are_json),
	UNIT_TEST(test_events_append),
	UNIT_TEST(test_prometheus_text))
