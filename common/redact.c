/* redact — mask secrets in text before it reaches a log line or an error message.
 *
 * Three passes over the text, each linear in its length:
 *   1. registered literals (the worker's own secret, whatever its shape);
 *   2. PEM private key blocks, which span lines;
 *   3. one scanner over words: GitHub tokens, JWTs, "Bearer"/"token"/"Basic"
 *      credentials, values of fields whose name says secret (JSON "k":"v", k=v and
 *      header "K: v" forms), and the password of user:password@ in URIs.
 * Over-masking is preferred to under-masking: a field named like a secret is masked
 * whatever it holds.  Known limits: a secret-named field whose value is a JSON object
 * or array is left to the inner fields' names; free prose ("the password is x") is not
 * recognised unless x is a registered literal or has a token's shape.
 *
 * Literals are registered at start, before any thread exists; registration is not
 * synchronised with concurrent redaction. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/redact.h"
#include "common/sbuf.h"

#define MASK "[REDACTED]"
#define MASK_LEN (sizeof(MASK) - 1)
#define SECRETS_MAX 32
#define SECRET_MIN 8
#define TOKEN_MIN_BODY 10      /* chars after a ghp_-style prefix */
#define PLAIN_TOKEN_MIN 16     /* "token X": X at least this long */

static char *secrets[SECRETS_MAX];
static size_t secret_lens[SECRETS_MAX];
static int n_secrets;

static const char *const token_prefixes[] = { "github_pat_", "ghp_", "gho_", "ghs_", "ghu_", "ghr_" };

/* Field names containing one of these (after lowercasing and '-' → '_') are secret. */
static const char *const secret_names[] = {
	"jit_config", "password", "passwd", "secret", "token", "private_key",
	"authorization", "api_key", "apikey", "credential",
};
/* ...unless they end like a reference to a secret rather than the secret itself. */
static const char *const harmless_suffixes[] = { "_file", "_path", "_dir", "_expires_at", "_count" };

/* Output goes to an sbuf (common/sbuf.h): the text it grows out of holds unredacted
 * secrets, so no copy may reach the allocator unwiped.  On allocation failure the pass
 * returns NULL. */
static void sb_mask(struct sbuf *b) { sbuf_put(b, MASK, MASK_LEN); }

/* ---- pass 1: literals ------------------------------------------------------------- */

void redact_add_secret(const char *secret)
{
	if (!secret)
		return;
	size_t n = strlen(secret);
	if (n < SECRET_MIN || n_secrets == SECRETS_MAX)
		return;
	for (int i = 0; i < n_secrets; i++)
		if (secret_lens[i] == n && memcmp(secrets[i], secret, n) == 0)
			return;
	char *copy = strdup(secret);
	if (!copy)
		return;
	secrets[n_secrets] = copy;
	secret_lens[n_secrets] = n;
	n_secrets++;
}

void redact_replace_secret(const char *old_secret, const char *new_secret)
{
	size_t on = old_secret ? strlen(old_secret) : 0;
	for (int i = 0; on && i < n_secrets; i++) {
		if (secret_lens[i] != on || memcmp(secrets[i], old_secret, on) != 0)
			continue;
		explicit_bzero(secrets[i], secret_lens[i]);
		free(secrets[i]);
		n_secrets--;
		secrets[i] = secrets[n_secrets];      /* order does not matter */
		secret_lens[i] = secret_lens[n_secrets];
		secrets[n_secrets] = NULL;
		secret_lens[n_secrets] = 0;
		break;
	}
	redact_add_secret(new_secret);
}

void redact_clear_secrets(void)
{
	for (int i = 0; i < n_secrets; i++) {
		explicit_bzero(secrets[i], secret_lens[i]);
		free(secrets[i]);
		secrets[i] = NULL;
		secret_lens[i] = 0;
	}
	n_secrets = 0;
}

/* The earliest occurrence of any registered literal at or after s. */
static const char *next_literal(const char *s, size_t n, size_t *len)
{
	const char *best = NULL;
	for (int i = 0; i < n_secrets; i++) {
		const char *p = memmem(s, n, secrets[i], secret_lens[i]);
		if (p && (!best || p < best || (p == best && secret_lens[i] > *len))) {
			best = p;
			*len = secret_lens[i];
		}
	}
	return best;
}

static char *pass_literals(const char *s)
{
	struct sbuf b = { 0 };
	size_t n = strlen(s);
	const char *end = s + n;
	while (s < end) {
		size_t len = 0;
		const char *p = n_secrets ? next_literal(s, (size_t)(end - s), &len) : NULL;
		if (!p) {
			sbuf_put(&b, s, (size_t)(end - s));
			break;
		}
		sbuf_put(&b, s, (size_t)(p - s));
		sb_mask(&b);
		s = p + len;
	}
	return sbuf_finish(&b);
}

/* ---- pass 2: PEM private keys ------------------------------------------------------ */

