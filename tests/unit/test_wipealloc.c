/* wipealloc: the blocks jansson frees (a secret string, json_dumps' growing buffers)
 * are zero when they reach free().  The hook sees each block after the wipe and before
 * the free, so nothing here reads freed memory. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "common/wipealloc.h"
#include "tests/unit/unit.h"

static const void *watched;    /* the block whose wipe the test waits for */
static int watched_seen, blocks, dirty_blocks;

static void hook(const void *p, size_t n)
{
	const unsigned char *b = p;
	int dirty = 0;
	for (size_t i = 0; i < n; i++)
		dirty |= b[i];
	blocks++;
	dirty_blocks += dirty != 0;
	if (p == watched)
		watched_seen = 1 + (dirty != 0);   /* 1: wiped, 2: not */
}

static json_malloc_t saved_malloc;
static json_free_t saved_free;

static void begin(void)
{
	json_get_alloc_funcs(&saved_malloc, &saved_free);
	wipealloc_install();
	wipealloc_set_test_hook(hook);
	watched = NULL;
	watched_seen = blocks = dirty_blocks = 0;
}

static void end(void)
{
	wipealloc_set_test_hook(NULL);
	json_set_alloc_funcs(saved_malloc, saved_free);
}

static void test_secret_string_wiped_on_decref(void)
{
	begin();
	json_t *o = json_pack("{s:{s:s}}", "github", "token", "ghp_SECRETSECRETSECRETSECRET0123456789");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	const char *tok = json_string_value(json_object_get(json_object_get(o, "github"), "token"));
	CU_ASSERT_STRING_EQUAL(tok, "ghp_SECRETSECRETSECRETSECRET0123456789");
	watched = tok;
	json_decref(o);
	end();
	CU_ASSERT_EQUAL(watched_seen, 1);   /* the string's own block, zero at free() */
	CU_ASSERT(blocks >= 3);             /* outer and inner objects, the string, keys… */
	CU_ASSERT_EQUAL(dirty_blocks, 0);
}

static void test_dumps_buffers_wiped(void)
{
	json_t *o = json_pack("{s:s}", "password", "p4ssw0rd-0123456789abcdef0123456789abcdef");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	begin();
	char *text = json_dumps(o, JSON_COMPACT);   /* grows 16 -> 32 -> 64 bytes, then a copy */
	end();
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT(strstr(text, "p4ssw0rd") != NULL);
	CU_ASSERT(blocks >= 2);             /* the outgrown buffers and the final one */
	CU_ASSERT_EQUAL(dirty_blocks, 0);
	free(text);   /* a plain malloc block: free() stays correct for jansson's results */
	json_decref(o);
}

UNIT_SUITE(wipealloc,
    UNIT_TEST(test_secret_string_wiped_on_decref),
    UNIT_TEST(test_dumps_buffers_wiped))
