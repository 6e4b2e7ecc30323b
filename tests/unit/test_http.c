/* common/http.c against the loopback server of http_testsrv.c. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>

#include "common/evloop.h"
#include "common/http.h"
#include "common/util.h"
#include "tests/unit/unit.h"
#include "tests/unit/http_testsrv.h"

#define MAX_RESULTS 64

struct result {
	int done;
	long status;
	int error;
	char error_text[256];
	char body[1024];
	size_t body_len;
	char remaining[32];
	int lowercase_seen;
	int64_t elapsed_ms;
	int order;
};

static int done_count;
static int done_seq;

static void on_done(const struct http_response *r, void *arg)
{
	struct result *res = arg;
	res->done = 1;
	res->status = r->status;
	res->error = r->error;
	snprintf(res->error_text, sizeof(res->error_text), "%s", r->error_text);
	res->body_len = r->body_len;
	snprintf(res->body, sizeof(res->body), "%s", r->body);
	const char *v = http_header_get(r, "X-RATELIMIT-REMAINING");
	snprintf(res->remaining, sizeof(res->remaining), "%s", v ? v : "");
	for (int i = 0; i < r->n_headers; i++)
		if (strcmp(r->headers[i].name, "x-ratelimit-remaining") == 0)
			res->lowercase_seen = 1;
	res->elapsed_ms = r->elapsed_ms;
	res->order = done_seq++;
	done_count++;
}

/* Run the loop until `want` callbacks ran or limit_ms passed. */
static void run_until(struct ev_loop *loop, int want, int64_t limit_ms)
{
	int64_t end = now_ms() + limit_ms;
	while (done_count < want && now_ms() < end)
		ev_run_once(loop, 50);
}

struct fixture {
	struct http_testsrv *srv;
	struct ev_loop *loop;
	struct http_client *c;
};

static int setup(struct fixture *f, const struct http_client_opts *o)
{
	done_count = 0;
	done_seq = 0;
	f->srv = http_testsrv_start();
	f->loop = ev_new();
	f->c = f->loop ? http_client_new(f->loop, o) : NULL;
	return f->srv && f->c ? 0 : -1;
}

static void teardown(struct fixture *f)
{
	http_client_free(f->c);
	ev_free(f->loop);
	http_testsrv_stop(f->srv);
}

static int get(struct fixture *f, const char *path, long timeout_ms, struct result *res)
{
	struct http_request rq = { .method = "GET", .url = http_testsrv_url(f->srv, path),
	                           .timeout_ms = timeout_ms };
	return http_send(f->c, &rq, on_done, res);
}

static void test_http_get_ok(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	CU_ASSERT_EQUAL(get(&f, "/ok", 0, &r), 0);
	CU_ASSERT_EQUAL(http_in_flight(f.c), 1);
	run_until(f.loop, 1, 5000);
	CU_ASSERT(r.done);
	CU_ASSERT_EQUAL(r.error, 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(r.body, "hello");
	CU_ASSERT_EQUAL(r.body_len, 5);
	CU_ASSERT_STRING_EQUAL(r.remaining, "42");
	CU_ASSERT(r.lowercase_seen);
	CU_ASSERT_EQUAL(http_in_flight(f.c), 0);
	teardown(&f);
}

static void test_http_post_headers_and_body(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, &(struct http_client_opts){ .user_agent = "ghr-test/1" }) == 0);
	struct http_header h[] = { { "Authorization", "Bearer abc" }, { "X-Empty", "" } };
	const char *body = "{\"name\":\"r1\"}";
	struct http_request rq = { .method = "POST", .url = http_testsrv_url(f.srv, "/echo"),
	                           .headers = h, .n_headers = 2, .body = body, .body_len = strlen(body) };
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done, &r), 0);
	run_until(f.loop, 1, 5000);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT(strncmp(r.body, "POST /echo HTTP/1.1\r\n", 21) == 0);
	CU_ASSERT(strstr(r.body, "\r\nAuthorization: Bearer abc\r\n") != NULL);
	CU_ASSERT(strstr(r.body, "\r\nX-Empty:") != NULL);
	CU_ASSERT(strstr(r.body, "\r\nUser-Agent: ghr-test/1\r\n") != NULL);
	CU_ASSERT(strstr(r.body, "Expect:") == NULL);
	CU_ASSERT(strstr(r.body, "\r\n\r\n{\"name\":\"r1\"}") != NULL);
	teardown(&f);
}

