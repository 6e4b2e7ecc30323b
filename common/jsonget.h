/* jsonget — a member of a JSON object with a default: the reads of every worker's
 * config slice. */
#ifndef GHR_JSONGET_H
#define GHR_JSONGET_H

#include <stdint.h>
#include <jansson.h>

/* o[key] when it is an integer, else def (also when o is NULL). */
int64_t jsonget_int(const json_t *o, const char *key, int64_t def);
/* o[key] when it is a string, else def. */
const char *jsonget_str(const json_t *o, const char *key, const char *def);
/* o[key] when it is a non-empty string, else def (an empty string means "not set"). */
const char *jsonget_set(const json_t *o, const char *key, const char *def);

#endif
