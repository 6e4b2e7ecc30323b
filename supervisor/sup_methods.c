/* The sup.* methods ghrd answers itself (the access list was checked by the router). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "supervisor/sup.h"

typedef void (*sup_method_fn)(struct sup *s, const struct sup_origin *o, const struct proto_msg *m);

static json_t *worker_row(const struct sup_worker *w, int64_t now)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:s, s:b, s:I}",
	                 "name", w->name, "worker", w->def->name, "pid", (json_int_t)w->pid,
	                 "state", sup_state_name(w->state), "restarts", (json_int_t)w->restarts,
	                 "heartbeat_age_ms",
	                 (json_int_t)(w->pid > 0 && w->hello_ok ? now - w->last_seen_ms : -1),
	                 "bad_frames", (json_int_t)w->bad_frames,
	                 "stale_frames", (json_int_t)w->stale_frames, "last_exit", w->last_exit,
	                 "essential", w->set.essential,
	                 "uptime_ms", (json_int_t)(w->pid > 0 ? now - w->started_ms : 0));
}

json_t *sup_worker_rows(const struct sup *s)
{
	json_t *rows = json_array();
	int64_t now = now_ms();
	for (size_t i = 0; i < s->n_workers; i++)
		json_array_append_new(rows, worker_row(s->workers[i], now));
	return rows;
}

static void m_status(struct sup *s, const struct sup_origin *o, const struct proto_msg *m)
{
	json_t *b = json_pack("{s:s, s:I, s:I, s:s, s:b, s:o, s:I, s:I, s:I, s:I, s:o}",
	                      "version", GHR_VERSION, "uptime_ms", (json_int_t)(now_ms() - s->start_ms),
	                      "pid", (json_int_t)getpid(),
	                      "state", s->shutting_down ? "stopping" : "running",
	                      "ready", sup_all_ready(s), "workers", sup_worker_rows(s),
	                      "unknown_frames", (json_int_t)s->unknown_frames,
	                      "control_bad_frames", (json_int_t)s->control_bad_frames,
	                      "pending", (json_int_t)sup_pending_count(s->pending),
	                      "replies_dropped_full", (json_int_t)s->replies_dropped_full,
	                      "control", sup_control_rows(s));
	sup_reply_ok(s, o, m->id, m->from, b);
}

static void m_workers(struct sup *s, const struct sup_origin *o, const struct proto_msg *m)
{
	json_t *rows = sup_worker_rows(s);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		const struct sup_worker *w = s->workers[i];
		json_object_set_new(r, "exec", json_string(w->set.exec));
		json_object_set_new(r, "restart",
		                    json_string(w->set.restart == SUP_TRANSIENT ? "transient" : "permanent"));
		json_object_set_new(r, "shutdown_timeout_ms", json_integer(w->set.shutdown_timeout_ms));
		json_object_set_new(r, "user", json_string(w->set.user));
		json_object_set_new(r, "group", json_string(w->set.group));
		json_object_set_new(r, "bus", json_string(w->bus ? w->bus_path : ""));
	}
	sup_reply_ok(s, o, m->id, m->from, json_pack("{s:o}", "workers", rows));
}

static void m_version(struct sup *s, const struct sup_origin *o, const struct proto_msg *m)
{
	sup_reply_ok(s, o, m->id, m->from,
	             json_pack("{s:s, s:i}", "version", GHR_VERSION, "proto", PROTO_VERSION));
}

/* "github" restarts that instance; "fake" restarts every fake.N. */
static void m_restart(struct sup *s, const struct sup_origin *o, const struct proto_msg *m)
{
	const char *name = json_string_value(json_object_get(m->body, "worker"));
	json_t *done = json_array();
	for (size_t i = 0; i < s->n_workers; i++) {
		struct sup_worker *w = s->workers[i];
		if (strcmp(w->name, name) == 0 || strcmp(w->def->name, name) == 0) {
			log_info("restart requested", "worker=%s", w->name);
			json_array_append_new(done, json_string(w->name));
			sup_restart_now(s, w);
		}
	}
	if (json_array_size(done) == 0) {
		json_decref(done);
		sup_reply_error(s, o, m->id, m->from, PROTO_E_NOT_FOUND, "no worker named \"%s\"", name);
		return;
	}
	sup_reply_ok(s, o, m->id, m->from, json_pack("{s:o}", "restarted", done));
}