static void test_http_delete_and_5xx(void)
{
	struct fixture f;
	struct result r1 = {0}, r2 = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	struct http_request rq = { .method = "DELETE", .url = http_testsrv_url(f.srv, "/echo") };
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done, &r1), 0);
	CU_ASSERT_EQUAL(get(&f, "/status/503", 0, &r2), 0);
	run_until(f.loop, 2, 5000);
	CU_ASSERT(strncmp(r1.body, "DELETE /echo ", 13) == 0);
	CU_ASSERT_EQUAL(r2.error, 0);     /* an HTTP error status is a response, not a failure */
	CU_ASSERT_EQUAL(r2.status, 503);
	CU_ASSERT_STRING_EQUAL(r2.body, "status 503");
	teardown(&f);
}

static void test_http_total_timeout(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	int64_t t0 = now_ms();
	CU_ASSERT_EQUAL(get(&f, "/hang", 300, &r), 0);
	run_until(f.loop, 1, 5000);
	int64_t took = now_ms() - t0;
	CU_ASSERT(r.done);
	CU_ASSERT_EQUAL(r.error, CURLE_OPERATION_TIMEDOUT);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(took >= 290 && took < 2000);
	CU_ASSERT(strlen(r.error_text) > 0);
	teardown(&f);
}

static void test_http_client_default_timeout(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, &(struct http_client_opts){ .timeout_ms = 200 }) == 0);
	CU_ASSERT_EQUAL(get(&f, "/hang", 0, &r), 0);
	run_until(f.loop, 1, 5000);
	CU_ASSERT_EQUAL(r.error, CURLE_OPERATION_TIMEDOUT);
	CU_ASSERT(r.elapsed_ms >= 190 && r.elapsed_ms < 2000);
	teardown(&f);
}

static void test_http_reset(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	CU_ASSERT_EQUAL(get(&f, "/reset", 0, &r), 0);
	run_until(f.loop, 1, 5000);
	CU_ASSERT(r.done);
	CU_ASSERT_NOT_EQUAL(r.error, 0);
	CU_ASSERT_EQUAL(r.status, 0);
	teardown(&f);
}

static void test_http_connect_refused(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	/* a port that was just free: bind, read the port, close */
	struct http_testsrv *tmp = http_testsrv_start();
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", http_testsrv_port(tmp));
	http_testsrv_stop(tmp);
	struct http_request rq = { .method = "GET", .url = url };
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done, &r), 0);
	run_until(f.loop, 1, 5000);
	CU_ASSERT_EQUAL(r.error, CURLE_COULDNT_CONNECT);
	teardown(&f);
}

static void test_http_body_cap(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, &(struct http_client_opts){ .max_body = 1024 }) == 0);
	CU_ASSERT_EQUAL(get(&f, "/big", 0, &r), 0);
	run_until(f.loop, 1, 5000);
	CU_ASSERT_EQUAL(r.error, CURLE_FILESIZE_EXCEEDED);
	CU_ASSERT(strstr(r.error_text, "larger than 1024") != NULL);
	teardown(&f);
}

/* Four bodies of 40 KiB at once against a 100 KiB total: some of them are refused
 * (naming the total), the memory held never passes it, and the others complete. */
