/* A tiny HTTP/1.1 server on 127.0.0.1 for unit tests of clients (one thread accepts,
 * one thread per connection, keep-alive honoured).  Routes:
 *   /ok             200 "hello" with x-ratelimit-remaining and etag headers
 *   /echo           200, body = the raw request (request line, headers, body)
 *   /status/NNN     status NNN, body "status NNN"
 *   /slow           200 "slow" after 200 ms
 *   /hang           never answers (until the client closes, at most 10 s)
 *   /reset          closes the connection with a TCP RST
 *   /big            200 with a 64 KiB body, no Content-Length (connection closes)
 *   /canned         the bytes set with http_testsrv_set_canned(), then close
 * Counters let tests assert connection reuse and the concurrency a client used. */
#ifndef GHR_HTTP_TESTSRV_H
#define GHR_HTTP_TESTSRV_H

struct http_testsrv;

struct http_testsrv *http_testsrv_start(void);
void http_testsrv_stop(struct http_testsrv *s);
int http_testsrv_port(const struct http_testsrv *s);
/* "http://127.0.0.1:PORT" + path, in a static rotating buffer */
const char *http_testsrv_url(const struct http_testsrv *s, const char *path);
int http_testsrv_accepted(const struct http_testsrv *s);     /* connections accepted */
int http_testsrv_requests(const struct http_testsrv *s);     /* requests read */
int http_testsrv_max_active(const struct http_testsrv *s);   /* peak requests being served at once */
void http_testsrv_set_canned(struct http_testsrv *s, const char *raw_response);

#endif
