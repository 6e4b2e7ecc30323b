/* The envelope codec (DESIGN.md §3).
 *
 * One table (env_fields) says which top-level keys exist, their type, and in which
 * kinds they are required or allowed; decoding, encoding and the error messages all
 * follow from it.  Encoding builds the JSON object and then runs the very validation
 * the decoder runs, so a frame this side sends is a frame the other side accepts.
 *
 * Decoding never trusts its input: the size is capped, the nesting depth is checked
 * by a byte scan before jansson parses anything (jansson recurses), duplicate keys and
 * invalid UTF-8 are refused by jansson, and error texts quote at most 32 bytes of input
 * (with non-printable bytes replaced) so that a secret in a bad frame cannot reach a
 * log line whole. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proto/proto.h"

#define K(x) (1u << PROTO_##x)
#define ALL_KINDS ((1u << PROTO_KIND_COUNT) - 1)
#define EXCERPT_MAX 32

enum ftype { F_VERSION, F_KIND, F_INT, F_NAME, F_BOOL, F_ERROR, F_BODY, F_WORD, F_HEX };

struct env_field {
	const char *key;
	enum ftype type;
	unsigned required;    /* kinds (bit per enum proto_kind) that must carry it */
	unsigned allowed;     /* kinds that may carry it */
	size_t off;           /* F_INT int64_t, F_NAME/F_WORD/F_HEX char[cap], F_BOOL int */
	size_t cap;
	int64_t min;          /* F_INT */
};

#define AT(member) offsetof(struct proto_msg, member), sizeof(((struct proto_msg *)0)->member)

static const struct env_field env_fields[] = {
	{ "v", F_VERSION, ALL_KINDS, ALL_KINDS, 0, 0, 0 },
	{ "kind", F_KIND, ALL_KINDS, ALL_KINDS, 0, 0, 0 },
	{ "id", F_INT, K(REQ) | K(REP), K(REQ) | K(REP), AT(id), 1 },
	{ "from", F_NAME, ALL_KINDS, ALL_KINDS, AT(from), 0 },
	{ "to", F_NAME, K(REQ), K(REQ) | K(REP), AT(to), 0 },
	{ "method", F_NAME, K(REQ), K(REQ), AT(method), 0 },
	{ "topic", F_NAME, K(EVT), K(EVT), AT(topic), 0 },
	{ "deadline_ms", F_INT, K(REQ), K(REQ), AT(deadline_ms), 1 },
	{ "ok", F_BOOL, K(REP), K(REP), AT(ok), 0 },
	{ "error", F_ERROR, 0, K(REP), 0, 0, 0 },
	{ "seq", F_INT, K(HB), K(HB), AT(seq), 0 },
	{ "state", F_WORD, K(HB), K(HB), AT(state), 0 },
	{ "token", F_HEX, K(HELLO), K(HELLO), AT(token), 0 },
	{ "pid", F_INT, K(HELLO), K(HELLO), AT(pid), 1 },
	{ "body", F_BODY, 0, K(REQ) | K(REP) | K(EVT), 0, 0, 0 },
};
#define N_ENV_FIELDS (sizeof(env_fields) / sizeof(env_fields[0]))

static const char *const ftype_what[] = {
	[F_VERSION] = "an integer", [F_KIND] = "a string", [F_INT] = "an integer",
	[F_NAME] = "a string", [F_BOOL] = "a boolean", [F_ERROR] = "an object",
	[F_BODY] = "an object", [F_WORD] = "a string", [F_HEX] = "a string",
};

/* At most EXCERPT_MAX bytes of untrusted text, printable ASCII only. */
static void excerpt(const char *s, size_t n, char out[EXCERPT_MAX + 4])
{
	size_t i;
	for (i = 0; i < n && i < EXCERPT_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
	}
	out[i] = 0;
	if (n > EXCERPT_MAX)
		strcpy(out + i, "...");
}

static const struct env_field *env_field_find(const char *key)
{
	for (size_t i = 0; i < N_ENV_FIELDS; i++)
		if (strcmp(env_fields[i].key, key) == 0)
			return &env_fields[i];
	return NULL;
}

static int type_ok(enum ftype t, const json_t *v)
{
	switch (t) {
	case F_VERSION: case F_INT: return json_is_integer(v);
	case F_KIND: case F_NAME: case F_WORD: case F_HEX: return json_is_string(v);
	case F_BOOL: return json_is_boolean(v);
	case F_ERROR: case F_BODY: return json_is_object(v);
	}
	return 0;
}

/* Names route messages and appear in logs: a short, plain alphabet. */
static int name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == ':';
}

static int word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || c == '_' || c == '-';
}

