/* Listing runners: every page (Link rel="next"), each page a conditional request; and
 * github.runners.list, which answers with the whole list or, asked chunked, in parts.
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

#include "common/evloop.h"
#include "common/http.h"
#include "common/jsonpart.h"
#include "common/log.h"
#include "common/util.h"
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

/* ---- github.runners.list -------------------------------------------------------------- */

/* A runner takes ~175-250 bytes of a reply, so past ~4,000 runners the list does not fit
 * one bus frame (PROTO_MAX_FRAME, 1 MiB).  A caller that says chunked:true gets it in
 * parts of at most GH_REPLY_BUDGET bytes of runners (the rest of the frame is margin for
 * the envelope); each part but the last carries `next`, which the caller passes back as
 * `marker`.  The parts are cut from one snapshot of the listing, so they neither overlap
 * nor miss a runner; the snapshot is kept only while parts remain, at most GH_SNAP_TTL_MS
 * (its runner objects are shared with the ETag cache: it costs little more than an array
 * of pointers).  A marker whose snapshot is gone (expired, finished, replaced, or made by
 * an earlier worker process) is `conflict`: the caller lists again from the start, and
 * never stitches parts of two listings together.  A caller that does not say chunked
 * gets the whole list or, when it cannot fit, `unavailable`: never a silent partial
 * list, and never a reply that cannot be encoded. */
#define GH_REPLY_BUDGET (768 * 1024)
#define GH_SNAP_TTL_MS 60000

static struct gh *gh_of(const struct wreq *req)
{
	return worker_data(req->w);
}

static void snap_drop(struct gh_snap *s)
{
	if (!s->token[0])
		return;
	if (s->timer && s->g && s->g->loop)
		ev_timer_del(s->g->loop, s->timer);
	json_decref(s->runners);
	free(s->prefix);
	memset(s, 0, sizeof(*s));
}

void gh_list_snaps_drop(struct gh *g)
{
	for (int i = 0; i < GH_SNAP_MAX; i++)
		snap_drop(&g->snaps[i]);
}

static void on_snap_ttl(struct ev_loop *loop, int64_t timer_id, void *arg)
{
	struct gh_snap *s = arg;
	s->timer = 0;                 /* fired: nothing to delete */
	log_debug("runner list parts expired", "runners=%zu", json_array_size(s->runners));
	snap_drop(s);
}

/* Keep runners for the parts that follow; evicts the oldest when every slot is used. */
static struct gh_snap *snap_keep(struct gh *g, const char *prefix, const json_t *runners, int all_cached)
{
	struct gh_snap *s = NULL;
	for (int i = 0; i < GH_SNAP_MAX && !s; i++)
		if (!g->snaps[i].token[0])
			s = &g->snaps[i];
	if (!s) {
		s = &g->snaps[0];
		for (int i = 1; i < GH_SNAP_MAX; i++)
			if (g->snaps[i].taken_ms < s->taken_ms)
				s = &g->snaps[i];
		log_warn("runner list parts dropped for a newer listing; their caller gets conflict",
		         "runners=%zu prefix=%s", json_array_size(s->runners), log_q(s->prefix));
		snap_drop(s);
	}
	if (!(s->prefix = strdup(prefix)))
		return NULL;
	random_hex(s->token, 8);
	s->runners = json_incref((json_t *)runners);
	s->all_cached = all_cached;
	s->taken_ms = now_ms();
	s->g = g;
	s->timer = g->loop ? ev_timer_add(g->loop, GH_SNAP_TTL_MS, on_snap_ttl, s) : 0;
	return s;
}

/* The snapshot a marker ("<token>.<index of the next runner>") continues, and that
 * index; NULL with the reason when there is none. */
