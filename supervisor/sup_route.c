/* Routing: every request is checked against the catalogue (method exists, caller may
 * call it, body validates), then answered by ghrd (sup.*) or forwarded to a ready
 * instance of the serving worker under a fresh ghrd id, remembered until its reply maps
 * back to the caller.  A reply that never comes is failed with `timeout` at the
 * deadline; a worker that exits fails what it was serving with `unavailable`.  The
 * caller never hangs.
 *
 * A worker caller is remembered with its spawn generation: what it asked dies with its
 * process (dropped unanswered when it exits), and a reply or timeout is delivered to a
 * worker only while the same process, hello'd, holds the name — never to a replacement,
 * whose own call ids would otherwise match the dead one's. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/config.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/sup.h"

#define MAX_DEADLINE_MS (3600 * 1000)   /* a longer deadline is cut to this */

static int send_text(void *zsock, const char *identity, size_t id_len, const char *text,
                     size_t len)
{
	if (zmq_send(zsock, identity, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(zsock, text, len, ZMQ_DONTWAIT) < 0)
		return -1;
	return 0;
}

int sup_send(void *zsock, const char *identity, size_t id_len, const struct proto_msg *m)
{
	size_t len = 0;
	char *text = proto_encode(m, &len);
	if (!text) {
		errno = EMSGSIZE;   /* does not encode: too large, or invalid */
		return -1;
	}
	int r = send_text(zsock, identity, id_len, text, len);
	free(text);
	return r;
}

/* The worker process that asked, when it still runs (else NULL). */
static struct sup_worker *worker_origin_alive(const struct sup *s, const struct sup_origin *o)
{
	char name[PROTO_NAME_MAX];
	if (o->identity_len == 0 || o->identity_len >= sizeof(name))
		return NULL;
	memcpy(name, o->identity, o->identity_len);
	name[o->identity_len] = 0;
	struct sup_worker *w = sup_worker_find(s, name);
	return w && w->pid > 0 && w->gen == o->gen && w->hello_ok && w->bus ? w : NULL;
}

/* Encodes once; a reply that does not encode (a body that grew past the frame limit
 * with ghrd's envelope) is answered `internal` instead, so the caller is never left
 * waiting for nothing. */
static int send_to_origin(struct sup *s, const struct sup_origin *o, const struct proto_msg *m)
{
	if (o->kind == SUP_ORIGIN_MERGE) {
		sup_merge_reply(s, o->merge, m);
		return 0;
	}
	if (o->kind == SUP_ORIGIN_SELF) {
		if (m->kind == PROTO_REP && !m->ok)
			log_warn("request from ghrd failed", "error=%s message=%s",
			         proto_error_name(m->error), log_q(m->error_message));
		return 0;
	}
	const char *who = o->name ? o->name : "caller";
	void *sock = s->ctl[o->ctl].sock;
	if (o->kind == SUP_ORIGIN_WORKER) {
		struct sup_worker *asker = worker_origin_alive(s, o);
		sock = asker ? asker->bus : NULL;
	}
	if (!sock) {
		log_debug("reply dropped: the asking process is gone", "to=%s id=%lld", log_q(who),
		          (long long)m->id);
		return -1;
	}
	size_t len = 0;
	char why[160];
	char *text = proto_encode_err(m, &len, why, sizeof(why));
	if (!text && m->kind == PROTO_REP) {
		struct proto_msg e;
		proto_msg_init(&e, PROTO_REP, m->from);
		e.id = m->id;
		snprintf(e.to, sizeof(e.to), "%s", m->to);
		e.ok = 0;
		e.error = PROTO_E_INTERNAL;
		snprintf(e.error_message, sizeof(e.error_message),
		         "the reply from %s could not be forwarded: %s", m->from, why);
		log_warn("reply could not be encoded, answered internal", "from=%s to=%s reason=%s",
		         m->from, log_q(who), log_q(why));
		text = proto_encode(&e, &len);
	}
	if (!text) {
		log_warn("message could not be encoded, dropped", "to=%s reason=%s", log_q(who),
		         log_q(why));
		return -1;
	}
	int r = send_text(sock, o->identity, o->identity_len, text, len);
	free(text);
	if (r < 0 && errno == EAGAIN) {   /* connected, but its queue is full: not "gone" */
		s->replies_dropped_full++;
		if (sup_ratelimit_pass(&s->rl_reply_full, now_ms(), NULL))
			log_warn("reply dropped: the caller does not read its replies (queue full)",
			         "to=%s dropped_total=%lld", log_q(who),
			         (long long)s->replies_dropped_full);
	} else if (r < 0) {
		log_debug("reply not delivered (caller gone)", "to=%s error=%s", log_q(who),
		          log_q(zmq_strerror(errno)));
	}
	return r;
}

void sup_reply_ok(struct sup *s, const struct sup_origin *o, int64_t id, const char *to,
                  json_t *body)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_REP, "ghrd");
	m.id = id;
	snprintf(m.to, sizeof(m.to), "%s", to);
	m.body = body ? body : json_object();
	send_to_origin(s, o, &m);
	proto_msg_clear(&m);
}

