/* shtpl — shell script templates: @NAME@ placeholders replaced by single-quoted sh
 * strings, so that no value (a label, a URL with quotes or `$()`) can inject shell.
 * Shared by the runner boot script and the image builder's script. */
#ifndef GHR_SHTPL_H
#define GHR_SHTPL_H

#include <stddef.h>

struct sbuf;

struct shtpl_value {
	const char *name;         /* placeholder without the @s, [A-Z_]+ */
	const char *value;        /* unquoted */
	int single_line;          /* a line break in the value is an error */
	int used;                 /* out: how often the template used it */
};

/* Append tpl to out with every @NAME@ replaced.  An unknown placeholder or a line
 * break in a single-line value is an error (-1, err filled); out may then hold part of
 * the text (the caller wipes it).  A '@' not starting a placeholder is kept. */
int shtpl_render(const char *tpl, struct shtpl_value *vals, size_t n, struct sbuf *out,
                 char *err, size_t errlen);

/* Quote s for sh: 'it'\''s'.  Returns a malloc'd string. */
char *shtpl_quote(const char *s);

/* Base64 (no line breaks) of data; malloc'd. */
char *shtpl_base64(const void *data, size_t len);

#endif
