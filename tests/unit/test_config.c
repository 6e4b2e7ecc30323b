/* config: every error class (from fixtures), defaults, durations, a full config, the
 * shipped example, accessors. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/config.h"
#include "tests/unit/unit.h"

#define FIXTURES "tests/unit/fixtures/config"

static char err[8192];

static const char base[] =
	"manager_id: ci\n"
	"github:\n  path: canonical\n  auth:\n    token_file: /t\n"
	"openstack:\n  cloud: prod\n";

static json_t *load_with(const char *extra)
{
	size_t n = strlen(base) + strlen(extra) + 1;
	char *text = malloc(n);
	snprintf(text, n, "%s%s", base, extra);
	err[0] = 0;
	json_t *c = config_load_string(text, "t.yaml", err, sizeof(err));
	free(text);
	return c;
}

static void expect_error(const char *extra, const char *want)
{
	json_t *c = load_with(extra);
	CU_ASSERT_PTR_NULL(c);
	json_decref(c);
	if (strcmp(err, want)) {
		fprintf(stderr, "\n  got  %s\n  want %s\n", err, want);
		CU_FAIL("wrong error");
	}
}

static char *fixture_path(const char *name)
{
	static char p[4096];
	snprintf(p, sizeof(p), "%s/" FIXTURES "/%s", unit_srcdir(), name);
	return p;
}

/* Each bad-*.yaml names its expected error on its first line: "# expect: L:C: ...". */
static void test_bad_fixtures(void)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/" FIXTURES, unit_srcdir());
	DIR *d = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	int checked = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "bad-", 4) || !strstr(e->d_name, ".yaml"))
			continue;
		const char *path = fixture_path(e->d_name);
		char want[8192] = "";
		FILE *f = fopen(path, "rb");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		char line[1024];
		if (fgets(line, sizeof(line), f) && !strncmp(line, "# expect: ", 10)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(want, sizeof(want), "%s:%s", path, line + 10);
		} else if (!strcmp(e->d_name, "bad-utf16.yaml")) {
			snprintf(want, sizeof(want), "%s:1: contains a NUL byte (not a text file?)", path);
		}
		fclose(f);
		CU_ASSERT_NOT_EQUAL(want[0], 0);
		json_t *c = config_load_file(path, err, sizeof(err));
		CU_ASSERT_PTR_NULL(c);
		json_decref(c);
		if (strcmp(err, want)) {
			fprintf(stderr, "\n  %s\n  got  %s\n  want %s\n", e->d_name, err, want);
			CU_FAIL("wrong error");
		}
		checked++;
	}
	closedir(d);
	CU_ASSERT_TRUE(checked >= 45);
}

static void test_empty(void)
{
	const char *empties[] = { "", "\n\n", "# only a comment\n", "~\n", "---\n", "---\n...\n" };
	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		json_t *c = config_load_string(empties[i], "e.yaml", err, sizeof(err));
		CU_ASSERT_PTR_NULL(c);
		CU_ASSERT_STRING_EQUAL(err, "e.yaml:1:1: the configuration is empty (manager_id, github and openstack are required)");
	}
	json_t *c = config_load_file(fixture_path("empty-comments.yaml"), err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty-comments.yaml:1:1: the configuration is empty"));
}

