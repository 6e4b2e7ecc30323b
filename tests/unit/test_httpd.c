/* httpd: requests served from the caller's loop, bodies delivered whole, the size cap
 * answered 413 without the handler, listen addresses parsed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/util.h"
#include "tests/unit/unit.h"
#include "workers/runtime/httpd.h"

struct client {
	unsigned port;
	const char *request;
	char reply[4096];
	volatile int done;
};

static void *client_main(void *p)
{
	struct client *c = p;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)c->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	size_t got = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		size_t len = strlen(c->request), off = 0;
		while (off < len) {
			ssize_t n = write(fd, c->request + off, len - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		ssize_t n;
		while (got < sizeof(c->reply) - 1 && (n = read(fd, c->reply + got, sizeof(c->reply) - 1 - got)) > 0)
			got += (size_t)n;
	}
	c->reply[got] = 0;
	close(fd);
	c->done = 1;
	return NULL;
}

static int handled;
static char seen_body[64];

static void echo(struct httpd_req *r, void *arg)
{
	size_t len;
	const char *body = httpd_body(r, &len);
	snprintf(seen_body, sizeof(seen_body), "%.*s", (int)len, body);
	handled++;
	char out[256];
	int n = snprintf(out, sizeof(out), "%s %s %s", httpd_method(r), httpd_path(r),
	                 httpd_header(r, "X-Test") ? httpd_header(r, "X-Test") : "-");
	httpd_reply(r, 201, "text/plain", out, (size_t)n);
}

static void roundtrip(const char *request, char *reply, size_t len)
{
	struct ev_loop *l = ev_new();
	char err[256];
	struct httpd_opts o = { .listen = "127.0.0.1:0", .max_body = 32 };
	struct httpd *h = httpd_start(l, &o, echo, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	struct client c = { .port = httpd_port(h), .request = request };
	CU_ASSERT(c.port > 0);
	pthread_t t;
	pthread_create(&t, NULL, client_main, &c);
	int64_t deadline = now_ms() + 5000;
	while (!c.done && now_ms() < deadline)
		ev_run_once(l, 50);
	pthread_join(t, NULL);
	snprintf(reply, len, "%s", c.reply);
	httpd_stop(h);
	ev_free(l);
}

static void test_get_answered_from_loop(void)
{
	char reply[4096];
	handled = 0;
	roundtrip("GET /health HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\nConnection: close\r\n\r\n", reply, sizeof(reply));
	CU_ASSERT_EQUAL(handled, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "HTTP/1.1 201"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "GET /health yes"));
}

static void test_post_body_whole(void)
{
	char reply[4096];
	handled = 0;
	roundtrip("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world",
	          reply, sizeof(reply));
	CU_ASSERT_EQUAL(handled, 1);
	CU_ASSERT_STRING_EQUAL(seen_body, "hello world");
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "POST /webhook -"));
}

static void test_oversized_body_413_without_handler(void)
{
	char reply[4096];
	handled = 0;
	roundtrip("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\nConnection: close\r\n\r\n"
	          "0123456789012345678901234567890123456789", reply, sizeof(reply));
	CU_ASSERT_EQUAL(handled, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "HTTP/1.1 413"));
	handled = 0;
	roundtrip("POST /webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	          "14\r\n01234567890123456789\r\n14\r\n01234567890123456789\r\n0\r\n\r\n", reply, sizeof(reply));
	CU_ASSERT_EQUAL(handled, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "HTTP/1.1 413"));
}

static void test_parse_listen(void)
{
	struct sockaddr_storage ss;
	char err[256];
	CU_ASSERT_EQUAL(httpd_parse_listen("127.0.0.1:8080", &ss, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET);
	CU_ASSERT_EQUAL(httpd_parse_listen("[::1]:9", &ss, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(httpd_parse_listen("localhost:80", &ss, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not an IP address"));
	CU_ASSERT_EQUAL(httpd_parse_listen("127.0.0.1:99999", &ss, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad port"));
	CU_ASSERT_EQUAL(httpd_parse_listen("8080", &ss, err, sizeof(err)), -1);
}

UNIT_SUITE(httpd,
	UNIT_TEST(test_get_answered_from_loop),
	UNIT_TEST(test_post_body_whole),
	UNIT_TEST(test_oversized_body_413_without_handler),
	UNIT_TEST(test_parse_listen))
