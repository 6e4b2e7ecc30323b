/* Rendering of the runner boot script (see sc_userdata.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/sbuf.h"
#include "common/shtpl.h"
#include "common/util.h"
#include "workers/scaler/sc_template.h"
#include "workers/scaler/sc_userdata.h"

/* ---- values ------------------------------------------------------------------------- */

struct ph {
	const char *name;
	char *value;        /* malloc'd, unquoted */
	int single_line;    /* goes into a line-based file */
};

static const char *rstr(const json_t *runner, const char *section, const char *key)
{
	const json_t *o = runner;
	if (o && section)
		o = json_object_get(o, section);
	const char *s = o ? json_string_value(json_object_get(o, key)) : NULL;
	return s ? s : "";
}

static int rbool(const json_t *runner, const char *section, const char *key, int def)
{
	const json_t *o = runner;
	if (o && section)
		o = json_object_get(o, section);
	const json_t *v = o ? json_object_get(o, key) : NULL;
	return json_is_boolean(v) ? json_is_true(v) : def;
}

/* Join a JSON array of strings (or integers) with sep. */
static char *join(const json_t *arr, const char *sep)
{
	size_t cap = 64, len = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	out[0] = 0;
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v) {
		char num[32];
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			s = num;
		}
		if (!s)
			continue;
		size_t need = len + strlen(sep) + strlen(s) + 1;
		if (need > cap) {
			while (cap < need)
				cap *= 2;
			char *p = realloc(out, cap);
			if (!p) {
				free(out);
				return NULL;
			}
			out = p;
		}
		len += (size_t)sprintf(out + len, "%s%s", len ? sep : "", s);
	}
	return out;
}

/* An IPv4 address or CIDR range, strictly: four decimal octets 0-255 (no leading zeros
 * beyond "0"), optionally /0-32.  The nftables set is ipv4_addr: anything else would make
 * `nft -f` refuse the whole file. */
static int dec_ok(const char **s, unsigned max, char stop)
{
	const char *p = *s;
	unsigned v = 0;
	int n = 0;
	while (*p >= '0' && *p <= '9' && n < 3) {
		v = v * 10 + (unsigned)(*p++ - '0');
		n++;
	}
	if (n == 0 || v > max || (n > 1 && **s == '0') || *p != stop)
		return 0;
	*s = p;
	return 1;
}

int sc_ipv4_cidr_ok(const char *s)
{
	for (int i = 0; i < 4; i++) {
		if (!dec_ok(&s, 255, i < 3 ? '.' : strchr(s, '/') ? '/' : '\0'))
			return 0;
		if (i < 3)
			s++;                      /* the dot */
	}
	if (*s != '/')
		return *s == '\0';
	s++;
	return dec_ok(&s, 32, '\0');
}

/* Ranges never redirected to aproxy, whatever the configuration says: loopback,
 * link-local (the metadata service) and the private networks the runner's own cloud
 * lives in. */
static const char *const aproxy_always_excluded[] = {
	"127.0.0.0/8", "169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
};

static char *aproxy_exclude(const json_t *configured)
{
	json_t *all = json_array();
	for (size_t i = 0; all && i < sizeof(aproxy_always_excluded) / sizeof(aproxy_always_excluded[0]); i++)
		json_array_append_new(all, json_string(aproxy_always_excluded[i]));
	size_t i;
	json_t *v;
	json_array_foreach(configured, i, v) {
		int dup = 0;
		for (size_t k = 0; k < sizeof(aproxy_always_excluded) / sizeof(aproxy_always_excluded[0]); k++)
			dup |= strcmp(json_string_value(v), aproxy_always_excluded[k]) == 0;
		if (!dup)
			json_array_append(all, v);
	}
	char *out = all ? join(all, ", ") : NULL;
	json_decref(all);
	return out;
}

/* aproxy takes host:port: the configured proxy URL without scheme and path. */
static char *aproxy_upstream(const json_t *runner)
{
	const char *u = rstr(runner, "proxy", "https");
	if (!*u)
		u = rstr(runner, "proxy", "http");
	const char *p = strstr(u, "://");
	p = p ? p + 3 : u;
	const char *at = strrchr(p, '@');            /* user:pass@ never goes to aproxy */
	if (at && (!strchr(p, '/') || at < strchr(p, '/')))
		p = at + 1;
	size_t n = strcspn(p, "/");
	char *out = malloc(n + 1);
	if (out) {
		memcpy(out, p, n);
		out[n] = 0;
	}
	return out;
}

