/* ghrd internals: the worker table, worker instances, and the daemon's state.
 * One daemon per process; every function takes the state explicitly so the pure parts
 * (table, intensity, exit descriptions, slices) can be unit-tested without a daemon. */
#ifndef GHR_SUP_H
#define GHR_SUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "proto/proto.h"

#ifndef GHR_VERSION
#define GHR_VERSION "0.1.0"
#endif

#define SUP_EX_CONFIG 78
#define SUP_RUN_DIR_MAX 96
#define SUP_RESTART_HISTORY 1024   /* cap of remembered restart times per instance */

enum sup_restart { SUP_PERMANENT, SUP_TRANSIENT };

/* Loads a worker's one secret from the config (files named there).  Returns a new JSON
 * value (the caller wipes it with jsonwipe), json_null() when the worker has none,
 * or NULL with err filled. */
typedef json_t *(*sup_secret_loader)(const json_t *cfg, char *err, size_t errlen);

/* One row of the static worker table (sup_table.c). */
struct sup_def {
	const char *name;
	const char *exec_name;          /* file name in the libexec directory */
	int instances;
	int max_instances;              /* workers.<name>.instances may not exceed it */
	enum sup_restart restart;
	int64_t shutdown_timeout_ms;
	int essential;
	unsigned caller;                /* enum proto_caller bit of its requests */
	const char *const *sections;    /* config paths copied into its slice */
	sup_secret_loader secret;       /* NULL: no secret */
	const char *const *topics;      /* event topic prefixes it receives */
	const char *const *publishes;   /* event topic prefixes it may emit (others refused) */
	/* Config keys naming the files its secret is read from (`ghrd -n` warns when a
	 * worker could read one); no_files when none. */
	const char *const *secret_files;
};

const struct sup_def *sup_defs(size_t *count);
const struct sup_def *sup_def_find(const char *name);
/* Instances a worker gets when workers.NAME.instances is not set: the table's count, or
 * what the config asks for, for workers enabled by their own section (sup_counts.c). */
int sup_default_instances(const json_t *cfg, const struct sup_def *def);
int sup_may_publish(const struct sup_def *def, const char *topic);

enum sup_state {
	SUP_W_STOPPED = 0, SUP_W_STARTING, SUP_W_READY, SUP_W_STOPPING, SUP_W_BACKOFF, SUP_W_FAILED,
	SUP_W_STATE_COUNT
};
const char *sup_state_name(enum sup_state s);

/* Effective settings of one worker after config overrides (sup_config.c). */
struct sup_settings {
	char exec[4096];
	json_t *args;                   /* array of strings (owned) */
	int instances;
	char user[64], group[64];
	int64_t shutdown_timeout_ms;
	enum sup_restart restart;
	int essential;
};

/* One running (or not) instance of a worker. */
struct sup;
struct sup_worker {
	struct sup *sup;                /* owner (timer callbacks get the instance only) */
	const struct sup_def *def;
	char name[PROTO_NAME_MAX];      /* "github" or "fake.2": also its bus routing id */
	struct sup_settings set;
	json_t *slice;                  /* config slice (owned) */
	unsigned char digest[32];       /* slice + secret + settings: what a reload compares */
	enum sup_state state;
	pid_t pid;
	pid_t prev_pid;                 /* the last exited process: its queued frames are stale */
	uint64_t gen;                   /* spawn generation: changes with every process */
	int boot_fd;                    /* ghrd's end of fd 3; -1 when none */
	char *boot_buf;                 /* bootstrap bytes not yet written (holds the secret) */
	size_t boot_len, boot_off;
	char token[PROTO_TOKEN_MAX];    /* one-time hello token of this incarnation */
	void *bus;                      /* this process's own bus socket (sup_bus.c); NULL when none */
	char bus_path[SUP_RUN_DIR_MAX + 16], bus_ep[SUP_RUN_DIR_MAX + 32];
	int hello_ok;
	int64_t started_ms, ready_ms, last_seen_ms;
	int64_t restarts;               /* restarts after a crash (not operator restarts) */
	int64_t bad_frames;
	int64_t stale_frames;           /* queued frames of an exited predecessor, dropped */
	char last_exit[160];
	int64_t history[SUP_RESTART_HISTORY];   /* monotonic ms of recent restarts, ring */
	size_t hist_n, hist_head;
	int64_t timer;                  /* backoff or kill timer */
	int kill_reason_set;            /* last_exit already names why we killed it */
	int restart_after_stop;         /* operator restart / reload: start again on exit */
	int remove_after_stop;          /* reload dropped this instance */
	int64_t hb_seq;
};

