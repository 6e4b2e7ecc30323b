/* The scaler worker's state, shared by its files:
 *   sc_worker.c   config slice -> state, the worker definition, the reconcile timer
 *   sc_reconcile.c  one reconcile: list, decide, act, report, metrics
 *   sc_exec.c     the executor: create/delete jobs with bounded concurrency, backoff
 *   sc_methods.c  scaler.* handlers
 * The pure parts live in sc_names.c, sc_classify.c, sc_decide.c, sc_userdata.c,
 * sc_metrics.c and sc_image.c.  The scaler holds no secret. */
#ifndef GHR_SC_H
#define GHR_SC_H

#include <stdint.h>
#include <jansson.h>
#include "workers/runtime/worker.h"
#include "workers/scaler/sc_decide.h"
#include "workers/scaler/sc_demand.h"
#include "workers/scaler/sc_health.h"
#include "workers/scaler/sc_image.h"
#include "workers/scaler/sc_metrics.h"

#define SC_LIST_TIMEOUT_MS    120000
#define SC_CALL_TIMEOUT_MS     60000
#define SC_CREATE_TIMEOUT_MS  120000
#define SC_BACKOFF_BASE_MS      2000
#define SC_BACKOFF_CAP_MS     300000
#define SC_RETRY_FAILED_MS      5000   /* a reconcile that could not list retries this soon,
                                          then backs off up to the interval */

struct sc_pool_rt {
	char name[SC_POOL_MAX];
	const char *flavor, *network, *group;    /* borrowed from the config slice */
	json_t *labels;                          /* owned: pool labels + self-hosted */
	json_t *server_opts;                     /* owned: security_groups, key_name, ... when set */
	int min_idle_cfg, min_idle_override;     /* override -1: none (scaler.scale) */
	int max_runners;
	int reactive;                            /* pools.X.reactive: consumers spawn here */
	unsigned create_failures;                /* in a row */
	int64_t backoff_until;                   /* monotonic ms */
	struct sc_image image;
	struct sc_pool_metrics m;
	/* the target above min_idle (sc_demand.h) */
	struct sched_window *windows; size_t nwindows;
	int demand, max_idle;
	int64_t target_queue_ms, grace_ms;
	struct sc_demand *dm;                    /* owned: what was measured */
	struct sc_target target;                 /* at the last decision */
	struct sc_problem problem;               /* its creates or new VMs failing (sc_health.h) */
};

/* What the scaler knows of one runner name between reconciles (sc_track.c): kept from
 * the runner-list watch, the reconciles, the creates it started and the webhook. */
#define SC_TRK_ONLINE  1u      /* seen online (its boot time was taken, if known) */
#define SC_TRK_BUSY    2u      /* seen busy (its job counted as an arrival) */
#define SC_TRK_LISTED  4u      /* in the last runner list */
#define SC_TRK_NOW_ON  8u      /* online in the last runner list */
#define SC_TRK_NOW_BUSY 16u    /* busy in the last runner list (or said so by the webhook) */
struct sc_track {
	char name[SC_NAME_MAX];
	char pool[SC_POOL_MAX];
	int64_t created_ms;        /* create started (not queued), or VM creation, epoch ms;
	                              0 unknown */
	int64_t online_ms;         /* first seen online, epoch ms; 0 not yet */
	unsigned flags;
};

struct sc_pending_rt {
	struct sc_pending p;
	int64_t done_mono;        /* 0 while the create is queued or in flight; then when it ended */
	int64_t drop_after_mono;  /* dropped by the first reconcile whose lists start after this */
	int outcome_unknown;      /* the create's reply did not say whether a server exists */
};

struct sc_job;
struct sc_recon;

struct sc {
	struct worker *w;
	char manager_id[32];
	char prefix[40];                       /* "<manager_id>-" */
	const json_t *runner_cfg;
	const char *github_path;
	const char *events_log;                /* "" disables */
	int64_t interval_ms, creation_timeout_ms, bootstrap_timeout_ms;
	int create_conc, delete_conc;
	char *template_text;                   /* runner.user_data_template, or NULL: built in */

	struct sc_pool_rt *pools; size_t npools;
	struct sc_pending_rt *pending; size_t npending, cap_pending;
	struct sc_seen *seen; size_t nseen;

	/* the last reconciled view (answers scaler.runners/pools without API calls) */
	struct sc_row *rows; size_t nrows;
	struct sc_count *counts; size_t ncounts;
	int64_t view_wall_ms;

