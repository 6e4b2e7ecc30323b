/* proto tables: kinds, error codes, the method catalogue and field specs. */
#include <string.h>
#include "proto/proto.h"
#include "tests/unit/unit.h"

static char err[256];

static void test_kinds_and_errors(void)
{
	enum proto_kind k;
	for (int i = 0; i < PROTO_KIND_COUNT; i++) {
		CU_ASSERT_EQUAL(proto_kind_parse(proto_kind_name((enum proto_kind)i), &k), 0);
		CU_ASSERT_EQUAL(k, i);
	}
	CU_ASSERT_STRING_EQUAL(proto_kind_name(PROTO_HB), "hb");
	CU_ASSERT_STRING_EQUAL(proto_kind_name((enum proto_kind)99), "?");
	CU_ASSERT_EQUAL(proto_kind_parse("nope", &k), -1);

	enum proto_error e;
	CU_ASSERT_STRING_EQUAL(proto_error_name(PROTO_OK), "ok");
	CU_ASSERT_STRING_EQUAL(proto_error_name(PROTO_E_SHUTTING_DOWN), "shutting_down");
	CU_ASSERT_EQUAL(proto_error_parse("rate_limited", &e), 0);
	CU_ASSERT_EQUAL(e, PROTO_E_RATE_LIMITED);
	CU_ASSERT_EQUAL(proto_error_parse("ok", &e), -1);
	CU_ASSERT_EQUAL(proto_error_parse("Rate_Limited", &e), -1);
	/* the closed list of DESIGN.md §3, each round-tripping */
	static const char *const wire[] = { "bad_request", "not_found", "conflict", "unauthorized",
		"forbidden", "rate_limited", "unavailable", "timeout", "shutting_down", "internal" };
	CU_ASSERT_EQUAL(PROTO_ERROR_COUNT, 11);
	for (size_t i = 0; i < sizeof(wire) / sizeof(wire[0]); i++) {
		CU_ASSERT_EQUAL(proto_error_parse(wire[i], &e), 0);
		CU_ASSERT_STRING_EQUAL(proto_error_name(e), wire[i]);
		CU_ASSERT_STRING_NOT_EQUAL(proto_error_doc(e), "?");
	}
}

/* Every catalogue entry is well formed: unique name, known server, specs that parse. */
static void test_catalogue_well_formed(void)
{
	size_t n;
	const struct proto_method *ms = proto_methods(&n);
	CU_ASSERT_TRUE(n >= 30);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_PTR_EQUAL(proto_method_find(ms[i].name), &ms[i]);
		CU_ASSERT_TRUE(strlen(ms[i].name) < PROTO_NAME_MAX);
		CU_ASSERT_NOT_EQUAL(ms[i].callers, 0);
		if (proto_spec_check(ms[i].request, err, sizeof(err)) ||
		    proto_spec_check(ms[i].reply, err, sizeof(err))) {
			fprintf(stderr, "\n  %s: %s\n", ms[i].name, err);
			CU_FAIL("bad spec in methods.def");
		}
		/* method names start with their server's prefix */
		const char *dot = strchr(ms[i].name, '.');
		CU_ASSERT_PTR_NOT_NULL(dot);
	}
	CU_ASSERT_PTR_NULL(proto_method_find("no.such"));
	CU_ASSERT_PTR_NULL(proto_method_find(NULL));
	CU_ASSERT_STRING_EQUAL(proto_method_find("github.runner.jit")->server, "github");
}

static void test_caller_may(void)
{
	const struct proto_method *status = proto_method_find("sup.status");
	const struct proto_method *flush = proto_method_find("scaler.flush");
	const struct proto_method *del = proto_method_find("os.server.delete");
	const struct proto_method *spawn = proto_method_find("scaler.spawn");
	CU_ASSERT_TRUE(proto_caller_may(status, C_READ));
	CU_ASSERT_TRUE(proto_caller_may(status, C_ADMIN));      /* admin implies read */
	CU_ASSERT_FALSE(proto_caller_may(flush, C_READ));
	CU_ASSERT_TRUE(proto_caller_may(flush, C_ADMIN));
	CU_ASSERT_TRUE(proto_caller_may(spawn, C_REACTIVE));
	CU_ASSERT_FALSE(proto_caller_may(del, C_REACTIVE));
	CU_ASSERT_TRUE(proto_caller_may(del, C_SCALER));
	CU_ASSERT_FALSE(proto_caller_may(NULL, ~0u));
	/* live-API listings cost rate-limit budget: admin only, not read */
	static const char *const costly[] = { "github.runners.list", "os.servers.list",
	                                      "os.flavors.list", "os.quota" };
	for (size_t i = 0; i < sizeof(costly) / sizeof(costly[0]); i++) {
		CU_ASSERT_FALSE(proto_caller_may(proto_method_find(costly[i]), C_READ));
		CU_ASSERT_TRUE(proto_caller_may(proto_method_find(costly[i]), C_ADMIN));
	}
	CU_ASSERT_TRUE(proto_caller_may(proto_method_find("github.ratelimit"), C_READ));
	/* rights nobody uses are not granted: the image builder lists no runners and pins
	 * no image (the scaler follows image.built) */
	CU_ASSERT_FALSE(proto_caller_may(proto_method_find("github.runners.list"), C_IMAGE));
	CU_ASSERT_FALSE(proto_caller_may(proto_method_find("scaler.image"), C_IMAGE));
	CU_ASSERT_TRUE(proto_caller_may(proto_method_find("scaler.image"), C_ADMIN));
	/* the test worker calls anything as itself: driving it is an administrator's act */
	static const char *const relays[] = { "fake.call", "fake.bench" };
	for (size_t i = 0; i < sizeof(relays) / sizeof(relays[0]); i++) {
		CU_ASSERT_FALSE(proto_caller_may(proto_method_find(relays[i]), C_READ));
		CU_ASSERT_TRUE(proto_caller_may(proto_method_find(relays[i]), C_ADMIN));
	}
}

