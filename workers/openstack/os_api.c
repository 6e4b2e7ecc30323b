/* os_api — one OpenStack call from start to callback: wait for a token, build the URL
 * from the catalog endpoint, send with the token and the compute microversion, bound
 * it by the request's deadline, re-authenticate once on a 401, resend idempotent calls
 * (GET, PUT, DELETE) after a transport error, 5xx or 429 with backoff, and map the
 * answer to a bus error code.  Non-idempotent calls (create, snapshot) are never
 * resent here: their callers decide, because a resent POST can make a second VM. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>

#include "common/evloop.h"
#include "common/http.h"
#include "common/jsonbody.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/openstack/os.h"
#include "workers/openstack/os_parse.h"

#define OS_BACKOFF_BASE_MS 250
#define OS_BACKOFF_CAP_MS 4000
#define OS_RETRY_AFTER_CAP_MS 30000

struct os_call {
	struct os_ctx *c;
	enum os_service svc;
	char method[8];
	char *path;
	char *body;
	unsigned flags;
	int64_t deadline_ms;
	os_done_cb cb;
	void *arg;
	int attempt;
	int reauthed;
	char *token_used;
	int upload_fd;              /* -1, or PUT the file's upload_len bytes (Glance image data) */
	int64_t upload_len;
};

static const char *const svc_names[OS_SVC_COUNT] = { "compute", "image", "network" };

