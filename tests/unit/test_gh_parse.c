/* github worker parsers, fed the examples of GitHub's own OpenAPI description
 * (tests/fixtures/api/github/openapi-runners.json) and garbage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "tests/unit/unit.h"
#include "workers/github/gh.h"

/* components.examples.<name>.value of the OpenAPI file, as JSON text (malloc'd). */
static char *example(const char *name)
{
	char *text = unit_read("tests/fixtures/api/github/openapi-runners.json");
	json_error_t e;
	json_t *doc = json_loads(text, 0, &e);
	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	json_t *v = json_object_get(json_object_get(json_object_get(json_object_get(doc, "components"),
	                                                            "examples"), name), "value");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	char *s = json_dumps(v, JSON_COMPACT);
	json_decref(doc);
	return s;
}

#define PARSE_RUNNERS(text) gh_parse_runners_page(text, strlen(text), err, sizeof(err))

static void test_gh_parse_runners_example(void)
{
	char err[300] = "";
	char *body = example("runner-paginated");
	json_t *a = PARSE_RUNNERS(body);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(json_array_size(a), 2);
	json_t *r0 = json_array_get(a, 0), *r1 = json_array_get(a, 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r0, "id")), 23);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "name")), "linux_runner");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "status")), "online");
	CU_ASSERT(json_is_true(json_object_get(r0, "busy")));
	CU_ASSERT(json_is_false(json_object_get(r1, "busy")));
	json_t *labels = json_object_get(r1, "labels");
	CU_ASSERT_EQUAL(json_array_size(labels), 4);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(labels, 3)), "no-gpu");
	CU_ASSERT_EQUAL(json_object_size(r0), 5);    /* only the fields of the reply spec */
	json_decref(a);
	free(body);
}

static void test_gh_parse_runners_garbage(void)
{
	static const struct { const char *body; const char *says; } cases[] = {
		{ "", "empty" },
		{ "{\"runners\": [", "truncated JSON" },
		{ "<html>502</html>", "not JSON" },
		{ "[1,2]", "runners is missing" },
		{ "{\"total_count\":1}", "runners is missing" },
		{ "{\"runners\": {}}", "not an array" },
		{ "{\"runners\": [7]}", "runners[0] is not an object" },
		{ "{\"runners\": [{\"id\":\"23\",\"name\":\"a\",\"status\":\"online\",\"busy\":false,\"labels\":[]}]}",
		  "runners[0].id" },
		{ "{\"runners\": [{\"id\":-4,\"name\":\"a\",\"status\":\"online\",\"busy\":false,\"labels\":[]}]}",
		  "runners[0].id" },
		{ "{\"runners\": [{\"id\":1,\"name\":5,\"status\":\"online\",\"busy\":false,\"labels\":[]}]}",
		  "runners[0].name" },
		{ "{\"runners\": [{\"id\":1,\"name\":\"a\",\"status\":\"online\",\"labels\":[]}]}",
		  "runners[0].busy is missing" },
		{ "{\"runners\": [{\"id\":1,\"name\":\"a\",\"status\":\"online\",\"busy\":0,\"labels\":[]}]}",
		  "runners[0].busy" },
		{ "{\"runners\": [{\"id\":1,\"name\":\"a\",\"status\":\"online\",\"busy\":true,\"labels\":{}}]}",
		  "runners[0].labels is not an array" },
		{ "{\"runners\": [{\"id\":1,\"name\":\"a\",\"status\":\"online\",\"busy\":true,\"labels\":[{\"id\":3}]}]}",
		  "runners[0].labels[0] has no name" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[300] = "";
		json_t *a = PARSE_RUNNERS(cases[i].body);
		CU_ASSERT_PTR_NULL(a);
		if (!strstr(err, cases[i].says))
			fprintf(stderr, "\ncase %zu: error \"%s\" lacks \"%s\"\n", i, err, cases[i].says);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].says));
		json_decref(a);
	}
}

