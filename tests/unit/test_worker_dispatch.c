/* Worker runtime: serving requests (deadlines, stopping, signals) and matching replies
 * to calls.  The worker's bus socket is one end of an inproc PAIR; the test holds the
 * other end, so every frame the runtime sends can be read back. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/evloop.h"
#include "common/util.h"
#include "tests/unit/unit.h"
#include "workers/runtime/worker_int.h"

static int served;
static void echo(struct wreq *req)
{
	served++;
	worker_reply_ok(req, json_pack("{s:i}", "n", served));
}

static const struct worker_method methods[] = { { "fake.echo", echo }, { NULL, NULL } };
static const struct worker_def def = { .name = "fake", .methods = methods };

struct rig {
	struct worker *w;
	void *peer;   /* ghrd's side */
};

static struct rig rig_new(void)
{
	static int n;
	char ep[64];
	snprintf(ep, sizeof(ep), "inproc://wdispatch-%d", ++n);
	struct rig r;
	r.w = calloc(1, sizeof(*r.w));
	r.w->def = &def;
	r.w->boot.instance = "fake.1";
	r.w->boot.name = "fake";
	r.w->loop = ev_new();
	r.w->zctx = zmq_ctx_new();
	r.w->next_call_id = worker_first_call_id();
	r.peer = zmq_socket(r.w->zctx, ZMQ_PAIR);
	r.w->zsock = zmq_socket(r.w->zctx, ZMQ_PAIR);
	CU_ASSERT_EQUAL(zmq_bind(r.peer, ep), 0);
	CU_ASSERT_EQUAL(zmq_connect(r.w->zsock, ep), 0);
	return r;
}

static void rig_free(struct rig *r)
{
	worker_calls_fail_all(r->w, PROTO_E_SHUTTING_DOWN, "end of test");
	zmq_close(r->peer);
	zmq_close(r->w->zsock);
	zmq_ctx_term(r->w->zctx);
	ev_free(r->w->loop);
	free(r->w);
}

/* The next frame the runtime sent, decoded; 0 if none within wait_ms. */
static int sent(struct rig *r, struct proto_msg *m, int wait_ms)
{
	int to = wait_ms;
	zmq_setsockopt(r->peer, ZMQ_RCVTIMEO, &to, sizeof(to));
	char buf[65536];
	int n = zmq_recv(r->peer, buf, sizeof(buf), 0);
	if (n < 0)
		return 0;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(proto_decode(buf, (size_t)n, m, err, sizeof(err)), 0);
	return 1;
}

static struct proto_msg request(int64_t id, int64_t deadline_ms)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_REQ, "scaler");
	m.id = id;
	snprintf(m.to, sizeof(m.to), "fake.1");
	snprintf(m.method, sizeof(m.method), "fake.echo");
	m.deadline_ms = deadline_ms;
	return m;
}

static void test_expired_request_is_dropped_unanswered(void)
{
	struct rig r = rig_new();
	served = 0;
	struct proto_msg m = request(5, wall_ms() - 1);
	worker_dispatch(r.w, &m);
	struct proto_msg out;
	CU_ASSERT_EQUAL(served, 0);
	CU_ASSERT_EQUAL(sent(&r, &out, 50), 0);
	m = request(6, wall_ms() + 5000);   /* a live one is served and answered */
	worker_dispatch(r.w, &m);
	CU_ASSERT_EQUAL(served, 1);
	CU_ASSERT_EQUAL_FATAL(sent(&r, &out, 1000), 1);
	CU_ASSERT_EQUAL(out.kind, PROTO_REP);
	CU_ASSERT_EQUAL(out.id, 6);
	CU_ASSERT_STRING_EQUAL(out.to, "scaler");
	CU_ASSERT(out.ok);
	proto_msg_clear(&out);
	rig_free(&r);
}

static void test_shutting_down_after_sigterm_not_after_sighup(void)
{
	struct rig r = rig_new();
	served = 0;
	worker_on_signal(r.w, SIGHUP);   /* log reopen only */
	CU_ASSERT_EQUAL(r.w->stopping, 0);
	worker_on_signal(r.w, SIGTERM);
	CU_ASSERT_EQUAL(r.w->stopping, 1);
	struct proto_msg m = request(7, wall_ms() + 5000), out;
	worker_dispatch(r.w, &m);
	CU_ASSERT_EQUAL(served, 0);
	CU_ASSERT_EQUAL_FATAL(sent(&r, &out, 1000), 1);
	CU_ASSERT_EQUAL(out.id, 7);
	CU_ASSERT(!out.ok);
	CU_ASSERT_EQUAL(out.error, PROTO_E_SHUTTING_DOWN);
	proto_msg_clear(&out);
	rig_free(&r);
}

