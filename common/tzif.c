/* tzif — TZif reader and POSIX TZ footer rules (see tzif.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/tzif.h"
#include "common/util.h"

#define TZIF_HEADER 44
#define TZIF_MAX_COUNT 100000

static void fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

int64_t tz_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* ---- the footer: a POSIX TZ string ------------------------------------------------- */

static const char *tz_name_part(const char *s)
{
	if (*s == '<') {
		const char *e = strchr(s, '>');
		return e && e - s >= 4 ? e + 1 : NULL;
	}
	const char *b = s;
	while (isalpha((unsigned char)*s))
		s++;
	return s - b >= 3 ? s : NULL;
}

/* [+-]hh[:mm[:ss]] with hours up to max_h; NULL when malformed. */
static const char *tz_hms(const char *s, int max_h, int32_t *out)
{
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	int v[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		if (i > 0 && *s != ':')
			break;
		if (i > 0)
			s++;
		if (!isdigit((unsigned char)*s))
			return NULL;
		int n = 0, digits = 0;
		while (isdigit((unsigned char)*s) && digits < 3) {
			n = n * 10 + (*s++ - '0');
			digits++;
		}
		v[i] = n;
	}
	if (v[0] > max_h || v[1] > 59 || v[2] > 59)
		return NULL;
	*out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
	return s;
}

static const char *tz_rule_point(const char *s, struct tz_rule_point *p)
{
	char *e;
	if (*s++ != 'M')
		return NULL;               /* Jn and n forms: not supported */
	p->month = (int)strtol(s, &e, 10);
	if (e == s || *e != '.' || p->month < 1 || p->month > 12)
		return NULL;
	s = e + 1;
	p->week = (int)strtol(s, &e, 10);
	if (e == s || *e != '.' || p->week < 1 || p->week > 5)
		return NULL;
	s = e + 1;
	p->wday = (int)strtol(s, &e, 10);
	if (e == s || p->wday < 0 || p->wday > 6)
		return NULL;
	s = e;
	p->secs = 7200;
	if (*s == '/')
		s = tz_hms(s + 1, 167, &p->secs);
	return s;
}

/* Fills the rule of z; 0, or -1 when the footer is not of a form handled here. */
static int tz_footer(struct tz_zone *z, const char *s)
{
	int32_t off;
	if (!(s = tz_name_part(s)) || !(s = tz_hms(s, 24, &off)))
		return -1;
	z->std_off = -off;
	z->dst_off = z->std_off + 3600;
	if (*s == 0) {
		z->has_rule = 1;
		return 0;
	}
	if (!(s = tz_name_part(s)))
		return -1;
	if (*s != ',' && *s) {
		if (!(s = tz_hms(s, 24, &off)))
			return -1;
		z->dst_off = -off;
	}
	if (*s++ != ',' || !(s = tz_rule_point(s, &z->start)) || *s++ != ','
	    || !(s = tz_rule_point(s, &z->end)) || *s)
		return -1;
	z->has_rule = z->has_dst = 1;
	return 0;
}

/* Epoch second at which rule point p happens in year y, p->secs being local time at
 * offset off. */
static int64_t tz_point_time(const struct tz_rule_point *p, int64_t y, int32_t off)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t first = tz_days_from_civil(y, p->month, 1);
	int wd1 = (int)(((first + 4) % 7 + 7) % 7);            /* 1970-01-01 was a Thursday */
	int day = 1 + (p->wday - wd1 + 7) % 7 + (p->week - 1) * 7;
	int len = mdays[p->month - 1] + (p->month == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
	while (day > len)
		day -= 7;
	return (first + day - 1) * 86400 + p->secs - off;
}

static int32_t tz_rule_offset(const struct tz_zone *z, int64_t t)
{
	if (!z->has_dst)
		return z->std_off;
	int64_t y;
	int m, d;
	tz_civil_from_days((t + z->std_off) / 86400 - ((t + z->std_off) % 86400 < 0), &y, &m, &d);
	int64_t start = tz_point_time(&z->start, y, z->std_off);
	int64_t end = tz_point_time(&z->end, y, z->dst_off);
	int dst = start < end ? t >= start && t < end : !(t >= end && t < start);
	return dst ? z->dst_off : z->std_off;
}

/* ---- the file ---------------------------------------------------------------------- */

struct tz_counts { uint32_t isut, isstd, leap, time, type, chr; };

static void tz_counts_read(const unsigned char *h, struct tz_counts *c)
{
	c->isut = be32(h + 20);
	c->isstd = be32(h + 24);
	c->leap = be32(h + 28);
	c->time = be32(h + 32);
	c->type = be32(h + 36);
	c->chr = be32(h + 40);
}

static size_t tz_block_len(const struct tz_counts *c, int tsize)
{
	return (size_t)c->time * (size_t)(tsize + 1) + (size_t)c->type * 6 + c->chr
		+ (size_t)c->leap * (size_t)(tsize + 4) + c->isstd + c->isut;
}

static int tz_counts_ok(const struct tz_counts *c)
{
	return c->type >= 1 && c->type <= 256 && c->time <= TZIF_MAX_COUNT && c->leap <= TZIF_MAX_COUNT
		&& c->chr <= TZIF_MAX_COUNT && (c->isut == 0 || c->isut == c->type)
		&& (c->isstd == 0 || c->isstd == c->type);
}