struct sup_pending;

/* One log line per interval for a kind of event a peer can cause at will; the others
 * are counted and reported with the next line (sup_recv.c). */
#define SUP_LOG_INTERVAL_MS 1000
struct sup_ratelimit {
	int64_t last_ms;
	int64_t suppressed;
};
/* 1 when a line may be logged now (*suppressed, if given, gets how many were held back
 * since the last one), 0 when this one is only counted. */
int sup_ratelimit_pass(struct sup_ratelimit *r, int64_t now, int64_t *suppressed);

/* A read-only control client asks small questions: its frames are refused above this. */
#define SUP_CTL_READER_FRAME_MAX (64 * 1024)

/* Control clients' rights by uid, so NSS (getpwuid, getgrouplist) is not asked per frame. */
#define SUP_CRED_CACHE 16
#define SUP_CRED_TTL_MS 5000
struct sup_cred_entry {
	long uid, gid;
	int admin;
	int64_t expires;                /* monotonic ms; 0 = empty */
};

/* The control endpoints: the public socket any local user may open, and the admin
 * socket only root and supervisor.admin_group may open (sup_control_bind.c).  Both are
 * served alike, with rights per request; each has its own connection cap. */
enum sup_ctl_which { SUP_CTL_PUBLIC, SUP_CTL_ADMIN, SUP_CTL_COUNT };
struct sup_ctl_ep {
	struct sup *sup;                /* owner (event callbacks get the endpoint only) */
	enum sup_ctl_which which;
	char path[SUP_RUN_DIR_MAX + 16], ep[SUP_RUN_DIR_MAX + 32];
	void *sock;                     /* the ROUTER; NULL when not open */
	void *monitor;                  /* events of sock: connections accepted and gone */
	int conns, paused;              /* open connections; 1 while not listening */
	int64_t timer, full_events;
	struct sup_ratelimit rl_full;
};

struct sup {
	const char *config_path;
	json_t *cfg;
	char run_dir[SUP_RUN_DIR_MAX + 1];  /* AF_UNIX paths are short: 107 bytes */
	struct ev_loop *loop;
	void *zctx;
	struct sup_ctl_ep ctl[SUP_CTL_COUNT];
	struct sup_worker **workers;
	size_t n_workers;
	int lock_fd, sig_fd;
	int64_t start_ms;
	int64_t next_id;
	struct sup_pending *pending;
	int shutting_down;
	int exit_code;
	int ready_notified;
	int64_t unknown_frames;         /* frames from ids that are no instance */
	int64_t control_bad_frames;
	int64_t tick_timer, watchdog_timer;
	int64_t watchdog_usec;
	int64_t shutdown_timer;
	int verbose;
	gid_t admin_gid;                /* (gid_t)-1 when no admin group */
	uint64_t next_gen;
	struct sup_cred_entry cred_cache[SUP_CRED_CACHE];
	int64_t nss_lookups;            /* how often the cache missed (tests, metrics) */
	int64_t replies_dropped_full;   /* replies a caller's full queue refused */
	struct sup_ratelimit rl_reply_full, rl_ctl_bad, rl_bus_bad;
};

/* sup_table.c */
const char *sup_default_libexec(char *buf, size_t len);

/* sup_users.c: which uid/gid each worker runs as, and who can read the secret files. */
#define SUP_WORKER_PLACEHOLDER "{worker}"
/* supervisor.user / workers.NAME.user with {worker} replaced by the worker's name. */
void sup_user_expand(const char *pattern, const char *worker, char *out, size_t len);
/* uid/gid of a user and group name as a worker gets them (empty user: root; empty group:
 * the user's own group).  -1 with err naming the one that does not exist. */
