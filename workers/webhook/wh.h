/* The webhook worker: GitHub deliveries in, verified before anything is parsed, spooled
 * to disk (fsync) before the answer, drained into the job store in order.
 *
 * Config slice: manager_id, webhook, reactive, pools, github.path; secret:
 * {"webhook_secret": "…", "mongodb_uri": "…"}. */
#ifndef GHR_WH_H
#define GHR_WH_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "workers/runtime/httpd.h"
#include "workers/runtime/worker.h"

/* ---- verification (wh_verify.c) ---------------------------------------------------- */
/* 1 when header is "sha256=<hex of HMAC-SHA256(secret, body)>", compared in constant
 * time; 0 otherwise (missing, malformed or wrong). */
int wh_signature_ok(const char *secret, size_t secret_len, const char *body, size_t len, const char *header);

/* ---- payloads and routing (wh_parse.c) ----------------------------------------------- */
/* Where jobs may come from (github.path): an organisation, one repository, or anything
 * of an enterprise. */
struct wh_scope {
	char org[128];
	char repo[256];         /* "owner/name" when the path is a repository */
	int enterprise;
};
int wh_scope_parse(const char *path, struct wh_scope *s, char *err, size_t errlen);

/* A pool as routing sees it. */
struct wh_pool {
	char name[32];
	int reactive;
	json_t *labels;         /* lowercased strings (owned) */
};

enum wh_verdict { WH_OK = 0, WH_BAD, WH_FOREIGN };
/* A workflow_job payload as the record spooled and published: {"action", "job_id",
 * "run_id", "repo", "labels", "runner_name"?, "workflow"?, "created_at"?,
 * "started_at"?, "completed_at"?, "conclusion"?, "pool"?, "dead_reason"?}.  NULL with
 * *verdict and err when the payload is malformed (WH_BAD) or from another organisation
 * or repository (WH_FOREIGN). */
json_t *wh_job_record(const char *body, size_t len, const struct wh_scope *scope,
                      const struct wh_pool *pools, size_t npools, enum wh_verdict *verdict,
                      char *err, size_t errlen);
/* The first pool (reactive_only: reactive pool) whose labels hold every job label
 * (lowercased, the implied self-hosted/linux/x64/arm64 left out); NULL and why when none. */
const struct wh_pool *wh_route(const struct wh_pool *pools, size_t npools, const json_t *labels,
                               int reactive_only, char *why, size_t whylen);
/* Pools from the config's pools list (array of objects); count in *n. */
struct wh_pool *wh_pools_from(const json_t *pools, size_t *n);
void wh_pools_free(struct wh_pool *p, size_t n);

/* ---- the spool (wh_spool.c) ---------------------------------------------------------- */
/* An append-only file of records (one JSON line each) and the offset up to which they
 * are in the store.  Appends are fsync'd before returning. */
struct wh_spool;
/* NULL on error, with *temporary 1 when it may pass (I/O, permissions on the way) and 0
 * when DIR is not this process's alone (another owner, group or other bits, a link). */
struct wh_spool *wh_spool_open(const char *dir, int *temporary, char *err, size_t errlen);
void wh_spool_close(struct wh_spool *s);
int wh_spool_append(struct wh_spool *s, const json_t *record, char *err, size_t errlen);
size_t wh_spool_pending(const struct wh_spool *s);
/* Up to max records from the drained offset on (array, new reference; NULL on error);
 * *end is the offset after the last one returned. */
json_t *wh_spool_peek(struct wh_spool *s, size_t max, int64_t *end, char *err, size_t errlen);
/* Records up to end are in the store: remember it (and start over when all are). */
int wh_spool_drained(struct wh_spool *s, int64_t end, size_t count, char *err, size_t errlen);

/* ---- the store side (wh_drain.c) and HTTP (wh_http.c) ------------------------------- */
struct wh;
void wh_drain_kick(struct wh *h);
int wh_store_up(const struct wh *h);
void wh_on_request(struct httpd_req *r, void *arg);

extern const struct worker_def wh_worker_def;

#endif
