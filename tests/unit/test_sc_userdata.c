/* The runner boot script renderer (workers/scaler/sc_userdata.c): quoting, injection
 * attempts run through a real sh, the JIT config exactly once, refused values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/shtpl.h"
#include "tests/unit/unit.h"
#include "common/util.h"
#include "workers/scaler/sc_template.h"
#include "workers/scaler/sc_userdata.h"

#define JIT "eyJhIjoiYiJ9SkVUQ09ORklHdGVzdGRhdGE="

static json_t *runner_cfg(const char *http, const char *https, const char *no_proxy, int aproxy)
{
	return json_pack("{s:s, s:s, s:b, s:{s:s, s:s, s:s, s:b, s:[i,i], s:[s]}}",
	                 "pre_job_script", "", "dockerhub_mirror", "", "allow_external_contributor", 1,
	                 "proxy", "http", http, "https", https, "no_proxy", no_proxy, "aproxy", aproxy,
	                 "aproxy_ports", 80, 443, "aproxy_exclude", "10.0.0.0/8");
}

static char *render(const char *tpl, const char *label, json_t *runner, char *err, size_t errlen)
{
	json_t *labels = json_pack("[s,s]", "small", label);
	struct sc_ud_params p = {
		.runner_name = "ghr-small-deadbeef", .pool = "small", .labels = labels,
		.github_path = "ghr-org", .jit_config = JIT, .runner = runner,
	};
	char *out = sc_userdata_render(tpl, &p, err, errlen);
	json_decref(labels);
	return out;
}

/* Run script with sh; return its stdout (malloc'd). */
static char *run_sh(const char *script)
{
	char path[] = "/tmp/ghr-ud-test-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	if (write(fd, script, strlen(script)) != (ssize_t)strlen(script)) {
		close(fd);
		return NULL;
	}
	close(fd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "sh %s", path);
	FILE *f = popen(cmd, "r");
	char *out = calloc(1, 65536);
	if (f && out) {
		size_t n = fread(out, 1, 65535, f);
		out[n] = 0;
	}
	if (f)
		pclose(f);
	unlink(path);
	return out;
}

static const char *hostile[] = {
	"it's",
	"'; touch /tmp/ghr-pwned; echo '",
	"$(touch /tmp/ghr-pwned)",
	"`touch /tmp/ghr-pwned`",
	"\"$(touch /tmp/ghr-pwned)\"",
	"a\\'b\\\\c",
	"${HOME:?}$((1+1))",
	"'\"'\"'",
	"; rm -rf / #",
};

static void test_hostile_values_stay_data(void)
{
	unlink("/tmp/ghr-pwned");
	const char *tpl = "J=@JIT_CONFIG@\nL=@RUNNER_LABELS@\nH=@HTTP_PROXY@\nprintf '%s|%s' \"$L\" \"$H\"\n";
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char err[256] = "";
		json_t *r = runner_cfg(hostile[i], "", "", 0);
		char *s = render(tpl, hostile[i], r, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		char *out = run_sh(s);
		char want[512];
		snprintf(want, sizeof(want), "small,%s|%s", hostile[i], hostile[i]);
		CU_ASSERT_PTR_NOT_NULL(out);
		if (out && strcmp(out, want) != 0) {
			fprintf(stderr, "\n value %zu: got [%s] want [%s]\n", i, out, want);
			CU_FAIL("a hostile value did not come out of sh unchanged");
		}
		free(out);
		secret_free(s);
		json_decref(r);
	}
	CU_ASSERT_EQUAL(access("/tmp/ghr-pwned", F_OK), -1);
}