static int hex_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Copy a bounded string of a given alphabet into dst[cap]. */
static int copy_checked(const json_t *v, const char *key, char *dst, size_t cap,
                        int (*ok)(unsigned char), const char *alphabet, char *err, size_t errlen)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n == 0) {
		snprintf(err, errlen, "\"%s\" is empty", key);
		return -1;
	}
	if (n >= cap) {
		snprintf(err, errlen, "\"%s\" is longer than %zu bytes", key, cap - 1);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!ok((unsigned char)s[i])) {
			char ex[EXCERPT_MAX + 4];
			excerpt(s, n, ex);
			snprintf(err, errlen, "\"%s\" may only contain %s, got \"%s\"", key, alphabet, ex);
			return -1;
		}
	}
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

/* Depth of a JSON value ({} and [] count 1, scalars 0), counting no further than limit+1.
 * One loop walks the children of both containers: an object's through its iterator
 * (NULL for an array), an array's by index. */
static int json_depth(const json_t *v, int limit)
{
	if (limit < 0)
		return 1;
	if (!json_is_object(v) && !json_is_array(v))
		return 0;
	size_t n = json_is_object(v) ? json_object_size(v) : json_array_size(v);
	void *it = json_object_iter((json_t *)v);
	int max = 0;
	for (size_t i = 0; i < n && max <= limit; i++) {
		const json_t *c = it ? json_object_iter_value(it) : json_array_get(v, i);
		int d = json_depth(c, limit - 1);
		if (d > max)
			max = d;
		if (it)
			it = json_object_iter_next((json_t *)v, it);
	}
	return max + 1;
}

/* Copy at most cap-1 bytes, cutting at a UTF-8 character boundary. */
static void copy_utf8_trunc(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = 0;
}

static int decode_error(const json_t *e, struct proto_msg *out, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)e, key, v) {
		if (strcmp(key, "code") && strcmp(key, "message") && strcmp(key, "retry_after_ms")) {
			char ex[EXCERPT_MAX + 4];
			excerpt(key, strlen(key), ex);
			snprintf(err, errlen, "unknown field \"error.%s\"", ex);
			return -1;
		}
	}
	const json_t *code = json_object_get(e, "code");
	const json_t *msg = json_object_get(e, "message");
	const json_t *retry = json_object_get(e, "retry_after_ms");
	if (!json_is_string(code)) {
		snprintf(err, errlen, "\"error.code\" must be a string");
		return -1;
	}
	if (proto_error_parse(json_string_value(code), &out->error) < 0) {
		char ex[EXCERPT_MAX + 4];
		excerpt(json_string_value(code), json_string_length(code), ex);
		snprintf(err, errlen, "unknown error code \"%s\"", ex);
		return -1;
	}
	if (!json_is_string(msg)) {
		snprintf(err, errlen, "\"error.message\" must be a string");
		return -1;
	}
	/* A long message is cut rather than refused: it comes from a remote API. */
	copy_utf8_trunc(out->error_message, sizeof(out->error_message),
	                json_string_value(msg), json_string_length(msg));
	if (retry) {
		if (!json_is_integer(retry) || json_integer_value(retry) < 0) {
			snprintf(err, errlen, "\"error.retry_after_ms\" must be a non-negative integer");
			return -1;
		}
		out->retry_after_ms = json_integer_value(retry);
	}
	return 0;
}

static int decode_field(const struct env_field *f, const json_t *v, struct proto_msg *out,
                        char *err, size_t errlen)
{
	char *base = (char *)out;
	switch (f->type) {
	case F_VERSION: case F_KIND:
		return 0;     /* checked first, in validate_object */
	case F_INT: {
		int64_t n = json_integer_value(v);
		if (n < f->min) {
			snprintf(err, errlen, "\"%s\" must be %s", f->key,
			         f->min > 0 ? "positive" : "non-negative");
			return -1;
		}
		memcpy(base + f->off, &n, sizeof(n));
		return 0;
	}
	case F_NAME:
		return copy_checked(v, f->key, base + f->off, f->cap, name_char,
		                    "letters, digits and . - _ :", err, errlen);
	case F_WORD:
		return copy_checked(v, f->key, base + f->off, f->cap, word_char,
		                    "a-z _ -", err, errlen);
	case F_HEX:
		return copy_checked(v, f->key, base + f->off, f->cap, hex_char,
		                    "hex digits", err, errlen);
	case F_BOOL: {
		int b = json_is_true(v);
		memcpy(base + f->off, &b, sizeof(b));
		return 0;
	}
	case F_ERROR:
		return decode_error(v, out, err, errlen);
	case F_BODY:
		if (json_depth(v, PROTO_MAX_DEPTH) > PROTO_MAX_DEPTH) {
			snprintf(err, errlen, "body nests deeper than %d levels", PROTO_MAX_DEPTH);
			return -1;
		}
		return 0;     /* referenced at the end, once everything validated */
	}
	return -1;
}

