/* redact: every secret shape, at line edges, spanning lines, and adversarial input. */
#include <stdlib.h>
#include <string.h>
#include "common/redact.h"
#include "tests/unit/unit.h"

static void expect(const char *in, const char *want)
{
	char *out = redact_dup(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	if (strcmp(out, want)) {
		fprintf(stderr, "\n  in   %s\n  out  %s\n  want %s\n", in, out, want);
		CU_FAIL("redaction differs");
	}
	free(out);
}

static void test_github_tokens(void)
{
	expect("ghp_0123456789abcdefghijABCDEFGHIJ012345", "[REDACTED]");
	expect("t=ghs_16C7e42F292c6912E7710c838347Ae178B4a end", "t=[REDACTED] end");
	expect("x gho_aaaaaaaaaaaa ghu_bbbbbbbbbbbb ghr_cccccccccccc", "x [REDACTED] [REDACTED] [REDACTED]");
	expect("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "[REDACTED]");
	/* too short to be a token, or not at a word start */
	expect("ghp_short xghp_0123456789abcdef", "ghp_short xghp_0123456789abcdef");
	/* our own runner names are not tokens */
	expect("name=ghr-a-small-3f9c2a1b", "name=ghr-a-small-3f9c2a1b");
}

static void test_jwt_and_schemes(void)
{
	expect("jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJl done",
	       "jwt [REDACTED] done");
	expect("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "[REDACTED]");
	expect("eyJnotajwt and eyJa.b", "eyJnotajwt and eyJa.b");
	expect("Authorization: Bearer abc.def-ghi", "Authorization: [REDACTED]");
	expect("sent Bearer abc.def-ghi ok", "sent Bearer [REDACTED] ok");
	expect("BASIC dXNlcjpwYXNz", "BASIC [REDACTED]");
	expect("token 0123456789abcdef0123456789abcdef01234567", "token [REDACTED]");
	/* prose with the word token stays readable */
	expect("token expired", "token expired");
}

static void test_named_fields(void)
{
	expect("{\"runner_id\":12,\"encoded_jit_config\":\"eHl6\\\"q\",\"name\":\"r\"}",
	       "{\"runner_id\":12,\"encoded_jit_config\":\"[REDACTED]\",\"name\":\"r\"}");
	expect("{\"password\": \"hunter2\", \"user\": \"a\"}", "{\"password\": \"[REDACTED]\", \"user\": \"a\"}");
	expect("{\"token\":null}", "{\"token\":[REDACTED]}");
	expect("jit_config=abc id=3", "jit_config=[REDACTED] id=3");
	expect("client_secret=\"a b c\" id=3", "client_secret=\"[REDACTED]\" id=3");
	expect("X-Subject-Token: gAAAAABk abc\nnext", "X-Subject-Token: [REDACTED]\nnext");
	expect("x-auth-token=zzz", "x-auth-token=[REDACTED]");
	expect("PRIVATE_KEY='k'", "PRIVATE_KEY='[REDACTED]'");
	expect("webhook_secret: s3cr3t", "webhook_secret: [REDACTED]");
	/* names that refer to a secret, not hold it */
	expect("token_file=/etc/ghr/token id=1", "token_file=/etc/ghr/token id=1");
	expect("app_private_key_file: /k.pem", "app_private_key_file: /k.pem");
	/* a secret-named word with no value */
	expect("password", "password");
	expect("bad password: ", "bad password: ");
	/* objects are left to their inner names */
	expect("{\"secret\":{\"a\":1,\"password\":\"p\"}}", "{\"secret\":{\"a\":1,\"password\":\"[REDACTED]\"}}");
}

/* JSON inside a quoted string (what log_q() makes of a JSON value): \"k\":\"v\". */
static void test_escaped_json_fields(void)
{
	expect("body=\"{\\\"token\\\":\\\"s3cr3t-value\\\",\\\"id\\\":1}\"",
	       "body=\"{\\\"token\\\":\\\"[REDACTED]\\\",\\\"id\\\":1}\"");
	expect("{\\\"password\\\": \\\"hunter2\\\", \\\"user\\\": \\\"a\\\"}",
	       "{\\\"password\\\": \\\"[REDACTED]\\\", \\\"user\\\": \\\"a\\\"}");
	/* an escaped quote inside the value (\\\" at this level) does not end it */
	expect("\\\"encoded_jit_config\\\":\\\"ab\\\\\\\"cd\\\" tail",
	       "\\\"encoded_jit_config\\\":\\\"[REDACTED]\\\" tail");
	/* unterminated: masked to the end */
	expect("\\\"secret\\\":\\\"abc", "\\\"secret\\\":\\\"[REDACTED]");
	/* non-secret names stay */
	expect("\\\"name\\\":\\\"r1\\\"", "\\\"name\\\":\\\"r1\\\"");
}

static void test_pem_blocks(void)
{
	expect("key=-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----\nafter",
	       "key=[REDACTED]\nafter");
	expect("{\"k\":\"-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n\"}",
	       "{\"k\":\"[REDACTED]\\n\"}");
	/* cut off: everything after BEGIN goes */
	expect("a -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE", "a [REDACTED]");
	/* public material stays */
	expect("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
	       "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
}

static void test_uri_userinfo(void)
{
	expect("mongodb://ghr:pa55w0rd@db1:27017/ghr", "mongodb://ghr:[REDACTED]@db1:27017/ghr");
	expect("url=\"https://u:p@h/x\" ok", "url=\"https://u:[REDACTED]@h/x\" ok");
	expect("http://proxy:3128/ https://example.com/a@b", "http://proxy:3128/ https://example.com/a@b");
	expect("ssh://git@host/repo", "ssh://git@host/repo");
	/* an unencoded '@' in the password: the userinfo ends at the authority's last '@' */
	expect("https://u:pa@ss@h/x@y", "https://u:[REDACTED]@h/x@y");
	expect("https://u:p@a@s@h", "https://u:[REDACTED]@h");
	expect("https://u@x:1@h", "https://u@x:[REDACTED]@h");
}

static void test_literals(void)
{
	redact_add_secret("correct-horse-battery");
	redact_add_secret("short");                  /* under 8 bytes: ignored */
	redact_add_secret("correct-horse-battery");  /* once */
	expect("pw is correct-horse-battery!", "pw is [REDACTED]!");
	expect("correct-horse-batterycorrect-horse-battery", "[REDACTED][REDACTED]");
	expect("short", "short");
	/* a literal spanning the whole line, at its start and its end */
	expect("correct-horse-battery", "[REDACTED]");
	expect("x\ncorrect-horse-battery", "x\n[REDACTED]");
	redact_clear_secrets();
	expect("pw is correct-horse-battery!", "pw is correct-horse-battery!");
	/* at most 32 kept, the first 32 win */
	char s[32];
	for (int i = 0; i < 40; i++) {
		snprintf(s, sizeof(s), "literal-%02d-xyz", i);
		redact_add_secret(s);
	}
	expect("literal-31-xyz literal-32-xyz", "[REDACTED] literal-32-xyz");
	redact_clear_secrets();
}

/* A renewed token replaces the old one: renewals never run out of slots. */
static void test_replace_secret(void)
{
	char old[32], cur[32];
	redact_add_secret("the-worker-own-secret");
	snprintf(old, sizeof(old), "renewed-token-%03d", 0);
	redact_add_secret(old);
	for (int i = 1; i <= 100; i++) {
		snprintf(cur, sizeof(cur), "renewed-token-%03d", i);
		redact_replace_secret(old, cur);
		snprintf(old, sizeof(old), "%s", cur);
	}
	expect("now renewed-token-100 was renewed-token-099 own the-worker-own-secret",
	       "now [REDACTED] was renewed-token-099 own [REDACTED]");
	/* replacing one that was never registered just adds the new one */
	redact_replace_secret("never-registered-x", "another-token-value");
	expect("another-token-value", "[REDACTED]");
	redact_replace_secret(NULL, "third-token-value");
	expect("third-token-value", "[REDACTED]");
	/* and the slots freed by renewals are really free */
	redact_clear_secrets();
	for (int i = 0; i < 32; i++) {
		snprintf(cur, sizeof(cur), "slot-token-%02d", i);
		redact_add_secret(cur);
	}
	redact_replace_secret("slot-token-05", "fresh-token-value");
	expect("fresh-token-value slot-token-05 slot-token-31", "[REDACTED] slot-token-05 [REDACTED]");
	redact_clear_secrets();
}

static void test_redact_into_truncates(void)
{
	char buf[16];
	redact_into("abcdefghijklmnopqrstuvwxyz", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "abcdefghijklmno");
	redact_into("ghp_0123456789abcdefghij", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "[REDACTED]");
	/* no half UTF-8 character at the cut */
	redact_into("abcdefghijklmn\xc3\xa9", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "abcdefghijklmn");
	char tiny[1];
	redact_into("abc", tiny, 1);
	CU_ASSERT_EQUAL(tiny[0], 0);
	char *e = redact_dup(NULL);
	CU_ASSERT_STRING_EQUAL(e, "");
	free(e);
}

/* Input built to make a naive scanner quadratic or to confuse it; bounded size, and
 * the time is checked loosely through the suite's own runtime. */
static void test_adversarial(void)
{
	const char *units[] = { "eyJ", "ghp_", "-----BEGIN ", "://", "password=", "\"token\":\"",
	                        "Bearer ", "a:b@", "\\", "\"" };
	size_t n = 200000;
	char *big = malloc(n + 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t k = strlen(units[u]), at = 0;
		while (at + k < n) {
			memcpy(big + at, units[u], k);
			at += k;
		}
		big[at] = 0;
		char *out = redact_dup(big);
		CU_ASSERT_PTR_NOT_NULL(out);
		/* growth is bounded: each mask replaces at least a separator's worth */
		if (out)
			CU_ASSERT_TRUE(strlen(out) <= 4 * at + 16);
		free(out);
	}
	free(big);
}

UNIT_SUITE(redact,
	UNIT_TEST(test_github_tokens),
	UNIT_TEST(test_jwt_and_schemes),
	UNIT_TEST(test_named_fields),
	UNIT_TEST(test_pem_blocks),
	UNIT_TEST(test_uri_userinfo),
	UNIT_TEST(test_literals),
	UNIT_TEST(test_replace_secret),
	UNIT_TEST(test_escaped_json_fields),
	UNIT_TEST(test_redact_into_truncates),
	UNIT_TEST(test_adversarial))