static void test_http_total_cap(void)
{
	struct fixture f;
	static struct result r[4];
	memset(r, 0, sizeof(r));
	CU_ASSERT_FATAL(setup(&f, &(struct http_client_opts){ .max_body = 64 * 1024,
	                                                       .max_total = 100 * 1024,
	                                                       .max_in_flight = 4 }) == 0);
	/* POSTs: each on a connection of its own, so the four really overlap */
	struct http_request rq = { .method = "POST", .url = http_testsrv_url(f.srv, "/trickle"),
	                           .body = "x", .body_len = 1 };
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done, &r[i]), 0);
	run_until(f.loop, 4, 10000);
	int refused = 0, complete = 0;
	for (int i = 0; i < 4; i++) {
		if (r[i].error == CURLE_FILESIZE_EXCEEDED &&
		    strstr(r[i].error_text, "would exceed 102400 bytes in total"))
			refused++;
		else if (r[i].error == 0 && r[i].status == 200 && r[i].body_len == 40 * 1024)
			complete++;
	}
	if (refused < 2)
		for (int i = 0; i < 4; i++)
			fprintf(stderr, "\n  %d: status %ld error %d len %zu ms %lld order %d %s", i, r[i].status, r[i].error, r[i].body_len, (long long)r[i].elapsed_ms, r[i].order, r[i].error_text);
	CU_ASSERT_TRUE(refused >= 2);
	CU_ASSERT_TRUE(complete >= 1);
	CU_ASSERT_EQUAL(refused + complete, 4);
	/* the total is given back: the next one fits */
	struct result again = {0};
	done_count = 0;
	CU_ASSERT_EQUAL(get(&f, "/trickle", 0, &again), 0);
	run_until(f.loop, 1, 5000);
	CU_ASSERT_EQUAL(again.error, 0);
	CU_ASSERT_EQUAL(again.body_len, 40 * 1024);
	teardown(&f);
}

/* A response header over libcurl's limit is said to be that, not "Out of memory". */
static void test_http_header_too_large(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	size_t n = 300 * 1024;
	char *canned = malloc(n + 128);
	int k = snprintf(canned, 64, "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(canned + k, 'h', n);
	strcpy(canned + k + n, "\r\nContent-Length: 2\r\n\r\nok");
	http_testsrv_set_canned(f.srv, canned);
	free(canned);
	CU_ASSERT_EQUAL(get(&f, "/canned", 0, &r), 0);
	run_until(f.loop, 1, 5000);
	CU_ASSERT_NOT_EQUAL(r.error, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error_text, "header"));
	CU_ASSERT_PTR_NULL(strstr(r.error_text, "Out of memory"));
	if (!strstr(r.error_text, "header"))
		fprintf(stderr, "\n  header too large: \"%s\" (%d)\n", r.error_text, r.error);
	teardown(&f);
}

static void test_http_garbage_response(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	http_testsrv_set_canned(f.srv, "this is not HTTP at all\r\n\r\n");
	CU_ASSERT_EQUAL(get(&f, "/canned", 0, &r), 0);
	run_until(f.loop, 1, 5000);
	CU_ASSERT(r.done);
	CU_ASSERT_NOT_EQUAL(r.error, 0);
	teardown(&f);
}

static void test_http_refuses_bad_requests(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	struct http_request rq = { .method = "GET", .url = "file:///etc/passwd" };
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done, &r), -1);
	rq.url = "not a url";
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done, &r), -1);
	rq.url = "gopher://127.0.0.1/";
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done, &r), -1);
	rq.url = http_testsrv_url(f.srv, "/ok");
	rq.method = "BREW";
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done, &r), -1);
	rq.method = "GET";
	struct http_header inj[] = { { "X-A", "v\r\nX-Injected: 1" } };
	rq.headers = inj;
	rq.n_headers = 1;
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done, &r), -1);
	CU_ASSERT_EQUAL(http_in_flight(f.c), 0);
	CU_ASSERT_EQUAL(r.done, 0);
	teardown(&f);
}

