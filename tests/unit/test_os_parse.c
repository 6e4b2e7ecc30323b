/* os_parse: the real captured OpenStack replies (tests/fixtures/api/openstack), the
 * request bodies Keystone expects, and garbage of every shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"
#include <curl/curl.h>

#include "common/http.h"
#include "workers/openstack/os.h"
#include "workers/openstack/os_parse.h"

static char err[512];

static json_t *sample(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "tests/fixtures/api/openstack/%s", name);
	char *text = unit_read(path);
	json_t *j = json_loads(text, 0, NULL);
	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	return j;
}

/* The body os_auth_body builds equals the captured request, key for key. */
static void test_os_auth_body_password_matches_sample(void)
{
	json_t *entry = json_pack("{ss s{ss ss ss ss ss ss}}", "auth_type", "password", "auth",
	                          "auth_url", "http://k/v3", "username", "ghr", "password", "SECRET",
	                          "project_name", "runners", "user_domain_name", "Default",
	                          "project_domain_name", "Default");
	json_t *body = os_auth_body(entry, err, sizeof err);
	json_t *want = sample("keystone-auth-password-request.json");
	CU_ASSERT_TRUE(json_equal(body, want));
	os_json_wipe_secrets(body);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(
		json_object_get(body, "auth"), "identity"), "password"), "user"), "password")), "");
	json_decref(body);
	json_decref(want);
	json_decref(entry);
}

static void test_os_auth_body_appcred_matches_sample(void)
{
	json_t *entry = json_pack("{ss s{ss ss ss}}", "auth_type", "v3applicationcredential", "auth",
	                          "auth_url", "http://k/v3", "application_credential_id",
	                          "dd48ecf35fbe4299b5514abef00a6e60", "application_credential_secret", "SECRET");
	json_t *body = os_auth_body(entry, err, sizeof err);
	json_t *want = sample("keystone-auth-application-credential-request.json");
	CU_ASSERT_TRUE(json_equal(body, want));
	json_decref(body);
	json_decref(want);
	json_decref(entry);
}

static void test_os_auth_body_ids_and_names(void)
{
	json_t *entry = json_pack("{ss s{ss ss ss ss}}", "auth_type", "password", "auth", "auth_url", "u",
	                          "user_id", "U1", "password", "pw", "project_id", "P1");
	json_t *body = os_auth_body(entry, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	json_t *user = json_object_get(json_object_get(json_object_get(json_object_get(body, "auth"),
	                               "identity"), "password"), "user");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(user, "id")), "U1");
	CU_ASSERT_PTR_NULL(json_object_get(user, "domain"));
	json_t *proj = json_object_get(json_object_get(json_object_get(body, "auth"), "scope"), "project");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(proj, "id")), "P1");
	json_decref(body);
	json_decref(entry);

	entry = json_pack("{ss s{ss ss ss ss ss}}", "auth_type", "v3applicationcredential", "auth",
	                  "auth_url", "u", "application_credential_name", "n", "application_credential_secret", "s",
	                  "username", "ghr", "user_domain_id", "default");
	body = os_auth_body(entry, err, sizeof err);
	json_t *cred = json_object_get(json_object_get(json_object_get(body, "auth"), "identity"), "application_credential");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(cred, "name")), "n");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(json_object_get(cred, "user"), "domain"), "id")), "default");
	json_decref(body);
	json_decref(entry);

	entry = json_pack("{ss s{ss}}", "auth_type", "password", "auth", "auth_url", "u");
	CU_ASSERT_PTR_NULL(os_auth_body(entry, err, sizeof err));
	CU_ASSERT_STRING_EQUAL(err, "auth: user missing");
	json_decref(entry);
	CU_ASSERT_PTR_NULL(os_auth_body(json_null(), err, sizeof err));
}

