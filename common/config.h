/* config — ghr.yaml, read with libyaml, checked against one schema table
 * (common/config_schema.def), returned as a validated JSON tree with every default
 * filled in.
 *
 * Why JSON and not a C struct per section: each worker gets its slice of the config
 * over fd 3 as JSON anyway, so one validated tree serves ghrd and every worker, and the
 * schema table is the single place that names a key, its type, range, default and doc
 * (ghr.yaml(5) is checked against it).  Because the tree is validated, readers may use
 * the cfg_* accessors below without re-checking types.
 *
 * Errors name the file, line and column and the key path:
 *   /etc/ghr/ghr.yaml:12:5: pools[1].min_idle: must be an integer from 0 to 10000, got "three"
 */
#ifndef GHR_CONFIG_H
#define GHR_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum cfg_type {
	CFG_SECTION,   /* mapping with the fixed keys listed below it */
	CFG_MAP,       /* mapping with free keys, each value a section "path.*"  */
	CFG_LIST,      /* sequence of sections "path[]" */
	CFG_STR,
	CFG_INT,       /* min/max apply */
	CFG_BOOL,
	CFG_DURATION,  /* "250ms" "30s" "10m" "2h" or a bare number of seconds; stored as ms */
	CFG_ENUM,      /* enum_values "a|b|c" */
	CFG_STRLIST,   /* sequence of strings (min/max bound the count) */
	CFG_INTLIST,   /* sequence of integers (min/max bound each value) */
};

struct cfg_key {
	const char *path;        /* "log.level", "pools[].name", "workers.*.exec" */
	enum cfg_type type;
	const char *def;         /* default as YAML scalar text, NULL = none */
	int64_t min, max;        /* INT/DURATION(ms)/lists; 0,0 = unbounded */
	int required;
	const char *enum_values; /* CFG_ENUM */
	const char *doc;         /* one line, for ghr.yaml(5) and errors */
};

const struct cfg_key *cfg_schema(size_t *count);

/* Load and validate.  Returns a new JSON object, or NULL with err filled. */
json_t *config_load_file(const char *path, char *err, size_t errlen);
json_t *config_load_string(const char *text, const char *name, char *err, size_t errlen);

/* Where key ("workers.fake.exec", "pools[1].min_idle") is written in file: the line and
 * column of the deepest part of it that the file has.  Returns 1, or 0 when the file
 * does not name even its first part. */
int config_locate(const char *file, const char *key, int *line, int *col);
/* err is "key: message" found after loading file: make it "file:line:col: key: message"
 * (or "file: key: message" when the key is only a default).  Other texts stay as they are. */
void config_locate_error(const char *file, char *err, size_t errlen);

/* Accessors on a validated tree, by dotted path relative to obj ("log.level"). */
const char *cfg_str(const json_t *obj, const char *path);      /* NULL if unset */
int64_t cfg_int(const json_t *obj, const char *path);          /* ints and durations (ms) */
int cfg_bool(const json_t *obj, const char *path);
json_t *cfg_get(const json_t *obj, const char *path);           /* borrowed */

/* The github.auth rule: exactly one of token_file, or all three app_* keys.  A key
 * counts as set when it holds a non-empty string or an integer (the loader refuses
 * empty ones before this runs, so for a loaded file that is "present").  The loader
 * enforces it; the github worker re-checks its slice with this same function.  Returns
 * 0, or -1 with the reason (without the "github.auth: " prefix) in err. */
int config_github_auth_check(const json_t *auth, char *err, size_t errlen);

#endif
