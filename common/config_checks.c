/* Checks that types and ranges cannot express, keyed by schema path: names that end
 * up in VM and runner names, the shape of github.path, the github.auth choice, and
 * rules across pools.  Each returns 0, or -1 after cfg_fail(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/sched.h"
#include "common/config_internal.h"

#define RUNNER_NAME_MAX 64
#define RUNNER_SUFFIX_LEN 9      /* "-" and 8 hex digits */

typedef int (*cfg_check_fn)(struct cfg_vctx *c, const struct cfg_ynode *node, int line, int col,
                            json_t *val, const char *path);

static int slug_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
}

static int all_chars(const char *s, int (*ok)(unsigned char))
{
	for (; *s; s++)
		if (!ok((unsigned char)*s))
			return 0;
	return 1;
}

/* manager_id and pool names become parts of VM and runner names. */
static int check_slug(struct cfg_vctx *c, const struct cfg_ynode *node, int line, int col,
                      json_t *val, const char *path)
{
	const char *s = json_string_value(val);
	if (*s && all_chars(s, slug_char) && s[0] != '-' && s[strlen(s) - 1] != '-')
		return 0;
	char got[64];
	cfg_yaml_describe(node, got, sizeof(got));
	cfg_fail(c, line, col, path,
	         "may only contain a-z, 0-9 and '-' (not at either end), got %s", got);
	return -1;
}

static int digit_char(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

static int gh_name_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-';
}

static int gh_repo_char(unsigned char ch)
{
	return gh_name_char(ch) || ch == '.' || ch == '_';
}

/* GitHub's own limits: account names 1-39 of [A-Za-z0-9-] not starting with '-';
 * repository names 1-100 of [A-Za-z0-9._-], not "." or "..". */
static int gh_account_ok(const char *s, size_t n)
{
	if (n == 0 || n > 39 || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!gh_name_char((unsigned char)s[i]))
			return 0;
	return 1;
}

static int gh_repo_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= 100 && all_chars(s, gh_repo_char) && strcmp(s, ".") && strcmp(s, "..");
}

static int check_github_path(struct cfg_vctx *c, const struct cfg_ynode *node, int line, int col,
                             json_t *val, const char *path)
{
	const char *s = json_string_value(val);
	const char *slash = strchr(s, '/');
	int ok;
	if (strncmp(s, "enterprise:", 11) == 0) {
		const char *name = s + 11;
		ok = *name && strlen(name) <= 100 && all_chars(name, slug_char);
	} else if (slash) {
		ok = gh_account_ok(s, (size_t)(slash - s)) && gh_repo_ok(slash + 1);
	} else {
		ok = gh_account_ok(s, strlen(s));
	}
	if (ok)
		return 0;
	char got[64];
	cfg_yaml_describe(node, got, sizeof(got));
	cfg_fail(c, line, col, path,
	         "must be ORG, OWNER/REPO or enterprise:NAME (ORG and OWNER: letters, digits and '-'; "
	         "REPO also '.' and '_'; NAME: a-z, 0-9 and '-'), got %s", got);
	return -1;
}

static int auth_key_set(const json_t *auth, const char *key)
{
	const json_t *v = json_object_get(auth, key);
	return (json_is_string(v) && json_string_length(v) > 0) || json_is_integer(v);
}

int config_github_auth_check(const json_t *auth, char *err, size_t errlen)
{
	static const char *const app_keys[] = { "app_client_id", "app_installation_id", "app_private_key_file" };
	int token = auth_key_set(auth, "token_file");
	int apps = 0;
	const char *missing = NULL;
	for (size_t i = 0; i < 3; i++) {
		if (auth_key_set(auth, app_keys[i]))
			apps++;
		else if (!missing)
			missing = app_keys[i];
	}
	if (token && apps) {
		snprintf(err, errlen, "token_file and the app_* keys exclude each other; set one or the other");
		return -1;
	}
	if (!token && apps == 0) {
		snprintf(err, errlen,
		         "set either token_file, or app_client_id, app_installation_id and app_private_key_file");
		return -1;
	}
	if (apps && apps < 3) {
		snprintf(err, errlen,
		         "app_client_id, app_installation_id and app_private_key_file go together; %s is missing",
		         missing);
		return -1;
	}
	return 0;
}

static int check_auth(struct cfg_vctx *c, const struct cfg_ynode *node, int line, int col,
                      json_t *val, const char *path)
{
	(void)node;
	char why[300];
	if (config_github_auth_check(val, why, sizeof(why)) == 0)
		return 0;
	cfg_fail(c, line, col, path, "%s", why);
	return -1;
}

/* The mark of pools[i].<key>, or of pools[i] itself. */
static void pool_mark(const struct cfg_ynode *root, size_t i, const char *key, int *line, int *col)
{
	const struct cfg_ynode *pools = cfg_yaml_get(root, "pools");
	const struct cfg_ynode *item = pools && pools->kind == CFG_YSEQ && i < pools->n ? pools->items[i] : NULL;
	const struct cfg_ynode *name = cfg_yaml_get(item, key);
	const struct cfg_ynode *at = name ? name : item ? item : root;
	*line = at ? at->line : 1;
	*col = at ? at->col : 1;
}

/* "2.N" with 1 <= N <= 999: the minor number, or -1. */
static int microversion_minor(const char *s)
{
	if (!s || strncmp(s, "2.", 2) || !s[2] || strlen(s) > 5 || !all_chars(s + 2, digit_char) ||
	    (s[2] == '0' && s[3]))
		return -1;
	int minor = atoi(s + 2);
	return minor >= 1 ? minor : -1;
}

