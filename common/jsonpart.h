/* jsonpart — cut a JSON array into parts whose compact encoding fits a byte budget.
 *
 * A bus message is one frame of at most PROTO_MAX_FRAME bytes, so a long list (servers,
 * runners) is answered in parts: each reply carries items [from, end) and says where
 * the next part starts.  Sizes are those of JSON_COMPACT, the encoding the codec uses. */
#ifndef GHR_JSONPART_H
#define GHR_JSONPART_H

#include <stddef.h>
#include <jansson.h>

/* The end (exclusive) of the part of arr that starts at from: as many items as fit in
 * budget bytes, counting each item's compact encoding plus one separator.  At least one
 * item is taken when from < size, even one larger than budget, so that a caller always
 * makes progress.  *used (may be NULL) gets the bytes the part takes.  from >= size or
 * arr not an array: returns from (an empty part). */
size_t jsonpart_end(const json_t *arr, size_t from, size_t budget, size_t *used);

/* Does the whole array fit budget bytes as one part? */
int jsonpart_fits(const json_t *arr, size_t budget);

/* A new array holding items [from, end) of arr (shared, not copied); NULL when out of
 * memory.  end is clamped to the size. */
json_t *jsonpart_slice(const json_t *arr, size_t from, size_t end);

#endif
