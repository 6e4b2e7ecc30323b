/* job_marks: one insert-only document per job that was picked up or finished, keyed by
 * the job id as text.  The webhook's drain asks, for each queued delivery, whether its
 * job was already picked up or finished; a lookup of a text _id is the one query that
 * a server without indexes on other fields (FerretDB) answers without reading the whole
 * collection, and finished and job_events grow with every job. */
#include <stdio.h>
#include <string.h>

#include "common/jobstore.h"
#include "common/jobstore_int.h"

#define BACKFILL_BATCH 1000

static void mark_key(int64_t id, char *key, size_t len)
{
	snprintf(key, len, "%lld", (long long)id);
}

int js_marks_put(struct js *js, const json_t *ids, const json_t *runners, const char *what, int64_t at,
                 char *err, size_t errlen)
{
	json_t *docs = json_array();
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		char key[32];
		mark_key(json_integer_value(id), key, sizeof(key));
		json_t *doc = json_pack("{s:s, s:O, s:s, s:I}", "_id", key, "job_id", id, "what", what, "at", (json_int_t)at);
		const char *runner = json_string_value(json_array_get(runners, i));
		if (runner && *runner)
			json_object_set_new(doc, "runner_name", json_string(runner));
		json_array_append_new(docs, doc);
	}
	int rc = js_insert_many(js, "job_marks", docs, err, errlen);
	json_decref(docs);
	return rc;
}

int js_mark_forget(struct js *js, int64_t job_id, char *err, size_t errlen)
{
	char key[32];
	mark_key(job_id, key, sizeof(key));
	bson_t *f = BCON_NEW("_id", BCON_UTF8(key));
	int64_t n = js_delete(js, NULL, "job_marks", f, 0, err, errlen);
	bson_destroy(f);
	return n < 0 ? -1 : 0;
}

json_t *js_mark_find(struct js *js, int64_t job_id, char *err, size_t errlen)
{
	char key[32];
	mark_key(job_id, key, sizeof(key));
	bson_t *f = BCON_NEW("_id", BCON_UTF8(key));
	json_t *found = js_find_raw(js, "job_marks", f, NULL, err, errlen);
	bson_destroy(f);
	if (!found)
		return NULL;
	json_t *mark = json_array_size(found) ? json_incref(json_array_get(found, 0)) : json_null();
	json_decref(found);
	return mark;
}

int js_mark_get(struct js *js, int64_t job_id, char *what, size_t len, char *err, size_t errlen)
{
	json_t *mark = js_mark_find(js, job_id, err, errlen);
	if (!mark)
		return -1;
	const char *w = json_string_value(json_object_get(mark, "what"));
	snprintf(what, len, "%s", w ? w : "");
	int rc = json_is_object(mark);
	json_decref(mark);
	return rc;
}

int js_marks_backfill(struct js *js, char *err, size_t errlen)
{
	bson_t *f = bson_new();
	bson_t *opts = BCON_NEW("projection", "{", "_id", BCON_INT32(1), "finished_at", BCON_INT32(1), "}");
	json_t *docs = js_find_raw(js, "finished", f, opts, err, errlen);
	bson_destroy(opts);
	bson_destroy(f);
	if (!docs)
		return -1;
	int rc = 0;
	for (size_t from = 0; from < json_array_size(docs) && rc == 0; from += BACKFILL_BATCH) {
		json_t *marks = json_array();
		for (size_t i = from; i < json_array_size(docs) && i < from + BACKFILL_BATCH; i++) {
			json_t *d = json_array_get(docs, i);
			char key[32];
			mark_key(json_integer_value(json_object_get(d, "_id")), key, sizeof(key));
			json_array_append_new(marks, json_pack("{s:s, s:O, s:s, s:I}", "_id", key, "job_id",
			                                       json_object_get(d, "_id"), "what", JS_MARK_FINISHED, "at",
			                                       json_integer_value(json_object_get(d, "finished_at"))));
		}
		rc = js_insert_many(js, "job_marks", marks, err, errlen);
		json_decref(marks);
	}
	json_decref(docs);
	return rc;
}
