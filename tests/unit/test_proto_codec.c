/* proto codec: round trips and hostile frames. */
#include <stdlib.h>
#include <string.h>
#include "proto/proto.h"
#include "tests/unit/unit.h"

static char err[256];

static int dec(const char *text, struct proto_msg *m)
{
	err[0] = 0;
	return proto_decode(text, strlen(text), m, err, sizeof(err));
}

/* Decoding must fail, and the reason must contain want. */
static void refuse(const char *text, const char *want)
{
	struct proto_msg m;
	int r = dec(text, &m);
	CU_ASSERT_EQUAL(r, -1);
	CU_ASSERT_PTR_NULL(m.body);
	if (!strstr(err, want)) {
		fprintf(stderr, "\n  frame %.60s\n  reason \"%s\", wanted \"%s\"\n", text, err, want);
		CU_FAIL("wrong reason");
	}
}

static void test_decode_req(void)
{
	struct proto_msg m;
	CU_ASSERT_EQUAL_FATAL(dec("{\"v\":1,\"kind\":\"req\",\"id\":7,\"from\":\"scaler\",\"to\":\"github\","
	                          "\"method\":\"github.runner.jit\",\"deadline_ms\":1763856000123,"
	                          "\"body\":{\"name\":\"ghr-a-small-3f9c2a1b\",\"labels\":[\"small\"]}}", &m), 0);
	CU_ASSERT_EQUAL(m.kind, PROTO_REQ);
	CU_ASSERT_EQUAL(m.id, 7);
	CU_ASSERT_STRING_EQUAL(m.from, "scaler");
	CU_ASSERT_STRING_EQUAL(m.to, "github");
	CU_ASSERT_STRING_EQUAL(m.method, "github.runner.jit");
	CU_ASSERT_EQUAL(m.deadline_ms, 1763856000123LL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m.body, "name")), "ghr-a-small-3f9c2a1b");
	CU_ASSERT_EQUAL(proto_validate_request(m.method, m.body, err, sizeof(err)), 0);
	proto_msg_clear(&m);
	CU_ASSERT_PTR_NULL(m.body);
}

static void test_decode_rep_error(void)
{
	struct proto_msg m;
	CU_ASSERT_EQUAL_FATAL(dec("{\"v\":1,\"kind\":\"rep\",\"id\":7,\"from\":\"github\",\"to\":\"scaler\",\"ok\":false,"
	                          "\"error\":{\"code\":\"rate_limited\",\"message\":\"primary rate limit reached\","
	                          "\"retry_after_ms\":41000}}", &m), 0);
	CU_ASSERT_FALSE(m.ok);
	CU_ASSERT_EQUAL(m.error, PROTO_E_RATE_LIMITED);
	CU_ASSERT_STRING_EQUAL(m.error_message, "primary rate limit reached");
	CU_ASSERT_EQUAL(m.retry_after_ms, 41000);
	proto_msg_clear(&m);
}

static void test_decode_other_kinds(void)
{
	struct proto_msg m;
	CU_ASSERT_EQUAL(dec("{\"v\":1,\"kind\":\"evt\",\"from\":\"openstack\",\"topic\":\"os.server.status\","
	                    "\"body\":{\"id\":\"x\",\"status\":\"ACTIVE\"}}", &m), 0);
	CU_ASSERT_STRING_EQUAL(m.topic, "os.server.status");
	proto_msg_clear(&m);
	CU_ASSERT_EQUAL(dec("{\"v\":1,\"kind\":\"hb\",\"from\":\"github\",\"seq\":913,\"state\":\"ready\"}", &m), 0);
	CU_ASSERT_EQUAL(m.seq, 913);
	CU_ASSERT_STRING_EQUAL(m.state, "ready");
	CU_ASSERT_EQUAL(dec("{\"v\":1,\"kind\":\"hello\",\"from\":\"reactive-consumer.2\",\"token\":\"00ff\",\"pid\":42}", &m), 0);
	CU_ASSERT_STRING_EQUAL(m.token, "00ff");
	CU_ASSERT_EQUAL(m.pid, 42);
	proto_msg_clear(&m);
	CU_ASSERT_EQUAL(m.token[0], 0);
	CU_ASSERT_EQUAL(dec("{\"v\":1,\"kind\":\"ready\",\"from\":\"github\"}", &m), 0);
	CU_ASSERT_EQUAL(m.kind, PROTO_READY);
	CU_ASSERT_EQUAL(dec(" \n{\"kind\":\"bye\",\"from\":\"github\",\"v\":1}\n", &m), 0);
	CU_ASSERT_EQUAL(m.kind, PROTO_BYE);
	/* a reply from ghrd may omit "to" */
	CU_ASSERT_EQUAL(dec("{\"v\":1,\"kind\":\"rep\",\"id\":1,\"from\":\"ghrd\",\"ok\":true}", &m), 0);
	CU_ASSERT_EQUAL(m.to[0], 0);
	CU_ASSERT_PTR_NULL(m.body);
}

