/* The reconcile decision: a pure function from what the cloud and GitHub show (plus a
 * little memory of earlier observations, the config and the clock) to a list of actions
 * (DESIGN.md §5, §9).  No I/O, no globals, no clock reads: everything comes in through
 * struct sc_input, so every rule is unit-tested (tests/unit/test_sc_decide*.c).
 *
 * Rules, per runner name (VM and GitHub runner joined by name):
 *   VM ERROR                                   -> failed, deleted now (and replaced);
 *                                                 GitHub first when its runner is busy
 *   VM SHUTOFF/STOPPED/SHELVED*                -> finished, deleted
 *   VM being deleted (task_state deleting or soft-deleting, status DELETED or
 *   SOFT_DELETED)                              -> deleting: never deleted again, except once
 *                                                 when it is still there creation_timeout
 *                                                 after it was first seen so (a stuck delete);
 *                                                 its GitHub runner, if any, is deleted
 *                                                 unless busy (GitHub first when the stuck
 *                                                 delete is sent again)
 *   VM BUILD (or unknown status, runner offline):
 *        older than creation_timeout           -> failed
 *        else                                  -> creating
 *   VM ACTIVE, runner busy                     -> busy (never deleted by reconcile)
 *   VM ACTIVE, runner online                   -> idle
 *   VM ACTIVE, runner offline or absent:
 *        seen online before, runner now absent -> finished (its one job is done), on the
 *                                                 second look in a row; on the first it
 *                                                 stays busy (if it was) or offline
 *        seen online before, runner offline    -> offline; failed once offline for
 *                                                 longer than bootstrap_timeout
 *        never online, older than bootstrap_timeout, and already so at the previous
 *        observation                           -> failed (two observations, never one)
 *        else                                  -> booting
 *   runner without VM, create in flight        -> creating
 *   runner without VM, seen so at the previous reconcile too and not busy
 *                                              -> dangling, deleted (GitHub first)
 * A VM without a readable `created` is aged from when it was first seen.
 * Two VMs with one name: the one kept is the ACTIVE (then building) one, then the older,
 * then the smaller id; the others are deleted, except that none that could run the runner
 * is deleted while that runner is online or busy (it may be the one running the job).
 * Per pool: create target - (idle + creating + booting) runners, never above
 * max_runners, where the target is min_idle or what the schedule and the measured
 * demand ask (sc_demand.h); delete idle runners beyond the target (creating and booting ones,
 * e.g. spawned for a job, never make an idle runner surplus), or beyond max_runners;
 * idle ones only (GitHub delete first: a 422 means it just took a job, and it is left
 * alone; with demand on and no operator override, only those older than the grace
 * period, oldest first).  VMs of a pool no longer configured are this manager's
 * (metadata says so): their pool's target is 0.
 * max_runners caps the servers a pool has in the cloud, not only its live runners: a
 * server being deleted (or deleted in this reconcile: finished, failed, a duplicate)
 * still uses the project's quota (instances, cores, RAM) until Nova has removed it, which
 * takes seconds to minutes.  Counting it is what keeps a cycling pool's footprint at
 * max_runners; not counting it let a pool of max_runners 10 hold 45 servers.  So a
 * creation waits for a slot held by a server that is going.  Scale-down ("beyond
 * max_runners") counts live runners only: servers already going need no help.
 *
 * Known limit: a runner's memory (seen online, seen busy) is lost when the scaler
 * restarts; the two-observation rules make that safe, at the cost of one interval. */
#ifndef GHR_SC_DECIDE_H
#define GHR_SC_DECIDE_H

#include <stddef.h>
#include <stdint.h>
#include "workers/scaler/sc_names.h"

#define SC_ID_MAX 64

enum sc_state {
	SC_CREATING = 0, SC_BOOTING, SC_IDLE, SC_BUSY, SC_OFFLINE,
	SC_FINISHED, SC_FAILED, SC_DANGLING, SC_DELETING, SC_STATE_COUNT
};
const char *sc_state_name(enum sc_state s);

struct sc_vm {                  /* one server from os.servers.list */
	char id[SC_ID_MAX];
	char name[SC_NAME_MAX];
	char pool[SC_POOL_MAX];     /* metadata ghr-pool, else parsed from the name */
	char status[20];            /* Nova status: BUILD, ACTIVE, ERROR, SHUTOFF, ... */
	int64_t created_ms;         /* epoch ms; 0 when unknown */
	int deleting;               /* task_state deleting/soft-deleting: a DELETE was accepted */
};

