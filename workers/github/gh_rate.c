/* Rate-limit bookkeeping per GitHub resource (core, actions_runner_registration, …).
 *
 * The x-ratelimit-* headers of every reply are the truth; between replies the budget is
 * decremented locally on every send, so that a burst of requests in flight cannot spend
 * the reserve before the first reply comes back.  Admission:
 *   - a secondary limit (retry-after) blocks every call to that resource until then;
 *   - remaining 0 before the reset blocks every call;
 *   - remaining <= reserve blocks everything but cleanup calls (runner deletes), so that
 *     creation can never starve the deletes that free slots and stop leaks;
 *   - a low budget (remaining <= max(2*reserve, reserve+100)) paces the other calls: what
 *     is left above the reserve is spread evenly over the rest of the window, so a burst
 *     cannot spend it in a second and leave the hour idle.  A paced call is answered
 *     rate_limited with the few ms to wait, never queued.
 * Pure: the caller passes the wall clock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/github/gh.h"

void gh_rl_init(struct gh_rl *rl, int64_t reserve)
{
	memset(rl, 0, sizeof(*rl));
	rl->reserve = reserve;
}

struct gh_rl_res *gh_rl_get(struct gh_rl *rl, const char *resource)
{
	for (int i = 0; i < rl->n; i++)
		if (strcmp(rl->res[i].name, resource) == 0)
			return &rl->res[i];
	/* GitHub has about a dozen resources.  Past the table (a server naming dozens of
	 * made-up ones), an unknown name gets the scratch slot: what is learnt about it is
	 * lost, but nothing already known is. */
	struct gh_rl_res *r = rl->n < GH_RL_MAX_RES ? &rl->res[rl->n++] : &rl->scratch;
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", resource);
	return r;
}

int64_t gh_rl_admit(struct gh_rl *rl, const char *resource, int cleanup, int is_free,
                    int64_t now, char *why, size_t whylen)
{
	if (is_free)
		return 0;
	struct gh_rl_res *r = gh_rl_get(rl, resource);
	if (r->blocked_until_ms > now) {
		snprintf(why, whylen, "GitHub secondary rate limit on %s: no calls for %lld ms",
		         r->name, (long long)(r->blocked_until_ms - now));
		return r->blocked_until_ms - now;
	}
	if (!r->known || r->reset_ms <= now)
		return 0;      /* unknown, or the window has refilled since we last heard */
	int64_t wait = r->reset_ms - now;
	if (r->remaining <= 0) {
		snprintf(why, whylen, "GitHub primary rate limit on %s reached (limit %lld); resets in %lld ms",
		         r->name, (long long)r->limit, (long long)wait);
		return wait;
	}
	if (!cleanup && r->remaining <= rl->reserve) {
		snprintf(why, whylen, "GitHub rate limit on %s down to %lld, the reserve kept for cleanup; "
		         "resets in %lld ms", r->name, (long long)r->remaining, (long long)wait);
		return wait;
	}
	int64_t low_mark = rl->reserve * 2 > rl->reserve + 100 ? rl->reserve * 2 : rl->reserve + 100;
	if (!cleanup && r->remaining <= low_mark) {
		int64_t spare = r->remaining - rl->reserve;
		int64_t interval = wait / (spare > 0 ? spare : 1);
		if (r->next_paced_ms > now) {
			snprintf(why, whylen, "GitHub rate limit on %s low (%lld left): one call every %lld ms",
			         r->name, (long long)r->remaining, (long long)interval);
			return r->next_paced_ms - now;
		}
		r->next_paced_ms = now + interval;
	}
	return 0;
}

void gh_rl_on_send(struct gh_rl *rl, const char *resource, int is_free)
{
	if (is_free)
		return;
	struct gh_rl_res *r = gh_rl_get(rl, resource);
	r->in_flight++;
	if (r->known && r->remaining > 0)
		r->remaining--;
}

static int64_t header_int(const struct http_response *resp, const char *name, int64_t *out)
{
	const char *v = http_header_get(resp, name);
	if (!v || !*v)
		return -1;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (*end || n < 0 || errno == ERANGE)
		return -1;
	*out = n;
	return 0;
}

static void count_request(struct gh_rl *rl, int64_t now)
{
	int64_t minute = now / 60000;
	int slot = (int)(minute % 60);
	if (rl->minute_of[slot] != minute) {
		rl->minute_of[slot] = minute;
		rl->count[slot] = 0;
	}
	rl->count[slot]++;
	rl->requests_total++;
}

