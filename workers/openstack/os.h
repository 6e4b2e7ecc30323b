/* The openstack worker: the one process that holds the cloud credentials.  It turns
 * os.* bus requests into Keystone, Nova, Glance and Neutron calls.
 *
 *   os_keystone.c  token (authenticate once, renew before expires_at, after a 401),
 *                  endpoint choice from the catalog, compute microversion discovery
 *   os_api.c       one request: URL, headers, deadline, retries of idempotent calls,
 *                  401 re-authentication, error mapping
 *   os_resolve.c   flavor / image / network name → id, cached, invalidated on use failure
 *   os_servers.c   os.server* handlers, os_create.c the create that never makes two VMs
 *   os_images.c    os.image* and os.images.list, os.flavors.list, os.quota
 *   os_parse*.c    pure parsers of every reply shape
 */
#ifndef GHR_OS_H
#define GHR_OS_H

#include <stdint.h>
#include <jansson.h>

#include "proto/proto.h"
#include "workers/runtime/worker.h"

struct http_client;
struct http_response;
struct os_waiter;
struct os_cache_entry;

enum os_service { OS_SVC_COMPUTE = 0, OS_SVC_IMAGE, OS_SVC_NETWORK, OS_SVC_COUNT };

enum os_auth_state { OS_AUTH_NONE = 0, OS_AUTH_PENDING, OS_AUTH_OK };

struct os_stats {
	int64_t requests, auths, reauth_401, retries, lost_replies, creates;
};

struct os_ctx {
	struct worker *w;
	struct ev_loop *loop;
	struct http_client *http;
	json_t *creds;                    /* the clouds entry (holds the password) */
	char manager_id[64];
	char mv_cap[16];
	long timeout_ms;
	int max_attempts;                 /* of an idempotent call */

	/* Keystone */
	enum os_auth_state auth_state;
	char *token;                      /* wiped when replaced */
	int64_t token_expires_ms, token_renew_ms;   /* wall clock */
	/* after a failed authentication: no new attempt before auth_retry_ms (monotonic),
	 * the pause doubling up to OS_AUTH_BACKOFF_MAX_MS while failures go on */
	int64_t auth_retry_ms, auth_backoff_ms;
	enum proto_error auth_last_code;
	char auth_last_error[640];
	char endpoint[OS_SVC_COUNT][512]; /* version-less base URLs, no trailing slash */
	char microversion[16];            /* "" until discovered */
	char project_id[128];             /* the token's project ("" when it does not say) */
	struct os_waiter *waiters, **waiters_tail;

	struct os_cache_entry *cache;     /* os_resolve.c */
	json_t *creating;                 /* names with a create in flight: {name: true} */
	json_t *ours;                     /* ids seen with our ghr-manager: {id: seen ms} */
	int shutting_down;
	struct os_stats stats;
};

/* ---- os_keystone.c ------------------------------------------------------------- */

/* Run fn(ctx, ok, code, message, arg) once a valid token and the endpoints are there:
 * at once when they are, after (re-)authentication otherwise.  ok=0 carries why. */
typedef void (*os_ready_cb)(struct os_ctx *c, int ok, enum proto_error code, const char *message, void *arg);
void os_auth_when_ready(struct os_ctx *c, os_ready_cb fn, void *arg);
/* Forget the token when it is still `token` (a 401 answered a call made with it). */
void os_auth_invalidate(struct os_ctx *c, const char *token);
/* Register the secrets of the clouds entry and the current token with the redactor. */
void os_auth_register_secrets(const struct os_ctx *c);
void os_auth_fail_waiters(struct os_ctx *c, enum proto_error code, const char *message);

/* ---- os_api.c -------------------------------------------------------------------- */

#define OS_IDEMPOTENT 1u     /* may be resent on a transport error or 5xx */

struct os_result {
	long status;                      /* 0: no HTTP reply */
	int transport_error;              /* libcurl code, 0 when a reply came */
	enum proto_error code;            /* PROTO_OK for 2xx */
	char message[512];                /* the cloud's message, or the transport error */
	json_t *json;                     /* parsed body (borrowed), NULL when none/not JSON */
	const struct http_response *resp; /* NULL when the call never reached the wire */
};

typedef void (*os_done_cb)(struct os_ctx *c, const struct os_result *r, void *arg);

/* Send method path (relative to the service endpoint, or an absolute URL) with an
 * optional JSON body (stolen).  deadline_ms: wall-clock epoch ms (0: the configured
 * timeout alone).  cb is always called exactly once, from the event loop. */