static void test_refuse_framing(void)
{
	struct proto_msg m;
	CU_ASSERT_EQUAL(proto_decode("", 0, &m, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "empty frame");
	CU_ASSERT_EQUAL(proto_decode(NULL, 0, &m, err, sizeof(err)), -1);
	refuse("   ", "empty frame");
	refuse("[1,2]", "frame is not a JSON object");
	refuse("\"v\"", "frame is not a JSON object");
	refuse("42", "frame is not a JSON object");
	refuse("{\"v\":1,\"kind\":\"ready\"", "invalid JSON at line 1");
	refuse("{\"v\":1,\"kind\":\"ready\",\"from\":\"a\"} trailing", "invalid JSON");
	refuse("{\"v\":1,\"kind\":\"ready\",\"from\":\"a\",}", "invalid JSON");
	refuse("{\"v\":1,\"v\":1,\"kind\":\"ready\",\"from\":\"a\"}", "duplicate object key");
	refuse("{\"v\":1,\"kind\":\"evt\",\"from\":\"a\",\"topic\":\"t\",\"body\":{\"x\":1,\"x\":2}}",
	       "duplicate object key");
	/* NUL inside a string, raw and escaped */
	static const char raw_nul[] = "{\"v\":1,\"kind\":\"ready\",\"from\":\"a\0b\"}";
	CU_ASSERT_EQUAL(proto_decode(raw_nul, sizeof(raw_nul) - 1, &m, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "NUL byte at offset 31"));
	refuse("{\"v\":1,\"kind\":\"ready\",\"from\":\"a\\u0000b\"}", "invalid JSON");
	/* invalid UTF-8: a lone continuation byte, an overlong form, a surrogate */
	refuse("{\"v\":1,\"kind\":\"ready\",\"from\":\"a\x80\"}", "invalid JSON");
	refuse("{\"v\":1,\"kind\":\"ready\",\"from\":\"\xc0\xaf\"}", "invalid JSON");
	refuse("{\"v\":1,\"kind\":\"ready\",\"from\":\"\xed\xa0\x80\"}", "invalid JSON");
}

static void test_refuse_huge_and_deep(void)
{
	struct proto_msg m;
	size_t n = PROTO_MAX_FRAME + 1;
	char *big = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, ' ', n);
	big[0] = '{';
	CU_ASSERT_EQUAL(proto_decode(big, n, &m, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "exceeds the 1048576 byte limit"));
	free(big);

	/* 1000 levels deep: refused by the scan, before the parser recurses */
	char deep[2100] = "{\"v\":1,\"kind\":\"evt\",\"from\":\"a\",\"topic\":\"t\",\"body\":{\"x\":";
	size_t at = strlen(deep);
	for (int i = 0; i < 1000; i++)
		deep[at++] = '[';
	deep[at] = 0;
	refuse(deep, "nesting deeper than 32 levels");

	/* exactly 32 levels of body is fine, 33 is not */
	char ok32[512], bad33[512];
	strcpy(ok32, "{\"v\":1,\"kind\":\"evt\",\"from\":\"a\",\"topic\":\"t\",\"body\":{\"x\":");
	strcpy(bad33, ok32);
	for (int i = 0; i < 31; i++)
		strcat(ok32, "[");
	for (int i = 0; i < 31; i++)
		strcat(ok32, "]");
	strcat(ok32, "}}");
	CU_ASSERT_EQUAL(dec(ok32, &m), 0);
	proto_msg_clear(&m);
	for (int i = 0; i < 32; i++)
		strcat(bad33, "[");
	for (int i = 0; i < 32; i++)
		strcat(bad33, "]");
	strcat(bad33, "}}");
	refuse(bad33, "nesting deeper than 32 levels");
	/* brackets inside strings do not count */
	char str[256];
	strcpy(str, "{\"v\":1,\"kind\":\"evt\",\"from\":\"a\",\"topic\":\"t\",\"body\":{\"x\":\"");
	for (int i = 0; i < 100; i++)
		strcat(str, "[");
	strcat(str, "\\\"{\"}}");
	CU_ASSERT_EQUAL(dec(str, &m), 0);
	proto_msg_clear(&m);
}

