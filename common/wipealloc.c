#include <jansson.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "common/wipealloc.h"

static void (*test_hook)(const void *p, size_t n);

void *wipealloc_malloc(size_t n)
{
	return malloc(n);
}

void wipealloc_free(void *p)
{
	if (!p)
		return;
	size_t n = malloc_usable_size(p);
	explicit_bzero(p, n);
	if (test_hook)
		test_hook(p, n);
	free(p);
}

void wipealloc_install(void)
{
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
}

void wipealloc_set_test_hook(void (*hook)(const void *p, size_t n))
{
	test_hook = hook;
}