int sup_ids_resolve(const char *user, const char *group, uid_t *uid, gid_t *gid,
                    char *err, size_t errlen);
/* As root (as_root): every enabled worker's user and group exist, and none would run as
 * root unless supervisor.run_workers_as_root says so.  Not root: nothing to check. */
int sup_users_check(const json_t *cfg, int as_root, char *err, size_t errlen);
/* Whether a file with this owner and mode can be read by a process of uid/gid (no
 * supplementary groups: a worker keeps only its one group), or re-permitted by it. */
int sup_file_readable_by(uid_t owner, gid_t group, mode_t mode, uid_t uid, gid_t gid);
/* One warning per secret file (the table's secret_files) that an enabled worker's user
 * or group, or everyone, can read.  Returns how many. */
typedef void (*sup_warn_fn)(void *ctx, const char *msg);
int sup_secret_files_check(const json_t *cfg, sup_warn_fn warn, void *ctx);

/* sup_config.c */
json_t *sup_config_load(const char *path, char *err, size_t errlen);
/* Each warning about a config that loads but is likely a mistake ("pools: none ..."). */
void sup_config_warnings(const json_t *cfg, void (*say)(const char *msg, void *arg), void *arg);
int sup_settings_for(const json_t *cfg, const struct sup_def *def, struct sup_settings *out,
                     char *err, size_t errlen);
json_t *sup_slice_for(const json_t *cfg, const struct sup_def *def);
json_t *sup_secret_for(const json_t *cfg, const struct sup_def *def, char *err, size_t errlen);
int sup_config_check(const json_t *cfg, char *err, size_t errlen);
void sup_instance_name(const struct sup_def *def, int index, int count, char *out, size_t len);
json_t *sup_bootstrap_json(const struct sup *s, const struct sup_worker *w, const char *token,
                           json_t *secret);
int sup_digest(const struct sup *s, const struct sup_worker *w, const json_t *secret,
               unsigned char out[32]);

/* sup_spawn.c */
int sup_spawn(struct sup *s, struct sup_worker *w, char *err, size_t errlen);
/* Close every descriptor from lowfd up (close_range, or one by one up to maxfd when the
 * kernel refuses it).  Async-signal-safe: runs between fork and exec. */
void sup_close_from(int lowfd, int maxfd, int try_close_range);
void sup_boot_close(struct sup *s, struct sup_worker *w);

/* sup_supervise.c: pure parts */
void sup_describe_exit(int status, char *out, size_t len);
size_t sup_history_count(struct sup_worker *w, int64_t now, int64_t period_ms);
void sup_history_add(struct sup_worker *w, int64_t now);
#define SUP_BACKOFF_BASE_MS 1000
/* Delay before the restart that follows `recent` restarts within the period. */
int64_t sup_backoff_delay(size_t recent, int64_t cap_ms);
/* Least total backoff a worker crashing at once every time gets before it is failed. */
int64_t sup_restart_span_min(int64_t intensity, int64_t cap_ms);
enum sup_after_exit { SUP_AFTER_RESTART, SUP_AFTER_STOP, SUP_AFTER_FAIL_CONFIG };
enum sup_after_exit sup_after_exit(enum sup_restart policy, int status, int killed_by_us);
/* sup_supervise.c: actions */
void sup_start(struct sup *s, struct sup_worker *w);
void sup_stop(struct sup *s, struct sup_worker *w);
void sup_kill(struct sup *s, struct sup_worker *w, const char *reason);
void sup_restart_now(struct sup *s, struct sup_worker *w);
void sup_on_child(struct sup *s, pid_t pid, int status);
void sup_tick(struct sup *s);
void sup_begin_shutdown(struct sup *s, int exit_code);
void sup_shutdown_step(struct sup *s);
int sup_all_ready(const struct sup *s);
void sup_check_ready(struct sup *s);
struct sup_worker *sup_worker_find(const struct sup *s, const char *name);
struct sup_worker *sup_worker_by_pid(const struct sup *s, pid_t pid);

