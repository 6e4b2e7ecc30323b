/* The webhook worker: definition, configuration, start-up and shutdown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonget.h"
#include "common/jobstore.h"
#include "common/log.h"
#include "common/offload.h"
#include "common/util.h"
#include "workers/runtime/httpd.h"
#include "workers/webhook/wh_int.h"

#define PEM_MAX (256 * 1024)

/* The certificate is a plain file; the key (webhook.tls_key_file) is root's only, read
 * by ghrd and handed over in the secret. */
static int start_http(struct wh *h, const json_t *c, const char *key, int *temporary, char *err, size_t errlen)
{
	const char *cert_file = jsonget_set(c, "tls_cert_file", NULL);
	char *cert = cert_file ? read_file(cert_file, PEM_MAX, NULL) : NULL;
	int rc = -1;
	if (cert_file && !cert)
		snprintf(err, errlen, "cannot read webhook.tls_cert_file %s: %s", cert_file, strerror(errno));
	else {
		struct httpd_opts o = {
			.listen = jsonget_set(c, "listen", "127.0.0.1:8080"), .cert_pem = cert, .key_pem = key,
			.max_body = (size_t)jsonget_int(c, "max_body", 1 << 20), .temporary = temporary,
		};
		h->http = httpd_start(worker_loop(h->w), &o, wh_on_request, h, err, errlen);
		if (h->http)
			log_info("webhook listening", "listen=%s port=%u tls=%s", o.listen, httpd_port(h->http),
			         cert ? "on" : "off");
		rc = h->http ? 0 : -1;
	}
	free(cert);
	return rc;
}

static int wh_init(struct worker *w, const json_t *config, const json_t *secret)
{
	char err[512];
	struct wh *h = calloc(1, sizeof(*h));
	const json_t *c = json_object_get(config, "webhook");
	const json_t *r = json_object_get(config, "reactive");
	const char *s = json_string_value(json_object_get(secret, "webhook_secret"));
	const char *uri = json_string_value(json_object_get(secret, "mongodb_uri"));
	const char *tls_key = json_string_value(json_object_get(secret, "tls_key"));
	int temporary = 0;
	if (!h || !s || !*s || !uri) {
		log_error("webhook: no webhook secret or MongoDB URI was handed over", "%s", "");
		free(h);
		return -1;
	}
	worker_set_data(w, h);
	h->w = w;
	h->secret = strdup(s);
	h->secret_len = strlen(s);
	h->spool_max = (size_t)jsonget_int(c, "spool_max", 10000);
	h->pools = wh_pools_from(json_object_get(config, "pools"), &h->npools);
	if (!h->secret || !h->pools
	    || wh_scope_parse(json_string_value(json_object_get(json_object_get(config, "github"), "path")),
	                      &h->scope, err, sizeof(err)) != 0
	    || !(h->spool = wh_spool_open(jsonget_set(c, "spool_dir", "/var/lib/ghr/webhook"), &temporary, err,
	                                  sizeof(err)))
	    || !(h->js = js_open(uri, jsonget_int(r, "db_timeout", 5000), err, sizeof(err)))
	    || !(h->off = offload_start(worker_loop(w), h->js, err, sizeof(err)))
	    || start_http(h, c, tls_key, &temporary, err, sizeof(err)) != 0) {
		log_error("webhook cannot start", "error=\"%s\"%s", h->secret ? err : "out of memory",
		          temporary ? " retry=yes" : "");
		return temporary ? WORKER_INIT_RETRY : -1;
	}
	char shown[512];
	log_info("webhook ready", "store=%s spooled=%zu", js_uri_redacted(uri, shown, sizeof(shown)),
	         wh_spool_pending(h->spool));
	wh_drain_kick(h);
	worker_set_ready(w);
	return 0;
}

static void wh_shutdown(struct worker *w)
{
	struct wh *h = worker_data(w);
	if (!h)
		return;
	httpd_stop(h->http);
	h->http = NULL;
	offload_stop(h->off);     /* the batch in flight finishes; the rest stays spooled */
	h->off = NULL;
	js_close(h->js);
	h->js = NULL;
	wh_spool_close(h->spool);
	h->spool = NULL;
	wh_pools_free(h->pools, h->npools);
	h->pools = NULL;
	secret_free(h->secret);
	h->secret = NULL;
}

static void h_status(struct wreq *req)
{
	worker_reply_ok(req, wh_status(worker_data(req->w)));
}

static const struct worker_method wh_methods[] = {
	{ "webhook.status", h_status },
	{ NULL, NULL },
};

const struct worker_def wh_worker_def = {
	.name = "webhook",
	.methods = wh_methods,
	.init = wh_init,
	.shutdown = wh_shutdown,
};
