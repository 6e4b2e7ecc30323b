/* sbuf — a string builder for secret-bearing text: it never reallocs and wipes what it
 * frees.
 *
 * realloc may move the text and hand the old block back to the allocator unwiped, so a
 * growing buffer that holds a secret (unredacted log text, a boot script with a JIT
 * config) would leave copies of it in freed memory.  sbuf grows by malloc + copy +
 * explicit_bzero + free instead.  The text is always NUL-terminated.
 *
 *   struct sbuf b = { .first_cap = 4096 };     (0: 256 bytes)
 *   sbuf_put(&b, s, n);  ...
 *   char *text = sbuf_finish(&b);              (NULL when out of memory)
 *
 * An allocation failure sets b.oom and makes every later put a no-op, so a caller
 * checks once at the end; a caller may also set oom itself to abandon the text. */
#ifndef GHR_SBUF_H
#define GHR_SBUF_H

#include <stddef.h>

struct sbuf {
	char *p;            /* the text, NUL-terminated (NULL before the first put) */
	size_t len, cap;    /* cap: bytes allocated at p, all wiped when it is freed */
	size_t first_cap;   /* the first allocation's size; 0 for the default */
	int oom;
};

/* Append n bytes of s (which need not be NUL-terminated). */
void sbuf_put(struct sbuf *b, const char *s, size_t n);
/* The text, owned by the caller from now on: "" when nothing was put; NULL (the
 * buffer wiped and freed) when an allocation failed. */
char *sbuf_finish(struct sbuf *b);
/* Wipe and free the buffer, leaving it empty and usable again. */
void sbuf_wipe_free(struct sbuf *b);

#endif
