/* The original webhook router's queue: kombu's MongoDB transport keeps each message as
 * {payload: "<kombu envelope, JSON>", queue: "<flavor>", priority: N}; the envelope's
 * body (base64 when properties.body_encoding says so) is the job:
 * {"labels": [...], "status": "queued", "url": "https://api.github.com/repos/O/R/actions/jobs/ID"}.
 * Imported messages become ordinary queued jobs: insert first, remove the message second,
 * so a crash in between duplicates nothing (the insert is keyed by the job id). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/jobstore.h"
#include "common/log.h"
#include "common/offload.h"
#include "common/util.h"
#include "workers/reactive-consumer/rc.h"

#define BODY_MAX (1u << 20)
#define IMPORT_BATCH 100

static json_t *decode_body(const json_t *env, char *why, size_t whylen)
{
	const json_t *body = json_object_get(env, "body");
	if (json_is_object(body))
		return json_incref((json_t *)body);
	const char *text = json_string_value(body);
	size_t len = json_string_length(body);
	if (!text || len > BODY_MAX) {
		snprintf(why, whylen, "envelope has no body");
		return NULL;
	}
	const char *enc = json_string_value(json_object_get(json_object_get(env, "properties"), "body_encoding"));
	json_t *out = NULL;
	if (enc && strcmp(enc, "base64") == 0) {
		unsigned char *raw = malloc(len / 4 * 3 + 4);
		int n = raw && len % 4 == 0 ? EVP_DecodeBlock(raw, (const unsigned char *)text, (int)len) : -1;
		while (n > 0 && len >= 1 && text[len - 1] == '=') {   /* padding decodes to NULs */
			n--;
			len--;
		}
		if (n >= 0)
			out = json_loadb((const char *)raw, (size_t)n, 0, NULL);
		free(raw);
	} else
		out = json_loadb(text, len, 0, NULL);
	if (!json_is_object(out)) {
		json_decref(out);
		snprintf(why, whylen, "body is not a JSON object%s", enc ? " (after base64)" : "");
		return NULL;
	}
	return out;
}

/* ".../repos/OWNER/REPO/actions/jobs/ID" → repo and id. */
static int parse_url(const char *url, char *repo, size_t repolen, int64_t *id)
{
	const char *r = url ? strstr(url, "/repos/") : NULL;
	const char *j = r ? strstr(r, "/actions/jobs/") : NULL;
	if (!j)
		return -1;
	r += 7;
	size_t n = (size_t)(j - r);
	const char *slash = memchr(r, '/', n);
	if (n == 0 || n >= repolen || !slash || slash == r || slash == j - 1 || memchr(slash + 1, '/', (size_t)(j - slash - 1)))
		return -1;
	memcpy(repo, r, n);
	repo[n] = 0;
	char *end;
	long long v = strtoll(j + 14, &end, 10);
	if (v <= 0 || (*end && *end != '/' && *end != '?'))
		return -1;
	*id = v;
	return 0;
}

static const char *pool_for(const json_t *pools, const char *queue)
{
	size_t i;
	const json_t *p;
	json_array_foreach(pools, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *flavor = json_string_value(json_object_get(p, "flavor"));
		if (json_is_true(json_object_get(p, "reactive")) && name
		    && ((flavor && strcmp(flavor, queue) == 0) || strcmp(name, queue) == 0))
			return name;
	}
	return NULL;
}