static char *docker_daemon_json(const char *mirror)
{
	if (!*mirror)
		return strdup("");
	json_t *o = json_pack("{s:[s]}", "registry-mirrors", mirror);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

enum {
	PH_RUNNER_NAME, PH_RUNNER_POOL, PH_RUNNER_LABELS, PH_GITHUB_PATH, PH_JIT_CONFIG,
	PH_HTTP_PROXY, PH_HTTPS_PROXY, PH_NO_PROXY, PH_APROXY_ENABLED, PH_APROXY_UPSTREAM,
	PH_APROXY_PORTS, PH_APROXY_EXCLUDE, PH_DOCKERHUB_MIRROR, PH_DOCKER_DAEMON_JSON,
	PH_ALLOW_EXTERNAL_CONTRIBUTOR, PH_PRE_JOB_SCRIPT, PH_OPERATOR_PRE_JOB_SCRIPT, PH_COUNT
};

/* The one table of placeholders; values are filled by fill_values(). */
static const struct { const char *name; int single_line; } ph_table[PH_COUNT] = {
	[PH_RUNNER_NAME] = { "RUNNER_NAME", 1 },
	[PH_RUNNER_POOL] = { "RUNNER_POOL", 1 },
	[PH_RUNNER_LABELS] = { "RUNNER_LABELS", 1 },
	[PH_GITHUB_PATH] = { "GITHUB_PATH", 1 },
	[PH_JIT_CONFIG] = { "JIT_CONFIG", 1 },
	[PH_HTTP_PROXY] = { "HTTP_PROXY", 1 },
	[PH_HTTPS_PROXY] = { "HTTPS_PROXY", 1 },
	[PH_NO_PROXY] = { "NO_PROXY", 1 },
	[PH_APROXY_ENABLED] = { "APROXY_ENABLED", 1 },
	[PH_APROXY_UPSTREAM] = { "APROXY_UPSTREAM", 1 },
	[PH_APROXY_PORTS] = { "APROXY_PORTS", 1 },
	[PH_APROXY_EXCLUDE] = { "APROXY_EXCLUDE", 1 },
	[PH_DOCKERHUB_MIRROR] = { "DOCKERHUB_MIRROR", 1 },
	[PH_DOCKER_DAEMON_JSON] = { "DOCKER_DAEMON_JSON", 1 },
	[PH_ALLOW_EXTERNAL_CONTRIBUTOR] = { "ALLOW_EXTERNAL_CONTRIBUTOR", 1 },
	[PH_PRE_JOB_SCRIPT] = { "PRE_JOB_SCRIPT", 0 },
	[PH_OPERATOR_PRE_JOB_SCRIPT] = { "OPERATOR_PRE_JOB_SCRIPT", 0 },
};

static int fill_values(struct ph *ph, const struct sc_ud_params *p, char *err, size_t errlen)
{
	const json_t *r = p->runner;
	int aproxy = rbool(r, "proxy", "aproxy", 0);
	const char *mirror = rstr(r, NULL, "dockerhub_mirror");
	const char *prejob = p->prejob_script ? p->prejob_script : sc_template_prejob(NULL);
	json_t *ports = r ? json_object_get(json_object_get(r, "proxy"), "aproxy_ports") : NULL;
	json_t *excl = r ? json_object_get(json_object_get(r, "proxy"), "aproxy_exclude") : NULL;
	size_t i;
	json_t *v;
	json_array_foreach(excl, i, v) {
		if (!json_is_string(v) || !sc_ipv4_cidr_ok(json_string_value(v))) {
			snprintf(err, errlen, "runner.proxy.aproxy_exclude[%zu]: not an IPv4 address or CIDR range "
			         "(like 203.0.113.0/24)", i);
			return -1;
		}
	}
	json_array_foreach(ports, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535) {
			snprintf(err, errlen, "runner.proxy.aproxy_ports[%zu]: not a port (an integer from 1 to 65535)", i);
			return -1;
		}
	}
	for (int k = 0; k < PH_COUNT; k++) {
		ph[k].name = ph_table[k].name;
		ph[k].single_line = ph_table[k].single_line;
	}
	ph[PH_RUNNER_NAME].value = strdup(p->runner_name ? p->runner_name : "");
	ph[PH_RUNNER_POOL].value = strdup(p->pool ? p->pool : "");
	ph[PH_RUNNER_LABELS].value = p->labels ? join(p->labels, ",") : strdup("");
	ph[PH_GITHUB_PATH].value = strdup(p->github_path ? p->github_path : "");
	ph[PH_JIT_CONFIG].value = strdup(p->jit_config ? p->jit_config : "");
	ph[PH_HTTP_PROXY].value = strdup(aproxy ? "" : rstr(r, "proxy", "http"));
	ph[PH_HTTPS_PROXY].value = strdup(aproxy ? "" : rstr(r, "proxy", "https"));
	ph[PH_NO_PROXY].value = strdup(aproxy ? "" : rstr(r, "proxy", "no_proxy"));
	ph[PH_APROXY_ENABLED].value = strdup(aproxy ? "true" : "false");
	ph[PH_APROXY_UPSTREAM].value = aproxy ? aproxy_upstream(r) : strdup("");
	ph[PH_APROXY_PORTS].value = ports && json_array_size(ports) ? join(ports, ", ") : strdup("80, 443");
	ph[PH_APROXY_EXCLUDE].value = aproxy_exclude(excl);
	ph[PH_DOCKERHUB_MIRROR].value = strdup(mirror);
	ph[PH_DOCKER_DAEMON_JSON].value = docker_daemon_json(mirror);
	ph[PH_ALLOW_EXTERNAL_CONTRIBUTOR].value =
		strdup(rbool(r, NULL, "allow_external_contributor", 1) ? "true" : "false");
	ph[PH_PRE_JOB_SCRIPT].value = strdup(prejob);
	ph[PH_OPERATOR_PRE_JOB_SCRIPT].value = strdup(rstr(r, NULL, "pre_job_script"));
	for (int k = 0; k < PH_COUNT; k++) {
		if (!ph[k].value) {
			snprintf(err, errlen, "out of memory rendering user data");
			return -1;
		}
	}
	if (!*ph[PH_JIT_CONFIG].value) {
		snprintf(err, errlen, "no JIT config");
		return -1;
	}
	return 0;
}