	uint64_t reconciles, reconcile_failures;
	unsigned failures_in_row;              /* reconciles skipped in a row (list failures) */
	double last_reconcile_s, last_success_ts;
	json_t *ratelimit;
	struct sc_problem reconcile_problem;   /* reconciles failing (sc_health.h) */
	struct sc_api_problem api_problem[SC_API_COUNT];

	struct sc_recon *recon;                /* the reconcile running, or NULL */
	int64_t timer;
	int again;                             /* run another reconcile right after this one */

	/* the runner-list watch (sc_watch.c) */
	int64_t watch_interval_ms;             /* 0: off */
	int64_t watch_timer;
	int watch_out;                         /* a listing is in flight */
	char watch_marker[128];
	int watch_parts;
	uint64_t watches, watch_changes, watch_failures, replacements;
	struct sc_track *trk; size_t ntrk, cap_trk;    /* sorted by name */
	int trk_stale;                         /* a listing stopped half-way: no top-up until
	                                          a complete one (or a reconcile) */

	struct sc_jobinfo *jobinfo; size_t njobinfo;   /* sc_jobinfo.c; room for SC_JOBINFO_MAX */

	struct sc_job *q_create, *q_delete;    /* FIFO queues */
	int run_create, run_delete;
	int stopping;
};

/* sc_worker.c */
extern const struct worker_def sc_worker_def;
extern const struct worker_method sc_methods[];   /* sc_methods.c */
struct sc *sc_get(struct worker *w);
struct sc_pool_rt *sc_pool_find(struct sc *sc, const char *name);
int sc_pool_min_idle(const struct sc_pool_rt *p);
void sc_schedule(struct sc *sc, int64_t delay_ms);
char *sc_metrics_text(struct sc *sc);

/* The decision's view of a pool now (config, override, schedule, measured demand). */
void sc_pool_input(const struct sc_pool_rt *p, struct sc_pool *out, int64_t now_wall_ms);

/* sc_track.c */
/* Record what was seen of a runner; takes a boot sample (first online) and an arrival
 * (first busy) for its pool when it was known before. */
void sc_track_observe(struct sc *sc, const char *name, const char *pool, int64_t created_ms,
                      int online, int busy, int64_t now_wall);
struct sc_track *sc_track_find(struct sc *sc, const char *name);
/* After a reconcile: take its rows as the runner list, and forget names neither in its
 * rows nor being created. */
void sc_track_from_rows(struct sc *sc);
/* Creates of a pool started since the last reconcile's rows (being created, not in them). */
int sc_track_new_creates(struct sc *sc, const char *pool);

/* sc_watch.c: the watch timer, and topping pools up from what is known now. */
void sc_watch_schedule(struct sc *sc);
void sc_topup(struct sc *sc, const char *why);
/* A pool as known now, between reconciles: the runners listed, the creates under way, and
 * the servers the last reconcile saw creating or booting whose runner is not listed. */
struct sc_pool_now {
	int ready;                 /* idle + booting + creating */
	int alive;                 /* ready + busy + offline */
	int reactive;              /* ready runners standing for their job (sc_reactive.h) */
	int held;                  /* max_runners slots in use, at least */
};
void sc_pool_now(struct sc *sc, const char *pool, int64_t now_wall, struct sc_pool_now *out);
/* Creates a top-up of pool p makes now (its target in *target): never more than the
 * reconcile would, as it counts the same runners. */
int sc_topup_creates(struct sc *sc, const struct sc_pool_rt *p, int64_t now_wall, struct sc_target *target);
/* sc_jobs.c: webhook.job events.  The parse is pure: 0, or -1 for a body not of the
 * event's shape; the strings point into body. */
enum sc_job_action { SC_JOB_OTHER = 0, SC_JOB_QUEUED, SC_JOB_IN_PROGRESS, SC_JOB_COMPLETED };
struct sc_job_event {
	enum sc_job_action action;
	const char *runner_name, *pool;   /* NULL when absent */
	const char *workflow, *repo, *github_event, *conclusion;   /* NULL when absent */
	const json_t *labels;             /* array of strings, or NULL */
	double queue_s;                   /* started_at - created_at; -1 unknown */
	double job_s;                     /* completed_at - started_at; -1 unknown */
};
int sc_job_event_parse(const json_t *body, struct sc_job_event *ev);
void sc_on_event(struct worker *w, const char *topic, const json_t *body, const char *from);

/* sc_jobinfo.c: the job each of our runners took, from webhook.job events, for the
 * events log.  Bounded: SC_JOBINFO_MAX entries (the oldest goes first), each kept
 * SC_JOBINFO_MAX_AGE_MS at most, and dropped once its runner is gone. */
