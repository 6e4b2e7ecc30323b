/* The metrics worker (see metrics.h). */
#include <stdlib.h>
#include <string.h>
#include "common/evloop.h"
#include "common/log.h"
#include "workers/metrics/metrics.h"
#include "workers/runtime/httpd.h"

struct metrics {
	struct worker *w;
	struct httpd *httpd;
	char *text;                    /* last sup.metrics text, or NULL */
	int fetching;
	int64_t timer;
	int stopping;
};

#define PROM_TYPE "text/plain; version=0.0.4; charset=utf-8"

void metrics_route(const char *method, const char *path, const char *text, struct metrics_answer *out)
{
	const char *q = path ? strchr(path, '?') : NULL;
	size_t plen = path ? (q ? (size_t)(q - path) : strlen(path)) : 0;
	out->type = "text/plain; charset=utf-8";
	if (!path || plen != strlen("/metrics") || strncmp(path, "/metrics", plen) != 0) {
		out->status = 404;
		out->body = "not found: ghr serves /metrics only\n";
	} else if (!method || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
		out->status = 405;
		out->body = "method not allowed: use GET\n";
	} else if (!text) {
		out->status = 503;
		out->body = "ghr metrics not available yet\n";
	} else {
		out->status = 200;
		out->type = PROM_TYPE;
		out->body = text;
	}
}

static void on_request(struct httpd_req *r, void *arg)
{
	struct metrics *m = arg;
	struct metrics_answer a;
	metrics_route(httpd_method(r), httpd_path(r), m->text, &a);
	httpd_reply(r, a.status, a.type, a.body, strlen(a.body));
}

static void schedule(struct metrics *m, int64_t delay_ms);

static void on_text(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct metrics *m = arg;
	m->fetching = 0;
	const char *t = res->ok ? json_string_value(json_object_get(res->body, "text")) : NULL;
	if (t) {
		char *copy = strdup(t);
		if (copy) {
			free(m->text);
			m->text = copy;
		}
	} else {
		log_debug("metrics not refreshed; serving the previous text", "error=%s",
		          proto_error_name(res->error));
	}
	schedule(m, METRICS_REFRESH_MS);
}

static void on_timer(struct ev_loop *loop, int64_t id, void *arg)
{
	struct metrics *m = arg;
	m->timer = 0;
	if (m->stopping || m->fetching)
		return;
	m->fetching = 1;
	if (worker_call_to(m->w, NULL, "sup.metrics", json_object(), METRICS_CALL_TIMEOUT_MS, on_text, m) < 0) {
		m->fetching = 0;
		schedule(m, METRICS_REFRESH_MS);
	}
}

static void schedule(struct metrics *m, int64_t delay_ms)
{
	if (!m->stopping && !m->timer)
		m->timer = ev_timer_add(worker_loop(m->w), delay_ms, on_timer, m);
}

static int metrics_init(struct worker *w, const json_t *config, const json_t *secret)
{
	struct metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return -1;
	m->w = w;
	worker_set_data(w, m);
	const char *listen = json_string_value(json_object_get(json_object_get(config, "metrics"), "listen"));
	if (!listen || !*listen) {
		log_error("bad config", "key=metrics.listen msg=%s", log_q("required to run the metrics worker"));
		return -1;
	}
	char err[256];
	int temporary = 0;
	struct httpd_opts o = { .listen = listen, .max_body = 4096, .conn_limit = 64, .timeout_s = 10,
	                        .temporary = &temporary };
	m->httpd = httpd_start(worker_loop(w), &o, on_request, m, err, sizeof(err));
	if (!m->httpd) {
		log_error("cannot serve metrics", "key=metrics.listen listen=%s msg=%s", log_q(listen), log_q(err));
		return temporary ? WORKER_INIT_RETRY : -1;
	}
	log_info("serving Prometheus metrics", "listen=%s port=%u path=/metrics", log_q(listen), httpd_port(m->httpd));
	worker_set_ready(w);
	schedule(m, 0);
	return 0;
}

static void metrics_shutdown(struct worker *w)
{
	struct metrics *m = worker_data(w);
	if (!m)
		return;
	m->stopping = 1;
	if (m->timer)
		ev_timer_del(worker_loop(w), m->timer);
	m->timer = 0;
	if (m->httpd)
		httpd_stop(m->httpd);
	m->httpd = NULL;
	free(m->text);
	m->text = NULL;
}

static const struct worker_method metrics_methods[] = { { NULL, NULL } };

const struct worker_def metrics_worker_def = {
	.name = "metrics",
	.methods = metrics_methods,
	.init = metrics_init,
	.shutdown = metrics_shutdown,
	.on_event = NULL,
};
