/* Metrics (see sc_metrics.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "workers/scaler/sc_metrics.h"

/* ---- events log ------------------------------------------------------------------ */

/* Lines are built by hand rather than with json_dumps: Python's json.dumps (what the
 * original wrote) prints floats with repr(), the shortest text that reads back to the
 * same double ("0.1", "12.0"), which jansson's fixed precision does not. */
struct line { char buf[2048]; size_t len; int first; };

static void line_raw(struct line *l, const char *s)
{
	size_t n = strlen(s);
	if (l->len + n + 2 < sizeof(l->buf)) {
		memcpy(l->buf + l->len, s, n + 1);
		l->len += n;
	}
}

static void line_key(struct line *l, const char *key)
{
	line_raw(l, l->first ? "{\"" : ", \"");
	l->first = 0;
	line_raw(l, key);
	line_raw(l, "\": ");
}

static void line_str(struct line *l, const char *key, const char *v)
{
	json_t *j = json_string(v ? v : "");
	char *s = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	line_key(l, key);
	line_raw(l, s ? s : "\"\"");
	free(s);
	json_decref(j);
}

static void line_real(struct line *l, const char *key, double v)
{
	char num[40];
	if (!(v >= 0) || v > 1e300)        /* negative or NaN: the original's NonNegativeFloat */
		v = 0;
	if (v == 0 || (v >= 1e-4 && v < 1e16)) {
		/* repr() uses plain notation here: the fewest decimals that read back */
		for (int d = 0; d <= 17; d++) {
			snprintf(num, sizeof(num), "%.*f", d, v);
			if (strtod(num, NULL) == v)
				break;
		}
	} else {
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(num, sizeof(num), "%.*g", prec, v);
			if (strtod(num, NULL) == v)
				break;
		}
	}
	if (!strpbrk(num, ".en"))
		strcat(num, ".0");
	line_key(l, key);
	line_raw(l, num);
}

static void line_int(struct line *l, const char *key, long long v)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", v);
	line_key(l, key);
	line_raw(l, num);
}

static char *line_end(struct line *l)
{
	line_raw(l, "}");
	return strdup(l->buf);
}

static void line_begin(struct line *l, double ts, const char *event)
{
	l->len = 0;
	l->buf[0] = 0;
	l->first = 1;
	line_real(l, "timestamp", ts);
	line_str(l, "event", event);
}

char *sc_event_installed(double ts, const char *flavor, double duration)
{
	struct line l;
	line_begin(&l, ts, "runner_installed");
	line_str(&l, "flavor", flavor);
	line_real(&l, "duration", duration);
	return line_end(&l);
}

char *sc_event_start(double ts, const char *flavor, const char *workflow, const char *repo,
                     const char *github_event, double idle, double queue_duration)
{
	struct line l;
	line_begin(&l, ts, "runner_start");
	line_str(&l, "flavor", flavor);
	line_str(&l, "workflow", workflow);
	line_str(&l, "repo", repo);
	line_str(&l, "github_event", github_event);
	line_real(&l, "idle", idle);
	if (queue_duration >= 0)
		line_real(&l, "queue_duration", queue_duration);
	return line_end(&l);
}

char *sc_event_stop(double ts, const char *flavor, const char *workflow, const char *repo,
                    const char *github_event, const char *status, double job_duration,
                    const char *job_conclusion)
{
	struct line l;
	line_begin(&l, ts, "runner_stop");
	line_str(&l, "flavor", flavor);
	line_str(&l, "workflow", workflow);
	line_str(&l, "repo", repo);
	line_str(&l, "github_event", github_event);
	line_str(&l, "status", status);
	line_real(&l, "job_duration", job_duration);
	if (job_conclusion)
		line_str(&l, "job_conclusion", job_conclusion);
	return line_end(&l);
}

