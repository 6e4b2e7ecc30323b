/* config — ghr.yaml to a validated JSON tree (see config.h).
 *
 * The walk follows the schema table: a mapping is checked key by key in file order
 * (unknown keys and bad values are reported where they are), then every schema key
 * it lacks is either reported (required) or filled from its default, sections
 * included, so that readers find every key with a default even when the operator
 * wrote none of its section.  The first error stops the load. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/config_internal.h"

#define CFG_FILE_MAX (1024 * 1024)
#define CFG_MAPKEY_MAX 63

static const struct cfg_key schema[] = {
#define CFG(path, type, def, min, max, req, enums, doc) { path, type, def, min, max, req, enums, doc },
#include "common/config_schema.def"
#undef CFG
};
#define N_SCHEMA (sizeof(schema) / sizeof(schema[0]))

const struct cfg_key *cfg_schema(size_t *count)
{
	*count = N_SCHEMA;
	return schema;
}

static const struct cfg_key *schema_find(const char *path)
{
	for (size_t i = 0; i < N_SCHEMA; i++)
		if (!strcmp(schema[i].path, path))
			return &schema[i];
	return NULL;
}

/* Is k a direct member of the section whose generic path is prefix ("" = top)? */
static const char *member_name(const struct cfg_key *k, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *rest = k->path;
	if (n) {
		if (strncmp(k->path, prefix, n) || k->path[n] != '.')
			return NULL;
		rest = k->path + n + 1;
	}
	return strpbrk(rest, ".[") ? NULL : rest;
}

static void join(char *out, const char *base, const char *name)
{
	snprintf(out, CFG_PATH_MAX, "%s%s%s", base, *base ? "." : "", name);
}

static json_t *section(struct cfg_vctx *c, const struct cfg_ynode *n, int line, int col,
                       const char *generic, const char *path);

/* "a, b, c": the members of a section, for "unknown key" messages. */
static void member_list(const char *generic, char *out, size_t len)
{
	size_t at = 0;
	out[0] = 0;
	for (size_t i = 0; i < N_SCHEMA && at < len; i++) {
		const char *m = member_name(&schema[i], generic);
		if (m)
			at += (size_t)snprintf(out + at, len - at, "%s%s", at ? ", " : "", m);
	}
}

static json_t *map_value(struct cfg_vctx *c, const struct cfg_key *k, const struct cfg_ynode *n,
                         const char *path)
{
	json_t *obj = json_object();
	if (cfg_yaml_is_null(n))
		return obj;
	if (n->kind != CFG_YMAP) {
		char got[64];
		cfg_yaml_describe(n, got, sizeof(got));
		cfg_fail(c, n->line, n->col, path, "must be a mapping, got %s", got);
		json_decref(obj);
		return NULL;
	}
	char generic[CFG_PATH_MAX];
	snprintf(generic, sizeof(generic), "%s.*", k->path);
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct cfg_ynode *key = n->items[i];
		char got[64];
		cfg_yaml_describe(key, got, sizeof(got));
		if (key->len == 0 || key->len > CFG_MAPKEY_MAX || strspn(key->text,
		    "abcdefghijklmnopqrstuvwxyz0123456789._-") != key->len) {
			cfg_fail(c, key->line, key->col, path,
			         "key %s must be 1 to %d characters of a-z, 0-9, '.', '_' and '-'", got, CFG_MAPKEY_MAX);
			json_decref(obj);
			return NULL;
		}
		char ipath[CFG_PATH_MAX];
		join(ipath, path, key->text);
		const struct cfg_ynode *v = n->items[i + 1];
		json_t *item = section(c, v, v->line, v->col, generic, ipath);
		if (!item) {
			json_decref(obj);
			return NULL;
		}
		json_object_set_new(obj, key->text, item);
	}
	return obj;
}

