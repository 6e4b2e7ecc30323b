/* Authentication: a personal access token, or a GitHub App installation token.
 *
 * An App signs a short JWT (RS256, iat 60 s in the past for clock drift, exp 9 min ahead,
 * under GitHub's 10 min cap) and trades it at POST /app/installations/{id}/access_tokens
 * for a token valid about an hour.  The token is renewed ahead of expires_at: by a timer
 * at (expiry - margin), and on demand when a call finds it inside the margin.  Neither
 * the JWT nor a token is ever logged; copies are wiped when dropped.
 *
 * ghrd reads the key file and hands over the PEM text; this process never opens it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/config.h"
#include "common/evloop.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/util.h"
#include "workers/github/gh.h"

#define GH_RENEW_MARGIN_MAX_MS (5 * 60 * 1000)
#define GH_RENEW_RETRY_MS 10000
/* A token whose expires_at is at or before this host's clock (the clocks disagree, or
 * a mock serves stale times) is used for GH_SKEW_USE_MS, doubling while it lasts up to
 * GH_SKEW_USE_MAX_MS, instead of being renewed as fast as replies come back.  A token
 * that GitHub really considers expired still gets renewed on its 401. */
#define GH_SKEW_USE_MS 60000
#define GH_SKEW_USE_MAX_MS (10 * 60 * 1000)
/* No renewal follows the previous one sooner than this, whatever expires_at says. */
#define GH_RENEW_MIN_MS 1000

static int nonempty(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return (json_is_string(v) && json_string_length(v) > 0) || json_is_integer(v);
}

/* The rule itself lives with the config loader (config_github_auth_check), which has
 * already enforced it on every file ghrd accepted; this is a defensive re-check of the
 * slice the worker was handed, with the same meaning and the same messages. */
int gh_auth_config_check(const json_t *github_cfg, char *err, size_t errlen)
{
	char why[300];
	if (config_github_auth_check(json_object_get(github_cfg, "auth"), why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "github.auth: %s", why);
	return -1;
}

EVP_PKEY *gh_auth_load_key(const char *pem, char *err, size_t errlen)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!k) {
		unsigned long e = ERR_get_error();
		char buf[256];
		ERR_error_string_n(e, buf, sizeof(buf));
		ERR_clear_error();
		snprintf(err, errlen, "the GitHub App private key is not a PEM private key (%s)", buf);
		return NULL;
	}
	if (EVP_PKEY_base_id(k) != EVP_PKEY_RSA) {
		EVP_PKEY_free(k);
		snprintf(err, errlen, "the GitHub App private key is not an RSA key");
		return NULL;
	}
	return k;
}

int gh_auth_init(struct gh_auth *a, const json_t *github_cfg, const json_t *secret,
                 char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (gh_auth_config_check(github_cfg, err, errlen) != 0)
		return -1;
	const json_t *auth = json_object_get(github_cfg, "auth");
	if (nonempty(auth, "token_file")) {
		const char *tok = json_is_string(secret) ? json_string_value(secret)
		                  : json_string_value(json_object_get(secret, "token"));
		if (!tok || !*tok) {
			snprintf(err, errlen, "github: the token from github.auth.token_file is empty or missing");
			return -1;
		}
		if (strpbrk(tok, "\r\n")) {
			snprintf(err, errlen, "github: the token from github.auth.token_file spans lines");
			return -1;
		}
		a->token = strdup(tok);
		if (!a->token)
			return -1;
		/* a PAT need not have a token's shape (classic 40-hex, GHES, fine-grained without
		 * the prefix): mask it as a literal wherever it might show up */
		redact_add_secret(a->token);
		return 0;
	}
	a->is_app = 1;
	snprintf(a->client_id, sizeof(a->client_id), "%s",
	         json_string_value(json_object_get(auth, "app_client_id")));
	a->installation_id = json_integer_value(json_object_get(auth, "app_installation_id"));
	const char *pem = json_string_value(json_object_get(secret, "app_private_key"));
	if (!pem || !*pem) {
		snprintf(err, errlen, "github: the App private key was not handed over");
		return -1;
	}
	a->key = gh_auth_load_key(pem, err, errlen);
	return a->key ? 0 : -1;
}

