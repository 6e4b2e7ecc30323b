/* Pure parsers of GitHub REST replies.  Each one checks every field it uses (type and
 * range) and fails with a message naming the field, so that a changed or broken API
 * gives a clear error reply and never a wrong answer.  Unknown fields are ignored. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonbody.h"
#include "common/util.h"
#include "workers/github/gh.h"

/* Empty, truncated, too deep or not JSON: said as such (common/jsonbody.h). */
static json_t *load(const char *body, size_t len, char *err, size_t errlen)
{
	return jsonbody_load(body, len, 0, NULL, err, errlen);
}

/* Load a reply whose payload sits under one top-level member of a given type (the
 * "runners" array, the "runner" object, ...): the load, the type check and its error
 * message are the same for every such reply.  Returns the member, borrowed from *root,
 * which the caller then owns; on failure NULL, with err set and nothing to free. */
static json_t *load_member(const char *body, size_t len, const char *key, json_type type,
                           json_t **root, char *err, size_t errlen)
{
	const char *what = type == JSON_ARRAY ? "an array" : "an object";
	json_t *j = load(body, len, err, errlen);
	if (!j)
		return NULL;
	json_t *v = json_object_get(j, key);
	if (!v || json_typeof(v) != type) {
		if (v)
			snprintf(err, errlen, "%s is not %s, expected %s", key, what, what);
		else
			snprintf(err, errlen, "%s is missing, expected %s", key, what);
		json_decref(j);
		return NULL;
	}
	*root = j;
	return v;
}

/* A string field that must be present (and not too long to be believable). */
static const char *req_str(const json_t *o, const char *key, const char *where,
                           char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s.%s is %s, expected a string", where, key,
		         v ? "not a string" : "missing");
		return NULL;
	}
	return json_string_value(v);
}

static int req_id(const json_t *o, const char *key, const char *where, int64_t *out,
                  char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		snprintf(err, errlen, "%s.%s is %s, expected a positive integer", where, key,
		         v ? "not a positive integer" : "missing");
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* Label objects {id,name,type} → array of names. */
static json_t *label_names(const json_t *labels, const char *where, char *err, size_t errlen)
{
	if (!json_is_array(labels)) {
		snprintf(err, errlen, "%s.labels is not an array", where);
		return NULL;
	}
	json_t *out = json_array();
	size_t i;
	const json_t *l;
	json_array_foreach(labels, i, l) {
		const char *n = json_is_string(l) ? json_string_value(l)
		                                  : json_string_value(json_object_get(l, "name"));
		if (!n) {
			snprintf(err, errlen, "%s.labels[%zu] has no name", where, i);
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, json_string(n));
	}
	return out;
}

json_t *gh_parse_runners_page(const char *body, size_t len, char *err, size_t errlen)
{
	json_t *j;
	json_t *runners = load_member(body, len, "runners", JSON_ARRAY, &j, err, errlen);
	if (!runners)
		return NULL;
	json_t *out = json_array();
	size_t i;
	json_t *r;
	char where[48];
	json_array_foreach(runners, i, r) {
		snprintf(where, sizeof(where), "runners[%zu]", i);
		int64_t id;
		const char *name, *status;
		json_t *busy = json_object_get(r, "busy");
		json_t *labels;
		if (!json_is_object(r)) {
			snprintf(err, errlen, "%s is not an object", where);
			goto bad;
		}
		if (req_id(r, "id", where, &id, err, errlen) != 0 ||
		    !(name = req_str(r, "name", where, err, errlen)) ||
		    !(status = req_str(r, "status", where, err, errlen)))
			goto bad;
		if (!json_is_boolean(busy)) {
			snprintf(err, errlen, "%s.busy is %s, expected a boolean", where,
			         busy ? "not a boolean" : "missing");
			goto bad;
		}
		if (!(labels = label_names(json_object_get(r, "labels"), where, err, errlen)))
			goto bad;
		json_array_append_new(out, json_pack("{s:I, s:s, s:s, s:O, s:o}", "id", (json_int_t)id,
		                                     "name", name, "status", status, "busy", busy,
		                                     "labels", labels));
	}
	json_decref(j);
	return out;
bad:
	json_decref(out);
	json_decref(j);
	return NULL;
}

int gh_parse_jit(const char *body, size_t len, int64_t *runner_id, char **jit_config,
                 char *err, size_t errlen)
{
	json_t *j;
	json_t *runner = load_member(body, len, "runner", JSON_OBJECT, &j, err, errlen);
	if (!runner)
		return -1;
	int rc = -1;
	const char *cfg;
	if (req_id(runner, "id", "runner", runner_id, err, errlen) == 0 &&
	    (cfg = req_str(j, "encoded_jit_config", "reply", err, errlen))) {
		if (!*cfg) {
			snprintf(err, errlen, "encoded_jit_config is empty");
		} else if ((*jit_config = strdup(cfg))) {
			rc = 0;
		} else {
			snprintf(err, errlen, "out of memory");
		}
	}
	json_decref(j);
	return rc;
}

/* Optional string: absent or null is fine, any other type is not. */
static int opt_str(const json_t *o, const char *key, json_t *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "job.%s is not a string", key);
		return -1;
	}
	json_object_set_new(out, key, json_string(json_string_value(v)));
	return 0;
}

