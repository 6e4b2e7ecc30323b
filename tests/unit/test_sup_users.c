/* Which user each worker runs as, the refusal of root workers, the secret-file
 * readability warning, and the restart rule's defaults. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "supervisor/sup.h"
#include "tests/unit/unit.h"

static char err[1024];

/* Only the fake worker runs (exec: /bin/true), with the given supervisor section. */
static json_t *cfg_with(const char *supervisor, const char *token_file)
{
	char text[2048];
	snprintf(text, sizeof(text),
	         "manager_id: ci\n"
	         "github:\n  path: canonical\n  auth:\n    token_file: %s\n"
	         "openstack:\n  cloud: prod\n"
	         "supervisor: {%s}\n"
	         "workers:\n"
	         "  github: {instances: %d}\n"
	         "  openstack: {instances: 0}\n"
	         "  scaler: {instances: 0}\n"
	         "  fake: {instances: 1, exec: /bin/true}\n",
	         token_file ? token_file : "/t", supervisor, token_file ? 1 : 0);
	json_t *c = config_load_string(text, "t.yaml", err, sizeof(err));
	if (!c)
		fprintf(stderr, "\n  config: %s\n", err);
	return c;
}

static void test_user_expand(void)
{
	char b[64];
	sup_user_expand("ghr-{worker}", "image-builder", b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "ghr-image-builder");
	sup_user_expand("{worker}", "scaler", b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "scaler");
	sup_user_expand("ghr", "scaler", b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "ghr");
	sup_user_expand("", "scaler", b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "");
}

