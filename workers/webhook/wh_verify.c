/* X-Hub-Signature-256 verification: HMAC-SHA256 of the raw body, constant-time compare. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "workers/webhook/wh.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int wh_signature_ok(const char *secret, size_t secret_len, const char *body, size_t len, const char *header)
{
	static const char prefix[] = "sha256=";
	unsigned char want[32], got[EVP_MAX_MD_SIZE];
	unsigned int got_len = 0;
	if (!header || strncmp(header, prefix, sizeof(prefix) - 1) != 0 || !secret || secret_len == 0)
		return 0;
	const char *hex = header + sizeof(prefix) - 1;
	if (strlen(hex) != 2 * sizeof(want))
		return 0;
	for (size_t i = 0; i < sizeof(want); i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		want[i] = (unsigned char)(hi << 4 | lo);
	}
	if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)body, len, got, &got_len)
	    || got_len != sizeof(want))
		return 0;
	int ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}