static void test_http_queue_bounds_in_flight(void)
{
	struct fixture f;
	static struct result r[16];
	memset(r, 0, sizeof(r));
	CU_ASSERT_FATAL(setup(&f, &(struct http_client_opts){ .max_in_flight = 4 }) == 0);
	for (int i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(get(&f, "/slow", 0, &r[i]), 0);
	CU_ASSERT_EQUAL(http_in_flight(f.c), 16);
	int64_t t0 = now_ms();
	run_until(f.loop, 16, 10000);
	int64_t took = now_ms() - t0;
	int ok = 0;
	for (int i = 0; i < 16; i++)
		ok += r[i].status == 200;
	CU_ASSERT_EQUAL(ok, 16);
	CU_ASSERT(http_testsrv_max_active(f.srv) <= 4);
	CU_ASSERT(http_testsrv_max_active(f.srv) >= 2);   /* but it did run in parallel */
	CU_ASSERT(took >= 4 * 200 - 50);                   /* 16 / 4 waves of 200 ms */
	CU_ASSERT(took < 16 * 200);
	/* FIFO: the first request finished before the last queued one */
	CU_ASSERT(r[0].order < r[15].order);
	teardown(&f);
}

/* Time spent queued behind max_in_flight counts against a request's total timeout. */
static void test_http_queue_time_counts_against_timeout(void)
{
	struct fixture f;
	struct result r1 = {0}, r2 = {0};
	CU_ASSERT_FATAL(setup(&f, &(struct http_client_opts){ .max_in_flight = 1 }) == 0);
	int64_t t0 = now_ms();
	CU_ASSERT_EQUAL(get(&f, "/slow", 0, &r1), 0);          /* holds the only slot 200 ms */
	CU_ASSERT_EQUAL(get(&f, "/hang", 300, &r2), 0);        /* queued, then 100 ms are left */
	run_until(f.loop, 2, 5000);
	int64_t took = now_ms() - t0;
	CU_ASSERT_EQUAL(r1.status, 200);
	CU_ASSERT_EQUAL(r2.error, CURLE_OPERATION_TIMEDOUT);
	CU_ASSERT(took >= 290 && took < 450);
	/* a request whose whole budget went by in the queue fails without being sent */
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	done_count = 0;
	int before = http_testsrv_requests(f.srv);
	CU_ASSERT_EQUAL(get(&f, "/slow", 0, &r1), 0);
	CU_ASSERT_EQUAL(get(&f, "/ok", 100, &r2), 0);
	run_until(f.loop, 2, 5000);
	CU_ASSERT_EQUAL(r2.error, CURLE_OPERATION_TIMEDOUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(r2.error_text, "slot"));
	CU_ASSERT_EQUAL(http_testsrv_requests(f.srv), before + 1);
	teardown(&f);
}

static void test_http_keepalive_reuses_connection(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	for (int i = 0; i < 5; i++) {
		memset(&r, 0, sizeof(r));
		CU_ASSERT_EQUAL(get(&f, "/ok", 0, &r), 0);
		run_until(f.loop, i + 1, 5000);
		CU_ASSERT_EQUAL(r.status, 200);
	}
	CU_ASSERT_EQUAL(http_testsrv_requests(f.srv), 5);
	CU_ASSERT_EQUAL(http_testsrv_accepted(f.srv), 1);
	teardown(&f);
}

static void test_http_free_cancels_in_flight(void)
{
	struct fixture f;
	struct result r1 = {0}, r2 = {0};
	CU_ASSERT_FATAL(setup(&f, &(struct http_client_opts){ .max_in_flight = 1 }) == 0);
	CU_ASSERT_EQUAL(get(&f, "/hang", 0, &r1), 0);
	CU_ASSERT_EQUAL(get(&f, "/hang", 0, &r2), 0);    /* queued */
	for (int i = 0; i < 5; i++)
		ev_run_once(f.loop, 20);
	http_client_free(f.c);
	f.c = NULL;
	CU_ASSERT(r1.done && r2.done);
	CU_ASSERT_EQUAL(r1.error, CURLE_ABORTED_BY_CALLBACK);
	CU_ASSERT_EQUAL(r2.error, CURLE_ABORTED_BY_CALLBACK);
	teardown(&f);
}

/* A callback may send a new request, and may free the client. */
static struct http_client *chain_client;
static const char *chain_url;
static int chain_hops;

static void on_chain(const struct http_response *r, void *arg)
{
	chain_hops++;
	done_count++;
	if (chain_hops < 3) {
		struct http_request rq = { .method = "GET", .url = chain_url };
		CU_ASSERT_EQUAL(http_send(chain_client, &rq, on_chain, NULL), 0);
	} else {
		http_client_free(chain_client);
	}
}

static void test_http_callback_reentry(void)
{
	struct fixture f;
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	chain_client = f.c;
	chain_hops = 0;
	char url[128];
	snprintf(url, sizeof(url), "%s", http_testsrv_url(f.srv, "/ok"));
	chain_url = url;
	struct http_request rq = { .method = "GET", .url = url };
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_chain, NULL), 0);
	run_until(f.loop, 3, 5000);
	CU_ASSERT_EQUAL(chain_hops, 3);
	f.c = NULL;          /* freed by the last callback */
	for (int i = 0; i < 3; i++)
		ev_run_once(f.loop, 10);   /* nothing of the client may still be watched */
	teardown(&f);
}