void sup_reply_error(struct sup *s, const struct sup_origin *o, int64_t id, const char *to,
                     enum proto_error code, const char *fmt, ...)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_REP, "ghrd");
	m.id = id > 0 ? id : 1;   /* an undecodable request has no id; 1 keeps the frame valid */
	snprintf(m.to, sizeof(m.to), "%s", to && *to ? to : "unknown");
	m.ok = 0;
	m.error = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m.error_message, sizeof(m.error_message), fmt, ap);
	va_end(ap);
	send_to_origin(s, o, &m);
}

/* Pick the instance: the one named in `to`, or round-robin over ready instances. */
static struct sup_worker *pick_target(struct sup *s, const struct proto_method *pm,
                                      const struct proto_msg *m, const char **why)
{
	struct sup_worker *named = sup_worker_find(s, m->to);
	if (named) {
		if (strcmp(pm->server, "*") != 0 && strcmp(named->def->name, pm->server) != 0) {
			*why = "is served by another worker";
			return NULL;
		}
		return named;
	}
	if (strcmp(pm->server, "*") == 0) {
		*why = "needs an instance name in \"to\"";
		return NULL;
	}
	static size_t rr;
	size_t n = s->n_workers;
	struct sup_worker *any = NULL;
	for (size_t k = 0; k < n; k++) {
		struct sup_worker *w = s->workers[(rr + k) % n];
		if (strcmp(w->def->name, pm->server) != 0)
			continue;
		if (w->state == SUP_W_READY && w->hello_ok) {
			rr = (rr + k + 1) % n;
			return w;
		}
		if (!any)
			any = w;
	}
	*why = any ? NULL : "has no instance configured";
	return any;   /* not ready: the caller reports its state */
}

static void forward(struct sup *s, const struct sup_origin *o, struct proto_msg *m,
                    struct sup_worker *t)
{
	int64_t left = m->deadline_ms - wall_ms();
	if (left <= 0) {
		sup_reply_error(s, o, m->id, m->from, PROTO_E_TIMEOUT, "the deadline had passed");
		return;
	}
	if (left > MAX_DEADLINE_MS) {
		left = MAX_DEADLINE_MS;
		m->deadline_ms = wall_ms() + left;
	}
	struct sup_pending_entry e;
	memset(&e, 0, sizeof(e));
	e.id = ++s->next_id;
	e.orig_id = m->id;
	snprintf(e.orig_from, sizeof(e.orig_from), "%s", m->from);
	e.origin = *o;
	e.origin.name = NULL;
	snprintf(e.target, sizeof(e.target), "%s", t->name);
	e.deadline_mono = now_ms() + left;
	int added = sup_pending_add(s->pending, &e);
	if (added < 0) {
		sup_reply_error(s, o, m->id, m->from, PROTO_E_UNAVAILABLE, "too many requests in flight%s",
		                added == -2 ? " from this caller" : "");
		return;
	}
	struct proto_msg f = *m;   /* shallow: body stays owned by m */
	f.id = e.id;
	snprintf(f.to, sizeof(f.to), "%s", t->name);
	if (o->kind == SUP_ORIGIN_CTL)
		snprintf(f.from, sizeof(f.from), "control");   /* callers cannot pose as a worker */
	if (!t->bus || sup_send(t->bus, t->name, strlen(t->name), &f) < 0) {
		struct sup_pending_entry gone;
		sup_pending_take(s->pending, e.id, &gone);
		sup_reply_error(s, o, m->id, m->from, PROTO_E_UNAVAILABLE, "worker %s unreachable: %s",
		                t->name, zmq_strerror(errno));
	}
}

/* For a control client refused a method that admins may call: who may. */
static const char *who_may(const struct sup *s, const struct sup_origin *o, const struct proto_method *pm)
{
	static char text[160];
	if (o->kind != SUP_ORIGIN_CTL || !proto_caller_may(pm, C_ADMIN))
		return "";
	const char *group = cfg_str(s->cfg, "supervisor.admin_group");
	if (group && *group)
		snprintf(text, sizeof(text), " (root and members of group \"%s\" may)", group);
	else
		snprintf(text, sizeof(text), " (only root may: supervisor.admin_group is not set)");
	return text;
}

