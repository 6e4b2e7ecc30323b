/* proto — the bus protocol: envelope codec, method catalogue, error codes.
 *
 * One message = one ZeroMQ frame = one UTF-8 JSON object (DESIGN.md §3).  Everything
 * here is pure: no sockets, no globals other than the constant tables, so that every
 * function can be unit-tested and fuzzed.  Decoding never trusts its input. */
#ifndef GHR_PROTO_H
#define GHR_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define PROTO_VERSION      1
#define PROTO_MAX_FRAME    (1024 * 1024)   /* ZMQ_MAXMSGSIZE and the decoder's cap */
#define PROTO_MAX_DEPTH    32              /* JSON nesting accepted in a body */
#define PROTO_NAME_MAX     64              /* from/to/method/topic, incl. NUL */
#define PROTO_TOKEN_MAX    65              /* hello token: 64 hex chars + NUL */

/* Where ghrd listens and ghr-ctl connects (ghrd(8)): the run directory's default and
 * its two control sockets, everyone's and root's and supervisor.admin_group's. */
#define PROTO_RUN_DIR_DEFAULT   "/run/ghr"
#define PROTO_CONTROL_PUBLIC    "control"
#define PROTO_CONTROL_ADMIN     "control.admin"

/* Ends the message of an `unavailable` answer for a request that was never delivered
 * (its server not ready, or the send failed), so that nothing was done
 * (ghr-protocol(7)). */
#define PROTO_NOT_SENT          "the request could not be sent"

enum proto_kind {
	PROTO_HELLO = 0, PROTO_READY, PROTO_HB, PROTO_REQ, PROTO_REP, PROTO_EVT, PROTO_BYE,
	PROTO_KIND_COUNT
};

enum proto_error {
	PROTO_OK = 0,
#define PROTO_ERROR(sym, wire, doc) PROTO_E_##sym,
#include "proto/errors.def"
#undef PROTO_ERROR
	PROTO_ERROR_COUNT
};

/* Who is calling: one bit per kind of peer.  The catalogue lists, per method, the bits
 * allowed to call it.  C_ADMIN implies C_READ (checked by proto_caller_may). */
enum proto_caller {
	C_READ = 1 << 0,      /* any control client that can open the socket */
	C_ADMIN = 1 << 1,     /* control client that is root or in supervisor.admin_group */
	C_SUP = 1 << 2,       /* ghrd itself */
	C_SCALER = 1 << 3,
	C_IMAGE = 1 << 4,
	C_REACTIVE = 1 << 5,
	C_GITHUB = 1 << 6,
	C_OPENSTACK = 1 << 7,
	C_WEBHOOK = 1 << 8,
	C_FAKE = 1 << 9,
	C_METRICS = 1 << 10,  /* the metrics worker (serves /metrics to Prometheus) */
};

struct proto_method {
	const char *name;
	const char *server;       /* worker name, "ghrd", or "*" (every worker) */
	unsigned callers;         /* mask of enum proto_caller */
	const char *request;      /* field spec, see methods.def */
	const char *reply;
	const char *doc;
};

/* A decoded message.  Strings are copied into fixed buffers (sizes checked on decode);
 * body is a new reference owned by the message (NULL when absent).  proto_msg_clear()
 * releases it. */
struct proto_msg {
	int v;
	enum proto_kind kind;
	int64_t id;                       /* req, rep */
	char from[PROTO_NAME_MAX];
	char to[PROTO_NAME_MAX];          /* req, rep (optional on rep from ghrd) */
	char method[PROTO_NAME_MAX];      /* req */
	char topic[PROTO_NAME_MAX];       /* evt */
	int64_t deadline_ms;              /* req: wall-clock epoch milliseconds */
	int ok;                           /* rep */
	enum proto_error error;           /* rep with ok=false */
	char error_message[512];
	int64_t retry_after_ms;           /* rep with ok=false; 0 when absent */
	int64_t seq;                      /* hb */
	char state[16];                   /* hb: "starting", "ready", "stopping" */
	char token[PROTO_TOKEN_MAX];      /* hello */
	int64_t pid;                      /* hello */
	json_t *body;                     /* req, rep (ok), evt; optional */
};

const char *proto_kind_name(enum proto_kind k);
const char *proto_error_name(enum proto_error e);          /* wire name; "ok" for PROTO_OK */
int proto_error_parse(const char *wire, enum proto_error *out);  /* 0 ok, -1 unknown */

/* Decode and validate one frame.  Returns 0 and fills *out, or -1 with a one-line
 * reason in err (which never quotes more than a few bytes of the input). */
int proto_decode(const void *frame, size_t len, struct proto_msg *out, char *err, size_t errlen);

/* Encode: returns a malloc'd, NUL-terminated JSON text (length in *len), or NULL when
 * the message is invalid or too large.  Does not consume m->body. */
char *proto_encode(const struct proto_msg *m, size_t *len);

void proto_msg_init(struct proto_msg *m, enum proto_kind kind, const char *from);
void proto_msg_clear(struct proto_msg *m);

/* Catalogue. */
const struct proto_method *proto_method_find(const char *name);
const struct proto_method *proto_methods(size_t *count);
int proto_caller_may(const struct proto_method *m, unsigned caller_bits);

/* Check a body against a field spec ("name:s count:i? ...").  NULL body counts as {}.
 * Returns 0, or -1 with a reason naming the field. */
int proto_validate_fields(const char *spec, const json_t *body, char *err, size_t errlen);

/* Validate a request body against the catalogue entry of its method. */
int proto_validate_request(const char *method, const json_t *body, char *err, size_t errlen);

/* Additions beside the functions above. */
int proto_kind_parse(const char *name, enum proto_kind *out);      /* 0 ok, -1 unknown */
const char *proto_error_doc(enum proto_error e);                   /* errors.def meaning */
/* proto_encode with the reason it refused in err. */
char *proto_encode_err(const struct proto_msg *m, size_t *len, char *err, size_t errlen);
/* Replies are checked loosely: required fields present with their type, extras allowed. */
int proto_validate_reply_fields(const char *spec, const json_t *body, char *err, size_t errlen);
int proto_validate_reply(const char *method, const json_t *body, char *err, size_t errlen);
/* 0 when a field spec is well formed (every spec of methods.def must be). */
int proto_spec_check(const char *spec, char *err, size_t errlen);

#endif
