/* Internals of the worker runtime, shared by its files only (not by workers). */
#ifndef GHR_WORKER_INT_H
#define GHR_WORKER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "workers/runtime/worker.h"

#define WORKER_BOOT_MAX   (4 * 1024 * 1024)   /* bootstrap JSON cap (config slice + secret) */
#define WORKER_EX_CONFIG  78

struct worker_boot {
	json_t *root;            /* the whole bootstrap (secret removed after init) */
	const char *name;        /* borrowed from root */
	const char *instance;
	const char *bus;
	const char *user;        /* "" when none */
	const char *group;
	char token[PROTO_TOKEN_MAX];
	int64_t heartbeat_ms;
	const json_t *config;    /* borrowed; {} when absent */
	json_t *secret;          /* borrowed from root; NULL or json null when none */
	const char *log_level, *log_format, *log_file;
};

/* One outgoing call waiting for its reply. */
struct worker_call_slot {
	int64_t id;
	int64_t deadline_mono;   /* monotonic ms */
	worker_call_cb cb;
	void *arg;
	struct worker_call_slot *next;   /* hash chain */
};

#define WORKER_CALL_BUCKETS 1024

struct worker {
	const struct worker_def *def;
	struct worker_boot boot;
	struct ev_loop *loop;
	void *zctx;
	void *zsock;
	int sigfd;
	int ready;
	int stopping;            /* SIGTERM seen: new requests get shutting_down */
	int exit_status;
	int64_t hb_seq;
	int64_t hb_timer;
	int64_t next_call_id;
	struct worker_call_slot *calls[WORKER_CALL_BUCKETS];
	size_t n_calls;
	int64_t sweep_timer;     /* expires calls; armed only while calls are pending */
	size_t serving;          /* requests handed to handlers, not yet answered */
	void *data;
	/* test hooks (worker_debug.h) */
	int skip_hello;
	int no_heartbeat;
	int ignore_term;
};

/* worker_boot.c: 0, or WORKER_BOOT_IO (nothing usable arrived: EOF, timeout, read
 * error — exit 1) or WORKER_BOOT_INVALID (it arrived and is wrong — exit 78). */
#define WORKER_BOOT_IO      (-1)
#define WORKER_BOOT_INVALID (-2)
int worker_boot_read(int fd, struct worker_boot *b, char *err, size_t errlen);
void worker_boot_wipe_secret(struct worker_boot *b);
/* Register the secret's values with the log redaction (redact_add_secret). */
void worker_boot_register_secret(const json_t *secret);

/* worker.c */
void worker_on_signal(struct worker *w, int signo);

/* worker_privs.c */
int worker_privs_drop(const char *user, const char *group, char *err, size_t errlen);
/* After a drop to uid/gid: root can be regained neither as uid nor as gid, and the
 * real, effective and saved ids are all the intended ones. */
int worker_privs_verify(uid_t uid, gid_t gid, char *err, size_t errlen);
int worker_privs_harden(char *err, size_t errlen);

/* worker_bus.c */
int worker_bus_open(struct worker *w, char *err, size_t errlen);
void worker_bus_close(struct worker *w);
int worker_bus_send(struct worker *w, const struct proto_msg *m);
int worker_bus_send_raw(struct worker *w, const void *data, size_t len);
void worker_bus_hello(struct worker *w);
void worker_bus_start_heartbeat(struct worker *w);
void worker_bus_bye(struct worker *w);

/* worker_calls.c */
/* A random first call id: a reply meant for a predecessor of this instance can never
 * match one of our calls (second guard; ghrd drops such replies first). */
int64_t worker_first_call_id(void);
void worker_calls_on_reply(struct worker *w, const struct proto_msg *m);
void worker_calls_fail_all(struct worker *w, enum proto_error code, const char *why);

/* worker_dispatch.c */
void worker_dispatch(struct worker *w, const struct proto_msg *m);
int worker_check_methods(const struct worker_def *def, char *err, size_t errlen);
void worker_maybe_finish(struct worker *w);

#endif
