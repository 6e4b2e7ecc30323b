/* Leaf values of ghr.yaml: strings, integers, booleans, durations, enums and lists,
 * each checked against its schema entry and converted to JSON.  Durations become
 * integer milliseconds. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "common/config_internal.h"

void cfg_fail(struct cfg_vctx *c, int line, int col, const char *path, const char *fmt, ...)
{
	if (c->failed)
		return;
	c->failed = 1;
	int n = path && *path
		? snprintf(c->err, c->errlen, "%s:%d:%d: %s: ", c->name, line, col, path)
		: snprintf(c->err, c->errlen, "%s:%d:%d: ", c->name, line, col);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

void cfg_format_duration(int64_t ms, char *out, size_t outlen)
{
	static const struct { int64_t ms; const char *unit; } units[] = {
		{ 3600000, "h" }, { 60000, "m" }, { 1000, "s" },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms != 0 && ms % units[i].ms == 0) {
			snprintf(out, outlen, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
			return;
		}
	}
	snprintf(out, outlen, "%lldms", (long long)ms);
}

/* Bounds: (0,0) none; max 0 with min > 0 means "at least min". */
static int has_max(const struct cfg_key *k) { return k->max != 0; }
static int has_min(const struct cfg_key *k) { return k->min != 0 || k->max != 0; }

static void describe(const struct cfg_ynode *n, char *out, size_t len)
{
	cfg_yaml_describe(n, out, len);
}

/* When a quoted scalar would have been accepted without its quotes, say so: YAML makes
 * "10" and "true" strings, which is rarely what was meant. */
static const char *quote_hint(const struct cfg_ynode *n, int accepted_plain)
{
	return n->kind == CFG_YSCALAR && !n->plain && accepted_plain
	       ? " (the quotes make it a string: write it without them)" : "";
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static json_t *str_value(struct cfg_vctx *c, const struct cfg_key *k, const struct cfg_ynode *n,
                         const char *path)
{
	char got[64];
	describe(n, got, sizeof(got));
	if (n->kind != CFG_YSCALAR) {
		cfg_fail(c, n->line, n->col, path, "must be a string, got %s", got);
		return NULL;
	}
	const char *s = cfg_yaml_is_null(n) ? "" : n->text;
	size_t len = cfg_yaml_is_null(n) ? 0 : n->len;
	if (memchr(s, 0, len)) {
		cfg_fail(c, n->line, n->col, path, "must not contain a NUL character");
		return NULL;
	}
	if (len > CFG_STR_HARD_MAX) {
		cfg_fail(c, n->line, n->col, path, "is longer than %d bytes", CFG_STR_HARD_MAX);
		return NULL;
	}
	size_t chars = utf8_chars(s, len);
	if ((has_min(k) && chars < (size_t)k->min) || (has_max(k) && chars > (size_t)k->max)) {
		if (has_max(k))
			cfg_fail(c, n->line, n->col, path, "must be a string of %lld to %lld characters, got %s",
			         (long long)k->min, (long long)k->max, got);
		else if (k->min == 1)
			cfg_fail(c, n->line, n->col, path, "must not be empty");
		else
			cfg_fail(c, n->line, n->col, path, "must be a string of at least %lld characters",
			         (long long)k->min);
		return NULL;
	}
	json_t *j = json_stringn(s, len);
	if (!j)
		cfg_fail(c, n->line, n->col, path, "is not valid UTF-8");
	return j;
}

/* Decimal integer with optional sign; -1 when not one or out of int64 range. */
static int parse_int(const char *s, int64_t *out)
{
	int neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return -1;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > ((uint64_t)INT64_MAX + 1 - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (!neg && v > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static void range_text(const struct cfg_key *k, char *out, size_t len)
{
	if (has_max(k))
		snprintf(out, len, "an integer from %lld to %lld", (long long)k->min, (long long)k->max);
	else if (has_min(k))
		snprintf(out, len, "an integer of at least %lld", (long long)k->min);
	else
		snprintf(out, len, "an integer");
}

static int in_range(const struct cfg_key *k, int64_t v)
{
	return !((has_min(k) && v < k->min) || (has_max(k) && v > k->max));
}

static json_t *int_value(struct cfg_vctx *c, const struct cfg_key *k, const struct cfg_ynode *n,
                         const char *path)
{
	char got[64], want[96];
	int64_t v;
	describe(n, got, sizeof(got));
	range_text(k, want, sizeof(want));
	if (n->kind != CFG_YSCALAR || !n->plain || cfg_yaml_is_null(n) || parse_int(n->text, &v) < 0 ||
	    !in_range(k, v)) {
		int would = n->kind == CFG_YSCALAR && parse_int(n->text, &v) == 0 && in_range(k, v);
		cfg_fail(c, n->line, n->col, path, "must be %s, got %s%s", want, got, quote_hint(n, would));
		return NULL;
	}
	return json_integer(v);
}

static json_t *bool_value(struct cfg_vctx *c, const struct cfg_ynode *n, const char *path)
{
	static const char *const yes[] = { "true", "True", "TRUE" }, *const no[] = { "false", "False", "FALSE" };
	int would = 0;
	if (n->kind == CFG_YSCALAR) {
		for (int i = 0; i < 3; i++) {
			if (!strcmp(n->text, yes[i]) || !strcmp(n->text, no[i]))
				would = 1;
			if (n->plain && !strcmp(n->text, yes[i]))
				return json_true();
			if (n->plain && !strcmp(n->text, no[i]))
				return json_false();
		}
	}
	char got[64];
	describe(n, got, sizeof(got));
	cfg_fail(c, n->line, n->col, path, "must be true or false, got %s%s", got, quote_hint(n, would));
	return NULL;
}

/* "250ms" "30s" "10m" "2h", or a bare number of seconds. */
static int parse_duration(const char *s, int64_t *ms)
{
	static const struct { const char *suffix; int64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 },
	};
	size_t digits = strspn(s, "0123456789");
	if (digits == 0 || digits > 12)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + digits, units[i].suffix) == 0) {
			int64_t v = 0;
			for (size_t d = 0; d < digits; d++)
				v = v * 10 + (s[d] - '0');
			*ms = v * units[i].ms;     /* < 10^12 * 3.6e6 < 2^63 */
			return 0;
		}
	}
	return -1;
}

