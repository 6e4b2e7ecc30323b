/* Field specs of methods.def: "name:s count:i? tags:as".
 *
 * A spec is parsed on every call: specs are a few dozen bytes and parsing them is
 * cheaper than keeping a compiled copy in sync with the table.  A malformed spec is a
 * bug in methods.def; it is reported as such (and a unit test parses every spec). */
#include <stdio.h>
#include <string.h>
#include "proto/proto.h"

#define FIELD_NAME_MAX 64

struct field {
	char name[FIELD_NAME_MAX];
	char type[4];
	int optional;
};

static const struct { const char *code; const char *what; } field_types[] = {
	{ "s", "a string" }, { "i", "an integer" }, { "b", "a boolean" },
	{ "n", "a number" }, { "o", "an object" }, { "a", "an array" },
	{ "as", "an array of strings" }, { "ao", "an array of objects" },
	{ "j", "any JSON value" },
};

static const char *type_what(const char *code)
{
	for (size_t i = 0; i < sizeof(field_types) / sizeof(field_types[0]); i++)
		if (strcmp(field_types[i].code, code) == 0)
			return field_types[i].what;
	return NULL;
}

/* Parse the next item of spec at *pos into f; returns 1, 0 at the end, -1 malformed. */
static int next_field(const char **pos, struct field *f)
{
	const char *p = *pos;
	while (*p == ' ')
		p++;
	if (!*p)
		return 0;
	const char *end = p;
	while (*end && *end != ' ')
		end++;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	if (!colon || colon == p || (size_t)(colon - p) >= sizeof(f->name))
		return -1;
	memcpy(f->name, p, (size_t)(colon - p));
	f->name[colon - p] = 0;
	const char *t = colon + 1;
	size_t tlen = (size_t)(end - t);
	f->optional = tlen > 0 && t[tlen - 1] == '?';
	if (f->optional)
		tlen--;
	if (tlen == 0 || tlen >= sizeof(f->type))
		return -1;
	memcpy(f->type, t, tlen);
	f->type[tlen] = 0;
	if (!type_what(f->type))
		return -1;
	*pos = end;
	return 1;
}

static int array_all(const json_t *a, int (*pred)(const json_t *))
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (!pred(v))
			return 0;
	return 1;
}

static int is_string(const json_t *v) { return json_is_string(v); }
static int is_object(const json_t *v) { return json_is_object(v); }

static int type_ok(const char *type, const json_t *v)
{
	switch (type[0]) {
	case 's': return json_is_string(v);
	case 'i': return json_is_integer(v);
	case 'b': return json_is_boolean(v);
	case 'n': return json_is_number(v);
	case 'o': return json_is_object(v);
	case 'j': return 1;
	case 'a':
		if (!json_is_array(v))
			return 0;
		if (type[1] == 's')
			return array_all(v, is_string);
		if (type[1] == 'o')
			return array_all(v, is_object);
		return 1;
	}
	return 0;
}

static int spec_has(const char *spec, const char *key)
{
	struct field f;
	const char *pos = spec;
	while (next_field(&pos, &f) == 1)
		if (strcmp(f.name, key) == 0)
			return 1;
	return 0;
}

/* Print a key for an error message without quoting more than 32 bytes of input. */
static void key_excerpt(const char *key, char out[40])
{
	size_t n = 0;
	for (; key[n] && n < 32; n++)
		out[n] = (key[n] >= 0x20 && key[n] < 0x7f && key[n] != '"') ? key[n] : '?';
	out[n] = 0;
	if (key[n])
		strcpy(out + n, "...");
}

static int check(const char *spec, const json_t *body, int strict, char *err, size_t errlen)
{
	/* A NULL body counts as {}: json_object_get and the iteration accept NULL. */
	if (!spec)
		spec = "";
	if (body && !json_is_object(body)) {
		snprintf(err, errlen, "body must be an object");
		return -1;
	}
	struct field f;
	const char *pos = spec;
	int r;
	while ((r = next_field(&pos, &f)) == 1) {
		const json_t *v = json_object_get(body, f.name);
		if (!v) {
			if (f.optional)
				continue;
			snprintf(err, errlen, "missing field \"%s\"", f.name);
			return -1;
		}
		if (!type_ok(f.type, v)) {
			snprintf(err, errlen, "field \"%s\" must be %s", f.name, type_what(f.type));
			return -1;
		}
	}
	if (r < 0) {
		snprintf(err, errlen, "malformed field spec \"%s\"", spec);
		return -1;
	}
	if (!strict)
		return 0;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v) {
		if (!spec_has(spec, key)) {
			char ex[40];
			key_excerpt(key, ex);
			snprintf(err, errlen, "unknown field \"%s\"", ex);
			return -1;
		}
	}
	return 0;
}

int proto_validate_fields(const char *spec, const json_t *body, char *err, size_t errlen)
{
	return check(spec, body, 1, err, errlen);
}

/* Replies are checked loosely: what the spec requires must be there with its type,
 * extra fields are allowed so that a callee may add fields before its callers know. */
int proto_validate_reply_fields(const char *spec, const json_t *body, char *err, size_t errlen)
{
	return check(spec, body, 0, err, errlen);
}

static const struct proto_method *method_or_err(const char *method, char *err, size_t errlen)
{
	const struct proto_method *m = proto_method_find(method);
	if (!m) {
		char ex[40];
		key_excerpt(method ? method : "", ex);
		snprintf(err, errlen, "unknown method \"%s\"", ex);
	}
	return m;
}

int proto_validate_request(const char *method, const json_t *body, char *err, size_t errlen)
{
	const struct proto_method *m = method_or_err(method, err, errlen);
	if (!m)
		return -1;
	return proto_validate_fields(m->request, body, err, errlen);
}

int proto_validate_reply(const char *method, const json_t *body, char *err, size_t errlen)
{
	const struct proto_method *m = method_or_err(method, err, errlen);
	if (!m)
		return -1;
	return proto_validate_reply_fields(m->reply, body, err, errlen);
}

int proto_spec_check(const char *spec, char *err, size_t errlen)
{
	struct field f;
	const char *pos = spec;
	int r;
	while ((r = next_field(&pos, &f)) == 1)
		;
	if (r < 0) {
		snprintf(err, errlen, "malformed field spec near \"%.32s\"", pos);
		return -1;
	}
	return 0;
}
