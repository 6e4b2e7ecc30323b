/* config_yaml — libyaml's event stream to a marked tree (see config_yaml.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "common/config_yaml.h"
#include "common/util.h"

struct ystate {
	yaml_parser_t parser;
	const char *name;
	const char *text;
	size_t len;
	char *err;
	size_t errlen;
	size_t nodes;
	int failed;
};

__attribute__((format(printf, 4, 5)))
static void fail(struct ystate *s, int line, int col, const char *fmt, ...)
{
	if (s->failed)
		return;
	s->failed = 1;
	int n = snprintf(s->err, s->errlen, "%s:%d:%d: ", s->name, line, col);
	if (n < 0 || (size_t)n >= s->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* libyaml's reader errors carry a byte offset, not a mark. */
static void offset_to_mark(const struct ystate *s, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < s->len; i++) {
		if (s->text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s->text[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

static void parser_error(struct ystate *s)
{
	const yaml_parser_t *p = &s->parser;
	int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
	if (p->error == YAML_READER_ERROR) {
		offset_to_mark(s, p->problem_offset, &line, &col);
		fail(s, line, col, "not valid UTF-8 text: %s", p->problem ? p->problem : "unreadable");
		return;
	}
	if (p->error == YAML_MEMORY_ERROR) {
		fail(s, line, col, "out of memory");
		return;
	}
	if (p->context)
		fail(s, line, col, "YAML syntax error: %s %s that starts on line %d",
		     p->problem ? p->problem : "", p->context, (int)p->context_mark.line + 1);
	else
		fail(s, line, col, "YAML syntax error: %s", p->problem ? p->problem : "unknown");
}

static int next_event(struct ystate *s, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&s->parser, ev)) {
		parser_error(s);
		return -1;
	}
	return 0;
}

void cfg_yaml_free(struct cfg_ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		cfg_yaml_free(n->items[i]);
	free(n->items);
	free(n->text);
	free(n);
}

static struct cfg_ynode *new_node(struct ystate *s, enum cfg_ynode_kind kind, const yaml_mark_t *m)
{
	if (++s->nodes > CFG_YAML_MAX_NODES) {
		fail(s, (int)m->line + 1, (int)m->column + 1, "more than %d YAML nodes", CFG_YAML_MAX_NODES);
		return NULL;
	}
	struct cfg_ynode *n = calloc(1, sizeof(*n));
	if (!n) {
		fail(s, (int)m->line + 1, (int)m->column + 1, "out of memory");
		return NULL;
	}
	n->kind = kind;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

static int add_item(struct ystate *s, struct cfg_ynode *parent, struct cfg_ynode *child)
{
	if (array_reserve((void **)&parent->items, &parent->cap, parent->n + 1, sizeof(*parent->items)) < 0) {
		fail(s, child->line, child->col, "out of memory");
		return -1;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static int refuse_anchor_tag(struct ystate *s, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	int implicit = 1;
	if (ev->type == YAML_SCALAR_EVENT) {
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		implicit = ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit;
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		implicit = ev->data.sequence_start.implicit;
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		implicit = ev->data.mapping_start.implicit;
	}
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	if (anchor) {
		fail(s, line, col, "YAML anchors and aliases are not supported");
		return -1;
	}
	if (tag && !implicit) {
		fail(s, line, col, "YAML tags are not supported");
		return -1;
	}
	return 0;
}

static struct cfg_ynode *parse_node(struct ystate *s, yaml_event_t *ev, int depth);

static int key_seen(const struct cfg_ynode *map, const struct cfg_ynode *key)
{
	for (size_t i = 0; i < map->n; i += 2)
		if (map->items[i]->len == key->len && memcmp(map->items[i]->text, key->text, key->len) == 0)
			return 1;
	return 0;
}

/* Children of a sequence or mapping, until its end event. */
static int parse_children(struct ystate *s, struct cfg_ynode *n, int depth)
{
	for (;;) {
		yaml_event_t ev;
		if (next_event(s, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		int is_key = n->kind == CFG_YMAP && n->n % 2 == 0;
		struct cfg_ynode *child = parse_node(s, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!child)
			return -1;
		if (is_key && child->kind != CFG_YSCALAR) {
			fail(s, child->line, child->col, "a mapping key must be a plain string");
			cfg_yaml_free(child);
			return -1;
		}
		if (is_key && key_seen(n, child)) {
			char what[64];
			cfg_yaml_describe(child, what, sizeof(what));
			fail(s, child->line, child->col, "duplicate key %s", what);
			cfg_yaml_free(child);
			return -1;
		}
		if (add_item(s, n, child) < 0) {
			cfg_yaml_free(child);
			return -1;
		}
	}
}

static struct cfg_ynode *parse_node(struct ystate *s, yaml_event_t *ev, int depth)
{
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	if (ev->type == YAML_ALIAS_EVENT) {
		fail(s, line, col, "YAML anchors and aliases are not supported");
		return NULL;
	}
	if (refuse_anchor_tag(s, ev) < 0)
		return NULL;
	if (depth > CFG_YAML_MAX_DEPTH) {
		fail(s, line, col, "nesting deeper than %d levels", CFG_YAML_MAX_DEPTH);
		return NULL;
	}
	struct cfg_ynode *n;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = new_node(s, CFG_YSCALAR, &ev->start_mark);
		if (!n)
			return NULL;
		n->len = ev->data.scalar.length;
		n->text = malloc(n->len + 1);
		if (!n->text) {
			fail(s, line, col, "out of memory");
			free(n);
			return NULL;
		}
		memcpy(n->text, ev->data.scalar.value, n->len);
		n->text[n->len] = 0;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = new_node(s, ev->type == YAML_SEQUENCE_START_EVENT ? CFG_YSEQ : CFG_YMAP, &ev->start_mark);
		if (!n)
			return NULL;
		if (parse_children(s, n, depth) < 0) {
			cfg_yaml_free(n);
			return NULL;
		}
		return n;
	default:
		fail(s, line, col, "unexpected YAML event");
		return NULL;
	}
}

/* Stream: STREAM-START, then zero or one DOCUMENT (START node END), then STREAM-END. */
static struct cfg_ynode *parse_stream(struct ystate *s, int *empty)
{
	yaml_event_t ev;
	struct cfg_ynode *root = NULL;
	int docs = 0;
	for (;;) {
		if (next_event(s, &ev) < 0)
			break;
		yaml_event_type_t t = ev.type;
		if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			fail(s, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
			     "more than one YAML document");
			yaml_event_delete(&ev);
			break;
		}
		if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
		    t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
			root = parse_node(s, &ev, 1);
			yaml_event_delete(&ev);
			if (!root)
				break;
			continue;
		}
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT) {
			*empty = docs == 0 || (root && cfg_yaml_is_null(root));
			return root;
		}
	}
	cfg_yaml_free(root);
	return NULL;
}

struct cfg_ynode *cfg_yaml_parse(const char *text, size_t len, const char *name, int *empty,
                                 char *err, size_t errlen)
{
	struct ystate s = { .name = name, .text = text, .len = len, .err = err, .errlen = errlen };
	*empty = 0;
	if (!yaml_parser_initialize(&s.parser)) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	/* UTF-8 only: a UTF-16 file is refused rather than silently converted. */
	yaml_parser_set_encoding(&s.parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&s.parser, (const unsigned char *)text, len);
	struct cfg_ynode *root = parse_stream(&s, empty);
	yaml_parser_delete(&s.parser);
	if (s.failed) {
		cfg_yaml_free(root);
		return NULL;
	}
	return root;
}

int cfg_yaml_is_null(const struct cfg_ynode *n)
{
	if (!n)
		return 1;
	if (n->kind != CFG_YSCALAR || !n->plain)
		return 0;
	return n->len == 0 || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
	       !strcmp(n->text, "Null") || !strcmp(n->text, "NULL");
}

struct cfg_ynode *cfg_yaml_get(const struct cfg_ynode *map, const char *key)
{
	if (!map || map->kind != CFG_YMAP)
		return NULL;
	size_t k = strlen(key);
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->items[i]->len == k && memcmp(map->items[i]->text, key, k) == 0)
			return map->items[i + 1];
	return NULL;
}

void cfg_yaml_describe(const struct cfg_ynode *n, char *out, size_t outlen)
{
	if (!n || cfg_yaml_is_null(n)) {
		snprintf(out, outlen, "nothing");
		return;
	}
	if (n->kind == CFG_YMAP) {
		snprintf(out, outlen, "a mapping");
		return;
	}
	if (n->kind == CFG_YSEQ) {
		snprintf(out, outlen, "a list");
		return;
	}
	char q[48];
	size_t i, max = 40;
	for (i = 0; i < n->len && i < max; i++) {
		unsigned char c = (unsigned char)n->text[i];
		q[i] = (c >= 0x20 && c != 0x7f && c != '"') ? (char)c : '?';
	}
	/* do not end on half a UTF-8 character */
	if (n->len > max)
		while (i > 0 && ((unsigned char)n->text[i] & 0xC0) == 0x80)
			i--;
	q[i] = 0;
	snprintf(out, outlen, "\"%s%s\"", q, n->len > max ? "..." : "");
}
