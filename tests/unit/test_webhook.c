/* The webhook worker's pure parts: signature check, payload → record, routing by
 * labels, and the spool (append, peek, drained, torn tail, start over, a directory
 * that is not its own refused). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tests/unit/unit.h"
#include "workers/webhook/wh.h"

static void sign(const char *secret, const char *body, char out[80])
{
	unsigned char mac[32];
	unsigned int n = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body), mac, &n);
	strcpy(out, "sha256=");
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 7 + 2 * i, "%02x", mac[i]);
}

static void test_signature(void)
{
	const char *body = "{\"action\":\"queued\"}";
	char h[80];
	sign("s3cret", body, h);
	CU_ASSERT_EQUAL(wh_signature_ok("s3cret", 6, body, strlen(body), h), 1);
	CU_ASSERT_EQUAL(wh_signature_ok("other!", 6, body, strlen(body), h), 0);
	CU_ASSERT_EQUAL(wh_signature_ok("s3cret", 6, body, strlen(body) - 1, h), 0);
	CU_ASSERT_EQUAL(wh_signature_ok("s3cret", 6, body, strlen(body), NULL), 0);
	CU_ASSERT_EQUAL(wh_signature_ok("s3cret", 6, body, strlen(body), h + 7), 0);   /* no prefix */
	h[20] = h[20] == 'a' ? 'b' : 'a';
	CU_ASSERT_EQUAL(wh_signature_ok("s3cret", 6, body, strlen(body), h), 0);
	CU_ASSERT_EQUAL(wh_signature_ok("s3cret", 6, body, strlen(body), "sha256=zz"), 0);
	sign("s3cret", body, h);
	h[70] = 0;
	CU_ASSERT_EQUAL(wh_signature_ok("s3cret", 6, body, strlen(body), h), 0);     /* short */
}

static struct wh_pool *pools(size_t *n)
{
	json_t *cfg = json_loads("[{\"name\":\"plain\",\"labels\":[\"gpu\"]},"
	                         "{\"name\":\"big\",\"labels\":[\"GPU\",\"large\"],\"reactive\":true},"
	                         "{\"name\":\"gpu\",\"labels\":[\"gpu\"],\"reactive\":true}]", 0, NULL);
	struct wh_pool *p = wh_pools_from(cfg, n);
	json_decref(cfg);
	return p;
}

static void test_routing(void)
{
	size_t n;
	struct wh_pool *p = pools(&n);
	char why[256];
	json_t *l = json_pack("[s,s,s]", "self-hosted", "Linux", "gpu");
	const struct wh_pool *r = wh_route(p, n, l, 1, why, sizeof(why));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r->name, "big");              /* first reactive pool in config order */
	r = wh_route(p, n, l, 0, why, sizeof(why));
	CU_ASSERT_STRING_EQUAL(r->name, "plain");
	json_decref(l);
	l = json_pack("[s,s]", "gpu", "huge");
	CU_ASSERT_PTR_NULL(wh_route(p, n, l, 1, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "fit no reactive pool"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "huge"));
	json_decref(l);
	wh_pools_free(p, n);
}