static void test_os_token_and_catalog_sample(void)
{
	json_t *tok = sample("keystone-token-response.json");
	int64_t exp, iss;
	CU_ASSERT_EQUAL_FATAL(os_parse_token(tok, &exp, &iss, err, sizeof err), 0);
	CU_ASSERT_EQUAL(exp - iss, 3600 * 1000);
	char url[256];
	CU_ASSERT_EQUAL(os_catalog_pick(tok, "compute", "public", "RegionOne", url, sizeof url, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(url, "http://127.0.0.1:8774/v2.1");
	CU_ASSERT_EQUAL(os_catalog_pick(tok, "image", "internal", NULL, url, sizeof url, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(url, "http://127.0.0.1:9292");
	CU_ASSERT_EQUAL(os_catalog_pick(tok, "identity", "admin", NULL, url, sizeof url, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(url, "http://127.0.0.1:5000/v3");   /* trailing slash dropped */
	CU_ASSERT_EQUAL(os_catalog_pick(tok, "compute", "public", "RegionTwo", url, sizeof url, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "catalog: no compute endpoint with interface public in region RegionTwo");
	CU_ASSERT_EQUAL(os_catalog_pick(tok, "volumev3", "public", NULL, url, sizeof url, err, sizeof err), -1);
	json_decref(tok);
}

static void test_os_catalog_region_and_interface_choice(void)
{
	json_t *tok = json_loads("{\"token\":{\"expires_at\":\"2030-01-01T00:00:00Z\",\"catalog\":["
		"{\"type\":\"compute\",\"endpoints\":["
		"{\"interface\":\"public\",\"region_id\":\"R1\",\"url\":\"http://r1-pub/\"},"
		"{\"interface\":\"internal\",\"region_id\":\"R1\",\"url\":\"http://r1-int\"},"
		"{\"interface\":\"public\",\"region\":\"R2\",\"url\":\"http://r2-pub\"},"
		"{\"interface\":7,\"url\":null}]}]}}", 0, NULL);
	char url[64];
	CU_ASSERT_EQUAL(os_catalog_pick(tok, "compute", "public", "R2", url, sizeof url, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(url, "http://r2-pub");
	CU_ASSERT_EQUAL(os_catalog_pick(tok, "compute", "internal", "R1", url, sizeof url, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(url, "http://r1-int");
	CU_ASSERT_EQUAL(os_catalog_pick(tok, "compute", "public", NULL, url, sizeof url, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(url, "http://r1-pub");
	CU_ASSERT_EQUAL(os_catalog_pick(tok, "compute", "public", "R1", url, 8, err, sizeof err), -1);
	json_decref(tok);
}

static void test_os_token_garbage(void)
{
	static const char *const bad[] = {
		"{}", "[]", "{\"token\":1}", "{\"token\":{\"expires_at\":5}}",
		"{\"token\":{\"expires_at\":\"tomorrow\"}}", "null",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		int64_t e, s;
		char url[64];
		CU_ASSERT_EQUAL(os_parse_token(j, &e, &s, err, sizeof err), -1);
		CU_ASSERT_EQUAL(os_catalog_pick(j, "compute", "public", NULL, url, sizeof url, err, sizeof err), -1);
		json_decref(j);
	}
}

static void test_os_token_renew_at(void)
{
	/* an hour-long token: 5 minutes before; a 2-second one: halfway */
	CU_ASSERT_EQUAL(os_token_renew_at(0, 3600000, 5), 3600000 - 300000);
	CU_ASSERT_EQUAL(os_token_renew_at(1000, 3000, 1500), 1000 + 1600);
	CU_ASSERT_EQUAL(os_token_renew_at(-1, 3600000, 0), 3300000);
}

/* A short token without issued_at is renewed at 80% of the life it had when it came,
 * not before every call (expires - 5 min would be in the past). */
static void test_os_token_renew_short_without_issued(void)
{
	int64_t now = 1000000000;
	CU_ASSERT_EQUAL(os_token_renew_at(-1, now + 120000, now), now + 96000);
	CU_ASSERT(os_token_renew_at(-1, now + 2000, now) > now);
	CU_ASSERT_EQUAL(os_token_renew_at(-1, now + 2000, now), now + 1600);
	CU_ASSERT_EQUAL(os_token_renew_at(now, now + 240000, now + 7), now + 192000);
	/* already expired when it came: renew at once, never later than expiry */
	CU_ASSERT(os_token_renew_at(-1, now - 10, now) <= now);
}

static void test_os_compute_urls(void)
{
	char base[256], ver[256];
	static const struct { const char *in, *base, *ver; } cases[] = {
		{ "http://h:8774/v2.1", "http://h:8774/v2.1", "http://h:8774/v2.1/" },
		{ "http://h:8774/v2.1/7936cdd3", "http://h:8774/v2.1/7936cdd3", "http://h:8774/v2.1/" },
		{ "http://h:8774/v2/7936cdd3", "http://h:8774/v2.1/7936cdd3", "http://h:8774/v2.1/" },
		{ "https://cloud/compute/v2/7936cdd3", "https://cloud/compute/v2.1/7936cdd3", "https://cloud/compute/v2.1/" },
		{ "https://cloud/compute/v2.1", "https://cloud/compute/v2.1", "https://cloud/compute/v2.1/" },
		{ "https://cloud/v2x/compute", "https://cloud/v2x/compute", "https://cloud/v2x/compute/" },
		{ "https://v2.1.example/nova", "https://v2.1.example/nova", "https://v2.1.example/nova/" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CU_ASSERT_EQUAL_FATAL(os_compute_urls(cases[i].in, base, sizeof base, ver, sizeof ver), 0);
		CU_ASSERT_STRING_EQUAL(base, cases[i].base);
		CU_ASSERT_STRING_EQUAL(ver, cases[i].ver);
	}
	CU_ASSERT_EQUAL(os_compute_urls("http://h/v2/p", base, 8, ver, sizeof ver), -1);
}

/* Servers Nova cannot describe fail the page: a partial list must not pass for whole. */
static void test_os_servers_page_partial(void)
{
	static const char *const pages[] = {
		/* 2.69+: a server of an unreachable cell */
		"{\"servers\":[{\"id\":\"a\",\"name\":\"n\",\"status\":\"ACTIVE\"},"
		"{\"id\":\"b\",\"status\":\"UNKNOWN\",\"tenant_id\":\"t\",\"created\":\"2020-01-01T00:00:00Z\"}]}",
		/* only malformed servers */
		"{\"servers\":[{\"name\":\"x\"},{\"id\":3}],\"servers_links\":[{\"rel\":\"next\",\"href\":\"h\"}]}",
	};
	int next;
	char last[64];
	for (size_t i = 0; i < 2; i++) {
		json_t *r = json_loads(pages[i], 0, NULL), *out = json_array();
		CU_ASSERT_EQUAL(os_parse_servers_page(r, NULL, out, &next, last, sizeof last, err, sizeof err), -2);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "partial"));
		if (i == 0)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "UNKNOWN"));
		json_decref(out);
		json_decref(r);
	}
}

static void test_os_servers_next_step(void)
{
	CU_ASSERT_EQUAL(os_servers_next_step(0, 5, "e", "", 1, 10, err, sizeof err), OS_PAGE_LAST);
	CU_ASSERT_EQUAL(os_servers_next_step(1, 0, "", "m", 2, 10, err, sizeof err), OS_PAGE_LAST);
	CU_ASSERT_EQUAL(os_servers_next_step(1, 5, "e", "", 1, 10, err, sizeof err), OS_PAGE_MORE);
	CU_ASSERT_EQUAL(os_servers_next_step(1, 5, "e", "e", 2, 10, err, sizeof err), OS_PAGE_BROKEN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "same server"));
	CU_ASSERT_EQUAL(os_servers_next_step(1, 5, "f", "e", 10, 10, err, sizeof err), OS_PAGE_BROKEN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "10 pages"));
	CU_ASSERT_EQUAL(os_servers_next_step(1, 5, "", "e", 2, 10, err, sizeof err), OS_PAGE_BROKEN);
}

/* Only a POST that provably never left may be sent again. */
static void test_os_post_outcome(void)
{
	struct http_response resp = { 0 };
	struct os_result r = { 0 };
	CU_ASSERT_EQUAL(os_post_outcome(&r), OS_POST_REFUSED);          /* never on the wire */
	r.resp = &resp;
	static const struct { int curl; long status; enum os_post_outcome want; } cases[] = {
		{ CURLE_COULDNT_CONNECT, 0, OS_POST_NOT_SENT },
		{ CURLE_COULDNT_RESOLVE_HOST, 0, OS_POST_NOT_SENT },
		{ CURLE_OPERATION_TIMEDOUT, 0, OS_POST_UNKNOWN },
		{ CURLE_RECV_ERROR, 0, OS_POST_UNKNOWN },
		{ CURLE_GOT_NOTHING, 0, OS_POST_UNKNOWN },
		{ CURLE_SEND_ERROR, 0, OS_POST_UNKNOWN },
		{ 0, 500, OS_POST_UNKNOWN },
		{ 0, 503, OS_POST_UNKNOWN },
		{ 0, 202, OS_POST_UNKNOWN },     /* no server id in the body */
		{ 0, 400, OS_POST_REFUSED },
		{ 0, 403, OS_POST_REFUSED },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r.transport_error = cases[i].curl;
		r.status = cases[i].status;
		CU_ASSERT_EQUAL(os_post_outcome(&r), cases[i].want);
	}
	r.transport_error = 0;
	r.status = 202;
	r.json = json_loads("{\"server\":{\"id\":\"s1\"}}", 0, NULL);
	CU_ASSERT_EQUAL(os_post_outcome(&r), OS_POST_CREATED);
	json_decref(r.json);
}

static void test_os_microversion(void)
{
	json_t *v = sample("nova-version-discovery-response.json");
	char min[16], max[16], pick[16];
	CU_ASSERT_EQUAL_FATAL(os_parse_version(v, min, max, sizeof min, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(min, "2.1");
	CU_ASSERT_STRING_EQUAL(max, "2.93");
	json_decref(v);
	CU_ASSERT_EQUAL(os_microversion_pick("2.1", "2.93", "2.91", pick, sizeof pick), 0);
	CU_ASSERT_STRING_EQUAL(pick, "2.91");
	CU_ASSERT_EQUAL(os_microversion_pick("2.1", "2.79", "2.91", pick, sizeof pick), 0);
	CU_ASSERT_STRING_EQUAL(pick, "2.79");
	CU_ASSERT_EQUAL(os_microversion_pick("2.50", "2.79", "2.9", pick, sizeof pick), -1);
	CU_ASSERT_EQUAL(os_microversion_pick("2.1", "2.79", "two", pick, sizeof pick), -1);
	CU_ASSERT_TRUE(os_microversion_cmp("2.10", "2.9") > 0);
	CU_ASSERT_TRUE(os_microversion_cmp("2.9", "2.10") < 0);
	CU_ASSERT_EQUAL(os_microversion_cmp("2.79", "2.79"), 0);
	CU_ASSERT_TRUE(os_microversion_cmp("x", "2.1") < 0);

	v = json_loads("{\"versions\":[{\"id\":\"v2.0\",\"version\":\"\",\"min_version\":\"\"},"
	               "{\"id\":\"v2.1\",\"version\":\"2.60\",\"min_version\":\"2.1\"}]}", 0, NULL);
	CU_ASSERT_EQUAL(os_parse_version(v, min, max, sizeof min, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(max, "2.60");
	json_decref(v);
	static const char *const bad[] = { "{}", "{\"version\":{\"version\":\"2.x\",\"min_version\":\"2.1\"}}",
	                                   "{\"version\":[]}", "{\"versions\":7}" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = json_loads(bad[i], 0, NULL);
		CU_ASSERT_EQUAL(os_parse_version(v, min, max, sizeof min, err, sizeof err), -1);
		json_decref(v);
	}
}

static void test_os_servers_page_samples(void)
{
	json_t *page = sample("nova-servers-detail-filtered-response.json");
	json_t *out = json_array();
	int next = 1;
	char last[64];
	CU_ASSERT_EQUAL(os_parse_servers_page(page, "demo", out, &next, last, sizeof last, err, sizeof err), 1);
	CU_ASSERT_EQUAL(next, 0);
	CU_ASSERT_STRING_EQUAL(last, "f4df827f-5d79-4358-a7eb-feaf5e9cfc86");
	CU_ASSERT_EQUAL_FATAL(json_array_size(out), 1);
	json_t *s = json_array_get(out, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "name")), "ghr-demo-small-0a1b2c3d");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "status")), "ACTIVE");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "created")), "2026-11-23T00:58:09Z");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "image_id")), "137d3556-828f-4a72-90f8-7ed756aebc93");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "flavor")), "m1.tiny");
	CU_ASSERT_TRUE(json_is_null(json_object_get(s, "fault")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(s, "metadata"), "ghr-pool")), "small");
	CU_ASSERT_TRUE(json_is_object(json_object_get(s, "addresses")));
	json_decref(out);
	json_decref(page);

	/* the unfiltered sample holds a server of another tool: not ours */
	page = sample("nova-servers-detail-response.json");
	out = json_array();
	CU_ASSERT_EQUAL(os_parse_servers_page(page, "demo", out, &next, last, sizeof last, err, sizeof err), 1);
	CU_ASSERT_EQUAL(json_array_size(out), 0);
	CU_ASSERT_STRING_EQUAL(last, "3a26fa61-c08a-45f2-9d40-88b2bad6fd01");
	json_decref(out);
	json_decref(page);
}

