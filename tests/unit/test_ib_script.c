/* The builder VM's script (workers/image-builder/ib_script.c over
 * scripts/builder-user-data.sh.in): values quoted, shapes checked, every placeholder
 * filled.  The ib_script_samples suite writes rendered scripts for tests/scripts/check.sh
 * (sh -n, shellcheck, the sandbox run) when GHR_USERDATA_OUT is set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/unit/unit.h"
#include "workers/image-builder/ib.h"

#define SHA "4c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0"

static char *render(const char *version, const char *url, const char *sha, const json_t *pkgs, int aproxy,
                    char *err, size_t errlen)
{
	struct ib_script_params p = {
		.build_id = "0badcafe", .image_name = "runner", .runner_version = version, .runner_url = url,
		.runner_sha256 = sha, .packages = pkgs, .aproxy = aproxy,
	};
	return ib_script_render(&p, err, errlen);
}

static void test_values_in_place(void)
{
	char err[256] = "";
	json_t *pk = json_pack("[ss]", "git", "libssl3=3.0.13-0ubuntu3");
	char *s = render("2.330.0", "https://github.com/actions/runner/releases/download/v2.330.0/r.tar.gz", SHA, pk, 1,
	                 err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nBUILD_ID='0badcafe'\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nRUNNER_VERSION='2.330.0'\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nRUNNER_SHA256='" SHA "'\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nPACKAGES='git libssl3=3.0.13-0ubuntu3'\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nAPROXY='true'\n"));
	/* every placeholder filled: nothing of the form @NAME@ is left */
	for (const char *p = strchr(s, '@'); p; p = strchr(p + 1, '@')) {
		size_t n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
		CU_ASSERT_FALSE(n > 0 && p[1 + n] == '@');
	}
	free(s);
	json_decref(pk);
}

static void test_refused_values(void)
{
	char err[256];
	json_t *ok = json_pack("[s]", "git");
	static const char *const bad_pkgs[] = { "git;rm -rf /", "$(id)", "Git", "-o", "a b", "" };
	for (size_t i = 0; i < sizeof(bad_pkgs) / sizeof(bad_pkgs[0]); i++) {
		json_t *pk = json_pack("[ss]", "git", bad_pkgs[i]);
		err[0] = 0;
		CU_ASSERT_PTR_NULL(render("2.330.0", "https://x/r", SHA, pk, 0, err, sizeof(err)));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "packages[1]"));
		json_decref(pk);
	}
	CU_ASSERT_PTR_NULL(render("2.330.0'; id; '", "https://x/r", SHA, ok, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "runner version"));
	CU_ASSERT_PTR_NULL(render("2.330.0", "https://x/r", "", ok, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "checksum"));
	CU_ASSERT_PTR_NULL(render("2.330.0", "https://x/r", SHA "0", ok, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NULL(render("2.330.0", "https://x/r", "4C0FFEE0C0FFEE0C0FFEE0C0FFEE0C0FFEE0C0FFEE0C0FFEE0C0FFEE0C0FFEE0",
	                          ok, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NULL(render("2.330.0", "ftp://x/r", SHA, ok, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "URL"));
	CU_ASSERT_PTR_NULL(render("2.330.0", "https://x/r\nid", SHA, ok, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NULL(render("2.330.0", "https://x/r id", SHA, ok, 0, err, sizeof(err)));
	json_decref(ok);
}

/* ---- samples for tests/scripts/check.sh ------------------------------------------------ */

static void write_sample(const char *dir, const char *name, int aproxy)
{
	char err[256] = "";
	json_t *pk = json_pack("[sss]", "git", "jq", "build-essential");
	char *s = render("2.330.0", "https://github.com/actions/runner/releases/download/v2.330.0/a'b$(id).tar.gz",
	                 SHA, pk, aproxy, err, sizeof(err));
	json_decref(pk);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	char path[4096], cmd[4200];
	if (dir && *dir)
		snprintf(path, sizeof(path), "%s/builder-data-%s.sh", dir, name);
	else
		snprintf(path, sizeof(path), "/tmp/ghr-builder-sample-%d-%s.sh", (int)getpid(), name);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(s, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sh -n '%s'", path);
	CU_ASSERT_EQUAL(system(cmd), 0);
	if (!dir || !*dir)
		unlink(path);
	free(s);
}

static void test_samples_render(void)
{
	const char *dir = getenv("GHR_USERDATA_OUT");
	write_sample(dir, "defaults", 0);
	write_sample(dir, "aproxy", 1);
}

UNIT_SUITE(ib_script,
	UNIT_TEST(test_values_in_place),
	UNIT_TEST(test_refused_values))

UNIT_SUITE(ib_script_samples,
	UNIT_TEST(test_samples_render))
