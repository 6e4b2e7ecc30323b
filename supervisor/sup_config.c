/* What each worker gets from the config: its settings (table defaults overridden by
 * workers.<name>.*), its slice (the sections the table lists), its secret, and the
 * bootstrap that carries them on fd 3.  The digest of all that is what a reload compares
 * to decide which workers to restart. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/jsonwipe.h"
#include "supervisor/sup.h"

void sup_instance_name(const struct sup_def *def, int index, int count, char *out, size_t len)
{
	if (count == 1)
		snprintf(out, len, "%s", def->name);
	else
		snprintf(out, len, "%s.%d", def->name, index);
}

static const char *override_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int sup_settings_for(const json_t *cfg, const struct sup_def *def, struct sup_settings *out,
                     char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const json_t *o = json_object_get(json_object_get(cfg, "workers"), def->name);
	const char *exec = override_str(o, "exec");
	if (exec && *exec) {
		snprintf(out->exec, sizeof(out->exec), "%s", exec);
	} else {
		char dir[4096];
		const char *libexec = cfg_str(cfg, "supervisor.libexec_dir");
		if (!libexec || !*libexec)
			libexec = sup_default_libexec(dir, sizeof(dir));
		snprintf(out->exec, sizeof(out->exec), "%s/%s", libexec, def->exec_name);
	}
	json_t *args = json_object_get(o, "args");
	out->args = json_is_array(args) ? json_deep_copy(args) : json_array();
	json_t *n = json_object_get(o, "instances");
	out->instances = n ? (int)json_integer_value(n) : def->instances;
	const char *on = def->enabled_by ? cfg_str(cfg, def->enabled_by) : NULL;
	if (!n && def->enabled_by && (!on || !*on))
		out->instances = 0;
	const char *user = override_str(o, "user"), *group = override_str(o, "group");
	snprintf(out->user, sizeof(out->user), "%s", user ? user : cfg_str(cfg, "supervisor.user") ?: "");
	snprintf(out->group, sizeof(out->group), "%s",
	         group ? group : cfg_str(cfg, "supervisor.group") ?: "");
	json_t *t = json_object_get(o, "shutdown_timeout");
	out->shutdown_timeout_ms = t ? json_integer_value(t) : def->shutdown_timeout_ms;
	const char *restart = override_str(o, "restart");
	out->restart = restart ? (strcmp(restart, "transient") == 0 ? SUP_TRANSIENT : SUP_PERMANENT)
	                       : def->restart;
	json_t *e = json_object_get(o, "essential");
	out->essential = e ? json_is_true(e) : def->essential;
	if (out->instances > 0 && access(out->exec, X_OK) < 0) {
		snprintf(err, errlen, "workers.%s: cannot execute %s: %s", def->name, out->exec,
		         strerror(errno));
		return -1;
	}
	return 0;
}

/* Copy cfg[path] into slice[path], creating the parent objects ("github.path"). */
static void copy_path(json_t *slice, const json_t *cfg, const char *path)
{
	json_t *v = cfg_get(cfg, path);
	if (!v)
		return;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *dst = slice;
	char *save = NULL, *part = strtok_r(buf, ".", &save), *next;
	while (part && (next = strtok_r(NULL, ".", &save))) {
		json_t *child = json_object_get(dst, part);
		if (!json_is_object(child)) {
			child = json_object();
			json_object_set_new(dst, part, child);
		}
		dst = child;
		part = next;
	}
	if (part)
		json_object_set_new(dst, part, json_deep_copy(v));
}

json_t *sup_slice_for(const json_t *cfg, const struct sup_def *def)
{
	json_t *slice = json_object();
	for (const char *const *p = def->sections; *p; p++)
		copy_path(slice, cfg, *p);
	return slice;
}

json_t *sup_secret_for(const json_t *cfg, const struct sup_def *def, char *err, size_t errlen)
{
	return def->secret ? def->secret(cfg, err, errlen) : json_null();
}

