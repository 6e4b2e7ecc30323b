/* workflow_job payloads → job records, and routing by labels (pure functions). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "workers/webhook/wh.h"

/* Labels every self-hosted runner has implicitly: a job asking for them says nothing
 * about which pool should serve it. */
static const char *const implied[] = { "self-hosted", "linux", "x64", "arm64" };

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int wh_scope_parse(const char *path, struct wh_scope *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (!path || !*path) {
		snprintf(err, errlen, "github.path is required");
		return -1;
	}
	if (strncmp(path, "enterprise:", 11) == 0) {
		s->enterprise = 1;
		return 0;
	}
	const char *slash = strchr(path, '/');
	if (strlen(path) >= sizeof(s->repo) || (slash && strchr(slash + 1, '/'))) {
		snprintf(err, errlen, "github.path %.100s: want ORG or OWNER/REPO", path);
		return -1;
	}
	snprintf(s->org, sizeof(s->org), "%.*s", slash ? (int)(slash - path) : (int)strlen(path), path);
	if (slash)
		snprintf(s->repo, sizeof(s->repo), "%s", path);
	return 0;
}

struct wh_pool *wh_pools_from(const json_t *pools, size_t *n)
{
	*n = 0;
	size_t count = json_array_size(pools);
	struct wh_pool *out = calloc(count ? count : 1, sizeof(*out));
	if (!out)
		return NULL;
	size_t i;
	const json_t *p;
	json_array_foreach(pools, i, p) {
		struct wh_pool *w = &out[(*n)++];
		snprintf(w->name, sizeof(w->name), "%s", json_string_value(json_object_get(p, "name")) ?: "");
		w->reactive = json_is_true(json_object_get(p, "reactive"));
		w->labels = json_array();
		size_t j;
		const json_t *l;
		json_array_foreach(json_object_get(p, "labels"), j, l) {
			char buf[256];
			snprintf(buf, sizeof(buf), "%s", json_string_value(l) ?: "");
			lower(buf);
			json_array_append_new(w->labels, json_string(buf));
		}
	}
	return out;
}

void wh_pools_free(struct wh_pool *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		json_decref(p[i].labels);
	free(p);
}

static int is_implied(const char *l)
{
	for (size_t i = 0; i < sizeof(implied) / sizeof(implied[0]); i++)
		if (strcasecmp(l, implied[i]) == 0)
			return 1;
	return 0;
}

static int has_label(const json_t *labels, const char *l)
{
	size_t i;
	const json_t *x;
	json_array_foreach(labels, i, x)
		if (strcasecmp(json_string_value(x), l) == 0)
			return 1;
	return 0;
}

const struct wh_pool *wh_route(const struct wh_pool *pools, size_t npools, const json_t *labels,
                               int reactive_only, char *why, size_t whylen)
{
	for (size_t p = 0; p < npools; p++) {
		if (reactive_only && !pools[p].reactive)
			continue;
		int fits = 1;
		size_t i;
		const json_t *l;
		json_array_foreach(labels, i, l)
			if (!is_implied(json_string_value(l)) && !has_label(pools[p].labels, json_string_value(l)))
				fits = 0;
		if (fits)
			return &pools[p];
	}
	char *text = json_dumps(labels, JSON_COMPACT);
	snprintf(why, whylen, "labels %s fit no%s pool", text ? text : "?", reactive_only ? " reactive" : "");
	free(text);
	return NULL;
}

static int copy_str(json_t *rec, const char *key, const json_t *from, const char *field)
{
	const json_t *v = json_object_get(from, field);
	if (json_is_string(v))
		return json_object_set_new(rec, key, json_string(json_string_value(v)));
	return 0;
}

static int in_scope(const json_t *root, const char *repo, const struct wh_scope *s)
{
	if (s->enterprise)
		return 1;
	if (s->repo[0])
		return strcasecmp(repo, s->repo) == 0;
	const char *slash = strchr(repo, '/');
	return slash && (size_t)(slash - repo) == strlen(s->org) && strncasecmp(repo, s->org, strlen(s->org)) == 0;
}

static json_t *fail(enum wh_verdict *v, enum wh_verdict what, json_t *rec, char *err, size_t errlen,
                    const char *msg)
{
	*v = what;
	snprintf(err, errlen, "%s", msg);
	json_decref(rec);
	return NULL;
}

json_t *wh_job_record(const char *body, size_t len, const struct wh_scope *scope,
                      const struct wh_pool *pools, size_t npools, enum wh_verdict *verdict,
                      char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		*verdict = WH_BAD;
		snprintf(err, errlen, "malformed JSON: %s (line %d)", je.text, je.line);
		return NULL;
	}
	json_t *rec = json_object();
	const json_t *job = json_object_get(root, "workflow_job");
	const char *action = json_string_value(json_object_get(root, "action"));
	const json_t *id = json_object_get(job, "id"), *run = json_object_get(job, "run_id");
	const json_t *labels = json_object_get(job, "labels");
	const char *repo = json_string_value(json_object_get(json_object_get(root, "repository"), "full_name"));
	json_t *out = NULL;
	if (!json_is_object(root) || !json_is_object(job) || !action || !json_is_integer(id)
	    || json_integer_value(id) <= 0 || !json_is_array(labels) || !repo || !strchr(repo, '/'))
		out = fail(verdict, WH_BAD, rec, err, errlen,
		           "not a workflow_job payload (action, workflow_job.id, labels, repository.full_name)");
	else if (!in_scope(root, repo, scope)) {
		char msg[400];
		snprintf(msg, sizeof(msg), "repository %.200s is outside github.path", repo);
		out = fail(verdict, WH_FOREIGN, rec, err, errlen, msg);
	} else {
		json_t *lab = json_array();
		size_t i;
		const json_t *l;
		int bad = 0;
		json_array_foreach(labels, i, l) {
			if (!json_is_string(l) || json_string_length(l) == 0 || json_string_length(l) > 255) {
				bad = 1;
				break;
			}
			char buf[256];
			snprintf(buf, sizeof(buf), "%s", json_string_value(l));
			lower(buf);
			json_array_append_new(lab, json_string(buf));
		}
		json_object_set_new(rec, "action", json_string(action));
		json_object_set_new(rec, "job_id", json_integer(json_integer_value(id)));
		json_object_set_new(rec, "run_id", json_integer(json_is_integer(run) ? json_integer_value(run) : 0));
		json_object_set_new(rec, "repo", json_string(repo));
		json_object_set_new(rec, "labels", lab);
		copy_str(rec, "runner_name", job, "runner_name");
		copy_str(rec, "workflow", job, "workflow_name");
		copy_str(rec, "created_at", job, "created_at");
		copy_str(rec, "started_at", job, "started_at");
		copy_str(rec, "completed_at", job, "completed_at");
		copy_str(rec, "conclusion", job, "conclusion");
		if (bad || strlen(action) > 40)
			out = fail(verdict, WH_BAD, rec, err, errlen, "labels must be short strings; action too long");
		else {
			char why[512];
			const struct wh_pool *p = wh_route(pools, npools, lab, 1, why, sizeof(why));
			if (p)
				json_object_set_new(rec, "pool", json_string(p->name));
			else
				json_object_set_new(rec, "dead_reason", json_string(why));
			*verdict = WH_OK;
			out = rec;
		}
	}
	json_decref(root);
	return out;
}
