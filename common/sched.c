/* sched — schedule windows (see sched.h). */
#include <stdio.h>
#include <string.h>
#include "common/sched.h"

static const char *const wday_names[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static int wday_of(const char *s, size_t len)
{
	for (int i = 0; i < 7; i++)
		if (len == 3 && strncmp(s, wday_names[i], 3) == 0)
			return i;
	return -1;
}

int sched_parse_days(const json_t *days, unsigned *mask, char *err, size_t errlen)
{
	*mask = 0;
	size_t i;
	const json_t *d;
	if (!json_is_array(days) || json_array_size(days) == 0) {
		snprintf(err, errlen, "days: a list such as [mon-fri] or [sat, sun]");
		return -1;
	}
	json_array_foreach(days, i, d) {
		const char *s = json_string_value(d);
		if (s && strcmp(s, "*") == 0) {
			*mask = 0x7f;
			continue;
		}
		const char *dash = s ? strchr(s, '-') : NULL;
		int a = s ? wday_of(s, dash ? (size_t)(dash - s) : strlen(s)) : -1;
		int b = dash ? wday_of(dash + 1, strlen(dash + 1)) : a;
		if (a < 0 || b < 0) {
			snprintf(err, errlen, "days[%zu]: \"%.20s\" is not a day (mon, tue, wed, thu, fri, sat, "
			         "sun), a range such as mon-fri, or *", i, s ? s : "");
			return -1;
		}
		for (int k = a;; k = (k + 1) % 7) {
			*mask |= 1u << k;
			if (k == b)
				break;
		}
	}
	return 0;
}

int sched_parse_hhmm(const char *s, int allow_24)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
		return -1;
	return h * 60 + m;
}

int sched_window_load(struct sched_window *w, const json_t *cfg, const char *zoneinfo_dir,
                      char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	char why[300];
	if (sched_parse_days(json_object_get(cfg, "days"), &w->days, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	const char *from = json_string_value(json_object_get(cfg, "from"));
	const char *to = json_string_value(json_object_get(cfg, "to"));
	w->from_min = sched_parse_hhmm(from, 0);
	w->to_min = sched_parse_hhmm(to, 1);
	if (w->from_min < 0 || w->to_min < 0) {
		snprintf(err, errlen, "%s: must be HH:MM (00:00 to 23:59%s)", w->from_min < 0 ? "from" : "to",
		         w->from_min < 0 ? "" : ", or 24:00");
		return -1;
	}
	if (w->from_min == w->to_min) {
		snprintf(err, errlen, "to: equals from (an empty window); a whole day is 00:00 to 24:00");
		return -1;
	}
	const json_t *mi = json_object_get(cfg, "min_idle");
	w->min_idle = json_is_integer(mi) ? (int)json_integer_value(mi) : -1;
	if (w->min_idle < 0) {
		snprintf(err, errlen, "min_idle: required, an integer >= 0");
		return -1;
	}
	const char *zone = json_string_value(json_object_get(cfg, "timezone"));
	if (tz_load(&w->tz, zoneinfo_dir, zone ? zone : "UTC", why, sizeof(why)) != 0) {
		snprintf(err, errlen, "timezone: %s", why);
		return -1;
	}
	return 0;
}

void sched_window_free(struct sched_window *w)
{
	tz_free(&w->tz);
}

int sched_window_active(const struct sched_window *w, int64_t t_ms)
{
	int64_t t = (t_ms >= 0 ? t_ms : t_ms - 999) / 1000;
	int64_t local = t + tz_offset(&w->tz, t);
	int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int minute = (int)((local - day * 86400) / 60);
	int wd = (int)(((day + 4) % 7 + 7) % 7), yesterday = (wd + 6) % 7;
	if (w->from_min < w->to_min)
		return (w->days >> wd & 1u) && minute >= w->from_min && minute < w->to_min;
	return ((w->days >> wd & 1u) && minute >= w->from_min)
		|| ((w->days >> yesterday & 1u) && minute < w->to_min);
}

int sched_min_idle_at(const struct sched_window *w, size_t n, int64_t t_ms)
{
	for (size_t i = 0; i < n; i++)
		if (sched_window_active(&w[i], t_ms))
			return w[i].min_idle;
	return -1;
}