static json_t *list_of_sections(struct cfg_vctx *c, const struct cfg_key *k, const struct cfg_ynode *n,
                                const char *path)
{
	json_t *arr = json_array();
	if (cfg_yaml_is_null(n))
		return arr;
	if (n->kind != CFG_YSEQ) {
		char got[64];
		cfg_yaml_describe(n, got, sizeof(got));
		cfg_fail(c, n->line, n->col, path, "must be a list of mappings, got %s", got);
		json_decref(arr);
		return NULL;
	}
	char generic[CFG_PATH_MAX];
	snprintf(generic, sizeof(generic), "%s[]", k->path);
	for (size_t i = 0; i < n->n; i++) {
		const struct cfg_ynode *it = n->items[i];
		char ipath[CFG_PATH_MAX];
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (it->kind != CFG_YMAP) {
			char got[64];
			cfg_yaml_describe(it, got, sizeof(got));
			cfg_fail(c, it->line, it->col, ipath, "must be a mapping, got %s", got);
			json_decref(arr);
			return NULL;
		}
		json_t *item = section(c, it, it->line, it->col, generic, ipath);
		if (!item) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, item);
	}
	return arr;
}

/* The value of one key: n is the node from the file, or NULL to use the default. */
static json_t *value(struct cfg_vctx *c, const struct cfg_key *k, const struct cfg_ynode *n,
                     int line, int col, const char *path)
{
	switch (k->type) {
	case CFG_SECTION:      /* missing members are reported at the section's key */
		return section(c, n, line, col, k->path, path);
	case CFG_MAP:
		return n ? map_value(c, k, n, path) : json_object();
	case CFG_LIST:
		return n ? list_of_sections(c, k, n, path) : json_array();
	default:
		break;
	}
	if (n)
		return cfg_leaf_value(c, k, n, path);
	/* Defaults are YAML text checked like operator input (a bad one is a schema bug,
	 * caught by the unit tests that load a minimal file). */
	if (k->type == CFG_STRLIST || k->type == CFG_INTLIST) {
		char err[256];
		int empty;
		struct cfg_ynode *d = cfg_yaml_parse(k->def, strlen(k->def), "default", &empty, err, sizeof(err));
		json_t *v = d ? cfg_leaf_value(c, k, d, path) : NULL;
		if (!d)
			cfg_fail(c, line, col, path, "bad default in the schema: %s", err);
		cfg_yaml_free(d);
		return v;
	}
	struct cfg_ynode d = { .kind = CFG_YSCALAR, .line = line, .col = col, .text = (char *)k->def,
	                       .len = strlen(k->def), .plain = 1 };
	return cfg_leaf_value(c, k, &d, path);
}