void sup_route_request(struct sup *s, const struct sup_origin *o, struct proto_msg *m)
{
	char err[256];
	const struct proto_method *pm = proto_method_find(m->method);
	if (!pm) {
		sup_reply_error(s, o, m->id, m->from, PROTO_E_BAD_REQUEST, "unknown method \"%s\"",
		                m->method);
		return;
	}
	if (!proto_caller_may(pm, o->caller)) {
		sup_reply_error(s, o, m->id, m->from, PROTO_E_FORBIDDEN, "%s may not call \"%s\"%s",
		                o->name ? o->name : "this caller", m->method, who_may(s, o, pm));
		return;
	}
	if (proto_validate_request(m->method, m->body, err, sizeof(err)) < 0) {
		sup_reply_error(s, o, m->id, m->from, PROTO_E_BAD_REQUEST, "%s: %s", m->method, err);
		return;
	}
	if (strcmp(pm->server, "ghrd") == 0) {
		sup_serve(s, o, m);
		return;
	}
	if (s->shutting_down) {
		sup_reply_error(s, o, m->id, m->from, PROTO_E_SHUTTING_DOWN, "ghrd is stopping");
		return;
	}
	const char *why = NULL;
	struct sup_worker *t = pick_target(s, pm, m, &why);
	if (!t || why) {
		sup_reply_error(s, o, m->id, m->from, PROTO_E_BAD_REQUEST, "\"%s\" %s", m->method,
		                why ? why : "has no target");
		return;
	}
	if (t->state != SUP_W_READY || !t->hello_ok) {
		/* The phrase is documented (ghr-protocol(7)): callers such as the scaler tell
		 * by it that the request was never delivered, so nothing was done. */
		sup_reply_error(s, o, m->id, m->from, PROTO_E_UNAVAILABLE,
		                "worker %s is %s: " PROTO_NOT_SENT, t->name, sup_state_name(t->state));
		return;
	}
	forward(s, o, m, t);
}

void sup_route_reply(struct sup *s, struct sup_worker *from, struct proto_msg *m)
{
	struct sup_pending_entry e;
	if (sup_pending_take(s->pending, m->id, &e) < 0) {
		log_debug("reply to nothing pending dropped (late or unknown)", "worker=%s id=%lld",
		          from->name, (long long)m->id);
		return;
	}
	if (strcmp(e.target, from->name) != 0) {
		/* Not the instance it was sent to: a worker answering for another. */
		sup_pending_add(s->pending, &e);   /* room: it was just taken out */
		from->bad_frames++;
		log_warn("reply from the wrong worker dropped", "worker=%s id=%lld", from->name,
		         (long long)m->id);
		return;
	}
	m->id = e.orig_id;
	snprintf(m->to, sizeof(m->to), "%s", e.orig_from);
	e.origin.name = e.orig_from;
	send_to_origin(s, &e.origin, m);
}

void sup_route_event(struct sup *s, struct sup_worker *from, const struct proto_msg *m)
{
	for (size_t i = 0; i < s->n_workers; i++) {
		struct sup_worker *w = s->workers[i];
		if (w == from || w->state != SUP_W_READY || !w->hello_ok)
			continue;
		for (const char *const *t = w->def->topics; *t; t++)
			if (strncmp(m->topic, *t, strlen(*t)) == 0) {
				if (!w->bus || sup_send(w->bus, w->name, strlen(w->name), m) < 0)
					log_debug("event not delivered", "worker=%s topic=%s", w->name, m->topic);
				break;
			}
	}
}

static void fail_entry(struct sup *s, const struct sup_pending_entry *e, void *arg)
{
	const char *why = arg;
	struct sup_origin o = e->origin;
	o.name = e->orig_from;
	if (why)
		sup_reply_error(s, &o, e->orig_id, e->orig_from, PROTO_E_UNAVAILABLE, "%s: %s",
		                e->target, why);
	else
		sup_reply_error(s, &o, e->orig_id, e->orig_from, PROTO_E_TIMEOUT,
		                "no reply from %s before the deadline", e->target);
}

/* w's process exited: what it was serving fails back to the callers; what it asked is
 * forgotten (nobody is left to answer). */
void sup_fail_pending_to(struct sup *s, struct sup_worker *w, const char *why)
{
	sup_pending_sweep(s->pending, 0, w->name, fail_entry, s, (void *)why);
	size_t n = sup_pending_drop_origin(s->pending, SUP_ORIGIN_WORKER, w->name, strlen(w->name));
	if (n)
		log_debug("requests of an exited worker forgotten", "worker=%s count=%zu", w->name, n);
}

void sup_route_expire(struct sup *s)
{
	sup_pending_sweep(s->pending, now_ms(), NULL, fail_entry, s, NULL);
}

/* A request from ghrd itself; the reply goes to o (logged for SELF, merged for MERGE). */
void sup_send_req(struct sup *s, const struct sup_origin *o, struct sup_worker *w,
                  const char *method, json_t *body, int64_t timeout_ms)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_REQ, "ghrd");
	m.id = ++s->next_id;
	snprintf(m.to, sizeof(m.to), "%s", w->name);
	snprintf(m.method, sizeof(m.method), "%s", method);
	m.deadline_ms = wall_ms() + timeout_ms;
	m.body = body;
	sup_route_request(s, o, &m);
	proto_msg_clear(&m);
}

void sup_send_to_worker(struct sup *s, struct sup_worker *w, const char *method, json_t *body)
{
	struct sup_origin o = { .kind = SUP_ORIGIN_SELF, .caller = C_SUP, .name = "ghrd" };
	sup_send_req(s, &o, w, method, body, 5000);
}
