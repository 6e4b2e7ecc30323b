/* The claim protocol: exactly one owner per attempt of a job, on any MongoDB-wire server.
 *
 * Why it is correct, also where findAndModify, $inc and update-with-filter are not
 * atomic (FerretDB reads, filters in its own process, then replaces by _id):
 *
 * 1. The only step relied on to be atomic is the insert of a document with a unique
 *    _id.  Every such server enforces _id uniqueness (duplicate key, code 11000).  A
 *    job's attempt N is owned by whoever inserted locks {_id: "<job id>:<N>"}; at most
 *    one insert of that _id succeeds, so at most one process ever owns attempt N.
 * 2. A job document carries `attempt`, the attempt of its current owner.  A claimer
 *    that read attempt N may only claim N+1, so two claimers that read the same
 *    document race for the same lock and one of them loses (11000) without writing.
 * 3. The job document is written only by the owner of its current attempt (filter
 *    {_id, attempt: N}).  A write by an older owner could, on a non-atomic server, land
 *    after a takeover; that is ruled out by the lease: attempt N+1 may be claimed only
 *    when the document's lease_until has passed, and an owner stops writing and acting
 *    once its own deadline (lease_until minus js_lease_margin(), measured when the
 *    renewal was sent) has passed without a successful renewal.  This assumes the
 *    clocks of the hosts sharing the database differ by less than the margin (NTP).
 * 4. The webhook side never updates a job document: it inserts the job (unique _id =
 *    GitHub job id, so a redelivery is a duplicate) and inserts facts into job_events
 *    (unique "<job id>:<action>"), so no lost update can come from there either.
 * 5. Finishing inserts the final document into finished (unique _id) before deleting
 *    the live one: a crash in between leaves a live job that a later claimer finishes
 *    again (the insert is then a duplicate) — nothing is lost and nothing doubled.
 *
 * On real MongoDB every single-document write is atomic anyway, so the same steps hold
 * there a fortiori. */
#include <stdio.h>
#include <string.h>

#include "common/jobstore.h"
#include "common/jobstore_int.h"
#include "common/util.h"

static int64_t int_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static int lock_attempt(struct js *js, int64_t id, int64_t attempt, const char *owner, int64_t now,
                        char *err, size_t errlen)
{
	char key[64];
	snprintf(key, sizeof(key), "%lld:%lld", (long long)id, (long long)attempt);
	json_t *lock = json_pack("{s:s, s:I, s:I, s:s, s:I}", "_id", key, "job", (json_int_t)id,
	                         "attempt", (json_int_t)attempt, "owner", owner, "at", (json_int_t)now);
	int rc = lock ? js_insert(js, "locks", lock, err, errlen) : -1;
	json_decref(lock);
	return rc;
}

/* Own attempt N+1 of doc (read at attempt N): lock, then move the document on.
 * Returns the document as claimed, NULL with *rc set otherwise. */
static json_t *take(struct js *js, json_t *doc, const char *owner, int64_t now, int64_t lease_ms,
                    int *rc, char *err, size_t errlen)
{
	int64_t id = int_of(doc, "_id"), n = int_of(doc, "attempt");
	*rc = lock_attempt(js, id, n + 1, owner, now, err, errlen);
	if (*rc != 0)
		return NULL;
	bson_t *f = BCON_NEW("_id", BCON_INT64(id), "attempt", BCON_INT64(n));
	bson_t *u = BCON_NEW("$set", "{", "attempt", BCON_INT64(n + 1), "status", BCON_UTF8("claimed"),
	                     "lease_owner", BCON_UTF8(owner), "lease_until", BCON_INT64(now + lease_ms),
	                     "claimed_at", BCON_INT64(now), "}");
	*rc = js_update_one(js, "jobs", f, u, err, errlen);
	bson_destroy(f);
	bson_destroy(u);
	if (*rc != 0)
		return NULL;
	json_t *out = json_deep_copy(doc);
	json_object_set_new(out, "attempt", json_integer(n + 1));
	json_object_set_new(out, "status", json_string("claimed"));
	json_object_set_new(out, "lease_owner", json_string(owner));
	json_object_set_new(out, "lease_until", json_integer(now + lease_ms));
	json_object_set_new(out, "claimed_at", json_integer(now));
	return out;
}

json_t *js_claim(struct js *js, const char *owner, int64_t now, int64_t lease_ms, size_t max,
                 char *err, size_t errlen)
{
	bson_t *f = BCON_NEW("$or", "[",
	                     "{", "status", BCON_UTF8("queued"), "not_before", "{", "$lte", BCON_INT64(now), "}", "}",
	                     "{", "status", "{", "$in", "[", BCON_UTF8("claimed"), BCON_UTF8("spawned"),
	                     BCON_UTF8("picked"), "]", "}",
	                     "lease_until", "{", "$lt", BCON_INT64(now), "}", "}",
	                     "]");
	/* The oldest few times more than wanted, tried in a random order: claimers that read
	 * the same window then mostly try different jobs instead of racing for each one. */
	bson_t *opts = BCON_NEW("sort", "{", "queued_at", BCON_INT32(1), "}",
	                        "limit", BCON_INT64((int64_t)max * 4));
	json_t *cand = js_find_raw(js, "jobs", f, opts, err, errlen);
	bson_destroy(f);
	bson_destroy(opts);
	if (!cand)
		return NULL;
	for (size_t k = json_array_size(cand); k > 1; k--) {
		size_t r = (size_t)(random_u64() % k);
		json_t *a = json_incref(json_array_get(cand, k - 1));
		json_array_set(cand, k - 1, json_array_get(cand, r));
		json_array_set_new(cand, r, a);
	}
	json_t *won = json_array();
	size_t i;
	json_t *doc;
	json_array_foreach(cand, i, doc) {
		if (json_array_size(won) >= max)
			break;
		int rc;
		json_t *mine = take(js, doc, owner, now, lease_ms, &rc, err, errlen);
		if (mine)
			json_array_append_new(won, mine);
		else if (rc < 0 && json_array_size(won) == 0) {
			json_decref(cand);
			json_decref(won);
			return NULL;
		}
	}
	json_decref(cand);
	return won;
}

