/* The metrics worker: serves GET /metrics (Prometheus text format 0.0.4) on
 * metrics.listen, so that Prometheus can scrape ghr, and writes the same text to
 * metrics.textfile for node_exporter; ghrd itself serves and writes nothing.
 *
 * The text is ghrd's metrics plus the scaler's and the image builder's, as
 * `ghr-ctl metrics` shows them (sup.metrics).  The textfile is rewritten at most every
 * METRICS_TEXTFILE_MS (fetched that often when nothing listens).  The HTTP side answers each request at once from the last text
 * fetched (libmicrohttpd driven by the worker's loop, workers/runtime/httpd.h); the text
 * is fetched again every METRICS_REFRESH_MS, so a scrape sees figures at most that old
 * and a slow bus never holds a scrape.  Until the first text arrives, /metrics is 503.
 * The worker holds no secret and reads nothing from the request but its method and
 * path: GET /metrics is 200, another path 404, another method 405. */
#ifndef GHR_METRICS_H
#define GHR_METRICS_H

#include "workers/runtime/worker.h"

#define METRICS_REFRESH_MS 1000
#define METRICS_CALL_TIMEOUT_MS 5000
#define METRICS_TEXTFILE_MS 5000

extern const struct worker_def metrics_worker_def;

/* The answer to one request, from the cached text (NULL: none yet).  Pure. */
struct metrics_answer { unsigned status; const char *type; const char *body; };
void metrics_route(const char *method, const char *path, const char *text, struct metrics_answer *out);

#endif
