/* os_parse — Keystone bodies, microversions, error bodies and small encoders.
 * Resource parsers (servers, images, flavors, limits) are in os_parse_res.c. */
#include "workers/openstack/os_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/jsonbody.h"
#include "common/util.h"

/* ---- Keystone ------------------------------------------------------------------- */

static const char *str_of(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? s : NULL;
}

/* {"name": n, "domain": {...}} or {"id": i}: the by-name form needs its domain. */
static json_t *named_ref(const json_t *auth, const char *id_key, const char *name_key,
                         const char *dom_id_key, const char *dom_name_key)
{
	const char *id = str_of(auth, id_key), *name = str_of(auth, name_key);
	if (id)
		return json_pack("{ss}", "id", id);
	if (!name)
		return NULL;
	json_t *ref = json_pack("{ss}", "name", name);
	const char *did = str_of(auth, dom_id_key), *dname = str_of(auth, dom_name_key);
	if (did)
		json_object_set_new(ref, "domain", json_pack("{ss}", "id", did));
	else if (dname)
		json_object_set_new(ref, "domain", json_pack("{ss}", "name", dname));
	return ref;
}

static json_t *password_body(const json_t *auth, char *err, size_t errlen)
{
	json_t *user = named_ref(auth, "user_id", "username", "user_domain_id", "user_domain_name");
	json_t *project = named_ref(auth, "project_id", "project_name", "project_domain_id", "project_domain_name");
	const char *password = str_of(auth, "password");
	if (!user || !project || !password) {
		snprintf(err, errlen, "auth: %s missing", !user ? "user" : !project ? "project" : "password");
		json_decref(user);
		json_decref(project);
		return NULL;
	}
	json_object_set_new(user, "password", json_string(password));
	return json_pack("{s:{s:{s:[s],s:{s:o}},s:{s:o}}}", "auth", "identity", "methods", "password",
	                 "password", "user", user, "scope", "project", project);
}

static json_t *appcred_body(const json_t *auth, char *err, size_t errlen)
{
	const char *secret = str_of(auth, "application_credential_secret");
	const char *id = str_of(auth, "application_credential_id");
	const char *name = str_of(auth, "application_credential_name");
	if (!secret || (!id && !name)) {
		snprintf(err, errlen, "auth: application credential %s missing", secret ? "id or name" : "secret");
		return NULL;
	}
	json_t *cred = json_pack("{ss}", "secret", secret);
	if (id) {
		json_object_set_new(cred, "id", json_string(id));
	} else {
		json_t *user = named_ref(auth, "user_id", "username", "user_domain_id", "user_domain_name");
		if (!user) {
			snprintf(err, errlen, "auth: application credential by name needs user_id or username");
			os_json_wipe_secrets(cred);
			json_decref(cred);
			return NULL;
		}
		json_object_set_new(cred, "name", json_string(name));
		json_object_set_new(cred, "user", user);
	}
	return json_pack("{s:{s:{s:[s],s:o}}}", "auth", "identity", "methods", "application_credential",
	                 "application_credential", cred);
}

json_t *os_auth_body(const json_t *entry, char *err, size_t errlen)
{
	const char *type = json_string_value(json_object_get(entry, "auth_type"));
	const json_t *auth = json_object_get(entry, "auth");
	if (!json_is_object(auth)) {
		snprintf(err, errlen, "auth: missing");
		return NULL;
	}
	if (type && strcmp(type, "v3applicationcredential") == 0)
		return appcred_body(auth, err, errlen);
	if (!type || strcmp(type, "password") == 0)
		return password_body(auth, err, errlen);
	snprintf(err, errlen, "auth_type: unsupported \"%.40s\"", type);
	return NULL;
}

int os_parse_token(const json_t *reply, int64_t *expires_ms, int64_t *issued_ms,
                   char *err, size_t errlen)
{
	const json_t *token = json_object_get(reply, "token");
	const char *exp = json_string_value(json_object_get(token, "expires_at"));
	const char *iss = json_string_value(json_object_get(token, "issued_at"));
	if (!json_is_object(token) || !exp) {
		snprintf(err, errlen, "token reply without token.expires_at");
		return -1;
	}
	*expires_ms = iso8601_to_ms(exp);
	if (*expires_ms < 0) {
		snprintf(err, errlen, "token.expires_at: not a time: \"%.40s\"", exp);
		return -1;
	}
	*issued_ms = iss ? iso8601_to_ms(iss) : -1;
	return 0;
}