#define SC_JOBINFO_MAX        1024
#define SC_JOBINFO_MAX_AGE_MS (5LL * 24 * 3600 * 1000)   /* GitHub's limit on a job */
#define SC_JOBINFO_GRACE_MS   (10LL * 60 * 1000)         /* runner not tracked yet */
struct sc_jobinfo {
	char name[SC_NAME_MAX];
	char workflow[256], repo[256], github_event[64], conclusion[32];
	double queue_s, job_s;            /* -1 unknown */
	int64_t seen_ms;                  /* the last event, epoch ms */
};
/* Record an in_progress or completed event of a runner named with our prefix. */
void sc_jobinfo_note(struct sc *sc, const struct sc_job_event *ev, int64_t now_wall);
const struct sc_jobinfo *sc_jobinfo_find(const struct sc *sc, const char *name);
/* Drop entries too old, and those of runners no longer tracked (after a grace). */
void sc_jobinfo_prune(struct sc *sc, int64_t now_wall);
/* The events log line of a lifecycle event, with the job's details when known; a
 * runner_stop line forgets the runner's entry.  malloc'd. */
char *sc_jobinfo_event_line(struct sc *sc, const struct sc_event *e, double ts);

/* sc_reconcile.c: start a reconcile, or join the one running.  waiter may be NULL. */
void sc_reconcile(struct sc *sc, struct wreq *waiter);

/* sc_pending.c: names being created (the life of an entry is described there). */
struct sc_pending_rt *sc_pending_add(struct sc *sc, const char *name, const char *pool);
struct sc_pending_rt *sc_pending_find(const struct sc *sc, const char *name);
void sc_pending_remove(struct sc *sc, const char *name);
/* The create ended: keep the entry keep_ms more (0: until the next reconcile's lists). */
void sc_pending_settle(struct sc *sc, const char *name, int64_t keep_ms);
/* Entries of a pool, whatever their state (each holds a slot of max_runners). */
size_t sc_pending_count(const struct sc *sc, const char *pool);
/* Drop the entries a reconcile whose lists were requested at t0 (monotonic) no longer
 * needs; copy the others to out (room for sc->npending).  Returns how many. */
size_t sc_pending_snapshot(struct sc *sc, int64_t t0, struct sc_pending *out);

/* sc_exec.c */
typedef void (*sc_job_done)(struct sc *sc, const struct sc_job *job, void *arg);
struct sc_job {
	struct sc_job *next;
	enum sc_act_kind kind;
	char pool[SC_POOL_MAX];
	char name[SC_NAME_MAX];
	char vm_id[SC_ID_MAX];
	int64_t runner_id;
	int guarded;
	int kill_busy;                     /* flush --busy: delete the VM even if busy */
	const char *reason;
	/* progress and outcome */
	char image_id[SC_IMAGE_ID_MAX];
	int steps;
	int ok;
	const char *outcome;               /* "created", "deleted", "left: busy", "failed", ... */
	enum proto_error error;
	char message[256];
	int64_t retry_after_ms;
	sc_job_done done;
	void *arg;
};
/* Queue an action; done (may be NULL) is called once with the outcome, always (also when
 * the action cannot even be queued).  A create gets its name (unless the action has one)
 * and its pending entry here, at once: the slot is reserved before the create starts. */
void sc_exec_submit(struct sc *sc, const struct sc_action *a, int kill_busy, sc_job_done done, void *arg);
/* worker_call, and a request that cannot be sent is answered `unavailable` at once. */
void sc_call(struct sc *sc, const char *method, json_t *body, int64_t timeout_ms, worker_call_cb cb, void *arg);
/* Every open problem (sc_health.h): {"degraded": bool, "problems": [...]}. */
json_t *sc_health_report(const struct sc *sc, int64_t now_ms);
/* After a reconcile's decision: VMs that failed before their runner was ever online are
 * failed creates of their pool (backoff), and a runner that came online clears it. */
void sc_exec_note_plan(struct sc *sc, const struct sc_plan *plan);
/* Backoff left for a pool's creates (ms, 0 none). */
/* Whether a failed os.server.create was definitely refused (no server can appear: 1)
 * or its outcome is unknown (0). */
int sc_create_refused(const struct wcall_result *r);
int64_t sc_exec_backoff_left(const struct sc *sc, const struct sc_pool_rt *p);
int sc_exec_idle(const struct sc *sc);

#endif