int tz_parse(struct tz_zone *z, const unsigned char *buf, size_t len, char *err, size_t errlen)
{
	memset(z, 0, sizeof(*z));
	struct tz_counts c;
	if (len < TZIF_HEADER || memcmp(buf, "TZif", 4) != 0) {
		fail(err, errlen, "not a TZif file (no TZif header)");
		return -1;
	}
	int version = buf[4];
	tz_counts_read(buf, &c);
	if (!tz_counts_ok(&c) || len - TZIF_HEADER < tz_block_len(&c, 4)) {
		fail(err, errlen, "TZif header counts are invalid or the file is truncated");
		return -1;
	}
	const unsigned char *h = buf;
	int tsize = 4;
	if (version >= '2') {                    /* skip the 32-bit block: use the 64-bit one */
		size_t at = TZIF_HEADER + tz_block_len(&c, 4);
		if (len - at < TZIF_HEADER || memcmp(buf + at, "TZif", 4) != 0) {
			fail(err, errlen, "TZif second header missing");
			return -1;
		}
		h = buf + at;
		tz_counts_read(h, &c);
		tsize = 8;
		if (!tz_counts_ok(&c) || (size_t)(buf + len - h) - TZIF_HEADER < tz_block_len(&c, 8)) {
			fail(err, errlen, "TZif 64-bit header counts are invalid or the file is truncated");
			return -1;
		}
	}
	const unsigned char *times = h + TZIF_HEADER, *idx = times + (size_t)c.time * (size_t)tsize;
	const unsigned char *types = idx + c.time;
	z->ntrans = c.time;
	z->trans = calloc(c.time ? c.time : 1, sizeof(*z->trans));
	z->trans_off = calloc(c.time ? c.time : 1, sizeof(*z->trans_off));
	if (!z->trans || !z->trans_off) {
		tz_free(z);
		fail(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < c.time; i++) {
		z->trans[i] = tsize == 8 ? be64(times + 8 * (size_t)i) : (int32_t)be32(times + 4 * (size_t)i);
		if (idx[i] >= c.type || (i > 0 && z->trans[i] <= z->trans[i - 1])) {
			tz_free(z);
			fail(err, errlen, "TZif transitions are out of order or name a missing type");
			return -1;
		}
		z->trans_off[i] = (int32_t)be32(types + 6 * (size_t)idx[i]);
	}
	z->first_off = (int32_t)be32(types);
	if (tsize == 8) {
		const unsigned char *foot = h + TZIF_HEADER + tz_block_len(&c, 8), *end = buf + len;
		if (foot < end && *foot == '\n') {
			const unsigned char *nl = memchr(foot + 1, '\n', (size_t)(end - foot - 1));
			char rule[128];
			if (nl && (size_t)(nl - foot - 1) < sizeof(rule)) {
				memcpy(rule, foot + 1, (size_t)(nl - foot - 1));
				rule[nl - foot - 1] = 0;
				if (rule[0] && tz_footer(z, rule) != 0)
					z->has_rule = z->has_dst = 0;     /* keep the last transition's offset */
			}
		}
	}
	return 0;
}

static int tz_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= TZ_NAME_MAX || name[0] == '/' || strstr(name, ".."))
		return 0;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") == n;
}

int tz_load(struct tz_zone *z, const char *dir, const char *name, char *err, size_t errlen)
{
	memset(z, 0, sizeof(*z));
	if (!tz_name_ok(name)) {
		fail(err, errlen, "time zone names are like Europe/Paris (letters, digits, _ + - /)");
		return -1;
	}
	if (strcmp(name, "UTC") == 0) {
		snprintf(z->name, sizeof(z->name), "UTC");
		return 0;
	}
	char path[512], why[400];
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : TZ_ZONEINFO_DIR, name);
	size_t len = 0;
	char *buf = read_file(path, TZIF_MAX_BYTES, &len);
	if (!buf) {
		snprintf(why, sizeof(why), "unknown time zone (cannot read %.300s; is tzdata installed?)", path);
		fail(err, errlen, why);
		return -1;
	}
	int rc = tz_parse(z, (const unsigned char *)buf, len, why, sizeof(why));
	free(buf);
	if (rc != 0) {
		char msg[400];
		snprintf(msg, sizeof(msg), "%.150s: %.200s", path, why);
		fail(err, errlen, msg);
		return -1;
	}
	snprintf(z->name, sizeof(z->name), "%s", name);
	return 0;
}

int32_t tz_offset(const struct tz_zone *z, int64_t t)
{
	if (z->ntrans == 0)
		return z->has_rule ? tz_rule_offset(z, t) : z->first_off;
	if (t < z->trans[0])
		return z->first_off;
	if (t >= z->trans[z->ntrans - 1] && z->has_rule)
		return tz_rule_offset(z, t);
	size_t lo = 0, hi = z->ntrans;             /* last transition <= t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->trans_off[lo];
}

void tz_free(struct tz_zone *z)
{
	free(z->trans);
	free(z->trans_off);
	z->trans = NULL;
	z->trans_off = NULL;
	z->ntrans = 0;
}