static void m_reload(struct sup *s, const struct sup_origin *o, const struct proto_msg *m)
{
	char err[1024];
	json_t *done = json_array();
	if (sup_reload(s, done, err, sizeof(err)) < 0) {
		json_decref(done);
		sup_reply_error(s, o, m->id, m->from, PROTO_E_BAD_REQUEST, "%s", err);
		return;
	}
	sup_reply_ok(s, o, m->id, m->from, json_pack("{s:o}", "restarted", done));
}

/* Without `worker`: ghrd and every worker; with it: that instance or worker name, or
 * "ghrd" alone. */
static void m_log_level(struct sup *s, const struct sup_origin *o, const struct proto_msg *m)
{
	const char *level = json_string_value(json_object_get(m->body, "level"));
	const char *only = json_string_value(json_object_get(m->body, "worker"));
	enum log_level lvl;
	if (log_level_parse(level, &lvl) < 0) {
		sup_reply_error(s, o, m->id, m->from, PROTO_E_BAD_REQUEST,
		                "level must be error, warn, info or debug, not \"%s\"", level);
		return;
	}
	json_t *applied = json_array();
	if (!only || strcmp(only, "ghrd") == 0) {
		log_set_level(lvl);
		json_array_append_new(applied, json_string("ghrd"));
	}
	for (size_t i = 0; i < s->n_workers; i++) {
		struct sup_worker *w = s->workers[i];
		if (only && strcmp(only, w->name) != 0 && strcmp(only, w->def->name) != 0)
			continue;
		if (w->state != SUP_W_READY)
			continue;
		sup_send_to_worker(s, w, "worker.log_level", json_pack("{s:s}", "level", level));
		json_array_append_new(applied, json_string(w->name));
	}
	if (json_array_size(applied) == 0) {
		json_decref(applied);
		sup_reply_error(s, o, m->id, m->from, PROTO_E_NOT_FOUND, "no ready worker named \"%s\"",
		                only);
		return;
	}
	sup_reply_ok(s, o, m->id, m->from, json_pack("{s:o}", "applied", applied));
}

/* sup.metrics = ghrd's own text + each metrics source's (scaler.metrics, image.metrics),
 * asked one after the other on the caller's behalf.  A source that is not ready or
 * cannot answer leaves a comment instead: metrics must not fail because one worker is
 * down. */
static const struct { const char *worker, *method; } metric_sources[] = {
	{ "scaler", "scaler.metrics" },
	{ "image-builder", "image.metrics" },
};
#define N_METRIC_SOURCES (sizeof(metric_sources) / sizeof(metric_sources[0]))

struct sup_merge {
	struct sup_origin origin;
	int64_t id;
	char to[PROTO_NAME_MAX];
	char *text;
	size_t source;              /* index of the source asked last */
};

#define METRICS_SOURCE_TIMEOUT_MS 3000

static void merge_next(struct sup *s, struct sup_merge *mg);

static void merge_append(struct sup_merge *mg, const char *more)
{
	char *all = NULL;
	if (asprintf(&all, "%s%s", mg->text, more) >= 0) {
		free(mg->text);
		mg->text = all;
	}
}

void sup_merge_reply(struct sup *s, struct sup_merge *mg, const struct proto_msg *rep)
{
	const char *theirs = rep->ok ? json_string_value(json_object_get(rep->body, "text")) : NULL;
	char note[200];
	if (!theirs)
		snprintf(note, sizeof(note), "# %s metrics unavailable: %s\n", metric_sources[mg->source].worker,
		         rep->ok ? "no text" : proto_error_name(rep->error));
	merge_append(mg, theirs ? theirs : note);
	mg->source++;
	merge_next(s, mg);
}

void sup_merge_free(struct sup_merge *mg)
{
	if (!mg)
		return;
	free(mg->text);
	free(mg);
}

