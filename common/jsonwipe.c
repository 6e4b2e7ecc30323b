#include <string.h>

#include "common/jsonwipe.h"

void jsonwipe(json_t *v)
{
	if (!v)
		return;
	if (json_is_string(v)) {
		explicit_bzero((char *)json_string_value(v), json_string_length(v));
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
			jsonwipe(x);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			jsonwipe(x);
	}
}
