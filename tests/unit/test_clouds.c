/* clouds.yaml loading: both auth types, normalisation, and an error naming file,
 * line, column and key for every kind of bad entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "common/clouds.h"
#include "tests/unit/unit.h"

static char err[512];

static json_t *load(const char *text, const char *cloud)
{
	err[0] = '\0';
	return os_clouds_load_string(text, strlen(text), "clouds.yaml", cloud, err, sizeof err);
}

static const char *auth_str(const json_t *e, const char *key)
{
	return json_string_value(json_object_get(json_object_get(e, "auth"), key));
}

static void test_clouds_password_by_name(void)
{
	json_t *e = load("clouds:\n"
	                 "  prod:\n"
	                 "    region_name: RegionTwo\n"
	                 "    auth:\n"
	                 "      auth_url: https://keystone.example:5000/v3\n"
	                 "      username: ghr\n"
	                 "      password: s3cret-pass\n"
	                 "      project_name: runners\n"
	                 "      user_domain_name: Default\n"
	                 "      project_domain_id: default\n"
	                 "      unknown_key: ignored\n", "prod");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "auth_type")), "password");
	CU_ASSERT_STRING_EQUAL(auth_str(e, "auth_url"), "https://keystone.example:5000/v3");
	CU_ASSERT_STRING_EQUAL(auth_str(e, "username"), "ghr");
	CU_ASSERT_STRING_EQUAL(auth_str(e, "password"), "s3cret-pass");
	CU_ASSERT_STRING_EQUAL(auth_str(e, "project_name"), "runners");
	CU_ASSERT_STRING_EQUAL(auth_str(e, "user_domain_name"), "Default");
	CU_ASSERT_STRING_EQUAL(auth_str(e, "project_domain_id"), "default");
	CU_ASSERT_PTR_NULL(auth_str(e, "unknown_key"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "region_name")), "RegionTwo");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "interface")), "public");
	CU_ASSERT_TRUE(json_is_true(json_object_get(e, "verify")));
	CU_ASSERT_PTR_NULL(json_object_get(e, "cacert"));
	os_clouds_wipe(e);
}

static void test_clouds_domain_fallback_and_interface(void)
{
	json_t *e = load("clouds:\n"
	                 "  a:\n"
	                 "    auth_type: v3password\n"
	                 "    interface: internalURL\n"
	                 "    auth: {auth_url: 'http://k/v3', username: u, password: p12345678,\n"
	                 "           project_name: pr, domain_name: Dom}\n", "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "auth_type")), "password");
	CU_ASSERT_STRING_EQUAL(auth_str(e, "user_domain_name"), "Dom");
	CU_ASSERT_STRING_EQUAL(auth_str(e, "project_domain_name"), "Dom");
	CU_ASSERT_PTR_NULL(auth_str(e, "domain_name"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "interface")), "internal");
	os_clouds_wipe(e);
}

static void test_clouds_appcred_by_id(void)
{
	json_t *e = load("clouds:\n"
	                 "  ac:\n"
	                 "    auth_type: v3applicationcredential\n"
	                 "    auth:\n"
	                 "      auth_url: http://k/v3\n"
	                 "      application_credential_id: abc\n"
	                 "      application_credential_secret: topsecret\n", "ac");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "auth_type")), "v3applicationcredential");
	CU_ASSERT_STRING_EQUAL(auth_str(e, "application_credential_id"), "abc");
	CU_ASSERT_STRING_EQUAL(auth_str(e, "application_credential_secret"), "topsecret");
	os_clouds_wipe(e);
}

static void test_clouds_appcred_by_name_needs_user(void)
{
	json_t *e = load("clouds:\n"
	                 "  ac:\n"
	                 "    auth_type: v3applicationcredential\n"
	                 "    auth:\n"
	                 "      auth_url: http://k/v3\n"
	                 "      application_credential_name: n\n"
	                 "      application_credential_secret: topsecret\n", "ac");
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_STRING_EQUAL(err, "clouds.yaml:5:7: clouds.ac.auth.user_id/username: "
	                       "one is required when the application credential is given by name");
	e = load("clouds:\n"
	         "  ac:\n"
	         "    auth_type: v3applicationcredential\n"
	         "    auth: {auth_url: 'http://k/v3', application_credential_name: n,\n"
	         "           application_credential_secret: topsecret, user_id: u1}\n", "ac");
	CU_ASSERT_PTR_NOT_NULL(e);
	os_clouds_wipe(e);
}

static void test_clouds_missing_password_names_line_and_key(void)
{
	json_t *e = load("# comment\n"
	                 "clouds:\n"
	                 "  other: {auth: {}}\n"
	                 "  prod:\n"
	                 "    auth:\n"
	                 "      auth_url: http://k/v3\n"
	                 "      username: u\n"
	                 "      user_domain_name: Default\n"
	                 "      project_id: p\n", "prod");
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_STRING_EQUAL(err, "clouds.yaml:6:7: clouds.prod.auth.password: required for auth_type password");
}

static void test_clouds_user_by_name_needs_domain(void)
{
	json_t *e = load("clouds:\n  p:\n    auth:\n      auth_url: x\n      username: u\n"
	                 "      password: p\n      project_id: q\n", "p");
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "clouds.p.auth.user_domain_name/user_domain_id: one is required"));
}

static void test_clouds_errors(void)
{
	static const struct { const char *text, *cloud, *want; } cases[] = {
		{ "clouds:\n  a: {auth: {}}\n  b: {auth: {}}\n", "c",
		  "clouds.yaml:2:3: clouds.c: no such cloud (the file has: a, b)" },
		{ "clouds: [1, 2]\n", "a", "clouds.yaml:1:9: clouds: must be a mapping of cloud names" },
		{ "- a\n- b\n", "a", "clouds.yaml:1:1: the file must be a mapping with a \"clouds\" key" },
		{ "other: 1\n", "a", "clouds.yaml:1:1: clouds: required" },
		{ "", "a", "clouds.yaml: the file is empty" },
		{ "clouds:\n  a:\n    auth: {x: [\n", "a", "clouds.yaml:4:1: YAML syntax error" },
		{ "clouds:\n  a:\n    auth_type: token\n    auth: {}\n", "a",
		  "clouds.yaml:3:16: clouds.a.auth_type: must be password or v3applicationcredential, got \"token\"" },
		{ "clouds:\n  a:\n    region_name: r\n", "a", "clouds.yaml:3:5: clouds.a.auth: required" },
		{ "clouds:\n  a:\n    auth: [x]\n", "a", "clouds.yaml:3:11: clouds.a.auth: must be a mapping" },
		{ "clouds:\n  a:\n    auth:\n      password: [x]\n", "a",
		  "clouds.yaml:4:17: clouds.a.auth.password: must be a string" },
		{ "clouds:\n  a:\n    auth: {auth_url: u, user_id: i, password: p, project_id: q}\n"
		  "    interface: private\n", "a",
		  "clouds.yaml:4:16: clouds.a.interface: must be public, internal or admin, got \"private\"" },
		{ "clouds:\n  a:\n    auth: {auth_url: u, user_id: i, password: p, project_id: q}\n"
		  "    verify: false\n", "a", "clouds.yaml:4:13: clouds.a.verify: false is not supported" },
		{ "clouds:\n  a:\n    auth: {auth_url: u, user_id: i, password: p, project_id: q}\n"
		  "    verify: maybe\n", "a", "clouds.yaml:4:13: clouds.a.verify: must be true or false" },
		{ "clouds:\n  a:\n    auth: {auth_url: u, user_id: i, password: p, project_id: q}\n"
		  "    cacert: /nonexistent/ca.pem\n", "a", "clouds.yaml:4:13: clouds.a.cacert: cannot read /nonexistent/ca.pem" },
		{ "clouds:\n  a:\n    auth: {auth_url: u, user_id: i, password: '', project_id: q}\n", "a",
		  "clouds.yaml:3:11: clouds.a.auth.password: required" },
		{ "clouds: {a: {auth: {auth_url: u}}}\n", "", "clouds.yaml: openstack.cloud: required" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *e = load(cases[i].text, cases[i].cloud);
		CU_ASSERT_PTR_NULL(e);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0) {
			fprintf(stderr, "\ncase %zu: got \"%s\"\n     want \"%s...\"\n", i, err, cases[i].want);
			CU_FAIL("error text");
		}
		json_decref(e);
	}
}

static void write_tmp(char *path, const char *text)
{
	strcpy(path, "/tmp/ghr-clouds-XXXXXX");
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static void test_clouds_file_and_search(void)
{
	char path[64];
	write_tmp(path, "clouds:\n  c:\n    auth_type: v3applicationcredential\n"
	                "    auth: {auth_url: u, application_credential_id: i, application_credential_secret: s}\n"
	                "    cacert: /dev/null\n");
	json_t *e = os_clouds_load(path, "c", err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "cacert")), "/dev/null");
	os_clouds_wipe(e);

	setenv("OS_CLIENT_CONFIG_FILE", path, 1);
	e = os_clouds_load(NULL, "c", err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL(e);
	os_clouds_wipe(e);
	unsetenv("OS_CLIENT_CONFIG_FILE");

	e = os_clouds_load(path, "nope", err, sizeof err);
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2:3: clouds.nope: no such cloud (the file has: c)"));
	unlink(path);

	e = os_clouds_load(path, "c", err, sizeof err);
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot read (openstack.clouds_yaml): No such file or directory"));
}

static void test_clouds_wipe_overwrites_secrets(void)
{
	json_t *e = load("clouds: {a: {auth: {auth_url: u, user_id: i, password: hunter2hunter2, project_id: q}}}\n", "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	json_t *pw = json_object_get(json_object_get(e, "auth"), "password");
	json_incref(pw);   /* keep it alive to look at it after the wipe */
	os_clouds_wipe(e);
	CU_ASSERT_EQUAL(json_string_value(pw)[0], '\0');
	CU_ASSERT_PTR_NULL(strstr(json_string_value(pw), "hunter2"));
	json_decref(pw);
}