int os_catalog_pick(const json_t *reply, const char *type, const char *interface,
                    const char *region, char *url, size_t urllen, char *err, size_t errlen)
{
	const json_t *catalog = json_object_get(json_object_get(reply, "token"), "catalog");
	if (!json_is_array(catalog)) {
		snprintf(err, errlen, "token reply has no catalog (is the token project-scoped?)");
		return -1;
	}
	size_t i, j;
	const json_t *svc, *ep;
	json_array_foreach(catalog, i, svc) {
		const char *t = json_string_value(json_object_get(svc, "type"));
		if (!t || strcmp(t, type) != 0)
			continue;
		json_array_foreach(json_object_get(svc, "endpoints"), j, ep) {
			const char *ifc = json_string_value(json_object_get(ep, "interface"));
			const char *rid = json_string_value(json_object_get(ep, "region_id"));
			const char *rname = json_string_value(json_object_get(ep, "region"));
			const char *u = json_string_value(json_object_get(ep, "url"));
			if (!ifc || !u || strcmp(ifc, interface) != 0)
				continue;
			if (region && !(rid && strcmp(rid, region) == 0) && !(rname && strcmp(rname, region) == 0))
				continue;
			size_t n = strlen(u);
			while (n > 0 && u[n - 1] == '/')
				n--;
			if (n == 0 || n >= urllen) {
				snprintf(err, errlen, "catalog: %s endpoint URL empty or too long", type);
				return -1;
			}
			memcpy(url, u, n);
			url[n] = '\0';
			return 0;
		}
	}
	snprintf(err, errlen, "catalog: no %s endpoint with interface %s%s%s", type, interface,
	         region ? " in region " : "", region ? region : "");
	return -1;
}

int64_t os_token_renew_at(int64_t issued_ms, int64_t expires_ms, int64_t received_ms)
{
	const int64_t margin = 5 * 60 * 1000;
	/* without issued_at the token's life is counted from when it arrived */
	int64_t start = issued_ms >= 0 ? issued_ms : received_ms;
	int64_t life = expires_ms - start;
	if (life < 2 * margin)
		return start + (life > 0 ? life * 4 / 5 : 0);
	return expires_ms - margin;
}

int os_compute_urls(const char *url, char *base, size_t baselen, char *version_url, size_t vlen)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	while (p) {
		const char *seg = p + 1, *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		int v2 = n == 2 && strncmp(seg, "v2", 2) == 0, v21 = n == 4 && strncmp(seg, "v2.1", 4) == 0;
		if (v2 || v21) {
			int root = (int)(p - url);
			/* the legacy /v2 API knows no microversions: the same path under /v2.1 does */
			if ((size_t)snprintf(base, baselen, "%.*s/v2.1%s", root, url, seg + n) >= baselen ||
			    (size_t)snprintf(version_url, vlen, "%.*s/v2.1/", root, url) >= vlen)
				return -1;
			return 0;
		}
		p = end;
	}
	if ((size_t)snprintf(base, baselen, "%s", url) >= baselen ||
	    (size_t)snprintf(version_url, vlen, "%s/", url) >= vlen)
		return -1;
	return 0;
}

/* ---- microversions --------------------------------------------------------------- */

static int mv_split(const char *v, long *major, long *minor)
{
	char *end;
	if (!v || !isdigit((unsigned char)v[0]))
		return -1;
	*major = strtol(v, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return -1;
	*minor = strtol(end + 1, &end, 10);
	return *end == '\0' && *major < 100 && *minor < 10000 ? 0 : -1;
}

int os_microversion_cmp(const char *a, const char *b)
{
	long amaj, amin, bmaj, bmin;
	int abad = mv_split(a, &amaj, &amin) != 0, bbad = mv_split(b, &bmaj, &bmin) != 0;
	if (abad || bbad)
		return bbad - abad;
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	return amin < bmin ? -1 : amin > bmin;
}

int os_microversion_pick(const char *min, const char *max, const char *cap, char *out, size_t len)
{
	long x, y;
	if (mv_split(min, &x, &y) || mv_split(max, &x, &y) || mv_split(cap, &x, &y))
		return -1;
	if (os_microversion_cmp(cap, min) < 0 || os_microversion_cmp(min, max) > 0)
		return -1;
	const char *pick = os_microversion_cmp(cap, max) < 0 ? cap : max;
	return strlcpy_chk(out, pick, len);
}

int os_parse_version(const json_t *reply, char *min, char *max, size_t len, char *err, size_t errlen)
{
	const json_t *v = json_object_get(reply, "version");
	if (!v) {   /* the root document lists every version: take v2.1 */
		size_t i;
		const json_t *item;
		json_array_foreach(json_object_get(reply, "versions"), i, item) {
			const char *id = json_string_value(json_object_get(item, "id"));
			if (id && strcmp(id, "v2.1") == 0)
				v = item;
		}
	}
	const char *lo = json_string_value(json_object_get(v, "min_version"));
	const char *hi = json_string_value(json_object_get(v, "version"));
	long a, b;
	if (!lo || !hi || !*hi) {
		/* Nova before microversions: 2.1 only. */
		if (v && hi && !*hi)
			return strlcpy_chk(min, "2.1", len) | strlcpy_chk(max, "2.1", len);
		snprintf(err, errlen, "compute version document without version/min_version");
		return -1;
	}
	if (mv_split(lo, &a, &b) || mv_split(hi, &a, &b)) {
		snprintf(err, errlen, "compute version document: bad version \"%.20s\"-\"%.20s\"", lo, hi);
		return -1;
	}
	return strlcpy_chk(min, lo, len) | strlcpy_chk(max, hi, len);
}

/* ---- errors ---------------------------------------------------------------------- */

/* One table: HTTP status → bus error code (anything else 4xx: bad_request, 5xx: unavailable). */
static const struct { long status; enum proto_error code; } status_map[] = {
	{ 400, PROTO_E_BAD_REQUEST },
	{ 401, PROTO_E_UNAUTHORIZED },
	{ 403, PROTO_E_FORBIDDEN },
	{ 404, PROTO_E_NOT_FOUND },
	{ 409, PROTO_E_CONFLICT },
	{ 413, PROTO_E_UNAVAILABLE },      /* overLimit: quota on older Nova */
	{ 429, PROTO_E_RATE_LIMITED },
	{ 0, PROTO_OK },
};

/* Words by which Nova, Cinder and Neutron say a quota or a capacity limit refused. */
static const char *const quota_words[] = { "quota", "limit exceeded", "exceeded", "overlimit", NULL };

enum proto_error os_status_to_error(long status, const char *message)
{
	if (status == 403 || status == 413) {
		for (int i = 0; message && quota_words[i]; i++)
			if (strcasestr(message, quota_words[i]))
				return PROTO_E_UNAVAILABLE;
	}
	for (int i = 0; status_map[i].status; i++)
		if (status_map[i].status == status)
			return status_map[i].code;
	if (status >= 500 && status <= 599)
		return PROTO_E_UNAVAILABLE;
	if (status >= 400 && status <= 499)
		return PROTO_E_BAD_REQUEST;
	return PROTO_E_INTERNAL;
}

/* Copy text into msg on one line: tags dropped, control characters and runs of
 * blanks collapsed to one space. */
static void flatten(const char *s, size_t len, char *msg, size_t msglen)
{
	size_t o = 0;
	int in_tag = 0, space = 1;
	for (size_t i = 0; i < len && s[i] && o + 1 < msglen; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '<') { in_tag = 1; continue; }
		if (in_tag) { if (ch == '>') { in_tag = 0; if (!space) { msg[o++] = ' '; space = 1; } } continue; }
		if (ch < 0x20 || ch == 0x7f || ch == ' ') {
			if (!space)
				msg[o++] = ' ';
			space = 1;
			continue;
		}
		msg[o++] = (char)ch;
		space = 0;
	}
	while (o > 0 && msg[o - 1] == ' ')
		o--;
	msg[o] = '\0';
}