json_t *gh_parse_job(const char *body, size_t len, char *err, size_t errlen)
{
	static const char *const statuses[] = {
		"queued", "in_progress", "completed", "waiting", "requested", "pending", NULL
	};
	json_t *j = load(body, len, err, errlen);
	if (!j)
		return NULL;
	json_t *out = json_object();
	const char *status = req_str(j, "status", "job", err, errlen);
	json_t *labels = NULL;
	if (!status)
		goto bad;
	int known = 0;
	for (int i = 0; statuses[i]; i++)
		known |= strcmp(statuses[i], status) == 0;
	if (!known) {
		snprintf(err, errlen, "job.status %.40s is not a known job status", status);
		goto bad;
	}
	json_object_set_new(out, "status", json_string(status));
	if (!(labels = label_names(json_object_get(j, "labels"), "job", err, errlen)))
		goto bad;
	json_object_set_new(out, "labels", labels);
	if (opt_str(j, "conclusion", out, err, errlen) || opt_str(j, "runner_name", out, err, errlen) ||
	    opt_str(j, "created_at", out, err, errlen) || opt_str(j, "started_at", out, err, errlen))
		goto bad;
	json_decref(j);
	return out;
bad:
	json_decref(out);
	json_decref(j);
	return NULL;
}

/* "actions-runner-linux-x64-2.330.0.tar.gz" → "2.330.0" */
static int version_from_filename(const char *fn, char *out, size_t outlen)
{
	const char *dash = strrchr(fn, '-');
	if (!dash || !isdigit((unsigned char)dash[1]))
		return -1;
	const char *v = dash + 1;
	size_t n = 0;
	while (v[n] && (isdigit((unsigned char)v[n]) || v[n] == '.'))
		n++;
	while (n > 0 && v[n - 1] == '.')
		n--;
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, v, n);
	out[n] = 0;
	return 0;
}

int gh_parse_downloads(const char *body, size_t len, const char *os, const char *arch,
                       json_t **out, char *err, size_t errlen)
{
	json_t *j = load(body, len, err, errlen);
	if (!j)
		return -1;
	int rc = 1;
	if (!json_is_array(j)) {
		snprintf(err, errlen, "downloads reply is not an array");
		rc = -1;
		goto done;
	}
	size_t i;
	json_t *d;
	char where[32];
	json_array_foreach(j, i, d) {
		snprintf(where, sizeof(where), "downloads[%zu]", i);
		const char *dos, *darch, *url, *fn;
		if (!(dos = req_str(d, "os", where, err, errlen)) ||
		    !(darch = req_str(d, "architecture", where, err, errlen))) {
			rc = -1;
			goto done;
		}
		if (strcmp(dos, os) != 0 || strcmp(darch, arch) != 0)
			continue;
		char version[32];
		if (!(url = req_str(d, "download_url", where, err, errlen)) ||
		    !(fn = req_str(d, "filename", where, err, errlen))) {
			rc = -1;
			goto done;
		}
		if (strncmp(url, "https://", 8) != 0) {
			snprintf(err, errlen, "%s.download_url is not an https URL", where);
			rc = -1;
			goto done;
		}
		if (version_from_filename(fn, version, sizeof(version)) != 0) {
			snprintf(err, errlen, "%s.filename %.80s carries no version", where, fn);
			rc = -1;
			goto done;
		}
		*out = json_pack("{s:s, s:s}", "version", version, "url", url);
		const json_t *sha = json_object_get(d, "sha256_checksum");
		if (json_is_string(sha))
			json_object_set(*out, "sha256", (json_t *)sha);
		rc = 0;
		goto done;
	}
	snprintf(err, errlen, "GitHub offers no runner download for os %.20s arch %.20s", os, arch);
done:
	json_decref(j);
	return rc;
}

int gh_parse_runner_groups(const char *body, size_t len, const char *name, int64_t *id,
                           char *err, size_t errlen)
{
	json_t *j;
	json_t *groups = load_member(body, len, "runner_groups", JSON_ARRAY, &j, err, errlen);
	if (!groups)
		return -1;
	int rc = 1;
	size_t i;
	json_t *g;
	char where[40];
	json_array_foreach(groups, i, g) {
		snprintf(where, sizeof(where), "runner_groups[%zu]", i);
		const char *n = req_str(g, "name", where, err, errlen);
		int64_t gid;
		if (!n || req_id(g, "id", where, &gid, err, errlen) != 0) {
			rc = -1;
			break;
		}
		if (strcmp(n, name) == 0) {
			*id = gid;
			rc = 0;
			break;
		}
	}
	json_decref(j);
	return rc;
}

