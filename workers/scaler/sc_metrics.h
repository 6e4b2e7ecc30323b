/* Metrics: the events log of the original system and Prometheus text.
 *
 * Events log: one JSON object per line, appended to metrics.events_log, with the field
 * names and order of the original charm's metric events (timestamp, event, then the
 * event's fields; `json.dumps` separators ", " and ": "):
 *   runner_installed {flavor, duration}
 *   runner_start     {flavor, workflow, repo, github_event, idle, queue_duration?}
 *   runner_stop      {flavor, workflow, repo, github_event, status, job_duration,
 *                     job_conclusion?}
 *   reconciliation   {flavor, crashed_runners, idle_runners, active_runners,
 *                     expected_runners, duration}
 * `flavor` is the pool name.  Times are seconds (floats).  The job's details (workflow,
 * repo, github_event, queue_duration, job_conclusion) come from webhook.job events
 * (sc_jobinfo.c); without one for the runner they are empty strings or left out.
 *
 * Prometheus: the scaler's part of `ghr-ctl metrics` (ghrd adds its own, such as worker
 * restarts, and the metrics worker serves and writes the whole). */
#ifndef GHR_SC_METRICS_H
#define GHR_SC_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "workers/scaler/sc_decide.h"

char *sc_event_installed(double ts, const char *flavor, double duration);
char *sc_event_start(double ts, const char *flavor, const char *workflow, const char *repo,
                     const char *github_event, double idle, double queue_duration /* <0: none */);
char *sc_event_stop(double ts, const char *flavor, const char *workflow, const char *repo,
                    const char *github_event, const char *status, double job_duration,
                    const char *job_conclusion /* NULL: none */);
char *sc_event_reconciliation(double ts, const char *flavor, int crashed, int idle, int active,
                              int expected, double duration);
/* Append one line (with one write(2), O_APPEND).  Returns 0 or -1 (errno set). */
int sc_events_append(const char *path, const char *line);

/* Histograms of job times from webhook events, seconds: queue time (created -> started,
 * in_progress events) and job duration (started -> completed, completed events). */
#define SC_HIST_MAX 12
struct sc_hist {
	uint64_t bucket[SC_HIST_MAX + 1];     /* per bucket (not cumulative); [nbounds] is +Inf */
	double sum;
	uint64_t count;
};
struct sc_hist_bounds { int n; double le[SC_HIST_MAX]; };
extern const struct sc_hist_bounds sc_queue_bounds, sc_job_bounds;
void sc_hist_add(struct sc_hist *h, const struct sc_hist_bounds *b, double v);

struct sc_pool_metrics {
	char pool[SC_POOL_MAX];
	int runners[SC_STATE_COUNT];
	int min_idle, max_runners;
	int target, demand_target;            /* sc_pool_target at the last decision */
	double arrival_rate, boot_p90_s;      /* measured (sc_demand.h) */
	double target_queue_s;                /* demand.target_queue_time; < 0: demand off */
	int stale_vms;                        /* servers older than bootstrap_timeout neither
	                                         idle nor busy: not cleaned up (yet) */
	uint64_t creates, create_failures, deletes, delete_failures, image_fallbacks;
	struct sc_hist queue, job;            /* sc_queue_bounds, sc_job_bounds */
};

struct sc_metrics {
	const struct sc_pool_metrics *pools; size_t npools;
	uint64_t reconciles, reconcile_failures;
	double last_reconcile_s;              /* duration of the last reconcile */
	double last_success_ts;               /* epoch s of the last good reconcile; 0 none */
	const json_t *ratelimit;              /* github.ratelimit reply, or NULL */
	uint64_t watches, watch_changes, watch_failures, replacements;
	const json_t *health;                 /* sc_health_report(), or NULL */
};

/* Prometheus text exposition (format 0.0.4).  malloc'd. */
char *sc_prom_render(const struct sc_metrics *m);

#endif
