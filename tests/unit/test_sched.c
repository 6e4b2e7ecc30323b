/* common/sched.c: schedule windows over days, hours, midnight and time zones. */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "common/sched.h"
#include "tests/unit/unit.h"

static int64_t at_ms(int y, int m, int d, int hh, int mm)
{
	return (tz_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60) * 1000;
}

static int load(struct sched_window *w, const char *json, char *err, size_t errlen)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/tests/unit/fixtures/zoneinfo", unit_srcdir());
	json_t *cfg = json_loads(json, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	int rc = sched_window_load(w, cfg, dir, err, errlen);
	json_decref(cfg);
	return rc;
}

static void test_days(void)
{
	unsigned mask;
	char err[200];
	json_t *d = json_pack("[s]", "mon-fri");
	CU_ASSERT_EQUAL(sched_parse_days(d, &mask, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(mask, 0x3eu);
	json_decref(d);
	d = json_pack("[s, s]", "fri-mon", "wed");
	CU_ASSERT_EQUAL(sched_parse_days(d, &mask, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(mask, (1u << 5 | 1u << 6 | 1u << 0 | 1u << 1 | 1u << 3));
	json_decref(d);
	d = json_pack("[s]", "*");
	CU_ASSERT_EQUAL(sched_parse_days(d, &mask, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(mask, 0x7fu);
	json_decref(d);
	static const char *const bad[] = { "mo", "monday", "mon-", "-fri", "Mon", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = json_pack("[s]", bad[i]);
		CU_ASSERT_EQUAL(sched_parse_days(d, &mask, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "days[0]"));
		json_decref(d);
	}
	d = json_array();
	CU_ASSERT_EQUAL(sched_parse_days(d, &mask, err, sizeof(err)), -1);
	json_decref(d);
}

static void test_hhmm(void)
{
	CU_ASSERT_EQUAL(sched_parse_hhmm("08:00", 0), 480);
	CU_ASSERT_EQUAL(sched_parse_hhmm("23:59", 0), 1439);
	CU_ASSERT_EQUAL(sched_parse_hhmm("24:00", 1), 1440);
	CU_ASSERT_EQUAL(sched_parse_hhmm("24:00", 0), -1);
	static const char *const bad[] = { "8:00", "12:60", "25:00", "24:01", "ab:cd", "08-00", "08:000", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(sched_parse_hhmm(bad[i], 1), -1);
	CU_ASSERT_EQUAL(sched_parse_hhmm(NULL, 1), -1);
}

/* Weekdays 08:00-18:00 Paris: the boundaries in winter and in summer time. */
static void test_paris_office_hours(void)
{
	struct sched_window w;
	char err[400];
	CU_ASSERT_EQUAL_FATAL(load(&w, "{\"days\":[\"mon-fri\"],\"from\":\"08:00\",\"to\":\"18:00\","
	                          "\"timezone\":\"Europe/Paris\",\"min_idle\":20}", err, sizeof(err)), 0);
	/* Wednesday 2 December 2026: Paris is UTC+1 */
	CU_ASSERT_FALSE(sched_window_active(&w, at_ms(2026, 12, 2, 6, 59)));
	CU_ASSERT_TRUE(sched_window_active(&w, at_ms(2026, 12, 2, 7, 0)));
	CU_ASSERT_TRUE(sched_window_active(&w, at_ms(2026, 12, 2, 16, 59)));
	CU_ASSERT_FALSE(sched_window_active(&w, at_ms(2026, 12, 2, 17, 0)));
	/* Wednesday 1 July 2026: UTC+2 */
	CU_ASSERT_FALSE(sched_window_active(&w, at_ms(2026, 7, 1, 5, 59)));
	CU_ASSERT_TRUE(sched_window_active(&w, at_ms(2026, 7, 1, 6, 0)));
	CU_ASSERT_FALSE(sched_window_active(&w, at_ms(2026, 7, 1, 16, 0)));
	/* Saturday 5 and Sunday 6 December, Monday 7 */
	CU_ASSERT_FALSE(sched_window_active(&w, at_ms(2026, 12, 5, 10, 0)));
	CU_ASSERT_FALSE(sched_window_active(&w, at_ms(2026, 12, 6, 10, 0)));
	CU_ASSERT_TRUE(sched_window_active(&w, at_ms(2026, 12, 7, 10, 0)));
	/* Friday 23:30 UTC is Saturday 00:30 in Paris */
	CU_ASSERT_FALSE(sched_window_active(&w, at_ms(2026, 12, 4, 23, 30)));
	struct sched_window one[1] = { w };
	CU_ASSERT_EQUAL(sched_min_idle_at(one, 1, at_ms(2026, 12, 2, 9, 0)), 20);
	CU_ASSERT_EQUAL(sched_min_idle_at(one, 1, at_ms(2026, 12, 2, 20, 0)), -1);
	sched_window_free(&w);
}

static void test_overnight_and_whole_day(void)
{
	struct sched_window w;
	char err[400];
	/* Friday 22:00 to Saturday 06:00 UTC */
	CU_ASSERT_EQUAL_FATAL(load(&w, "{\"days\":[\"fri\"],\"from\":\"22:00\",\"to\":\"06:00\",\"min_idle\":3}",
	                          err, sizeof(err)), 0);
	CU_ASSERT_TRUE(sched_window_active(&w, at_ms(2026, 12, 4, 22, 0)));     /* Fri */
	CU_ASSERT_TRUE(sched_window_active(&w, at_ms(2026, 12, 5, 5, 59)));     /* Sat early */
	CU_ASSERT_FALSE(sched_window_active(&w, at_ms(2026, 12, 5, 6, 0)));
	CU_ASSERT_FALSE(sched_window_active(&w, at_ms(2026, 12, 4, 5, 0)));     /* Fri early: Thu not listed */
	CU_ASSERT_FALSE(sched_window_active(&w, at_ms(2026, 12, 5, 22, 30)));   /* Sat late */
	sched_window_free(&w);
	CU_ASSERT_EQUAL_FATAL(load(&w, "{\"days\":[\"sat\",\"sun\"],\"from\":\"00:00\",\"to\":\"24:00\",\"min_idle\":0}",
	                          err, sizeof(err)), 0);
	CU_ASSERT_TRUE(sched_window_active(&w, at_ms(2026, 12, 5, 0, 0)));
	CU_ASSERT_TRUE(sched_window_active(&w, at_ms(2026, 12, 6, 23, 59)));
	CU_ASSERT_FALSE(sched_window_active(&w, at_ms(2026, 12, 7, 0, 0)));
	sched_window_free(&w);
}

static void test_bad_windows(void)
{
	struct sched_window w;
	char err[400];
	static const struct { const char *json, *want; } bad[] = {
		{ "{\"days\":[\"mon\"],\"from\":\"08:00\",\"to\":\"18:00\",\"timezone\":\"Mars/Olympus\",\"min_idle\":1}",
		  "timezone: unknown time zone" },
		{ "{\"days\":[\"mon\"],\"from\":\"08:00\",\"to\":\"18:00\",\"timezone\":\"../../etc/passwd\",\"min_idle\":1}",
		  "timezone: time zone names" },
		{ "{\"days\":[\"mon\"],\"from\":\"08:00\",\"to\":\"08:00\",\"min_idle\":1}", "to: equals from" },
		{ "{\"days\":[\"mon\"],\"from\":\"24:00\",\"to\":\"08:00\",\"min_idle\":1}", "from: must be HH:MM" },
		{ "{\"days\":[\"mon\"],\"from\":\"08:00\",\"to\":\"8pm\",\"min_idle\":1}", "to: must be HH:MM" },
		{ "{\"days\":[\"someday\"],\"from\":\"08:00\",\"to\":\"18:00\",\"min_idle\":1}", "days[0]" },
		{ "{\"days\":[\"mon\"],\"from\":\"08:00\",\"to\":\"18:00\"}", "min_idle: required" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CU_ASSERT_EQUAL(load(&w, bad[i].json, err, sizeof(err)), -1);
		sched_window_free(&w);
		if (!strstr(err, bad[i].want)) {
			fprintf(stderr, "\n  got %s\n  want %s\n", err, bad[i].want);
			CU_FAIL("wrong error");
		}
	}
}

UNIT_SUITE(sched,
	UNIT_TEST(test_days),
	UNIT_TEST(test_hhmm),
	UNIT_TEST(test_paris_office_hours),
	UNIT_TEST(test_overnight_and_whole_day),
	UNIT_TEST(test_bad_windows))
