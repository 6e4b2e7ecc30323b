/* The webhook worker's state, shared by its files. */
#ifndef GHR_WH_INT_H
#define GHR_WH_INT_H

#include "workers/webhook/wh.h"

struct js;
struct offload;
struct httpd;

/* What the endpoint answered, counted (shown by /health). */
#define WH_COUNTERS(X) X(accepted) X(unauthorized) X(malformed) X(foreign) \
	X(other_events) X(pings) X(spool_full) X(spool_errors)

struct wh {
	struct worker *w;
	char *secret;
	size_t secret_len;
	struct wh_scope scope;
	struct wh_pool *pools;
	size_t npools;
	struct wh_spool *spool;
	size_t spool_max;
	struct js *js;
	struct offload *off;
	struct httpd *http;
	int schema_ok;
	int store_up;
	char store_error[256];
	int draining;
	unsigned drain_failures;
	int64_t retry_timer;
#define WH_COUNTER_FIELD(n) uint64_t n;
	WH_COUNTERS(WH_COUNTER_FIELD)
#undef WH_COUNTER_FIELD
};

/* {store, spooled, spool_max, counters, reason?} (/health and webhook.status). */
json_t *wh_status(const struct wh *h);

#endif
