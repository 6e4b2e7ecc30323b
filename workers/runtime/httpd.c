/* httpd: libmicrohttpd with MHD_USE_EPOLL and no internal thread.  Its epoll descriptor
 * is watched by the worker's loop; MHD_run() runs when it is readable and when the
 * timer from MHD_get_timeout() fires, and the timer is re-armed after every run. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/evloop.h"
#include "common/log.h"
#include "workers/runtime/httpd.h"

#define DEFAULT_MAX_BODY (1u << 20)
#define IDLE_TICK_MS 1000

struct httpd {
	struct ev_loop *loop;
	struct MHD_Daemon *d;
	int epfd;
	int64_t timer;
	size_t max_body;
	httpd_handler fn;
	void *arg;
};

struct httpd_req {
	struct MHD_Connection *c;
	const char *method, *path;
	char *body;
	size_t len, cap;
	int too_big;
	int answered;
};

static void schedule(struct httpd *h);

static void run(struct httpd *h)
{
	MHD_run(h->d);
	schedule(h);
}

static void on_timer(struct ev_loop *loop, int64_t id, void *arg)
{
	struct httpd *h = arg;
	h->timer = 0;
	run(h);
}

static void on_epoll(struct ev_loop *loop, int fd, int events, void *arg)
{
	run(arg);
}

static void schedule(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG t = 0;
	int64_t ms = MHD_get_timeout(h->d, &t) == MHD_YES ? (int64_t)t : IDLE_TICK_MS;
	if (ms > IDLE_TICK_MS)
		ms = IDLE_TICK_MS;
	if (h->timer)
		ev_timer_del(h->loop, h->timer);
	h->timer = ev_timer_add(h->loop, ms, on_timer, h);
}

const char *httpd_method(const struct httpd_req *r) { return r->method; }
const char *httpd_path(const struct httpd_req *r) { return r->path; }

const char *httpd_header(const struct httpd_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

const char *httpd_body(const struct httpd_req *r, size_t *len)
{
	*len = r->len;
	return r->body ? r->body : "";
}

int httpd_reply(struct httpd_req *r, unsigned status, const char *ctype, const char *body, size_t len)
{
	if (r->answered)
		return -1;
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return -1;
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	enum MHD_Result ok = MHD_queue_response(r->c, status, resp);
	MHD_destroy_response(resp);
	r->answered = ok == MHD_YES;
	return r->answered ? 0 : -1;
}

static int append(struct httpd_req *r, const char *data, size_t n, size_t max)
{
	if (r->too_big || r->len + n > max) {
		r->too_big = 1;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < r->len + n + 1)
			cap *= 2;
		char *b = realloc(r->body, cap);
		if (!b)
			return -1;
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = 0;
	return 0;
}

static const char too_large[] = "{\"error\":\"request body too large\"}\n";

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct httpd *h = cls;
	struct httpd_req *r = *state;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->c = c;
		r->method = method;
		r->path = url;
		*state = r;
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > h->max_body)
			r->too_big = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		if (append(r, upload, *upload_size, h->max_body) != 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	if (r->too_big) {
		httpd_reply(r, 413, "application/json", too_large, sizeof(too_large) - 1);
		return MHD_YES;
	}
	h->fn(r, h->arg);
	if (!r->answered) {
		static const char none[] = "{\"error\":\"no answer\"}\n";
		httpd_reply(r, 500, "application/json", none, sizeof(none) - 1);
	}
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode tc)
{
	struct httpd_req *r = *state;
	if (!r)
		return;
	free(r->body);
	free(r);
	*state = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	log_warn("http server", "detail=\"%s\"", msg);
}

int httpd_parse_listen(const char *listen, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	memset(ss, 0, sizeof(*ss));
	char host[128];
	const char *colon = strrchr(listen ? listen : "", ':');
	if (!listen || !colon || colon == listen || (size_t)(colon - listen) >= sizeof(host)) {
		snprintf(err, errlen, "listen address %.100s: want ADDR:PORT", listen ? listen : "(none)");
		return -1;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = 0;
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port > 65535) {
		snprintf(err, errlen, "listen address %.100s: bad port", listen);
		return -1;
	}
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1)
			return 0;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) == 1)
			return 0;
	}
	snprintf(err, errlen, "listen address %.100s: not an IP address", listen);
	return -1;
}

/* After the server failed to start: is the address taken by another listener (a failure
 * that may pass), rather than not local or the TLS files bad? */
static int address_in_use(const struct sockaddr_storage *ss)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, in_use = 0;
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		in_use = bind(fd, (const struct sockaddr *)ss, len) != 0 && errno == EADDRINUSE;
		close(fd);
	}
	return in_use;
}

struct httpd *httpd_start(struct ev_loop *loop, const struct httpd_opts *o, httpd_handler fn, void *arg,
                          char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	if (o->temporary)
		*o->temporary = 0;
	if (httpd_parse_listen(o->listen, &ss, err, errlen) != 0)
		return NULL;
	if ((o->cert_pem == NULL) != (o->key_pem == NULL)) {
		snprintf(err, errlen, "TLS needs both a certificate and a key");
		return NULL;
	}
	struct httpd *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->loop = loop;
	h->fn = fn;
	h->arg = arg;
	h->max_body = o->max_body ? o->max_body : DEFAULT_MAX_BODY;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0)
	               | (o->cert_pem ? MHD_USE_TLS : 0);
	uint16_t port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                               : ((struct sockaddr_in *)&ss)->sin_port);
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)o->key_pem },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)o->cert_pem },
		{ MHD_OPTION_END, 0, NULL },
	};
	h->d = MHD_start_daemon(flags, port, NULL, NULL, on_access, h,
	                        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
	                        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->conn_limit ? o->conn_limit : 256),
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->timeout_s ? o->timeout_s : 30),
	                        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	                        MHD_OPTION_ARRAY, o->cert_pem ? tls : tls + 2,
	                        MHD_OPTION_END);
	const union MHD_DaemonInfo *info = h->d ? MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		int in_use = !h->d && address_in_use(&ss);
		if (o->temporary)
			*o->temporary = in_use;
		snprintf(err, errlen, "cannot listen on %s%s", o->listen,
		         h->d ? ": no epoll descriptor"
		              : in_use ? ": address in use" : " (not a local address, or bad TLS files?)");
		if (h->d)
			MHD_stop_daemon(h->d);
		free(h);
		return NULL;
	}
	h->epfd = info->epoll_fd;
	if (ev_fd_watch(loop, h->epfd, EV_READ, on_epoll, h) != 0) {
		snprintf(err, errlen, "out of memory");
		MHD_stop_daemon(h->d);
		free(h);
		return NULL;
	}
	schedule(h);
	return h;
}

unsigned httpd_port(const struct httpd *h)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	return info ? info->port : 0;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	ev_fd_unwatch(h->loop, h->epfd);
	if (h->timer)
		ev_timer_del(h->loop, h->timer);
	MHD_stop_daemon(h->d);
	free(h);
}