static void test_defaults(void)
{
	json_t *c = config_load_file(fixture_path("minimal.yaml"), err, sizeof(err));
	if (!c)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "manager_id"), "ci");
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "run_dir"), "/run/ghr");
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "log.level"), "info");
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "log.format"), "text");
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "log.file"), "");
	CU_ASSERT_EQUAL(cfg_int(c, "supervisor.heartbeat"), 1000);
	CU_ASSERT_EQUAL(cfg_int(c, "supervisor.liveness"), 3);
	CU_ASSERT_EQUAL(cfg_int(c, "supervisor.restart_period"), 900000);
	CU_ASSERT_EQUAL(cfg_int(c, "github.timeout"), 30000);
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "github.api_url"), "https://api.github.com");
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "github.runner_group"), "Default");
	CU_ASSERT_EQUAL(cfg_int(c, "reconcile.creation_timeout"), 600000);
	CU_ASSERT_EQUAL(cfg_int(c, "reconcile.bootstrap_timeout"), 1200000);
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "openstack.microversion_cap"), "2.91");
	CU_ASSERT_TRUE(cfg_bool(c, "runner.allow_external_contributor"));
	CU_ASSERT_FALSE(cfg_bool(c, "runner.proxy.aproxy"));
	json_t *ports = cfg_get(c, "runner.proxy.aproxy_ports");
	CU_ASSERT_EQUAL(json_array_size(ports), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_array_get(ports, 1)), 443);
	CU_ASSERT_TRUE(json_is_array(cfg_get(c, "runner.proxy.aproxy_exclude")));
	CU_ASSERT_EQUAL(json_array_size(cfg_get(c, "runner.proxy.aproxy_exclude")), 0);
	CU_ASSERT_TRUE(json_is_object(cfg_get(c, "workers")));
	CU_ASSERT_TRUE(json_is_array(cfg_get(c, "pools")));
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "metrics.events_log"), "/var/log/ghr/github-runner-metrics.log");
	/* optional keys without a default stay absent */
	CU_ASSERT_PTR_NULL(cfg_get(c, "github.auth.app_client_id"));
	/* every schema key with a default is present */
	size_t n;
	const struct cfg_key *k = cfg_schema(&n);
	int checked = 0;
	for (size_t i = 0; i < n; i++) {
		if (!k[i].def || strpbrk(k[i].path, "[*"))
			continue;
		if (!cfg_get(c, k[i].path)) {
			fprintf(stderr, "\n  default missing: %s\n", k[i].path);
			CU_FAIL("default not filled");
		}
		checked++;
	}
	CU_ASSERT_TRUE(checked > 40);
	json_decref(c);
}

static void test_list_item_defaults(void)
{
	json_t *c = load_with("pools:\n  - name: a\n    flavor: f\n    image: i\n    network: n\n    labels: [x]\n"
	                      "workers:\n  fake: {}\n  github:\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	json_t *p = json_array_get(cfg_get(c, "pools"), 0);
	CU_ASSERT_EQUAL(cfg_int(p, "min_idle"), 0);
	CU_ASSERT_EQUAL(cfg_int(p, "max_runners"), 0);
	CU_ASSERT_TRUE(json_is_false(cfg_get(p, "reactive")));
	CU_ASSERT_PTR_NULL(cfg_str(p, "runner_group"));
	CU_ASSERT_TRUE(json_is_object(cfg_get(c, "workers.fake")));
	CU_ASSERT_TRUE(json_is_object(cfg_get(c, "workers.github")));
	CU_ASSERT_PTR_NULL(cfg_get(c, "workers.fake.instances"));
	json_decref(c);
}

/* demand is off unless target_queue_time is set; schedule windows are checked by ghrd
 * as the scaler will read them, the key at fault named. */
static void test_demand_and_schedule(void)
{
	static const char pool[] = "pools:\n  - name: a\n    flavor: f\n    image: i\n    network: n\n    labels: [x]\n";
	char text[1024];
	json_t *c = load_with(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	json_t *p = json_array_get(cfg_get(c, "pools"), 0);
	CU_ASSERT_PTR_NULL(cfg_get(p, "demand.target_queue_time"));
	CU_ASSERT_EQUAL(cfg_int(p, "demand.max_idle"), 0);
	CU_ASSERT_EQUAL(cfg_int(p, "demand.scale_down_grace"), 600000);
	CU_ASSERT_EQUAL(json_array_size(cfg_get(p, "schedule")), 0);
	CU_ASSERT_EQUAL(cfg_int(c, "reconcile.watch_interval"), 2000);
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "metrics.listen"), "");
	json_decref(c);
	snprintf(text, sizeof(text), "%s    demand: {target_queue_time: 10s, max_idle: 30}\n"
	         "    schedule:\n      - {days: [mon-fri], from: \"08:00\", to: \"18:00\", timezone: UTC, min_idle: 20}\n", pool);
	c = load_with(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	p = json_array_get(cfg_get(c, "pools"), 0);
	CU_ASSERT_EQUAL(cfg_int(p, "demand.target_queue_time"), 10000);
	CU_ASSERT_EQUAL(json_array_size(cfg_get(p, "schedule")), 1);
	json_decref(c);
	snprintf(text, sizeof(text), "%s    schedule:\n      - {days: [mon], from: \"08:00\", to: \"18:00\", "
	         "timezone: Mars/Olympus, min_idle: 1}\n", pool);
	c = load_with(text);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "pools[0].schedule[0]: timezone: unknown time zone"));
	snprintf(text, sizeof(text), "%s    schedule:\n      - {days: [mon], from: \"8am\", to: \"18:00\", min_idle: 1}\n", pool);
	c = load_with(text);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "pools[0].schedule[0].from"));
	snprintf(text, sizeof(text), "%s    schedule:\n      - {days: [mon], from: \"08:00\", to: \"18:00\"}\n", pool);
	c = load_with(text);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "pools[0].schedule[0].min_idle: required"));
}

