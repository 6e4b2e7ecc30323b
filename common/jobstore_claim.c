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
 * 6. A claimer may die between its lock insert and its write of the document: the lock
 *    of attempt N+1 then exists while the document stays at N, and every other
 *    claimer's insert of that lock is a duplicate.  A claimer that finds the lock older
 *    than a lease takes the next free attempt (N+2, moving the document from N): the
 *    dead claimer's lease over N+1 would have ended by then, and a claim round that
 *    lasts until its lease's end moves nothing (point 3), so N+1 is never acted on.
 *
 * On real MongoDB every single-document write is atomic anyway, so the same steps hold
 * there a fortiori. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jobstore.h"
#include "common/jobstore_int.h"
#include "common/util.h"

static int64_t int_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* The document as owner now holds it, at attempt `to`. */
static json_t *claimed_copy(const json_t *doc, int64_t to, const char *owner, int64_t now, int64_t lease_ms)
{
	json_t *out = json_deep_copy(doc);
	json_object_set_new(out, "attempt", json_integer(to));
	json_object_set_new(out, "status", json_string("claimed"));
	json_object_set_new(out, "lease_owner", json_string(owner));
	json_object_set_new(out, "lease_until", json_integer(now + lease_ms));
	json_object_set_new(out, "claimed_at", json_integer(now));
	return out;
}

/* Of the ids (read at attempt `from`, their locks for `to` won), those now at `to` for
 * owner: one write moves them all on; only when it matched fewer than all (a job finished
 * or taken by an administrator meanwhile), one read tells which.  The ids won, or NULL. */
static json_t *move_on(struct js *js, json_t *ids, int64_t from, int64_t to, const char *owner, int64_t now,
                       int64_t lease_ms, char *err, size_t errlen)
{
	json_t *w = json_pack("{s:{s:O}, s:I}", "_id", "$in", ids, "attempt", (json_int_t)from);
	bson_t *f = w ? js_bson(w, err, errlen) : NULL;
	json_decref(w);
	if (!f)
		return NULL;
	bson_t *u = BCON_NEW("$set", "{", "attempt", BCON_INT64(to), "status", BCON_UTF8("claimed"),
	                     "lease_owner", BCON_UTF8(owner), "lease_until", BCON_INT64(now + lease_ms),
	                     "claimed_at", BCON_INT64(now), "}");
	int64_t matched = js_update_many(js, "jobs", f, u, err, errlen);
	bson_destroy(f);
	bson_destroy(u);
	if (matched < 0)
		return NULL;
	if ((size_t)matched == json_array_size(ids))
		return json_incref(ids);
	json_t *q = json_pack("{s:{s:O}, s:I, s:s}", "_id", "$in", ids, "attempt", (json_int_t)to, "lease_owner", owner);
	json_t *docs = q ? js_find(js, "jobs", q, NULL, 0, err, errlen) : NULL;
	json_decref(q);
	if (!docs)
		return NULL;
	json_t *mine = json_array();
	size_t i;
	json_t *d;
	json_array_foreach(docs, i, d)
		json_array_append(mine, json_object_get(d, "_id"));
	json_decref(docs);
	return mine;
}

static int in_ids(const json_t *ids, int64_t id)
{
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
		if (json_integer_value(v) == id)
			return 1;
	return 0;
}

static json_t *lock_doc(int64_t id, int64_t attempt, const char *owner, int64_t now)
{
	char key[64];
	snprintf(key, sizeof(key), "%lld:%lld", (long long)id, (long long)attempt);
	return json_pack("{s:s, s:I, s:I, s:s, s:I}", "_id", key, "job", (json_int_t)id, "attempt", (json_int_t)attempt,
	                 "owner", owner, "at", (json_int_t)now);
}

/* Was the lock of attempt `attempt` left by an owner that died between its two writes
 * (inserted more than a lease ago, the job still at the attempt before)?  The owner of
 * such a lock stopped acting when its lease would have ended (point 3). */
static int lock_abandoned(struct js *js, const json_t *doc, int64_t attempt, int64_t now, int64_t lease_ms,
                          char *err, size_t errlen)
{
	/* The lock is newer than the document's last change: no lookup while that is recent. */
	int64_t last = int_of(doc, "queued_at");
	static const char *const later[] = { "not_before", "lease_until", "claimed_at" };
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
		if (int_of(doc, later[i]) > last)
			last = int_of(doc, later[i]);
	if (last + lease_ms >= now)
		return 0;
	char key[64];
	snprintf(key, sizeof(key), "%lld:%lld", (long long)int_of(doc, "_id"), (long long)attempt);
	bson_t *f = BCON_NEW("_id", BCON_UTF8(key));
	json_t *found = js_find_raw(js, "locks", f, NULL, err, errlen);
	bson_destroy(f);
	const json_t *lock = json_array_get(found, 0);
	int abandoned = lock && int_of(lock, "at") + lease_ms < now;
	json_decref(found);
	return abandoned;
}

/* A job whose next lock was abandoned: own the first attempt after it whose lock is
 * free (a few at most).  1 won (*to set), 0 not, -1 error. */
static int skip_abandoned(struct js *js, const json_t *doc, int64_t *to, const char *owner, int64_t now,
                          int64_t lease_ms, char *err, size_t errlen)
{
	for (int tries = 0; tries < 8 && lock_abandoned(js, doc, *to, now, lease_ms, err, errlen); tries++) {
		json_t *lock = lock_doc(int_of(doc, "_id"), *to + 1, owner, now);
		int rc = js_insert(js, "locks", lock, err, errlen);
		json_decref(lock);
		++*to;
		if (rc <= 0)
			return rc == 0 ? 1 : -1;
	}
	return 0;
}

