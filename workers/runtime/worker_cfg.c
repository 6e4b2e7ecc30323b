/* Reading a worker's config slice: a key's value or a default. */
#include "workers/runtime/worker.h"

int64_t worker_cfg_int(const json_t *o, const char *key, int64_t def)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? json_integer_value(v) : def;
}

const char *worker_cfg_str(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? s : def;
}