static void test_durations(void)
{
	static const struct { const char *text; long long ms; } ok[] = {
		{ "250ms", 250 }, { "30s", 30000 }, { "10m", 600000 }, { "2h", 7200000 },
		{ "5", 5000 }, { "\"45s\"", 45000 }, { "1000ms", 1000 }, { "24h", 86400000 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char extra[128];
		snprintf(extra, sizeof(extra), "reconcile:\n  interval: %s\n", ok[i].text);
		json_t *c = load_with(extra);
		if (!c)
			fprintf(stderr, "\n  %s: %s\n", ok[i].text, err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(cfg_int(c, "reconcile.interval"), ok[i].ms);
		json_decref(c);
	}
	json_t *z = load_with("supervisor:\n  backoff_max: 0\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	CU_ASSERT_EQUAL(cfg_int(z, "supervisor.backoff_max"), 0);
	CU_ASSERT_PTR_NOT_NULL(cfg_get(z, "supervisor.backoff_max"));
	json_decref(z);
	static const char *const bad[] = { "1.5s", "-1s", "10 m", "s", "10d", "''", "[1]", "9999999999999h" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char extra[128];
		snprintf(extra, sizeof(extra), "supervisor:\n  backoff_max: %s\n", bad[i]);
		json_t *c = load_with(extra);
		CU_ASSERT_PTR_NULL(c);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:9:16: supervisor.backoff_max: must be a duration such as"));
		json_decref(c);
	}
	expect_error("supervisor:\n  backoff_max: 2h\n",
	             "t.yaml:9:16: supervisor.backoff_max: must be a duration from 0ms to 1h, got \"2h\"");
	expect_error("supervisor:\n  heartbeat: 2m\n",
	             "t.yaml:9:14: supervisor.heartbeat: must be a duration from 50ms to 1m, got \"2m\"");
}

static void test_full_valid(void)
{
	json_t *c = config_load_file(fixture_path("full.yaml"), err, sizeof(err));
	if (!c)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "manager_id"), "prod-7");
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "log.format"), "json");
	CU_ASSERT_EQUAL(cfg_int(c, "supervisor.heartbeat"), 250);
	CU_ASSERT_EQUAL(cfg_int(c, "supervisor.restart_period"), 120000);
	CU_ASSERT_EQUAL(cfg_int(c, "workers.github.instances"), 2);
	CU_ASSERT_EQUAL(cfg_int(c, "workers.github.shutdown_timeout"), 3000);
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "workers.github.restart"), "transient");
	CU_ASSERT_FALSE(cfg_bool(c, "workers.github.essential"));
	CU_ASSERT_TRUE(json_is_false(cfg_get(c, "workers.github.essential")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(cfg_get(c, "workers.github.args"), 1)), "slow");
	CU_ASSERT_EQUAL(cfg_int(c, "workers.fake.instances"), 1);
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "github.path"), "enterprise:acme-corp");
	CU_ASSERT_EQUAL(cfg_int(c, "github.auth.app_installation_id"), 12345678);
	CU_ASSERT_PTR_NULL(cfg_get(c, "github.auth.token_file"));
	CU_ASSERT_EQUAL(cfg_int(c, "openstack.timeout"), 90000);
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "openstack.microversion_cap"), "2.79");
	CU_ASSERT_EQUAL(cfg_int(c, "reconcile.bootstrap_timeout"), 3600000);
	CU_ASSERT_FALSE(cfg_bool(c, "runner.allow_external_contributor"));
	CU_ASSERT_EQUAL(json_array_size(cfg_get(c, "runner.proxy.aproxy_ports")), 3);
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "metrics.events_log"), "");
	json_t *pools = cfg_get(c, "pools");
	CU_ASSERT_EQUAL_FATAL(json_array_size(pools), 2);
	CU_ASSERT_STRING_EQUAL(cfg_str(json_array_get(pools, 0), "runner_group"), "small-group");
	CU_ASSERT_TRUE(cfg_bool(json_array_get(pools, 0), "reactive"));
	CU_ASSERT_STRING_EQUAL(cfg_str(json_array_get(pools, 1), "name"), "gpu-large");
	CU_ASSERT_EQUAL(cfg_int(json_array_get(pools, 1), "min_idle"), 0);
	CU_ASSERT_EQUAL(cfg_int(json_array_get(pools, 1), "max_runners"), 2);
	json_decref(c);
}