json_t *gh_parse_rate_limit(const char *body, size_t len, char *err, size_t errlen)
{
	json_t *j;
	json_t *res = load_member(body, len, "resources", JSON_OBJECT, &j, err, errlen);
	if (!res)
		return NULL;
	err[0] = 0;
	json_t *out = json_object();
	const char *name;
	json_t *r;
	json_object_foreach(res, name, r) {
		static const char *const fields[] = { "limit", "remaining", "used", "reset" };
		json_t *o = json_object();
		for (int k = 0; o && k < 4; k++) {
			json_t *v = json_object_get(r, fields[k]);
			if (!json_is_integer(v) || json_integer_value(v) < 0) {
				/* one odd resource costs only itself */
				snprintf(err, errlen, "skipped resources.%.40s: %s is not a non-negative integer",
				         name, fields[k]);
				json_decref(o);
				o = NULL;
			} else {
				json_object_set(o, fields[k], v);
			}
		}
		if (o)
			json_object_set_new(out, name, o);
	}
	json_decref(j);
	return out;
}

int gh_parse_install_token(const char *body, size_t len, char **token, int64_t *expires_ms,
                           char *err, size_t errlen)
{
	json_t *j = load(body, len, err, errlen);
	if (!j)
		return -1;
	int rc = -1;
	const char *t = req_str(j, "token", "reply", err, errlen);
	const char *exp = t ? req_str(j, "expires_at", "reply", err, errlen) : NULL;
	if (t && exp) {
		int64_t ms = iso8601_to_ms(exp);
		if (!*t) {
			snprintf(err, errlen, "token is empty");
		} else if (ms <= 0) {
			snprintf(err, errlen, "expires_at %.40s is not an ISO 8601 time", exp);
		} else if (!(*token = strdup(t))) {
			snprintf(err, errlen, "out of memory");
		} else {
			*expires_ms = ms;
			rc = 0;
		}
	}
	json_decref(j);
	return rc;
}

/* Copy at most outlen-1 printable bytes of s (others become '?'). */
static void printable_copy(char *out, size_t outlen, const char *s)
{
	size_t n = 0;
	for (; s && *s && n + 1 < outlen; s++)
		out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[n] = 0;
}

void gh_parse_error_message(const char *body, size_t len, char *out, size_t outlen)
{
	out[0] = 0;
	if (!body || len == 0 || outlen == 0)
		return;
	json_t *j = json_loadb(body, len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return;
	}
	char msg[300] = "", detail[300] = "";
	printable_copy(msg, sizeof(msg), json_string_value(json_object_get(j, "message")));
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	if (json_is_string(e0)) {
		printable_copy(detail, sizeof(detail), json_string_value(e0));
	} else if (json_is_object(e0)) {
		const char *m = json_string_value(json_object_get(e0, "message"));
		const char *code = json_string_value(json_object_get(e0, "code"));
		const char *field = json_string_value(json_object_get(e0, "field"));
		char tmp[300];
		snprintf(tmp, sizeof(tmp), "%s%s%s%s%s", field ? field : "", field ? ": " : "",
		         m ? m : (code ? code : ""), m && code ? " " : "", m && code ? code : "");
		printable_copy(detail, sizeof(detail), tmp);
	}
	if (msg[0] && detail[0])
		snprintf(out, outlen, "%s (%s)", msg, detail);
	else
		snprintf(out, outlen, "%s", msg[0] ? msg : detail);
	json_decref(j);
}

/* Link: <https://…?page=2>; rel="next", <https://…?page=5>; rel="last" */
int gh_link_next(const char *link, char *out, size_t outlen)
{
	const char *p = link;
	while (p && *p) {
		const char *lt = strchr(p, '<');
		if (!lt)
			return 0;
		const char *gt = strchr(lt, '>');
		if (!gt)
			return 0;
		const char *end = strchr(gt, ',');
		const char *params_end = end ? end : gt + strlen(gt);
		/* look for rel="next" (or rel=next) among this link's parameters */
		for (const char *q = gt + 1; q < params_end; q++) {
			if (strncmp(q, "rel=", 4) != 0)
				continue;
			const char *v = q + 4;
			if (*v == '"')
				v++;
			if (strncmp(v, "next", 4) == 0 && (v[4] == '"' || v[4] == ';' || v[4] == ',' ||
			                                  v[4] == ' ' || v[4] == 0)) {
				size_t n = (size_t)(gt - lt - 1);
				if (n == 0 || n >= outlen)
					return 0;
				memcpy(out, lt + 1, n);
				out[n] = 0;
				return 1;
			}
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}