static json_t *duration_value(struct cfg_vctx *c, const struct cfg_key *k, const struct cfg_ynode *n,
                              const char *path)
{
	char got[64];
	int64_t ms;
	describe(n, got, sizeof(got));
	if (n->kind != CFG_YSCALAR || cfg_yaml_is_null(n) || parse_duration(n->text, &ms) < 0) {
		cfg_fail(c, n->line, n->col, path,
		         "must be a duration such as 250ms, 30s, 10m or 2h (a bare number is seconds), got %s", got);
		return NULL;
	}
	if (!in_range(k, ms)) {
		char lo[32], hi[32];
		cfg_format_duration(k->min, lo, sizeof(lo));
		cfg_format_duration(k->max, hi, sizeof(hi));
		if (has_max(k))
			cfg_fail(c, n->line, n->col, path, "must be a duration from %s to %s, got %s", lo, hi, got);
		else
			cfg_fail(c, n->line, n->col, path, "must be a duration of at least %s, got %s", lo, got);
		return NULL;
	}
	return json_integer(ms);
}

static json_t *enum_value(struct cfg_vctx *c, const struct cfg_key *k, const struct cfg_ynode *n,
                          const char *path)
{
	if (n->kind == CFG_YSCALAR && !cfg_yaml_is_null(n) && !memchr(n->text, '|', n->len)) {
		const char *v = k->enum_values;
		size_t len = n->len;
		while (v && *v) {
			size_t seg = strcspn(v, "|");
			if (seg == len && memcmp(v, n->text, len) == 0)
				return json_stringn(n->text, len);
			v += seg + (v[seg] == '|');
		}
	}
	char got[64], list[256];
	size_t at = 0;
	for (const char *v = k->enum_values; v && *v && at + 4 < sizeof(list); v++)
		at += (size_t)snprintf(list + at, sizeof(list) - at, *v == '|' ? ", " : "%c", *v);
	list[at] = 0;
	describe(n, got, sizeof(got));
	cfg_fail(c, n->line, n->col, path, "must be one of %s; got %s", list, got);
	return NULL;
}

static json_t *list_value(struct cfg_vctx *c, const struct cfg_key *k, const struct cfg_ynode *n,
                          const char *path)
{
	int strings = k->type == CFG_STRLIST;
	const char *what = strings ? "strings" : "integers";
	if (n->kind != CFG_YSEQ && !cfg_yaml_is_null(n)) {
		char got[64];
		describe(n, got, sizeof(got));
		cfg_fail(c, n->line, n->col, path, "must be a list of %s, got %s", what, got);
		return NULL;
	}
	size_t count = n->kind == CFG_YSEQ ? n->n : 0;
	if (strings && ((has_min(k) && count < (size_t)k->min) || (has_max(k) && count > (size_t)k->max))) {
		if (has_max(k))
			cfg_fail(c, n->line, n->col, path, "must list %lld to %lld strings, got %zu",
			         (long long)k->min, (long long)k->max, count);
		else
			cfg_fail(c, n->line, n->col, path, "must list at least %lld strings, got %zu",
			         (long long)k->min, count);
		return NULL;
	}
	json_t *arr = json_array();
	struct cfg_key item = *k;
	item.min = 0;
	item.max = 0;
	for (size_t i = 0; i < count && arr; i++) {
		char ipath[CFG_PATH_MAX];
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		const struct cfg_ynode *it = n->items[i];
		json_t *v;
		if (strings) {
			if (it->kind != CFG_YSCALAR || cfg_yaml_is_null(it)) {
				char got[64];
				describe(it, got, sizeof(got));
				cfg_fail(c, it->line, it->col, ipath, "must be a string, got %s", got);
				v = NULL;
			} else {
				v = str_value(c, &item, it, ipath);
			}
		} else {
			v = int_value(c, k, it, ipath);     /* min/max bound each value */
		}
		if (!v || json_array_append_new(arr, v) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return arr;
}

json_t *cfg_leaf_value(struct cfg_vctx *c, const struct cfg_key *k, const struct cfg_ynode *n,
                       const char *path)
{
	switch (k->type) {
	case CFG_STR: return str_value(c, k, n, path);
	case CFG_INT: return int_value(c, k, n, path);
	case CFG_BOOL: return bool_value(c, n, path);
	case CFG_DURATION: return duration_value(c, k, n, path);
	case CFG_ENUM: return enum_value(c, k, n, path);
	case CFG_STRLIST: case CFG_INTLIST: return list_value(c, k, n, path);
	default:
		cfg_fail(c, n->line, n->col, path, "is not a leaf value");
		return NULL;
	}
}