static const char *json_error_text(const json_t *j)
{
	const char *m = json_string_value(json_object_get(j, "message"));
	if (m)
		return m;
	static const char *const wrappers[] = { "error", "NeutronError", NULL };
	for (int i = 0; wrappers[i]; i++)
		if ((m = json_string_value(json_object_get(json_object_get(j, wrappers[i]), "message"))))
			return m;
	/* Nova: {"<faultName>": {"code": N, "message": "…"}} */
	if (json_is_object(j) && json_object_size(j) == 1) {
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)j, k, v)
			if ((m = json_string_value(json_object_get(v, "message"))))
				return m;
	}
	return NULL;
}

void os_error_message(long status, const char *content_type, const char *body, size_t len,
                      char *msg, size_t msglen)
{
	msg[0] = '\0';
	if (status >= 500 && body && len && (!jsonbody_type_is_json(content_type) || body[0] == '<')) {
		/* the error page of a proxy or load balancer (a 502 in HTML): its text is noise.
		 * Glance's own 4xx pages are HTML too, and say what was wrong: kept below. */
		char why[120];
		json_decref(jsonbody_load(body, len, JSON_DECODE_ANY,
		                          content_type ? content_type : "text/html", why, sizeof why));
		snprintf(msg, msglen, "HTTP %ld, %s", status, why);
		return;
	}
	if (body && len) {
		json_t *j = json_loadb(body, len, JSON_DECODE_ANY, NULL);
		const char *m = j ? json_error_text(j) : NULL;
		if (m)
			flatten(m, strlen(m), msg, msglen);
		else if (!j)
			flatten(body, len, msg, msglen);
		json_decref(j);
	}
	if (!msg[0])
		snprintf(msg, msglen, "HTTP %ld", status);
}

/* ---- helpers ------------------------------------------------------------------- */

int os_urlenc(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)ch;
		} else {
			if (o + 3 >= outlen)
				return -1;
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return 0;
}

/* '|' is left alone: Nova escapes every '|' itself (_safe_regex_mysql, on every
 * database), so an escaped one would reach the database as "\\|" -- a literal backslash
 * OR the rest, i.e. a listing of (nearly) every server.  The caller re-checks names. */
int os_regex_escape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	for (; *s; s++) {
		if (strchr(".^$*+?()[]{}\\", *s)) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = '\\';
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = *s;
	}
	out[o] = '\0';
	return 0;
}

void os_json_wipe_secrets(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	if (json_is_object(j)) {
		json_object_foreach(j, k, v) {
			if (json_is_string(v) && (strcmp(k, "password") == 0 || strcmp(k, "secret") == 0 ||
			                          strcmp(k, "application_credential_secret") == 0))
				explicit_bzero((char *)json_string_value(v), json_string_length(v));
			else
				os_json_wipe_secrets(v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			os_json_wipe_secrets(v);
	}
}