static void test_gh_parse_jit(void)
{
	char err[300] = "";
	char *body = example("runner-jitconfig");
	int64_t id = 0;
	char *cfg = NULL;
	CU_ASSERT_EQUAL(gh_parse_jit(body, strlen(body), &id, &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(id, 23);
	CU_ASSERT_STRING_EQUAL(cfg, "abc123");
	free(cfg);
	free(body);
	const char *bad[] = {
		"{\"runner\":{\"id\":23}}",
		"{\"encoded_jit_config\":\"abc\"}",
		"{\"runner\":{\"id\":\"x\"},\"encoded_jit_config\":\"abc\"}",
		"{\"runner\":{\"id\":23},\"encoded_jit_config\":\"\"}",
		"{\"runner\":{\"id\":23},\"encoded_jit_config\":17}",
		"not json",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg = NULL;
		err[0] = 0;
		CU_ASSERT_EQUAL(gh_parse_jit(bad[i], strlen(bad[i]), &id, &cfg, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NULL(cfg);
		CU_ASSERT(err[0] != 0);
	}
}

static void test_gh_parse_job(void)
{
	char err[300] = "";
	char *body = example("job");
	json_t *j = gh_parse_job(body, strlen(body), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "status")), "completed");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "conclusion")), "success");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "started_at")), "2020-01-20T17:42:40Z");
	CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(j, "created_at")));
	CU_ASSERT(json_is_array(json_object_get(j, "labels")));
	CU_ASSERT(json_is_string(json_object_get(j, "runner_name")));
	json_decref(j);
	free(body);

	const char *queued = "{\"status\":\"queued\",\"conclusion\":null,\"labels\":[\"self-hosted\",\"x64\"],"
	                     "\"runner_name\":null}";
	j = gh_parse_job(queued, strlen(queued), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_PTR_NULL(json_object_get(j, "conclusion"));
	CU_ASSERT_PTR_NULL(json_object_get(j, "runner_name"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(j, "labels"), 1)), "x64");
	json_decref(j);

	const char *bad[] = {
		"{\"status\":\"exploded\",\"labels\":[]}",
		"{\"labels\":[]}",
		"{\"status\":\"queued\"}",
		"{\"status\":\"queued\",\"labels\":[],\"conclusion\":5}",
		"{\"status\":\"queued\",\"labels\":[],\"runner_name\":[]}",
		"[]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CU_ASSERT_PTR_NULL(gh_parse_job(bad[i], strlen(bad[i]), err, sizeof(err)));
		CU_ASSERT(err[0] != 0);
	}
}

static void test_gh_parse_downloads(void)
{
	char err[300] = "";
	char *body = example("runner-application-items");
	json_t *d = NULL;
	CU_ASSERT_EQUAL(gh_parse_downloads(body, strlen(body), "linux", "x64", &d, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "version")), "2.164.0");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "url")),
	    "https://github.com/actions/runner/releases/download/v2.164.0/actions-runner-linux-x64-2.164.0.tar.gz");
	json_decref(d);
	d = NULL;
	CU_ASSERT_EQUAL(gh_parse_downloads(body, strlen(body), "plan9", "x64", &d, err, sizeof(err)), 1);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "plan9"));
	free(body);

	const char *with_sha = "[{\"os\":\"linux\",\"architecture\":\"arm64\",\"download_url\":"
	    "\"https://example.invalid/actions-runner-linux-arm64-2.330.0.tar.gz\",\"filename\":"
	    "\"actions-runner-linux-arm64-2.330.0.tar.gz\",\"sha256_checksum\":\"abcd\"}]";
	CU_ASSERT_EQUAL(gh_parse_downloads(with_sha, strlen(with_sha), "linux", "arm64", &d, err,
	                                   sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "sha256")), "abcd");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "version")), "2.330.0");
	json_decref(d);

	const char *bad[] = {
		"{}",
		"[{\"os\":\"linux\"}]",
		"[{\"os\":\"linux\",\"architecture\":\"x64\",\"download_url\":\"http://plain/x-1.0.tgz\","
		"\"filename\":\"actions-runner-linux-x64-1.0.tar.gz\"}]",
		"[{\"os\":\"linux\",\"architecture\":\"x64\",\"download_url\":\"https://h/x\","
		"\"filename\":\"runner.tar.gz\"}]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = NULL;
		CU_ASSERT_EQUAL(gh_parse_downloads(bad[i], strlen(bad[i]), "linux", "x64", &d, err,
		                                   sizeof(err)), -1);
		CU_ASSERT_PTR_NULL(d);
	}
}

