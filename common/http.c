/* http — libcurl multi driven by evloop (see http.h).
 *
 * libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to wake it
 * (CURLMOPT_TIMERFUNCTION); we map those onto ev_fd_watch / ev_timer_add and call
 * curl_multi_socket_action back.  Nothing here blocks.  At most max_in_flight easy
 * handles are added to the multi handle; further requests wait in a FIFO so that a burst
 * cannot open hundreds of sockets.  Callbacks are run outside libcurl's own callbacks,
 * so they may send new requests (or free the client: that is deferred to the end of the
 * dispatch). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>

#include "common/evloop.h"
#include "common/http.h"
#include "common/sbuf.h"

#ifndef GHR_VERSION
#define GHR_VERSION "0.1"
#endif

#define HTTP_MAX_HEADERS 128      /* response headers kept; the rest are dropped */
#define HTTP_MAX_WATCHED 1024

struct http_xfer {
	struct http_client *c;
	CURL *easy;
	struct curl_slist *hdrs;
	char *url;
	char *method;
	char *body;
	size_t body_len;
	long timeout_ms;
	http_done_cb cb;
	void *arg;
	int64_t started_ms;
	/* response */
	struct sbuf resp;    /* response body; may hold a JIT config or a token */
	int too_large;
	int over_total;      /* refused: the bodies in flight would exceed max_total */
	struct http_stream stream;     /* fds -1 when unused */
	int64_t downloaded;
	struct http_header *rh;
	int n_rh;
	char errbuf[CURL_ERROR_SIZE];
	struct http_xfer *next;        /* FIFO or running list */
};