static int check_version_kind(const json_t *root, struct proto_msg *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(root, "v");
	if (!v) {
		snprintf(err, errlen, "missing \"v\" (protocol version)");
		return -1;
	}
	if (!json_is_integer(v)) {
		snprintf(err, errlen, "\"v\" must be an integer");
		return -1;
	}
	if (json_integer_value(v) != PROTO_VERSION) {
		snprintf(err, errlen, "unsupported protocol version %lld (this side speaks %d)",
		         (long long)json_integer_value(v), PROTO_VERSION);
		return -1;
	}
	out->v = PROTO_VERSION;
	const json_t *k = json_object_get(root, "kind");
	if (!json_is_string(k)) {
		snprintf(err, errlen, k ? "\"kind\" must be a string" : "missing \"kind\"");
		return -1;
	}
	if (proto_kind_parse(json_string_value(k), &out->kind) < 0) {
		char ex[EXCERPT_MAX + 4];
		excerpt(json_string_value(k), json_string_length(k), ex);
		snprintf(err, errlen, "unknown kind \"%s\"", ex);
		return -1;
	}
	return 0;
}

/* Consistency rules that span fields. */
static int check_reply(const json_t *root, const struct proto_msg *m, char *err, size_t errlen)
{
	if (m->kind != PROTO_REP)
		return 0;
	int has_error = json_object_get(root, "error") != NULL;
	if (m->ok && has_error) {
		snprintf(err, errlen, "a reply with ok=true cannot carry \"error\"");
		return -1;
	}
	if (!m->ok && !has_error) {
		snprintf(err, errlen, "a reply with ok=false must carry \"error\"");
		return -1;
	}
	if (!m->ok && json_object_get(root, "body")) {
		snprintf(err, errlen, "a reply with ok=false cannot carry \"body\"");
		return -1;
	}
	return 0;
}

static int validate_object(const json_t *root, struct proto_msg *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(root)) {
		snprintf(err, errlen, "message is not a JSON object");
		return -1;
	}
	if (check_version_kind(root, out, err, errlen) < 0)
		return -1;
	const char *kind = proto_kind_name(out->kind);
	unsigned bit = 1u << out->kind;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)root, key, v) {
		const struct env_field *f = env_field_find(key);
		if (!f) {
			char ex[EXCERPT_MAX + 4];
			excerpt(key, strlen(key), ex);
			snprintf(err, errlen, "unknown field \"%s\" in a %s message", ex, kind);
			return -1;
		}
		if (!(f->allowed & bit)) {
			snprintf(err, errlen, "field \"%s\" is not allowed in a %s message", key, kind);
			return -1;
		}
		if (!type_ok(f->type, v)) {
			snprintf(err, errlen, "\"%s\" must be %s", key, ftype_what[f->type]);
			return -1;
		}
	}
	for (size_t i = 0; i < N_ENV_FIELDS; i++) {
		const struct env_field *f = &env_fields[i];
		if (!(f->allowed & bit))
			continue;
		v = json_object_get(root, f->key);
		if (!v) {
			if (f->required & bit) {
				snprintf(err, errlen, "a %s message lacks \"%s\"", kind, f->key);
				return -1;
			}
			continue;
		}
		if (decode_field(f, v, out, err, errlen) < 0)
			return -1;
	}
	if (check_reply(root, out, err, errlen) < 0)
		return -1;
	json_t *body = json_object_get(root, "body");
	out->body = body ? json_incref(body) : NULL;
	return 0;
}

/* Before jansson sees the bytes: a JSON object, no NUL byte, nesting bounded.  The scan
 * follows strings and escapes so that brackets inside strings do not count. */
