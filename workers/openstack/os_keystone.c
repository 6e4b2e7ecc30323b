/* os_keystone — one token for every call: authenticate once, renew it lazily before
 * it expires (os_token_renew_at) or when a call was answered 401, take the endpoints
 * from its catalog (type, interface, region), and discover the compute microversion
 * once.  Calls that need a token while one is being fetched wait in a FIFO, so a burst
 * of 500 requests costs one authentication, not 500.
 *
 * A failed authentication (wrong credentials, Keystone down) is not tried again before
 * a pause that doubles while failures go on (1 s to 60 s): meanwhile calls fail at once
 * with its reason instead of costing a Keystone request each.  And a token that has not
 * expired is never thrown away for nothing: when renewing it fails, or a service answers
 * 401 because it cannot reach Keystone to check it (Glance does), the current token
 * stays in use until it really expires. */
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "common/jsonbody.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/util.h"
#include "workers/openstack/os.h"
#include "workers/openstack/os_parse.h"

#define OS_AUTH_BACKOFF_MS 1000
#define OS_AUTH_BACKOFF_MAX_MS 60000
#define OS_TOKEN_SAFETY_MS 10000     /* a token this close to its expiry is not kept */

struct os_waiter {
	os_ready_cb fn;
	void *arg;
	struct os_waiter *next;
};

/* Catalog type of each service, and the version suffix its URL may carry (which is
 * removed, because request paths carry it: "/v2/images", "/v2.0/networks"). */
static const struct { const char *type; const char *suffix; int required; } services[OS_SVC_COUNT] = {
	[OS_SVC_COMPUTE] = { "compute", NULL, 1 },
	[OS_SVC_IMAGE] = { "image", "/v2", 0 },
	[OS_SVC_NETWORK] = { "network", "/v2.0", 0 },
};

static const char *cred_str(const struct os_ctx *c, const char *key)
{
	const char *s = json_string_value(json_object_get(c->creds, key));
	return s && *s ? s : NULL;
}

void os_auth_register_secrets(const struct os_ctx *c)
{
	const json_t *auth = json_object_get(c->creds, "auth");
	redact_clear_secrets();
	static const char *const keys[] = { "password", "application_credential_secret" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *s = json_string_value(json_object_get(auth, keys[i]));
		if (s && *s)
			redact_add_secret(s);
	}
	if (c->token)
		redact_add_secret(c->token);
}

static void set_token(struct os_ctx *c, const char *token)
{
	secret_free(c->token);
	c->token = token ? strdup(token) : NULL;
	os_auth_register_secrets(c);
}

static void run_waiters(struct os_ctx *c, int ok, enum proto_error code, const char *message)
{
	struct os_waiter *list = c->waiters;
	c->waiters = NULL;
	c->waiters_tail = &c->waiters;
	while (list) {
		struct os_waiter *next = list->next;
		list->fn(c, ok, code, message, list->arg);
		free(list);
		list = next;
	}
}

void os_auth_fail_waiters(struct os_ctx *c, enum proto_error code, const char *message)
{
	c->auth_state = OS_AUTH_NONE;
	run_waiters(c, 0, code, message);
}

/* The current token, though renewal failed, is still good for a while. */
static int token_still_good(const struct os_ctx *c)
{
	return c->token && c->microversion[0] && wall_ms() + OS_TOKEN_SAFETY_MS < c->token_expires_ms;
}

static void auth_failed(struct os_ctx *c, enum proto_error code, const char *what, const char *message)
{
	c->auth_backoff_ms = c->auth_backoff_ms ? c->auth_backoff_ms * 2 : OS_AUTH_BACKOFF_MS;
	if (c->auth_backoff_ms > OS_AUTH_BACKOFF_MAX_MS)
		c->auth_backoff_ms = OS_AUTH_BACKOFF_MAX_MS;
	c->auth_retry_ms = now_ms() + c->auth_backoff_ms;
	int keep = token_still_good(c);
	log_error("keystone authentication failed", "step=%s error=%s reason=%s next_attempt_ms=%lld%s",
	          what, proto_error_name(code), log_q(message), (long long)c->auth_backoff_ms,
	          keep ? " keeping=the current token until it expires" : "");
	snprintf(c->auth_last_error, sizeof c->auth_last_error, "keystone %s: %s", what, message);
	c->auth_last_code = code;
	if (keep) {
		c->auth_state = OS_AUTH_OK;
		run_waiters(c, 1, PROTO_OK, NULL);
		return;
	}
	os_auth_fail_waiters(c, code, c->auth_last_error);
}

/* ---- microversion discovery -------------------------------------------------------- */