static void test_example_loads(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/etc/ghr.yaml", unit_srcdir());
	json_t *c = config_load_file(path, err, sizeof(err));
	if (!c)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(json_array_size(cfg_get(c, "pools")), 2);
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "github.auth.token_file"), "/etc/ghr/github-token");
	json_decref(c);
}

static void test_github_path_forms(void)
{
	const char *good[] = { "canonical", "canonical/ghr", "Can-1/repo.name_x", "enterprise:acme-1", "o/.github" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "manager_id: ci\ngithub:\n  path: '%s'\n  auth: {token_file: /t}\n"
		         "openstack: {cloud: c}\n", good[i]);
		json_t *c = config_load_string(text, "t.yaml", err, sizeof(err));
		if (!c)
			fprintf(stderr, "\n  %s: %s\n", good[i], err);
		CU_ASSERT_PTR_NOT_NULL(c);
		json_decref(c);
	}
	const char *bad[] = { "-org", "org name", "o/", "/r", "o/..", "enterprise:", "enterprise:A", "a/b/c",
	                      "0123456789012345678901234567890123456789" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "manager_id: ci\ngithub:\n  path: '%s'\n  auth: {token_file: /t}\n"
		         "openstack: {cloud: c}\n", bad[i]);
		json_t *c = config_load_string(text, "t.yaml", err, sizeof(err));
		CU_ASSERT_PTR_NULL(c);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:3:9: github.path: must be ORG, OWNER/REPO or enterprise:NAME"));
		json_decref(c);
	}
}