void os_request(struct os_ctx *c, enum os_service svc, const char *method, const char *path,
                json_t *body, unsigned flags, int64_t deadline_ms, os_done_cb cb, void *arg);

/* PUT the len bytes of file fd (rewound before each send; kept open by the caller until
 * cb) to path as application/octet-stream: Glance image data.  Never resent, but
 * re-authenticated once on a 401. */
void os_request_upload(struct os_ctx *c, enum os_service svc, const char *path, int fd, int64_t len,
                       int64_t deadline_ms, os_done_cb cb, void *arg);

/* Reply to a bus request with the error of a result. */
void os_reply_result_err(struct wreq *req, const struct os_result *r, const char *what);

/* ---- os_create.c ------------------------------------------------------------------ */

/* What the answer to POST /servers means (pure, over the result). */
enum os_post_outcome {
	OS_POST_CREATED,     /* 2xx with the server's id */
	OS_POST_NOT_SENT,    /* provably never reached the cloud: may be sent again */
	OS_POST_UNKNOWN,     /* timeout, reset, 5xx, unreadable 2xx: the server may exist */
	OS_POST_REFUSED,     /* a 4xx, or never sent for a reason of its own: r->code says */
};
enum os_post_outcome os_post_outcome(const struct os_result *r);

/* ---- os_resolve.c ---------------------------------------------------------------- */

enum os_kind { OS_KIND_FLAVOR = 0, OS_KIND_IMAGE, OS_KIND_NETWORK, OS_KIND_COUNT };

typedef void (*os_resolved_cb)(struct os_ctx *c, int ok, const char *id, enum proto_error code,
                               const char *message, void *arg);
/* name (or id, or for images "tag:TAG") → id, from the cache or the cloud. */
void os_resolve(struct os_ctx *c, enum os_kind kind, const char *value, int64_t deadline_ms,
                os_resolved_cb cb, void *arg);
/* Drop the cached id of value (a call using it failed). Returns 1 if one was cached. */
int os_resolve_forget(struct os_ctx *c, enum os_kind kind, const char *value);
void os_resolve_free(struct os_ctx *c);

/* ---- os_flavors.c ----------------------------------------------------------------- */

/* Every flavor, all pages: cb gets {"flavors": [Nova's items]}, or NULL and the error. */
typedef void (*os_flavors_cb)(struct os_ctx *c, const json_t *reply, const struct os_result *err, void *arg);
void os_flavors_fetch(struct os_ctx *c, int detail, int64_t deadline_ms, os_flavors_cb cb, void *arg);

/* ---- handlers ------------------------------------------------------------------ */

void os_h_servers_list(struct wreq *req);
void os_h_server_get(struct wreq *req);
void os_h_server_delete(struct wreq *req);
void os_h_server_snapshot(struct wreq *req);
void os_h_server_create(struct wreq *req);
void os_h_images_list(struct wreq *req);
void os_h_image_get(struct wreq *req);
void os_h_image_tag(struct wreq *req);
void os_h_image_delete(struct wreq *req);
void os_h_flavors_list(struct wreq *req);
void os_h_quota(struct wreq *req);

/* Exact-name lookup shared by the create logic: every server named exactly `name`
 * (any manager); cb gets the normalised list, or NULL and the error. */
typedef void (*os_list_cb)(struct os_ctx *c, json_t *servers, const struct os_result *err, void *arg);
void os_servers_by_name(struct os_ctx *c, const char *name, int64_t deadline_ms, os_list_cb cb, void *arg);

/* Servers known to be this manager's (listed or created with our ghr-manager), so that
 * os.server.delete needs no GET for them.  Entries live OS_OURS_TTL_MS. */
void os_ours_note(struct os_ctx *c, const char *id);
int os_ours_seen(struct os_ctx *c, const char *id);

/* "/servers/<id><suffix>" from the request's "id"; -1 after replying bad_request. */
int os_server_id_path(struct wreq *req, const char *suffix, char *path, size_t len);
void os_h_server_console(struct wreq *req);

/* os_sums.c: the SHA-256 (lower-case hex) a SHA256SUMS text gives for file: 0, or 1
 * when the file is not listed (or its line is malformed). */
int os_sha256sums_find(const char *text, size_t len, const char *file, char out[65]);
/* os_import.c: base images from a URL into Glance. */
void os_h_image_sha256sums(struct wreq *req);
void os_h_image_import(struct wreq *req);

static inline struct os_ctx *os_ctx_of(const struct wreq *req)
{
	return (struct os_ctx *)worker_data(req->w);
}

#endif