struct http_client {
	struct ev_loop *loop;
	CURLM *multi;
	struct http_client_opts o;
	char *ca_file;
	char *user_agent;
	int64_t timer_id;
	struct http_xfer *running;     /* singly linked, unordered */
	int n_running;
	struct http_xfer *q_head, *q_tail;
	int n_queued;
	int dispatching;               /* >0 while user callbacks may run */
	int free_requested;
	int closing;
	int watched[HTTP_MAX_WATCHED];
	int n_watched;
	size_t body_total;             /* bytes of response bodies held by live transfers */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- transfer lifetime ---------------------------------------------------------- */

static void free_wiped_str(const char *p)
{
	if (p) {
		explicit_bzero((char *)p, strlen(p));
		free((char *)p);
	}
}

/* Response headers may hold a credential (Keystone's X-Subject-Token): wiped. */
static void clear_resp_headers(struct http_xfer *x)
{
	for (int i = 0; i < x->n_rh; i++) {
		free_wiped_str(x->rh[i].name);
		free_wiped_str(x->rh[i].value);
	}
	x->n_rh = 0;
}

static void xfer_free(struct http_xfer *x)
{
	if (!x)
		return;
	if (x->easy)
		curl_easy_cleanup(x->easy);
	x->c->body_total -= x->resp.len;
	/* header lines may hold an Authorization credential */
	for (struct curl_slist *h = x->hdrs; h; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(x->hdrs);
	free(x->url);
	free(x->method);
	if (x->body) {
		/* request bodies may carry secrets (token exchange): wipe them */
		explicit_bzero(x->body, x->body_len);
		free(x->body);
	}
	sbuf_wipe_free(&x->resp);
	clear_resp_headers(x);
	free(x->rh);
	free(x);
}

static void deliver(struct http_xfer *x, int error, const char *error_text)
{
	struct http_response r = {0};
	/* on a failed transfer the status is whatever was received, 0 if nothing was */
	if (x->easy)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.status);
	r.error = error;
	r.error_text = error_text ? error_text : "";
	r.body = x->resp.p ? x->resp.p : (char *)"";
	r.body_len = x->resp.p ? x->resp.len : 0;
	r.elapsed_ms = mono_ms() - x->started_ms;
	r.headers = x->rh;
	r.n_headers = x->n_rh;
	if (x->cb)
		x->cb(&r, x->arg);
}

/* ---- libcurl data callbacks ------------------------------------------------------- */

/* A streamed download: the body goes to the file, every byte written or the transfer fails. */
static size_t on_body_to_fd(struct http_xfer *x, const char *ptr, size_t n)
{
	if (x->downloaded + (int64_t)n > x->stream.download_max) {
		x->too_large = 1;
		return 0;
	}
	for (size_t done = 0; done < n;) {
		ssize_t w = write(x->stream.download_fd, ptr + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		done += (size_t)w;
	}
	x->downloaded += (int64_t)n;
	return n;
}

static size_t on_upload(char *buf, size_t size, size_t nitems, void *ud)
{
	struct http_xfer *x = ud;
	ssize_t r;
	do
		r = read(x->stream.upload_fd, buf, size * nitems);
	while (r < 0 && errno == EINTR);
	return r < 0 ? CURL_READFUNC_ABORT : (size_t)r;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct http_xfer *x = ud;
	size_t n = size * nmemb;
	if (x->stream.download_fd >= 0) {
		long status = 0;
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status <= 299)
			return on_body_to_fd(x, ptr, n);
	}
	if (x->resp.len + n > x->c->o.max_body) {
		x->too_large = 1;
		return 0;      /* makes libcurl fail the transfer with CURLE_WRITE_ERROR */
	}
	if (x->c->body_total + n > x->c->o.max_total) {
		x->over_total = 1;
		return 0;
	}
	if (!x->resp.first_cap)
		x->resp.first_cap = 4096;
	size_t before = x->resp.len;
	sbuf_put(&x->resp, ptr, n);     /* grows without realloc: see common/sbuf.h */
	x->c->body_total += x->resp.len - before;
	if (x->resp.oom)
		return 0;
	return n;
}

/* One header line per call, "Name: value\r\n"; a status line starts a new response
 * (after a 100 Continue or a proxy CONNECT), so the collected headers restart. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct http_xfer *x = ud;
	size_t n = size * nmemb;
	if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
		clear_resp_headers(x);
		return n;
	}
	const char *colon = memchr(ptr, ':', n);
	if (!colon || colon == ptr || x->n_rh >= HTTP_MAX_HEADERS)
		return n;
	if (!x->rh) {
		x->rh = calloc(HTTP_MAX_HEADERS, sizeof(*x->rh));
		if (!x->rh)
			return 0;
	}
	size_t nlen = (size_t)(colon - ptr);
	const char *v = colon + 1;
	const char *end = ptr + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	char *name = malloc(nlen + 1);
	char *value = malloc((size_t)(end - v) + 1);
	if (!name || !value) {
		free(name);
		free(value);
		return 0;
	}
	for (size_t i = 0; i < nlen; i++)
		name[i] = (char)tolower((unsigned char)ptr[i]);
	name[nlen] = 0;
	memcpy(value, v, (size_t)(end - v));
	value[end - v] = 0;
	x->rh[x->n_rh].name = name;
	x->rh[x->n_rh].value = value;
	x->n_rh++;
	return n;
}

/* ---- event loop glue -------------------------------------------------------------- */

static void check_done(struct http_client *c);
static void start_queued(struct http_client *c);
static void client_destroy(struct http_client *c);

static void watched_add(struct http_client *c, int fd)
{
	for (int i = 0; i < c->n_watched; i++)
		if (c->watched[i] == fd)
			return;
	if (c->n_watched < HTTP_MAX_WATCHED)
		c->watched[c->n_watched++] = fd;
}

static void watched_del(struct http_client *c, int fd)
{
	for (int i = 0; i < c->n_watched; i++)
		if (c->watched[i] == fd) {
			c->watched[i] = c->watched[--c->n_watched];
			return;
		}
}

static void on_fd(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct http_client *c = arg;
	int flags = 0, still;
	if (events & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & EV_ERROR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(c->multi, fd, flags, &still);
	check_done(c);
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http_client *c = userp;
	if (c->closing)
		return 0;
	if (what == CURL_POLL_REMOVE) {
		ev_fd_unwatch(c->loop, s);
		watched_del(c, s);
		return 0;
	}
	int ev = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= EV_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= EV_WRITE;
	if (ev_fd_watch(c->loop, s, ev, on_fd, c) != 0)
		return -1;
	watched_add(c, s);
	return 0;
}

static void on_timer(struct ev_loop *loop, int64_t id, void *arg)
{
	struct http_client *c = arg;
	int still;
	c->timer_id = 0;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	check_done(c);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_client *c = userp;
	if (c->closing)
		return 0;
	if (c->timer_id) {
		ev_timer_del(c->loop, c->timer_id);
		c->timer_id = 0;
	}
	if (timeout_ms >= 0) {
		c->timer_id = ev_timer_add(c->loop, timeout_ms, on_timer, c);
		if (c->timer_id <= 0) {
			c->timer_id = 0;
			return -1;
		}
	}
	return 0;
}

/* ---- request setup ---------------------------------------------------------------- */

/* Methods we send, and how libcurl is told about each. */
static const struct { const char *name; int has_body; } http_methods[] = {
	{ "GET", 0 }, { "HEAD", 0 }, { "DELETE", 0 },
	{ "POST", 1 }, { "PUT", 1 }, { "PATCH", 1 },
};

static int method_known(const char *m)
{
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (strcmp(http_methods[i].name, m) == 0)
			return 1;
	return 0;
}

static int url_ok(const char *url)
{
	CURLU *u = curl_url();
	if (!u)
		return 0;
	char *scheme = NULL;
	int ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	         curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	         (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok;
}

static int xfer_setup(struct http_xfer *x, const struct http_request *req)
{
	struct http_client *c = x->c;
	CURL *e = curl_easy_init();
	if (!e)
		return -1;
	x->easy = e;
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : c->o.timeout_ms;
	long conn_to = c->o.connect_timeout_ms < timeout ? c->o.connect_timeout_ms : timeout;
	x->timeout_ms = timeout;

	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, conn_to);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	if (req->fresh_connect)
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(x->stream.download_fd >= 0 ?
	                 x->stream.download_max : (int64_t)c->o.max_body));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);