/* "-----BEGIN [ALGO ]PRIVATE KEY-----": the label must end on the same line. */
static int pem_private_begin(const char *p)
{
	size_t window = strnlen(p, 80);          /* bounded: BEGIN may repeat endlessly */
	const char *nl = memchr(p, '\n', window);
	if (nl)
		window = (size_t)(nl - p);
	return memmem(p, window, "PRIVATE KEY-----", 16) != NULL;
}

static char *pass_pem(const char *s)
{
	struct sbuf b = { 0 };
	for (;;) {
		const char *p = strstr(s, "-----BEGIN ");
		while (p && !pem_private_begin(p))
			p = strstr(p + 11, "-----BEGIN ");
		if (!p) {
			sbuf_put(&b, s, strlen(s));
			break;
		}
		sbuf_put(&b, s, (size_t)(p - s));
		sb_mask(&b);
		const char *end = strstr(p + 11, "-----END ");
		const char *tail = end ? strstr(end, "PRIVATE KEY-----") : NULL;
		if (!tail)
			break;      /* no end marker: the key runs to the end of the text */
		s = tail + 16;
	}
	return sbuf_finish(&b);
}

/* ---- pass 3: words ---------------------------------------------------------------- */

static int word_char(unsigned char c) { return isalnum(c) || c == '_' || c == '-'; }
static int b64url_char(unsigned char c) { return isalnum(c) || c == '_' || c == '-'; }
static int cred_char(unsigned char c)
{
	return c && (isalnum(c) || strchr("._~+/=-", c) != NULL);
}

static int starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

static int secret_name(const char *w, size_t n)
{
	char low[64];
	if (n == 0 || n >= sizeof(low))
		return 0;
	for (size_t i = 0; i < n; i++)
		low[i] = w[i] == '-' ? '_' : (char)tolower((unsigned char)w[i]);
	low[n] = 0;
	for (size_t i = 0; i < sizeof(harmless_suffixes) / sizeof(harmless_suffixes[0]); i++) {
		size_t k = strlen(harmless_suffixes[i]);
		if (n > k && strcmp(low + n - k, harmless_suffixes[i]) == 0)
			return 0;
	}
	for (size_t i = 0; i < sizeof(secret_names) / sizeof(secret_names[0]); i++)
		if (strstr(low, secret_names[i]))
			return 1;
	return 0;
}

/* GitHub token: the whole word, when it has a token prefix and enough body. */
static size_t match_gh_token(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof(token_prefixes) / sizeof(token_prefixes[0]); i++) {
		size_t k = strlen(token_prefixes[i]);
		if (starts_with(w, n, token_prefixes[i]) && n >= k + TOKEN_MIN_BODY)
			return n;
	}
	return 0;
}

/* JWT: eyJ<b64url>.<b64url>.<b64url or empty>; returns its length from w. */
static size_t match_jwt(const char *w, size_t n)
{
	if (!starts_with(w, n, "eyJ") || w[n] != '.')
		return 0;
	const char *p = w + n + 1;
	const char *q = p;
	while (b64url_char((unsigned char)*q))
		q++;
	if (q == p || *q != '.')
		return 0;
	q++;
	while (b64url_char((unsigned char)*q))
		q++;
	return (size_t)(q - w);
}

/* "Bearer X", "Basic X", "token X": keep the scheme, mask X.  Returns the length of
 * the scheme plus the space (what to copy), and the credential's length in *cred. */
static size_t match_scheme(const char *w, size_t n, size_t *cred)
{
	static const struct { const char *name; size_t min; } schemes[] = {
		{ "bearer", 1 }, { "basic", 1 }, { "token", PLAIN_TOKEN_MIN },
	};
	if (w[n] != ' ')
		return 0;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (n != strlen(schemes[i].name) || strncasecmp(w, schemes[i].name, n) != 0)
			continue;
		const char *c = w + n + 1;
		size_t k = 0;
		while (cred_char((unsigned char)c[k]))
			k++;
		if (k >= schemes[i].min && !(k == 1 && c[0] == '=')) {
			*cred = k;
			return n + 1;
		}
	}
	return 0;
}

/* The end of an escaped JSON string value (JSON text inside a JSON or quoted string:
 * \"k\":\"v\"), v pointing after its opening \".  Decodes one level of escaping
 * and stops at the inner closing quote; returns where its \" starts (or the NUL). */
static const char *escaped_value_end(const char *v)
{
	int inner_escape = 0;
	const char *e = v;
	while (*e) {
		const char *at = e;
		char c = *e;
		if (c == '\\' && e[1]) {
			c = e[1];
			e += 2;
		} else {
			e++;
		}
		if (inner_escape)
			inner_escape = 0;
		else if (c == '\\')
			inner_escape = 1;
		else if (c == '"')
			return at;
	}
	return e;
}

