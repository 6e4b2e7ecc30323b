/* jobrace — drive the job store directly, for the claim race test and benchmark.
 *
 *   jobrace URI seed N [FIRST_ID]     create the schema and N queued jobs (ids FIRST_ID..)
 *   jobrace URI claim OWNER IDLE_MS [BATCH]
 *                                     claim until IDLE_MS pass with nothing claimed;
 *                                     one line "claimed ID ATTEMPT" per claim, then
 *                                     "total N ms M" (claims and wall time)
 *   jobrace URI insert DB COLLECTION  insert the JSON documents read from stdin (one a line)
 *   jobrace URI list                  every job, live and finished: one JSON line each
 *                                     {"id", "status", "spawns", "attempt", "reason",
 *                                      "runner", "queued_at"}
 * Exit 0, or 1 with the store's error on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "common/jobstore.h"
#include "common/util.h"

static int seed(struct js *js, long n, long first, char *err, size_t errlen)
{
	if (js_ensure_schema(js, err, errlen) != 0)
		return -1;
	for (long i = 0; i < n; i++) {
		json_t *job = json_pack("{s:I, s:s, s:s, s:[s], s:s, s:I, s:I, s:I}", "_id", (json_int_t)(first + i),
		                        "repo", "ghr-org/race", "pool", "race", "labels", "race",
		                        "status", "queued", "attempt", (json_int_t)0,
		                        "not_before", (json_int_t)0, "queued_at", (json_int_t)wall_ms());
		int rc = js_job_put(js, job, err, errlen);
		json_decref(job);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int claim(struct js *js, const char *owner, int64_t idle_ms, size_t batch, char *err, size_t errlen)
{
	int64_t start = now_ms(), last = start;
	long total = 0;
	while (now_ms() - last < idle_ms) {
		json_t *got = js_claim(js, owner, wall_ms(), 600000, batch, err, errlen);
		if (!got)
			return -1;
		size_t i;
		json_t *doc;
		json_array_foreach(got, i, doc) {
			printf("claimed %lld %lld\n", (long long)json_integer_value(json_object_get(doc, "_id")),
			       (long long)json_integer_value(json_object_get(doc, "attempt")));
			total++;
		}
		if (json_array_size(got) > 0)
			last = now_ms();
		json_decref(got);
	}
	printf("total %ld ms %lld\n", total, (long long)(last - start));
	return 0;
}

static int list(struct js *js, char *err, size_t errlen)
{
	static const char *const colls[] = { "jobs", "finished" };
	for (size_t c = 0; c < 2; c++) {
		json_t *docs = js_find(js, colls[c], NULL, NULL, 0, err, errlen);
		if (!docs)
			return -1;
		size_t i;
		json_t *d;
		json_array_foreach(docs, i, d) {
			json_t *o = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(d, "_id"),
			                      "runner", json_object_get(d, "runner") ?: json_null(),
			                      "queued_at", json_object_get(d, "queued_at") ?: json_null(),
			                      "status", json_object_get(d, "status") ?: json_null(),
			                      "spawns", json_object_get(d, "spawns") ?: json_null(),
			                      "attempt", json_object_get(d, "attempt") ?: json_null(),
			                      "reason", json_object_get(d, "reason") ?: json_null());
			char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
			if (line)
				printf("%s\n", line);
			free(line);
			json_decref(o);
		}
		json_decref(docs);
	}
	return 0;
}

int main(int argc, char **argv)
{
	char err[512] = "";
	if (argc == 3 && strcmp(argv[2], "list") == 0) {
		struct js *js = js_open(argv[1], 5000, err, sizeof(err));
		int rc = js ? list(js, err, sizeof(err)) : -1;
		if (rc != 0)
			fprintf(stderr, "jobrace: %s\n", err);
		js_close(js);
		return rc == 0 ? 0 : 1;
	}
	if (argc == 5 && strcmp(argv[2], "insert") == 0) {
		struct js *js = js_open(argv[1], 5000, err, sizeof(err));
		char line[65536];
		int rc = js ? 0 : -1;
		while (rc == 0 && fgets(line, sizeof(line), stdin)) {
			json_t *doc = json_loads(line, 0, NULL);
			rc = doc ? js_insert_in(js, argv[3], argv[4], doc, err, sizeof(err)) : -1;
			if (!doc)
				snprintf(err, sizeof(err), "not a JSON document: %.80s", line);
			json_decref(doc);
		}
		if (rc != 0)
			fprintf(stderr, "jobrace: %s\n", err);
		js_close(js);
		return rc == 0 ? 0 : 1;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: jobrace URI seed N [FIRST] | jobrace URI claim OWNER IDLE_MS [BATCH]\n");
		return 2;
	}
	struct js *js = js_open(argv[1], 5000, err, sizeof(err));
	if (!js) {
		fprintf(stderr, "jobrace: %s\n", err);
		return 1;
	}
	int rc;
	if (strcmp(argv[2], "seed") == 0)
		rc = seed(js, atol(argv[3]), argc > 4 ? atol(argv[4]) : 1, err, sizeof(err));
	else if (strcmp(argv[2], "claim") == 0 && argc >= 5)
		rc = claim(js, argv[3], atol(argv[4]), argc > 5 ? (size_t)atol(argv[5]) : 20, err, sizeof(err));
	else {
		fprintf(stderr, "jobrace: unknown command %s\n", argv[2]);
		rc = -1;
	}
	if (rc != 0 && *err)
		fprintf(stderr, "jobrace: %s\n", err);
	js_close(js);
	return rc == 0 ? 0 : 1;
}