static void test_refuse_version_kind(void)
{
	refuse("{\"kind\":\"ready\",\"from\":\"a\"}", "missing \"v\"");
	refuse("{\"v\":2,\"kind\":\"ready\",\"from\":\"a\"}", "unsupported protocol version 2 (this side speaks 1)");
	refuse("{\"v\":0,\"kind\":\"ready\",\"from\":\"a\"}", "unsupported protocol version 0");
	refuse("{\"v\":\"1\",\"kind\":\"ready\",\"from\":\"a\"}", "\"v\" must be an integer");
	refuse("{\"v\":1.0,\"kind\":\"ready\",\"from\":\"a\"}", "\"v\" must be an integer");
	refuse("{\"v\":1,\"from\":\"a\"}", "missing \"kind\"");
	refuse("{\"v\":1,\"kind\":3,\"from\":\"a\"}", "\"kind\" must be a string");
	refuse("{\"v\":1,\"kind\":\"shout\",\"from\":\"a\"}", "unknown kind \"shout\"");
	refuse("{\"v\":1,\"kind\":\"REQ\",\"from\":\"a\"}", "unknown kind \"REQ\"");
}

static void test_refuse_fields(void)
{
	refuse("{\"v\":1,\"kind\":\"ready\",\"from\":\"a\",\"extra\":1}", "unknown field \"extra\" in a ready message");
	refuse("{\"v\":1,\"kind\":\"ready\",\"from\":\"a\",\"id\":1}", "field \"id\" is not allowed in a ready message");
	refuse("{\"v\":1,\"kind\":\"ready\"}", "a ready message lacks \"from\"");
	refuse("{\"v\":1,\"kind\":\"req\",\"id\":1,\"from\":\"a\",\"to\":\"b\",\"deadline_ms\":5}", "a req message lacks \"method\"");
	refuse("{\"v\":1,\"kind\":\"req\",\"id\":1,\"from\":\"a\",\"to\":\"b\",\"method\":\"m\"}", "lacks \"deadline_ms\"");
	refuse("{\"v\":1,\"kind\":\"req\",\"id\":-3,\"from\":\"a\",\"to\":\"b\",\"method\":\"m\",\"deadline_ms\":5}", "\"id\" must be positive");
	refuse("{\"v\":1,\"kind\":\"req\",\"id\":0,\"from\":\"a\",\"to\":\"b\",\"method\":\"m\",\"deadline_ms\":5}", "\"id\" must be positive");
	refuse("{\"v\":1,\"kind\":\"req\",\"id\":\"7\",\"from\":\"a\",\"to\":\"b\",\"method\":\"m\",\"deadline_ms\":5}", "\"id\" must be an integer");
	refuse("{\"v\":1,\"kind\":\"req\",\"id\":99999999999999999999,\"from\":\"a\",\"to\":\"b\",\"method\":\"m\",\"deadline_ms\":5}", "invalid JSON");
	refuse("{\"v\":1,\"kind\":\"req\",\"id\":1,\"from\":\"a\",\"to\":\"b\",\"method\":\"m\",\"deadline_ms\":5,\"body\":[]}", "\"body\" must be an object");
	refuse("{\"v\":1,\"kind\":\"req\",\"id\":1,\"from\":\"a\",\"to\":\"b\",\"method\":\"m\",\"deadline_ms\":5,\"body\":null}", "\"body\" must be an object");
	refuse("{\"v\":1,\"kind\":\"req\",\"id\":1,\"from\":\"a\",\"to\":\"\",\"method\":\"m\",\"deadline_ms\":5}", "\"to\" is empty");
	refuse("{\"v\":1,\"kind\":\"req\",\"id\":1,\"from\":\"a b\",\"to\":\"b\",\"method\":\"m\",\"deadline_ms\":5}", "\"from\" may only contain");
	refuse("{\"v\":1,\"kind\":\"hb\",\"from\":\"a\",\"seq\":-1,\"state\":\"ready\"}", "\"seq\" must be non-negative");
	refuse("{\"v\":1,\"kind\":\"hb\",\"from\":\"a\",\"seq\":1,\"state\":\"READY!\"}", "\"state\" may only contain a-z _ -");
	refuse("{\"v\":1,\"kind\":\"hb\",\"from\":\"a\",\"seq\":1,\"state\":\"averyveryverylongstate\"}", "\"state\" is longer than 15 bytes");
	refuse("{\"v\":1,\"kind\":\"hello\",\"from\":\"a\",\"token\":\"xyz\",\"pid\":1}", "\"token\" may only contain hex digits");
	refuse("{\"v\":1,\"kind\":\"hello\",\"from\":\"a\",\"token\":\"00\",\"pid\":0}", "\"pid\" must be positive");
	refuse("{\"v\":1,\"kind\":\"hello\",\"from\":\"a\",\"token\":"
	       "\"00000000000000000000000000000000000000000000000000000000000000000\",\"pid\":1}",
	       "\"token\" is longer than 64 bytes");
	refuse("{\"v\":1,\"kind\":\"evt\",\"from\":\"a\",\"body\":{}}", "a evt message lacks \"topic\"");
}

