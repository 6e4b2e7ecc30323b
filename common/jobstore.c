/* The job store: connection, conversions and the plain reads and writes (jobstore.h).
 * The claim protocol is in jobstore_claim.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#include "common/jobstore.h"
#include "common/log.h"
#include "common/jobstore_int.h"
#include "common/util.h"

#define DEFAULT_DB "ghr"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* libmongoc's own messages go to our log at debug level (its default handler prints
 * to stderr, e.g. a server that lacks endSessions at every disconnect). */
static void on_driver_log(mongoc_log_level_t level, const char *domain, const char *message, void *arg)
{
	log_debug("mongoc", "domain=%s level=%s detail=\"%.300s\"", domain, mongoc_log_level_str(level), message);
}

static void init_driver(void)
{
	mongoc_init();
	mongoc_log_set_handler(on_driver_log, NULL);
}

void js_set_err(char *err, size_t errlen, const char *what, const bson_error_t *e)
{
	snprintf(err, errlen, "%s: %s (code %u)", what, e->message, e->code);
}

bson_t *js_bson(const json_t *j, char *err, size_t errlen)
{
	char *text = json_dumps(j, JSON_COMPACT);
	bson_error_t e;
	bson_t *b = text ? bson_new_from_json((const uint8_t *)text, -1, &e) : NULL;
	if (!b && text)
		js_set_err(err, errlen, "document", &e);
	else if (!text)
		snprintf(err, errlen, "out of memory");
	free(text);
	return b;
}

json_t *js_json(const bson_t *b)
{
	size_t len = 0;
	char *text = bson_as_relaxed_extended_json(b, &len);
	json_t *j = text ? json_loadb(text, len, 0, NULL) : NULL;
	bson_free(text);
	return j;
}

mongoc_collection_t *js_coll(struct js *js, const char *name)
{
	return mongoc_client_get_collection(js->client, js->db, name);
}

static void default_option(mongoc_uri_t *uri, const char *name, int64_t ms)
{
	if (mongoc_uri_get_option_as_int32(uri, name, -1) < 0)
		mongoc_uri_set_option_as_int32(uri, name, (int32_t)ms);
}

struct js *js_open(const char *uri_text, int64_t timeout_ms, char *err, size_t errlen)
{
	pthread_once(&init_once, init_driver);
	char shown[512];
	bson_error_t e;
	mongoc_uri_t *uri = mongoc_uri_new_with_error(uri_text, &e);
	if (!uri) {
		snprintf(err, errlen, "MongoDB URI %s: %s", js_uri_redacted(uri_text, shown, sizeof(shown)),
		         e.message);
		return NULL;
	}
	/* libmongoc's defaults (30 s server selection, no socket timeout) would stall the
	 * store thread far longer than the supervisor's patience with a worker. */
	if (timeout_ms <= 0 || timeout_ms > INT32_MAX)
		timeout_ms = 5000;
	default_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, timeout_ms);
	default_option(uri, MONGOC_URI_CONNECTTIMEOUTMS, timeout_ms);
	default_option(uri, MONGOC_URI_SOCKETTIMEOUTMS, timeout_ms * 2);
	struct js *js = calloc(1, sizeof(*js));
	if (js)
		js->client = mongoc_client_new_from_uri_with_error(uri, &e);
	const char *db = mongoc_uri_get_database(uri);
	if (js)
		snprintf(js->db, sizeof(js->db), "%s", db && *db ? db : DEFAULT_DB);
	mongoc_uri_destroy(uri);
	if (!js || !js->client) {
		snprintf(err, errlen, "MongoDB client: %s", js ? e.message : "out of memory");
		free(js);
		return NULL;
	}
	mongoc_client_set_error_api(js->client, MONGOC_ERROR_API_VERSION_2);
	mongoc_client_set_appname(js->client, "ghr");
	return js;
}

void js_close(struct js *js)
{
	if (!js)
		return;
	mongoc_client_destroy(js->client);
	free(js);
}

int js_ping(struct js *js, char *err, size_t errlen)
{
	bson_t *cmd = BCON_NEW("ping", BCON_INT32(1));
	bson_error_t e;
	bool ok = mongoc_client_command_simple(js->client, "admin", cmd, NULL, NULL, &e);
	bson_destroy(cmd);
	if (!ok)
		js_set_err(err, errlen, "ping", &e);
	return ok ? 0 : -1;
}

