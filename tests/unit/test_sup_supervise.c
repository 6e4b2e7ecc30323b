/* Supervision decisions: exit descriptions, restart decisions, the restart-intensity
 * window, the pending-request table, instance names and slices. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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
	CU_ASSERT_PTR_NULL(sup_def_find("image-builder"));
}

/* Every table row names a worker whose methods exist in the catalogue and a caller bit. */
static void test_table_matches_catalogue(void)
{
	size_t n, nm;
	const struct sup_def *defs = sup_defs(&n);
	const struct proto_method *methods = proto_methods(&nm);
	CU_ASSERT(n >= 4);
	for (size_t i = 0; i < n; i++) {
		int serves = 0;
		for (size_t k = 0; k < nm; k++)
			serves |= strcmp(methods[k].server, defs[i].name) == 0;
		CU_ASSERT(serves);
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
	CU_ASSERT_EQUAL(sup_peer_cred_parse(":1000:100:42", &uid, &gid, &pid), 0);
	CU_ASSERT_EQUAL(uid, 1000);
	CU_ASSERT_EQUAL(gid, 100);
	CU_ASSERT_EQUAL(pid, 42);
	static const char *const bad[] = { "", "localhost", "a:1:2", "1:2:3", "x:1:2:", "x:1::3",
	                                   "x:1:2:3z", "x:a:2:3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(sup_peer_cred_parse(bad[i], &uid, &gid, &pid), -1);
}

UNIT_SUITE(sup_supervise,
	UNIT_TEST(test_peer_cred_parse),
	UNIT_TEST(test_describe_exit),
	UNIT_TEST(test_after_exit),
	UNIT_TEST(test_intensity_window),
	UNIT_TEST(test_intensity_ring_wraps),
	UNIT_TEST(test_pending_table),
	UNIT_TEST(test_instance_names),
	UNIT_TEST(test_table_matches_catalogue),
	UNIT_TEST(test_slice_has_only_listed_sections))
