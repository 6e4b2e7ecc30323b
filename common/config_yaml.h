/* config_yaml — ghr.yaml text to a small tree that keeps line and column marks, so
 * that every later error can say where.  Private to the config loader.
 *
 * Refused here, with a message naming line:col: YAML syntax errors (libyaml's own
 * problem text), input that is not UTF-8, anchors and aliases (no billion laughs),
 * explicit tags, non-scalar mapping keys, duplicate keys, more than one document,
 * nesting deeper than CFG_YAML_MAX_DEPTH and more than CFG_YAML_MAX_NODES nodes. */
#ifndef GHR_CONFIG_YAML_H
#define GHR_CONFIG_YAML_H

#include <stddef.h>

#define CFG_YAML_MAX_DEPTH 64
#define CFG_YAML_MAX_NODES 20000

enum cfg_ynode_kind { CFG_YMAP, CFG_YSEQ, CFG_YSCALAR };

struct cfg_ynode {
	enum cfg_ynode_kind kind;
	int line, col;               /* 1-based, where the node starts */
	char *text;                  /* scalar: NUL-terminated copy (may hold NULs: see len) */
	size_t len;
	int plain;                   /* scalar written without quotes */
	struct cfg_ynode **items;    /* seq: items; map: key, value, key, value, ... */
	size_t n;                    /* number of entries in items */
	size_t cap;
};

/* Parse text (NUL-terminated; name is used in errors).  Returns the root, or NULL with
 * err filled ("name:line:col: ...").  An empty document (or comments only) gives a
 * NULL root and *empty = 1 with no error. */
struct cfg_ynode *cfg_yaml_parse(const char *text, size_t len, const char *name, int *empty,
                                 char *err, size_t errlen);
void cfg_yaml_free(struct cfg_ynode *n);

/* A YAML null: plain "", "~" or "null" in any of its spellings. */
int cfg_yaml_is_null(const struct cfg_ynode *n);
/* The value of key in a mapping node, or NULL. */
struct cfg_ynode *cfg_yaml_get(const struct cfg_ynode *map, const char *key);
/* "a mapping", "a list", "\"text\"" (quoted, cut at 40 bytes, non-printables as ?) */
void cfg_yaml_describe(const struct cfg_ynode *n, char *out, size_t outlen);

#endif