static void test_values_misc(void)
{
	/* booleans, strings, quoted forms */
	json_t *c = load_with("runner:\n  allow_external_contributor: False\n  dockerhub_mirror: 'x: y'\n"
	                      "log:\n  file:\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_FALSE(cfg_bool(c, "runner.allow_external_contributor"));
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "runner.dockerhub_mirror"), "x: y");
	CU_ASSERT_STRING_EQUAL(cfg_str(c, "log.file"), "");
	json_decref(c);
	expect_error("log:\n  level: [info]\n", "t.yaml:9:10: log.level: must be one of error, warn, info, debug; got a list");
	expect_error("log:\n  level: 'info|warn'\n",
	             "t.yaml:9:10: log.level: must be one of error, warn, info, debug; got \"info|warn\"");
	expect_error("run_dir: {a: 1}\n", "t.yaml:8:10: run_dir: must be a string, got a mapping");
	expect_error("supervisor:\n  liveness:\n", "t.yaml:9:12: supervisor.liveness: must be an integer from 1 to 100, got nothing");
	expect_error("pools: {a: 1}\n", "t.yaml:8:8: pools: must be a list of mappings, got a mapping");
	expect_error("workers: [a]\n", "t.yaml:8:10: workers: must be a mapping, got a list");
	/* a long value is quoted shortened in messages */
	expect_error("log:\n  level: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	             "t.yaml:9:10: log.level: must be one of error, warn, info, debug; got "
	             "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
	/* an unknown key is named as written, control bytes and quotes masked */
	json_t *u = load_with("\"a\\0b\\\"c\": 1\n");
	CU_ASSERT_PTR_NULL(u);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:8:1: a?b?c: unknown key; expected one of: manager_id, run_dir,"));
	/* hard cap on any string */
	char *big = malloc(5000);
	memcpy(big, "run_dir: ", 9);
	memset(big + 9, 'x', 4100);
	strcpy(big + 4109, "\n");
	json_t *b = load_with(big);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:8:10: run_dir: is longer than 4096 bytes");
	free(big);
}