void gh_auth_free(struct gh_auth *a)
{
	secret_free(a->token);
	a->token = NULL;
	EVP_PKEY_free(a->key);
	a->key = NULL;
}

static char *b64url(const unsigned char *in, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = 0;
	for (int i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return out;
}

char *gh_jwt_make(EVP_PKEY *key, const char *iss, int64_t now_s, char *err, size_t errlen)
{
	char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	json_t *claims = json_pack("{s:I, s:I, s:s}", "iat", (json_int_t)(now_s - 60),
	                           "exp", (json_int_t)(now_s + 540), "iss", iss);
	char *payload = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
	json_decref(claims);
	char *h64 = b64url((const unsigned char *)header, strlen(header));
	char *p64 = payload ? b64url((const unsigned char *)payload, strlen(payload)) : NULL;
	free(payload);
	char *jwt = NULL, *s64 = NULL, *input = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!h64 || !p64 || !md)
		goto fail;
	size_t ilen = strlen(h64) + 1 + strlen(p64);
	input = malloc(ilen + 1);
	if (!input)
		goto fail;
	snprintf(input, ilen + 1, "%s.%s", h64, p64);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (unsigned char *)input, ilen) != 1 ||
	    !(sig = malloc(siglen)) ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, ilen) != 1)
		goto fail;
	s64 = b64url(sig, siglen);
	if (!s64)
		goto fail;
	size_t jlen = ilen + 1 + strlen(s64) + 1;
	jwt = malloc(jlen);
	if (jwt)
		snprintf(jwt, jlen, "%s.%s", input, s64);
	goto done;
fail:
	ERR_clear_error();
	snprintf(err, errlen, "cannot sign the GitHub App JWT");
done:
	EVP_MD_CTX_free(md);
	free(h64);
	free(p64);
	free(input);
	if (sig)
		explicit_bzero(sig, siglen);
	free(sig);
	secret_free(s64);
	return jwt;
}

static int64_t renew_margin(const struct gh_auth *a)
{
	int64_t m = a->lifetime_ms / 4;
	return m > GH_RENEW_MARGIN_MAX_MS ? GH_RENEW_MARGIN_MAX_MS : m;
}

int gh_auth_token_fresh(const struct gh_auth *a, int64_t now_mono)
{
	if (!a->token)
		return 0;
	if (!a->is_app || a->expires_mono == 0)
		return 1;
	return now_mono < a->expires_mono - renew_margin(a);
}

/* ---- renewal ------------------------------------------------------------------------ */

static void on_renew_timer(struct ev_loop *loop, int64_t id, void *arg)
{
	struct gh *g = arg;
	g->auth.renew_timer = 0;
	gh_auth_renew(g);
}

static void schedule_renewal(struct gh *g, int64_t delay_ms)
{
	if (g->auth.renew_timer)
		ev_timer_del(g->loop, g->auth.renew_timer);
	g->auth.renew_timer = ev_timer_add(g->loop, delay_ms < 0 ? 0 : delay_ms, on_renew_timer, g);
}

