/* The reactive-consumer worker: claims jobs from the job store, has a runner spawned
 * for each, watches until GitHub shows the job picked up, and finishes it.
 *
 * Config slice: manager_id, reactive, pools, github.path; secret: {"mongodb_uri"}.
 * All store calls run on the store thread (common/offload.h); everything else on the
 * worker's loop. */
#ifndef GHR_RC_H
#define GHR_RC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "workers/runtime/worker.h"

struct js;
struct offload;

enum rc_stage { RC_CHECK, RC_SPAWN, RC_WATCH, RC_FINISH };
enum rc_finish { RC_FINISH_NONE, RC_FINISH_WANTED, RC_FINISH_SENT };

struct rc_job {
	json_t *doc;                /* the job document as this owner last wrote it */
	int64_t id, attempt;
	enum rc_stage stage;
	int busy;                   /* a call or store write in flight */
	int gone;                   /* finished, requeued or lost: drop when not busy */
	int64_t next_at;            /* wall ms: do not act before */
	int64_t next_poll;          /* wall ms: next github.job.get while watching */
	int64_t lease_deadline;     /* wall ms: stop acting after this (lease minus margin) */
	unsigned spawn_retries;
	json_t *unsaved;            /* fields of a spawn the store has not taken yet */
	enum rc_finish finish;      /* waiting for the next finish batch, or in it */
};

struct rc {
	struct worker *w;
	char owner[160];
	struct js *js;
	struct offload *off;
	int64_t in_flight, lease_ms, pickup_ms, poll_ms, backoff_ms, max_attempts, keep_done_ms;
	char kombu_db[64];
	json_t *pools;              /* the config's pools (borrowed from the slice) */
	struct rc_job **jobs;
	size_t njobs, cap;
	int claiming, renewing, checking_events, importing, finishing;
	int claim_wanted;           /* jobs were stored while a claim was under way */
	unsigned store_failures;
	int64_t next_claim, next_renew, next_events, next_prune, next_import;
	int64_t tick_timer;
	json_t *picked;             /* job id → runner name, from webhook.job events */
	json_t *failed;             /* runner name → reason, from scaler.runner.failed events */
	int stopping;
};

struct rc *rc_get(struct worker *w);

/* rc_jobs.c: one job's steps */
void rc_job_step(struct rc *rc, struct rc_job *j);
void rc_job_finish(struct rc *rc, struct rc_job *j, const char *status, const char *why);
void rc_job_picked(struct rc *rc, struct rc_job *j, const char *runner);
/* scaler.runner.failed {name, pool, reason}: remember it, and a held job waiting for that
 * runner is requeued at once (as after pickup_timeout). */
void rc_runner_failed(struct rc *rc, const json_t *body);

/* rc_store.c: the store operations, off the loop */
void rc_store_claim(struct rc *rc);
/* New jobs may be in the store: claim now, or right after the claim under way. */
void rc_store_claim_soon(struct rc *rc);
void rc_store_renew(struct rc *rc);
void rc_store_events(struct rc *rc);
void rc_store_prune(struct rc *rc);
/* Write fields of an owned job (set is stolen); then job->busy = 0, and on a lost lease
 * the job is dropped.  done may be NULL. */
void rc_store_set(struct rc *rc, struct rc_job *j, json_t *set, void (*done)(struct rc *, struct rc_job *, int ok));
/* Move the job to finished with the next batch; busy until then. */
void rc_store_finish(struct rc *rc, struct rc_job *j);
/* The other job (0: none) whose runner `runner` is, per the store; then(). */
void rc_store_runner_owner(struct rc *rc, struct rc_job *j, const char *runner,
                           void (*then)(struct rc *, struct rc_job *, const char *runner, int64_t other));

/* rc_admin.c: the control methods; rc_kombu.c: the original router's messages */
extern const struct worker_method rc_methods[];
/* A kombu message ({payload, queue, ...}, payload a JSON text whose body is
 * {"labels", "status", "url": ".../repos/O/R/actions/jobs/ID"}) → a queued job
 * document for the reactive pool whose flavor (or name) is the queue, or a dead one
 * when none is; NULL and why when it is not such a message. */
json_t *rc_kombu_job(const json_t *msg, const json_t *pools, int64_t now, char *why, size_t whylen);
/* Import one batch (req: answer it; NULL: the continuous import).  0, or -1. */
int rc_kombu_start(struct rc *rc, struct wreq *req, const char *db, int64_t limit);
void rc_store_kombu(struct rc *rc);

extern const struct worker_def rc_worker_def;

#endif
