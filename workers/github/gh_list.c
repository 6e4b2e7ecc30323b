/* Listing runners: every page (Link rel="next"), each page a conditional request.
 *
 * Per page URL we keep the etag GitHub gave and the page as parsed; the next listing
 * sends If-None-Match, and a 304 (which costs no rate-limit budget) reuses the cached
 * page and its next link.  So an unchanged fleet can be listed every reconcile for free.
 * Known limit: the cache holds at most GH_ETAG_CACHE_MAX pages (100 runners each) and is
 * dropped whole when it grows past that. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "common/log.h"
#include "workers/github/gh.h"

#define GH_LIST_MAX_PAGES 1000
#define GH_ETAG_CACHE_MAX 1000

struct list_op {
	struct gh *g;
	char *prefix;
	int exact;
	int64_t deadline;
	gh_list_cb cb;
	void *arg;
	json_t *acc;
	int all_cached;
	int pages;
	char url[GH_URL_MAX];
};

static void list_done(struct list_op *op, const struct gh_result *err)
{
	op->cb(op->g, err ? NULL : op->acc, op->all_cached, err, op->arg);
	json_decref(op->acc);
	free(op->prefix);
	free(op);
}

static void list_fail(struct list_op *op, enum proto_error code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void list_fail(struct list_op *op, enum proto_error code, const char *fmt, ...)
{
	struct gh_result r = { .err = code };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r.message, sizeof(r.message), fmt, ap);
	va_end(ap);
	list_done(op, &r);
}

static void fetch_page(struct list_op *op);

static int wanted(const struct list_op *op, const char *name)
{
	if (!op->prefix || !*op->prefix)
		return 1;
	if (op->exact)
		return strcmp(name, op->prefix) == 0;
	return strncmp(name, op->prefix, strlen(op->prefix)) == 0;
}

static void on_page(struct gh *g, const struct gh_result *r, void *arg)
{
	struct list_op *op = arg;
	json_t *page = NULL;
	char next[GH_URL_MAX] = "";
	int has_next = 0;
	if (r->err != PROTO_OK) {
		list_done(op, r);
		return;
	}
	json_t *cached = json_object_get(g->etag_cache, op->url);
	if (r->status == 304) {
		if (!cached) {
			list_fail(op, PROTO_E_UNAVAILABLE, "GitHub answered 304 for runner list page %d "
			          "that is no longer cached; list again", op->pages + 1);
			return;
		}
		page = json_incref(json_object_get(cached, "runners"));
		const char *n = json_string_value(json_object_get(cached, "next"));
		if (n && *n) {
			snprintf(next, sizeof(next), "%s", n);
			has_next = 1;
		}
		g->etag_hits++;
	} else {
		char err[300];
		const struct http_response *resp = r->resp;
		page = gh_parse_runners_page(resp->body, resp->body_len, err, sizeof(err));
		if (!page) {
			list_fail(op, PROTO_E_INTERNAL, "GitHub sent invalid JSON for runner list page %d: %s",
			          op->pages + 1, err);
			return;
		}
		const char *link = http_header_get(resp, "link");
		has_next = link && gh_link_next(link, next, sizeof(next));
		const char *etag = http_header_get(resp, "etag");
		if (etag && *etag && !op->exact) {
			if (json_object_size(g->etag_cache) >= GH_ETAG_CACHE_MAX)
				json_object_clear(g->etag_cache);
			json_object_set_new(g->etag_cache, op->url,
			                    json_pack("{s:s, s:O, s:s}", "etag", etag, "runners", page,
			                              "next", has_next ? next : ""));
		}
		op->all_cached = 0;
		g->etag_misses++;
	}
	size_t i;
	json_t *run;
	json_array_foreach(page, i, run)
		if (wanted(op, json_string_value(json_object_get(run, "name"))))
			json_array_append(op->acc, run);
	json_decref(page);
	op->pages++;
	if (!has_next) {
		list_done(op, NULL);
		return;
	}
	if (op->pages >= GH_LIST_MAX_PAGES) {
		list_fail(op, PROTO_E_INTERNAL, "runner list has more than %d pages; giving up",
		          GH_LIST_MAX_PAGES);
		return;
	}
	if (strcmp(next, op->url) == 0) {
		list_fail(op, PROTO_E_INTERNAL, "GitHub's next link points at the same page");
		return;
	}
	snprintf(op->url, sizeof(op->url), "%s", next);
	fetch_page(op);
}

static void fetch_page(struct list_op *op)
{
	const char *etag = NULL;
	json_t *cached = op->exact ? NULL : json_object_get(op->g->etag_cache, op->url);
	if (cached)
		etag = json_string_value(json_object_get(cached, "etag"));
	gh_api_call(op->g, GH_CALL_LIST, "GET", op->url, NULL, etag, op->deadline, on_page, op);
}

void gh_list_runners(struct gh *g, const char *prefix, int exact, int64_t deadline_wall_ms,
                     gh_list_cb cb, void *arg)
{
	struct list_op *op = calloc(1, sizeof(*op));
	if (!op) {
		struct gh_result r = { .err = PROTO_E_INTERNAL };
		snprintf(r.message, sizeof(r.message), "out of memory");
		cb(g, NULL, 0, &r, arg);
		return;
	}
	op->g = g;
	op->prefix = prefix ? strdup(prefix) : NULL;
	op->exact = exact;
	op->deadline = deadline_wall_ms;
	op->cb = cb;
	op->arg = arg;
	op->acc = json_array();
	op->all_cached = 1;
	/* GitHub filters by exact name server-side (name=); we filter again in any case */
	if (exact && prefix)
		snprintf(op->url, sizeof(op->url), "%s%s/actions/runners?per_page=100&name=%s",
		         g->api_url, g->target.base, prefix);
	else
		snprintf(op->url, sizeof(op->url), "%s%s/actions/runners?per_page=100",
		         g->api_url, g->target.base);
	fetch_page(op);
}