static json_t *section(struct cfg_vctx *c, const struct cfg_ynode *n, int line, int col,
                       const char *generic, const char *path)
{
	if (n && cfg_yaml_is_null(n))
		n = NULL;
	if (n && n->kind != CFG_YMAP) {
		char got[64];
		cfg_yaml_describe(n, got, sizeof(got));
		cfg_fail(c, n->line, n->col, path, "must be a mapping, got %s", got);
		return NULL;
	}
	json_t *obj = json_object();
	for (size_t i = 0; n && i + 1 < n->n; i += 2) {
		const struct cfg_ynode *key = n->items[i], *v = n->items[i + 1];
		char kgeneric[CFG_PATH_MAX], kpath[CFG_PATH_MAX], got[64];
		join(kgeneric, generic, key->text);
		cfg_yaml_describe(key, got, sizeof(got));
		const struct cfg_key *k = memchr(key->text, 0, key->len) ? NULL : schema_find(kgeneric);
		if (!k || !member_name(k, generic)) {
			/* the path names the unknown key itself, as the operator wrote it */
			char known[1024], shown[64];
			size_t glen = strlen(got);
			snprintf(shown, sizeof(shown), "%.*s", glen >= 2 ? (int)glen - 2 : 0, got + 1);
			join(kpath, path, shown);
			member_list(generic, known, sizeof(known));
			cfg_fail(c, key->line, key->col, kpath, "unknown key; expected one of: %s", known);
			goto fail;
		}
		join(kpath, path, key->text);
		json_t *val = value(c, k, v, key->line, key->col, kpath);
		if (!val)
			goto fail;
		json_object_set_new(obj, key->text, val);
		if (k->type != CFG_SECTION && cfg_run_checks(c, k->path, v, v->line, v->col, val, kpath) < 0)
			goto fail;
	}
	for (size_t i = 0; i < N_SCHEMA; i++) {
		const char *m = member_name(&schema[i], generic);
		if (!m || json_object_get(obj, m))
			continue;
		char kpath[CFG_PATH_MAX];
		join(kpath, path, m);
		if (schema[i].required) {
			cfg_fail(c, line, col, kpath, "required key is missing");
			goto fail;
		}
		if (!schema[i].def && schema[i].type != CFG_SECTION && schema[i].type != CFG_MAP &&
		    schema[i].type != CFG_LIST)
			continue;      /* optional, no default: absent from the tree */
		json_t *val = value(c, &schema[i], NULL, line, col, kpath);
		if (!val)
			goto fail;
		json_object_set_new(obj, m, val);
	}
	if (cfg_run_checks(c, generic, n, line, col, obj, path) < 0)
		goto fail;
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

json_t *config_load_string(const char *text, const char *name, char *err, size_t errlen)
{
	if (!name)
		name = "(config)";
	if (!text)
		text = "";
	int empty;
	struct cfg_ynode *root = cfg_yaml_parse(text, strlen(text), name, &empty, err, errlen);
	if (!root && !empty)
		return NULL;
	struct cfg_vctx c = { .name = name, .err = err, .errlen = errlen, .root = root };
	json_t *out = NULL;
	if (empty)
		cfg_fail(&c, 1, 1, "", "the configuration is empty (manager_id, github and openstack are required)");
	else if (root->kind != CFG_YMAP)
		cfg_fail(&c, root->line, root->col, "", "the top level must be a mapping of keys");
	else
		out = section(&c, root, root->line, root->col, "", "");
	cfg_yaml_free(root);
	return out;
}

char *cfg_read_file(const char *path, size_t *lenp, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_size > CFG_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, CFG_FILE_MAX);
		close(fd);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t len = 0;
	ssize_t r = 0;
	while (buf && len < (size_t)st.st_size &&
	       ((r = read(fd, buf + len, (size_t)st.st_size - len)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			len += (size_t)r;
	int read_errno = errno;
	close(fd);
	if (!buf || r < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, buf ? strerror(read_errno) : "out of memory");
		free(buf);
		return NULL;
	}
	buf[len] = 0;
	const char *nul = memchr(buf, 0, len);
	if (nul) {
		int line = 1;
		for (const char *p = buf; p < nul; p++)
			line += *p == '\n';
		snprintf(err, errlen, "%s:%d: contains a NUL byte (not a text file?)", path, line);
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
}

json_t *config_load_file(const char *path, char *err, size_t errlen)
{
	size_t len;
	char *buf = cfg_read_file(path, &len, err, errlen);
	if (!buf)
		return NULL;
	json_t *cfg = config_load_string(buf, path, err, errlen);
	free(buf);
	return cfg;
}

/* ---- accessors ------------------------------------------------------------------ */

json_t *cfg_get(const json_t *obj, const char *path)
{
	char key[CFG_PATH_MAX];
	const json_t *cur = obj;
	while (cur && path && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key) || !json_is_object(cur))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		cur = json_object_get(cur, key);
		path += n + (path[n] == '.');
	}
	return (json_t *)cur;
}

const char *cfg_str(const json_t *obj, const char *path)
{
	return json_string_value(cfg_get(obj, path));
}

int64_t cfg_int(const json_t *obj, const char *path)
{
	return json_integer_value(cfg_get(obj, path));
}

int cfg_bool(const json_t *obj, const char *path)
{
	return json_is_true(cfg_get(obj, path));
}