/* sup_instances.c */
int sup_instances_build(struct sup *s, const json_t *cfg, char *err, size_t errlen);
int sup_reload(struct sup *s, json_t *restarted, char *err, size_t errlen);

/* sup_bus.c */
/* Bind w's own bus socket (before its process is forked) / close it (after the exit). */
int sup_bus_open_worker(struct sup *s, struct sup_worker *w, char *err, size_t errlen);
void sup_bus_close_worker(struct sup *s, struct sup_worker *w);
/* Read what w has queued now, so that a late read never counts as a missed heartbeat. */
void sup_bus_drain(struct sup *s, struct sup_worker *w);
int sup_send(void *zsock, const char *identity, size_t id_len, const struct proto_msg *m);
/* Kernel credentials of an ipc peer (0), or -1 when there are none to trust: the socket
 * is not an ipc endpoint, or the address is not libzmq's "localhost:UID:GID:PID". */
int sup_peer_cred(const void *zmsg, const char *endpoint, long *uid, long *gid, long *pid);
int sup_peer_cred_parse(const char *peer_address, long *uid, long *gid, long *pid);
/* Whose frame is it: the instance's current process, its exited predecessor (frames
 * still queued after the reap: dropped quietly), or someone else. */
enum sup_sender { SUP_SENDER_CURRENT, SUP_SENDER_STALE, SUP_SENDER_FOREIGN };
enum sup_sender sup_sender_of(const struct sup_worker *w, long peer_pid);
/* One routed message off a ROUTER: 1 = [identity][frame] (both to be closed by the
 * caller), 0 = malformed (drained; *parts says how many), -1 = nothing queued. */
int sup_recv_routed(void *zsock, void *id_msg, void *frame_msg, int *parts);
/* After a large frame: give the freed buffers back to the kernel. */
void sup_after_frame(size_t frame_len);
/* Read up to batch routed messages off a ROUTER that has something queued: each
 * [identity][frame] goes to on_frame (frame_msg is the zmq_msg_t, closed afterwards),
 * each malformed one to on_malformed with its identity and number of parts.  Returns
 * how many were read. */
typedef void (*sup_frame_fn)(void *ctx, const void *id, size_t id_len, void *frame_msg);
typedef void (*sup_malformed_fn)(void *ctx, const void *id, size_t id_len, int parts);
int sup_recv_batch(void *ctx, void *zsock, int batch, sup_frame_fn on_frame,
                   sup_malformed_fn on_malformed);

/* sup_route.c */
/* SUP_ORIGIN_MERGE: ghrd asked a worker on behalf of a caller and merges the answer
 * into its own before replying (sup.metrics + scaler.metrics); see sup_methods.c. */