static void test_sh_quote(void)
{
	char *q = shtpl_quote("it's");
	CU_ASSERT_STRING_EQUAL(q, "'it'\\''s'");
	free(q);
	q = shtpl_quote("");
	CU_ASSERT_STRING_EQUAL(q, "''");
	free(q);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_builtin_template_renders_once_and_parses(void)
{
	char err[256] = "";
	json_t *r = runner_cfg("http://proxy.example:3128", "http://proxy.example:3128", "localhost,10.0.0.0/8", 0);
	char *s = render(sc_template_userdata(NULL), "x64", r, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(count(s, JIT), 1);
	CU_ASSERT_EQUAL(strncmp(s, "#!/bin/sh\n", 10), 0);
	CU_ASSERT_PTR_NULL(strstr(s, "@JIT_CONFIG@"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "HTTP_PROXY_URL='http://proxy.example:3128'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "APROXY_ENABLED='false'"));
	/* the pre-job script is embedded */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "ghr pre-job hook"));
	/* sh -n accepts it */
	char path[] = "/tmp/ghr-ud-syntax-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "sh -n %s", path);
	CU_ASSERT_EQUAL(system(cmd), 0);
	unlink(path);
	secret_free(s);
	json_decref(r);
}

static void test_aproxy_drops_proxy_variables(void)
{
	char err[256] = "";
	json_t *r = runner_cfg("http://user:pw@proxy.example:3128/", "", "localhost", 1);
	char *s = render(sc_template_userdata(NULL), "x64", r, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "APROXY_ENABLED='true'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "APROXY_UPSTREAM='proxy.example:3128'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "HTTP_PROXY_URL=''"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "NO_PROXY_LIST=''"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "APROXY_PORTS='80, 443'"));
	/* loopback, link-local and private ranges always; the configured 10/8 only once */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "APROXY_EXCLUDE='127.0.0.0/8, 169.254.0.0/16, 10.0.0.0/8, "
	                                 "172.16.0.0/12, 192.168.0.0/16'"));
	CU_ASSERT_PTR_NULL(strstr(s, "pw@"));
	secret_free(s);
	json_decref(r);
}

static void test_aproxy_exclude_ipv4_only_and_defaults(void)
{
	static const struct { const char *v; int ok; } t[] = {
		{ "10.0.0.0/8", 1 }, { "203.0.113.7", 1 }, { "0.0.0.0/0", 1 }, { "255.255.255.255/32", 1 },
		{ "192.168.1.0/24", 1 },
		{ "fd00::/8", 0 }, { "::1", 0 }, { "10.0.0.0/33", 0 }, { "256.0.0.0/8", 0 }, { "10.0.0/8", 0 },
		{ "10.0.0.0.0", 0 }, { "10.0.0.0/", 0 }, { "10.00.0.0", 0 }, { "1234.0.0.0", 0 }, { "", 0 },
		{ "10.0.0.0/8; flush ruleset", 0 }, { "10.0.0.0/8,1.2.3.4", 0 }, { "a.b.c.d", 0 }, { "10.0.0.1 ", 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (sc_ipv4_cidr_ok(t[i].v) != t[i].ok) {
			fprintf(stderr, "\n cidr %s: got %d\n", t[i].v, !t[i].ok);
			CU_FAIL("IPv4 CIDR check");
		}
		char err[256] = "";
		json_t *r = json_pack("{s:{s:b, s:s, s:[s]}}", "proxy", "aproxy", 1, "http", "http://proxy:3128",
		                      "aproxy_exclude", t[i].v);
		char *s = render(sc_template_userdata(NULL), "x", r, err, sizeof(err));
		CU_ASSERT_EQUAL(s != NULL, t[i].ok);
		if (!s)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "aproxy_exclude[0]"));
		secret_free(s);
		json_decref(r);
	}
	/* nothing configured: the always-excluded ranges still are */
	char err[256] = "";
	json_t *r = json_pack("{s:{s:b, s:s}}", "proxy", "aproxy", 1, "http", "http://proxy:3128");
	char *s = render(sc_template_userdata(NULL), "x", r, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "APROXY_EXCLUDE='127.0.0.0/8, 169.254.0.0/16, 10.0.0.0/8, "
	                                 "172.16.0.0/12, 192.168.0.0/16'"));
	secret_free(s);
	json_decref(r);
}

