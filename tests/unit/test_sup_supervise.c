/* Supervision decisions: exit descriptions, restart decisions, the restart-intensity
 * window, the pending-request table, instance names and slices. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/sup.h"
#include "tests/unit/unit.h"

static int exited(int code) { return (code & 0xff) << 8; }   /* as waitpid reports */
static int signalled(int sig) { return sig & 0x7f; }

static void test_describe_exit(void)
{
	char b[64];
	sup_describe_exit(exited(1), b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "exited 1");
	sup_describe_exit(exited(0), b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "exited 0");
	sup_describe_exit(signalled(SIGSEGV), b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "killed by SIGSEGV");
	sup_describe_exit(signalled(SIGKILL), b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "killed by SIGKILL");
}

static void test_after_exit(void)
{
	CU_ASSERT_EQUAL(sup_after_exit(SUP_PERMANENT, exited(78), 0), SUP_AFTER_FAIL_CONFIG);
	CU_ASSERT_EQUAL(sup_after_exit(SUP_TRANSIENT, exited(78), 0), SUP_AFTER_FAIL_CONFIG);
	CU_ASSERT_EQUAL(sup_after_exit(SUP_PERMANENT, exited(0), 0), SUP_AFTER_RESTART);
	CU_ASSERT_EQUAL(sup_after_exit(SUP_TRANSIENT, exited(0), 0), SUP_AFTER_STOP);
	CU_ASSERT_EQUAL(sup_after_exit(SUP_TRANSIENT, exited(1), 0), SUP_AFTER_RESTART);
	CU_ASSERT_EQUAL(sup_after_exit(SUP_TRANSIENT, signalled(SIGSEGV), 0), SUP_AFTER_RESTART);
	/* killed by ghrd (missed heartbeats): always a restart, whatever the status */
	CU_ASSERT_EQUAL(sup_after_exit(SUP_TRANSIENT, exited(0), 1), SUP_AFTER_RESTART);
	CU_ASSERT_EQUAL(sup_after_exit(SUP_PERMANENT, signalled(SIGKILL), 1), SUP_AFTER_RESTART);
}

static void test_intensity_window(void)
{
	struct sup_worker *w = calloc(1, sizeof(*w));
	CU_ASSERT_EQUAL(sup_history_count(w, 1000, 60000), 0);
	sup_history_add(w, 1000);
	sup_history_add(w, 2000);
	sup_history_add(w, 3000);
	CU_ASSERT_EQUAL(sup_history_count(w, 3000, 60000), 3);
	CU_ASSERT_EQUAL(sup_history_count(w, 61500, 60000), 2);   /* the first fell out */
	CU_ASSERT_EQUAL(sup_history_count(w, 63001, 60000), 0);
	free(w);
}

static void test_intensity_ring_wraps(void)
{
	struct sup_worker *w = calloc(1, sizeof(*w));
	for (int i = 0; i < SUP_RESTART_HISTORY + 10; i++)
		sup_history_add(w, i);
	CU_ASSERT_EQUAL(w->hist_n, SUP_RESTART_HISTORY);
	CU_ASSERT_EQUAL(sup_history_count(w, SUP_RESTART_HISTORY + 10, 1000000), SUP_RESTART_HISTORY);
	CU_ASSERT_EQUAL(sup_history_count(w, SUP_RESTART_HISTORY + 10, 5), 4);   /* +6 … +9 */
	free(w);
}

static int n_swept;
static void count_swept(struct sup *s, const struct sup_pending_entry *e, void *arg)
{
	n_swept++;
	CU_ASSERT_PTR_EQUAL(arg, (void *)&n_swept);
}

