/* wipealloc — the allocator jansson uses in ghrd and in every worker: every block it
 * frees is wiped first.
 *
 * jansson builds text (json_dumps, json_loadb's lexer) in buffers that grow by
 * malloc + copy + free, and frees strings and values with plain free: a bootstrap
 * (PAT, App key, clouds password), a JIT config or a Keystone body would otherwise stay
 * in freed heap.  wipealloc_install() must run before the first jansson call of the
 * process (a block allocated by the default malloc is fine to free here, but the
 * contract jansson documents is "set once, before any allocation").
 *
 * The blocks are plain malloc blocks, and the free wipes malloc_usable_size() bytes
 * rather than a size recorded in a header: code everywhere (and not only ours) frees
 * the result of json_dumps with free(), which a header in front of the block would
 * turn into heap corruption. */
#ifndef GHR_WIPEALLOC_H
#define GHR_WIPEALLOC_H

#include <stddef.h>

void *wipealloc_malloc(size_t n);
void wipealloc_free(void *p);
/* json_set_alloc_funcs(wipealloc_malloc, wipealloc_free). */
void wipealloc_install(void);

/* Test hook: called by wipealloc_free with each block after the wipe and before the
 * free (NULL: none, the default). */
void wipealloc_set_test_hook(void (*hook)(const void *p, size_t n));

#endif