char *sc_event_reconciliation(double ts, const char *flavor, int crashed, int idle, int active,
                              int expected, double duration)
{
	struct line l;
	line_begin(&l, ts, "reconciliation");
	line_str(&l, "flavor", flavor);
	line_int(&l, "crashed_runners", crashed);
	line_int(&l, "idle_runners", idle);
	line_int(&l, "active_runners", active);
	line_int(&l, "expected_runners", expected);
	line_real(&l, "duration", duration);
	return line_end(&l);
}

int sc_events_append(const char *path, const char *line)
{
	size_t n = strlen(line);
	char *buf = malloc(n + 2);
	if (!buf)
		return -1;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(buf);
		return -1;
	}
	ssize_t w = write(fd, buf, n);
	int saved = errno;
	close(fd);
	free(buf);
	if (w != (ssize_t)n) {
		errno = w < 0 ? saved : EIO;
		return -1;
	}
	return 0;
}

/* ---- Prometheus text --------------------------------------------------------------- */

struct out { char *p; size_t len, cap; int oom; };

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
	if (o->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(o->p ? o->p + o->len : NULL, o->p ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->oom = 1;
			return;
		}
		if (o->p && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap ? o->cap * 2 : 4096;
		while (cap < o->len + (size_t)n + 1)
			cap *= 2;
		char *p = realloc(o->p, cap);
		if (!p) {
			o->oom = 1;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
}

/* The one table of the scaler's metric families. */
enum fam {
	F_RUNNERS, F_MIN_IDLE, F_MAX_RUNNERS, F_CREATES, F_CREATE_FAIL, F_DELETES, F_DELETE_FAIL,
	F_IMAGE_FALLBACK, F_RECONCILES, F_RECONCILE_FAIL, F_RECONCILE_SECONDS, F_RECONCILE_LAST_OK,
	F_GH_REMAINING, F_GH_LIMIT, F_GH_USED_HOUR,
	F_TARGET, F_DEMAND_TARGET, F_RATE, F_BOOT, F_QUEUE, F_WATCHES, F_WATCH_CHANGES, F_WATCH_FAIL,
	F_REPLACEMENTS, F_TARGET_QUEUE, F_STALE, F_DEGRADED, F_PROBLEM_SINCE, F_JOB, F_COUNT
};
static const struct { const char *name, *type, *help; } fams[F_COUNT] = {
	[F_RUNNERS] = { "ghr_runners", "gauge", "Runners by pool and state at the last reconcile." },
	[F_MIN_IDLE] = { "ghr_pool_min_idle", "gauge", "Idle runners the pool keeps ready." },
	[F_MAX_RUNNERS] = { "ghr_pool_max_runners", "gauge", "Cap on the pool's servers, alive or being deleted (0 = none)." },
	[F_CREATES] = { "ghr_runner_creates_total", "counter", "Runners created (VM accepted by the cloud)." },
	[F_CREATE_FAIL] = { "ghr_runner_create_failures_total", "counter", "Runner creates that failed." },
	[F_DELETES] = { "ghr_runner_deletes_total", "counter", "Runners deleted." },
	[F_DELETE_FAIL] = { "ghr_runner_delete_failures_total", "counter", "Runner deletes that failed (retried next reconcile)." },
	[F_IMAGE_FALLBACK] = { "ghr_image_fallbacks_total", "counter", "Creates that fell back to an older image of the tag." },
	[F_RECONCILES] = { "ghr_reconciles_total", "counter", "Reconciles run." },
	[F_RECONCILE_FAIL] = { "ghr_reconcile_failures_total", "counter", "Reconciles that could not list VMs or runners." },
	[F_RECONCILE_SECONDS] = { "ghr_reconcile_duration_seconds", "gauge", "Wall time of the last reconcile." },
	[F_RECONCILE_LAST_OK] = { "ghr_reconcile_last_success_timestamp_seconds", "gauge", "When the last reconcile succeeded." },
	[F_GH_REMAINING] = { "ghr_github_ratelimit_remaining", "gauge", "GitHub rate-limit budget left, by resource." },
	[F_GH_LIMIT] = { "ghr_github_ratelimit_limit", "gauge", "GitHub rate-limit budget per window, by resource." },
	[F_GH_USED_HOUR] = { "ghr_github_requests_last_hour", "gauge", "GitHub requests ghr made in the last hour." },
	[F_TARGET] = { "ghr_pool_target", "gauge", "Idle, booting and creating runners the pool wants now (min_idle, schedule and demand)." },
	[F_DEMAND_TARGET] = { "ghr_pool_demand_target", "gauge", "What the measured demand alone asks (0 when demand sizing is off)." },
	[F_RATE] = { "ghr_pool_arrival_rate", "gauge", "Jobs arriving on the pool, per second (measured)." },
	[F_BOOT] = { "ghr_pool_boot_seconds", "gauge", "90th percentile of the pool's runner boot time, create to online (0: not measured yet)." },
	[F_QUEUE] = { "ghr_job_queue_seconds", "histogram", "Time jobs waited for a runner, created to started (from webhook events)." },
	[F_JOB] = { "ghr_job_duration_seconds", "histogram", "Time our runners spent on a job, started to completed (from webhook events)." },
	[F_WATCHES] = { "ghr_runner_watches_total", "counter", "Runner-list watches completed." },
	[F_WATCH_CHANGES] = { "ghr_runner_watch_changes_total", "counter", "Runner-list watches that found the list changed (the others cost no budget)." },
	[F_WATCH_FAIL] = { "ghr_runner_watch_failures_total", "counter", "Runner-list watches that failed." },
	[F_TARGET_QUEUE] = { "ghr_pool_target_queue_seconds", "gauge", "The pool's demand.target_queue_time (pools with demand sizing only)." },
	[F_STALE] = { "ghr_pool_stale_vms", "gauge", "Servers older than bootstrap_timeout that are neither idle nor busy at the last reconcile (should be cleaned up by it)." },
	[F_REPLACEMENTS] = { "ghr_runner_replacements_total", "counter", "Runners created at once, between reconciles, to bring a pool back to its target." },
	[F_DEGRADED] = { "ghr_degraded", "gauge", "1 while the reconcile, an API or a pool is failing (ghr-ctl status says why)." },
	[F_PROBLEM_SINCE] = { "ghr_problem_since_seconds", "gauge", "When each open problem started (Unix time), by source." },
};

static void head(struct out *o, enum fam f)
{
	outf(o, "# HELP %s %s\n# TYPE %s %s\n", fams[f].name, fams[f].help, fams[f].name, fams[f].type);
}

/* Label values: escape backslash, quote and newline (exposition format). */
static const char *esc(const char *s, char *buf, size_t size)
{
	size_t j = 0;
	for (size_t i = 0; s[i] && j + 3 < size; i++) {
		char c = s[i];
		if (c == '\\' || c == '"') {
			buf[j++] = '\\';
			buf[j++] = c;
		} else if (c == '\n') {
			buf[j++] = '\\';
			buf[j++] = 'n';
		} else {
			buf[j++] = c;
		}
	}
	buf[j] = 0;
	return buf;
}

static void per_pool_u64(struct out *o, const struct sc_metrics *m, enum fam f, size_t field_off)
{
	head(o, f);
	for (size_t i = 0; i < m->npools; i++) {
		const uint64_t *v = (const uint64_t *)((const char *)&m->pools[i] + field_off);
		outf(o, "%s{pool=\"%s\"} %llu\n", fams[f].name, m->pools[i].pool, (unsigned long long)*v);
	}
}

static void ratelimit(struct out *o, const json_t *rl)
{
	const json_t *res = json_object_get(rl, "resources");
	const char *key;
	const json_t *v;
	char b[128];
	enum fam fs[2] = { F_GH_REMAINING, F_GH_LIMIT };
	const char *fields[2] = { "remaining", "limit" };
	for (int k = 0; k < 2; k++) {
		head(o, fs[k]);
		json_object_foreach((json_t *)res, key, v) {
			const json_t *n = json_object_get(v, fields[k]);
			if (json_is_integer(n))
				outf(o, "%s{resource=\"%s\"} %lld\n", fams[fs[k]].name, esc(key, b, sizeof(b)),
				     (long long)json_integer_value(n));
		}
	}
	const json_t *used = json_object_get(rl, "used_last_hour");
	if (json_is_integer(used)) {
		head(o, F_GH_USED_HOUR);
		outf(o, "%s %lld\n", fams[F_GH_USED_HOUR].name, (long long)json_integer_value(used));
	}
}

const struct sc_hist_bounds sc_queue_bounds = {
	10, { 1, 2, 5, 10, 20, 30, 60, 120, 300, 600 } };
const struct sc_hist_bounds sc_job_bounds = {
	11, { 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600 } };

void sc_hist_add(struct sc_hist *h, const struct sc_hist_bounds *b, double v)
{
	int i = 0;
	while (i < b->n && v > b->le[i])
		i++;
	h->bucket[i]++;
	h->sum += v;
	h->count++;
}

static void histogram(struct out *o, enum fam f, const char *pool, const struct sc_hist *h,
                      const struct sc_hist_bounds *b)
{
	const char *name = fams[f].name;
	uint64_t cum = 0;
	for (int i = 0; i <= b->n; i++) {
		cum += h->bucket[i];
		if (i < b->n)
			outf(o, "%s_bucket{pool=\"%s\",le=\"%g\"} %llu\n", name, pool, b->le[i], (unsigned long long)cum);
		else
			outf(o, "%s_bucket{pool=\"%s\",le=\"+Inf\"} %llu\n", name, pool, (unsigned long long)cum);
	}
	outf(o, "%s_sum{pool=\"%s\"} %.3f\n", name, pool, h->sum);
	outf(o, "%s_count{pool=\"%s\"} %llu\n", name, pool, (unsigned long long)h->count);
}

/* One gauge per pool from a field of struct sc_pool_metrics: an int, or a double (a
 * negative double means "not for this pool" and is left out). */
static void per_pool_gauge(struct out *o, const struct sc_metrics *m, enum fam f, size_t off, int is_int)
{
	head(o, f);
	for (size_t i = 0; i < m->npools; i++) {
		const char *field = (const char *)&m->pools[i] + off;
		if (is_int)
			outf(o, "%s{pool=\"%s\"} %d\n", fams[f].name, m->pools[i].pool, *(const int *)field);
		else if (*(const double *)field >= 0)
			outf(o, "%s{pool=\"%s\"} %.4f\n", fams[f].name, m->pools[i].pool, *(const double *)field);
	}
}

static void demand(struct out *o, const struct sc_metrics *m)
{
	static const struct { enum fam f; size_t off; int is_int; } gauges[] = {
		{ F_TARGET, offsetof(struct sc_pool_metrics, target), 1 },
		{ F_DEMAND_TARGET, offsetof(struct sc_pool_metrics, demand_target), 1 },
		{ F_RATE, offsetof(struct sc_pool_metrics, arrival_rate), 0 },
		{ F_BOOT, offsetof(struct sc_pool_metrics, boot_p90_s), 0 },
		{ F_TARGET_QUEUE, offsetof(struct sc_pool_metrics, target_queue_s), 0 },
		{ F_STALE, offsetof(struct sc_pool_metrics, stale_vms), 1 },
	};
	for (size_t k = 0; k < sizeof(gauges) / sizeof(gauges[0]); k++)
		per_pool_gauge(o, m, gauges[k].f, gauges[k].off, gauges[k].is_int);
	head(o, F_QUEUE);
	for (size_t i = 0; i < m->npools; i++)
		histogram(o, F_QUEUE, m->pools[i].pool, &m->pools[i].queue, &sc_queue_bounds);
	head(o, F_JOB);
	for (size_t i = 0; i < m->npools; i++)
		histogram(o, F_JOB, m->pools[i].pool, &m->pools[i].job, &sc_job_bounds);
	const uint64_t vals[] = { m->watches, m->watch_changes, m->watch_failures, m->replacements };
	const enum fam fs[] = { F_WATCHES, F_WATCH_CHANGES, F_WATCH_FAIL, F_REPLACEMENTS };
	for (size_t k = 0; k < sizeof(fs) / sizeof(fs[0]); k++) {
		head(o, fs[k]);
		outf(o, "%s %llu\n", fams[fs[k]].name, (unsigned long long)vals[k]);
	}
}

static void health(struct out *o, const json_t *h)
{
	char b[128];
	head(o, F_DEGRADED);
	outf(o, "%s %d\n", fams[F_DEGRADED].name, json_is_true(json_object_get(h, "degraded")) ? 1 : 0);
	head(o, F_PROBLEM_SINCE);
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(h, "problems"), i, p)
		outf(o, "%s{source=\"%s\"} %.3f\n", fams[F_PROBLEM_SINCE].name,
		     esc(json_string_value(json_object_get(p, "source")) ?: "", b, sizeof(b)),
		     (double)json_integer_value(json_object_get(p, "since_ms")) / 1000.0);
}

char *sc_prom_render(const struct sc_metrics *m)
{
	struct out o = { 0 };
	head(&o, F_RUNNERS);
	for (size_t i = 0; i < m->npools; i++)
		for (int s = 0; s < SC_STATE_COUNT; s++)
			outf(&o, "ghr_runners{pool=\"%s\",state=\"%s\"} %d\n", m->pools[i].pool,
			     sc_state_name((enum sc_state)s), m->pools[i].runners[s]);
	head(&o, F_MIN_IDLE);
	for (size_t i = 0; i < m->npools; i++)
		outf(&o, "ghr_pool_min_idle{pool=\"%s\"} %d\n", m->pools[i].pool, m->pools[i].min_idle);
	head(&o, F_MAX_RUNNERS);
	for (size_t i = 0; i < m->npools; i++)
		outf(&o, "ghr_pool_max_runners{pool=\"%s\"} %d\n", m->pools[i].pool, m->pools[i].max_runners);
	per_pool_u64(&o, m, F_CREATES, offsetof(struct sc_pool_metrics, creates));
	per_pool_u64(&o, m, F_CREATE_FAIL, offsetof(struct sc_pool_metrics, create_failures));
	per_pool_u64(&o, m, F_DELETES, offsetof(struct sc_pool_metrics, deletes));
	per_pool_u64(&o, m, F_DELETE_FAIL, offsetof(struct sc_pool_metrics, delete_failures));
	per_pool_u64(&o, m, F_IMAGE_FALLBACK, offsetof(struct sc_pool_metrics, image_fallbacks));
	head(&o, F_RECONCILES);
	outf(&o, "%s %llu\n", fams[F_RECONCILES].name, (unsigned long long)m->reconciles);
	head(&o, F_RECONCILE_FAIL);
	outf(&o, "%s %llu\n", fams[F_RECONCILE_FAIL].name, (unsigned long long)m->reconcile_failures);
	head(&o, F_RECONCILE_SECONDS);
	outf(&o, "%s %.6f\n", fams[F_RECONCILE_SECONDS].name, m->last_reconcile_s);
	head(&o, F_RECONCILE_LAST_OK);
	outf(&o, "%s %.3f\n", fams[F_RECONCILE_LAST_OK].name, m->last_success_ts);
	if (m->ratelimit)
		ratelimit(&o, m->ratelimit);
	demand(&o, m);
	if (m->health)
		health(&o, m->health);
	if (o.oom) {
		free(o.p);
		return NULL;
	}
	return o.p ? o.p : strdup("");
}