/* A POST never rides a kept-alive connection (libcurl would resend it silently if that
 * connection turned out dead): after keep-alive GETs it gets a connection of its own. */
static void test_http_post_uses_fresh_connection(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	for (int i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		CU_ASSERT_EQUAL(get(&f, "/ok", 0, &r), 0);
		run_until(f.loop, i + 1, 5000);
		CU_ASSERT_EQUAL(r.status, 200);
	}
	CU_ASSERT_EQUAL(http_testsrv_accepted(f.srv), 1);
	memset(&r, 0, sizeof(r));
	struct http_request rq = { .method = "POST", .url = http_testsrv_url(f.srv, "/echo"),
	                           .body = "{}", .body_len = 2 };
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done, &r), 0);
	run_until(f.loop, 4, 5000);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT(strncmp(r.body, "POST /echo ", 11) == 0);
	CU_ASSERT_EQUAL(http_testsrv_requests(f.srv), 4);
	CU_ASSERT_EQUAL(http_testsrv_accepted(f.srv), 2);
	teardown(&f);
}

/* A callback frees the client while a request waits in the queue: the queued one is
 * cancelled, never started (here it would otherwise be failed as timed out, since its
 * 100 ms budget ran out while /slow held the only slot). */
static struct http_client *freeing_client;
static struct result freeing_first;

static void on_done_then_free(const struct http_response *r, void *arg)
{
	on_done(r, &freeing_first);
	http_client_free(freeing_client);
}

static void test_http_free_in_callback_starts_nothing(void)
{
	struct fixture f;
	struct result r2 = {0};
	memset(&freeing_first, 0, sizeof(freeing_first));
	CU_ASSERT_FATAL(setup(&f, &(struct http_client_opts){ .max_in_flight = 1 }) == 0);
	freeing_client = f.c;
	struct http_request rq = { .method = "GET", .url = http_testsrv_url(f.srv, "/slow") };
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done_then_free, NULL), 0);
	CU_ASSERT_EQUAL(get(&f, "/ok", 100, &r2), 0);     /* queued behind /slow */
	run_until(f.loop, 2, 5000);
	f.c = NULL;                                       /* freed by the callback */
	CU_ASSERT(freeing_first.done);
	CU_ASSERT_EQUAL(freeing_first.status, 200);
	CU_ASSERT(r2.done);
	CU_ASSERT_EQUAL(r2.error, CURLE_ABORTED_BY_CALLBACK);
	CU_ASSERT_STRING_EQUAL(r2.error_text, "request cancelled");
	CU_ASSERT_EQUAL(http_testsrv_requests(f.srv), 1);
	for (int i = 0; i < 3; i++)
		ev_run_once(f.loop, 10);   /* nothing of the client may still be watched */
	teardown(&f);
}