	/* libcurl silently resends a request whose reused connection turns out dead before
	 * any reply byte.  For a POST or PATCH the server may have acted on the first copy
	 * (a second VM, a second runner), so those always get a connection of their own:
	 * a lost reply then stays an error the caller can reason about. */
	if (strcmp(x->method, "POST") == 0 || strcmp(x->method, "PATCH") == 0)
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);

	if (strcmp(x->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(x->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
	}
	if (x->stream.upload_fd >= 0) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->stream.upload_len);
	} else if (x->body || strcmp(x->method, "POST") == 0 || strcmp(x->method, "PUT") == 0 ||
	    strcmp(x->method, "PATCH") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body ? x->body : "");
	}

	/* "Expect: 100-continue" costs a round trip for every POST larger than 1 KiB */
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	if (!h)
		return -1;
	x->hdrs = h;
	for (int i = 0; i < req->n_headers; i++) {
		const struct http_header *hd = &req->headers[i];
		if (!hd->name || !hd->value || strpbrk(hd->name, "\r\n:") || strpbrk(hd->value, "\r\n"))
			return -1;   /* header injection */
		size_t len = strlen(hd->name) + strlen(hd->value) + 3;
		char *line = malloc(len);
		if (!line)
			return -1;
		if (hd->value[0])
			snprintf(line, len, "%s: %s", hd->name, hd->value);
		else
			snprintf(line, len, "%s;", hd->name);   /* curl's syntax for an empty value */
		struct curl_slist *nh = curl_slist_append(x->hdrs, line);
		explicit_bzero(line, len);   /* may be an Authorization header */
		free(line);
		if (!nh)
			return -1;
		x->hdrs = nh;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	return 0;
}

/* ---- running and finishing ------------------------------------------------------- */

static void running_remove(struct http_client *c, struct http_xfer *x)
{
	for (struct http_xfer **pp = &c->running; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			x->next = NULL;
			c->n_running--;
			return;
		}
}

/* The total timeout counts from http_send(): time spent waiting in the queue is
 * taken off what the transfer itself may use.  Returns -1 when nothing is left. */
static int trim_timeout(struct http_xfer *x)
{
	int64_t left = x->timeout_ms - (mono_ms() - x->started_ms);
	if (left <= 0)
		return -1;
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)left);
	return 0;
}

static int start_xfer(struct http_client *c, struct http_xfer *x)
{
	if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK)
		return -1;
	x->next = c->running;
	c->running = x;
	c->n_running++;
	return 0;
}

/* Start queued transfers while there is room.  A transfer that cannot be added fails
 * through its callback (the caller of http_send has long returned).  Once a callback
 * asked for the client to be freed, nothing new starts: the destruction that follows
 * cancels what is still queued. */
static void start_queued(struct http_client *c)
{
	while (c->q_head && c->n_running < c->o.max_in_flight && !c->closing && !c->free_requested) {
		struct http_xfer *x = c->q_head;
		c->q_head = x->next;
		if (!c->q_head)
			c->q_tail = NULL;
		c->n_queued--;
		x->next = NULL;
		if (trim_timeout(x) != 0) {
			c->dispatching++;
			deliver(x, CURLE_OPERATION_TIMEDOUT, "timed out waiting for a free connection slot");
			c->dispatching--;
			xfer_free(x);
		} else if (start_xfer(c, x) != 0) {
			c->dispatching++;
			deliver(x, CURLE_FAILED_INIT, "could not start the request");
			c->dispatching--;
			xfer_free(x);
		}
	}
}

