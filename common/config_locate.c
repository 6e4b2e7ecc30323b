/* Where a key sits in a config file, for errors found after the file was loaded (a
 * worker name ghrd does not know, an executable or a secret file it cannot read): they
 * get the same "file:line:col: key: message" form as the loader's own errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/config_internal.h"

/* The key node (or list item) named by one step "name" or "name[N]" below node. */
static const struct cfg_ynode *step(const struct cfg_ynode *node, const char *name, size_t n,
                                    const struct cfg_ynode **value)
{
	const char *br = memchr(name, '[', n);
	size_t klen = br ? (size_t)(br - name) : n;
	const struct cfg_ynode *key = NULL;
	*value = NULL;
	if (!node || node->kind != CFG_YMAP)
		return NULL;
	for (size_t i = 0; i + 1 < node->n; i += 2) {
		if (node->items[i]->len == klen && !memcmp(node->items[i]->text, name, klen)) {
			key = node->items[i];
			*value = node->items[i + 1];
		}
	}
	if (!key || !br)
		return key;
	size_t idx = strtoul(br + 1, NULL, 10);
	if ((*value)->kind != CFG_YSEQ || idx >= (*value)->n)
		return key;
	*value = (*value)->items[idx];
	return *value;
}

int config_locate(const char *file, const char *key, int *line, int *col)
{
	char err[256];
	size_t len;
	int empty = 0, found = 0;
	char *text = cfg_read_file(file, &len, err, sizeof(err));
	if (!text)
		return 0;
	struct cfg_ynode *root = cfg_yaml_parse(text, len, file, &empty, err, sizeof(err));
	free(text);
	const struct cfg_ynode *node = root, *value;
	while (node && *key) {
		size_t n = strcspn(key, ".");
		const struct cfg_ynode *at = step(node, key, n, &value);
		if (!at)
			break;
		*line = at->line;
		*col = at->col;
		found = 1;
		node = value;
		key += n + (key[n] == '.');
	}
	cfg_yaml_free(root);
	return found;
}

static int key_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.' || ch == '[' || ch == ']';
}

void config_locate_error(const char *file, char *err, size_t errlen)
{
	size_t n = 0;
	while (key_char((unsigned char)err[n]))
		n++;
	if (n == 0 || n >= CFG_PATH_MAX || strncmp(err + n, ": ", 2))
		return;            /* not "key: message": it names its own place */
	char key[CFG_PATH_MAX], *msg = strdup(err);
	if (!msg)
		return;
	memcpy(key, err, n);
	key[n] = 0;
	int line, col;
	if (config_locate(file, key, &line, &col))
		snprintf(err, errlen, "%s:%d:%d: %s", file, line, col, msg);
	else
		snprintf(err, errlen, "%s: %s", file, msg);
	free(msg);
}