static int holds(const unsigned char *start, const unsigned char *end, const char *what)
{
	return start && end > start && memmem(start, (size_t)(end - start), what, strlen(what)) != NULL;
}

/* libyaml's own copies of the input (the file, password included) are wiped. */
static void test_clouds_wipe_parser_buffers(void)
{
	static const char text[] = "clouds:\n  c:\n    auth:\n      password: pw-Sentinel-4711\n      x: [unclosed\n";
	for (int broken = 0; broken < 2; broken++) {
		yaml_parser_t p;
		yaml_document_t doc;
		CU_ASSERT_FATAL(yaml_parser_initialize(&p));
		yaml_parser_set_input_string(&p, (const unsigned char *)text, broken ? sizeof text - 1 : (size_t)(strstr(text, "      x:") - text));
		int loaded = yaml_parser_load(&p, &doc);
		CU_ASSERT_EQUAL(loaded, !broken);
		/* the test sees the copies it is about */
		CU_ASSERT(holds(p.raw_buffer.start, p.raw_buffer.end, "pw-Sentinel-4711"));
		CU_ASSERT(holds(p.buffer.start, p.buffer.end, "pw-Sentinel-4711"));
		os_clouds_wipe_parser(&p);
		CU_ASSERT(!holds(p.raw_buffer.start, p.raw_buffer.end, "pw-Sentinel-4711"));
		CU_ASSERT(!holds(p.buffer.start, p.buffer.end, "pw-Sentinel-4711"));
		if (loaded)
			yaml_document_delete(&doc);
		yaml_parser_delete(&p);
	}
}

UNIT_SUITE(clouds,
	UNIT_TEST(test_clouds_password_by_name),
	UNIT_TEST(test_clouds_domain_fallback_and_interface),
	UNIT_TEST(test_clouds_appcred_by_id),
	UNIT_TEST(test_clouds_appcred_by_name_needs_user),
	UNIT_TEST(test_clouds_missing_password_names_line_and_key),
	UNIT_TEST(test_clouds_user_by_name_needs_domain),
	UNIT_TEST(test_clouds_errors),
	UNIT_TEST(test_clouds_file_and_search),
	UNIT_TEST(test_clouds_wipe_overwrites_secrets),
	UNIT_TEST(test_clouds_wipe_parser_buffers))