static void test_record(void)
{
	size_t n;
	struct wh_pool *p = pools(&n);
	struct wh_scope org, repo;
	char err[512];
	CU_ASSERT_EQUAL(wh_scope_parse("ghr-org", &org, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(wh_scope_parse("ghr-org/one", &repo, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(wh_scope_parse("a/b/c", &repo, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(wh_scope_parse("ghr-org/one", &repo, err, sizeof(err)), 0);
	const char *ok = "{\"action\":\"in_progress\",\"workflow_job\":{\"id\":7,\"run_id\":9,\"labels\":[\"GPU\"],"
	                 "\"runner_name\":\"t-gpu-1\",\"workflow_name\":\"CI\",\"started_at\":\"2026-01-01T00:00:00Z\","
	                 "\"conclusion\":null},\"repository\":{\"full_name\":\"GHR-org/one\"}}";
	enum wh_verdict v;
	json_t *rec = wh_job_record(ok, strlen(ok), &org, p, n, &v, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	CU_ASSERT_EQUAL(v, WH_OK);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(rec, "job_id")), 7);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rec, "pool")), "big");   /* gpu ⊆ {gpu, large} */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rec, "workflow")), "CI");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rec, "runner_name")), "t-gpu-1");
	CU_ASSERT_PTR_NULL(json_object_get(rec, "conclusion"));      /* null: left out */
	json_decref(rec);
	rec = wh_job_record(ok, strlen(ok), &repo, p, n, &v, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(rec);                                 /* same repository, any case */
	json_decref(rec);
	struct wh_scope other;
	wh_scope_parse("ghr-org/two", &other, err, sizeof(err));
	CU_ASSERT_PTR_NULL(wh_job_record(ok, strlen(ok), &other, p, n, &v, err, sizeof(err)));
	CU_ASSERT_EQUAL(v, WH_FOREIGN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "outside github.path"));
	static const char *const bad[] = {
		"{", "[]", "{\"action\":\"queued\"}",
		"{\"action\":\"queued\",\"workflow_job\":{\"id\":-1,\"labels\":[]},\"repository\":{\"full_name\":\"a/b\"}}",
		"{\"action\":\"queued\",\"workflow_job\":{\"id\":1,\"labels\":[5]},\"repository\":{\"full_name\":\"ghr-org/b\"}}",
		"{\"action\":\"queued\",\"workflow_job\":{\"id\":1,\"labels\":[]},\"repository\":{\"full_name\":\"nobody\"}}",
		"{\"action\":\"queued\",\"action\":\"queued\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_PTR_NULL(wh_job_record(bad[i], strlen(bad[i]), &org, p, n, &v, err, sizeof(err)));
		CU_ASSERT_EQUAL(v, WH_BAD);
	}
	wh_pools_free(p, n);
}

static void test_spool(void)
{
	char dir[] = "/tmp/ghr-unit-spool-XXXXXX", err[256];
	int temporary = -1;
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	struct wh_spool *s = wh_spool_open(dir, &temporary, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (int i = 1; i <= 3; i++) {
		json_t *r = json_pack("{s:i}", "n", i);
		CU_ASSERT_EQUAL(wh_spool_append(s, r, err, sizeof(err)), 0);
		json_decref(r);
	}
	CU_ASSERT_EQUAL(wh_spool_pending(s), 3);
	int64_t end;
	json_t *got = wh_spool_peek(s, 2, &end, err, sizeof(err));
	CU_ASSERT_EQUAL(json_array_size(got), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(got, 1), "n")), 2);
	json_decref(got);
	CU_ASSERT_EQUAL(wh_spool_drained(s, end, 2, err, sizeof(err)), 0);
	wh_spool_close(s);
	/* A torn append (a crash mid-write) is cut; the drained offset survives a restart. */
	char path[300];
	snprintf(path, sizeof(path), "%s/spool.jsonl", dir);
	int fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_EQUAL(write(fd, "{\"n\":4", 6), 6);
	close(fd);
	s = wh_spool_open(dir, &temporary, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(wh_spool_pending(s), 1);
	got = wh_spool_peek(s, 10, &end, err, sizeof(err));
	CU_ASSERT_EQUAL(json_array_size(got), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(got, 0), "n")), 3);
	json_decref(got);
	CU_ASSERT_EQUAL(wh_spool_drained(s, end, 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(wh_spool_pending(s), 0);
	json_t *r = json_pack("{s:i}", "n", 5);
	CU_ASSERT_EQUAL(wh_spool_append(s, r, err, sizeof(err)), 0);
	json_decref(r);
	got = wh_spool_peek(s, 10, &end, err, sizeof(err));
	CU_ASSERT_EQUAL(json_array_size(got), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(got, 0), "n")), 5);
	json_decref(got);
	wh_spool_close(s);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static int spool_refused(const char *dir, const char *why)
{
	char err[512];
	int temporary = -1;
	struct wh_spool *s = wh_spool_open(dir, &temporary, err, sizeof(err));
	wh_spool_close(s);
	if (!s && !strstr(err, why))
		fprintf(stderr, "\n  %s: \"%s\" does not say \"%s\"\n", dir, err, why);
	return !s && strstr(err, why) && temporary == 0;
}

