/* common/tzif.c: TZif files, the footer's POSIX rule, and bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/tzif.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static int64_t at(int y, int m, int d, int hh, int mm)
{
	return tz_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

static void load_paris(struct tz_zone *z)
{
	char dir[4096], err[400];
	snprintf(dir, sizeof(dir), "%s/tests/unit/fixtures/zoneinfo", unit_srcdir());
	CU_ASSERT_EQUAL_FATAL(tz_load(z, dir, "Europe/Paris", err, sizeof(err)), 0);
}

/* A TZif v2 file with no transition at all: only the footer says what happens. */
static size_t rule_only(unsigned char *buf, size_t cap, const char *rule)
{
	size_t n = 0;
	for (int part = 0; part < 2; part++) {
		memset(buf + n, 0, 44);
		memcpy(buf + n, "TZif2", 5);
		buf[n + 39] = 1;               /* typecnt 1 */
		buf[n + 43] = 4;               /* charcnt 4 */
		n += 44;
		unsigned char type[6] = { 0, 0, 0x0e, 0x10, 0, 0 };   /* +3600, std */
		memcpy(buf + n, type, 6);
		memcpy(buf + n + 6, "CET", 4);
		n += 10;
	}
	n += (size_t)snprintf((char *)buf + n, cap - n, "\n%s\n", rule);
	return n;
}

static void test_paris_offsets(void)
{
	struct tz_zone z;
	load_paris(&z);
	CU_ASSERT_EQUAL(tz_offset(&z, at(2026, 1, 15, 12, 0)), 3600);
	CU_ASSERT_EQUAL(tz_offset(&z, at(2026, 7, 15, 12, 0)), 7200);
	/* 2026: summer time from Sunday 29 March 01:00 UTC to Sunday 25 October 01:00 UTC */
	CU_ASSERT_EQUAL(tz_offset(&z, at(2026, 3, 29, 1, 0) - 1), 3600);
	CU_ASSERT_EQUAL(tz_offset(&z, at(2026, 3, 29, 1, 0)), 7200);
	CU_ASSERT_EQUAL(tz_offset(&z, at(2026, 10, 25, 1, 0) - 1), 7200);
	CU_ASSERT_EQUAL(tz_offset(&z, at(2026, 10, 25, 1, 0)), 3600);
	/* past the table's end (2037) the footer rule goes on */
	CU_ASSERT_EQUAL(tz_offset(&z, at(2050, 7, 1, 0, 0)), 7200);
	CU_ASSERT_EQUAL(tz_offset(&z, at(2050, 12, 1, 0, 0)), 3600);
	CU_ASSERT_EQUAL(tz_offset(&z, at(2050, 3, 27, 1, 0)), 7200);   /* last Sunday of March 2050 */
	CU_ASSERT_EQUAL(tz_offset(&z, at(2050, 3, 27, 1, 0) - 1), 3600);
	/* before the first transition: local mean time (+0:09:21) */
	CU_ASSERT_EQUAL(tz_offset(&z, at(1850, 1, 1, 0, 0)), 561);
	tz_free(&z);
}

/* The footer rule alone gives what the table gives, every six hours of 2024-2030. */
static void test_rule_matches_table(void)
{
	struct tz_zone table, rule;
	unsigned char buf[512];
	char err[200];
	load_paris(&table);
	size_t n = rule_only(buf, sizeof(buf), "CET-1CEST,M3.5.0,M10.5.0/3");
	CU_ASSERT_EQUAL_FATAL(tz_parse(&rule, buf, n, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(rule.has_rule && rule.has_dst);
	int mismatches = 0;
	for (int64_t t = at(2024, 1, 1, 0, 0); t < at(2031, 1, 1, 0, 0); t += 6 * 3600)
		mismatches += tz_offset(&table, t) != tz_offset(&rule, t);
	CU_ASSERT_EQUAL(mismatches, 0);
	tz_free(&table);
	tz_free(&rule);

	/* southern hemisphere: summer time spans the new year (Australia/Sydney's rule) */
	n = rule_only(buf, sizeof(buf), "AEST-10AEDT,M10.1.0,M4.1.0/3");
	CU_ASSERT_EQUAL_FATAL(tz_parse(&rule, buf, n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(tz_offset(&rule, at(2026, 1, 15, 0, 0)), 11 * 3600);
	CU_ASSERT_EQUAL(tz_offset(&rule, at(2026, 6, 15, 0, 0)), 10 * 3600);
	tz_free(&rule);

	/* a fixed zone with a quoted name */
	n = rule_only(buf, sizeof(buf), "<+0530>-5:30");
	CU_ASSERT_EQUAL_FATAL(tz_parse(&rule, buf, n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(tz_offset(&rule, at(2026, 6, 15, 0, 0)), 5 * 3600 + 1800);
	tz_free(&rule);

	/* a rule of a form not handled (Jn): the last offset stays */
	n = rule_only(buf, sizeof(buf), "XST-1XDT,J60,J300");
	CU_ASSERT_EQUAL_FATAL(tz_parse(&rule, buf, n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(tz_offset(&rule, at(2026, 6, 15, 0, 0)), 3600);
	tz_free(&rule);
}

static void test_utc_and_names(void)
{
	struct tz_zone z;
	char err[400];
	CU_ASSERT_EQUAL(tz_load(&z, "/nonexistent", "UTC", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(tz_offset(&z, at(2026, 7, 1, 0, 0)), 0);
	tz_free(&z);
	static const char *const bad[] = { "", "../etc/passwd", "/etc/passwd", "Europe/../../x", "a b", "Europe\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CU_ASSERT_EQUAL(tz_load(&z, NULL, bad[i], err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "time zone names"));
	}
	CU_ASSERT_EQUAL(tz_load(&z, NULL, "Mars/Olympus_Mons", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown time zone"));
}

static void test_garbage(void)
{
	struct tz_zone z;
	char err[200];
	unsigned char buf[512];
	CU_ASSERT_EQUAL(tz_parse(&z, (const unsigned char *)"hello", 5, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a TZif"));
	size_t n = rule_only(buf, sizeof(buf), "CET-1");
	/* every truncation is refused or parsed, never read past the end */
	for (size_t cut = 0; cut < n; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);
		memcpy(copy, buf, cut);
		if (tz_parse(&z, copy, cut, err, sizeof(err)) == 0)
			tz_free(&z);
		free(copy);
	}
	/* a type count of 0, and a transition naming a missing type */
	n = rule_only(buf, sizeof(buf), "CET-1");
	buf[39] = 0;
	CU_ASSERT_EQUAL(tz_parse(&z, buf, n, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "counts"));
}

static void test_civil_days(void)
{
	CU_ASSERT_EQUAL(tz_days_from_civil(1970, 1, 1), 0);
	CU_ASSERT_EQUAL(tz_days_from_civil(2000, 3, 1), 11017);
	int64_t y;
	int m, d;
	for (int64_t day = -800000; day < 800000; day += 997) {
		tz_civil_from_days(day, &y, &m, &d);
		CU_ASSERT_EQUAL(tz_days_from_civil(y, m, d), day);
	}
}

UNIT_SUITE(tzif,
	UNIT_TEST(test_paris_offsets),
	UNIT_TEST(test_rule_matches_table),
	UNIT_TEST(test_utc_and_names),
	UNIT_TEST(test_garbage),
	UNIT_TEST(test_civil_days))
