/* worker runtime — what every worker executable shares.
 *
 * A worker's main() is one line: `return worker_main(argc, argv, &my_worker_def);`.
 * worker_main() then, in this order (DESIGN.md §2-4):
 *   1. reads the bootstrap JSON from fd 3 (size-capped), keeps fd 3 open and watches it:
 *      EOF means ghrd is gone and the worker exits;
 *   2. registers the secret with redact_add_secret(), sets up logging;
 *   3. drops privileges when running as root (setgroups, setgid, setuid, in that order;
 *      verifies they cannot be regained), PR_SET_DUMPABLE 0, PR_SET_NO_NEW_PRIVS 1;
 *   4. creates the zmq context (only now, after exec), connects a DEALER with
 *      routing id = instance name, LINGER 0, MAXMSGSIZE, sends hello with the token;
 *   5. calls def->init(); the worker calls worker_set_ready() when it can serve
 *      (init may do it at once, or later, e.g. after a first successful API call);
 *   6. runs the event loop: heartbeats every `heartbeat_ms`, requests dispatched through
 *      def->methods, expired requests dropped, replies matched to calls, SIGTERM → 
 *      def->shutdown() then bye and exit 0.
 *
 * Bootstrap (fd 3), written by ghrd: one JSON object on one line, terminated by '\n'
 * (at most 1 MiB); the worker reads up to the newline and then keeps fd 3 open only
 * to see EOF.
 *   {"v":1,"name":"github","instance":"github","token":"<64 hex>",
 *    "bus":"ipc:///run/ghr/bus","heartbeat_ms":1000,"user":"ghr","group":"ghr",
 *    "log":{"level":"info","format":"text","file":""},
 *    "config":{…this worker's slice…},"secret":<string|object|null>}
 */
#ifndef GHR_WORKER_H
#define GHR_WORKER_H

#include <stdint.h>
#include <jansson.h>
#include "proto/proto.h"

struct ev_loop;
struct worker;

/* A request being served.  Owned by the runtime; the handler must eventually call
 * exactly one of worker_reply_ok / worker_reply_err (possibly later, from another
 * callback), which frees it. */
struct wreq {
	struct worker *w;
	int64_t id;
	char from[PROTO_NAME_MAX];
	char method[PROTO_NAME_MAX];
	int64_t deadline_ms;        /* wall clock epoch ms */
	json_t *body;               /* validated against the catalogue; never NULL ({}) */
};

typedef void (*worker_handler)(struct wreq *req);

struct worker_method {
	const char *name;           /* must exist in proto/methods.def with this worker as server */
	worker_handler fn;
};

#define WORKER_INIT_RETRY (-2)

struct worker_def {
	const char *name;                     /* "github" */
	const struct worker_method *methods;  /* terminated by {NULL, NULL} */
	/* config: this worker's slice (borrowed, lives as long as the worker);
	 * secret: the secret handed over (borrowed; the runtime wipes it after init returns,
	 * so copy what must be kept).  Return 0; -1 when the configuration cannot work
	 * (exit 78, EX_CONFIG: not restarted); or WORKER_INIT_RETRY when the failure may
	 * pass (an address still in use, a directory not there yet: exit 1, restarted
	 * with backoff). */
	int (*init)(struct worker *w, const json_t *config, const json_t *secret);
	void (*shutdown)(struct worker *w);   /* SIGTERM: stop new work; may be NULL */
	/* An event published on the bus reached this worker (may be NULL). */
	void (*on_event)(struct worker *w, const char *topic, const json_t *body, const char *from);
};

int worker_main(int argc, char **argv, const struct worker_def *def);

struct ev_loop *worker_loop(struct worker *w);
const char *worker_instance(const struct worker *w);     /* "reactive-consumer.2" */
const json_t *worker_config(const struct worker *w);
void worker_set_ready(struct worker *w);
void worker_set_data(struct worker *w, void *data);
void *worker_data(const struct worker *w);

/* Replies.  body is stolen (may be NULL for {}). */
void worker_reply_ok(struct wreq *req, json_t *body);
void worker_reply_err(struct wreq *req, enum proto_error code, int64_t retry_after_ms,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Milliseconds left before the request's deadline (negative when passed). */
int64_t wreq_remaining_ms(const struct wreq *req);

/* Calls to other workers, routed by ghrd from the catalogue.  body is stolen.
 * The callback gets ok=1 and the reply body, or ok=0 and an error code/message
 * (PROTO_E_TIMEOUT when the deadline passed without a reply). */
struct wcall_result {
	int ok;
	const json_t *body;              /* borrowed; {} when absent */
	enum proto_error error;
	const char *message;
	int64_t retry_after_ms;
};
typedef void (*worker_call_cb)(struct worker *w, const struct wcall_result *res, void *arg);
/* 1 when the call was never delivered (its server not ready, or our send failed), so
 * nothing was done: ghr-protocol(7) fixes the phrase that says so. */
int wcall_not_sent(const struct wcall_result *res);
int worker_call(struct worker *w, const char *method, json_t *body, int64_t timeout_ms,
                worker_call_cb cb, void *arg);
/* Same, to one instance ("fake.2") or server name; NULL `to` = the method's server.
 * Both return 0 and then call cb exactly once, from the loop (never from inside the
 * call), also when the request could not be sent (PROTO_E_UNAVAILABLE); -1 only when
 * the method is not in the catalogue or timeout_ms <= 0 (cb is then never called). */
int worker_call_to(struct worker *w, const char *to, const char *method, json_t *body,
                   int64_t timeout_ms, worker_call_cb cb, void *arg);

/* Publish an event (fan-out by ghrd to workers that listen to the topic prefix). */
void worker_emit(struct worker *w, const char *topic, json_t *body);

/* Ask the loop to stop and the worker to exit with status. */
void worker_exit(struct worker *w, int status);

#endif
