/* jsonpart — cut a JSON array into parts that fit a byte budget (see jsonpart.h). */
#include "common/jsonpart.h"

size_t jsonpart_end(const json_t *arr, size_t from, size_t budget, size_t *used)
{
	size_t n = json_array_size(arr), bytes = 0, i;
	for (i = from; i < n; i++) {
		/* ENCODE_ANY: an item may be a string or a number, not only an object */
		size_t one = json_dumpb(json_array_get(arr, i), NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) + 1;
		if (i > from && bytes + one > budget)
			break;
		bytes += one;
	}
	if (used)
		*used = bytes;
	return i;
}

int jsonpart_fits(const json_t *arr, size_t budget)
{
	return jsonpart_end(arr, 0, budget, NULL) == json_array_size(arr);
}

json_t *jsonpart_slice(const json_t *arr, size_t from, size_t end)
{
	size_t n = json_array_size(arr);
	json_t *part = json_array();
	if (end > n)
		end = n;
	for (size_t i = from; part && i < end; i++)
		if (json_array_append(part, json_array_get(arr, i)) != 0) {
			json_decref(part);
			return NULL;
		}
	return part;
}
