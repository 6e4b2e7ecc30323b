/* github.path → API base path, and the name checks that keep request values safe to
 * put into a URL path. */
#include <stdio.h>
#include <string.h>

#include "workers/github/gh.h"

/* GitHub logins, repository and enterprise slugs: letters, digits, '-', '_', '.'. */
static int slug_ok(const char *s, size_t len)
{
	if (len == 0 || len > 100)
		return 0;
	if (len <= 2 && s[0] == '.' && (len == 1 || s[1] == '.'))
		return 0;   /* "." and ".." would change the path */
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

int gh_repo_name_ok(const char *repo)
{
	if (!repo)
		return 0;
	const char *slash = strchr(repo, '/');
	if (!slash || strchr(slash + 1, '/'))
		return 0;
	return slug_ok(repo, (size_t)(slash - repo)) && slug_ok(slash + 1, strlen(slash + 1));
}

int gh_runner_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

int gh_target_parse(const char *path, struct gh_target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (!path || !*path) {
		snprintf(err, errlen, "github.path is empty");
		return -1;
	}
	if (strncmp(path, "enterprise:", 11) == 0) {
		const char *slug = path + 11;
		if (!slug_ok(slug, strlen(slug))) {
			snprintf(err, errlen, "github.path: enterprise name %s is not a valid slug", slug);
			return -1;
		}
		t->kind = GH_TARGET_ENTERPRISE;
		snprintf(t->name, sizeof(t->name), "%s", slug);
		snprintf(t->base, sizeof(t->base), "/enterprises/%s", slug);
		return 0;
	}
	if (strchr(path, '/')) {
		if (!gh_repo_name_ok(path)) {
			snprintf(err, errlen, "github.path: %s is not owner/repo", path);
			return -1;
		}
		t->kind = GH_TARGET_REPO;
		snprintf(t->name, sizeof(t->name), "%s", path);
		snprintf(t->base, sizeof(t->base), "/repos/%s", path);
		return 0;
	}
	if (!slug_ok(path, strlen(path))) {
		snprintf(err, errlen, "github.path: %s is not an organization name", path);
		return -1;
	}
	t->kind = GH_TARGET_ORG;
	snprintf(t->name, sizeof(t->name), "%s", path);
	snprintf(t->base, sizeof(t->base), "/orgs/%s", path);
	return 0;
}