static void test_os_servers_page_fault_next_and_garbage(void)
{
	json_t *page = json_loads("{\"servers\":["
		"{\"id\":\"a\",\"name\":\"m-p-1\",\"status\":\"ERROR\",\"metadata\":{\"ghr-manager\":\"m\",\"n\":3},"
		" \"fault\":{\"code\":500,\"message\":\"No valid host was found.\"},\"image\":\"\",\"flavor\":{\"id\":\"f1\"}},"
		"{\"id\":\"c\",\"name\":\"m-p-2\",\"status\":\"BUILD\",\"metadata\":[],\"addresses\":\"no\"}],"
		"\"servers_links\":[{\"rel\":\"next\",\"href\":\"http://x/servers/detail?marker=c\"}]}", 0, NULL);
	json_t *out = json_array();
	int next = 0;
	char last[64];
	CU_ASSERT_EQUAL(os_parse_servers_page(page, "m", out, &next, last, sizeof last, err, sizeof err), 2);
	CU_ASSERT_EQUAL(next, 1);
	CU_ASSERT_STRING_EQUAL(last, "c");
	CU_ASSERT_EQUAL_FATAL(json_array_size(out), 1);
	json_t *s = json_array_get(out, 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(s, "fault"), "code")), 500);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(s, "fault"), "message")), "No valid host was found.");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "image_id")), "");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "flavor")), "f1");
	CU_ASSERT_PTR_NULL(json_object_get(json_object_get(s, "metadata"), "n"));   /* non-string dropped */
	json_decref(out);
	json_decref(page);

	/* an item that is no server makes the page (and so the list) incomplete */
	static const char *const items[] = { "{\"id\":\"b\",\"name\":7,\"status\":\"ACTIVE\"}",
		"{\"name\":\"x\",\"status\":\"ACTIVE\"}", "\"junk\"", "null", "5" };
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
		char text[200];
		snprintf(text, sizeof text, "{\"servers\":[{\"id\":\"a\",\"name\":\"m-1\",\"status\":\"ACTIVE\"},%s]}", items[i]);
		page = json_loads(text, 0, NULL);
		out = json_array();
		CU_ASSERT_EQUAL(os_parse_servers_page(page, "m", out, &next, last, sizeof last, err, sizeof err), -2);
		json_decref(out);
		json_decref(page);
	}

	static const char *const bad[] = { "{}", "[]", "{\"servers\":{}}", "null", "{\"servers\":\"x\"}" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		page = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		out = json_array();
		CU_ASSERT_EQUAL(os_parse_servers_page(page, "m", out, &next, last, sizeof last, err, sizeof err), -1);
		json_decref(out);
		json_decref(page);
	}
}