json_t *js_take(struct js *js, int64_t job_id, const char *owner, int64_t now, int64_t lease_ms,
                char *err, size_t errlen)
{
	bson_t *f = BCON_NEW("_id", BCON_INT64(job_id));
	json_t *found = js_find_raw(js, "jobs", f, NULL, err, errlen);
	bson_destroy(f);
	if (!found)
		return NULL;
	if (json_array_size(found) == 0) {
		snprintf(err, errlen, "no live job %lld", (long long)job_id);
		json_decref(found);
		return NULL;
	}
	int rc;
	json_t *mine = take(js, json_array_get(found, 0), owner, now, lease_ms, &rc, err, errlen);
	json_decref(found);
	if (!mine && rc > 0)
		snprintf(err, errlen, "job %lld changed meanwhile; try again", (long long)job_id);
	return mine;
}

int js_job_set(struct js *js, int64_t job_id, int64_t attempt, const json_t *set, char *err, size_t errlen)
{
	json_t *w = json_pack("{s:O}", "$set", set);
	bson_t *u = w ? js_bson(w, err, errlen) : NULL;
	json_decref(w);
	if (!u)
		return -1;
	bson_t *f = BCON_NEW("_id", BCON_INT64(job_id), "attempt", BCON_INT64(attempt));
	int rc = js_update_one(js, "jobs", f, u, err, errlen);
	bson_destroy(f);
	bson_destroy(u);
	return rc;
}

int js_job_finish(struct js *js, const json_t *doc, int64_t attempt, char *err, size_t errlen)
{
	int64_t id = int_of(doc, "_id");
	int rc = js_insert(js, "finished", doc, err, errlen);
	if (rc < 0)
		return -1;
	bson_t *f = BCON_NEW("_id", BCON_INT64(id), "attempt", BCON_INT64(attempt));
	int64_t n = js_delete(js, NULL, "jobs", f, 0, err, errlen);
	bson_destroy(f);
	if (n < 0)
		return -1;
	bson_t *lf = BCON_NEW("job", BCON_INT64(id));
	int64_t m = js_delete(js, NULL, "locks", lf, 1, err, errlen);
	bson_destroy(lf);
	if (m < 0)
		return -1;
	bson_t *ef = BCON_NEW("job_id", BCON_INT64(id));
	m = js_delete(js, NULL, "job_events", ef, 1, err, errlen);
	bson_destroy(ef);
	return m < 0 ? -1 : n == 0 ? JS_LOST : 0;
}

json_t *js_job_revive(struct js *js, int64_t job_id, int64_t now, char *err, size_t errlen)
{
	bson_t *f = BCON_NEW("_id", BCON_INT64(job_id));
	json_t *found = js_find_raw(js, "finished", f, NULL, err, errlen);
	if (!found) {
		bson_destroy(f);
		return NULL;
	}
	json_t *doc = json_array_size(found) ? json_deep_copy(json_array_get(found, 0)) : NULL;
	json_decref(found);
	if (!doc) {
		snprintf(err, errlen, "no finished job %lld", (long long)job_id);
		bson_destroy(f);
		return NULL;
	}
	json_object_set_new(doc, "status", json_string("queued"));
	json_object_set_new(doc, "attempt", json_integer(0));
	json_object_set_new(doc, "spawns", json_integer(0));
	json_object_set_new(doc, "spawned_at", json_integer(0));
	json_object_set_new(doc, "not_before", json_integer(0));
	json_object_set_new(doc, "lease_until", json_integer(0));
	json_object_set_new(doc, "queued_at", json_integer(now));
	json_object_del(doc, "finished_at");
	json_object_del(doc, "reason");
	js_history_add(doc, now, "retried", "by an administrator");
	int rc = js_insert(js, "jobs", doc, err, errlen);
	int64_t n = rc >= 0 ? js_delete(js, NULL, "finished", f, 0, err, errlen) : -1;
	bson_destroy(f);
	if (n < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int64_t js_renew(struct js *js, const char *owner, const json_t *ids, int64_t until, char *err, size_t errlen)
{
	json_t *w = json_pack("{s:{s:O}, s:s}", "_id", "$in", ids, "lease_owner", owner);
	bson_t *f = w ? js_bson(w, err, errlen) : NULL;
	json_decref(w);
	if (!f)
		return -1;
	bson_t *u = BCON_NEW("$set", "{", "lease_until", BCON_INT64(until), "}");
	mongoc_collection_t *c = js_coll(js, "jobs");
	bson_t reply;
	bson_error_t e;
	int64_t n = -1;
	if (!mongoc_collection_update_many(c, f, u, NULL, &reply, &e))
		js_set_err(err, errlen, "jobs", &e);
	else {
		bson_iter_t it;
		n = bson_iter_init_find(&it, &reply, "matchedCount") ? bson_iter_as_int64(&it) : 0;
	}
	bson_destroy(&reply);
	mongoc_collection_destroy(c);
	bson_destroy(u);
	bson_destroy(f);
	return n;
}