static void test_gh_parse_runner_groups(void)
{
	char err[300] = "";
	char *body = example("runner-groups-org");
	int64_t id = 0;
	CU_ASSERT_EQUAL(gh_parse_runner_groups(body, strlen(body), "octo-runner-group", &id, err,
	                                       sizeof(err)), 0);
	CU_ASSERT_EQUAL(id, 2);
	CU_ASSERT_EQUAL(gh_parse_runner_groups(body, strlen(body), "Default", &id, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(id, 1);
	CU_ASSERT_EQUAL(gh_parse_runner_groups(body, strlen(body), "nope", &id, err, sizeof(err)), 1);
	free(body);
	const char *bad = "{\"runner_groups\":[{\"name\":\"x\",\"id\":\"1\"}]}";
	CU_ASSERT_EQUAL(gh_parse_runner_groups(bad, strlen(bad), "x", &id, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(gh_parse_runner_groups("{}", 2, "x", &id, err, sizeof(err)), -1);
}

static void test_gh_parse_rate_limit(void)
{
	char err[300] = "";
	char *body = example("rate-limit-overview");
	json_t *r = gh_parse_rate_limit(body, strlen(body), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	json_t *core = json_object_get(r, "core");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(core, "remaining")), 4999);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(core, "reset")), 1691591363);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(r, "actions_runner_registration"),
	                                                   "limit")), 10000);
	json_decref(r);
	free(body);
	CU_ASSERT_STRING_EQUAL(err, "");
	/* one odd resource (a value of the wrong type, a resource we never heard of with a
	 * negative value, not an object) costs only itself */
	const char *odd = "{\"resources\":{\"core\":{\"limit\":5000,\"remaining\":\"many\",\"used\":1,\"reset\":1},"
	                  "\"brand_new\":{\"limit\":10,\"remaining\":-1,\"used\":0,\"reset\":1},"
	                  "\"weird\":7,"
	                  "\"search\":{\"limit\":30,\"remaining\":29,\"used\":1,\"reset\":1691591363}}}";
	r = gh_parse_rate_limit(odd, strlen(odd), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(json_object_size(r), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(r, "search"), "remaining")), 29);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "skipped resources."));
	json_decref(r);
	const char *none = "{\"rate\":{}}";
	CU_ASSERT_PTR_NULL(gh_parse_rate_limit(none, strlen(none), err, sizeof(err)));
}