static void on_token(const struct http_response *resp, void *arg)
{
	struct gh *g = arg;
	struct gh_auth *a = &g->auth;
	char err[700] = "", ghmsg[300] = "";
	char *token = NULL;
	int64_t expires_ms = 0;
	a->renewing = 0;
	if (resp->error) {
		snprintf(err, sizeof(err), "GitHub App token request failed: %s", resp->error_text);
	} else if (resp->status != 201 && resp->status != 200) {
		gh_parse_error_message(resp->body, resp->body_len, ghmsg, sizeof(ghmsg));
		snprintf(err, sizeof(err), "GitHub refused the App installation token (HTTP %ld%s%s)",
		         resp->status, ghmsg[0] ? ": " : "", ghmsg);
	} else if (gh_parse_install_token(resp->body, resp->body_len, &token, &expires_ms,
	                                  ghmsg, sizeof(ghmsg)) != 0) {
		snprintf(err, sizeof(err), "GitHub sent a bad installation token reply: %s", ghmsg);
	}
	if (err[0]) {
		int auth_refused = resp->status == 401 || resp->status == 403 || resp->status == 404;
		log_warn("installation token renewal failed", "error=%s", log_q(err));
		/* keep using the old token while it lasts, and try again a little later */
		if (a->token && now_ms() < a->expires_mono) {
			schedule_renewal(g, GH_RENEW_RETRY_MS);
			gh_api_token_ready(g, 1, PROTO_OK, NULL);
			return;
		}
		gh_api_token_ready(g, 0, auth_refused ? PROTO_E_UNAUTHORIZED : PROTO_E_UNAVAILABLE, err);
		return;
	}
	int64_t valid_ms = expires_ms - wall_ms();
	if (valid_ms <= 0) {
		a->skew_use_ms = a->skew_use_ms ? a->skew_use_ms * 2 : GH_SKEW_USE_MS;
		if (a->skew_use_ms > GH_SKEW_USE_MAX_MS)
			a->skew_use_ms = GH_SKEW_USE_MAX_MS;
		log_warn("clocks disagree: GitHub's installation token expires_at is not in the future "
		         "by this host's clock (check NTP)", "expires_in_ms=%lld using_for_ms=%lld",
		         (long long)valid_ms, (long long)a->skew_use_ms);
		valid_ms = a->skew_use_ms;
	} else {
		a->skew_use_ms = 0;
	}
	/* the renewed token takes the old one's place among the masked literals, so that
	 * renewals never exhaust them */
	redact_replace_secret(a->token, token);
	secret_free(a->token);
	a->token = token;
	a->expires_mono = now_ms() + valid_ms;
	a->lifetime_ms = valid_ms;
	a->renewals++;
	log_info("installation token renewed", "valid_ms=%lld renewals=%lld",
	         (long long)valid_ms, (long long)a->renewals);
	int64_t delay = valid_ms - renew_margin(a);
	schedule_renewal(g, delay < GH_RENEW_MIN_MS ? GH_RENEW_MIN_MS : delay);
	gh_api_token_ready(g, 1, PROTO_OK, NULL);
}

void gh_auth_renew(struct gh *g)
{
	struct gh_auth *a = &g->auth;
	if (!a->is_app || a->renewing)
		return;
	char err[200], url[GH_URL_MAX], authz[4096];
	char *jwt = gh_jwt_make(a->key, a->client_id, wall_ms() / 1000, err, sizeof(err));
	if (!jwt) {
		gh_api_token_ready(g, 0, PROTO_E_INTERNAL, err);
		return;
	}
	snprintf(url, sizeof(url), "%s/app/installations/%lld/access_tokens", g->api_url,
	         (long long)a->installation_id);
	snprintf(authz, sizeof(authz), "Bearer %s", jwt);
	secret_free(jwt);
	struct http_header h[] = {
		{ "Accept", "application/vnd.github+json" },
		{ "X-GitHub-Api-Version", "2022-11-28" },
		{ "Authorization", authz },
		{ "Content-Type", "application/json" },   /* not libcurl's default form type */
	};
	struct http_request rq = { .method = "POST", .url = url, .headers = h, .n_headers = 4,
	                           .body = "{}", .body_len = 2, .timeout_ms = g->timeout_ms };
	int rc = http_send(g->http, &rq, on_token, g);
	explicit_bzero(authz, sizeof(authz));
	if (rc != 0) {
		gh_api_token_ready(g, 0, PROTO_E_INTERNAL, "cannot send the installation token request");
		return;
	}
	a->renewing = 1;
}
