/* gh — internals of the github worker, shared by its files.
 *
 *   gh_parse.c    pure parsers of GitHub replies (no I/O, no globals)
 *   gh_target.c   github.path → API base path; repo name checks
 *   gh_rate.c     rate-limit bookkeeping per resource, admission, last-hour usage
 *   gh_auth.c     PAT or GitHub App (RS256 JWT, installation token renewal)
 *   gh_api.c      one GitHub call: headers, auth, admission, retries, error mapping
 *   gh_list.c     paginated runner listing with the ETag cache; github.runners.list
 *                 (whole, or in parts from a kept snapshot)
 *   gh_jit.c      runner group resolution and JIT registration
 *   gh_methods.c  the other github.* handlers
 *   gh_worker.c   configuration, start-up and the worker definition
 *
 * Everything runs on the worker's one event loop thread. */
#ifndef GHR_GH_H
#define GHR_GH_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "common/http.h"
#include "proto/proto.h"
#include "workers/runtime/worker.h"

#define GH_URL_MAX 2048

/* ---- target (gh_target.c) --------------------------------------------------------- */

enum gh_target_kind { GH_TARGET_ORG, GH_TARGET_REPO, GH_TARGET_ENTERPRISE };

struct gh_target {
	enum gh_target_kind kind;
	char name[256];          /* "org", "owner/repo" or the enterprise slug */
	char base[300];          /* "/orgs/org", "/repos/owner/repo", "/enterprises/slug" */
};

int gh_target_parse(const char *path, struct gh_target *t, char *err, size_t errlen);
/* "owner/repo" with GitHub's allowed characters only (so it is safe in a URL path). */
int gh_repo_name_ok(const char *repo);
/* Runner names: 1-64 of [A-Za-z0-9._-]. */
int gh_runner_name_ok(const char *name);

/* ---- parsers (gh_parse.c) ---------------------------------------------------------- */

/* Runner list page → new array of {id,name,status,busy,labels:[names]}; NULL + err. */
json_t *gh_parse_runners_page(const char *body, size_t len, char *err, size_t errlen);
/* generate-jitconfig reply.  *jit_config is malloc'd (wipe with secret_free). */
int gh_parse_jit(const char *body, size_t len, int64_t *runner_id, char **jit_config,
                 char *err, size_t errlen);
/* Workflow job → new {status, conclusion?, labels, runner_name?, created_at?, started_at?}. */
json_t *gh_parse_job(const char *body, size_t len, char *err, size_t errlen);
/* Runner downloads: 0 and *out = {version,url,sha256?}; 1 when no entry for os/arch;
 * -1 on bad data. */
int gh_parse_downloads(const char *body, size_t len, const char *os, const char *arch,
                       json_t **out, char *err, size_t errlen);
/* Runner groups page: 0 and *id when name is on it, 1 when not, -1 on bad data. */
int gh_parse_runner_groups(const char *body, size_t len, const char *name, int64_t *id,
                           char *err, size_t errlen);
/* GET /rate_limit → new {resource: {limit, remaining, used, reset}}.  A resource with a
 * missing or negative field is left out (err then names the last one, "" when none
 * was); NULL only when the body or its "resources" object is unusable. */
json_t *gh_parse_rate_limit(const char *body, size_t len, char *err, size_t errlen);
/* POST …/access_tokens → token (malloc'd) and expires_at (epoch ms). */
int gh_parse_install_token(const char *body, size_t len, char **token, int64_t *expires_ms,
                           char *err, size_t errlen);
/* GitHub's error text ("message" plus the first errors[] entry), printable, bounded;
 * "" when the body says nothing usable. */
void gh_parse_error_message(const char *body, size_t len, char *out, size_t outlen);
/* Link header → the rel="next" URL.  Returns 1 and fills out, 0 when there is none. */
int gh_link_next(const char *link, char *out, size_t outlen);

/* ---- rate limits (gh_rate.c) ------------------------------------------------------- */

#define GH_RL_MAX_RES 32
#define GH_RL_RESET_MAX_S (1LL << 40)      /* a reset epoch beyond this is nonsense: ignored */
#define GH_RETRY_AFTER_MAX_S 3600           /* retry-after is clamped to an hour */
#define GH_SECONDARY_DEFAULT_MS 60000       /* GitHub: wait at least a minute when it names no time */