static void test_gh_parse_install_token(void)
{
	char err[300] = "";
	char *body = example("installation-token");
	char *tok = NULL;
	int64_t exp = 0;
	CU_ASSERT_EQUAL(gh_parse_install_token(body, strlen(body), &tok, &exp, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(tok, "ghs_16C7e42F292c6912E7710c838347Ae178B4a");
	CU_ASSERT_EQUAL(exp, 1468275250000LL);     /* 2016-07-11T22:14:10Z */
	free(tok);
	free(body);
	const char *bad = "{\"token\":\"ghs_x\",\"expires_at\":\"soon\"}";
	tok = NULL;
	CU_ASSERT_EQUAL(gh_parse_install_token(bad, strlen(bad), &tok, &exp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NULL(tok);
}

static void test_gh_parse_error_message(void)
{
	char out[300];
	const char *v = "{\"message\":\"Validation Failed\",\"errors\":[{\"resource\":\"Runner\","
	                "\"code\":\"already_exists\",\"field\":\"name\"}],\"documentation_url\":\"x\"}";
	gh_parse_error_message(v, strlen(v), out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "Validation Failed (name: already_exists)");
	const char *nf = "{\"message\":\"Not Found\",\"documentation_url\":\"https://docs.github.com\"}";
	gh_parse_error_message(nf, strlen(nf), out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "Not Found");
	const char *ctl = "{\"message\":\"bad\\nline\\u0007\"}";
	gh_parse_error_message(ctl, strlen(ctl), out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "bad?line?");
	gh_parse_error_message("<html>502</html>", 16, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "");
	gh_parse_error_message(NULL, 0, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "");
}

static void test_gh_link_next(void)
{
	char out[512];
	const char *l = "<https://api.github.com/organizations/1/actions/runners?per_page=100&page=2>; "
	                "rel=\"next\", <https://api.github.com/organizations/1/actions/runners?per_page=100&page=5>; "
	                "rel=\"last\"";
	CU_ASSERT_EQUAL(gh_link_next(l, out, sizeof(out)), 1);
	CU_ASSERT_STRING_EQUAL(out, "https://api.github.com/organizations/1/actions/runners?per_page=100&page=2");
	const char *mid = "<https://h/x?page=1>; rel=\"prev\", <https://h/x?page=3>; rel=\"next\", "
	                  "<https://h/x?page=1>; rel=\"first\"";
	CU_ASSERT_EQUAL(gh_link_next(mid, out, sizeof(out)), 1);
	CU_ASSERT_STRING_EQUAL(out, "https://h/x?page=3");
	const char *last = "<https://h/x?page=4>; rel=\"prev\", <https://h/x?page=1>; rel=\"first\"";
	CU_ASSERT_EQUAL(gh_link_next(last, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(gh_link_next("<https://h/x?page=2>; rel=\"nextish\"", out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(gh_link_next("garbage <unterminated; rel=\"next\"", out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(gh_link_next("", out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(gh_link_next("<https://h/very-long>; rel=next", out, 8), 0);
}

static void test_gh_target_parse(void)
{
	struct gh_target t;
	char err[200];
	CU_ASSERT_EQUAL(gh_target_parse("ghr-org", &t, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(t.kind, GH_TARGET_ORG);
	CU_ASSERT_STRING_EQUAL(t.base, "/orgs/ghr-org");
	CU_ASSERT_EQUAL(gh_target_parse("ghr-org/ghr-repo", &t, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(t.kind, GH_TARGET_REPO);
	CU_ASSERT_STRING_EQUAL(t.base, "/repos/ghr-org/ghr-repo");
	CU_ASSERT_EQUAL(gh_target_parse("enterprise:ghr-ent", &t, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(t.kind, GH_TARGET_ENTERPRISE);
	CU_ASSERT_STRING_EQUAL(t.base, "/enterprises/ghr-ent");
	const char *bad[] = { "", "a/b/c", "enterprise:", "../x", "..", "org?x=1", "a b", "o/..",
	                      "enterprise:a/b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CU_ASSERT_EQUAL(gh_target_parse(bad[i], &t, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "github.path"));
	}
	CU_ASSERT(gh_repo_name_ok("octo-org/octo.repo_1"));
	CU_ASSERT(!gh_repo_name_ok("octo-org/../x"));
	CU_ASSERT(!gh_repo_name_ok("octo-org"));
	CU_ASSERT(!gh_repo_name_ok(NULL));
	CU_ASSERT(gh_runner_name_ok("ghr-a-small-3f9c2a1b"));
	CU_ASSERT(!gh_runner_name_ok(""));
	CU_ASSERT(!gh_runner_name_ok("a&name=b"));
	CU_ASSERT(!gh_runner_name_ok("x0123456789012345678901234567890123456789012345678901234567890123456789"));
}

UNIT_SUITE(gh_parse,
	UNIT_TEST(test_gh_parse_runners_example),
	UNIT_TEST(test_gh_parse_runners_garbage),
	UNIT_TEST(test_gh_parse_jit),
	UNIT_TEST(test_gh_parse_job),
	UNIT_TEST(test_gh_parse_downloads),
	UNIT_TEST(test_gh_parse_runner_groups),
	UNIT_TEST(test_gh_parse_rate_limit),
	UNIT_TEST(test_gh_parse_install_token),
	UNIT_TEST(test_gh_parse_error_message),
	UNIT_TEST(test_gh_link_next),
	UNIT_TEST(test_gh_target_parse))