struct sc_ghr {                 /* one runner from github.runners.list */
	int64_t id;
	char name[SC_NAME_MAX];
	char pool[SC_POOL_MAX];     /* parsed from the name */
	int online;
	int busy;
};

struct sched_window;
struct sc_pool {
	char name[SC_POOL_MAX];
	int min_idle;               /* effective (runtime override applied) */
	int max_runners;            /* 0 = no cap */
	/* The target above min_idle (sc_demand.h): */
	int override;               /* min_idle is an operator override: no schedule */
	const struct sched_window *windows; size_t nwindows;   /* schedule, first match wins */
	int demand;                 /* demand sizing on */
	int64_t target_queue_ms;
	int max_idle;               /* 0: no cap */
	int64_t grace_ms;           /* demand on: surplus idle runners go once this old */
	double rate;                /* measured arrivals, jobs/s */
	int64_t boot_p90_ms;        /* measured create -> online, 0 unknown */
	int reactive;               /* runners spawned for jobs (sc_reactive.h), kept on top of
	                               the target so they neither fill min_idle nor go as surplus */
};

/* A create the executor started whose VM may not show in the lists yet. */
struct sc_pending {
	char name[SC_NAME_MAX];
	char pool[SC_POOL_MAX];
	int64_t started_ms;         /* epoch ms */
};

/* What earlier reconciles saw of a name (kept by the executor between reconciles). */
#define SC_SEEN_ONLINE   1u     /* the runner was online (idle or busy) at some point */
#define SC_SEEN_BUSY     2u     /* the runner was busy at some point */
#define SC_SEEN_DANGLING 4u     /* the previous reconcile saw a runner without VM */
#define SC_SEEN_STALE    8u     /* the previous reconcile saw it past bootstrap_timeout */
#define SC_SEEN_OFFLINE 16u     /* offline after having been online, since since_ms */
#define SC_SEEN_STOPPED 32u     /* its runner_stop event was issued */
#define SC_SEEN_GONE    64u     /* the previous reconcile missed it from GitHub's list after
                                   it had been online (confirming: GitHub's paginated list
                                   can skip a runner while others are removed) */
#define SC_SEEN_CREATE_FAILED 128u /* failed before ever being online (VM ERROR or not
                                      ACTIVE within creation_timeout): a failed create */
#define SC_SEEN_DELETING 256u   /* the VM was being deleted at the previous look, since
                                   deleting_ms */
#define SC_SEEN_REDELETED 512u  /* its stuck delete was sent again (once per stuck delete) */
#define SC_SEEN_DELETE_FAILED 1024u /* our DELETE of its VM failed (set by the executor):
                                       sent again from delete_retry_ms on, while Nova lists
                                       the VM as being deleted */
#define SC_SEEN_FAILED 2048u    /* classified failed (its failure was announced once) */
struct sc_seen {
	char name[SC_NAME_MAX];
	unsigned flags;
	int64_t first_ms;           /* first observed (epoch ms): the age of a VM whose
	                               `created` could not be read */
	int64_t online_ms;          /* first seen online (epoch ms) */
	int64_t busy_ms;            /* first seen busy */
	int64_t since_ms;           /* SC_SEEN_OFFLINE: first seen offline again */
	int64_t deleting_ms;        /* SC_SEEN_DELETING: first seen being deleted */
	int64_t delete_retry_ms;    /* SC_SEEN_DELETE_FAILED: send the delete again from then */
	int delete_failures;        /* SC_SEEN_DELETE_FAILED: failed deletes in a row */
};

/* The pause before a failed delete is sent again: SC_DELETE_RETRY_MS doubling with each
 * failure in a row, at most SC_DELETE_RETRY_MAX_MS.  Each reconcile from then sends it. */
#define SC_DELETE_RETRY_MS 2000
#define SC_DELETE_RETRY_MAX_MS (5 * 60 * 1000)
/* Record in *seen that our delete of its VM failed at now_ms (one more in a row). */
void sc_seen_delete_failed(struct sc_seen *seen, int64_t now_ms);

struct sc_input {
	const char *manager_id;
	const struct sc_pool *pools; size_t npools;
	const struct sc_vm *vms; size_t nvms;
	const struct sc_ghr *runners; size_t nrunners;
	const struct sc_pending *pending; size_t npending;
	const struct sc_seen *seen; size_t nseen;
	int64_t now_ms;                   /* epoch ms */
	int64_t creation_timeout_ms;
	int64_t bootstrap_timeout_ms;
};

