/* github worker: the App JWT (checked with the public key, as GitHub does) and the auth
 * configuration rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "common/config.h"
#include "common/redact.h"
#include "tests/unit/unit.h"
#include "workers/github/gh.h"

static char *pem_of(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	CU_ASSERT_FATAL(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *out = strndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

/* base64url → bytes (malloc'd, NUL-terminated), length in *len */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *len)
{
	size_t padded = (n + 3) / 4 * 4;
	char *tmp = calloc(1, padded + 1);
	for (size_t i = 0; i < n; i++)
		tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	for (size_t i = n; i < padded; i++)
		tmp[i] = '=';
	unsigned char *out = calloc(1, padded + 1);
	int m = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)padded);
	free(tmp);
	if (m < 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)m - (padded - n);    /* DecodeBlock counts the padding bytes */
	out[*len] = 0;
	return out;
}

static int verify(EVP_PKEY *k, const char *jwt)
{
	const char *dot2 = strrchr(jwt, '.');
	size_t siglen;
	unsigned char *sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
	         EVP_DigestVerify(md, sig, siglen, (const unsigned char *)jwt, (size_t)(dot2 - jwt)) == 1;
	EVP_MD_CTX_free(md);
	free(sig);
	return ok;
}

static void test_gh_jwt_signed_and_verifiable(void)
{
	EVP_PKEY *gen = EVP_RSA_gen(2048);
	CU_ASSERT_PTR_NOT_NULL_FATAL(gen);
	char *pem = pem_of(gen);
	char err[300] = "";
	EVP_PKEY *k = gh_auth_load_key(pem, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	char *jwt = gh_jwt_make(k, "Iv1.ghrsim0000000001", 1700000000, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(jwt);
	CU_ASSERT(strchr(jwt, '=') == NULL && strchr(jwt, '+') == NULL && strchr(jwt, '/') == NULL);

	const char *dot1 = strchr(jwt, '.'), *dot2 = strrchr(jwt, '.');
	CU_ASSERT_FATAL(dot1 && dot2 && dot1 != dot2);
	size_t n;
	unsigned char *hdr = b64url_decode(jwt, (size_t)(dot1 - jwt), &n);
	json_t *h = json_loads((char *)hdr, 0, NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(h, "alg")), "RS256");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(h, "typ")), "JWT");
	unsigned char *pl = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &n);
	json_t *p = json_loads((char *)pl, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p, "iat")), 1700000000 - 60);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p, "exp")), 1700000000 + 540);
	CU_ASSERT(json_integer_value(json_object_get(p, "exp")) - json_integer_value(json_object_get(p, "iat")) <= 600);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "iss")), "Iv1.ghrsim0000000001");

	/* the signature verifies with the public key, and not once the payload changes */
	CU_ASSERT(verify(gen, jwt));
	char *tampered = strdup(jwt);
	tampered[dot1 - jwt + 3] ^= 1;
	CU_ASSERT(!verify(gen, tampered));
	/* and not with another key */
	EVP_PKEY *other = EVP_RSA_gen(2048);
	CU_ASSERT(!verify(other, jwt));

	EVP_PKEY_free(other);
	free(tampered);
	json_decref(h);
	json_decref(p);
	free(hdr);
	free(pl);
	free(jwt);
	free(pem);
	EVP_PKEY_free(k);
	EVP_PKEY_free(gen);
}

