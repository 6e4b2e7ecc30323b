/* Loopback HTTP/1.1 test server: see http_testsrv.h.  Deliberately simple: requests are
 * read whole (headers up to 16 KiB, Content-Length bodies up to 64 KiB). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/http_testsrv.h"

#define REQ_MAX (16 * 1024 + 64 * 1024)

struct http_testsrv {
	int lfd;
	int port;
	pthread_t acceptor;
	atomic_int stop;
	atomic_int accepted, requests, active, max_active, conns;
	pthread_mutex_t mu;
	char *canned;
};

struct conn { struct http_testsrv *s; int fd; };

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one request into buf; returns its total length, 0 on EOF, -1 on error. */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	for (;;) {
		char *end = len ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
		if (end) {
			size_t hdr = (size_t)(end - buf) + 4;
			size_t body = 0;
			char *cl = strcasestr(buf, "\r\ncontent-length:");
			if (cl && cl < end)
				body = strtoul(cl + 17, NULL, 10);
			if (hdr + body > cap)
				return -1;
			while (len < hdr + body) {
				ssize_t r = recv(fd, buf + len, cap - len, 0);
				if (r <= 0)
					return -1;
				len += (size_t)r;
			}
			return (ssize_t)(hdr + body);
		}
		if (len + 1 >= cap)
			return -1;
		ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
		if (r <= 0)
			return r == 0 && len == 0 ? 0 : -1;
		len += (size_t)r;
		buf[len] = 0;
	}
}

static int respond(int fd, int status, const char *extra_hdrs, const char *body, size_t blen)
{
	char head[512];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n",
	                 status, blen, extra_hdrs ? extra_hdrs : "");
	if (send_all(fd, head, (size_t)n) != 0)
		return -1;
	return send_all(fd, body, blen);
}

/* Returns 0 to keep the connection, -1 to close it (quietly). */
static int serve_one(struct http_testsrv *s, int fd, char *req, size_t len)
{
	char path[256] = "";
	sscanf(req, "%*s %255s", path);
	if (strcmp(path, "/ok") == 0)
		return respond(fd, 200, "X-RateLimit-Remaining: 42\r\nETag: \"abc\"\r\n", "hello", 5);
	if (strcmp(path, "/echo") == 0)
		return respond(fd, 200, NULL, req, len);
	if (strncmp(path, "/status/", 8) == 0) {
		char body[32];
		int st = atoi(path + 8);
		int n = snprintf(body, sizeof(body), "status %d", st);
		return respond(fd, st, NULL, body, (size_t)n);
	}
	if (strcmp(path, "/slow") == 0) {
		sleep_ms(200);
		return respond(fd, 200, NULL, "slow", 4);
	}
	if (strcmp(path, "/hang") == 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		for (int i = 0; i < 100 && !s->stop; i++)
			if (poll(&p, 1, 100) > 0)
				break;
		return -1;
	}
	if (strcmp(path, "/reset") == 0) {
		struct linger lg = { 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		return -1;
	}
	if (strcmp(path, "/big") == 0) {
		static char chunk[4096];
		memset(chunk, 'x', sizeof(chunk));
		const char *h = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
		if (send_all(fd, h, strlen(h)) != 0)
			return -1;
		for (int i = 0; i < 16; i++)
			if (send_all(fd, chunk, sizeof(chunk)) != 0)
				break;
		return -1;
	}
	if (strcmp(path, "/trickle") == 0) {   /* 40 KiB, a pause, then the end */
		static char chunk[40 * 1024];
		memset(chunk, 't', sizeof(chunk));
		const char *h = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
		if (send_all(fd, h, strlen(h)) == 0 && send_all(fd, chunk, sizeof(chunk)) == 0)
			sleep_ms(400);
		return -1;
	}
	if (strcmp(path, "/canned") == 0) {
		pthread_mutex_lock(&s->mu);
		char *c = s->canned ? strdup(s->canned) : NULL;
		pthread_mutex_unlock(&s->mu);
		if (c)
			send_all(fd, c, strlen(c));
		free(c);
		return -1;
	}
	return respond(fd, 404, NULL, "no route", 8);
}

static void *conn_main(void *arg)
{
	struct conn *cn = arg;
	struct http_testsrv *s = cn->s;
	char *buf = malloc(REQ_MAX + 1);
	while (buf && !s->stop) {
		struct pollfd p = { cn->fd, POLLIN, 0 };
		int pr = poll(&p, 1, 100);
		if (pr == 0)
			continue;
		ssize_t n = read_request(cn->fd, buf, REQ_MAX);
		if (n <= 0)
			break;
		buf[n] = 0;
		s->requests++;
		int a = ++s->active;
		int m = s->max_active;
		while (a > m && !atomic_compare_exchange_weak(&s->max_active, &m, a))
			;
		int rc = serve_one(s, cn->fd, buf, (size_t)n);
		s->active--;
		if (rc != 0)
			break;
	}
	free(buf);
	close(cn->fd);
	s->conns--;
	free(cn);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct http_testsrv *s = arg;
	while (!s->stop) {
		struct pollfd p = { s->lfd, POLLIN, 0 };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		s->accepted++;
		struct conn *cn = malloc(sizeof(*cn));
		pthread_t th;
		if (!cn) {
			close(fd);
			continue;
		}
		cn->s = s;
		cn->fd = fd;
		s->conns++;
		if (pthread_create(&th, NULL, conn_main, cn) != 0) {
			s->conns--;
			close(fd);
			free(cn);
			continue;
		}
		pthread_detach(th);
	}
	return NULL;
}

struct http_testsrv *http_testsrv_start(void)
{
	struct http_testsrv *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	int one = 1;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s->lfd, 128) != 0 || getsockname(s->lfd, (struct sockaddr *)&a, &al) != 0) {
		if (s->lfd >= 0)
			close(s->lfd);
		free(s);
		return NULL;
	}
	s->port = ntohs(a.sin_port);
	if (pthread_create(&s->acceptor, NULL, accept_main, s) != 0) {
		close(s->lfd);
		free(s);
		return NULL;
	}
	return s;
}

void http_testsrv_stop(struct http_testsrv *s)
{
	if (!s)
		return;
	s->stop = 1;
	pthread_join(s->acceptor, NULL);
	close(s->lfd);
	/* connection threads poll every 100 ms and see stop; wait for them (bounded) */
	for (int i = 0; i < 200 && s->conns > 0; i++)
		sleep_ms(10);
	if (s->conns > 0)
		return;     /* leak rather than free memory a thread still uses */
	free(s->canned);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int http_testsrv_port(const struct http_testsrv *s) { return s->port; }
int http_testsrv_accepted(const struct http_testsrv *s) { return s->accepted; }
int http_testsrv_requests(const struct http_testsrv *s) { return s->requests; }
int http_testsrv_max_active(const struct http_testsrv *s) { return s->max_active; }

const char *http_testsrv_url(const struct http_testsrv *s, const char *path)
{
	static char bufs[4][512];
	static int k;
	char *b = bufs[k++ & 3];
	snprintf(b, sizeof(bufs[0]), "http://127.0.0.1:%d%s", s->port, path);
	return b;
}

void http_testsrv_set_canned(struct http_testsrv *s, const char *raw)
{
	pthread_mutex_lock(&s->mu);
	free(s->canned);
	s->canned = raw ? strdup(raw) : NULL;
	pthread_mutex_unlock(&s->mu);
}