void gh_rl_on_reply(struct gh_rl *rl, const char *guessed_resource,
                    const struct http_response *resp, int is_free, int64_t now)
{
	if (!is_free) {         /* the call gh_rl_on_send counted is answered */
		struct gh_rl_res *g = gh_rl_get(rl, guessed_resource);
		if (g->in_flight > 0)
			g->in_flight--;
	}
	if (resp->status == 0)
		return;         /* nothing reached us: GitHub may or may not have counted it */
	/* A 401 carries the budget of an anonymous caller (60), a 5xx may come from a proxy
	 * in front of the API: neither says anything about our budget. */
	int trusted = resp->status != 401 && resp->status < 500;
	const char *named = http_header_get(resp, "x-ratelimit-resource");
	int64_t limit, remaining, reset, used;
	struct gh_rl_res *r = gh_rl_get(rl, named && *named && strlen(named) < 40 ? named
	                                                                      : guessed_resource);
	if (trusted && header_int(resp, "x-ratelimit-limit", &limit) == 0 &&
	    header_int(resp, "x-ratelimit-remaining", &remaining) == 0 &&
	    header_int(resp, "x-ratelimit-reset", &reset) == 0 && reset <= GH_RL_RESET_MAX_S) {
		/* A reply from an older window (overtaken by newer ones) says nothing current.
		 * Within a window the latest header wins over the local decrements (they
		 * over-count requests that turned out free, 304), less the calls still in
		 * flight: GitHub had not counted those when it answered this one. */
		int64_t reset_ms = reset * 1000;
		if (!r->known || reset_ms >= r->reset_ms) {
			r->remaining = remaining > r->in_flight ? remaining - r->in_flight : 0;
			r->limit = limit;
			r->reset_ms = reset_ms;
			r->known = 1;
			if (header_int(resp, "x-ratelimit-used", &used) == 0)
				r->used = used;
		}
	}
	if (!is_free && resp->status != 304)
		count_request(rl, now);
}

void gh_rl_block(struct gh_rl *rl, const char *resource, int64_t until_ms)
{
	struct gh_rl_res *r = gh_rl_get(rl, resource);
	if (until_ms > r->blocked_until_ms)
		r->blocked_until_ms = until_ms;
}

int64_t gh_rl_retry_after_ms(const char *value, int64_t dflt_ms)
{
	if (!value || !*value)
		return dflt_ms;
	char *end;
	errno = 0;
	long long secs = strtoll(value, &end, 10);
	if (end == value || secs <= 0)
		return dflt_ms;        /* an HTTP-date, junk, zero or negative */
	if (errno == ERANGE || secs > GH_RETRY_AFTER_MAX_S)
		secs = GH_RETRY_AFTER_MAX_S;
	return (int64_t)secs * 1000;
}

int64_t gh_rl_limited(struct gh_rl *rl, const char *resource, long status,
                      const char *retry_after, const char *remaining, int secondary_text,
                      int64_t now, int *secondary)
{
	*secondary = 0;
	if (status != 403 && status != 429)
		return 0;
	int spent = remaining && strcmp(remaining, "0") == 0;
	if ((retry_after && *retry_after) || secondary_text || (status == 429 && !spent)) {
		int64_t wait = gh_rl_retry_after_ms(retry_after, GH_SECONDARY_DEFAULT_MS);
		/* GitHub: no retry-after and remaining 0 -> not before x-ratelimit-reset */
		if (spent && !(retry_after && *retry_after)) {
			const struct gh_rl_res *r = gh_rl_get(rl, resource);
			if (r->reset_ms - now > wait)
				wait = r->reset_ms - now;
		}
		gh_rl_block(rl, resource, now + wait);
		*secondary = 1;
		return wait;
	}
	if (spent) {
		const struct gh_rl_res *r = gh_rl_get(rl, resource);
		return r->reset_ms > now ? r->reset_ms - now : 1000;
	}
	return 0;
}

void gh_rl_merge(struct gh_rl *rl, const json_t *resources, int64_t now)
{
	const char *name;
	json_t *v;
	json_object_foreach((json_t *)resources, name, v) {
		if (strlen(name) >= 40)
			continue;
		json_int_t limit = json_integer_value(json_object_get(v, "limit"));
		json_int_t remaining = json_integer_value(json_object_get(v, "remaining"));
		json_int_t used = json_integer_value(json_object_get(v, "used"));
		json_int_t reset = json_integer_value(json_object_get(v, "reset"));
		if (reset < 0 || reset > GH_RL_RESET_MAX_S || limit < 0 || remaining < 0 || used < 0)
			continue;      /* nonsense: keep what we knew */
		struct gh_rl_res *r = gh_rl_get(rl, name);
		if (r == &rl->scratch)
			continue;      /* table full: not worth a slot */
		r->limit = limit;
		r->remaining = remaining > r->in_flight ? remaining - r->in_flight : 0;
		r->used = used;
		r->reset_ms = reset * 1000;
		r->known = 1;
	}
	(void)now;
}

int64_t gh_rl_used_last_hour(const struct gh_rl *rl, int64_t now)
{
	int64_t minute = now / 60000, sum = 0;
	for (int i = 0; i < 60; i++)
		if (rl->minute_of[i] > minute - 60 && rl->minute_of[i] <= minute)
			sum += rl->count[i];
	return sum;
}

json_t *gh_rl_report(const struct gh_rl *rl, int64_t now)
{
	json_t *out = json_object();
	for (int i = 0; i < rl->n; i++) {
		const struct gh_rl_res *r = &rl->res[i];
		json_t *o = json_object();
		if (r->known) {
			json_object_set_new(o, "limit", json_integer(r->limit));
			json_object_set_new(o, "remaining", json_integer(r->remaining));
			json_object_set_new(o, "used", json_integer(r->used));
			json_object_set_new(o, "reset", json_integer(r->reset_ms / 1000));
		}
		if (r->blocked_until_ms > now)
			json_object_set_new(o, "blocked_ms", json_integer(r->blocked_until_ms - now));
		json_object_set_new(out, r->name, o);
	}
	return out;
}