struct gh_rl_res {
	char name[40];
	int known;                /* a reply has told us limit/remaining/reset */
	int64_t limit, remaining, used;
	int64_t in_flight;        /* sent, budget-spending, not yet answered */
	int64_t reset_ms;         /* wall clock epoch ms when the window refills */
	int64_t blocked_until_ms; /* secondary limit: wall clock epoch ms */
	int64_t next_paced_ms;    /* low budget: the next non-cleanup call not before */
};

struct gh_rl {
	struct gh_rl_res res[GH_RL_MAX_RES];
	int n;
	struct gh_rl_res scratch; /* handed out for names past a full table, never kept */
	int64_t reserve;
	int64_t minute_of[60];    /* which minute (epoch/60000) bucket i counts */
	int64_t count[60];        /* requests that spent budget in that minute */
	int64_t requests_total;
};

void gh_rl_init(struct gh_rl *rl, int64_t reserve);
/* Creates the entry; when the table is full, an unknown name gets a scratch entry that
 * is wiped on every such call and never reported (existing entries are never lost). */
struct gh_rl_res *gh_rl_get(struct gh_rl *rl, const char *resource);
/* 0: go ahead; else the ms to wait, with a reason in why.  cleanup calls may use the
 * reserve; free calls (GET /rate_limit) are never refused. */
int64_t gh_rl_admit(struct gh_rl *rl, const char *resource, int cleanup, int is_free,
                    int64_t now, char *why, size_t whylen);
/* A request is about to be sent: spend one of the locally known budget. */
void gh_rl_on_send(struct gh_rl *rl, const char *resource, int is_free);
/* A reply arrived: headers are the truth.  Returns the resource the reply named (or the
 * one guessed).  Counts the request in the last-hour window unless it was free (304). */
void gh_rl_on_reply(struct gh_rl *rl, const char *guessed_resource,
                    const struct http_response *resp, int is_free, int64_t now);
void gh_rl_block(struct gh_rl *rl, const char *resource, int64_t until_ms);
/* A retry-after header (delta seconds) in ms: dflt_ms when absent, not a number or not
 * positive; at most GH_RETRY_AFTER_MAX_S. */
int64_t gh_rl_retry_after_ms(const char *value, int64_t dflt_ms);
/* A 403 or 429 reply: is it a rate limit?  0 when not (a plain 403); else the ms to wait,
 * with *secondary 1 for a secondary limit (the resource is then blocked until now+wait:
 * a retry-after, GitHub's "secondary rate limit" text, or a 429 that does not say the
 * primary budget is spent) or 0 for the primary budget spent (remaining 0). */
int64_t gh_rl_limited(struct gh_rl *rl, const char *resource, long status,
                      const char *retry_after, const char *remaining, int secondary_text,
                      int64_t now, int *secondary);
void gh_rl_merge(struct gh_rl *rl, const json_t *resources, int64_t now);
int64_t gh_rl_used_last_hour(const struct gh_rl *rl, int64_t now);
json_t *gh_rl_report(const struct gh_rl *rl, int64_t now);

/* ---- auth (gh_auth.c) -------------------------------------------------------------- */

struct gh;

struct gh_auth {
	int is_app;
	char *token;              /* PAT or installation token; wiped on free */
	int64_t expires_mono;     /* installation token: monotonic ms; 0 = never */
	int64_t lifetime_ms;      /* as seen at the last renewal */
	char client_id[128];
	int64_t installation_id;
	EVP_PKEY *key;
	int renewing;
	int64_t renew_timer;
	int64_t renewals;         /* installation tokens obtained */
	int64_t skew_use_ms;      /* >0 while expires_at keeps arriving in the past (see gh_auth.c) */
};

/* Checks that exactly one of token_file and the app_* keys is configured. */
int gh_auth_config_check(const json_t *github_cfg, char *err, size_t errlen);
int gh_auth_init(struct gh_auth *a, const json_t *github_cfg, const json_t *secret,
                 char *err, size_t errlen);
void gh_auth_free(struct gh_auth *a);
/* The PEM text → private key (NULL + err). */
EVP_PKEY *gh_auth_load_key(const char *pem, char *err, size_t errlen);
/* RS256 JWT for a GitHub App: iat = now-60, exp = now+540, iss = client id.  malloc'd. */
char *gh_jwt_make(EVP_PKEY *key, const char *iss, int64_t now_s, char *err, size_t errlen);
/* Is the token usable now (present and not within the renewal margin)? */
int gh_auth_token_fresh(const struct gh_auth *a, int64_t now_mono);
/* Start renewing the installation token (once; no-op when a renewal runs).  When it
 * ends, gh_api_token_ready() is called. */