static void test_os_server_get_sample(void)
{
	json_t *r = sample("nova-server-get-response.json");
	json_t *s = os_server_normalise(json_object_get(r, "server"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "id")), "f4df827f-5d79-4358-a7eb-feaf5e9cfc86");
	CU_ASSERT_TRUE(json_is_null(json_object_get(s, "task_state")));
	json_decref(s);
	json_decref(r);
	CU_ASSERT_PTR_NULL(os_server_normalise(NULL));
}

static void test_os_images_samples(void)
{
	json_t *r = sample("glance-images-by-tag-response.json");
	json_t *out = json_array();
	char next[256];
	CU_ASSERT_EQUAL(os_parse_images_page(r, out, next, sizeof next, err, sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(next, "");
	json_t *img = json_array_get(out, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(img, "status")), "queued");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(img, "tags"), 0)), "ghr-runner");
	json_t *props = json_object_get(img, "properties");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(props, "ghr-runner-version")), "2.330.0");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(props, "image_type")), "snapshot");
	CU_ASSERT_PTR_NULL(json_object_get(props, "self"));
	json_decref(out);
	json_decref(r);

	r = json_loads("{\"images\":[{\"id\":\"i1\",\"name\":\"n\",\"tags\":[1,\"t\"]},{\"name\":\"noid\"}],"
	               "\"next\":\"/v2/images?marker=i1\"}", 0, NULL);
	out = json_array();
	CU_ASSERT_EQUAL(os_parse_images_page(r, out, next, sizeof next, err, sizeof err), 2);
	CU_ASSERT_STRING_EQUAL(next, "/v2/images?marker=i1");
	CU_ASSERT_EQUAL(json_array_size(out), 1);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_array_get(out, 0), "tags")), 1);
	json_decref(out);
	json_decref(r);

	r = sample("glance-image-show-response.json");
	img = os_image_normalise(r);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(img, "name")), "ghr-image-test");
	json_decref(img);
	json_decref(r);
}

