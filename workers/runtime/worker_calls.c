/* Outgoing calls: each request this worker makes waits in a small hash by id until its
 * reply comes or its deadline passes.  One sweep timer, armed only while calls are
 * pending, expires them (evloop timers are a scanned array, so one timer per call would
 * not scale to thousands in flight).  The callback runs exactly once per call, always
 * from the loop, never from inside worker_call(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/evloop.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/runtime/worker_int.h"

#define SWEEP_MS 20
#define MAX_CALLS 100000

int64_t worker_first_call_id(void)
{
	/* 40 random bits: far below 2^53, so ids stay exact in any JSON reader, and leaves
	 * room for 2^52 calls before a wrap could matter. */
	return (int64_t)(random_u64() >> 24) + 1;
}

static size_t bucket(int64_t id)
{
	return (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ull >> 54) % WORKER_CALL_BUCKETS;
}

static void slot_add(struct worker *w, struct worker_call_slot *s)
{
	size_t b = bucket(s->id);
	s->next = w->calls[b];
	w->calls[b] = s;
	w->n_calls++;
}

static struct worker_call_slot *slot_take(struct worker *w, int64_t id)
{
	for (struct worker_call_slot **p = &w->calls[bucket(id)]; *p; p = &(*p)->next) {
		if ((*p)->id == id) {
			struct worker_call_slot *s = *p;
			*p = s->next;
			w->n_calls--;
			return s;
		}
	}
	return NULL;
}

static void finish(struct worker *w, struct worker_call_slot *s, enum proto_error code,
                   const char *message)
{
	json_t *empty = json_object();
	struct wcall_result res = { .ok = 0, .body = empty, .error = code, .message = message };
	s->cb(w, &res, s->arg);
	json_decref(empty);
	free(s);
}

static void on_sweep(struct ev_loop *loop, int64_t tid, void *arg);

static void arm_sweep(struct worker *w)
{
	if (!w->sweep_timer && w->n_calls)
		w->sweep_timer = ev_timer_add(w->loop, SWEEP_MS, on_sweep, w);
}

static void on_sweep(struct ev_loop *loop, int64_t tid, void *arg)
{
	struct worker *w = arg;
	w->sweep_timer = 0;
	int64_t now = now_ms();
	for (size_t b = 0; b < WORKER_CALL_BUCKETS; b++) {
		struct worker_call_slot **p = &w->calls[b];
		while (*p) {
			struct worker_call_slot *s = *p;
			if (s->deadline_mono > now) {
				p = &s->next;
				continue;
			}
			*p = s->next;
			w->n_calls--;
			finish(w, s, s->deadline_mono == INT64_MIN ? PROTO_E_UNAVAILABLE : PROTO_E_TIMEOUT,
			       s->deadline_mono == INT64_MIN ? PROTO_NOT_SENT
			                                     : "no reply before the deadline");
		}
	}
	arm_sweep(w);
}

int wcall_not_sent(const struct wcall_result *res)
{
	return !res->ok && res->error == PROTO_E_UNAVAILABLE && res->message &&
	       strstr(res->message, PROTO_NOT_SENT) != NULL;
}

int worker_call_to(struct worker *w, const char *to, const char *method, json_t *body,
                   int64_t timeout_ms, worker_call_cb cb, void *arg)
{
	const struct proto_method *pm = proto_method_find(method);
	if (!pm || !cb || timeout_ms <= 0) {
		log_error("worker_call refused", "method=%s", log_q(method));
		json_decref(body);
		return -1;
	}
	struct worker_call_slot *s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(body);
		return -1;
	}
	s->id = ++w->next_call_id;
	s->cb = cb;
	s->arg = arg;
	s->deadline_mono = now_ms() + timeout_ms;

	struct proto_msg m;
	proto_msg_init(&m, PROTO_REQ, w->boot.instance);
	m.id = s->id;
	snprintf(m.to, sizeof(m.to), "%s", to && *to ? to : pm->server);
	snprintf(m.method, sizeof(m.method), "%s", method);
	m.deadline_ms = wall_ms() + timeout_ms;
	m.body = body ? body : json_object();
	if (w->n_calls >= MAX_CALLS || w->stopping == 2 || worker_bus_send(w, &m) < 0)
		s->deadline_mono = INT64_MIN;   /* fails at the next sweep, from the loop */
	proto_msg_clear(&m);
	slot_add(w, s);
	arm_sweep(w);
	return 0;
}

int worker_call(struct worker *w, const char *method, json_t *body, int64_t timeout_ms,
                worker_call_cb cb, void *arg)
{
	return worker_call_to(w, NULL, method, body, timeout_ms, cb, arg);
}

void worker_calls_on_reply(struct worker *w, const struct proto_msg *m)
{
	struct worker_call_slot *s = slot_take(w, m->id);
	if (!s) {
		log_debug("reply to no pending call dropped (late or unknown)", "id=%lld",
		          (long long)m->id);
		return;
	}
	json_t *empty = m->body ? NULL : json_object();
	struct wcall_result res = {
		.ok = m->ok, .body = m->body ? m->body : empty, .error = m->ok ? PROTO_OK : m->error,
		.message = m->ok ? "" : m->error_message, .retry_after_ms = m->retry_after_ms,
	};
	s->cb(w, &res, s->arg);
	json_decref(empty);
	free(s);
}

void worker_calls_fail_all(struct worker *w, enum proto_error code, const char *why)
{
	for (size_t b = 0; b < WORKER_CALL_BUCKETS; b++) {
		while (w->calls[b]) {
			struct worker_call_slot *s = w->calls[b];
			w->calls[b] = s->next;
			w->n_calls--;
			finish(w, s, code, why);
		}
	}
}
