/* sbuf — see sbuf.h: a growable string that never leaves secret text in freed memory. */
#include <stdlib.h>
#include <string.h>
#include "common/sbuf.h"

#define SBUF_FIRST_CAP 256

void sbuf_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : b->first_cap ? b->first_cap : SBUF_FIRST_CAP;
		while (b->len + n + 1 > cap)
			cap *= 2;
		/* not realloc: the old block may hold a secret and must be wiped before it goes
		 * back to the allocator */
		char *p = malloc(cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		if (b->p) {
			memcpy(p, b->p, b->len);
			explicit_bzero(b->p, b->cap);
			free(b->p);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

char *sbuf_finish(struct sbuf *b)
{
	if (b->oom) {
		sbuf_wipe_free(b);
		return NULL;
	}
	if (!b->p)
		sbuf_put(b, "", 0);
	return b->p;
}

void sbuf_wipe_free(struct sbuf *b)
{
	if (b->p) {
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}