/* One runner as classified: what `ghr-ctl runners` shows. */
struct sc_row {
	char name[SC_NAME_MAX];
	char pool[SC_POOL_MAX];
	enum sc_state state;
	const char *reason;               /* static string */
	char vm_id[SC_ID_MAX];            /* "" when no VM */
	char vm_status[20];               /* "" when no VM */
	int64_t gh_id;                    /* 0 when no GitHub runner */
	const char *gh_status;            /* "online", "offline", "busy" or "" */
	int64_t created_ms;               /* VM creation (or create start), epoch ms */
	int pool_known;                   /* 0: pool not in the config */
	int redelete;                     /* deleting, stuck past creation_timeout: its VM is
	                                     deleted again now (once) */
	int failed_now;                   /* failed in this reconcile for the first time, without
	                                     ever having run a job: the executor announces it
	                                     (scaler.runner.failed) */
};

enum sc_act_kind { SC_ACT_CREATE = 0, SC_ACT_DELETE };
struct sc_action {
	enum sc_act_kind kind;
	char pool[SC_POOL_MAX];
	char name[SC_NAME_MAX];           /* delete */
	char vm_id[SC_ID_MAX];            /* delete; "" when no VM */
	int64_t runner_id;                /* delete; 0 when no GitHub runner */
	int guarded;                      /* delete the GitHub runner first; conflict -> leave */
	const char *reason;               /* static string */
};

/* Lifecycle transitions seen in this reconcile, for the events log. */
enum sc_evt_kind { SC_EVT_INSTALLED = 0, SC_EVT_START, SC_EVT_STOP };
struct sc_event {
	enum sc_evt_kind kind;
	char pool[SC_POOL_MAX];
	char name[SC_NAME_MAX];
	double duration_s;                /* installed: creation -> online */
	double idle_s;                    /* start: online -> busy */
	double job_s;                     /* stop: busy -> finished */
	const char *status;               /* stop: "normal" or "abnormal" */
};

struct sc_count {
	char pool[SC_POOL_MAX];
	int known;                        /* configured pool */
	int n[SC_STATE_COUNT];
	int min_idle, max_runners;
	int target;                       /* idle + booting + creating wanted (sc_pool_target) */
	int alive;                        /* creating+booting+idle+busy+offline */
	int held;                         /* max_runners slots in use: alive, plus the servers
	                                     going (deleting, and those deleted now) */
	int creates, deletes;             /* actions decided */
	int failed_creates;               /* runners newly failed before ever being online
	                                     (VM ERROR, creation_timeout): the executor counts
	                                     them as create failures of the pool (backoff) */
};

struct sc_plan {
	struct sc_row *rows; size_t nrows;
	struct sc_action *actions; size_t nactions;
	struct sc_seen *seen; size_t nseen;       /* the memory for the next reconcile */
	struct sc_event *events; size_t nevents;
	struct sc_count *counts; size_t ncounts;  /* one per pool, configured ones first */
};

/* Classify one name.  vm, gh, prev may be NULL; pending says a create is in flight.
 * Fills row (state, reason and the observed columns) and *seen_out (the memory to keep;
 * seen_out->name is set).  Pure. */
void sc_classify(const struct sc_input *in, const char *name, const struct sc_vm *vm,
                 const struct sc_ghr *gh, const struct sc_seen *prev,
                 const struct sc_pending *pending, struct sc_row *row, struct sc_seen *seen_out);

/* How fit a Nova status is to run a runner: 0 ACTIVE, 1 building or transitional,
 * 2 stopped, 3 ERROR, 4 being deleted.  Lower is better (which duplicate VM is kept). */
int sc_vm_status_rank(const char *status);
/* The same for a listed VM: 4 when it is being deleted (task_state), whatever its status. */
int sc_vm_rank(const struct sc_vm *vm);
/* The VM is being deleted: task_state deleting, or status DELETED / SOFT_DELETED. */
int sc_vm_going(const struct sc_vm *vm);

/* Decide.  Returns 0, or -1 when out of memory (plan left empty). */
int sc_decide(const struct sc_input *in, struct sc_plan *out);
void sc_plan_free(struct sc_plan *p);

#endif