static void test_os_flavors_limits_networks(void)
{
	json_t *r = sample("nova-flavors-detail-response.json");
	json_t *f = os_parse_flavors(r, err, sizeof err);
	CU_ASSERT_EQUAL_FATAL(json_array_size(f), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(f, 0), "name")), "m1.tiny");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(f, 0), "ram")), 512);
	char id[64];
	int missing;
	CU_ASSERT_EQUAL(os_find_id_by_name(r, "flavors", "m1.tiny", id, sizeof id, &missing, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(id, "0cacf076-e4c3-4dc9-adcd-29f859adb802");
	CU_ASSERT_EQUAL(os_find_id_by_name(r, "flavors", "0cacf076-e4c3-4dc9-adcd-29f859adb802", id, sizeof id,
	                                   &missing, err, sizeof err), 0);
	CU_ASSERT_EQUAL(os_find_id_by_name(r, "flavors", "m1.huge", id, sizeof id, &missing, err, sizeof err), -1);
	CU_ASSERT_EQUAL(missing, 1);
	json_decref(f);
	json_decref(r);

	r = sample("neutron-networks-list-response.json");
	CU_ASSERT_EQUAL(os_find_id_by_name(r, "networks", "ghr-net", id, sizeof id, &missing, err, sizeof err), -1);
	CU_ASSERT_EQUAL(missing, 1);
	json_decref(r);
	r = json_loads("{\"networks\":[{\"id\":\"n1\",\"name\":\"dup\"},{\"id\":\"n2\",\"name\":\"dup\"}]}", 0, NULL);
	CU_ASSERT_EQUAL(os_find_id_by_name(r, "networks", "dup", id, sizeof id, &missing, err, sizeof err), -1);
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_STRING_EQUAL(err, "2 networks are named \"dup\"; give the id");
	json_decref(r);

	r = json_loads("{\"limits\":{\"absolute\":{\"maxTotalInstances\":10,\"totalInstancesUsed\":7,"
	               "\"maxTotalCores\":-1,\"totalCoresUsed\":3,\"maxTotalRAMSize\":100,\"totalRAMUsed\":150}}}", 0, NULL);
	json_t *q = os_parse_limits(r, err, sizeof err);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(q, "instances")), 3);
	CU_ASSERT_PTR_NULL(json_object_get(q, "cores"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(q, "ram_mb")), 0);
	json_decref(q);
	json_decref(r);
	CU_ASSERT_PTR_NULL(os_parse_limits(json_null(), err, sizeof err));
	CU_ASSERT_PTR_NULL(os_parse_flavors(json_null(), err, sizeof err));
}