static struct gh_snap *snap_for_marker(struct gh *g, const char *marker, const char *prefix,
                                       size_t *from, char *why, size_t whylen)
{
	const char *dot = strchr(marker, '.');
	struct gh_snap *s = NULL;
	for (int i = 0; i < GH_SNAP_MAX && dot && !s; i++)
		if (g->snaps[i].token[0] && (size_t)(dot - marker) == strlen(g->snaps[i].token)
		    && strncmp(marker, g->snaps[i].token, (size_t)(dot - marker)) == 0)
			s = &g->snaps[i];
	if (!s) {
		snprintf(why, whylen, "marker %.60s names no runner listing kept now (parts are kept until "
		         "the last one is sent, at most %d s); list again from the start",
		         marker, GH_SNAP_TTL_MS / 1000);
		return NULL;
	}
	if (strcmp(s->prefix, prefix) != 0) {
		snprintf(why, whylen, "marker %.60s belongs to a listing of another prefix; list again "
		         "from the start", marker);
		return NULL;
	}
	char *end = NULL;
	unsigned long long at = dot[1] >= '0' && dot[1] <= '9' ? strtoull(dot + 1, &end, 10) : 0;
	if (!end || *end || at == 0 || at >= json_array_size(s->runners)) {
		snprintf(why, whylen, "marker %.60s is not a part of its listing; list again from the start",
		         marker);
		return NULL;
	}
	*from = (size_t)at;
	return s;
}

/* Reply with runners[from, end); `next` when runners remain after end. */
static void reply_part(struct wreq *req, const json_t *runners, size_t from, size_t end,
                       int all_cached, const struct gh_snap *s)
{
	json_t *part = jsonpart_slice(runners, from, end);
	json_t *body = part ? json_pack("{s:o, s:b}", "runners", part, "etag_hit", all_cached) : NULL;
	if (body && s && end < json_array_size(runners)) {
		char next[64];
		snprintf(next, sizeof(next), "%s.%zu", s->token, end);
		json_object_set_new(body, "next", json_string(next));
	}
	if (!body) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "out of memory building the runner list");
		return;
	}
	worker_reply_ok(req, body);
}

static void on_list(struct gh *g, const json_t *runners, int all_cached,
                    const struct gh_result *err, void *arg)
{
	struct wreq *req = arg;
	if (err) {
		worker_reply_err(req, err->err, err->retry_after_ms, "%s", err->message);
		return;
	}
	const char *prefix = json_string_value(json_object_get(req->body, "prefix"));
	int chunked = json_is_true(json_object_get(req->body, "chunked"));
	size_t n = json_array_size(runners);
	/* measured before anything is encoded: a list too large is refused, not truncated */
	size_t end = jsonpart_end(runners, 0, GH_REPLY_BUDGET, NULL);
	if (end < n && !chunked) {
		worker_reply_err(req, PROTO_E_UNAVAILABLE, 0, "%zu runners do not fit one reply; "
		                 "ask with chunked:true", n);
		return;
	}
	struct gh_snap *s = NULL;
	if (end < n && !(s = snap_keep(g, prefix ? prefix : "", runners, all_cached))) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "out of memory keeping the runner list");
		return;
	}
	if (s)
		log_info("runner list answered in parts", "runners=%zu first_part=%zu etag_hit=%d",
		         n, end, all_cached);
	reply_part(req, runners, 0, end, all_cached, s);
}

void gh_h_runners_list(struct wreq *req)
{
	struct gh *g = gh_of(req);
	const char *prefix = json_string_value(json_object_get(req->body, "prefix"));
	const char *marker = json_string_value(json_object_get(req->body, "marker"));
	int64_t now = now_ms();
	for (int i = 0; i < GH_SNAP_MAX; i++)
		if (g->snaps[i].token[0] && now - g->snaps[i].taken_ms >= GH_SNAP_TTL_MS)
			snap_drop(&g->snaps[i]);
	if (!marker) {
		gh_list_runners(g, prefix, 0, req->deadline_ms, on_list, req);
		return;
	}
	/* a later part: from the snapshot, without asking GitHub */
	char why[300];
	size_t from = 0;
	struct gh_snap *s = snap_for_marker(g, marker, prefix ? prefix : "", &from, why, sizeof(why));
	if (!s) {
		worker_reply_err(req, PROTO_E_CONFLICT, 0, "%s", why);
		return;
	}
	size_t end = jsonpart_end(s->runners, from, GH_REPLY_BUDGET, NULL);
	log_debug("runner list part", "from=%zu to=%zu of=%zu", from, end, json_array_size(s->runners));
	reply_part(req, s->runners, from, end, s->all_cached, s);
	if (end >= json_array_size(s->runners))
		snap_drop(s);             /* the last part is out: nobody asks for more */
}
