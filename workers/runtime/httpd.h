/* httpd — a small HTTP server (libmicrohttpd in epoll mode) driven by a worker's own
 * event loop: no thread, no second loop.  Each complete request is handed to one
 * handler, which must answer it before returning (httpd_reply).
 *
 *   struct httpd_opts o = { .listen = "127.0.0.1:8080", .max_body = 1 << 20 };
 *   struct httpd *h = httpd_start(loop, &o, on_request, ctx, err, sizeof(err));
 *
 * Bodies above max_body are answered 413 by the server itself (the handler never sees
 * them); a request the handler leaves unanswered gets 500. */
#ifndef GHR_HTTPD_H
#define GHR_HTTPD_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct httpd;
struct httpd_req;

struct httpd_opts {
	const char *listen;         /* "ADDR:PORT" or "[V6ADDR]:PORT"; port 0 = any free */
	const char *cert_pem;       /* TLS: certificate chain and key (PEM text), or NULL */
	const char *key_pem;
	size_t max_body;            /* bytes; 0 = 1 MiB */
	unsigned conn_limit;        /* 0 = 256 */
	unsigned timeout_s;         /* idle connection timeout; 0 = 30 */
	int *temporary;             /* optional: set to 1 when httpd_start failed in a way that
	                             * may pass (the address in use or not yet there), else 0 */
};

typedef void (*httpd_handler)(struct httpd_req *r, void *arg);

struct httpd *httpd_start(struct ev_loop *loop, const struct httpd_opts *o, httpd_handler fn, void *arg,
                          char *err, size_t errlen);
void httpd_stop(struct httpd *h);
unsigned httpd_port(const struct httpd *h);   /* the bound port */

const char *httpd_method(const struct httpd_req *r);
const char *httpd_path(const struct httpd_req *r);
const char *httpd_header(const struct httpd_req *r, const char *name);   /* NULL if absent */
const char *httpd_body(const struct httpd_req *r, size_t *len);          /* NUL-terminated */
/* Answer (once); body is copied. */
int httpd_reply(struct httpd_req *r, unsigned status, const char *content_type, const char *body, size_t len);

/* Parse "ADDR:PORT" / "[ADDR]:PORT" into a socket address (IPv4 or IPv6); 0 or -1. */
struct sockaddr_storage;
int httpd_parse_listen(const char *listen, struct sockaddr_storage *ss, char *err, size_t errlen);

#endif
