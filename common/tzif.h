/* tzif — UTC offsets from the system time-zone database, without touching TZ.
 *
 * A zone is read from its TZif file (RFC 8536, versions 1 to 4) under /usr/share/zoneinfo:
 * the 64-bit transition table, then the footer's POSIX TZ rule for times after the last
 * transition (rules of the "Mm.w.d[/time]" form; other forms keep the last offset).  The
 * process's own TZ, tzset() and localtime() are never used, so the answer does not depend
 * on the environment and several zones can be used at once.  "UTC" needs no file. */
#ifndef GHR_TZIF_H
#define GHR_TZIF_H

#include <stddef.h>
#include <stdint.h>

#define TZ_ZONEINFO_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX 64
#define TZIF_MAX_BYTES (256 * 1024)

struct tz_rule_point {                 /* Mm.w.d/secs: week w (5 = last) weekday d of month m */
	int month, week, wday;
	int32_t secs;                      /* local time of day of the change, seconds */
};

struct tz_zone {
	char name[TZ_NAME_MAX];
	int64_t *trans;                    /* transition times, epoch s, ascending */
	int32_t *trans_off;                /* UTC offset (s, east positive) from each transition */
	size_t ntrans;
	int32_t first_off;                 /* offset before the first transition */
	int has_rule;                      /* the footer gives the offsets after the last one */
	int has_dst;
	int32_t std_off, dst_off;
	struct tz_rule_point start, end;
};

/* Parse TZif bytes into z (zeroed first).  0, or -1 with a message naming what is wrong. */
int tz_parse(struct tz_zone *z, const unsigned char *buf, size_t len, char *err, size_t errlen);
/* Load zone `name` ("Europe/Paris", "UTC") from dir (NULL: TZ_ZONEINFO_DIR).  0 or -1. */
int tz_load(struct tz_zone *z, const char *dir, const char *name, char *err, size_t errlen);
/* The zone's UTC offset at epoch second t (seconds, east positive). */
int32_t tz_offset(const struct tz_zone *z, int64_t t);
void tz_free(struct tz_zone *z);

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif
