/* http — asynchronous HTTP client on libcurl's multi interface, driven by evloop.
 *
 * Used by the github and openstack workers.  Many requests in flight (bounded by
 * max_in_flight; the rest wait in a FIFO), keep-alive and HTTP/2 where offered, a
 * connect timeout and a total timeout on every request, TLS verification always on
 * (a CA bundle may be given).  The response body is capped (max_body), and so are the
 * bodies of everything in flight together (max_total): a larger body, or one that would
 * take the total over, is an error, never a huge allocation.  Callbacks run from the
 * event loop. */
#ifndef GHR_HTTP_H
#define GHR_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct http_client;

struct http_client_opts {
	int max_in_flight;          /* default 16 */
	long connect_timeout_ms;    /* default 5000 */
	long timeout_ms;            /* default 30000: total, per request */
	size_t max_body;            /* default 8 MiB */
	size_t max_total;           /* bodies of all requests in flight together; default 2 × max_body */
	const char *ca_file;        /* NULL: system bundle */
	const char *user_agent;     /* default "ghr/<version>" */
};

struct http_header { const char *name; const char *value; };

/* Image transfers go through files, not memory (see http_request.stream). */
struct http_stream {
	int upload_fd;              /* -1: none; else the body is upload_len bytes read from it */
	int64_t upload_len;
	int download_fd;            /* -1: none; else the reply body is written there (resp->body
	                               is then ""), at most download_max bytes */
	int64_t download_max;
};

struct http_request {
	const char *method;                 /* "GET", "POST", "PUT", "DELETE", "PATCH" */
	const char *url;
	const struct http_header *headers;  /* array of n_headers */
	int n_headers;
	const char *body;                   /* may be NULL */
	size_t body_len;
	long timeout_ms;                    /* 0: client default */
	/* 1: send on a new connection.  libcurl silently resends a request whose reused
	 * keep-alive connection died before any reply byte; a non-idempotent POST (a server
	 * create) must never be resent behind its caller's back. */
	int fresh_connect;
	const struct http_stream *stream;   /* NULL: bodies in memory (copied at send) */
};

struct http_response {
	long status;            /* HTTP status, 0 when no response (see error) */
	int error;              /* 0, or a libcurl CURLcode (timeout, reset, …) */
	const char *error_text; /* human text for error, "" when none */
	char *body;             /* NUL-terminated, may be "" */
	size_t body_len;
	int64_t elapsed_ms;
	/* response headers, names lower-cased */
	struct http_header *headers;
	int n_headers;
};

/* The callback owns nothing: resp and its contents are freed after it returns. */
typedef void (*http_done_cb)(const struct http_response *resp, void *arg);

struct http_client *http_client_new(struct ev_loop *loop, const struct http_client_opts *opts);
/* Cancels everything in flight (callbacks are called with error CURLE_ABORTED_BY_CALLBACK). */
void http_client_free(struct http_client *c);

/* Start a request; the request struct and strings are copied.  Returns 0, or -1 when the
 * request cannot even be queued (bad URL, out of memory): then cb is not called. */
int http_send(struct http_client *c, const struct http_request *req, http_done_cb cb, void *arg);

/* Case-insensitive header lookup in a response; NULL if absent. */
const char *http_header_get(const struct http_response *resp, const char *name);

int http_in_flight(const struct http_client *c);   /* running + queued */

#endif
