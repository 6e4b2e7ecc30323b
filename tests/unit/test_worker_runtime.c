/* Worker runtime: the bootstrap on fd 3, secret wiping, the method-table check. */
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/redact.h"
#include "tests/unit/unit.h"
#include "workers/runtime/worker_int.h"

static int boot_from(const char *text, size_t len, struct worker_boot *b, char *err, size_t n)
{
	int sv[2];
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (len)
		CU_ASSERT_EQUAL(write(sv[0], text, len), (ssize_t)len);
	shutdown(sv[0], SHUT_WR);   /* EOF after the text, as when ghrd dies */
	int r = worker_boot_read(sv[1], b, err, n);
	close(sv[0]);
	close(sv[1]);
	return r;
}

static void test_boot_ok_and_secret_wiped(void)
{
	const char *t = "{\"v\":1,\"name\":\"fake\",\"instance\":\"fake.2\",\"token\":\"ab01\","
	                "\"bus\":\"ipc:///x/bus\",\"heartbeat_ms\":250,\"config\":{\"a\":1},"
	                "\"secret\":{\"token\":\"s3cr3t-value\"},\"log\":{\"level\":\"debug\"}}\n";
	struct worker_boot b;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(boot_from(t, strlen(t), &b, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(b.instance, "fake.2");
	CU_ASSERT_STRING_EQUAL(b.token, "ab01");
	CU_ASSERT_EQUAL(b.heartbeat_ms, 250);
	CU_ASSERT_STRING_EQUAL(b.log_level, "debug");
	CU_ASSERT_STRING_EQUAL(b.log_format, "text");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(b.config, "a")), 1);
	json_t *tok = json_object_get(b.secret, "token");
	const char *p = json_string_value(tok);
	json_incref(tok);   /* keep the string alive to look at it after the wipe */
	worker_boot_wipe_secret(&b);
	CU_ASSERT_PTR_NULL(b.secret);
	CU_ASSERT_PTR_NULL(json_object_get(b.root, "secret"));
	CU_ASSERT_EQUAL(p[0], 0);
	CU_ASSERT_EQUAL(memcmp(p, "\0\0\0\0\0\0\0\0\0\0\0\0", 12), 0);
	json_decref(tok);
	json_decref(b.root);
}

static void test_boot_errors(void)
{
	struct worker_boot b;
	char err[256];
	/* nothing usable arrived (exit 1: ghrd gone) vs. wrong content (exit 78) */
	static const struct { const char *text; const char *why; int r; } bad[] = {
		{ "", "closed before", WORKER_BOOT_IO },
		{ "{\"v\":1}", "closed before", WORKER_BOOT_IO },   /* no newline, then EOF */
		{ "not json\n", "invalid JSON", WORKER_BOOT_INVALID },
		{ "[1]\n", "invalid JSON", WORKER_BOOT_INVALID },
		{ "{\"v\":2,\"name\":\"x\"}\n", "unsupported version", WORKER_BOOT_INVALID },
		{ "{\"v\":1,\"name\":\"x\"}\n", "are required", WORKER_BOOT_INVALID },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CU_ASSERT_EQUAL(boot_from(bad[i].text, strlen(bad[i].text), &b, err, sizeof(err)),
		                bad[i].r);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].why));
		CU_ASSERT_PTR_NULL(b.root);
	}
}

static void handler(struct wreq *req) { (void)req; }

static void test_method_table_checked_against_catalogue(void)
{
	char err[256];
	static const struct worker_method good[] = { { "fake.echo", handler }, { NULL, NULL } };
	static const struct worker_method typo[] = { { "fake.ecco", handler }, { NULL, NULL } };
	static const struct worker_method other[] = { { "github.runner.jit", handler }, { NULL, NULL } };
	struct worker_def def = { .name = "fake", .methods = good };
	CU_ASSERT_EQUAL(worker_check_methods(&def, err, sizeof(err)), 0);
	def.methods = typo;
	CU_ASSERT_EQUAL(worker_check_methods(&def, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "fake.ecco"));
	def.methods = other;
	CU_ASSERT_EQUAL(worker_check_methods(&def, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "another worker"));
}

/* As root: the drop to nobody succeeds and is verified; a verification against other
 * ids than the real ones fails (a partial drop would be caught). */
static void test_privilege_drop_verified(void)
{
	struct passwd *pw = getpwnam("nobody");
	if (geteuid() != 0 || !pw)
		return;   /* needs root and a nobody user */
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	pid_t pid = fork();
	if (pid == 0) {
		char err[256];
		if (worker_privs_drop("nobody", "", err, sizeof(err)) < 0)
			_exit(1);
		if (worker_privs_verify(uid, gid, err, sizeof(err)) < 0)
			_exit(2);
		if (worker_privs_verify(uid, 0, err, sizeof(err)) == 0)
			_exit(3);
		if (worker_privs_verify(0, gid, err, sizeof(err)) == 0)
			_exit(4);
		_exit(setgid(0) == 0 || setuid(0) == 0 ? 5 : 0);
	}
	int st = -1;
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFEXITED(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
}

/* Every secret a worker is handed is masked in its logs: the webhook's and the
 * consumers' too, not only the GitHub and OpenStack ones. */
static void test_secret_values_registered_for_redaction(void)
{
	json_t *s = json_pack("{s:s, s:s, s:s, s:{s:s}, s:s}", "webhook_secret", "hook-s3cr3t-value",
	                      "mongodb_uri", "mongodb://db-7.internal:27017/ghr?tls=true",
	                      "tls_key", "KEY-MATERIAL-0123456789", "auth", "password", "cl0ud-pa55word",
	                      "region", "RegionOne");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	worker_boot_register_secret(s);
	char *out = redact_dup("hook-s3cr3t-value mongodb://db-7.internal:27017/ghr?tls=true "
	                       "KEY-MATERIAL-0123456789 cl0ud-pa55word RegionOne");
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NULL(strstr(out, "hook-s3cr3t-value"));
	CU_ASSERT_PTR_NULL(strstr(out, "db-7.internal"));
	CU_ASSERT_PTR_NULL(strstr(out, "KEY-MATERIAL"));
	CU_ASSERT_PTR_NULL(strstr(out, "cl0ud-pa55word"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "RegionOne"));   /* not a secret: left readable */
	free(out);
	redact_clear_secrets();
	json_decref(s);
}

UNIT_SUITE(worker_runtime,
	UNIT_TEST(test_privilege_drop_verified),
	UNIT_TEST(test_boot_ok_and_secret_wiped),
	UNIT_TEST(test_secret_values_registered_for_redaction),
	UNIT_TEST(test_boot_errors),
	UNIT_TEST(test_method_table_checked_against_catalogue))