/* After a secret-named word: find the separator and the value's extent.  Writes what
 * precedes the value (quote, spaces, separator, opening quote) and returns the number
 * of bytes consumed after the word, or 0 when no value follows.  json_key: 1 after a
 * plain quote ("k"), 2 after an escaped one (\"k\"). */
static size_t mask_field_value(const char *p, int json_key, struct sbuf *b)
{
	const char *q = p;
	if (json_key == 1 && *q == '"')
		q++;
	else if (json_key == 2 && q[0] == '\\' && q[1] == '"')
		q += 2;
	while (*q == ' ' || *q == '\t')
		q++;
	char sep = *q;
	if (sep != ':' && sep != '=')
		return 0;
	q++;
	while (*q == ' ' || *q == '\t')
		q++;
	const char *v = q;
	if (json_key == 2 && v[0] == '\\' && v[1] == '"') {
		const char *e = escaped_value_end(v + 2);
		sbuf_put(b, p, (size_t)(v + 2 - p));
		sb_mask(b);
		if (*e) {
			size_t close = *e == '\\' ? 2 : 1;
			sbuf_put(b, e, close);
			e += close;
		}
		return (size_t)(e - p);
	}
	if (*v == '"' || *v == '\'') {
		char quote = *v;
		const char *e = v + 1;
		while (*e && *e != quote) {
			if (*e == '\\' && e[1])
				e++;
			e++;
		}
		sbuf_put(b, p, (size_t)(v + 1 - p));
		sb_mask(b);
		if (*e)
			sbuf_put(b, e, 1);
		return (size_t)((*e ? e + 1 : e) - p);
	}
	if (*v == '{' || *v == '[' || !*v || *v == '\n')
		return 0;
	size_t k;
	if (json_key)
		k = strcspn(v, ",}] \t\r\n");
	else if (sep == '=')
		k = strcspn(v, " \t\r\n&,;\"'");
	else
		k = strcspn(v, "\r\n\"");    /* header form: the value runs to the line's end */
	sbuf_put(b, p, (size_t)(v - p));
	sb_mask(b);
	return (size_t)(v + k - p);
}

/* "scheme://user:password@host": keep the user, mask the password.  The userinfo ends
 * at the last '@' of the authority (before the first '/'), so that an unencoded '@' in
 * the password does not leave its tail visible. */
static size_t mask_userinfo(const char *p, struct sbuf *b)
{
	size_t k = strcspn(p, "/ \t\r\n\"'<>");
	const char *at = memrchr(p, '@', k);
	if (!at)
		return 0;
	const char *colon = memchr(p, ':', (size_t)(at - p));
	if (!colon)
		return 0;
	sbuf_put(b, p, (size_t)(colon + 1 - p));
	sb_mask(b);
	sbuf_put(b, "@", 1);
	return (size_t)(at - p) + 1;
}

static char *pass_words(const char *s)
{
	struct sbuf b = { 0 };
	const char *p = s;
	while (*p) {
		if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
			sbuf_put(&b, p, 3);
			p += 3;
			p += mask_userinfo(p, &b);
			continue;
		}
		if (!word_char((unsigned char)*p) || (p > s && word_char((unsigned char)p[-1]))) {
			sbuf_put(&b, p, 1);
			p++;
			continue;
		}
		size_t n = 0;
		while (word_char((unsigned char)p[n]))
			n++;
		size_t m, cred;
		if ((m = match_gh_token(p, n)) || (m = match_jwt(p, n))) {
			sb_mask(&b);
			p += m;
		} else if ((m = match_scheme(p, n, &cred))) {
			sbuf_put(&b, p, m);
			sb_mask(&b);
			p += m + cred;
		} else if (secret_name(p, n)) {
			sbuf_put(&b, p, n);
			int json_key = p > s && p[-1] == '"' ? (p - s >= 2 && p[-2] == '\\' ? 2 : 1) : 0;
			p += n;
			p += mask_field_value(p, json_key, &b);
		} else {
			sbuf_put(&b, p, n);
			p += n;
		}
	}
	return sbuf_finish(&b);
}

char *redact_dup(const char *s)
{
	if (!s)
		s = "";
	char *a = pass_literals(s);
	char *c = NULL;
	if (a) {
		char *bb = pass_pem(a);
		explicit_bzero(a, strlen(a));
		free(a);
		if (bb) {
			c = pass_words(bb);
			explicit_bzero(bb, strlen(bb));
			free(bb);
		}
	}
	return c;
}

char *redact_into(const char *s, char *buf, size_t bufsz)
{
	if (!buf || bufsz == 0)
		return buf;
	char *r = redact_dup(s);
	if (!r) {
		/* Out of memory: say so rather than risk writing the unredacted text. */
		snprintf(buf, bufsz, "%s", MASK);
		return buf;
	}
	size_t n = strlen(r);
	if (n >= bufsz) {
		n = bufsz - 1;
		while (n > 0 && ((unsigned char)r[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(buf, r, n);
	buf[n] = 0;
	free(r);
	return buf;
}