static void test_aproxy_ports_integers_1_to_65535(void)
{
	static const struct { const char *ports; int ok; } t[] = {
		{ "[80, 443]", 1 }, { "[1, 65535]", 1 }, { "[0]", 0 }, { "[65536]", 0 }, { "[-1]", 0 },
		{ "[\"80\"]", 0 }, { "[\"80; flush ruleset\"]", 0 }, { "[80.5]", 0 }, { "[null]", 0 }, { "[[80]]", 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_error_t je;
		json_t *ports = json_loads(t[i].ports, 0, &je);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ports);
		json_t *r = json_pack("{s:{s:b, s:s, s:o}}", "proxy", "aproxy", 1, "http", "http://proxy:3128",
		                      "aproxy_ports", ports);
		char err[256] = "";
		char *s = render(sc_template_userdata(NULL), "x", r, err, sizeof(err));
		if ((s != NULL) != t[i].ok) {
			fprintf(stderr, "\n ports %s: rendered=%d err=%s\n", t[i].ports, s != NULL, err);
			CU_FAIL("aproxy port check");
		}
		if (!s)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "aproxy_ports[0]"));
		secret_free(s);
		json_decref(r);
	}
}

/* The boot script's order: snap seeded before `snap set aproxy`; nft loaded only on the
 * branch where aproxy was configured; one power-off, in the EXIT trap. */
static void test_boot_script_order(void)
{
	const char *t = sc_template_userdata(NULL);
	const char *wait = strstr(t, "snap wait system seed.loaded");
	const char *set = strstr(t, "snap set aproxy");
	const char *ready = strstr(t, "if ! aproxy_ready; then");
	const char *nft = strstr(t, "nft -f /etc/nftables.conf");
	CU_ASSERT_TRUE(wait && set && wait < set);
	CU_ASSERT_TRUE(ready && nft && ready < nft);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "trap finish EXIT"));
	CU_ASSERT_EQUAL(count(t, "poweroff"), 1);
}

static void test_jit_exactly_once_in_template(void)
{
	char err[256] = "";
	char *s = render("A=@JIT_CONFIG@\nB=@JIT_CONFIG@\n", "x", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "exactly once"));
	s = render("A=1\n", "x", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "found 0"));
}

static void test_refused_values(void)
{
	char err[256] = "";
	/* unknown placeholder */
	char *s = render("A=@JIT_CONFIG@\nB=@NOPE@\n", "x", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "@NOPE@"));
	/* a proxy with a line break would add lines to .env */
	json_t *r = runner_cfg("http://p:1\nEVIL=1", "", "", 0);
	s = render("A=@JIT_CONFIG@\n", "x", r, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "HTTP_PROXY"));
	json_decref(r);
	/* a label with a line break */
	s = render("A=@JIT_CONFIG@\n", "a\nb", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "RUNNER_LABELS"));
	/* aproxy exclusions must be addresses */
	r = json_pack("{s:{s:b, s:[s]}}", "proxy", "aproxy", 1, "aproxy_exclude", "10.0.0.0/8; flush ruleset");
	s = render("A=@JIT_CONFIG@\n", "x", r, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "aproxy_exclude[0]"));
	json_decref(r);
	/* too large for Nova */
	char *big = malloc(SC_USERDATA_MAX + 100);
	memset(big, '#', SC_USERDATA_MAX + 50);
	memcpy(big + SC_USERDATA_MAX + 50, "\n@JIT_CONFIG@", 14);
	s = render(big, "x", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Nova"));
	free(big);
	/* lone at-signs are text */
	s = render("# mail me@example.com @ @@ @lower@\nA=@JIT_CONFIG@\n", "x", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	if (s)
		CU_ASSERT_PTR_NOT_NULL(strstr(s, "me@example.com @ @@ @lower@"));
	secret_free(s);
}

static void test_docker_mirror_json(void)
{
	char err[256] = "";
	json_t *r = json_pack("{s:s}", "dockerhub_mirror", "https://mirror.example/\"x");
	char *s = render("A=@JIT_CONFIG@\nD=@DOCKER_DAEMON_JSON@\nprintf '%s' \"$D\"\n", "x", r, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	char *out = run_sh(s);
	json_error_t je;
	json_t *j = out ? json_loads(out, 0, &je) : NULL;
	CU_ASSERT_PTR_NOT_NULL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(j, "registry-mirrors"), 0)),
	                       "https://mirror.example/\"x");
	json_decref(j);
	free(out);
	secret_free(s);
	json_decref(r);
}

