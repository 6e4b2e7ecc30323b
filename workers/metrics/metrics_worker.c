/* The metrics worker (see metrics.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/evloop.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/metrics/metrics.h"
#include "workers/runtime/httpd.h"

struct metrics {
	struct worker *w;
	struct httpd *httpd;           /* NULL without metrics.listen */
	const char *textfile;          /* "" without metrics.textfile */
	int64_t textfile_due_ms;       /* monotonic: when the textfile is next written */
	int textfile_failing;          /* the last write failed (logged once until it works) */
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

/* The same text as /metrics, for node_exporter's textfile collector: written beside the
 * file and renamed, so a reader never sees half of it. */
static void write_textfile(struct metrics *m)
{
	if (!m->textfile[0] || !m->text || now_ms() < m->textfile_due_ms)
		return;
	m->textfile_due_ms = now_ms() + METRICS_TEXTFILE_MS;
	if (write_file_atomic(m->textfile, m->text, strlen(m->text), 0644) != 0) {
		if (!m->textfile_failing)
			log_warn("cannot write the metrics textfile", "key=metrics.textfile path=%s error=%s",
			         log_q(m->textfile), log_q(strerror(errno)));
		m->textfile_failing = 1;
	} else if (m->textfile_failing) {
		log_info("metrics textfile written again", "path=%s", log_q(m->textfile));
		m->textfile_failing = 0;
	}
}

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
			write_textfile(m);
		}
	} else {
		log_debug("metrics not refreshed; serving the previous text", "error=%s",
		          proto_error_name(res->error));
	}
	schedule(m, m->httpd ? METRICS_REFRESH_MS : METRICS_TEXTFILE_MS);
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
		schedule(m, m->httpd ? METRICS_REFRESH_MS : METRICS_TEXTFILE_MS);
	}
}

static void schedule(struct metrics *m, int64_t delay_ms)
{
	if (!m->stopping && !m->timer)
		m->timer = ev_timer_add(worker_loop(m->w), delay_ms, on_timer, m);
}

static int serve(struct metrics *m, const char *listen)
{
	char err[256];
	int temporary = 0;
	struct httpd_opts o = { .listen = listen, .max_body = 4096, .conn_limit = 64, .timeout_s = 10,
	                        .temporary = &temporary };
	m->httpd = httpd_start(worker_loop(m->w), &o, on_request, m, err, sizeof(err));
	if (!m->httpd) {
		log_error("cannot serve metrics", "key=metrics.listen listen=%s msg=%s", log_q(listen), log_q(err));
		return temporary ? WORKER_INIT_RETRY : -1;
	}
	log_info("serving Prometheus metrics", "listen=%s port=%u path=/metrics", log_q(listen), httpd_port(m->httpd));
	return 0;
}

static int metrics_init(struct worker *w, const json_t *config, const json_t *secret)
{
	struct metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return -1;
	m->w = w;
	worker_set_data(w, m);
	const json_t *c = json_object_get(config, "metrics");
	const char *listen = jsonget_str(c, "listen", "");
	m->textfile = jsonget_str(c, "textfile", "");
	if (!*listen && !*m->textfile) {
		log_error("bad config", "key=metrics.listen msg=%s",
		          log_q("metrics.listen or metrics.textfile is required to run the metrics worker"));
		return -1;
	}
	if (*listen) {
		int r = serve(m, listen);
		if (r != 0)
			return r;
	}
	if (*m->textfile)
		log_info("writing the metrics textfile", "path=%s every_ms=%d", log_q(m->textfile), METRICS_TEXTFILE_MS);
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