static void test_pending_table(void)
{
	struct sup_pending *p = sup_pending_new();
	struct sup_pending_entry e;
	memset(&e, 0, sizeof(e));
	for (int i = 1; i <= 5000; i++) {
		e.id = i;
		e.orig_id = 100000 + i;
		e.deadline_mono = i % 2 ? 10 : 1000;
		snprintf(e.target, sizeof(e.target), "%s", i % 3 ? "a" : "b");
		e.origin.identity_len = (size_t)snprintf(e.origin.identity, sizeof(e.origin.identity),
		                                         "caller%d", i % 4);   /* under each quota */
		CU_ASSERT_EQUAL(sup_pending_add(p, &e), 0);
	}
	CU_ASSERT_EQUAL(sup_pending_count(p), 5000);
	struct sup_pending_entry out;
	CU_ASSERT_EQUAL(sup_pending_take(p, 4242, &out), 0);
	CU_ASSERT_EQUAL(out.orig_id, 104242);
	CU_ASSERT_EQUAL(sup_pending_take(p, 4242, &out), -1);
	CU_ASSERT_EQUAL(sup_pending_take(p, 999999, &out), -1);
	n_swept = 0;
	sup_pending_sweep(p, 500, NULL, count_swept, NULL, &n_swept);   /* odd ids expired */
	CU_ASSERT_EQUAL(n_swept, 2500);
	n_swept = 0;
	sup_pending_sweep(p, 0, "b", count_swept, NULL, &n_swept);     /* even multiples of 3 */
	CU_ASSERT_EQUAL(n_swept, 832);   /* 6, 12 … 4998 is 833 ids; 4242 was taken */
	CU_ASSERT_EQUAL(sup_pending_count(p), 5000 - 1 - 2500 - n_swept);
	sup_pending_free(p);
}

static void test_instance_names(void)
{
	const struct sup_def *fake = sup_def_find("fake");
	char n[PROTO_NAME_MAX];
	CU_ASSERT_PTR_NOT_NULL_FATAL(fake);
	sup_instance_name(fake, 1, 1, n, sizeof(n));
	CU_ASSERT_STRING_EQUAL(n, "fake");
	sup_instance_name(fake, 3, 4, n, sizeof(n));
	CU_ASSERT_STRING_EQUAL(n, "fake.3");
	CU_ASSERT_PTR_NULL(sup_def_find("no-such-worker"));
}

/* Every method of the catalogue is served by ghrd, by every worker, or by a row of the
 * table (a row may serve nothing: the metrics worker only calls); every row has a caller
 * bit. */
static void test_table_matches_catalogue(void)
{
	size_t n, nm;
	const struct sup_def *defs = sup_defs(&n);
	const struct proto_method *methods = proto_methods(&nm);
	CU_ASSERT(n >= 4);
	for (size_t k = 0; k < nm; k++) {
		int served = strcmp(methods[k].server, "ghrd") == 0 || strcmp(methods[k].server, "*") == 0;
		for (size_t i = 0; i < n; i++)
			served |= strcmp(methods[k].server, defs[i].name) == 0;
		if (!served)
			fprintf(stderr, "\n  %s: no worker %s in the table\n", methods[k].name, methods[k].server);
		CU_ASSERT(served);
	}
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT(defs[i].caller != 0);
		CU_ASSERT(defs[i].shutdown_timeout_ms > 0);
	}
	CU_ASSERT_STRING_EQUAL(sup_state_name(SUP_W_BACKOFF), "backoff");
	CU_ASSERT_STRING_EQUAL(sup_state_name(SUP_W_FAILED), "failed");
}

static void test_slice_has_only_listed_sections(void)
{
	json_t *cfg = json_pack("{s:s, s:{s:s, s:{s:s}}, s:{s:s}, s:[{s:s}], s:{}, s:{}, s:{}}",
	                        "manager_id", "m", "github", "path", "org", "auth", "token_file", "/t",
	                        "openstack", "cloud", "c", "pools", "name", "p", "reconcile",
	                        "runner", "metrics");
	json_t *slice = sup_slice_for(cfg, sup_def_find("scaler"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(slice, "manager_id")), "m");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(slice, "github"),
	                                                         "path")), "org");
	CU_ASSERT_PTR_NULL(json_object_get(json_object_get(slice, "github"), "auth"));
	CU_ASSERT_PTR_NULL(json_object_get(slice, "openstack"));
	CU_ASSERT(json_is_array(json_object_get(slice, "pools")));
	json_decref(slice);
	slice = sup_slice_for(cfg, sup_def_find("github"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(json_object_get(slice, "github"), "auth"));
	CU_ASSERT_PTR_NULL(json_object_get(slice, "pools"));
	json_decref(slice);
	json_decref(cfg);
}