int js_ensure_schema(struct js *js, char *err, size_t errlen)
{
	static const char *const colls[] = { "jobs", "locks", "job_events", "finished", "job_marks" };
	mongoc_database_t *db = mongoc_client_get_database(js->client, js->db);
	int rc = 0, marks_new = 0;
	for (size_t i = 0; i < sizeof(colls) / sizeof(colls[0]) && rc == 0; i++) {
		bson_error_t e;
		mongoc_collection_t *c = mongoc_database_create_collection(db, colls[i], NULL, &e);
		if (c) {
			mongoc_collection_destroy(c);
			if (strcmp(colls[i], "job_marks") == 0)
				marks_new = 1;
		} else if (e.code != 48) {      /* NamespaceExists */
			js_set_err(err, errlen, colls[i], &e);
			rc = -1;
		}
	}
	/* A store from before job_marks: its finished jobs get their marks once. */
	if (rc == 0 && marks_new)
		rc = js_marks_backfill(js, err, errlen);
	/* Plain indexes only (no TTL, no partial: not every MongoDB-wire server has them). */
	static const char *const idx[][3] = {
		{ "locks", "job", "job_1" }, { "job_events", "job_id", "job_id_1" },
		{ "finished", "finished_at", "finished_at_1" },
	};
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]) && rc == 0; i++) {
		bson_t *cmd = BCON_NEW("createIndexes", BCON_UTF8(idx[i][0]), "indexes", "[", "{",
		                       "key", "{", idx[i][1], BCON_INT32(1), "}", "name", BCON_UTF8(idx[i][2]),
		                       "}", "]");
		bson_error_t e;
		if (!mongoc_database_command_simple(db, cmd, NULL, NULL, &e)) {
			js_set_err(err, errlen, "createIndexes", &e);
			rc = -1;
		}
		bson_destroy(cmd);
	}
	mongoc_database_destroy(db);
	return rc;
}

int js_insert_in(struct js *js, const char *db, const char *coll, const json_t *doc, char *err, size_t errlen)
{
	bson_t *b = js_bson(doc, err, errlen);
	if (!b)
		return -1;
	mongoc_collection_t *c = mongoc_client_get_collection(js->client, db ? db : js->db, coll);
	bson_error_t e;
	int rc = 0;
	if (!mongoc_collection_insert_one(c, b, NULL, NULL, &e)) {
		if (e.code == 11000)
			rc = JS_DUP;
		else {
			js_set_err(err, errlen, coll, &e);
			rc = -1;
		}
	}
	mongoc_collection_destroy(c);
	bson_destroy(b);
	return rc;
}

int js_insert(struct js *js, const char *coll, const json_t *doc, char *err, size_t errlen)
{
	return js_insert_in(js, NULL, coll, doc, err, errlen);
}

/* Mark in dup[] the documents an unordered insert refused as duplicates; 0 when every
 * error of the reply is a duplicate key, -1 otherwise. */
static int mark_duplicates(const bson_t *reply, size_t n, char *dup)
{
	bson_iter_t it, arr;
	if (bson_iter_init_find(&it, reply, "writeConcernErrors") && BSON_ITER_HOLDS_ARRAY(&it)) {
		bson_iter_t wc;
		if (bson_iter_recurse(&it, &wc) && bson_iter_next(&wc))
			return -1;
	}
	if (!bson_iter_init_find(&it, reply, "writeErrors") || !BSON_ITER_HOLDS_ARRAY(&it)
	    || !bson_iter_recurse(&it, &arr))
		return -1;
	int any = 0;
	while (bson_iter_next(&arr)) {
		bson_iter_t e, idx;
		if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &e) || !bson_iter_find(&e, "code")
		    || bson_iter_as_int64(&e) != 11000 || !bson_iter_recurse(&arr, &idx) || !bson_iter_find(&idx, "index"))
			return -1;
		int64_t i = bson_iter_as_int64(&idx);
		if (i < 0 || (size_t)i >= n)
			return -1;
		dup[i] = 1;
		any = 1;
	}
	return any ? 0 : -1;
}