static int prescan(const unsigned char *p, size_t len, char *err, size_t errlen)
{
	size_t i = 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	if (i == len) {
		snprintf(err, errlen, "empty frame");
		return -1;
	}
	if (p[i] != '{') {
		snprintf(err, errlen, "frame is not a JSON object");
		return -1;
	}
	int depth = 0, in_str = 0, esc = 0;
	for (; i < len; i++) {
		unsigned char c = p[i];
		if (c == 0) {
			snprintf(err, errlen, "NUL byte at offset %zu", i);
			return -1;
		}
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			/* the envelope is one level above the body */
			if (++depth > PROTO_MAX_DEPTH + 1) {
				snprintf(err, errlen, "nesting deeper than %d levels at offset %zu",
				         PROTO_MAX_DEPTH, i);
				return -1;
			}
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

/* jansson's texts end in "near '<input>'": keep the reason, drop the quote. */
static void parse_error(const json_error_t *je, char *err, size_t errlen)
{
	char reason[JSON_ERROR_TEXT_LENGTH];
	snprintf(reason, sizeof(reason), "%s", je->text);
	char *near = strstr(reason, " near ");
	if (near)
		*near = 0;
	snprintf(err, errlen, "invalid JSON at line %d column %d: %s", je->line, je->column, reason);
}

int proto_decode(const void *frame, size_t len, struct proto_msg *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!frame) {
		snprintf(err, errlen, "empty frame");
		return -1;
	}
	if (len > PROTO_MAX_FRAME) {
		snprintf(err, errlen, "frame of %zu bytes exceeds the %d byte limit", len, PROTO_MAX_FRAME);
		return -1;
	}
	if (prescan(frame, len, err, errlen) < 0)
		return -1;
	json_error_t je;
	json_t *root = json_loadb(frame, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		parse_error(&je, err, errlen);
		return -1;
	}
	int r = validate_object(root, out, err, errlen);
	json_decref(root);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}

static int put_field(json_t *root, const struct env_field *f, const struct proto_msg *m)
{
	const char *base = (const char *)m;
	switch (f->type) {
	case F_VERSION:
		return json_object_set_new(root, f->key, json_integer(m->v));
	case F_KIND:
		return json_object_set_new(root, f->key, json_string(proto_kind_name(m->kind)));
	case F_INT: {
		int64_t n;
		memcpy(&n, base + f->off, sizeof(n));
		return json_object_set_new(root, f->key, json_integer(n));
	}
	case F_NAME: case F_WORD: case F_HEX: {
		const char *s = base + f->off;
		if (!memchr(s, 0, f->cap))
			return -1;
		if (!*s && !(f->required & (1u << m->kind)))
			return 0;   /* optional and unset */
		return json_object_set_new(root, f->key, json_string(s));
	}
	case F_BOOL: {
		int b;
		memcpy(&b, base + f->off, sizeof(b));
		return json_object_set_new(root, f->key, json_boolean(b));
	}
	case F_ERROR: {
		if (m->ok)
			return 0;
		json_t *e = json_pack("{s:s, s:s}", "code", proto_error_name(m->error), "message",
		                      memchr(m->error_message, 0, sizeof(m->error_message))
		                          ? m->error_message : "");
		if (e && m->retry_after_ms > 0)
			json_object_set_new(e, "retry_after_ms", json_integer(m->retry_after_ms));
		return json_object_set_new(root, f->key, e);
	}
	case F_BODY:
		return m->body ? json_object_set(root, f->key, m->body) : 0;
	}
	return -1;
}

char *proto_encode_err(const struct proto_msg *m, size_t *len, char *err, size_t errlen)
{
	if ((unsigned)m->kind >= PROTO_KIND_COUNT) {
		snprintf(err, errlen, "unknown kind %d", (int)m->kind);
		return NULL;
	}
	json_t *root = json_object();
	if (!root) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	unsigned bit = 1u << m->kind;
	for (size_t i = 0; i < N_ENV_FIELDS; i++) {
		if ((env_fields[i].allowed & bit) && put_field(root, &env_fields[i], m) < 0) {
			snprintf(err, errlen, "cannot encode \"%s\"", env_fields[i].key);
			json_decref(root);
			return NULL;
		}
	}
	struct proto_msg check;
	char *text = NULL;
	if (validate_object(root, &check, err, errlen) == 0) {
		proto_msg_clear(&check);
		size_t n = 0;
		text = json_dumps(root, JSON_COMPACT);
		if (!text)
			snprintf(err, errlen, "cannot serialise the message");
		else if ((n = strlen(text)) > PROTO_MAX_FRAME) {
			snprintf(err, errlen, "message of %zu bytes exceeds the %d byte limit", n,
			         PROTO_MAX_FRAME);
			free(text);
			text = NULL;
		}
		if (text && len)
			*len = n;
	}
	json_decref(root);
	return text;
}

char *proto_encode(const struct proto_msg *m, size_t *len)
{
	char err[256];
	return proto_encode_err(m, len, err, sizeof(err));
}

void proto_msg_init(struct proto_msg *m, enum proto_kind kind, const char *from)
{
	memset(m, 0, sizeof(*m));
	m->v = PROTO_VERSION;
	m->kind = kind;
	if (m->kind == PROTO_REP)
		m->ok = 1;
	if (from)
		snprintf(m->from, sizeof(m->from), "%s", from);
}

/* The hello token is a one-time secret: wipe it with the rest. */
void proto_msg_clear(struct proto_msg *m)
{
	if (!m)
		return;
	json_decref(m->body);
	m->body = NULL;
	explicit_bzero(m->token, sizeof(m->token));
}