json_t *rc_kombu_job(const json_t *msg, const json_t *pools, int64_t now, char *why, size_t whylen)
{
	const json_t *payload = json_object_get(msg, "payload");
	const char *queue = json_string_value(json_object_get(msg, "queue"));
	json_t *env = json_is_string(payload)
		? json_loadb(json_string_value(payload), json_string_length(payload), 0, NULL)
		: json_incref((json_t *)payload);
	if (!queue || !json_is_object(env)) {
		json_decref(env);
		snprintf(why, whylen, "not a kombu message (payload, queue)");
		return NULL;
	}
	json_t *body = decode_body(env, why, whylen);
	json_decref(env);
	if (!body)
		return NULL;
	char repo[256];
	int64_t id;
	const json_t *labels = json_object_get(body, "labels");
	json_t *doc = NULL;
	if (!json_is_array(labels) || parse_url(json_string_value(json_object_get(body, "url")), repo,
	                                        sizeof(repo), &id) != 0)
		snprintf(why, whylen, "job body lacks labels or a .../repos/O/R/actions/jobs/ID url");
	else {
		const char *pool = pool_for(pools, queue);
		char reason[200];
		snprintf(reason, sizeof(reason), "queue %.100s matches no reactive pool (by flavor or name)", queue);
		doc = json_pack("{s:I, s:s, s:O, s:I, s:s, s:I, s:I, s:I, s:I, s:[]}", "_id", (json_int_t)id, "repo", repo,
		                "labels", labels, "run_id", (json_int_t)0, "status", pool ? "queued" : "dead",
		                "attempt", (json_int_t)0, "spawns", (json_int_t)0, "not_before", (json_int_t)0,
		                "queued_at", (json_int_t)now, "deliveries");
		if (doc && pool)
			json_object_set_new(doc, "pool", json_string(pool));
		else if (doc) {
			json_object_set_new(doc, "reason", json_string(reason));
			json_object_set_new(doc, "finished_at", json_integer(now));
		}
		if (doc)
			js_history_add(doc, now, pool ? "queued" : "dead", pool ? "imported from kombu" : reason);
	}
	json_decref(body);
	return doc;
}

/* ---- the import, on the store thread ------------------------------------------------ */

struct import {
	struct rc *rc;
	struct wreq *req;         /* NULL: the continuous import */
	char db[64];
	int64_t limit, imported, skipped, now;
	int code;
	char err[256];
};

static void run_import(void *ctx, void *arg)
{
	struct import *im = arg;
	json_t *msgs = js_find_in(ctx, im->db, "messages", im->limit, im->err, sizeof(im->err));
	if (!msgs) {
		im->code = -1;
		return;
	}
	size_t i;
	json_t *m;
	json_array_foreach(msgs, i, m) {
		char why[256];
		json_t *doc = rc_kombu_job(m, im->rc->pools, im->now, why, sizeof(why));
		if (!doc) {
			im->skipped++;
			continue;
		}
		int rc = js_job_put(ctx, doc, im->err, sizeof(im->err));
		json_decref(doc);
		if (rc < 0 || js_delete_in(ctx, im->db, "messages", json_object_get(m, "_id"), im->err,
		                           sizeof(im->err)) != 0) {
			im->code = -1;
			break;
		}
		im->imported++;
	}
	json_decref(msgs);
}

static void import_done(void *arg)
{
	struct import *im = arg;
	if (!im->req)
		im->rc->importing = 0;
	if (im->imported || im->code)
		log_info("kombu import", "database=%s imported=%lld skipped=%lld error=\"%s\"", im->db,
		         (long long)im->imported, (long long)im->skipped, im->code ? im->err : "");
	if (im->req && im->code)
		worker_reply_err(im->req, PROTO_E_UNAVAILABLE, 0, "kombu import: %s (imported %lld)", im->err,
		                 (long long)im->imported);
	else if (im->req)
		worker_reply_ok(im->req, json_pack("{s:I, s:I}", "imported", (json_int_t)im->imported,
		                                   "skipped", (json_int_t)im->skipped));
	free(im);
}

int rc_kombu_start(struct rc *rc, struct wreq *req, const char *db, int64_t limit)
{
	struct import *im = calloc(1, sizeof(*im));
	if (!im || !rc->off || strlen(db) >= sizeof(im->db) || !*db) {
		free(im);
		return -1;
	}
	im->rc = rc;
	im->req = req;
	snprintf(im->db, sizeof(im->db), "%s", db);
	im->limit = limit > 0 ? limit : IMPORT_BATCH;
	im->now = wall_ms();
	if (offload_submit(rc->off, run_import, import_done, im) != 0) {
		free(im);
		return -1;
	}
	return 0;
}

void rc_store_kombu(struct rc *rc)
{
	if (rc_kombu_start(rc, NULL, rc->kombu_db, IMPORT_BATCH) == 0)
		rc->importing = 1;
}