static void expect_field_err(const char *spec, const char *body_text, const char *want)
{
	json_t *body = body_text ? json_loads(body_text, 0, NULL) : NULL;
	int r = proto_validate_fields(spec, body, err, sizeof(err));
	CU_ASSERT_EQUAL(r, -1);
	if (r == 0 || strcmp(err, want)) {
		fprintf(stderr, "\n  spec \"%s\" body %s: got \"%s\", wanted \"%s\"\n", spec, body_text,
		        r ? err : "ok", want);
		CU_FAIL("wrong reason");
	}
	json_decref(body);
}

static void expect_field_ok(const char *spec, const char *body_text)
{
	json_t *body = body_text ? json_loads(body_text, 0, NULL) : NULL;
	int r = proto_validate_fields(spec, body, err, sizeof(err));
	if (r)
		fprintf(stderr, "\n  spec \"%s\" body %s: %s\n", spec, body_text, err);
	CU_ASSERT_EQUAL(r, 0);
	json_decref(body);
}

static void test_field_specs(void)
{
	const char *spec = "name:s count:i? tags:as flag:b? ratio:n? obj:o? arr:a? objs:ao? any:j?";
	expect_field_ok(spec, "{\"name\":\"x\",\"tags\":[]}");
	expect_field_ok(spec, "{\"name\":\"x\",\"tags\":[\"a\",\"b\"],\"count\":3,\"flag\":false,"
	                      "\"ratio\":1.5,\"obj\":{},\"arr\":[1,\"x\"],\"objs\":[{}],\"any\":null}");
	expect_field_ok(spec, "{\"name\":\"x\",\"tags\":[],\"ratio\":2}");
	expect_field_ok("", NULL);
	expect_field_ok("x:i?", NULL);
	expect_field_err(spec, "{\"tags\":[]}", "missing field \"name\"");
	expect_field_err(spec, NULL, "missing field \"name\"");
	expect_field_err(spec, "{\"name\":1,\"tags\":[]}", "field \"name\" must be a string");
	expect_field_err(spec, "{\"name\":\"x\",\"tags\":[1]}", "field \"tags\" must be an array of strings");
	expect_field_err(spec, "{\"name\":\"x\",\"tags\":[],\"count\":1.5}", "field \"count\" must be an integer");
	expect_field_err(spec, "{\"name\":\"x\",\"tags\":[],\"count\":null}", "field \"count\" must be an integer");
	expect_field_err(spec, "{\"name\":\"x\",\"tags\":[],\"objs\":[[]]}", "field \"objs\" must be an array of objects");
	expect_field_err(spec, "{\"name\":\"x\",\"tags\":[],\"flag\":\"true\"}", "field \"flag\" must be a boolean");
	expect_field_err(spec, "{\"name\":\"x\",\"tags\":[],\"hack\":1}", "unknown field \"hack\"");
	expect_field_err(spec, "[]", "body must be an object");
	expect_field_err("name:q", "{}", "malformed field spec \"name:q\"");
	expect_field_err(":s", "{}", "malformed field spec \":s\"");
	CU_ASSERT_EQUAL(proto_spec_check("a:s b", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(proto_spec_check("a:s  b:as? ", err, sizeof(err)), 0);
}

static void test_validate_request_reply(void)
{
	json_t *b = json_pack("{s:s, s:[s]}", "name", "ghr-a-1", "labels", "x");
	CU_ASSERT_EQUAL(proto_validate_request("github.runner.jit", b, err, sizeof(err)), 0);
	json_object_set_new(b, "evil", json_true());
	CU_ASSERT_EQUAL(proto_validate_request("github.runner.jit", b, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "unknown field \"evil\"");
	CU_ASSERT_EQUAL(proto_validate_request("github.nope", b, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "unknown method \"github.nope\"");
	json_decref(b);
	/* replies: extra fields allowed, required ones checked */
	b = json_pack("{s:i, s:s, s:b}", "runner_id", 12, "jit_config", "x", "new_field", 1);
	CU_ASSERT_EQUAL(proto_validate_reply("github.runner.jit", b, err, sizeof(err)), 0);
	json_object_del(b, "jit_config");
	CU_ASSERT_EQUAL(proto_validate_reply("github.runner.jit", b, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "missing field \"jit_config\"");
	json_decref(b);
	CU_ASSERT_EQUAL(proto_validate_request("sup.status", NULL, err, sizeof(err)), 0);
}

UNIT_SUITE(proto_catalogue,
	UNIT_TEST(test_kinds_and_errors),
	UNIT_TEST(test_catalogue_well_formed),
	UNIT_TEST(test_caller_may),
	UNIT_TEST(test_field_specs),
	UNIT_TEST(test_validate_request_reply))
