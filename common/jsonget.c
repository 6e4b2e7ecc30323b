/* Members of JSON objects with defaults (see jsonget.h). */
#include "common/jsonget.h"

int64_t jsonget_int(const json_t *o, const char *key, int64_t def)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? json_integer_value(v) : def;
}

const char *jsonget_str(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : def;
}

const char *jsonget_set(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? s : def;
}