/* The shipped default gives every worker a user of its own, derived from its name. */
static void test_default_user_per_worker(void)
{
	json_t *c = cfg_with("", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	struct sup_settings a, b;
	CU_ASSERT_EQUAL(sup_settings_for(c, sup_def_find("github"), &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sup_settings_for(c, sup_def_find("scaler"), &b, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(a.user, "ghr-github");
	CU_ASSERT_STRING_EQUAL(b.user, "ghr-scaler");
	CU_ASSERT_STRING_EQUAL(a.group, "ghr");
	json_decref(a.args);
	json_decref(b.args);
	json_decref(c);
}

static void test_users_must_exist_as_root(void)
{
	json_t *c = cfg_with("user: 'ghr-no-such-user-{worker}'", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(sup_users_check(c, 1, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "workers.fake: user \"ghr-no-such-user-fake\" does not exist"));
	CU_ASSERT_EQUAL(sup_users_check(c, 0, err, sizeof(err)), 0);   /* not root: unused */
	json_decref(c);
	c = cfg_with("user: nobody, group: no-such-group-x", NULL);
	CU_ASSERT_EQUAL(sup_users_check(c, 1, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "group \"no-such-group-x\" does not exist"));
	json_decref(c);
	c = cfg_with("user: nobody, group: nogroup", NULL);
	CU_ASSERT_EQUAL(sup_users_check(c, 1, err, sizeof(err)), 0);
	json_decref(c);
}

static void test_root_workers_need_plain_consent(void)
{
	const char *as_root[] = { "user: '', group: ''", "user: root, group: root",
	                          "user: nobody, group: root", "user: root, group: nogroup" };
	for (size_t i = 0; i < sizeof(as_root) / sizeof(as_root[0]); i++) {
		json_t *c = cfg_with(as_root[i], NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(sup_users_check(c, 1, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "workers.fake would run as"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "supervisor.run_workers_as_root: true"));
		json_decref(c);
		char consent[128];
		snprintf(consent, sizeof(consent), "%s, run_workers_as_root: true", as_root[i]);
		c = cfg_with(consent, NULL);
		CU_ASSERT_EQUAL(sup_users_check(c, 1, err, sizeof(err)), 0);
		json_decref(c);
	}
}

static void test_file_readable_by(void)
{
	/* owner 0, group 100 */
	CU_ASSERT_FALSE(sup_file_readable_by(0, 100, 0600, 1000, 100));
	CU_ASSERT_TRUE(sup_file_readable_by(0, 100, 0640, 1000, 100));    /* the old advice */
	CU_ASSERT_FALSE(sup_file_readable_by(0, 100, 0640, 1000, 200));
	CU_ASSERT_TRUE(sup_file_readable_by(0, 100, 0604, 1000, 200));    /* everyone */
	CU_ASSERT_TRUE(sup_file_readable_by(1000, 100, 0000, 1000, 200)); /* owner can chmod */
	CU_ASSERT_FALSE(sup_file_readable_by(0, 100, 0604, 1000, 100));   /* group bits rule */
}

struct warns { int n; char last[700]; };

static void collect(void *ctx, const char *msg)
{
	struct warns *w = ctx;
	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

static void test_secret_file_readable_by_a_worker_warns(void)
{
	if (geteuid() != 0)
		return;   /* needs a root-owned file; the suites run as root */
	char path[] = "/tmp/ghr-unit-token-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "t\n", 2), 2);
	close(fd);
	CU_ASSERT_EQUAL(chown(path, 0, 0), 0);
	json_t *c = cfg_with("user: nobody, group: nogroup", path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	struct warns w = { 0 };
	chmod(path, 0600);
	CU_ASSERT_EQUAL(sup_secret_files_check(c, collect, &w), 0);
	chmod(path, 0644);
	CU_ASSERT_EQUAL(sup_secret_files_check(c, collect, &w), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.last, "github.auth.token_file"));
	CU_ASSERT_PTR_NOT_NULL(strstr(w.last, "readable by worker"));
	json_decref(c);
	unlink(path);
}

/* A secret file two workers read (the MongoDB URI: webhook and reactive-consumer) is
 * reported once, not once per row naming it. */
static void test_shared_secret_file_warns_once(void)
{
	if (geteuid() != 0)
		return;   /* needs a root-owned file; the suites run as root */
	char uri[] = "/tmp/ghr-unit-uri-XXXXXX", hook[] = "/tmp/ghr-unit-hook-XXXXXX";
	int fu = mkstemp(uri), fh = mkstemp(hook);
	CU_ASSERT_FATAL(fu >= 0 && fh >= 0);
	close(fu);
	close(fh);
	CU_ASSERT_EQUAL(chown(uri, 0, 0) | chown(hook, 0, 0), 0);
	chmod(uri, 0644);
	chmod(hook, 0600);
	char text[1024];
	snprintf(text, sizeof(text),
	         "manager_id: ci\n"
	         "github:\n  path: canonical\n  auth:\n    token_file: /t\n"
	         "openstack:\n  cloud: prod\n"
	         "supervisor: {user: nobody, group: nogroup}\n"
	         "webhook: {secret_file: %s}\n"
	         "reactive: {mongodb_uri_file: %s, consumers: 2}\n"
	         "workers:\n  github: {instances: 0}\n  openstack: {instances: 0}\n"
	         "  scaler: {instances: 0}\n",
	         hook, uri);
	json_t *c = config_load_string(text, "t.yaml", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	struct warns w = { 0 };
	CU_ASSERT_EQUAL(sup_secret_files_check(c, collect, &w), 1);
	CU_ASSERT_EQUAL(w.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.last, "reactive.mongodb_uri_file"));
	json_decref(c);
	unlink(uri);
	unlink(hook);
}

/* A worker that crashes at once is retried for minutes, not a second, before it is
 * failed: the defaults of the schema, through the same rule ghrd applies. */
static void test_restart_defaults_ride_out_an_outage(void)
{
	json_t *c = cfg_with("", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	int64_t intensity = cfg_int(c, "supervisor.restart_intensity");
	int64_t period = cfg_int(c, "supervisor.restart_period");
	int64_t cap = cfg_int(c, "supervisor.backoff_max");
	int64_t span = sup_restart_span_min(intensity, cap);
	CU_ASSERT_TRUE(span >= 120000);
	/* the window covers the longest possible retry span (twice the least), so the
	 * intensity is reachable and backoff_max is too */
	CU_ASSERT_TRUE(2 * span <= period);
	CU_ASSERT_TRUE(sup_backoff_delay((size_t)intensity - 1, cap) >= cap / 2);
	CU_ASSERT_EQUAL(sup_backoff_delay(0, cap), 0);
	json_decref(c);
}

UNIT_SUITE(sup_users,
	UNIT_TEST(test_user_expand),
	UNIT_TEST(test_default_user_per_worker),
	UNIT_TEST(test_users_must_exist_as_root),
	UNIT_TEST(test_root_workers_need_plain_consent),
	UNIT_TEST(test_file_readable_by),
	UNIT_TEST(test_secret_file_readable_by_a_worker_warns),
	UNIT_TEST(test_shared_secret_file_warns_once),
	UNIT_TEST(test_restart_defaults_ride_out_an_outage))
