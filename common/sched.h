/* sched — a pool's schedule: time windows (days of the week, hours, time zone) with
 * their own min_idle.  Parsed once from the config (ghrd checks it, the scaler uses it);
 * evaluated purely, the clock given by the caller.
 *
 * A window holds from `from` (inclusive) to `to` (exclusive), local time of its zone, on
 * each of its days; `to` before `from` spans midnight (the day is the day it starts on);
 * "24:00" ends at midnight.  At a daylight-saving change local time follows the zone. */
#ifndef GHR_SCHED_H
#define GHR_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "common/tzif.h"

struct sched_window {
	unsigned days;                 /* bit d: weekday d, 0 = Sunday */
	int from_min, to_min;          /* minutes of the local day, to_min up to 1440 */
	int min_idle;
	struct tz_zone tz;
};

/* "mon".."sun", ranges "mon-fri" (wrapping "fri-mon"), "*" = every day.  0 or -1. */
int sched_parse_days(const json_t *days, unsigned *mask, char *err, size_t errlen);
/* "HH:MM" (00:00-23:59, and 24:00 when allow_24).  Minutes, or -1. */
int sched_parse_hhmm(const char *s, int allow_24);
/* One window from its config object {days, from, to, timezone, min_idle}; zones from
 * zoneinfo_dir (NULL: the system's).  0, or -1 with err naming the key at fault. */
int sched_window_load(struct sched_window *w, const json_t *cfg, const char *zoneinfo_dir,
                      char *err, size_t errlen);
void sched_window_free(struct sched_window *w);
/* Whether the window holds at epoch ms t. */
int sched_window_active(const struct sched_window *w, int64_t t_ms);
/* min_idle of the first window holding at t, or -1 when none does. */
int sched_min_idle_at(const struct sched_window *w, size_t n, int64_t t_ms);

#endif