/* Ask the next ready source, or answer the caller when none is left. */
static void merge_next(struct sup *s, struct sup_merge *mg)
{
	for (; mg->source < N_METRIC_SOURCES; mg->source++) {
		struct sup_worker *src = NULL;
		for (size_t i = 0; i < s->n_workers && !src; i++)
			if (strcmp(s->workers[i]->def->name, metric_sources[mg->source].worker) == 0
			    && s->workers[i]->state == SUP_W_READY)
				src = s->workers[i];
		if (!src)
			continue;
		struct sup_origin via = { .kind = SUP_ORIGIN_MERGE, .caller = C_SUP, .name = "ghrd", .merge = mg };
		sup_send_req(s, &via, src, metric_sources[mg->source].method, NULL, METRICS_SOURCE_TIMEOUT_MS);
		return;
	}
	mg->origin.name = mg->to;
	sup_reply_ok(s, &mg->origin, mg->id, mg->to, json_pack("{s:s}", "text", mg->text));
	sup_merge_free(mg);
}

static void metrics_merged(struct sup *s, const struct sup_origin *o, const struct proto_msg *m, char *own)
{
	struct sup_merge *mg = o->kind != SUP_ORIGIN_MERGE ? calloc(1, sizeof(*mg)) : NULL;
	if (!mg) {
		sup_reply_ok(s, o, m->id, m->from, json_pack("{s:s}", "text", own));
		free(own);
		return;
	}
	mg->origin = *o;
	mg->origin.name = NULL;   /* may point into an instance a reload frees; see merge_next */
	mg->id = m->id;
	snprintf(mg->to, sizeof(mg->to), "%s", m->from);
	mg->text = own;
	merge_next(s, mg);
}

static void m_metrics(struct sup *s, const struct sup_origin *o, const struct proto_msg *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		sup_reply_error(s, o, m->id, m->from, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	fprintf(f, "# HELP ghr_worker_restarts_total Restarts of a worker after a crash.\n"
	           "# TYPE ghr_worker_restarts_total counter\n");
	for (size_t i = 0; i < s->n_workers; i++)
		fprintf(f, "ghr_worker_restarts_total{worker=\"%s\"} %lld\n", s->workers[i]->name,
		        (long long)s->workers[i]->restarts);
	fprintf(f, "# HELP ghr_worker_up 1 when the worker is ready.\n# TYPE ghr_worker_up gauge\n");
	for (size_t i = 0; i < s->n_workers; i++)
		fprintf(f, "ghr_worker_up{worker=\"%s\"} %d\n", s->workers[i]->name,
		        s->workers[i]->state == SUP_W_READY);
	fprintf(f, "# HELP ghr_bus_bad_frames_total Frames dropped because they did not validate.\n"
	           "# TYPE ghr_bus_bad_frames_total counter\n");
	for (size_t i = 0; i < s->n_workers; i++)
		fprintf(f, "ghr_bus_bad_frames_total{worker=\"%s\"} %lld\n", s->workers[i]->name,
		        (long long)s->workers[i]->bad_frames);
	fprintf(f, "# HELP ghr_uptime_seconds Time since ghrd started.\n# TYPE ghr_uptime_seconds gauge\n"
	           "ghr_uptime_seconds %lld\n", (long long)((now_ms() - s->start_ms) / 1000));
	fclose(f);
	metrics_merged(s, o, m, buf ? buf : strdup(""));
}

static const struct { const char *name; sup_method_fn fn; } methods[] = {
	{ "sup.status", m_status }, { "sup.workers", m_workers }, { "sup.version", m_version },
	{ "sup.restart", m_restart }, { "sup.reload", m_reload }, { "sup.log_level", m_log_level },
	{ "sup.metrics", m_metrics },
};

void sup_serve(struct sup *s, const struct sup_origin *o, const struct proto_msg *m)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, m->method) == 0) {
			methods[i].fn(s, o, m);
			return;
		}
	sup_reply_error(s, o, m->id, m->from, PROTO_E_INTERNAL, "\"%s\" is not implemented by ghrd",
	                m->method);
}