/* Statuses worth another try of an idempotent call. */
static int retryable_status(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static void call_free(struct os_call *k)
{
	free(k->path);
	secret_free(k->body);      /* a create's body holds user_data, i.e. the JIT config */
	secret_free(k->token_used);
	free(k);
}

static void finish(struct os_call *k, struct os_result *r)
{
	k->cb(k->c, r, k->arg);
	call_free(k);
}

static void finish_err(struct os_call *k, enum proto_error code, const char *msg)
{
	struct os_result r = { 0 };
	r.code = code;
	snprintf(r.message, sizeof r.message, "%s", msg ? msg : proto_error_name(code));
	finish(k, &r);
}

static void send_call(struct os_call *k);

static void on_ready(struct os_ctx *c, int ok, enum proto_error code, const char *message, void *arg)
{
	struct os_call *k = arg;
	if (!ok)
		finish_err(k, code, message);
	else
		send_call(k);
}

static void on_retry_timer(struct ev_loop *loop, int64_t id, void *arg)
{
	struct os_call *k = arg;
	os_auth_when_ready(k->c, on_ready, k);
}

static int64_t retry_delay(const struct os_call *k, const struct http_response *resp)
{
	const char *ra = resp->status == 429 || resp->status == 503 ? http_header_get(resp, "retry-after") : NULL;
	if (ra) {
		char *end;
		long s = strtol(ra, &end, 10);
		if (end != ra && s >= 0)
			return s * 1000 < OS_RETRY_AFTER_CAP_MS ? s * 1000 : OS_RETRY_AFTER_CAP_MS;
	}
	return backoff_ms((unsigned)k->attempt, OS_BACKOFF_BASE_MS, OS_BACKOFF_CAP_MS);
}

static void fill_result(struct os_result *r, const struct http_response *resp)
{
	r->status = resp->status;
	r->transport_error = resp->error;
	r->resp = resp;
	char why[200] = "";
	const char *ctype = http_header_get(resp, "content-type");
	if (resp->body_len)
		r->json = jsonbody_load(resp->body, resp->body_len, 0, ctype, why, sizeof why);
	if (resp->error) {
		r->code = resp->error == CURLE_OPERATION_TIMEDOUT ? PROTO_E_TIMEOUT : PROTO_E_UNAVAILABLE;
		snprintf(r->message, sizeof r->message, "%s", resp->error_text[0] ? resp->error_text :
		         curl_easy_strerror((CURLcode)resp->error));
	} else if (resp->status >= 200 && resp->status <= 299 && resp->body_len && !r->json) {
		/* a success that cannot be read: say what was wrong, not what is missing */
		r->code = PROTO_E_INTERNAL;
		snprintf(r->message, sizeof r->message, "HTTP %ld reply is %s", resp->status, why);
	} else if (resp->status >= 200 && resp->status <= 299) {
		r->code = PROTO_OK;
	} else {
		os_error_message(resp->status, ctype, resp->body, resp->body_len, r->message,
		                 sizeof r->message);
		r->code = os_status_to_error(resp->status, r->message);
	}
}

static void on_http(const struct http_response *resp, void *arg)
{
	struct os_call *k = arg;
	struct os_ctx *c = k->c;
	c->stats.requests++;
	log_debug("openstack call", "service=%s method=%s path=%s status=%ld error=%d ms=%lld",
	          svc_names[k->svc], k->method, log_q(k->path), resp->status, resp->error,
	          (long long)resp->elapsed_ms);

	if (resp->status == 401 && !resp->error && !k->reauthed && !c->shutting_down) {
		k->reauthed = 1;
		c->stats.reauth_401++;
		os_auth_invalidate(c, k->token_used);
		os_auth_when_ready(c, on_ready, k);
		return;
	}
	int transient = resp->error ? resp->error != CURLE_ABORTED_BY_CALLBACK : retryable_status(resp->status);
	if ((k->flags & OS_IDEMPOTENT) && transient && k->attempt + 1 < c->max_attempts && !c->shutting_down) {
		k->attempt++;
		int64_t delay = retry_delay(k, resp);
		if (!k->deadline_ms || wall_ms() + delay + 50 < k->deadline_ms) {
			c->stats.retries++;
			log_info("openstack call failed; retrying", "service=%s method=%s path=%s status=%ld error=%d attempt=%d delay_ms=%lld",
			         svc_names[k->svc], k->method, log_q(k->path), resp->status, resp->error,
			         k->attempt, (long long)delay);
			ev_timer_add(c->loop, delay, on_retry_timer, k);
			return;
		}
	}
	struct os_result r = { 0 };
	fill_result(&r, resp);
	json_t *j = r.json;
	finish(k, &r);
	json_decref(j);
}

static void send_call(struct os_call *k)
{
	struct os_ctx *c = k->c;
	char url[2048], mv[40];
	long timeout = c->timeout_ms;
	if (k->deadline_ms) {
		int64_t left = k->deadline_ms - wall_ms();
		if (left <= 0) {
			finish_err(k, PROTO_E_TIMEOUT, "the request's deadline passed before the call was sent");
			return;
		}
		if (left < timeout)
			timeout = (long)left;
	}
	int absolute = strncmp(k->path, "http://", 7) == 0 || strncmp(k->path, "https://", 8) == 0;
	if (!absolute && !c->endpoint[k->svc][0]) {
		char msg[128];
		snprintf(msg, sizeof msg, "the catalog has no %s endpoint", svc_names[k->svc]);
		finish_err(k, PROTO_E_UNAVAILABLE, msg);
		return;
	}
	if ((size_t)snprintf(url, sizeof url, "%s%s", absolute ? "" : c->endpoint[k->svc], k->path) >= sizeof url) {
		finish_err(k, PROTO_E_BAD_REQUEST, "URL too long");
		return;
	}
	secret_free(k->token_used);
	k->token_used = strdup(c->token ? c->token : "");
	struct http_header h[5];
	int n = 0;
	h[n++] = (struct http_header){ "X-Auth-Token", k->token_used };
	h[n++] = (struct http_header){ "Accept", "application/json" };
	if (k->body)
		h[n++] = (struct http_header){ "Content-Type", "application/json" };
	struct http_stream st = { .upload_fd = k->upload_fd, .upload_len = k->upload_len, .download_fd = -1 };
	if (k->upload_fd >= 0) {
		h[n++] = (struct http_header){ "Content-Type", "application/octet-stream" };
		if (lseek(k->upload_fd, 0, SEEK_SET) != 0) {       /* a resend starts over */
			finish_err(k, PROTO_E_INTERNAL, "cannot rewind the file to upload");
			return;
		}
	}
	if (k->svc == OS_SVC_COMPUTE && c->microversion[0]) {
		snprintf(mv, sizeof mv, "compute %s", c->microversion);
		h[n++] = (struct http_header){ "OpenStack-API-Version", mv };
		h[n++] = (struct http_header){ "X-OpenStack-Nova-API-Version", c->microversion };
	}
	struct http_request req = {
		.method = k->method, .url = url, .headers = h, .n_headers = n, .body = k->body,
		.body_len = k->body ? strlen(k->body) : 0, .timeout_ms = timeout,
		.fresh_connect = !(k->flags & OS_IDEMPOTENT),   /* never resent by libcurl (http.h) */
		.stream = k->upload_fd >= 0 ? &st : NULL,
	};
	if (!k->token_used || http_send(c->http, &req, on_http, k) != 0)
		finish_err(k, PROTO_E_INTERNAL, "cannot send the request");
}

/* The JSON text of body in one buffer of its exact size: json_dumps grows its buffer
 * by realloc, leaving freed, unwiped copies of what may be a JIT config behind. */
static char *dump_exact(const json_t *body)
{
	size_t n = json_dumpb(body, NULL, 0, JSON_COMPACT);
	char *text = n ? malloc(n + 1) : NULL;
	if (!text)
		return NULL;
	if (json_dumpb(body, text, n, JSON_COMPACT) != n) {
		explicit_bzero(text, n);
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

static void start_call(struct os_ctx *c, enum os_service svc, const char *method, const char *path,
                       json_t *body, int upload_fd, int64_t upload_len, unsigned flags, int64_t deadline_ms,
                       os_done_cb cb, void *arg)
{
	struct os_call *k = calloc(1, sizeof *k);
	if (k) {
		k->path = strdup(path);
		k->body = body ? dump_exact(body) : NULL;
		k->upload_fd = upload_fd;
		k->upload_len = upload_len;
	}
	json_decref(body);
	if (!k || !k->path || (body && !k->body)) {
		struct os_result r = { .code = PROTO_E_INTERNAL };
		snprintf(r.message, sizeof r.message, "out of memory");
		if (k)
			call_free(k);
		cb(c, &r, arg);
		return;
	}
	k->c = c;
	k->svc = svc;
	snprintf(k->method, sizeof k->method, "%s", method);
	k->flags = flags;
	k->deadline_ms = deadline_ms;
	k->cb = cb;
	k->arg = arg;
	if (c->shutting_down) {
		finish_err(k, PROTO_E_SHUTTING_DOWN, "the openstack worker is stopping");
		return;
	}
	os_auth_when_ready(c, on_ready, k);
}

void os_request(struct os_ctx *c, enum os_service svc, const char *method, const char *path,
                json_t *body, unsigned flags, int64_t deadline_ms, os_done_cb cb, void *arg)
{
	start_call(c, svc, method, path, body, -1, 0, flags, deadline_ms, cb, arg);
}

void os_request_upload(struct os_ctx *c, enum os_service svc, const char *path, int fd, int64_t len,
                       int64_t deadline_ms, os_done_cb cb, void *arg)
{
	start_call(c, svc, "PUT", path, NULL, fd, len, 0, deadline_ms, cb, arg);
}

void os_reply_result_err(struct wreq *req, const struct os_result *r, const char *what)
{
	enum proto_error code = r->code == PROTO_OK ? PROTO_E_INTERNAL : r->code;
	int64_t retry_after = 0;
	const char *ra = r->resp && r->code == PROTO_E_RATE_LIMITED ? http_header_get(r->resp, "retry-after") : NULL;
	if (ra)
		retry_after = strtoll(ra, NULL, 10) * 1000;
	worker_reply_err(req, code, retry_after > 0 ? retry_after : 0, "%s: %s", what, r->message);
}
