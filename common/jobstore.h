/* jobstore — the reactive job store in MongoDB (any MongoDB-wire server), through
 * libmongoc.  Every call here blocks: call them from the one thread that owns the
 * store (common/offload.h), never from an event loop.  ghr-jobs(7) documents the
 * collections and their documents.
 *
 * Collections (database: the URI's, default "ghr"):
 *   jobs        the live set: queued, claimed, spawned and picked jobs (kept small)
 *   locks       one document per claimed attempt, _id "<job id>:<attempt>"
 *   job_events  webhook facts about a job, _id "<job id>:<action>:<delivery>" (insert-only)
 *   finished    done and dead jobs, moved out of jobs; pruned after keep_done
 *   job_marks   _id "<job id>": the job was picked up or finished (insert-only)
 *
 * Return values: 0 success, JS_DUP (the unique key exists already), JS_LOST (the
 * document is no longer at the attempt the caller owns), -1 error with err set. */
#ifndef GHR_JOBSTORE_H
#define GHR_JOBSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define JS_DUP 1
#define JS_LOST 2
#define JS_HISTORY_MAX 20
/* An owner stops acting this long before its lease ends (clock skew between hosts):
 * 5 s, or a quarter of a shorter lease. */
#define JS_LEASE_MARGIN_MS 5000
static inline int64_t js_lease_margin(int64_t lease_ms)
{
	return lease_ms / 4 < JS_LEASE_MARGIN_MS ? lease_ms / 4 : JS_LEASE_MARGIN_MS;
}

struct js;

/* Parse the URI, set explicit timeouts (server selection, connect, socket: timeout_ms,
 * unless the URI sets them).  Nothing is contacted yet. */
struct js *js_open(const char *uri, int64_t timeout_ms, char *err, size_t errlen);
void js_close(struct js *js);
/* Create the collections and indexes if missing (idempotent). */
int js_ensure_schema(struct js *js, char *err, size_t errlen);
/* Cheap round trip (ping). */
int js_ping(struct js *js, char *err, size_t errlen);

/* Insert a new job (a queued job document, or a dead or done one, which goes to
 * finished at once).  JS_DUP when a job with this id is live or finished already: a redelivered
 * webhook never makes a second job. */
int js_job_put(struct js *js, const json_t *job, char *err, size_t errlen);
/* Insert many documents at once, unordered; those whose _id exists already are skipped
 * (a redelivery).  0, or -1 on any other error. */
int js_insert_many(struct js *js, const char *collection, const json_t *docs, char *err, size_t errlen);
/* The same, and dup[i] set to 1 for each document i skipped as a duplicate, 0 for each
 * inserted (dup: one byte per document). */
int js_insert_many_dups(struct js *js, const char *collection, const json_t *docs, char *dup,
                        char *err, size_t errlen);
/* Record a webhook fact about a job ({"job_id", "action", "delivery"?, …}); JS_DUP
 * when this delivery of it is known. */
int js_event_put(struct js *js, const json_t *event, char *err, size_t errlen);
/* Every fact recorded about a job (array, new reference). */
json_t *js_events(struct js *js, int64_t job_id, char *err, size_t errlen);

/* Claim up to max jobs for owner: queued ones whose not_before has passed, and claimed
 * or spawned ones whose lease ran out.  Returns an array of the claimed documents as
 * they now are (attempt, lease_until set), possibly empty; NULL on error. */
json_t *js_claim(struct js *js, const char *owner, int64_t now_ms, int64_t lease_ms, size_t max,
                 char *err, size_t errlen);
/* Set fields of a job the caller owns at `attempt`.  JS_LOST when it moved on. */
int js_job_set(struct js *js, int64_t job_id, int64_t attempt, const json_t *set,
               char *err, size_t errlen);
/* Extend the leases of the jobs (array of ids) that owner still holds, in one write;
 * the count of those still held (renewed), or -1.  Fewer than asked: some were taken
 * over; js_job_set on each tells which. */
int64_t js_renew(struct js *js, const char *owner, const json_t *ids, int64_t lease_until_ms,
                 char *err, size_t errlen);
