/* fake.echo, fake.call, fake.emit and fake.bench. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/evloop.h"
#include "common/log.h"
#include "workers/fake/fake.h"

#define CALL_TIMEOUT_MS 5000
#define BENCH_MAX_COUNT 1000000
#define BENCH_MAX_WINDOW 4096

/* The size of the reply frame the runtime will send for this body. */
static size_t reply_size(const struct wreq *req, json_t *body)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_REP, worker_instance(req->w));
	m.id = req->id;
	snprintf(m.to, sizeof(m.to), "%s", req->from);
	m.ok = 1;
	m.body = body;
	size_t len = 0;
	char *text = proto_encode(&m, &len);
	free(text);
	return text ? len : 0;
}

void fake_echo(struct wreq *req)
{
	json_t *j = json_object_get(req->body, "j");
	json_t *body = j ? json_pack("{s:O}", "j", j) : json_object();
	if (fake_modes.echo_fill > 0) {   /* --echo-fill: a reply frame of exactly that size */
		json_object_set_new(body, "pad", json_string(""));
		size_t base = reply_size(req, body);
		if (base && (long)base < fake_modes.echo_fill) {
			size_t n = (size_t)(fake_modes.echo_fill - (long)base);
			char *pad = malloc(n + 1);
			if (pad) {
				memset(pad, 'x', n);
				pad[n] = 0;
				json_object_set_new(body, "pad", json_string(pad));
				free(pad);
			}
		}
	}
	worker_reply_ok(req, body);
}

static void call_done(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct wreq *req = arg;
	if (res->ok)
		worker_reply_ok(req, json_pack("{s:O}", "reply", res->body));
	else
		worker_reply_err(req, res->error, res->retry_after_ms, "%s", res->message);
}

void fake_call(struct wreq *req)
{
	const char *method = json_string_value(json_object_get(req->body, "method"));
	const char *to = json_string_value(json_object_get(req->body, "to"));
	json_t *body = json_object_get(req->body, "body");
	int64_t timeout = wreq_remaining_ms(req) - 50;
	if (timeout <= 0)
		timeout = 1;
	if (worker_call_to(req->w, to, method, body ? json_incref(body) : NULL, timeout, call_done,
	                   req) < 0)
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "unknown method \"%s\"", method);
}

/* fake.emit: publish an event, as the worker that owns the topic would (tests inject
 * webhook.job events this way; ghrd still checks the topic against the fake's row). */
void fake_emit(struct wreq *req)
{
	const char *topic = json_string_value(json_object_get(req->body, "topic"));
	json_t *body = json_object_get(req->body, "body");
	worker_emit(req->w, topic, json_incref(body));
	worker_reply_ok(req, json_object());
}

/* ---- fake.bench: time `count` fake.echo round trips through ghrd ---- */

static struct bench {
	struct wreq *req;
	char to[PROTO_NAME_MAX];
	json_t *payload;
	long count, sent, done, errors, window, rate;
	int64_t *lat_us;
	int64_t start_us;
	int64_t pace_timer;
} bench;

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void bench_finish(void)
{
	int64_t elapsed_us = mono_us() - bench.start_us;
	long n = bench.done - bench.errors;
	qsort(bench.lat_us, (size_t)n, sizeof(int64_t), cmp64);
	json_t *r = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f}",
	                      "count", (json_int_t)bench.done, "errors", (json_int_t)bench.errors,
	                      "elapsed_ms", (json_int_t)(elapsed_us / 1000),
	                      "p50_us", (json_int_t)(n ? bench.lat_us[n / 2] : 0),
	                      "p99_us", (json_int_t)(n ? bench.lat_us[(n * 99) / 100] : 0),
	                      "max_us", (json_int_t)(n ? bench.lat_us[n - 1] : 0),
	                      "rps", elapsed_us > 0 ? bench.done * 1e6 / (double)elapsed_us : 0.0);
	struct wreq *req = bench.req;
	free(bench.lat_us);
	json_decref(bench.payload);
	memset(&bench, 0, sizeof(bench));
	worker_reply_ok(req, r);
}

static void bench_send(struct worker *w);

static void bench_reply(struct worker *w, const struct wcall_result *res, void *arg)
{
	int64_t t0 = (int64_t)(intptr_t)arg;
	if (!bench.req)
		return;   /* cannot happen: every call is answered before the run ends */
	if (res->ok)
		bench.lat_us[bench.done - bench.errors] = mono_us() - t0;
	else
		bench.errors++;
	bench.done++;
	if (bench.done == bench.count) {
		if (bench.pace_timer)
			ev_timer_del(worker_loop(w), bench.pace_timer);
		bench_finish();
	} else if (!bench.rate && bench.sent < bench.count) {
		bench_send(w);
	}
}

static void bench_send(struct worker *w)
{
	json_t *body = json_pack("{s:O}", "j", bench.payload);
	bench.sent++;
	worker_call_to(w, bench.to, "fake.echo", body, CALL_TIMEOUT_MS, bench_reply,
	               (void *)(intptr_t)mono_us());
}

/* Paced mode: every millisecond, send what the rate says is due by now. */
static void bench_pace(struct ev_loop *l, int64_t id, void *arg)
{
	struct worker *w = arg;
	bench.pace_timer = 0;
	long due = (long)((mono_us() - bench.start_us) * bench.rate / 1000000) + 1;
	while (bench.sent < due && bench.sent < bench.count)
		bench_send(w);
	if (bench.sent < bench.count)
		bench.pace_timer = ev_timer_add(l, 1, bench_pace, w);
}

void fake_bench(struct wreq *req)
{
	if (bench.req) {
		worker_reply_err(req, PROTO_E_CONFLICT, 0, "a benchmark is already running");
		return;
	}
	json_t *b = req->body;
	long count = (long)json_integer_value(json_object_get(b, "count"));
	long window = json_object_get(b, "window") ? (long)json_integer_value(json_object_get(b, "window")) : 64;
	long rate = (long)json_integer_value(json_object_get(b, "rate"));
	long payload = (long)json_integer_value(json_object_get(b, "payload"));
	if (count < 1 || count > BENCH_MAX_COUNT || window < 1 || window > BENCH_MAX_WINDOW ||
	    rate < 0 || payload < 0 || payload > 65536) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0,
		                 "count 1..%d, window 1..%d, rate >= 0, payload 0..65536",
		                 BENCH_MAX_COUNT, BENCH_MAX_WINDOW);
		return;
	}
	bench.lat_us = calloc((size_t)count, sizeof(int64_t));
	char *pad = calloc((size_t)payload + 1, 1);
	if (!bench.lat_us || !pad) {
		free(bench.lat_us);
		free(pad);
		bench.lat_us = NULL;
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	memset(pad, 'x', (size_t)payload);
	bench.payload = json_string(pad);
	free(pad);
	const char *to = json_string_value(json_object_get(b, "to"));
	snprintf(bench.to, sizeof(bench.to), "%s", to ? to : "fake");
	bench.req = req;
	bench.count = count;
	bench.window = window;
	bench.rate = rate;
	bench.start_us = mono_us();
	if (rate > 0) {
		bench_pace(worker_loop(req->w), 0, req->w);
	} else {
		for (long i = 0; i < window && bench.sent < count; i++)
			bench_send(req->w);
	}
}