static void version_done(const struct http_response *resp, void *arg)
{
	struct os_ctx *c = arg;
	char err[256], min[16], max[16];
	if (resp->status != 200) {
		os_error_message(resp->status, http_header_get(resp, "content-type"), resp->body,
		                 resp->body_len, err, sizeof err);
		auth_failed(c, PROTO_E_UNAVAILABLE, "compute version discovery",
		            resp->status ? err : resp->error_text);
		return;
	}
	json_t *doc = jsonbody_load(resp->body, resp->body_len, 0,
	                            http_header_get(resp, "content-type"), err, sizeof err);
	int bad = !doc || os_parse_version(doc, min, max, sizeof min, err, sizeof err);
	json_decref(doc);
	if (bad) {
		auth_failed(c, PROTO_E_UNAVAILABLE, "compute version discovery", err);
		return;
	}
	if (os_microversion_pick(min, max, c->mv_cap, c->microversion, sizeof c->microversion) != 0) {
		snprintf(err, sizeof err, "the cloud offers compute %s to %s, openstack.microversion_cap is %s",
		         min, max, c->mv_cap);
		c->microversion[0] = '\0';
		auth_failed(c, PROTO_E_INTERNAL, "compute version discovery", err);
		return;
	}
	log_info("compute microversion chosen", "microversion=%s server_min=%s server_max=%s cap=%s",
	         c->microversion, min, max, c->mv_cap);
	c->auth_state = OS_AUTH_OK;
	run_waiters(c, 1, PROTO_OK, NULL);
}

/* The version document lives at the root of the v2.1 API, even when the catalog URL
 * carries a project id after it (os_compute_urls). */
static void discover_microversion(struct os_ctx *c)
{
	char url[600], base[sizeof c->endpoint[0]];
	if (os_compute_urls(c->endpoint[OS_SVC_COMPUTE], base, sizeof base, url, sizeof url) != 0) {
		auth_failed(c, PROTO_E_INTERNAL, "compute version discovery", "compute endpoint URL too long");
		return;
	}
	struct http_header h[] = { { "Accept", "application/json" }, { "X-Auth-Token", c->token } };
	struct http_request req = { .method = "GET", .url = url, .headers = h, .n_headers = 2,
	                            .timeout_ms = c->timeout_ms };
	if (http_send(c->http, &req, version_done, c) != 0)
		auth_failed(c, PROTO_E_INTERNAL, "compute version discovery", "cannot send the request");
}

/* ---- token -------------------------------------------------------------------------- */

static int take_endpoints(struct os_ctx *c, const json_t *reply, char *err, size_t errlen)
{
	const char *iface = cred_str(c, "interface");
	const char *region = cred_str(c, "region_name");
	for (int s = 0; s < OS_SVC_COUNT; s++) {
		char url[sizeof c->endpoint[0]];
		if (os_catalog_pick(reply, services[s].type, iface ? iface : "public", region,
		                    url, sizeof url, err, errlen) != 0) {
			if (services[s].required)
				return -1;
			c->endpoint[s][0] = '\0';
			continue;
		}
		size_t n = strlen(url), sl = services[s].suffix ? strlen(services[s].suffix) : 0;
		if (sl && n > sl && strcmp(url + n - sl, services[s].suffix) == 0)
			url[n - sl] = '\0';
		if (s == OS_SVC_COMPUTE) {
			char base[sizeof url], vurl[sizeof url];
			if (os_compute_urls(url, base, sizeof base, vurl, sizeof vurl) != 0) {
				snprintf(err, errlen, "catalog: compute endpoint URL too long");
				return -1;
			}
			memcpy(url, base, sizeof url);
		}
		memcpy(c->endpoint[s], url, sizeof url);
	}
	return 0;
}

static void token_done(const struct http_response *resp, void *arg)
{
	struct os_ctx *c = arg;
	char err[512];
	if (resp->status != 201 && resp->status != 200) {
		if (resp->status) {
			os_error_message(resp->status, http_header_get(resp, "content-type"), resp->body,
			                 resp->body_len, err, sizeof err);
			auth_failed(c, resp->status == 401 ? PROTO_E_UNAUTHORIZED : os_status_to_error(resp->status, err),
			            "authentication", err);
		} else {
			auth_failed(c, PROTO_E_UNAVAILABLE, "authentication", resp->error_text);
		}
		return;
	}
	const char *token = http_header_get(resp, "x-subject-token");
	json_t *reply = jsonbody_load(resp->body, resp->body_len, 0,
	                              http_header_get(resp, "content-type"), err, sizeof err);
	int64_t expires, issued;
	if (!reply) {
		auth_failed(c, PROTO_E_UNAVAILABLE, "authentication", err);
	} else if (!token || !*token) {
		auth_failed(c, PROTO_E_INTERNAL, "authentication", "reply without X-Subject-Token");
	} else if (os_parse_token(reply, &expires, &issued, err, sizeof err) != 0 ||
	           take_endpoints(c, reply, err, sizeof err) != 0) {
		auth_failed(c, PROTO_E_INTERNAL, "authentication", err);
	} else {
		set_token(c, token);
		const char *pid = json_string_value(json_object_get(json_object_get(json_object_get(reply, "token"),
		                                                                    "project"), "id"));
		snprintf(c->project_id, sizeof c->project_id, "%s", pid && strlen(pid) < sizeof c->project_id ? pid : "");
		c->token_expires_ms = expires;
		c->token_renew_ms = os_token_renew_at(issued, expires, wall_ms());
		c->stats.auths++;
		c->auth_backoff_ms = 0;
		c->auth_retry_ms = 0;
		log_info("keystone token obtained", "expires_in_s=%lld compute=%s",
		         (long long)((expires - wall_ms()) / 1000), c->endpoint[OS_SVC_COMPUTE]);
		if (!c->microversion[0]) {
			discover_microversion(c);
		} else {
			c->auth_state = OS_AUTH_OK;
			run_waiters(c, 1, PROTO_OK, NULL);
		}
	}
	json_decref(reply);
}

