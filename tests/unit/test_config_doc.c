/* ghr.yaml(5) and etc/ghr.yaml cannot drift from the schema: every key is documented
 * (and nothing else is), and the example shows every key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/config.h"
#include "tests/unit/unit.h"

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
			return 1;
	return 0;
}

static void test_man_documents_every_key(void)
{
	char *man = unit_read("man/ghr.yaml.5");
	size_t n;
	const struct cfg_key *k = cfg_schema(&n);
	for (size_t i = 0; i < n; i++) {
		char want[300];
		snprintf(want, sizeof(want), ".It Ic %s", k[i].path);
		int ok = has_line(man, want);
		if (!ok)
			fprintf(stderr, "\n  ghr.yaml.5 lacks \"%s\"\n", want);
		CU_ASSERT_TRUE(ok);
	}
	free(man);
}

/* Every ".It Ic" entry of the KEYS section is a key of the schema. */
static void test_man_documents_nothing_else(void)
{
	char *man = unit_read("man/ghr.yaml.5");
	char *keys = strstr(man, "\n.Sh KEYS\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(keys);
	char *end = strstr(keys + 1, "\n.Sh ");
	if (end)
		*end = 0;
	size_t n;
	const struct cfg_key *k = cfg_schema(&n);
	int entries = 0;
	for (char *p = keys; (p = strstr(p, "\n.It Ic ")); p++) {
		char name[300];
		size_t len = strcspn(p + 8, "\n");
		snprintf(name, sizeof(name), "%.*s", (int)len, p + 8);
		int found = 0;
		for (size_t i = 0; i < n && !found; i++)
			found = !strcmp(k[i].path, name);
		if (!found)
			fprintf(stderr, "\n  ghr.yaml.5 documents unknown key \"%s\"\n", name);
		CU_ASSERT_TRUE(found);
		entries++;
	}
	CU_ASSERT_EQUAL(entries, (int)n);
	free(man);
}

/* The example names every key (set or commented out). */
static void test_example_shows_every_key(void)
{
	char *ex = unit_read("etc/ghr.yaml");
	size_t n;
	const struct cfg_key *k = cfg_schema(&n);
	for (size_t i = 0; i < n; i++) {
		const char *last = strrchr(k[i].path, '.');
		last = last ? last + 1 : k[i].path;
		char want[128];
		snprintf(want, sizeof(want), "%s:", last);
		int ok = strstr(ex, want) != NULL;
		if (!ok)
			fprintf(stderr, "\n  etc/ghr.yaml lacks \"%s\" (%s)\n", want, k[i].path);
		CU_ASSERT_TRUE(ok);
	}
	free(ex);
}

UNIT_SUITE(config_doc,
	UNIT_TEST(test_man_documents_every_key),
	UNIT_TEST(test_man_documents_nothing_else),
	UNIT_TEST(test_example_shows_every_key))