static void test_peer_cred_parse(void)
{
	long uid = -9, gid = -9, pid = -9;
	CU_ASSERT_EQUAL(sup_peer_cred_parse("localhost:0:0:6753", &uid, &gid, &pid), 0);
	CU_ASSERT_EQUAL(uid, 0);
	CU_ASSERT_EQUAL(gid, 0);
	CU_ASSERT_EQUAL(pid, 6753);
	CU_ASSERT_EQUAL(sup_peer_cred_parse("localhost:1000:100:42", &uid, &gid, &pid), 0);
	CU_ASSERT_EQUAL(uid, 1000);
	CU_ASSERT_EQUAL(gid, 100);
	CU_ASSERT_EQUAL(pid, 42);
	/* only libzmq's ipc form: a tcp peer's IPv6 address must never pass for credentials */
	static const char *const bad[] = { "", "localhost", "a:1:2", "1:2:3", "x:1:2:", "x:1::3",
	                                   "x:1:2:3z", "x:a:2:3", "::1:2:3", "::ffff:1:2:3",
	                                   "10.0.0.1:1:2:3", "localhost:1:2:3:4", "localhost:-1:2:3",
	                                   "localhostx:1:2:3", "localhost:1:2: 3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(sup_peer_cred_parse(bad[i], &uid, &gid, &pid), -1);
}

static void count_one(struct sup *s, const struct sup_pending_entry *e, void *arg)
{
	(*(int *)arg)++;
}

static struct sup_pending_entry entry(int64_t id, enum sup_origin_kind kind, const char *who)
{
	struct sup_pending_entry e;
	memset(&e, 0, sizeof(e));
	e.id = id;
	e.origin.kind = kind;
	e.origin.identity_len = strlen(who);
	memcpy(e.origin.identity, who, e.origin.identity_len);
	snprintf(e.target, sizeof(e.target), "t");
	e.deadline_mono = 1000;
	return e;
}

/* One origin cannot fill the table for everyone; its quota frees as entries leave. */
static void test_pending_quota_per_origin(void)
{
	struct sup_pending *p = sup_pending_new();
	int64_t id = 1;
	for (int i = 0; i < SUP_PENDING_PER_ORIGIN; i++) {
		struct sup_pending_entry e = entry(id++, SUP_ORIGIN_WORKER, "greedy");
		CU_ASSERT_EQUAL_FATAL(sup_pending_add(p, &e), 0);
	}
	struct sup_pending_entry e = entry(id++, SUP_ORIGIN_WORKER, "greedy");
	CU_ASSERT_EQUAL(sup_pending_add(p, &e), -2);
	e = entry(id++, SUP_ORIGIN_CTL, "greedy");   /* same bytes, another kind: not the same */
	CU_ASSERT_EQUAL(sup_pending_add(p, &e), 0);
	e = entry(id++, SUP_ORIGIN_WORKER, "modest");
	CU_ASSERT_EQUAL(sup_pending_add(p, &e), 0);
	struct sup_pending_entry out;
	CU_ASSERT_EQUAL(sup_pending_take(p, 1, &out), 0);
	e = entry(id++, SUP_ORIGIN_WORKER, "greedy");
	CU_ASSERT_EQUAL(sup_pending_add(p, &e), 0);   /* one left, one more may come */
	sup_pending_free(p);
}

/* A dead worker's own requests are forgotten without an answer; others' stay. */
static void test_pending_drop_origin(void)
{
	struct sup_pending *p = sup_pending_new();
	for (int64_t i = 1; i <= 10; i++) {
		struct sup_pending_entry e = entry(i, SUP_ORIGIN_WORKER, i % 2 ? "fake.1" : "fake.10");
		CU_ASSERT_EQUAL(sup_pending_add(p, &e), 0);
	}
	CU_ASSERT_EQUAL(sup_pending_drop_origin(p, SUP_ORIGIN_WORKER, "fake.1", 6), 5);
	CU_ASSERT_EQUAL(sup_pending_drop_origin(p, SUP_ORIGIN_WORKER, "fake.1", 6), 0);
	CU_ASSERT_EQUAL(sup_pending_drop_origin(p, SUP_ORIGIN_CTL, "fake.10", 7), 0);
	CU_ASSERT_EQUAL(sup_pending_count(p), 5);
	struct sup_pending_entry out;
	CU_ASSERT_EQUAL(sup_pending_take(p, 1, &out), -1);
	CU_ASSERT_EQUAL(sup_pending_take(p, 2, &out), 0);
	int n = 0;
	sup_pending_clear(p, count_one, NULL, &n);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(sup_pending_count(p), 0);
	sup_pending_free(p);
}

/* Frames queued by an exited process are its own, not its replacement's. */
static void test_sender_of(void)
{
	struct sup_worker w;
	memset(&w, 0, sizeof(w));
	w.pid = 200;
	w.prev_pid = 100;
	CU_ASSERT_EQUAL(sup_sender_of(&w, 200), SUP_SENDER_CURRENT);
	CU_ASSERT_EQUAL(sup_sender_of(&w, 100), SUP_SENDER_STALE);
	CU_ASSERT_EQUAL(sup_sender_of(&w, 300), SUP_SENDER_FOREIGN);
	CU_ASSERT_EQUAL(sup_sender_of(&w, -1), SUP_SENDER_CURRENT);   /* no credentials */
	w.pid = 0;                                                     /* in backoff */
	CU_ASSERT_EQUAL(sup_sender_of(&w, 100), SUP_SENDER_STALE);
	CU_ASSERT_EQUAL(sup_sender_of(&w, 300), SUP_SENDER_FOREIGN);
	CU_ASSERT_EQUAL(sup_sender_of(&w, -1), SUP_SENDER_FOREIGN);
}

static void test_publish_prefixes(void)
{
	CU_ASSERT(sup_may_publish(sup_def_find("openstack"), "os.server.status"));
	CU_ASSERT(!sup_may_publish(sup_def_find("github"), "os.server.status"));
	CU_ASSERT(sup_may_publish(sup_def_find("github"), "github.job.queued"));
	CU_ASSERT(!sup_may_publish(sup_def_find("github"), "githubx"));
	CU_ASSERT(sup_may_publish(sup_def_find("fake"), "fake.started"));
	CU_ASSERT(!sup_may_publish(sup_def_find("scaler"), "fake.started"));
}

/* The fallback when close_range is refused: every descriptor from 4 up is closed. */
static void test_close_from_fallback(void)
{
	int fds[6];
	for (int i = 0; i < 6; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	pid_t pid = fork();
	if (pid == 0) {
		sup_close_from(4, 1024, 0);
		int open_left = 0;
		for (int fd = 4; fd < 1024; fd++)
			open_left += fcntl(fd, F_GETFD) >= 0;
		_exit(open_left == 0 && fcntl(0, F_GETFD) >= 0 ? 0 : 1);
	}
	int st = -1;
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int i = 0; i < 6; i++)
		close(fds[i]);
}

/* Rights are computed per uid once, not per frame; a reload empties the cache. */
static void test_caller_bits_cached(void)
{
	struct sup *s = calloc(1, sizeof(*s));
	s->admin_gid = 4242;   /* a group the caller is not in */
	CU_ASSERT_EQUAL(sup_caller_bits(s, 0, 0), C_READ | C_ADMIN);
	CU_ASSERT_EQUAL(sup_caller_bits(s, 65534, 65534), C_READ);
	CU_ASSERT_EQUAL(sup_caller_bits(s, 65534, 65534), C_READ);
	CU_ASSERT_EQUAL(sup_caller_bits(s, 65534, 4242), C_READ | C_ADMIN);   /* primary group */
	CU_ASSERT_EQUAL(s->nss_lookups, 1);
	for (long u = 1000; u < 1000 + 2 * SUP_CRED_CACHE; u++)   /* more users than slots */
		sup_caller_bits(s, u, u);
	CU_ASSERT_EQUAL(s->nss_lookups, 1 + 2 * SUP_CRED_CACHE);
	free(s);
}

UNIT_SUITE(sup_supervise,
	UNIT_TEST(test_pending_quota_per_origin),
	UNIT_TEST(test_pending_drop_origin),
	UNIT_TEST(test_sender_of),
	UNIT_TEST(test_publish_prefixes),
	UNIT_TEST(test_close_from_fallback),
	UNIT_TEST(test_caller_bits_cached),
	UNIT_TEST(test_peer_cred_parse),
	UNIT_TEST(test_describe_exit),
	UNIT_TEST(test_after_exit),
	UNIT_TEST(test_intensity_window),
	UNIT_TEST(test_intensity_ring_wraps),
	UNIT_TEST(test_pending_table),
	UNIT_TEST(test_instance_names),
	UNIT_TEST(test_table_matches_catalogue),
	UNIT_TEST(test_slice_has_only_listed_sections))