static void free_values(struct ph *ph)
{
	for (int k = 0; k < PH_COUNT; k++)
		if (ph[k].value)
			secret_free(ph[k].value);
}

/* ---- rendering ------------------------------------------------------------------------ */

char *sc_userdata_render(const char *tpl, const struct sc_ud_params *p, char *err, size_t errlen)
{
	struct ph ph[PH_COUNT];
	struct shtpl_value vals[PH_COUNT];
	memset(ph, 0, sizeof(ph));
	/* an sbuf, not realloc: the script holds the JIT config, and an outgrown copy must be
	 * wiped before it goes back to the allocator */
	struct sbuf b = { .first_cap = 4096 };
	if (fill_values(ph, p, err, errlen) != 0)
		goto fail;
	for (int k = 0; k < PH_COUNT; k++)
		vals[k] = (struct shtpl_value){ .name = ph[k].name, .value = ph[k].value,
		                                .single_line = ph[k].single_line };
	if (shtpl_render(tpl, vals, PH_COUNT, &b, err, errlen) != 0)
		goto fail;
	if (vals[PH_JIT_CONFIG].used != 1) {
		snprintf(err, errlen, "template: the JIT config placeholder must appear exactly once (found %d)",
		         vals[PH_JIT_CONFIG].used);
		goto fail;
	}
	if (b.len > SC_USERDATA_MAX) {
		snprintf(err, errlen, "user data is %zu bytes, over the %d bytes Nova accepts", b.len, SC_USERDATA_MAX);
		goto fail;
	}
	free_values(ph);
	return b.p;
fail:
	free_values(ph);
	sbuf_wipe_free(&b);
	return NULL;
}
