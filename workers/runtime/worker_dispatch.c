/* Serving requests: method name → handler through the worker's table, after checking
 * the body against the catalogue, the deadline and whether the worker is stopping.
 * `worker.log_level` is served by the runtime itself for every worker. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/evloop.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/runtime/worker_int.h"

static void send_reply(struct worker *w, const char *to, int64_t id, int ok, json_t *body,
                       enum proto_error code, int64_t retry_after_ms, const char *message)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_REP, w->boot.instance);
	m.id = id;
	snprintf(m.to, sizeof(m.to), "%s", to);
	m.ok = ok;
	if (ok) {
		m.body = body ? body : json_object();
	} else {
		m.error = code;
		m.retry_after_ms = retry_after_ms;
		snprintf(m.error_message, sizeof(m.error_message), "%s", message ? message : "");
		json_decref(body);
	}
	if (worker_bus_send(w, &m) < 0 && ok) {
		/* The body may not encode (too large, bad type): answer that instead. */
		m.ok = 0;
		json_decref(m.body);
		m.body = NULL;
		m.error = PROTO_E_INTERNAL;
		snprintf(m.error_message, sizeof(m.error_message), "the reply could not be encoded");
		worker_bus_send(w, &m);
	}
	proto_msg_clear(&m);
}

void worker_maybe_finish(struct worker *w)
{
	if (w->stopping && w->serving == 0 && !w->ignore_term)
		ev_stop(w->loop);
}

static void done(struct wreq *req)
{
	struct worker *w = req->w;
	json_decref(req->body);
	free(req);
	w->serving--;
	worker_maybe_finish(w);
}

void worker_reply_ok(struct wreq *req, json_t *body)
{
	send_reply(req->w, req->from, req->id, 1, body, PROTO_OK, 0, NULL);
	done(req);
}

void worker_reply_err(struct wreq *req, enum proto_error code, int64_t retry_after_ms,
                      const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	send_reply(req->w, req->from, req->id, 0, NULL, code, retry_after_ms, message);
	done(req);
}

int64_t wreq_remaining_ms(const struct wreq *req)
{
	return req->deadline_ms - wall_ms();
}

static void serve_log_level(struct wreq *req)
{
	enum log_level lvl;
	const char *name = json_string_value(json_object_get(req->body, "level"));
	if (!name || log_level_parse(name, &lvl) < 0) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "level must be error, warn, info or debug");
		return;
	}
	log_set_level(lvl);
	log_info("log level changed", "level=%s", log_level_name(lvl));
	worker_reply_ok(req, NULL);
}

static worker_handler find_handler(const struct worker_def *def, const char *method)
{
	if (strcmp(method, "worker.log_level") == 0)
		return serve_log_level;
	for (const struct worker_method *m = def->methods; m && m->name; m++)
		if (strcmp(m->name, method) == 0)
			return m->fn;
	return NULL;
}

int worker_check_methods(const struct worker_def *def, char *err, size_t errlen)
{
	for (const struct worker_method *m = def->methods; m && m->name; m++) {
		const struct proto_method *pm = proto_method_find(m->name);
		if (!pm || strcmp(pm->server, def->name) != 0 || !m->fn) {
			snprintf(err, errlen, "handler for \"%s\": %s", m->name,
			         !pm ? "no such method in the catalogue"
			             : !m->fn ? "no function" : "the catalogue says another worker serves it");
			return -1;
		}
	}
	return 0;
}

void worker_dispatch(struct worker *w, const struct proto_msg *m)
{
	char err[256];
	worker_handler fn = find_handler(w->def, m->method);
	if (!fn) {
		send_reply(w, m->from, m->id, 0, NULL, PROTO_E_BAD_REQUEST, 0, "method not served here");
		return;
	}
	if (m->deadline_ms <= wall_ms()) {
		log_debug("expired request dropped", "method=%s from=%s", m->method, m->from);
		return;
	}
	if (w->stopping) {
		send_reply(w, m->from, m->id, 0, NULL, PROTO_E_SHUTTING_DOWN, 0, "the worker is stopping");
		return;
	}
	if (proto_validate_request(m->method, m->body, err, sizeof(err)) < 0) {
		send_reply(w, m->from, m->id, 0, NULL, PROTO_E_BAD_REQUEST, 0, err);
		return;
	}
	struct wreq *req = calloc(1, sizeof(*req));
	if (!req) {
		send_reply(w, m->from, m->id, 0, NULL, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	req->w = w;
	req->id = m->id;
	snprintf(req->from, sizeof(req->from), "%s", m->from);
	snprintf(req->method, sizeof(req->method), "%s", m->method);
	req->deadline_ms = m->deadline_ms;
	req->body = m->body ? json_incref(m->body) : json_object();
	w->serving++;
	fn(req);
}