struct outcome {
	int calls;
	int ok;
	enum proto_error error;
	int64_t n;
};

static void on_result(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct outcome *o = arg;
	o->calls++;
	o->ok = res->ok;
	o->error = res->error;
	o->n = json_integer_value(json_object_get(res->body, "n"));
}

static void run_until(struct rig *r, const int *flag, int64_t max_ms)
{
	int64_t end = now_ms() + max_ms;
	while (!*flag && now_ms() < end)
		ev_run_once(r->w->loop, 10);
}

static void test_call_timeout_fires_exactly_once(void)
{
	struct rig r = rig_new();
	struct outcome o = { 0 };
	CU_ASSERT_EQUAL(worker_call_to(r.w, "fake.2", "fake.echo", NULL, 30, on_result, &o), 0);
	CU_ASSERT_EQUAL(o.calls, 0);   /* never from inside the call */
	struct proto_msg req;
	CU_ASSERT_EQUAL_FATAL(sent(&r, &req, 1000), 1);
	CU_ASSERT_STRING_EQUAL(req.method, "fake.echo");
	CU_ASSERT_STRING_EQUAL(req.to, "fake.2");
	run_until(&r, &o.calls, 2000);
	CU_ASSERT_EQUAL(o.calls, 1);
	CU_ASSERT(!o.ok);
	CU_ASSERT_EQUAL(o.error, PROTO_E_TIMEOUT);
	/* the late reply finds nothing; more loop turns fire nothing */
	struct proto_msg rep;
	proto_msg_init(&rep, PROTO_REP, "fake.2");
	rep.id = req.id;
	rep.ok = 1;
	worker_calls_on_reply(r.w, &rep);
	for (int i = 0; i < 5; i++)
		ev_run_once(r.w->loop, 30);
	CU_ASSERT_EQUAL(o.calls, 1);
	CU_ASSERT_EQUAL(r.w->n_calls, 0);
	proto_msg_clear(&req);
	rig_free(&r);
}

static void test_replies_match_calls_by_id(void)
{
	struct rig r = rig_new();
	struct outcome a = { 0 }, b = { 0 };
	CU_ASSERT_EQUAL(worker_call(r.w, "fake.echo", NULL, 5000, on_result, &a), 0);
	CU_ASSERT_EQUAL(worker_call(r.w, "fake.echo", NULL, 5000, on_result, &b), 0);
	struct proto_msg ra, rb;
	CU_ASSERT_EQUAL_FATAL(sent(&r, &ra, 1000), 1);
	CU_ASSERT_EQUAL_FATAL(sent(&r, &rb, 1000), 1);
	CU_ASSERT_NOT_EQUAL(ra.id, rb.id);
	CU_ASSERT(ra.id > 1);   /* ids start at a random value, not at 1 */
	struct proto_msg rep;
	proto_msg_init(&rep, PROTO_REP, "fake");
	rep.id = rb.id + 1000;   /* matches nothing: ignored */
	rep.ok = 1;
	worker_calls_on_reply(r.w, &rep);
	CU_ASSERT_EQUAL(a.calls + b.calls, 0);
	rep.id = rb.id;
	rep.body = json_pack("{s:i}", "n", 42);
	worker_calls_on_reply(r.w, &rep);
	CU_ASSERT_EQUAL(b.calls, 1);
	CU_ASSERT(b.ok);
	CU_ASSERT_EQUAL(b.n, 42);
	CU_ASSERT_EQUAL(a.calls, 0);
	CU_ASSERT_EQUAL(r.w->n_calls, 1);
	proto_msg_clear(&rep);
	proto_msg_clear(&ra);
	proto_msg_clear(&rb);
	rig_free(&r);
	CU_ASSERT_EQUAL(a.calls, 1);   /* failed once at teardown, never twice */
	CU_ASSERT_EQUAL(a.error, PROTO_E_SHUTTING_DOWN);
}

static void test_first_call_ids_differ(void)
{
	int64_t x = worker_first_call_id(), y = worker_first_call_id();
	CU_ASSERT(x > 0 && y > 0);
	CU_ASSERT(x < (INT64_C(1) << 53) && y < (INT64_C(1) << 53));
	CU_ASSERT_NOT_EQUAL(x, y);
}

UNIT_SUITE(worker_dispatch,
	UNIT_TEST(test_expired_request_is_dropped_unanswered),
	UNIT_TEST(test_shutting_down_after_sigterm_not_after_sighup),
	UNIT_TEST(test_call_timeout_fires_exactly_once),
	UNIT_TEST(test_replies_match_calls_by_id),
	UNIT_TEST(test_first_call_ids_differ))