/* Checks beyond the schema: worker names exist, and every enabled worker's executable
 * and secret can be had now (so `ghrd -n` catches a missing token file). */
int sup_config_check(const json_t *cfg, char *err, size_t errlen)
{
	const char *run_dir = cfg_str(cfg, "run_dir");
	if (run_dir && strlen(run_dir) > SUP_RUN_DIR_MAX) {
		snprintf(err, errlen, "run_dir: longer than %d bytes (socket paths are short)",
		         SUP_RUN_DIR_MAX);
		return -1;
	}
	const char *name;
	json_t *v;
	json_object_foreach(json_object_get(cfg, "workers"), name, v) {
		if (!sup_def_find(name)) {
			size_t n;
			const struct sup_def *defs = sup_defs(&n);
			char known[256] = "";
			for (size_t i = 0; i < n; i++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
				         i ? ", " : "", defs[i].name);
			snprintf(err, errlen, "workers.%s: no such worker (known: %s)", name, known);
			return -1;
		}
	}
	size_t n;
	const struct sup_def *defs = sup_defs(&n);
	for (size_t i = 0; i < n; i++) {
		struct sup_settings st;
		int r = sup_settings_for(cfg, &defs[i], &st, err, errlen);
		json_decref(st.args);
		if (r < 0)
			return -1;
		if (st.instances < 0 || st.instances > defs[i].max_instances) {
			snprintf(err, errlen, "workers.%s.instances: %d is out of range (0 to %d%s)",
			         defs[i].name, st.instances, defs[i].max_instances,
			         defs[i].max_instances == 1 ? ": this worker is a singleton" : "");
			return -1;
		}
		if (st.instances == 0)
			continue;
		json_t *secret = sup_secret_for(cfg, &defs[i], err, errlen);
		if (!secret)
			return -1;
		jsonwipe(secret);
		json_decref(secret);
	}
	return 0;
}

json_t *sup_config_load(const char *path, char *err, size_t errlen)
{
	json_t *cfg = config_load_file(path, err, errlen);
	if (cfg && sup_config_check(cfg, err, errlen) < 0) {
		json_decref(cfg);
		return NULL;
	}
	return cfg;
}

json_t *sup_bootstrap_json(const struct sup *s, const struct sup_worker *w, const char *token,
                           json_t *secret)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:{s:s, s:s, s:s}, s:O, s:O}",
	                 "v", 1, "name", w->def->name, "instance", w->name, "token", token,
	                 "bus", s->bus_ep,
	                 "heartbeat_ms", (json_int_t)cfg_int(s->cfg, "supervisor.heartbeat"),
	                 "user", w->set.user, "group", w->set.group,
	                 "log", "level", cfg_str(s->cfg, "log.level") ?: "info",
	                 "format", cfg_str(s->cfg, "log.format") ?: "text",
	                 "file", cfg_str(s->cfg, "log.file") ?: "",
	                 "config", w->slice, "secret", secret ? secret : json_null());
}

/* SHA-256 of the bootstrap without its token, plus the settings that do not travel in
 * it (executable, arguments, shutdown timeout). */
int sup_digest(const struct sup *s, const struct sup_worker *w, const json_t *secret,
               unsigned char out[32])
{
	json_t *b = sup_bootstrap_json(s, w, "", (json_t *)secret);
	if (!b)
		return -1;
	json_object_set_new(b, "exec", json_string(w->set.exec));
	json_object_set(b, "args", w->set.args);
	json_object_set_new(b, "shutdown_timeout", json_integer(w->set.shutdown_timeout_ms));
	char *text = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(b);
	if (!text)
		return -1;
	unsigned int len = 0;
	int r = EVP_Digest(text, strlen(text), out, &len, EVP_sha256(), NULL) == 1 ? 0 : -1;
	explicit_bzero(text, strlen(text));
	free(text);
	return r;
}