static void start_auth(struct os_ctx *c)
{
	char err[256], url[600];
	const char *auth_url = json_string_value(json_object_get(json_object_get(c->creds, "auth"), "auth_url"));
	c->auth_state = OS_AUTH_PENDING;
	json_t *body = os_auth_body(c->creds, err, sizeof err);
	if (!body || !auth_url) {
		json_decref(body);
		auth_failed(c, PROTO_E_INTERNAL, "request", body ? "auth.auth_url missing" : err);
		return;
	}
	/* auth_url is given with or without its /v3 */
	size_t n = strlen(auth_url);
	while (n > 0 && auth_url[n - 1] == '/')
		n--;
	int has_v3 = n >= 3 && strncmp(auth_url + n - 3, "/v3", 3) == 0;
	snprintf(url, sizeof url, "%.*s%s/auth/tokens", (int)n, auth_url, has_v3 ? "" : "/v3");

	char *text = json_dumps(body, JSON_COMPACT);
	os_json_wipe_secrets(body);
	json_decref(body);
	struct http_header h[] = { { "Content-Type", "application/json" }, { "Accept", "application/json" } };
	struct http_request req = { .method = "POST", .url = url, .headers = h, .n_headers = 2, .body = text,
	                            .body_len = text ? strlen(text) : 0, .timeout_ms = c->timeout_ms };
	int rc = text ? http_send(c->http, &req, token_done, c) : -1;
	secret_free(text);
	if (rc != 0)
		auth_failed(c, PROTO_E_INTERNAL, "request", "cannot send the request (bad auth_url?)");
}

void os_auth_when_ready(struct os_ctx *c, os_ready_cb fn, void *arg)
{
	int paused = now_ms() < c->auth_retry_ms;
	if (c->auth_state == OS_AUTH_OK && wall_ms() >= c->token_renew_ms && !paused) {
		log_info("keystone token expires soon; renewing", "expires_in_s=%lld",
		         (long long)((c->token_expires_ms - wall_ms()) / 1000));
		c->auth_state = OS_AUTH_NONE;
	} else if (c->auth_state == OS_AUTH_OK && paused && !token_still_good(c)) {
		c->auth_state = OS_AUTH_NONE;    /* kept while it lasted; now it is spent */
	}
	if (c->auth_state == OS_AUTH_OK) {
		fn(c, 1, PROTO_OK, NULL, arg);
		return;
	}
	if (c->auth_state == OS_AUTH_NONE && paused) {
		char msg[800];
		snprintf(msg, sizeof msg, "%s (next attempt in %lld ms)", c->auth_last_error,
		         (long long)(c->auth_retry_ms - now_ms()));
		fn(c, 0, c->auth_last_code, msg, arg);
		return;
	}
	struct os_waiter *wt = calloc(1, sizeof *wt);
	if (!wt) {
		fn(c, 0, PROTO_E_INTERNAL, "out of memory", arg);
		return;
	}
	wt->fn = fn;
	wt->arg = arg;
	*c->waiters_tail = wt;
	c->waiters_tail = &wt->next;
	if (c->auth_state == OS_AUTH_NONE)
		start_auth(c);
}

void os_auth_invalidate(struct os_ctx *c, const char *token)
{
	if (c->auth_state == OS_AUTH_OK && c->token && token && strcmp(c->token, token) == 0) {
		if (now_ms() < c->auth_retry_ms && token_still_good(c))
			return;    /* Keystone failed us a moment ago: keep the token, ask later */
		log_warn("token refused (401); authenticating again", "%s", "");
		c->auth_state = OS_AUTH_NONE;
	}
}
