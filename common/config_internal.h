/* Private to the config loader (config.c, config_values.c, config_checks.c). */
#ifndef GHR_CONFIG_INTERNAL_H
#define GHR_CONFIG_INTERNAL_H

#include <jansson.h>
#include "common/config.h"
#include "common/config_yaml.h"

#define CFG_PATH_MAX 256
#define CFG_STR_HARD_MAX 4096      /* any string value, whatever the schema says */

struct cfg_vctx {
	const char *name;     /* file name for messages */
	char *err;
	size_t errlen;
	int failed;
	const struct cfg_ynode *root;
};

/* "name:line:col: path: message" (path omitted when empty); only the first error sticks. */
void cfg_fail(struct cfg_vctx *c, int line, int col, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The whole file (at most 1 MiB, no NUL byte), NUL-terminated, or NULL with err. */
char *cfg_read_file(const char *path, size_t *len, char *err, size_t errlen);

/* Convert a scalar or list node of a leaf type to JSON (NULL after cfg_fail). */
json_t *cfg_leaf_value(struct cfg_vctx *c, const struct cfg_key *k, const struct cfg_ynode *n,
                       const char *path);
/* "50ms" "1s" "10m" "2h": the largest unit that divides ms. */
void cfg_format_duration(int64_t ms, char *out, size_t outlen);

/* Extra checks beyond types and ranges, keyed by schema path (config_checks.c).
 * node is the value (or section) node, NULL when the section came from defaults;
 * line/col locate it for messages. */
int cfg_run_checks(struct cfg_vctx *c, const char *generic, const struct cfg_ynode *node,
                   int line, int col, json_t *val, const char *path);

#endif