void gh_auth_renew(struct gh *g);

/* ---- API calls (gh_api.c) ---------------------------------------------------------- */

/* What a call is, for admission, retries and messages: the one table in gh_api.c. */
enum gh_call_kind {
	GH_CALL_LIST, GH_CALL_GROUPS, GH_CALL_JIT, GH_CALL_DELETE, GH_CALL_JOB,
	GH_CALL_DOWNLOADS, GH_CALL_RATE_LIMIT, GH_CALL_KIND_COUNT
};

struct gh_result {
	long status;                    /* 0: no HTTP answer */
	enum proto_error err;           /* PROTO_OK for 2xx and 304 */
	char message[600];              /* what went wrong, GitHub's words included */
	int64_t retry_after_ms;
	const struct http_response *resp;   /* valid during the callback only; NULL when
	                                     * the call failed before sending */
	unsigned retries;               /* attempts before the one answered (0: first try) */
};

typedef void (*gh_done_cb)(struct gh *g, const struct gh_result *r, void *arg);

/* path: "/orgs/…" (prefixed with api_url) or an absolute URL that must start with api_url
 * (pagination links).  body: JSON text or NULL.  etag: If-None-Match or NULL.  The
 * callback is always called, never from inside gh_api_call. */
void gh_api_call(struct gh *g, enum gh_call_kind kind, const char *method, const char *path,
                 const char *body, const char *etag, int64_t deadline_wall_ms,
                 gh_done_cb cb, void *arg);
void gh_api_token_ready(struct gh *g, int ok, enum proto_error err, const char *message);
/* Map an HTTP status (not a rate-limit one) to a proto error: the one table. */
enum proto_error gh_api_status_error(long status);
const char *gh_api_kind_name(enum gh_call_kind kind);

/* ---- worker state ------------------------------------------------------------------ */

struct gh_pending;       /* a call waiting for a token (gh_api.c) */
struct gh_group_wait;    /* a group resolution in progress (gh_jit.c) */

/* A runner listing answered in parts (gh_list.c): kept only while parts remain to be
 * asked for, and at most GH_SNAP_TTL_MS. */
#define GH_SNAP_MAX 4
struct gh_snap {
	char token[17];          /* random hex naming it in markers; "" = free slot */
	char *prefix;            /* as asked ("" for none) */
	json_t *runners;
	int all_cached;          /* every page was a 304 */
	int64_t taken_ms;        /* monotonic */
	int64_t timer;           /* drops it when the TTL passes; 0 = none */
	struct gh *g;
};

struct gh {
	struct worker *w;
	struct ev_loop *loop;
	struct http_client *http;
	struct gh_target target;
	char api_url[512];
	char runner_group[256];
	int64_t timeout_ms;
	struct gh_rl rl;
	struct gh_auth auth;
	json_t *etag_cache;                 /* url → {etag, runners, next} */
	json_t *groups;                     /* group name → id */
	struct gh_pending *waiting_token;   /* FIFO of calls waiting for the token */
	struct gh_pending *waiting_tail;
	struct gh_group_wait *group_waits;
	int shutting_down;
	int64_t etag_hits, etag_misses;
	struct gh_snap snaps[GH_SNAP_MAX];
};

/* Parse the config slice and secret into g (everything but the loop and http client). */
int gh_setup(struct gh *g, const json_t *config, const json_t *secret, char *err, size_t errlen);
void gh_teardown(struct gh *g);

/* ---- listing (gh_list.c) ----------------------------------------------------------- */

/* Lists every runner (all pages, conditional requests), keeping those whose name starts
 * with prefix (exact: equals it).  cb gets the array (borrowed) or an error. */
typedef void (*gh_list_cb)(struct gh *g, const json_t *runners, int all_cached,
                           const struct gh_result *err, void *arg);
void gh_list_runners(struct gh *g, const char *prefix, int exact, int64_t deadline_wall_ms,
                     gh_list_cb cb, void *arg);
/* Drop every kept listing (teardown). */
void gh_list_snaps_drop(struct gh *g);

/* ---- handlers ---------------------------------------------------------------------- */

void gh_h_runners_list(struct wreq *req);
void gh_h_runner_jit(struct wreq *req);
void gh_h_runner_delete(struct wreq *req);
void gh_h_job_get(struct wreq *req);
void gh_h_downloads(struct wreq *req);
void gh_h_ratelimit(struct wreq *req);

extern const struct worker_def gh_worker_def;

#endif