static void test_gh_key_refused(void)
{
	char err[300] = "";
	CU_ASSERT_PTR_NULL(gh_auth_load_key("not a key", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a PEM private key"));
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ec);
	char *pem = pem_of(ec);
	CU_ASSERT_PTR_NULL(gh_auth_load_key(pem, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not an RSA key"));
	free(pem);
	EVP_PKEY_free(ec);
}

static void test_gh_auth_config_exactly_one(void)
{
	static const struct { const char *auth; int ok; const char *says; } cases[] = {
		{ "{\"token_file\":\"/etc/ghr/pat\"}", 1, NULL },
		{ "{\"app_client_id\":\"Iv1.x\",\"app_installation_id\":5,\"app_private_key_file\":\"/k\"}", 1, NULL },
		{ "{}", 0, "github.auth: set either token_file" },
		{ "{\"token_file\":\"\"}", 0, "set either token_file" },
		{ "{\"token_file\":null}", 0, "set either token_file" },
		{ "{\"token_file\":\"/p\",\"app_client_id\":\"Iv1.x\"}", 0, "exclude each other" },
		{ "{\"token_file\":\"\",\"app_client_id\":\"Iv1.x\",\"app_installation_id\":5,"
		  "\"app_private_key_file\":\"/k\"}", 1, NULL },
		{ "{\"app_client_id\":\"Iv1.x\",\"app_installation_id\":5}", 0, "app_private_key_file is missing" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[400], err[300] = "";
		snprintf(text, sizeof(text), "{\"auth\":%s}", cases[i].auth);
		json_t *cfg = json_loads(text, 0, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
		int rc = gh_auth_config_check(cfg, err, sizeof(err));
		CU_ASSERT_EQUAL(rc == 0, cases[i].ok);
		if (cases[i].says)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].says));
		/* the worker's defensive check and the loader's rule are one function: same
		 * verdict, same reason */
		char why[300] = "";
		int lrc = config_github_auth_check(json_object_get(cfg, "auth"), why, sizeof(why));
		CU_ASSERT_EQUAL(lrc, rc);
		if (rc != 0) {
			char want[400];
			snprintf(want, sizeof(want), "github.auth: %s", why);
			CU_ASSERT_STRING_EQUAL(err, want);
		}
		json_decref(cfg);
	}
}

static void test_gh_auth_pat_and_freshness(void)
{
	char err[300] = "";
	json_t *cfg = json_loads("{\"auth\":{\"token_file\":\"/p\"}}", 0, NULL);
	json_t *sec = json_loads("{\"token\":\"ghp_abcdefgh\"}", 0, NULL);
	struct gh_auth a;
	CU_ASSERT_EQUAL(gh_auth_init(&a, cfg, sec, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(a.token, "ghp_abcdefgh");
	CU_ASSERT(gh_auth_token_fresh(&a, 123));
	gh_auth_free(&a);
	json_decref(sec);
	/* a PAT without a token's shape (classic 40 hex, GHES) is masked as a literal */
	static const char hexpat[] = "0123456789abcdef0123456789abcdef01234567";
	sec = json_pack("{s:s}", "token", hexpat);
	CU_ASSERT_EQUAL(gh_auth_init(&a, cfg, sec, err, sizeof(err)), 0);
	char *masked = redact_dup("sent 0123456789abcdef0123456789abcdef01234567 there");
	CU_ASSERT_STRING_EQUAL(masked, "sent [REDACTED] there");
	free(masked);
	gh_auth_free(&a);
	redact_clear_secrets();
	json_decref(sec);
	sec = json_loads("{\"token\":\"ghp_a\\r\\nX-Evil: 1\"}", 0, NULL);
	CU_ASSERT_EQUAL(gh_auth_init(&a, cfg, sec, err, sizeof(err)), -1);
	json_decref(sec);
	sec = json_loads("{}", 0, NULL);
	CU_ASSERT_EQUAL(gh_auth_init(&a, cfg, sec, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "token"));
	json_decref(sec);
	json_decref(cfg);

	/* an installation token is renewed within a quarter of its life (at most 5 min) */
	struct gh_auth app = { .is_app = 1, .token = strdup("ghs_x"), .expires_mono = 100000,
	                       .lifetime_ms = 3600000 };
	CU_ASSERT(gh_auth_token_fresh(&app, 100000 - 300001));
	CU_ASSERT(!gh_auth_token_fresh(&app, 100000 - 299999));
	app.lifetime_ms = 4000;
	CU_ASSERT(gh_auth_token_fresh(&app, 100000 - 1001));
	CU_ASSERT(!gh_auth_token_fresh(&app, 100000 - 999));
	gh_auth_free(&app);
	CU_ASSERT(!gh_auth_token_fresh(&app, 0));
}

UNIT_SUITE(gh_auth,
	UNIT_TEST(test_gh_jwt_signed_and_verifiable),
	UNIT_TEST(test_gh_key_refused),
	UNIT_TEST(test_gh_auth_config_exactly_one),
	UNIT_TEST(test_gh_auth_pat_and_freshness))