int js_insert_many_dups(struct js *js, const char *coll, const json_t *docs, char *dup, char *err, size_t errlen)
{
	size_t n = json_array_size(docs);
	memset(dup, 0, n);
	if (n == 0)
		return 0;
	bson_t **b = calloc(n, sizeof(*b));
	int rc = b ? 0 : -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (!(b[i] = js_bson(json_array_get(docs, i), err, errlen)))
			rc = -1;
	if (rc == 0) {
		mongoc_collection_t *c = js_coll(js, coll);
		bson_t *opts = BCON_NEW("ordered", BCON_BOOL(false));
		bson_t reply;
		bson_error_t e;
		if (!mongoc_collection_insert_many(c, (const bson_t **)b, n, opts, &reply, &e)
		    && mark_duplicates(&reply, n, dup) != 0) {
			js_set_err(err, errlen, coll, &e);
			rc = -1;
		}
		bson_destroy(&reply);
		bson_destroy(opts);
		mongoc_collection_destroy(c);
	} else if (!b)
		snprintf(err, errlen, "out of memory");
	for (size_t i = 0; b && i < n; i++)
		if (b[i])
			bson_destroy(b[i]);
	free(b);
	return rc;
}

int js_insert_many(struct js *js, const char *coll, const json_t *docs, char *err, size_t errlen)
{
	char *dup = malloc(json_array_size(docs) + 1);
	if (!dup) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = js_insert_many_dups(js, coll, docs, dup, err, errlen);
	free(dup);
	return rc;
}

int js_job_put(struct js *js, const json_t *job, char *err, size_t errlen)
{
	json_t *id = json_object_get(job, "_id");
	if (!json_is_integer(id)) {
		snprintf(err, errlen, "job: _id must be the GitHub job id");
		return -1;
	}
	/* A finished job is never made live again (a late or repeated queued delivery). */
	char what[16];
	int marked = js_mark_get(js, json_integer_value(id), what, sizeof(what), err, errlen);
	if (marked < 0)
		return -1;
	if (marked && strcmp(what, JS_MARK_FINISHED) == 0)
		return JS_DUP;
	/* A job born finished (fits no pool, or was picked up before its queued delivery
	 * arrived) goes straight to finished, with its reason. */
	const char *status = json_string_value(json_object_get(job, "status"));
	if (!status || (strcmp(status, "dead") != 0 && strcmp(status, "done") != 0))
		return js_insert(js, "jobs", job, err, errlen);
	int rc = js_insert(js, "finished", job, err, errlen);
	json_t *ids = json_pack("[O]", id);
	if (rc >= 0 && js_marks_put(js, ids, NULL, JS_MARK_FINISHED, wall_ms(), err, errlen) != 0)
		rc = -1;
	json_decref(ids);
	return rc;
}

int js_event_put(struct js *js, const json_t *event, char *err, size_t errlen)
{
	json_t *id = json_object_get(event, "job_id");
	const char *action = json_string_value(json_object_get(event, "action"));
	if (!json_is_integer(id) || !action) {
		snprintf(err, errlen, "job event: job_id and action are required");
		return -1;
	}
	const char *delivery = json_string_value(json_object_get(event, "delivery"));
	char key[200];
	snprintf(key, sizeof(key), "%lld:%.40s:%.100s", (long long)json_integer_value(id), action,
	         delivery ? delivery : "");
	json_t *doc = json_deep_copy(event);
	json_object_set_new(doc, "_id", json_string(key));
	int rc = js_insert(js, "job_events", doc, err, errlen);
	json_decref(doc);
	return rc;
}

static json_t *find_bson(struct js *js, const char *db, const char *coll, const bson_t *filter,
                         const bson_t *opts, char *err, size_t errlen)
{
	mongoc_collection_t *c = mongoc_client_get_collection(js->client, db, coll);
	mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, filter, opts, NULL);
	json_t *out = json_array();
	const bson_t *doc;
	while (mongoc_cursor_next(cur, &doc)) {
		json_t *j = js_json(doc);
		if (j)
			json_array_append_new(out, j);
	}
	bson_error_t e;
	if (mongoc_cursor_error(cur, &e)) {
		js_set_err(err, errlen, coll, &e);
		json_decref(out);
		out = NULL;
	}
	mongoc_cursor_destroy(cur);
	mongoc_collection_destroy(c);
	return out;
}

