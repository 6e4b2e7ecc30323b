/* One GitHub REST call: admission against the rate limits, the auth header (waiting for
 * an installation token when needed), the request on the shared HTTP client, retries of
 * idempotent calls, and the mapping of every outcome to a proto error with GitHub's own
 * words.  Callbacks are always deferred, never run inside gh_api_call. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "common/evloop.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/github/gh.h"

#define GH_MAX_RETRIES 3
#define GH_RETRY_BASE_MS 200
#define GH_RETRY_CAP_MS 4000
#define GH_MIN_ATTEMPT_MS 200           /* less time than this left: do not even try */
#define GH_REPLY_MARGIN_MS 100          /* answer this long before the caller's deadline */

/* What each kind of call is.  resource: the rate-limit bucket GitHub charges it to;
 * idempotent: may be retried on 5xx and connection errors; cleanup: may spend the reserve;
 * free: does not count against the primary limit. */
static const struct {
	const char *name;
	const char *resource;
	int idempotent, cleanup, is_free;
} gh_call_class[GH_CALL_KIND_COUNT] = {
	[GH_CALL_LIST]       = { "runner list",       "core",                        1, 0, 0 },
	[GH_CALL_GROUPS]     = { "runner group list", "core",                        1, 0, 0 },
	[GH_CALL_JIT]        = { "JIT registration",  "actions_runner_registration", 0, 0, 0 },
	[GH_CALL_DELETE]     = { "runner delete",     "core",                        1, 1, 0 },
	[GH_CALL_JOB]        = { "job lookup",        "core",                        1, 0, 0 },
	[GH_CALL_DOWNLOADS]  = { "runner downloads",  "core",                        1, 0, 0 },
	[GH_CALL_RATE_LIMIT] = { "rate limit read",   "core",                        1, 1, 1 },
};

/* HTTP status → proto error, for everything that is not a rate limit (handled first). */
static const struct {
	long lo, hi;
	enum proto_error err;
} gh_status_map[] = {
	{ 400, 400, PROTO_E_BAD_REQUEST },
	{ 401, 401, PROTO_E_UNAUTHORIZED },
	{ 403, 403, PROTO_E_FORBIDDEN },
	{ 404, 404, PROTO_E_NOT_FOUND },
	{ 409, 409, PROTO_E_CONFLICT },
	{ 410, 410, PROTO_E_NOT_FOUND },
	{ 422, 422, PROTO_E_CONFLICT },
	{ 429, 429, PROTO_E_RATE_LIMITED },
	{ 405, 499, PROTO_E_BAD_REQUEST },
	{ 500, 599, PROTO_E_UNAVAILABLE },
};

enum proto_error gh_api_status_error(long status)
{
	for (size_t i = 0; i < sizeof(gh_status_map) / sizeof(gh_status_map[0]); i++)
		if (status >= gh_status_map[i].lo && status <= gh_status_map[i].hi)
			return gh_status_map[i].err;
	return PROTO_E_INTERNAL;     /* 1xx, 3xx other than 304: not something we asked for */
}

const char *gh_api_kind_name(enum gh_call_kind kind)
{
	return kind < GH_CALL_KIND_COUNT ? gh_call_class[kind].name : "call";
}

struct gh_pending {
	struct gh *g;
	enum gh_call_kind kind;
	char method[8];
	char *url;
	char *body;
	char *etag;
	int64_t deadline;          /* wall ms */
	gh_done_cb cb;
	void *arg;
	unsigned attempt;
	int auth_retried;
	int token_waited;
	int64_t timer;
	struct gh_result res;      /* a failure decided before sending */
	struct gh_pending *next;
};

static void pending_free(struct gh_pending *p)
{
	free(p->url);
	if (p->body) {
		explicit_bzero(p->body, strlen(p->body));
		free(p->body);
	}
	free(p->etag);
	free(p);
}