static void test_node_limit(void)
{
	size_t cap = 200000, at = 0;
	char *t = malloc(cap);
	at += (size_t)snprintf(t, cap, "%sx: [", base);
	for (int i = 0; i < 25000 && at + 8 < cap; i++)
		at += (size_t)snprintf(t + at, cap - at, "1,");
	strcpy(t + at, "1]\n");
	json_t *c = config_load_string(t, "t.yaml", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than 20000 YAML nodes"));
	free(t);
}

static void test_load_file_errors(void)
{
	json_t *c = config_load_file("/nonexistent/ghr.yaml", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/ghr.yaml: cannot open: No such file or directory");
	c = config_load_file("/", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "/: not a regular file");
}

static void test_accessors(void)
{
	json_t *c = load_with("");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NULL(cfg_str(c, "log.nope"));
	CU_ASSERT_PTR_NULL(cfg_str(c, "log.level.deeper"));
	CU_ASSERT_PTR_NULL(cfg_str(c, "log"));          /* a section is not a string */
	CU_ASSERT_EQUAL(cfg_int(c, "log.level"), 0);    /* a string is not an int */
	CU_ASSERT_EQUAL(cfg_bool(c, "nope"), 0);
	CU_ASSERT_PTR_EQUAL(cfg_get(c, ""), c);
	CU_ASSERT_PTR_NULL(cfg_get(NULL, "log"));
	CU_ASSERT_EQUAL(cfg_int(cfg_get(c, "github"), "concurrency"), 16);
	json_decref(c);
}

/* Members follow their section; sections, maps and lists exist for every member. */
static void test_schema_consistent(void)
{
	size_t n;
	const struct cfg_key *k = cfg_schema(&n);
	CU_ASSERT_TRUE(n > 60);
	for (size_t i = 0; i < n; i++) {
		char parent[256];
		snprintf(parent, sizeof(parent), "%s", k[i].path);
		char *dot = strrchr(parent, '.');
		if (k[i].type == CFG_ENUM)
			CU_ASSERT_PTR_NOT_NULL(k[i].enum_values);
		CU_ASSERT_PTR_NOT_NULL(k[i].doc);
		if (!dot)
			continue;
		*dot = 0;
		size_t len = strlen(parent);
		if (len > 2 && !strcmp(parent + len - 2, "[]"))
			parent[len - 2] = 0;
		else if (len > 2 && !strcmp(parent + len - 2, ".*"))
			parent[len - 2] = 0;
		int found = 0;
		for (size_t j = 0; j < i; j++)
			found |= !strcmp(k[j].path, parent) &&
			         (k[j].type == CFG_SECTION || k[j].type == CFG_MAP || k[j].type == CFG_LIST);
		if (!found)
			fprintf(stderr, "\n  %s: no section %s before it\n", k[i].path, parent);
		CU_ASSERT_TRUE(found);
	}
}

/* The pool rules refuse only what cannot work: these all load. */
static void test_pool_rules_allow(void)
{
	static const char *const ok[] = {
		"pools:\n  - {name: a, flavor: f, image: i, network: n, labels: [x], min_idle: 3, max_runners: 3}\n",
		"pools:\n  - {name: a, flavor: f, image: i, network: n, labels: [x], min_idle: 9, max_runners: 0}\n",
		"pools:\n  - {name: a, flavor: f, image: i, network: none, labels: [x]}\n",
		"openstack:\n  cloud: p\n  microversion_cap: '2.37'\n"
		"pools:\n  - {name: a, flavor: f, image: i, network: none, labels: [x]}\n",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *text = ok[i];
		char buf[1024];
		if (!strncmp(text, "openstack:", 10)) {     /* replaces the base's openstack section */
			snprintf(buf, sizeof(buf), "manager_id: ci\ngithub:\n  path: canonical\n  auth:\n"
			         "    token_file: /t\n%s", text);
			json_t *c = config_load_string(buf, "t.yaml", err, sizeof(err));
			CU_ASSERT_PTR_NOT_NULL(c);
			json_decref(c);
			continue;
		}
		json_t *c = load_with(text);
		if (!c)
			fprintf(stderr, "\n  %s\n", err);
		CU_ASSERT_PTR_NOT_NULL(c);
		json_decref(c);
	}
}

/* config_locate_error gives errors found after loading the place of their key. */
static void test_locate_error(void)
{
	char path[] = "/tmp/ghr-locate-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	const char text[] = "manager_id: ci\nworkers:\n  fake:\n    exec: /x\npools:\n  - name: a\n"
	                    "  - name: b\n    min_idle: 2\n";
	CU_ASSERT_FATAL(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1);
	close(fd);
	static const struct { const char *in, *want; } cases[] = {
		{ "workers.fake.exec: cannot execute /x", ":4:5: workers.fake.exec: cannot execute /x" },
		{ "workers.fake: no such worker", ":3:3: workers.fake: no such worker" },
		{ "pools[1].min_idle: too many", ":8:5: pools[1].min_idle: too many" },
		{ "github.auth.token_file: cannot read", ": github.auth.token_file: cannot read" },
		{ "cannot read /etc/x: denied", "cannot read /etc/x: denied" },
		{ "/etc/openstack/clouds.yaml:3:1: bad", "/etc/openstack/clouds.yaml:3:1: bad" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char e[512], want[512];
		snprintf(e, sizeof(e), "%s", cases[i].in);
		config_locate_error(path, e, sizeof(e));
		snprintf(want, sizeof(want), "%s%s", cases[i].want[0] == ':' ? path : "", cases[i].want);
		if (strcmp(e, want))
			fprintf(stderr, "\n  got  %s\n  want %s\n", e, want);
		CU_ASSERT_STRING_EQUAL(e, want);
	}
	unlink(path);
}

UNIT_SUITE(config,
	UNIT_TEST(test_pool_rules_allow),
	UNIT_TEST(test_locate_error),
	UNIT_TEST(test_bad_fixtures),
	UNIT_TEST(test_empty),
	UNIT_TEST(test_defaults),
	UNIT_TEST(test_list_item_defaults),
	UNIT_TEST(test_durations),
	UNIT_TEST(test_demand_and_schedule),
	UNIT_TEST(test_full_valid),
	UNIT_TEST(test_example_loads),
	UNIT_TEST(test_github_path_forms),
	UNIT_TEST(test_values_misc),
	UNIT_TEST(test_node_limit),
	UNIT_TEST(test_load_file_errors),
	UNIT_TEST(test_accessors),
	UNIT_TEST(test_schema_consistent))