static void test_refuse_overlong_names(void)
{
	char f[256];
	char name[80];
	memset(name, 'a', 64);
	name[64] = 0;
	snprintf(f, sizeof(f), "{\"v\":1,\"kind\":\"ready\",\"from\":\"%s\"}", name);
	refuse(f, "\"from\" is longer than 63 bytes");
	name[63] = 0;
	snprintf(f, sizeof(f), "{\"v\":1,\"kind\":\"ready\",\"from\":\"%s\"}", name);
	struct proto_msg m;
	CU_ASSERT_EQUAL(dec(f, &m), 0);
	CU_ASSERT_EQUAL(strlen(m.from), 63);
}

static void test_refuse_reply_rules(void)
{
	refuse("{\"v\":1,\"kind\":\"rep\",\"id\":1,\"from\":\"a\",\"ok\":false}", "ok=false must carry \"error\"");
	refuse("{\"v\":1,\"kind\":\"rep\",\"id\":1,\"from\":\"a\",\"ok\":true,\"error\":{\"code\":\"internal\",\"message\":\"x\"}}",
	       "ok=true cannot carry \"error\"");
	refuse("{\"v\":1,\"kind\":\"rep\",\"id\":1,\"from\":\"a\",\"ok\":false,\"body\":{},\"error\":{\"code\":\"internal\",\"message\":\"x\"}}",
	       "ok=false cannot carry \"body\"");
	refuse("{\"v\":1,\"kind\":\"rep\",\"id\":1,\"from\":\"a\",\"ok\":1}", "\"ok\" must be a boolean");
	refuse("{\"v\":1,\"kind\":\"rep\",\"id\":1,\"from\":\"a\",\"ok\":false,\"error\":{\"code\":\"oops\",\"message\":\"x\"}}",
	       "unknown error code \"oops\"");
	refuse("{\"v\":1,\"kind\":\"rep\",\"id\":1,\"from\":\"a\",\"ok\":false,\"error\":{\"code\":\"ok\",\"message\":\"x\"}}",
	       "unknown error code \"ok\"");
	refuse("{\"v\":1,\"kind\":\"rep\",\"id\":1,\"from\":\"a\",\"ok\":false,\"error\":{\"code\":\"internal\"}}",
	       "\"error.message\" must be a string");
	refuse("{\"v\":1,\"kind\":\"rep\",\"id\":1,\"from\":\"a\",\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"x\",\"retry_after_ms\":-1}}",
	       "\"error.retry_after_ms\" must be a non-negative integer");
	refuse("{\"v\":1,\"kind\":\"rep\",\"id\":1,\"from\":\"a\",\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"x\",\"why\":1}}",
	       "unknown field \"error.why\"");
}