static void test_base64(void)
{
	char *b = shtpl_base64("#!/bin/sh\n", 10);
	CU_ASSERT_STRING_EQUAL(b, "IyEvYmluL3NoCg==");
	free(b);
	b = shtpl_base64("", 0);
	CU_ASSERT_STRING_EQUAL(b, "");
	free(b);
}

UNIT_SUITE(sc_userdata,
	UNIT_TEST(test_sh_quote),
	UNIT_TEST(test_hostile_values_stay_data),
	UNIT_TEST(test_builtin_template_renders_once_and_parses),
	UNIT_TEST(test_aproxy_drops_proxy_variables),
	UNIT_TEST(test_aproxy_exclude_ipv4_only_and_defaults),
	UNIT_TEST(test_aproxy_ports_integers_1_to_65535),
	UNIT_TEST(test_boot_script_order),
	UNIT_TEST(test_jit_exactly_once_in_template),
	UNIT_TEST(test_refused_values),
	UNIT_TEST(test_docker_mirror_json),
	UNIT_TEST(test_base64))

/* ---- samples for tests/scripts/check.sh ------------------------------------------------ *
 * Renders the built-in template with hostile configurations; each must render, hold the
 * JIT config once and pass `sh -n`.  With GHR_USERDATA_OUT set, the scripts are also
 * written there, for shellcheck. */

struct sample { const char *name; const char *runner_json; const char *label; };
static const struct sample samples[] = {
	{ "defaults", "{}", "x64" },
	{ "proxy-hostile",
	  "{\"proxy\":{\"http\":\"http://p'x\\\"$(id)`id`:3128\",\"https\":\"https://p;rm -rf /:3128\","
	  "\"no_proxy\":\"localhost,$(touch /tmp/x),`id`\",\"aproxy\":false}}", "l'a\"b$(c)`d`" },
	{ "aproxy", "{\"proxy\":{\"http\":\"http://user:pw@proxy:3128\",\"aproxy\":true,"
	  "\"aproxy_ports\":[80,443,8080],\"aproxy_exclude\":[\"10.0.0.0/8\",\"203.0.113.0/24\",\"198.51.100.7\"]}}", "arm64" },
	{ "mirror-prejob", "{\"dockerhub_mirror\":\"https://m'i\\\"r$(x)\",\"allow_external_contributor\":false,"
	  "\"pre_job_script\":\"#!/bin/sh\\necho 'it''s' \\\"$(date)\\\"\\nexit 0\\nEOF\\n'\\n\"}", "gpu" },
};

static void test_samples_render(void)
{
	const char *dir = getenv("GHR_USERDATA_OUT");
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		json_error_t je;
		json_t *r = json_loads(samples[i].runner_json, 0, &je);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		char err[256] = "";
		char *s = render(sc_template_userdata(NULL), samples[i].label, r, err, sizeof(err));
		if (!s)
			fprintf(stderr, "\n sample %s: %s\n", samples[i].name, err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(count(s, JIT), 1);
		char path[4096];
		if (dir && *dir)
			snprintf(path, sizeof(path), "%s/user-data-%s.sh", dir, samples[i].name);
		else
			snprintf(path, sizeof(path), "/tmp/ghr-ud-sample-%d-%zu.sh", (int)getpid(), i);
		FILE *f = fopen(path, "w");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		fputs(s, f);
		fclose(f);
		char cmd[4200];
		snprintf(cmd, sizeof(cmd), "sh -n '%s'", path);
		CU_ASSERT_EQUAL(system(cmd), 0);
		if (!dir || !*dir)
			unlink(path);
		secret_free(s);
		json_decref(r);
	}
}

UNIT_SUITE(sc_userdata_samples,
	UNIT_TEST(test_samples_render))