/* Another worker (same group, a directory it may write) must not be able to read or
 * redirect the spool: a directory of another owner, with group or other bits, or a
 * symbolic link is refused (exit 78: no restart makes it right); files in it are
 * never reached through a symbolic link. */
static void test_spool_dir_must_be_own(void)
{
	char base[] = "/tmp/ghr-unit-spooldir-XXXXXX", d[300], link[300], file[300], err[256];
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(base));
	snprintf(d, sizeof(d), "%s/spool", base);
	CU_ASSERT_EQUAL_FATAL(mkdir(d, 0700), 0);
	CU_ASSERT_EQUAL(chmod(d, 0770), 0);
	CU_ASSERT_TRUE(spool_refused(d, "mode 0770"));
	CU_ASSERT_EQUAL(chmod(d, 0700), 0);
	snprintf(link, sizeof(link), "%s/link", base);
	CU_ASSERT_EQUAL(symlink(d, link), 0);
	CU_ASSERT_TRUE(spool_refused(link, "symbolic link"));
	if (geteuid() == 0) {   /* the suites run as root */
		CU_ASSERT_EQUAL(chown(d, 65534, 65534), 0);
		CU_ASSERT_TRUE(spool_refused(d, "owner uid 65534"));
		CU_ASSERT_EQUAL(chown(d, 0, 0), 0);
	}
	/* the offset file is not followed out of the directory: a planted link counts as no
	 * offset (everything re-drained, which the store takes idempotently) and is replaced */
	snprintf(file, sizeof(file), "%s/elsewhere", base);
	FILE *f = fopen(file, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("7\n", f);
	fclose(f);
	char drained[320];
	snprintf(drained, sizeof(drained), "%s/drained", d);
	CU_ASSERT_EQUAL(symlink(file, drained), 0);
	int temporary = -1;
	struct wh_spool *s = wh_spool_open(d, &temporary, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(temporary, 0);
	json_t *r = json_pack("{s:i}", "n", 1);
	CU_ASSERT_EQUAL(wh_spool_append(s, r, err, sizeof(err)), 0);
	json_decref(r);
	int64_t end;
	json_t *got = wh_spool_peek(s, 10, &end, err, sizeof(err));
	CU_ASSERT_EQUAL(json_array_size(got), 1);
	json_decref(got);
	CU_ASSERT_EQUAL(wh_spool_drained(s, end, 1, err, sizeof(err)), 0);
	wh_spool_close(s);
	struct stat st;
	CU_ASSERT_EQUAL(lstat(drained, &st), 0);
	CU_ASSERT_TRUE(S_ISREG(st.st_mode));
	char *outside = NULL;
	size_t cap = 0;
	f = fopen(file, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_TRUE(getline(&outside, &cap, f) > 0);
	CU_ASSERT_STRING_EQUAL(outside, "7\n");   /* untouched */
	free(outside);
	fclose(f);
	/* nor is the spool file itself */
	char spool[320];
	snprintf(spool, sizeof(spool), "%s/spool.jsonl", d);
	CU_ASSERT_EQUAL(unlink(spool), 0);
	CU_ASSERT_EQUAL(symlink(file, spool), 0);
	s = wh_spool_open(d, &temporary, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s);
	wh_spool_close(s);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

UNIT_SUITE(webhook,
	UNIT_TEST(test_signature),
	UNIT_TEST(test_routing),
	UNIT_TEST(test_record),
	UNIT_TEST(test_spool),
	UNIT_TEST(test_spool_dir_must_be_own))