static void test_os_error_messages(void)
{
	char msg[128];
	json_t *j = sample("nova-error-404-response.json");
	char *text = json_dumps(j, 0);
	os_error_message(404, "application/json", text, strlen(text), msg, sizeof msg);
	CU_ASSERT_STRING_EQUAL(msg, "Instance 00000000-0000-0000-0000-000000000000 could not be found.");
	free(text);
	json_decref(j);

	static const struct { const char *body; const char *want; } cases[] = {
		{ "{\"error\":{\"code\":401,\"message\":\"The request you have made requires authentication.\",\"title\":\"Unauthorized\"}}",
		  "The request you have made requires authentication." },
		{ "{\"NeutronError\":{\"type\":\"NetworkNotFound\",\"message\":\"Network x could not be found.\",\"detail\":\"\"}}",
		  "Network x could not be found." },
		{ "{\"forbidden\":{\"code\":403,\"message\":\"Quota exceeded for instances: Requested 1, but already used 10 of 10 instances\"}}",
		  "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances" },
		{ "", "HTTP 503" },
		{ "{\"unexpected\":true}", "HTTP 503" },
		{ "\x01\x02\x03", "HTTP 503" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		os_error_message(503, NULL, cases[i].body, strlen(cases[i].body), msg, sizeof msg);
		CU_ASSERT_STRING_EQUAL(msg, cases[i].want);
	}
	/* Glance's own 404 page is HTML and says what was wrong: kept */
	const char *glance = "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>"
	                     "\nThe resource\r\ncould not be found.</body></html>";
	os_error_message(404, "text/html; charset=UTF-8", glance, strlen(glance), msg, sizeof msg);
	CU_ASSERT_STRING_EQUAL(msg, "404 Not Found 404 Not Found The resource could not be found.");
	/* a load balancer's 502 page is not copied: status, content type, size */
	const char *lb = "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>";
	os_error_message(502, "text/html", lb, strlen(lb), msg, sizeof msg);
	CU_ASSERT_STRING_EQUAL(msg, "HTTP 502, not JSON but text/html (55 bytes)");
	os_error_message(502, NULL, lb, strlen(lb), msg, sizeof msg);
	CU_ASSERT_STRING_EQUAL(msg, "HTTP 502, not JSON but text/html (55 bytes)");
	/* a long body is cut, never overflows */
	char big[4096];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	os_error_message(500, NULL, big, strlen(big), msg, sizeof msg);
	CU_ASSERT_EQUAL(strlen(msg), sizeof msg - 1);
}

static void test_os_status_to_error(void)
{
	CU_ASSERT_EQUAL(os_status_to_error(404, "x"), PROTO_E_NOT_FOUND);
	CU_ASSERT_EQUAL(os_status_to_error(401, NULL), PROTO_E_UNAUTHORIZED);
	CU_ASSERT_EQUAL(os_status_to_error(403, "Policy does not allow"), PROTO_E_FORBIDDEN);
	CU_ASSERT_EQUAL(os_status_to_error(403, "Quota exceeded for cores"), PROTO_E_UNAVAILABLE);
	CU_ASSERT_EQUAL(os_status_to_error(413, "anything"), PROTO_E_UNAVAILABLE);
	CU_ASSERT_EQUAL(os_status_to_error(409, "x"), PROTO_E_CONFLICT);
	CU_ASSERT_EQUAL(os_status_to_error(429, "x"), PROTO_E_RATE_LIMITED);
	CU_ASSERT_EQUAL(os_status_to_error(503, "x"), PROTO_E_UNAVAILABLE);
	CU_ASSERT_EQUAL(os_status_to_error(418, "x"), PROTO_E_BAD_REQUEST);
	CU_ASSERT_EQUAL(os_status_to_error(302, "x"), PROTO_E_INTERNAL);
}

static void test_os_encoders(void)
{
	char out[64];
	CU_ASSERT_EQUAL(os_urlenc("^ghr-a.b_c~/?&= ", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "%5Eghr-a.b_c~%2F%3F%26%3D%20");
	CU_ASSERT_EQUAL(os_urlenc("abcdef", out, 6), -1);
	CU_ASSERT_EQUAL(os_regex_escape("ghr.a-(x)$", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "ghr\\.a-\\(x\\)\\$");
	CU_ASSERT_EQUAL(os_regex_escape("....", out, 5), -1);
}

UNIT_SUITE(os_parse,
	UNIT_TEST(test_os_auth_body_password_matches_sample),
	UNIT_TEST(test_os_auth_body_appcred_matches_sample),
	UNIT_TEST(test_os_auth_body_ids_and_names),
	UNIT_TEST(test_os_token_and_catalog_sample),
	UNIT_TEST(test_os_catalog_region_and_interface_choice),
	UNIT_TEST(test_os_token_garbage),
	UNIT_TEST(test_os_token_renew_at),
	UNIT_TEST(test_os_token_renew_short_without_issued),
	UNIT_TEST(test_os_compute_urls),
	UNIT_TEST(test_os_servers_page_partial),
	UNIT_TEST(test_os_servers_next_step),
	UNIT_TEST(test_os_post_outcome),
	UNIT_TEST(test_os_microversion),
	UNIT_TEST(test_os_servers_page_samples),
	UNIT_TEST(test_os_servers_page_fault_next_and_garbage),
	UNIT_TEST(test_os_server_get_sample),
	UNIT_TEST(test_os_images_samples),
	UNIT_TEST(test_os_flavors_limits_networks),
	UNIT_TEST(test_os_error_messages),
	UNIT_TEST(test_os_status_to_error),
	UNIT_TEST(test_os_encoders))