/* The part of the URL after api_url, for messages ("GET /orgs/x/actions/runners"). */
static const char *short_path(const struct gh_pending *p)
{
	size_t n = strlen(p->g->api_url);
	return strncmp(p->url, p->g->api_url, n) == 0 ? p->url + n : p->url;
}

static void finish(struct gh_pending *p, struct gh_result *r)
{
	r->retries = p->attempt;
	if (r->err != PROTO_OK)
		log_debug("github call failed", "call=%s method=%s path=%s status=%ld error=%s msg=%s",
		          log_q(gh_call_class[p->kind].name), p->method, log_q(short_path(p)), r->status,
		          proto_error_name(r->err), log_q(r->message));
	p->cb(p->g, r, p->arg);
	pending_free(p);
}

static void on_deferred(struct ev_loop *loop, int64_t id, void *arg)
{
	struct gh_pending *p = arg;
	p->timer = 0;
	finish(p, &p->res);
}

/* Fail before (or instead of) sending: the callback runs from the loop, not from here. */
static void fail_later(struct gh_pending *p, enum proto_error err, int64_t retry_after_ms,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fail_later(struct gh_pending *p, enum proto_error err, int64_t retry_after_ms,
                       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	memset(&p->res, 0, sizeof(p->res));
	p->res.err = err;
	p->res.retry_after_ms = retry_after_ms;
	vsnprintf(p->res.message, sizeof(p->res.message), fmt, ap);
	va_end(ap);
	p->timer = ev_timer_add(p->g->loop, 0, on_deferred, p);
	if (p->timer <= 0)
		finish(p, &p->res);   /* cannot happen short of OOM; better late than never */
}

static void start(struct gh_pending *p);

static void on_retry_timer(struct ev_loop *loop, int64_t id, void *arg)
{
	struct gh_pending *p = arg;
	p->timer = 0;
	start(p);
}

/* Schedules another attempt if the call may be retried and the deadline allows. */
static int maybe_retry(struct gh_pending *p, const char *why)
{
	if (!gh_call_class[p->kind].idempotent || p->attempt >= GH_MAX_RETRIES || p->g->shutting_down)
		return 0;
	int64_t delay = backoff_ms(p->attempt + 1, GH_RETRY_BASE_MS, GH_RETRY_CAP_MS);
	if (wall_ms() + delay + GH_MIN_ATTEMPT_MS + GH_REPLY_MARGIN_MS >= p->deadline)
		return 0;
	p->attempt++;
	log_info("github call retried", "call=%s path=%s attempt=%u delay_ms=%lld reason=%s",
	         log_q(gh_call_class[p->kind].name), log_q(short_path(p)), p->attempt,
	         (long long)delay, log_q(why));
	p->timer = ev_timer_add(p->g->loop, delay, on_retry_timer, p);
	return p->timer > 0;
}

static void wait_for_token(struct gh_pending *p)
{
	struct gh *g = p->g;
	if (!g->auth.is_app) {     /* a PAT is never renewed: nothing to wait for */
		fail_later(p, PROTO_E_UNAUTHORIZED, 0, "no GitHub token");
		return;
	}
	p->next = NULL;
	if (g->waiting_tail)
		g->waiting_tail->next = p;
	else
		g->waiting_token = p;
	g->waiting_tail = p;
	gh_auth_renew(g);
}

/* Handles a reply (or a transport failure).  Returns nothing: either finishes p or
 * schedules another attempt. */
static void on_http(const struct http_response *resp, void *arg)
{
	struct gh_pending *p = arg;
	struct gh *g = p->g;
	const char *resource = gh_call_class[p->kind].resource;
	int64_t now = wall_ms();
	struct gh_result r = { .status = resp->status, .resp = resp };
	char ghmsg[400] = "";

	gh_rl_on_reply(&g->rl, resource, resp, gh_call_class[p->kind].is_free, now);
	log_debug("github reply", "call=%s method=%s path=%s status=%ld error=%d ms=%lld",
	          log_q(gh_call_class[p->kind].name), p->method, log_q(short_path(p)), resp->status,
	          resp->error, (long long)resp->elapsed_ms);

	if (resp->error) {
		if (resp->error == CURLE_FILESIZE_EXCEEDED) {
			r.err = PROTO_E_INTERNAL;
			snprintf(r.message, sizeof(r.message), "GitHub sent too much for %s %s: %s",
			         p->method, short_path(p), resp->error_text);
		} else if (resp->error == CURLE_ABORTED_BY_CALLBACK) {
			r.err = PROTO_E_SHUTTING_DOWN;
			snprintf(r.message, sizeof(r.message), "%s %s cancelled: the worker is stopping",
			         p->method, short_path(p));
		} else {
			if (maybe_retry(p, resp->error_text))
				return;
			r.err = wall_ms() >= p->deadline ? PROTO_E_TIMEOUT : PROTO_E_UNAVAILABLE;
			snprintf(r.message, sizeof(r.message), "GitHub unreachable for %s %s: %s",
			         p->method, short_path(p), resp->error_text);
		}
		r.status = 0;
		finish(p, &r);
		return;
	}
	if ((resp->status >= 200 && resp->status < 300) || resp->status == 304) {
		r.err = PROTO_OK;
		finish(p, &r);
		return;
	}
	gh_parse_error_message(resp->body, resp->body_len, ghmsg, sizeof(ghmsg));
	if (resp->status == 401 && g->auth.is_app && !p->auth_retried) {
		/* the installation token was revoked or expired early: renew once, then retry */
		p->auth_retried = 1;
		g->auth.expires_mono = 1;
		wait_for_token(p);
		return;
	}
	int secondary;
	int64_t wait = gh_rl_limited(&g->rl, resource, resp->status, http_header_get(resp, "retry-after"),
	                             http_header_get(resp, "x-ratelimit-remaining"),
	                             strstr(ghmsg, "secondary rate limit") != NULL, now, &secondary);
	if (wait > 0) {
		log_warn(secondary ? "github secondary rate limit" : "github primary rate limit",
		         "resource=%s retry_after_ms=%lld", resource, (long long)wait);
		r.err = PROTO_E_RATE_LIMITED;
		r.retry_after_ms = wait;
		if (secondary)
			snprintf(r.message, sizeof(r.message), "GitHub secondary rate limit on %s %s: %s",
			         p->method, short_path(p), ghmsg[0] ? ghmsg : "retry later");
		else
			snprintf(r.message, sizeof(r.message), "GitHub primary rate limit reached on %s %s: %s",
			         p->method, short_path(p), ghmsg[0] ? ghmsg : "rate limit exceeded");
		finish(p, &r);
		return;
	}
	if (resp->status >= 500 && maybe_retry(p, "server error"))
		return;
	r.err = gh_api_status_error(resp->status);
	if (r.err == PROTO_E_RATE_LIMITED)
		r.retry_after_ms = GH_SECONDARY_DEFAULT_MS;
	snprintf(r.message, sizeof(r.message), "GitHub answered HTTP %ld to %s %s%s%s", resp->status,
	         p->method, short_path(p), ghmsg[0] ? ": " : "", ghmsg);
	finish(p, &r);
}

static void start(struct gh_pending *p)
{
	struct gh *g = p->g;
	int64_t now = wall_ms();
	char why[300];
	if (g->shutting_down) {
		fail_later(p, PROTO_E_SHUTTING_DOWN, 0, "the github worker is stopping");
		return;
	}
	int64_t left = p->deadline - now;
	if (left < GH_REPLY_MARGIN_MS / 2) {
		fail_later(p, PROTO_E_TIMEOUT, 0, "deadline passed before %s %s could be sent",
		           p->method, short_path(p));
		return;
	}
	/* a retry finishes a call already admitted: the reserve and pacing do not apply to
	 * it again (exhausted budgets and secondary limits still do) */
	int64_t wait = gh_rl_admit(&g->rl, gh_call_class[p->kind].resource,
	                           gh_call_class[p->kind].cleanup || p->attempt > 0,
	                           gh_call_class[p->kind].is_free, now, why, sizeof(why));
	if (wait > 0) {
		fail_later(p, PROTO_E_RATE_LIMITED, wait, "%s", why);
		return;
	}
	if (!(p->token_waited && g->auth.token) && !gh_auth_token_fresh(&g->auth, now_ms())) {
		wait_for_token(p);
		return;
	}
	char authz[4096];
	snprintf(authz, sizeof(authz), "Bearer %s", g->auth.token);
	struct http_header h[5] = {
		{ "Accept", "application/vnd.github+json" },
		{ "X-GitHub-Api-Version", "2022-11-28" },
		{ "Authorization", authz },
	};
	int n = 3;
	if (p->body)
		h[n++] = (struct http_header){ "Content-Type", "application/json" };
	if (p->etag)
		h[n++] = (struct http_header){ "If-None-Match", p->etag };
	/* the attempt ends early enough for the reply to reach the caller in time */
	int64_t timeout = left > 2 * GH_REPLY_MARGIN_MS ? left - GH_REPLY_MARGIN_MS : left / 2;
	if (timeout > g->timeout_ms)
		timeout = g->timeout_ms;
	struct http_request rq = { .method = p->method, .url = p->url, .headers = h, .n_headers = n,
	                           .body = p->body, .body_len = p->body ? strlen(p->body) : 0,
	                           .timeout_ms = timeout };
	int rc = http_send(g->http, &rq, on_http, p);
	explicit_bzero(authz, sizeof(authz));
	if (rc != 0) {
		fail_later(p, PROTO_E_INTERNAL, 0, "cannot send %s %s", p->method, short_path(p));
		return;
	}
	gh_rl_on_send(&g->rl, gh_call_class[p->kind].resource, gh_call_class[p->kind].is_free);
}

void gh_api_call(struct gh *g, enum gh_call_kind kind, const char *method, const char *path,
                 const char *body, const char *etag, int64_t deadline_wall_ms,
                 gh_done_cb cb, void *arg)
{
	struct gh_pending *p = calloc(1, sizeof(*p));
	if (!p) {
		struct gh_result r = { .err = PROTO_E_INTERNAL };
		snprintf(r.message, sizeof(r.message), "out of memory");
		cb(g, &r, arg);    /* the one synchronous path: nothing else can be done */
		return;
	}
	p->g = g;
	p->kind = kind;
	snprintf(p->method, sizeof(p->method), "%s", method);
	p->deadline = deadline_wall_ms;
	p->cb = cb;
	p->arg = arg;
	size_t base = strlen(g->api_url);
	int foreign = 0;
	if (path[0] == '/') {
		size_t len = base + strlen(path) + 1;
		if ((p->url = malloc(len)))
			snprintf(p->url, len, "%s%s", g->api_url, path);
	} else {
		/* Pagination links come from the reply; follow them only to our own API, so
		 * that a forged Link header cannot send the token elsewhere. */
		foreign = strncmp(path, g->api_url, base) != 0 || path[base] != '/';
		p->url = strdup(path);
	}
	p->body = body ? strdup(body) : NULL;
	p->etag = etag ? strdup(etag) : NULL;
	if (!p->url || (body && !p->body) || (etag && !p->etag)) {
		fail_later(p, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	if (foreign) {
		fail_later(p, PROTO_E_INTERNAL, 0, "GitHub sent a link outside %s; not followed",
		           g->api_url);
		return;
	}
	start(p);
}

void gh_api_token_ready(struct gh *g, int ok, enum proto_error err, const char *message)
{
	struct gh_pending *list = g->waiting_token;
	g->waiting_token = g->waiting_tail = NULL;
	while (list) {
		struct gh_pending *p = list;
		list = p->next;
		p->next = NULL;
		if (ok) {
			p->token_waited = 1;
			start(p);
		} else {
			fail_later(p, err, err == PROTO_E_UNAVAILABLE ? 5000 : 0, "%s", message);
		}
	}
}
