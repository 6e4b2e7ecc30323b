/* os_worker — the worker definition: method table, init from the config slice and the
 * clouds entry, shutdown.  The worker says ready at once: requests that arrive before
 * the first token wait for it (os_keystone.c), and a cloud that is down at start must
 * not keep ghrd from starting.  A first authentication is started at init so that a
 * wrong password shows in the log right away. */
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/openstack/os.h"
#include "workers/openstack/os_parse.h"

#define OS_DEFAULT_CONCURRENCY 32
#define OS_DEFAULT_TIMEOUT_MS 60000
#define OS_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define OS_DEFAULT_MV_CAP "2.91"    /* 2.96 lists servers wrongly; see ghr.yaml(5) */

static const struct worker_method os_methods[] = {
	{ "os.servers.list", os_h_servers_list },
	{ "os.server.create", os_h_server_create },
	{ "os.server.get", os_h_server_get },
	{ "os.server.delete", os_h_server_delete },
	{ "os.server.snapshot", os_h_server_snapshot },
	{ "os.images.list", os_h_images_list },
	{ "os.image.get", os_h_image_get },
	{ "os.image.tag", os_h_image_tag },
	{ "os.image.delete", os_h_image_delete },
	{ "os.flavors.list", os_h_flavors_list },
	{ "os.quota", os_h_quota },
	{ "os.server.console", os_h_server_console },
	{ "os.image.sha256sums", os_h_image_sha256sums },
	{ "os.image.import", os_h_image_import },
	{ NULL, NULL },
};

static int64_t int_or(const json_t *obj, const char *key, int64_t dflt)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : dflt;
}

static void on_warmup(struct os_ctx *c, int ok, enum proto_error code, const char *message, void *arg)
{
	if (ok)
		log_info("openstack ready", "microversion=%s compute=%s image=%s network=%s",
		         c->microversion, c->endpoint[OS_SVC_COMPUTE],
		         c->endpoint[OS_SVC_IMAGE][0] ? c->endpoint[OS_SVC_IMAGE] : "none",
		         c->endpoint[OS_SVC_NETWORK][0] ? c->endpoint[OS_SVC_NETWORK] : "none");
}

/* The credentials stay for re-authentication until the very end; then they go. */
static struct os_ctx *wipe_at_exit;

static void wipe_credentials(void)
{
	if (!wipe_at_exit)
		return;
	os_json_wipe_secrets(wipe_at_exit->creds);
	secret_free(wipe_at_exit->token);
	wipe_at_exit->token = NULL;
}

static int os_init(struct worker *w, const json_t *config, const json_t *secret)
{
	const json_t *os = json_object_get(config, "openstack");
	const char *manager = json_string_value(json_object_get(config, "manager_id"));
	const char *cap = json_string_value(json_object_get(os, "microversion_cap"));
	char err[64];
	if (!json_is_object(secret) || !json_is_object(json_object_get(secret, "auth"))) {
		log_error("no cloud credentials in the bootstrap (expected the clouds.yaml entry)", "%s", "");
		return -1;
	}
	if (!manager || !*manager) {
		log_error("manager_id missing from the config slice", "%s", "");
		return -1;
	}
	if (cap && os_microversion_pick("2.1", "2.999", cap, err, sizeof err) != 0) {
		log_error("openstack.microversion_cap: must be a compute microversion from 2.1, like 2.91",
		          "value=%s", log_q(cap));
		return -1;
	}
	struct os_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	c->w = w;
	c->loop = worker_loop(w);
	c->creds = json_deep_copy(secret);
	c->creating = json_object();
	c->ours = json_object();
	c->waiters_tail = &c->waiters;
	c->max_attempts = 3;
	snprintf(c->manager_id, sizeof c->manager_id, "%s", manager);
	snprintf(c->mv_cap, sizeof c->mv_cap, "%s", cap ? cap : OS_DEFAULT_MV_CAP);
	c->timeout_ms = (long)int_or(os, "timeout", OS_DEFAULT_TIMEOUT_MS);
	struct http_client_opts o = {
		.max_in_flight = (int)int_or(os, "concurrency", OS_DEFAULT_CONCURRENCY),
		.connect_timeout_ms = (long)int_or(os, "connect_timeout", OS_DEFAULT_CONNECT_TIMEOUT_MS),
		.timeout_ms = c->timeout_ms,
		.max_body = 64 * 1024 * 1024,      /* a 5,000-server page of details is large */
		/* every reply in flight together (up to `concurrency` of them): one maximal
		 * page and room for the small ones, not 32 maximal pages */
		.max_total = 96 * 1024 * 1024,
		.ca_file = json_string_value(json_object_get(c->creds, "cacert")),
	};
	c->http = http_client_new(c->loop, &o);
	if (!c->creds || !c->creating || !c->ours || !c->http) {
		log_error("cannot set up the HTTP client", "%s", "");
		return -1;
	}
	os_auth_register_secrets(c);
	wipe_at_exit = c;
	atexit(wipe_credentials);
	worker_set_data(w, c);
	worker_set_ready(w);
	os_auth_when_ready(c, on_warmup, NULL);
	return 0;
}

static void os_shutdown(struct worker *w)
{
	struct os_ctx *c = worker_data(w);
	if (!c)
		return;
	/* in-flight calls finish (the runtime waits for them); nothing new starts */
	c->shutting_down = 1;
	log_info("openstack worker stopping", "requests=%lld auths=%lld reauth_401=%lld retries=%lld lost_replies=%lld creates=%lld",
	         (long long)c->stats.requests, (long long)c->stats.auths, (long long)c->stats.reauth_401,
	         (long long)c->stats.retries, (long long)c->stats.lost_replies, (long long)c->stats.creates);
}

const struct worker_def os_worker_def = {
	.name = "openstack",
	.methods = os_methods,
	.init = os_init,
	.shutdown = os_shutdown,
	.on_event = NULL,
};