enum sup_origin_kind { SUP_ORIGIN_WORKER, SUP_ORIGIN_CTL, SUP_ORIGIN_SELF, SUP_ORIGIN_MERGE };
struct sup_merge;
struct sup_origin {
	struct sup_merge *merge;        /* SUP_ORIGIN_MERGE only */
	enum sup_origin_kind kind;
	char identity[256];             /* routing id on the bus or control socket */
	size_t identity_len;
	unsigned caller;                /* enum proto_caller bits */
	enum sup_ctl_which ctl;         /* SUP_ORIGIN_CTL: the socket it came in on */
	const char *name;               /* for messages: instance name or "control client" */
	uint64_t gen;                   /* SUP_ORIGIN_WORKER: the process that asked */
};
void sup_route_request(struct sup *s, const struct sup_origin *o, struct proto_msg *m);
void sup_route_reply(struct sup *s, struct sup_worker *from, struct proto_msg *m);
void sup_route_event(struct sup *s, struct sup_worker *from, const struct proto_msg *m);
void sup_reply_error(struct sup *s, const struct sup_origin *o, int64_t id, const char *to,
                     enum proto_error code, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void sup_reply_ok(struct sup *s, const struct sup_origin *o, int64_t id, const char *to,
                  json_t *body);
void sup_fail_pending_to(struct sup *s, struct sup_worker *w, const char *why);
void sup_route_expire(struct sup *s);
void sup_send_to_worker(struct sup *s, struct sup_worker *w, const char *method, json_t *body);

/* sup_pending.c */
struct sup_pending_entry {
	int64_t id;                     /* ghrd's id on the forwarded request */
	int64_t orig_id;
	char orig_from[PROTO_NAME_MAX];
	struct sup_origin origin;
	char target[PROTO_NAME_MAX];    /* instance the request went to */
	int64_t deadline_mono;
	struct sup_pending_entry *next;
};
struct sup_pending *sup_pending_new(void);
void sup_pending_free(struct sup_pending *p);
/* 0, or -1 when the table is full, -2 when this origin has SUP_PENDING_PER_ORIGIN in
 * flight (one caller cannot exhaust the table for the others). */
#define SUP_PENDING_PER_ORIGIN 4096
int sup_pending_add(struct sup_pending *p, const struct sup_pending_entry *e);
int sup_pending_take(struct sup_pending *p, int64_t id, struct sup_pending_entry *out);
size_t sup_pending_count(const struct sup_pending *p);
/* Remove every entry matching (expired before `now`, or target == name); call fn on each. */
typedef void (*sup_pending_fn)(struct sup *s, const struct sup_pending_entry *e, void *arg);
void sup_pending_sweep(struct sup_pending *p, int64_t now, const char *target,
                       sup_pending_fn fn, struct sup *s, void *arg);
/* Remove, without answering, every entry asked by this origin (kind + identity):
 * its process is gone.  Returns how many. */
size_t sup_pending_drop_origin(struct sup_pending *p, enum sup_origin_kind kind,
                               const char *identity, size_t identity_len);
/* Remove every entry, calling fn on each (teardown). */
void sup_pending_clear(struct sup_pending *p, sup_pending_fn fn, struct sup *s, void *arg);

/* sup_methods.c */
void sup_merge_reply(struct sup *s, struct sup_merge *mg, const struct proto_msg *rep);
void sup_merge_free(struct sup_merge *mg);
void sup_send_req(struct sup *s, const struct sup_origin *o, struct sup_worker *w,
                  const char *method, json_t *body, int64_t timeout_ms);
void sup_serve(struct sup *s, const struct sup_origin *o, const struct proto_msg *m);
json_t *sup_worker_rows(const struct sup *s);

/* sup_control.c: open (bind and watch) / close (and unlink) every control endpoint. */
int sup_control_open(struct sup *s, char *err, size_t errlen);
void sup_control_close(struct sup *s);
/* sup_control_bind.c: the endpoints' paths in the run directory (before the lock, which
 * probes them); bind one, the public socket 0666, the admin socket 0600 or 0660 to
 * supervisor.admin_group; give the admin socket to the group now set (after a reload). */
void sup_control_paths(struct sup *s);
const char *sup_control_label(enum sup_ctl_which which);
int sup_control_bind(struct sup_ctl_ep *e, char *err, size_t errlen);
void sup_control_admin_group(struct sup *s);
/* sup_control_cap.c: count an endpoint's connections, and at SUP_CTL_MAX_CONNS close
 * them all and listen again shortly after. */
#define SUP_CTL_MAX_CONNS 16
int sup_control_cap_open(struct sup_ctl_ep *e, char *err, size_t errlen);
void sup_control_cap_close(struct sup_ctl_ep *e);
/* sup.status's view of the endpoints: {"public": {path, connections, listening,
 * full_events}, "admin": {...}}. */
json_t *sup_control_rows(const struct sup *s);
unsigned sup_caller_bits(struct sup *s, long uid, long gid);
/* supervisor.admin_group as a gid ((gid_t)-1 when unset); -1 with err when unknown. */
int sup_admin_gid(const json_t *cfg, gid_t *out, char *err, size_t errlen);

/* sup_single.c */
int sup_single_lock(struct sup *s, char *err, size_t errlen);
void sup_single_unlock(struct sup *s);

/* sup_notify.c */
int sup_notify(const char *state);
void sup_notify_start_watchdog(struct sup *s);
void sup_notify_status(struct sup *s);

#endif