/* Own the next attempt of each of docs (each read at its attempt N): insert all their
 * locks for N+1 in one unordered write (a duplicate: another owner won that one, unless
 * it died before moving the job on), then move the won documents on, one write per
 * distinct (N, attempt won).  The documents as claimed are appended to won; the count
 * appended, or -1 on error (some may have been appended). */
static int take_all(struct js *js, const json_t *docs, const char *owner, int64_t now, int64_t lease_ms,
                    json_t *won, char *err, size_t errlen)
{
	size_t n = json_array_size(docs), i;
	json_t *doc, *locks = json_array();
	json_array_foreach(docs, i, doc)
		json_array_append_new(locks, lock_doc(int_of(doc, "_id"), int_of(doc, "attempt") + 1, owner, now));
	char *skip = malloc(n + 1);      /* 1: lost to another owner, or already moved on */
	int64_t *to = calloc(n + 1, sizeof(*to));
	int rc = skip && to ? js_insert_many_dups(js, "locks", locks, skip, err, errlen) : -1;
	if (!skip || !to)
		snprintf(err, errlen, "out of memory");
	json_decref(locks);
	for (i = 0; rc == 0 && i < n; i++) {
		to[i] = int_of(json_array_get(docs, i), "attempt") + 1;
		int got = skip[i] ? skip_abandoned(js, json_array_get(docs, i), &to[i], owner, now, lease_ms, err, errlen) : 1;
		skip[i] = got != 1;
	}
	int count = 0;
	for (size_t first = 0; rc == 0 && first < n; first++) {
		if (skip[first])
			continue;
		int64_t from = int_of(json_array_get(docs, first), "attempt"), next = to[first];
		json_t *ids = json_array();
		for (i = first; i < n; i++)
			if (!skip[i] && int_of(json_array_get(docs, i), "attempt") == from && to[i] == next) {
				json_array_append(ids, json_object_get(json_array_get(docs, i), "_id"));
				skip[i] = 1;
			}
		/* A round slow enough to reach the lease's end acts no more (point 3). */
		json_t *mine = wall_ms() < now + lease_ms - js_lease_margin(lease_ms)
		               ? move_on(js, ids, from, next, owner, now, lease_ms, err, errlen) : json_array();
		json_decref(ids);
		if (!mine) {
			rc = -1;
			break;
		}
		json_array_foreach(docs, i, doc)
			if (int_of(doc, "attempt") == from && to[i] == next && in_ids(mine, int_of(doc, "_id"))) {
				json_array_append_new(won, claimed_copy(doc, next, owner, now, lease_ms));
				count++;
			}
		json_decref(mine);
	}
	free(skip);
	free(to);
	return rc == 0 ? count : -1;
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
	/* Slices of what is still wanted, until enough are won or the candidates run out. */
	json_t *won = json_array();
	size_t next = 0, total = json_array_size(cand);
	while (json_array_size(won) < max && next < total) {
		size_t want = max - json_array_size(won), end = next + want < total ? next + want : total;
		json_t *slice = json_array();
		for (size_t i = next; i < end; i++)
			json_array_append(slice, json_array_get(cand, i));
		next = end;
		int got = take_all(js, slice, owner, now, lease_ms, won, err, errlen);
		json_decref(slice);
		if (got < 0 && json_array_size(won) == 0) {
			json_decref(cand);
			json_decref(won);
			return NULL;
		}
		if (got < 0)
			break;
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
	json_t *won = json_array();
	int got = take_all(js, found, owner, now, lease_ms, won, err, errlen);
	json_decref(found);
	json_t *mine = got > 0 ? json_incref(json_array_get(won, 0)) : NULL;
	json_decref(won);
	if (got == 0)
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

int64_t js_jobs_finish(struct js *js, const json_t *docs, char *err, size_t errlen)
{
	if (json_array_size(docs) == 0)
		return 0;
	json_t *ids = json_array(), *owned = json_array();
	size_t i;
	json_t *doc;
	json_array_foreach(docs, i, doc) {
		json_array_append(ids, json_object_get(doc, "_id"));
		json_array_append_new(owned, json_pack("{s:O, s:I}", "_id", json_object_get(doc, "_id"), "attempt",
		                                       (json_int_t)int_of(doc, "attempt")));
	}
	json_t *live = json_pack("{s:O}", "$or", owned);
	int64_t n = -1;
	if (js_insert_many(js, "finished", docs, err, errlen) == 0
	    && js_marks_put(js, ids, NULL, JS_MARK_FINISHED, wall_ms(), err, errlen) == 0)
		n = js_delete_json(js, "jobs", live, err, errlen);
	json_decref(live);
	json_decref(owned);
	json_decref(ids);
	return n;
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
	/* Its attempt stays: the locks of earlier attempts may still be there. */
	json_object_set_new(doc, "status", json_string("queued"));
	json_object_set_new(doc, "spawns", json_integer(0));
	json_object_set_new(doc, "spawned_at", json_integer(0));
	json_object_set_new(doc, "not_before", json_integer(0));
	json_object_set_new(doc, "lease_until", json_integer(0));
	json_object_set_new(doc, "queued_at", json_integer(now));
	json_object_del(doc, "finished_at");
	json_object_del(doc, "reason");
	js_history_add(doc, now, "retried", "by an administrator");
	int rc = js_insert(js, "jobs", doc, err, errlen);
	if (rc >= 0)
		rc = js_mark_forget(js, job_id, err, errlen);
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
	int64_t n = js_update_many(js, "jobs", f, u, err, errlen);
	bson_destroy(u);
	bson_destroy(f);
	return n;
}