/* Move jobs the caller owns to finished (docs: their final forms, each at the attempt
 * owned), three writes for all of them: into finished and job_marks first, then out of
 * jobs (their locks and facts stay until pruned).  The count of live documents removed
 * (fewer than asked: some moved on meanwhile), or -1. */
int64_t js_jobs_finish(struct js *js, const json_t *docs, char *err, size_t errlen);

/* Mark jobs (array of ids; runners: NULL, or the runner names, parallel) in job_marks;
 * a job keeps its first mark: JS_MARK_FINISHED (it went to finished), or "in_progress"
 * or "completed" (what GitHub reported). */
#define JS_MARK_FINISHED "finished"
/* A revived job starts afresh: its old mark (picked up by a runner gone since, or
 * finished) must not answer for it. */
int js_mark_forget(struct js *js, int64_t job_id, char *err, size_t errlen);
int js_marks_put(struct js *js, const json_t *ids, const json_t *runners, const char *what, int64_t at_ms,
                 char *err, size_t errlen);
/* A job's mark document (new reference; JSON null: none), NULL on error.  One lookup by
 * a text _id. */
json_t *js_mark_find(struct js *js, int64_t job_id, char *err, size_t errlen);
/* Its `what`: 1 (what set), 0 (no mark), -1 error. */
int js_mark_get(struct js *js, int64_t job_id, char *what, size_t len, char *err, size_t errlen);
/* Mark every job in finished (when job_marks is new, e.g. a store made before it). */
int js_marks_backfill(struct js *js, char *err, size_t errlen);

/* The job (live or finished), or NULL with err ("no job N" when unknown). */
json_t *js_job_get(struct js *js, int64_t job_id, char *err, size_t errlen);
/* Documents of a collection matching a JSON filter, newest-first by sort key when given,
 * at most limit (array, new reference). */
json_t *js_find(struct js *js, const char *collection, const json_t *filter, const char *sort_desc,
                int64_t limit, char *err, size_t errlen);
/* Delete finished jobs that finished before cutoff (epoch ms) and job events older than
 * that; locks older than that and than two leases (a stalled claimer may still hold
 * one); marks older than that by JS_MARK_KEEP_EXTRA_MS too (a mark is dated by the job's
 * first news, which may come that long before it finished).  The count of jobs deleted. */
#define JS_MARK_KEEP_EXTRA_MS (6LL * 24 * 3600 * 1000)  /* a day queued + GitHub's 5-day job limit */
int64_t js_prune_finished(struct js *js, int64_t cutoff_ms, int64_t lease_ms, char *err, size_t errlen);

/* Take attempt+1 of a job for an administrator (retry or drop), whatever its lease:
 * the document is returned at its new attempt, owned by owner. */
json_t *js_take(struct js *js, int64_t job_id, const char *owner, int64_t now_ms, int64_t lease_ms,
                char *err, size_t errlen);

/* Make a done or dead job live again, queued at the attempt it ended at (insert first,
 * then remove from finished, so a crash in between leaves it live rather than lost). */
json_t *js_job_revive(struct js *js, int64_t job_id, int64_t now_ms, char *err, size_t errlen);

/* Raw access for the kombu import: documents of a collection of another database of
 * the same server, and deleting one by its _id (given as the relaxed-JSON value). */
json_t *js_find_in(struct js *js, const char *db, const char *collection, int64_t limit,
                   char *err, size_t errlen);
int js_delete_in(struct js *js, const char *db, const char *collection, const json_t *id,
                 char *err, size_t errlen);
/* Insert one document there (tests: messages in the original router's format). */
int js_insert_in(struct js *js, const char *db, const char *collection, const json_t *doc,
                 char *err, size_t errlen);

/* Append {at, what, why} to doc's history, keeping the last JS_HISTORY_MAX entries. */
void js_history_add(json_t *doc, int64_t at_ms, const char *what, const char *why);

/* The URI with any password replaced by "***", for logs (buf). */
const char *js_uri_redacted(const char *uri, char *buf, size_t len);

#endif