static int check_microversion(struct cfg_vctx *c, const struct cfg_ynode *node, int line, int col,
                              json_t *val, const char *path)
{
	if (microversion_minor(json_string_value(val)) >= 0)
		return 0;
	char got[64];
	cfg_yaml_describe(node, got, sizeof(got));
	cfg_fail(c, line, col, path, "must be a compute microversion from 2.1 (such as 2.91), got %s", got);
	return -1;
}

#define NETWORK_KEYWORDS_MINOR 37   /* "networks": "auto" | "none" exist from compute 2.37 */

/* Rules within one pool that no single key can state. */
static int check_pool(struct cfg_vctx *c, const json_t *root, const json_t *p, size_t i)
{
	char ipath[CFG_PATH_MAX];
	int line, col;
	json_int_t min_idle = json_integer_value(json_object_get(p, "min_idle"));
	json_int_t max_runners = json_integer_value(json_object_get(p, "max_runners"));
	if (max_runners > 0 && min_idle > max_runners) {
		pool_mark(c->root, i, "min_idle", &line, &col);
		snprintf(ipath, sizeof(ipath), "pools[%zu].min_idle", i);
		cfg_fail(c, line, col, ipath,
		         "%lld idle runners can never be kept under max_runners %lld; lower min_idle or raise max_runners",
		         (long long)min_idle, (long long)max_runners);
		return -1;
	}
	const char *cap = json_string_value(cfg_get(root, "openstack.microversion_cap"));
	const char *net = json_string_value(json_object_get(p, "network"));
	if (net && !strcmp(net, "none") && microversion_minor(cap) < NETWORK_KEYWORDS_MINOR) {
		pool_mark(c->root, i, "network", &line, &col);
		snprintf(ipath, sizeof(ipath), "pools[%zu].network", i);
		cfg_fail(c, line, col, ipath,
		         "\"none\" needs compute microversion 2.%d or later, but openstack.microversion_cap is %s "
		         "(Nova would refuse the create); raise the cap or name a network",
		         NETWORK_KEYWORDS_MINOR, cap);
		return -1;
	}
	return 0;
}

static int check_root(struct cfg_vctx *c, const struct cfg_ynode *node, int line, int col,
                      json_t *val, const char *path)
{
	const char *manager = json_string_value(json_object_get(val, "manager_id"));
	json_t *pools = json_object_get(val, "pools");
	size_t i, j;
	json_t *p;
	json_array_foreach(pools, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		char ipath[CFG_PATH_MAX];
		snprintf(ipath, sizeof(ipath), "pools[%zu].name", i);
		for (j = 0; j < i; j++) {
			if (!strcmp(name, json_string_value(json_object_get(json_array_get(pools, j), "name")))) {
				pool_mark(c->root, i, "name", &line, &col);
				cfg_fail(c, line, col, ipath, "pool \"%s\" is defined twice (first as pools[%zu])",
				         name, j);
				return -1;
			}
		}
		size_t len = strlen(manager) + 1 + strlen(name) + RUNNER_SUFFIX_LEN;
		if (len > RUNNER_NAME_MAX) {
			pool_mark(c->root, i, "name", &line, &col);
			cfg_fail(c, line, col, ipath,
			         "runner names \"%s-%s-XXXXXXXX\" would be %zu characters; at most %d are allowed",
			         manager, name, len, RUNNER_NAME_MAX);
			return -1;
		}
		if (check_pool(c, val, p, i) < 0)
			return -1;
	}
	return 0;
}

/* Image names are unique: one build per name at a time rests on it. */
static int check_images(struct cfg_vctx *c, const struct cfg_ynode *node, int line, int col,
                        json_t *val, const char *path)
{
	size_t i, j;
	json_t *im;
	json_array_foreach(val, i, im) {
		const char *name = json_string_value(json_object_get(im, "name"));
		int image = json_object_get(im, "base_image") != NULL, url = json_object_get(im, "base_url") != NULL;
		int sums = json_object_get(im, "base_sha256sums_url") != NULL;
		if (image == url || sums != url) {
			char ipath[CFG_PATH_MAX];
			snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
			cfg_fail(c, line, col, ipath, "give base_image, or base_url with base_sha256sums_url");
			return -1;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(name, json_string_value(json_object_get(json_array_get(val, j), "name")))) {
				char ipath[CFG_PATH_MAX];
				snprintf(ipath, sizeof(ipath), "%s[%zu].name", path, i);
				cfg_fail(c, line, col, ipath, "image \"%s\" is defined twice (first as %s[%zu])",
				         name, path, j);
				return -1;
			}
	}
	return 0;
}

/* A schedule window must load as the scaler will load it: days, hours, a known zone. */
static int check_schedule_window(struct cfg_vctx *c, const struct cfg_ynode *node, int line, int col,
                                 json_t *val, const char *path)
{
	struct sched_window w;
	char why[400];
	int rc = sched_window_load(&w, val, NULL, why, sizeof(why));
	sched_window_free(&w);
	if (rc == 0)
		return 0;
	cfg_fail(c, line, col, path, "%s", why);
	return -1;
}

static const struct { const char *path; cfg_check_fn fn; } checks[] = {
	{ "manager_id", check_slug },
	{ "pools[].name", check_slug },
	{ "image_builder.images[].name", check_slug },
	{ "image_builder.images", check_images },
	{ "github.path", check_github_path },
	{ "github.auth", check_auth },
	{ "openstack.microversion_cap", check_microversion },
	{ "pools[].schedule[]", check_schedule_window },
	{ "", check_root },
};

int cfg_run_checks(struct cfg_vctx *c, const char *generic, const struct cfg_ynode *node,
                   int line, int col, json_t *val, const char *path)
{
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (!strcmp(checks[i].path, generic) && checks[i].fn(c, node, line, col, val, path) < 0)
			return -1;
	return 0;
}