json_t *js_find_raw(struct js *js, const char *coll, const bson_t *filter, const bson_t *opts,
                    char *err, size_t errlen)
{
	return find_bson(js, js->db, coll, filter, opts, err, errlen);
}

json_t *js_events(struct js *js, int64_t job_id, char *err, size_t errlen)
{
	bson_t *f = BCON_NEW("job_id", BCON_INT64(job_id));
	json_t *out = js_find_raw(js, "job_events", f, NULL, err, errlen);
	bson_destroy(f);
	return out;
}

json_t *js_find(struct js *js, const char *coll, const json_t *filter, const char *sort_desc,
                int64_t limit, char *err, size_t errlen)
{
	json_t *empty = json_object();
	bson_t *f = js_bson(filter ? filter : empty, err, errlen);
	json_decref(empty);
	if (!f)
		return NULL;
	bson_t *opts = bson_new();
	if (sort_desc) {
		bson_t sort;
		BSON_APPEND_DOCUMENT_BEGIN(opts, "sort", &sort);
		BSON_APPEND_INT32(&sort, sort_desc, -1);
		bson_append_document_end(opts, &sort);
	}
	if (limit > 0)
		BSON_APPEND_INT64(opts, "limit", limit);
	json_t *out = js_find_raw(js, coll, f, opts, err, errlen);
	bson_destroy(opts);
	bson_destroy(f);
	return out;
}

json_t *js_job_get(struct js *js, int64_t job_id, char *err, size_t errlen)
{
	static const char *const colls[] = { "jobs", "finished" };
	for (size_t i = 0; i < 2; i++) {
		bson_t *f = BCON_NEW("_id", BCON_INT64(job_id));
		json_t *found = js_find_raw(js, colls[i], f, NULL, err, errlen);
		bson_destroy(f);
		if (!found)
			return NULL;
		if (json_array_size(found) > 0) {
			json_t *doc = json_incref(json_array_get(found, 0));
			json_decref(found);
			return doc;
		}
		json_decref(found);
	}
	snprintf(err, errlen, "no job %lld", (long long)job_id);
	return NULL;
}

int js_update_one(struct js *js, const char *coll, const bson_t *filter, const bson_t *update,
                  char *err, size_t errlen)
{
	mongoc_collection_t *c = js_coll(js, coll);
	bson_t reply;
	bson_error_t e;
	int rc = 0;
	if (!mongoc_collection_update_one(c, filter, update, NULL, &reply, &e)) {
		js_set_err(err, errlen, coll, &e);
		rc = -1;
	} else {
		bson_iter_t it;
		if (bson_iter_init_find(&it, &reply, "matchedCount") && bson_iter_as_int64(&it) == 0)
			rc = JS_LOST;
	}
	bson_destroy(&reply);
	mongoc_collection_destroy(c);
	return rc;
}

/* The count a write's reply gives in field, or -1 (err set) when the write failed. */
static int64_t reply_count(bool ok, const bson_t *reply, const char *field, const char *coll,
                           const bson_error_t *e, char *err, size_t errlen)
{
	if (!ok) {
		js_set_err(err, errlen, coll, e);
		return -1;
	}
	bson_iter_t it;
	return bson_iter_init_find(&it, reply, field) ? bson_iter_as_int64(&it) : 0;
}

int64_t js_update_many(struct js *js, const char *coll, const bson_t *filter, const bson_t *update,
                       char *err, size_t errlen)
{
	mongoc_collection_t *c = js_coll(js, coll);
	bson_t reply;
	bson_error_t e;
	bool ok = mongoc_collection_update_many(c, filter, update, NULL, &reply, &e);
	int64_t n = reply_count(ok, &reply, "matchedCount", coll, &e, err, errlen);
	bson_destroy(&reply);
	mongoc_collection_destroy(c);
	return n;
}

