/* The github worker: its definition, configuration and start-up.
 *
 * The only process that talks to GitHub and the only one holding the PAT or the App
 * private key.  Config slice: {"github": {…, durations in ms}, "manager_id": "…"};
 * secret: {"token": "…"} or {"app_private_key": "-----BEGIN …"}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "common/log.h"
#include "common/jsonget.h"
#include "common/util.h"
#include "workers/github/gh.h"

#define GH_MAX_BODY (8u << 20)

/* Plain http only to this machine (the simulator); anything else must be https so that
 * the token never crosses a network in clear. */
static int api_url_ok(const char *url)
{
	static const char *const local[] = {
		"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/",
		"http://[::1]:", "http://[::1]/",
	};
	if (strncmp(url, "https://", 8) == 0)
		return url[8] != 0;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strncmp(url, local[i], strlen(local[i])) == 0)
			return 1;
	return 0;
}

int gh_setup(struct gh *g, const json_t *config, const json_t *secret, char *err, size_t errlen)
{
	const json_t *c = json_object_get(config, "github");
	if (!json_is_object(c)) {
		snprintf(err, errlen, "the config slice has no github section");
		return -1;
	}
	if (gh_target_parse(json_string_value(json_object_get(c, "path")), &g->target, err, errlen))
		return -1;
	const char *api = jsonget_set(c, "api_url", "https://api.github.com");
	if (strlen(api) >= sizeof(g->api_url) - 1 || !api_url_ok(api)) {
		snprintf(err, errlen, "github.api_url %.200s must be an https URL "
		         "(plain http only to 127.0.0.1 or localhost)", api);
		return -1;
	}
	snprintf(g->api_url, sizeof(g->api_url), "%s", api);
	size_t n = strlen(g->api_url);
	while (n > 8 && g->api_url[n - 1] == '/')
		g->api_url[--n] = 0;
	snprintf(g->runner_group, sizeof(g->runner_group), "%s", jsonget_set(c, "runner_group", "Default"));
	g->timeout_ms = jsonget_int(c, "timeout", 30000);
	gh_rl_init(&g->rl, jsonget_int(c, "rate_limit_reserve", 200));
	if (gh_auth_init(&g->auth, c, secret, err, errlen) != 0)
		return -1;
	g->etag_cache = json_object();
	g->groups = json_object();
	return 0;
}

void gh_teardown(struct gh *g)
{
	gh_list_snaps_drop(g);
	gh_auth_free(&g->auth);
	json_decref(g->etag_cache);
	json_decref(g->groups);
	g->etag_cache = g->groups = NULL;
}

static int gh_init(struct worker *w, const json_t *config, const json_t *secret)
{
	char err[400];
	struct gh *g = calloc(1, sizeof(*g));
	if (!g)
		return -1;
	g->w = w;
	g->loop = worker_loop(w);
	if (gh_setup(g, config, secret, err, sizeof(err)) != 0) {
		log_error("github worker cannot start", "error=%s", log_q(err));
		gh_teardown(g);
		free(g);
		return -1;
	}
	const json_t *c = json_object_get(config, "github");
	struct http_client_opts o = {
		.max_in_flight = (int)jsonget_int(c, "concurrency", 16),
		.connect_timeout_ms = jsonget_int(c, "connect_timeout", 5000),
		.timeout_ms = g->timeout_ms,
		.max_body = GH_MAX_BODY,
		.ca_file = jsonget_set(c, "ca_file", NULL),
	};
	g->http = http_client_new(g->loop, &o);
	if (!g->http) {
		log_error("github worker cannot start", "error=%s", log_q("cannot create the HTTP client"));
		gh_teardown(g);
		free(g);
		return -1;
	}
	worker_set_data(w, g);
	log_info("github worker ready", "path=%s api_url=%s auth=%s concurrency=%d",
	         log_q(g->target.name), log_q(g->api_url), g->auth.is_app ? "app" : "token",
	         o.max_in_flight);
	if (g->auth.is_app)
		gh_auth_renew(g);      /* have a token before the first call needs one */
	worker_set_ready(w);
	return 0;
}

static void gh_shutdown(struct worker *w)
{
	struct gh *g = worker_data(w);
	if (g)
		g->shutting_down = 1;
}

static const struct worker_method gh_methods[] = {
	{ "github.runners.list", gh_h_runners_list },
	{ "github.runner.jit", gh_h_runner_jit },
	{ "github.runner.delete", gh_h_runner_delete },
	{ "github.job.get", gh_h_job_get },
	{ "github.runner.downloads", gh_h_downloads },
	{ "github.ratelimit", gh_h_ratelimit },
	{ NULL, NULL },
};

const struct worker_def gh_worker_def = {
	.name = "github",
	.methods = gh_methods,
	.init = gh_init,
	.shutdown = gh_shutdown,
	.on_event = NULL,
};