static void finish(struct http_client *c, struct http_xfer *x, CURLcode rc)
{
	char text[CURL_ERROR_SIZE + 64];
	int err = (int)rc;
	int64_t cap = x->stream.download_fd >= 0 ? x->stream.download_max : (int64_t)c->o.max_body;
	if (x->too_large) {
		err = CURLE_FILESIZE_EXCEEDED;
		snprintf(text, sizeof(text), "response body larger than %lld bytes", (long long)cap);
	} else if (rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(text, sizeof(text), "response body larger than %lld bytes", (long long)cap);
	} else if (x->over_total) {
		err = CURLE_FILESIZE_EXCEEDED;
		snprintf(text, sizeof(text), "response bodies in flight would exceed %zu bytes in "
		         "total (this one had %zu)", c->o.max_total, x->resp.len);
	} else if (rc == CURLE_OUT_OF_MEMORY && !x->resp.oom) {
		/* libcurl's answer to a response header over its 100 KB line limit */
		snprintf(text, sizeof(text), "response header too large (%s)",
		         x->errbuf[0] ? x->errbuf : "over libcurl's limit");
	} else if (rc != CURLE_OK) {
		snprintf(text, sizeof(text), "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	} else {
		text[0] = 0;
	}
	deliver(x, err, text);
}

static void check_done(struct http_client *c)
{
	CURLMsg *m;
	int left;
	c->dispatching++;
	while (!c->closing && (m = curl_multi_info_read(c->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;
		struct http_xfer *x = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(c->multi, e);
		running_remove(c, x);
		finish(c, x, rc);
		xfer_free(x);
		start_queued(c);
	}
	c->dispatching--;
	if (c->dispatching == 0 && c->free_requested)
		client_destroy(c);
}

/* ---- public API ------------------------------------------------------------------- */

struct http_client *http_client_new(struct ev_loop *loop, const struct http_client_opts *opts)
{
	static int global_done;
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		global_done = 1;
	}
	struct http_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->loop = loop;
	if (opts)
		c->o = *opts;
	if (c->o.max_in_flight <= 0)
		c->o.max_in_flight = 16;
	if (c->o.connect_timeout_ms <= 0)
		c->o.connect_timeout_ms = 5000;
	if (c->o.timeout_ms <= 0)
		c->o.timeout_ms = 30000;
	if (c->o.max_body == 0)
		c->o.max_body = 8u << 20;
	if (c->o.max_total == 0)
		c->o.max_total = 2 * c->o.max_body;
	c->ca_file = opts && opts->ca_file && opts->ca_file[0] ? strdup(opts->ca_file) : NULL;
	c->user_agent = xstrdup(opts && opts->user_agent && opts->user_agent[0] ?
	                        opts->user_agent : "ghr/" GHR_VERSION);
	c->o.ca_file = c->ca_file;
	c->o.user_agent = c->user_agent;
	c->multi = curl_multi_init();
	if (!c->multi || !c->user_agent) {
		if (c->multi)
			curl_multi_cleanup(c->multi);
		free(c->ca_file);
		free(c->user_agent);
		free(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->o.max_in_flight);
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	return c;
}

static void client_destroy(struct http_client *c)
{
	c->closing = 1;
	c->dispatching++;   /* callbacks below must not re-enter destroy */
	while (c->running) {
		struct http_xfer *x = c->running;
		c->running = x->next;
		c->n_running--;
		curl_multi_remove_handle(c->multi, x->easy);
		deliver(x, CURLE_ABORTED_BY_CALLBACK, "request cancelled");
		xfer_free(x);
	}
	while (c->q_head) {
		struct http_xfer *x = c->q_head;
		c->q_head = x->next;
		c->n_queued--;
		deliver(x, CURLE_ABORTED_BY_CALLBACK, "request cancelled");
		xfer_free(x);
	}
	c->q_tail = NULL;
	curl_multi_cleanup(c->multi);
	for (int i = 0; i < c->n_watched; i++)
		ev_fd_unwatch(c->loop, c->watched[i]);
	if (c->timer_id)
		ev_timer_del(c->loop, c->timer_id);
	free(c->ca_file);
	free(c->user_agent);
	free(c);
}

void http_client_free(struct http_client *c)
{
	if (!c || c->free_requested)
		return;
	c->free_requested = 1;
	if (c->dispatching == 0)
		client_destroy(c);
}

int http_send(struct http_client *c, const struct http_request *req, http_done_cb cb, void *arg)
{
	if (!c || !req || !req->url || c->closing || c->free_requested)
		return -1;
	const char *method = req->method ? req->method : "GET";
	if (!method_known(method) || !url_ok(req->url))
		return -1;
	struct http_xfer *x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	x->c = c;
	x->cb = cb;
	x->arg = arg;
	x->started_ms = mono_ms();
	x->url = strdup(req->url);
	x->method = strdup(method);
	x->stream = req->stream ? *req->stream : (struct http_stream){ .upload_fd = -1, .download_fd = -1 };
	if (req->body) {
		x->body = malloc(req->body_len + 1);
		if (x->body) {
			memcpy(x->body, req->body, req->body_len);
			x->body[req->body_len] = 0;
			x->body_len = req->body_len;
		}
	}
	if (!x->url || !x->method || (req->body && !x->body) || xfer_setup(x, req) != 0) {
		xfer_free(x);
		return -1;
	}
	if (c->n_running < c->o.max_in_flight && !c->q_head) {
		if (start_xfer(c, x) != 0) {
			xfer_free(x);
			return -1;
		}
	} else {
		if (c->q_tail)
			c->q_tail->next = x;
		else
			c->q_head = x;
		c->q_tail = x;
		c->n_queued++;
	}
	return 0;
}

const char *http_header_get(const struct http_response *resp, const char *name)
{
	if (!resp || !name)
		return NULL;
	for (int i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

int http_in_flight(const struct http_client *c)
{
	return c ? c->n_running + c->n_queued : 0;
}
