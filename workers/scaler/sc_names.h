/* Runner names: `<manager_id>-<pool>-<8 hex>`, at most 64 characters (DESIGN.md §5).
 *
 * The same name is the VM name and the GitHub runner name, so the join of the two lists
 * is by name.  A pool name may itself contain '-', so a name is parsed from both ends:
 * the manager prefix from the left, the 8 hex digits from the right, the pool between. */
#ifndef GHR_SC_NAMES_H
#define GHR_SC_NAMES_H

#include <stddef.h>

#define SC_NAME_MAX 65          /* 64 characters + NUL */
#define SC_POOL_MAX 21          /* config: 1-20 characters */
#define SC_SUFFIX_HEX 8

/* Build a name from a given 8-hex suffix.  Returns 0, or -1 when the result would exceed
 * 64 characters or a part is empty or not [a-z0-9-] (suffix: [0-9a-f]{8}). */
int sc_name_make(char *out, size_t outsz, const char *manager_id, const char *pool,
                 const char *suffix);
/* Same with a fresh random suffix. */
int sc_name_new(char *out, size_t outsz, const char *manager_id, const char *pool);

/* Is name one of this manager's?  Fills pool (size SC_POOL_MAX) and returns 0, or -1 when
 * the name does not have the shape `<manager_id>-<pool>-<8 hex>`. */
int sc_name_parse(const char *name, const char *manager_id, char *pool, size_t poolsz);

/* [a-z0-9-], 1..max characters, not starting or ending with '-'. */
int sc_name_part_ok(const char *s, size_t max);

/* Bounded copy that always terminates (truncates silently: the sizes above are the
 * contract, checked where the data enters). */
void sc_copy(char *dst, const char *src, size_t size);

#endif
