/* Shell script templates (see shtpl.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "common/sbuf.h"
#include "common/shtpl.h"
#include "common/util.h"

char *shtpl_quote(const char *s)
{
	size_t n = 2;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = 0;
	return out;
}

char *shtpl_base64(const void *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static size_t placeholder_len(const char *s)
{
	/* s points at '@'; a placeholder is @[A-Z_]+@ */
	size_t n = 1;
	while ((s[n] >= 'A' && s[n] <= 'Z') || s[n] == '_')
		n++;
	return (n > 1 && s[n] == '@') ? n + 1 : 0;
}

int shtpl_render(const char *tpl, struct shtpl_value *vals, size_t n, struct sbuf *out,
                 char *err, size_t errlen)
{
	for (size_t k = 0; k < n; k++)
		if (vals[k].single_line && strpbrk(vals[k].value, "\r\n")) {
			snprintf(err, errlen, "value of %s holds a line break", vals[k].name);
			return -1;
		}
	for (const char *s = tpl; *s;) {
		const char *at = strchr(s, '@');
		if (!at) {
			sbuf_put(out, s, strlen(s));
			break;
		}
		sbuf_put(out, s, (size_t)(at - s));
		size_t len = placeholder_len(at);
		if (!len) {
			sbuf_put(out, "@", 1);
			s = at + 1;
			continue;
		}
		size_t k;
		for (k = 0; k < n; k++)
			if (strlen(vals[k].name) == len - 2 && memcmp(vals[k].name, at + 1, len - 2) == 0)
				break;
		if (k == n) {
			snprintf(err, errlen, "template: unknown placeholder %.*s", (int)(len > 48 ? 48 : len), at);
			return -1;
		}
		char *q = shtpl_quote(vals[k].value);
		if (!q) {
			out->oom = 1;
			break;
		}
		sbuf_put(out, q, strlen(q));
		secret_free(q);
		vals[k].used++;
		s = at + len;
	}
	if (out->oom) {
		snprintf(err, errlen, "out of memory rendering the script");
		return -1;
	}
	return 0;
}