int64_t js_delete(struct js *js, const char *db, const char *coll, const bson_t *filter, int many,
                  char *err, size_t errlen)
{
	mongoc_collection_t *c = mongoc_client_get_collection(js->client, db ? db : js->db, coll);
	bson_t reply;
	bson_error_t e;
	bool ok = many ? mongoc_collection_delete_many(c, filter, NULL, &reply, &e)
	               : mongoc_collection_delete_one(c, filter, NULL, &reply, &e);
	int64_t n = reply_count(ok, &reply, "deletedCount", coll, &e, err, errlen);
	bson_destroy(&reply);
	mongoc_collection_destroy(c);
	return n;
}

int64_t js_delete_json(struct js *js, const char *coll, const json_t *filter, char *err, size_t errlen)
{
	bson_t *f = js_bson(filter, err, errlen);
	if (!f)
		return -1;
	int64_t n = js_delete(js, NULL, coll, f, 1, err, errlen);
	bson_destroy(f);
	return n;
}

static int64_t delete_older(struct js *js, const char *coll, int64_t cutoff_ms, char *err, size_t errlen)
{
	bson_t *f = BCON_NEW("at", "{", "$lt", BCON_INT64(cutoff_ms), "}");
	int64_t n = js_delete(js, NULL, coll, f, 1, err, errlen);
	bson_destroy(f);
	return n;
}

int64_t js_prune_finished(struct js *js, int64_t cutoff_ms, int64_t lease_ms, char *err, size_t errlen)
{
	bson_t *f = BCON_NEW("finished_at", "{", "$lt", BCON_INT64(cutoff_ms), "}");
	int64_t n = js_delete(js, NULL, "finished", f, 1, err, errlen);
	bson_destroy(f);
	/* Facts, marks and locks of jobs that finished (or never became jobs here) go too;
	 * a live job's locks are read by nobody, and its attempt only ever grows. */
	int64_t locks_cutoff = wall_ms() - 2 * lease_ms < cutoff_ms ? wall_ms() - 2 * lease_ms : cutoff_ms;
	int64_t m = n < 0 ? -1 : delete_older(js, "job_events", cutoff_ms, err, errlen);
	if (m >= 0)
		m = delete_older(js, "job_marks", cutoff_ms - JS_MARK_KEEP_EXTRA_MS, err, errlen);
	if (m >= 0)
		m = delete_older(js, "locks", locks_cutoff, err, errlen);
	return m < 0 ? -1 : n;
}

json_t *js_find_in(struct js *js, const char *db, const char *coll, int64_t limit, char *err, size_t errlen)
{
	bson_t *f = bson_new();
	bson_t *opts = BCON_NEW("limit", BCON_INT64(limit > 0 ? limit : 100));
	json_t *out = find_bson(js, db, coll, f, opts, err, errlen);
	bson_destroy(opts);
	bson_destroy(f);
	return out;
}

int js_delete_in(struct js *js, const char *db, const char *coll, const json_t *id, char *err, size_t errlen)
{
	json_t *w = json_pack("{s:O}", "_id", id);
	bson_t *f = w ? js_bson(w, err, errlen) : NULL;
	json_decref(w);
	if (!f)
		return -1;
	int64_t n = js_delete(js, db, coll, f, 0, err, errlen);
	bson_destroy(f);
	return n < 0 ? -1 : 0;
}

const char *js_uri_redacted(const char *uri, char *buf, size_t len)
{
	const char *scheme = strstr(uri, "://");
	const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
	if (!scheme || !at || (slash && slash < at)) {
		snprintf(buf, len, "%s", uri);
		return buf;
	}
	const char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
	const char *user_end = colon ? colon : at;
	snprintf(buf, len, "%.*s%s%s", (int)(user_end - uri), uri, colon ? ":***" : "", at);
	return buf;
}

void js_history_add(json_t *doc, int64_t at, const char *what, const char *why)
{
	json_t *h = json_object_get(doc, "history");
	if (!json_is_array(h)) {
		h = json_array();
		json_object_set_new(doc, "history", h);
	}
	json_array_append_new(h, json_pack("{s:I, s:s, s:s}", "at", (json_int_t)at, "what", what, "why", why));
	while (json_array_size(h) > JS_HISTORY_MAX)
		json_array_remove(h, 0);
}