UNIT_SUITE(http,
	UNIT_TEST(test_http_get_ok),
	UNIT_TEST(test_http_post_uses_fresh_connection),
	UNIT_TEST(test_http_free_in_callback_starts_nothing),
	UNIT_TEST(test_http_post_headers_and_body),
	UNIT_TEST(test_http_delete_and_5xx),
	UNIT_TEST(test_http_total_timeout),
	UNIT_TEST(test_http_client_default_timeout),
	UNIT_TEST(test_http_reset),
	UNIT_TEST(test_http_connect_refused),
	UNIT_TEST(test_http_body_cap),
	UNIT_TEST(test_http_total_cap),
	UNIT_TEST(test_http_header_too_large),
	UNIT_TEST(test_http_garbage_response),
	UNIT_TEST(test_http_refuses_bad_requests),
	UNIT_TEST(test_http_queue_bounds_in_flight),
	UNIT_TEST(test_http_queue_time_counts_against_timeout),
	UNIT_TEST(test_http_keepalive_reuses_connection),
	UNIT_TEST(test_http_free_cancels_in_flight),
	UNIT_TEST(test_http_callback_reentry))

/* ---- streamed transfers (image uploads and downloads through files) ------------------- */

static int temp_fd(const char *content)
{
	char path[] = "/tmp/ghr-http-stream-XXXXXX";
	int fd = mkstemp(path);
	if (fd >= 0) {
		unlink(path);
		if (content && write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static size_t read_back(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? (size_t)n : 0;
}

static void test_http_stream_upload_and_download(void)
{
	struct fixture f;
	struct result r = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	int up = temp_fd("image bytes \x01\x02 end"), down = temp_fd(NULL);
	CU_ASSERT_FATAL(up >= 0 && down >= 0);
	lseek(up, 0, SEEK_SET);
	struct http_stream st = { .upload_fd = up, .upload_len = 17, .download_fd = down, .download_max = 1 << 20 };
	struct http_header h[] = { { "Content-Type", "application/octet-stream" } };
	struct http_request rq = { .method = "PUT", .url = http_testsrv_url(f.srv, "/echo"), .headers = h,
	                           .n_headers = 1, .stream = &st };
	CU_ASSERT_EQUAL(http_send(f.c, &rq, on_done, &r), 0);
	run_until(f.loop, 1, 5000);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(r.body_len, 0);                      /* the body went to the file */
	char got[2048];
	size_t n = read_back(down, got, sizeof got);
	CU_ASSERT(strncmp(got, "PUT /echo HTTP/1.1\r\n", 20) == 0);
	CU_ASSERT(strstr(got, "\r\nContent-Length: 17\r\n") != NULL);
	CU_ASSERT(n >= 17 && memcmp(got + n - 17, "image bytes \x01\x02 end", 17) == 0);
	close(up);
	close(down);
	teardown(&f);
}

static void test_http_stream_download_cap_and_errors(void)
{
	struct fixture f;
	struct result r1 = {0}, r2 = {0};
	CU_ASSERT_FATAL(setup(&f, NULL) == 0);
	int d1 = temp_fd(NULL), d2 = temp_fd(NULL);
	struct http_stream s1 = { .upload_fd = -1, .download_fd = d1, .download_max = 1000 };
	struct http_stream s2 = { .upload_fd = -1, .download_fd = d2, .download_max = 1000 };
	struct http_request big = { .method = "GET", .url = http_testsrv_url(f.srv, "/big"), .stream = &s1 };
	struct http_request missing = { .method = "GET", .url = http_testsrv_url(f.srv, "/status/404"), .stream = &s2 };
	CU_ASSERT_EQUAL(http_send(f.c, &big, on_done, &r1), 0);
	CU_ASSERT_EQUAL(http_send(f.c, &missing, on_done, &r2), 0);
	run_until(f.loop, 2, 5000);
	CU_ASSERT_EQUAL(r1.error, CURLE_FILESIZE_EXCEEDED);
	CU_ASSERT_STRING_EQUAL(r1.error_text, "response body larger than 1000 bytes");
	/* an error reply is not the file: its body stays in memory for the message */
	CU_ASSERT_EQUAL(r2.status, 404);
	CU_ASSERT_STRING_EQUAL(r2.body, "status 404");
	char got[64];
	CU_ASSERT_EQUAL(read_back(d2, got, sizeof got), 0);
	close(d1);
	close(d2);
	teardown(&f);
}

UNIT_SUITE(http_stream,
	UNIT_TEST(test_http_stream_upload_and_download),
	UNIT_TEST(test_http_stream_download_cap_and_errors))