/* A refused frame's reason never carries more than 32 bytes of its input. */
static void test_error_excerpt_bounded(void)
{
	char f[512];
	char secret[200];
	memset(secret, 'S', sizeof(secret) - 1);
	secret[sizeof(secret) - 1] = 0;
	snprintf(f, sizeof(f), "{\"v\":1,\"kind\":\"%s\",\"from\":\"a\"}", secret);
	refuse(f, "unknown kind \"SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS...\"");
	CU_ASSERT_PTR_NULL(strstr(err, "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"));
	snprintf(f, sizeof(f), "{\"v\":1,\"kind\":\"ready\",\"from\":\"a\",\"%s\":1}", secret);
	refuse(f, "unknown field \"SSSS");
	CU_ASSERT_PTR_NULL(strstr(err, "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"));
	/* jansson's "near '<input>'" is not passed on */
	refuse("{\"v\":1,\"kind\":\"ready\",\"from\":ghp_0123456789abcdefghij}", "invalid JSON");
	CU_ASSERT_PTR_NULL(strstr(err, "ghp_"));
	/* non-printable bytes are not echoed */
	refuse("{\"v\":1,\"kind\":\"sh\\u001bout\",\"from\":\"a\"}", "unknown kind \"sh?out\"");
	/* a long error message is cut at a character boundary, not refused */
	char longmsg[2048];
	strcpy(longmsg, "{\"v\":1,\"kind\":\"rep\",\"id\":1,\"from\":\"a\",\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"");
	for (int i = 0; i < 600; i++)
		strcat(longmsg, "\xc3\xa9");
	strcat(longmsg, "\"}}");
	struct proto_msg m;
	CU_ASSERT_EQUAL(dec(longmsg, &m), 0);
	CU_ASSERT_EQUAL(strlen(m.error_message), 510);
}

static void roundtrip(struct proto_msg *in)
{
	size_t len = 0;
	char e[256] = "";
	char *text = proto_encode_err(in, &len, e, sizeof(e));
	if (!text)
		fprintf(stderr, "\n  encode refused: %s\n", e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(len, strlen(text));
	struct proto_msg out;
	CU_ASSERT_EQUAL_FATAL(proto_decode(text, len, &out, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(out.kind, in->kind);
	CU_ASSERT_EQUAL(out.id, in->id);
	CU_ASSERT_STRING_EQUAL(out.from, in->from);
	CU_ASSERT_STRING_EQUAL(out.to, in->to);
	CU_ASSERT_STRING_EQUAL(out.method, in->method);
	CU_ASSERT_STRING_EQUAL(out.topic, in->topic);
	CU_ASSERT_EQUAL(out.deadline_ms, in->deadline_ms);
	CU_ASSERT_EQUAL(out.seq, in->seq);
	CU_ASSERT_STRING_EQUAL(out.state, in->state);
	CU_ASSERT_STRING_EQUAL(out.token, in->token);
	CU_ASSERT_EQUAL(out.pid, in->pid);
	if (in->kind == PROTO_REP) {
		CU_ASSERT_EQUAL(out.ok, in->ok);
		CU_ASSERT_EQUAL(out.error, in->error);
		CU_ASSERT_STRING_EQUAL(out.error_message, in->error_message);
		CU_ASSERT_EQUAL(out.retry_after_ms, in->retry_after_ms);
	}
	CU_ASSERT_TRUE((in->body == NULL && out.body == NULL) || json_equal(in->body, out.body));
	/* encoding the decoded message gives the same bytes */
	size_t len2;
	char *text2 = proto_encode(&out, &len2);
	CU_ASSERT_PTR_NOT_NULL(text2);
	if (text2)
		CU_ASSERT_STRING_EQUAL(text, text2);
	free(text);
	free(text2);
	proto_msg_clear(&out);
}

static void test_roundtrip_all_kinds(void)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_REQ, "scaler");
	m.id = 7;
	strcpy(m.to, "github");
	strcpy(m.method, "github.runner.jit");
	m.deadline_ms = 1763856000123LL;
	m.body = json_pack("{s:s, s:[s], s:s}", "name", "ghr-a-small-3f9c2a1b", "labels", "small",
	                   "u", "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93");
	roundtrip(&m);
	CU_ASSERT_EQUAL(m.body->refcount, 1);   /* encode does not consume body */
	proto_msg_clear(&m);

	proto_msg_init(&m, PROTO_REP, "github");
	m.id = 7;
	strcpy(m.to, "scaler");
	m.body = json_pack("{s:i, s:s}", "runner_id", 12, "jit_config", "abc");
	roundtrip(&m);
	proto_msg_clear(&m);

	proto_msg_init(&m, PROTO_REP, "github");
	m.id = 8;
	m.ok = 0;
	m.error = PROTO_E_RATE_LIMITED;
	strcpy(m.error_message, "primary rate limit reached");
	m.retry_after_ms = 41000;
	roundtrip(&m);

	proto_msg_init(&m, PROTO_EVT, "openstack");
	strcpy(m.topic, "os.server.status");
	roundtrip(&m);
	proto_msg_init(&m, PROTO_HB, "github");
	m.seq = 913;
	strcpy(m.state, "ready");
	roundtrip(&m);
	proto_msg_init(&m, PROTO_HELLO, "reactive-consumer.2");
	memset(m.token, 'a', 64);
	m.pid = 4242;
	roundtrip(&m);
	proto_msg_clear(&m);
	proto_msg_init(&m, PROTO_READY, "github");
	roundtrip(&m);
	proto_msg_init(&m, PROTO_BYE, "github");
	roundtrip(&m);
}

static void test_encode_refuses_invalid(void)
{
	struct proto_msg m;
	char e[256];
	proto_msg_init(&m, PROTO_REQ, "scaler");
	strcpy(m.to, "github");
	strcpy(m.method, "github.ratelimit");
	m.deadline_ms = 1;
	CU_ASSERT_PTR_NULL(proto_encode_err(&m, NULL, e, sizeof(e)));   /* id 0 */
	CU_ASSERT_STRING_EQUAL(e, "\"id\" must be positive");
	m.id = 1;
	m.to[0] = 0;
	CU_ASSERT_PTR_NULL(proto_encode_err(&m, NULL, e, sizeof(e)));
	CU_ASSERT_STRING_EQUAL(e, "\"to\" is empty");
	strcpy(m.to, "github");
	m.body = json_array();
	CU_ASSERT_PTR_NULL(proto_encode_err(&m, NULL, e, sizeof(e)));
	proto_msg_clear(&m);
	proto_msg_init(&m, PROTO_HB, "");
	strcpy(m.state, "ready");
	CU_ASSERT_PTR_NULL(proto_encode(&m, NULL));
	m.kind = (enum proto_kind)42;
	CU_ASSERT_PTR_NULL(proto_encode(&m, NULL));
	/* too large */
	proto_msg_init(&m, PROTO_EVT, "a");
	strcpy(m.topic, "t");
	char *blob = malloc(PROTO_MAX_FRAME);
	memset(blob, 'x', PROTO_MAX_FRAME - 1);
	blob[PROTO_MAX_FRAME - 1] = 0;
	m.body = json_pack("{s:s}", "x", blob);
	free(blob);
	CU_ASSERT_PTR_NULL(proto_encode_err(&m, NULL, e, sizeof(e)));
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "exceeds the 1048576 byte limit"));
	proto_msg_clear(&m);
}

UNIT_SUITE(proto_codec,
	UNIT_TEST(test_decode_req),
	UNIT_TEST(test_decode_rep_error),
	UNIT_TEST(test_decode_other_kinds),
	UNIT_TEST(test_refuse_framing),
	UNIT_TEST(test_refuse_huge_and_deep),
	UNIT_TEST(test_refuse_version_kind),
	UNIT_TEST(test_refuse_fields),
	UNIT_TEST(test_refuse_overlong_names),
	UNIT_TEST(test_refuse_reply_rules),
	UNIT_TEST(test_error_excerpt_bounded),
	UNIT_TEST(test_roundtrip_all_kinds),
	UNIT_TEST(test_encode_refuses_invalid))
