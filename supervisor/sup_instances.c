/* The instance list, built from the table and the config, and rebuilt on reload.
 *
 * A reload keeps every instance whose digest (slice + secret + settings) is unchanged
 * running untouched, restarts those whose digest changed, starts new instances and stops
 * (then forgets) instances the new config no longer has.  A config that does not load is
 * refused as a whole: the running one stays. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/jsonwipe.h"
#include "common/log.h"
#include "supervisor/sup.h"

/* New instance records for the config (not started).  Returns the count or -1. */
static int make_instances(struct sup *s, const json_t *cfg, struct sup_worker ***out,
                          char *err, size_t errlen)
{
	size_t nd;
	const struct sup_def *defs = sup_defs(&nd);
	struct sup_worker **list = NULL;
	size_t n = 0;
	for (size_t d = 0; d < nd; d++) {
		struct sup_settings set;
		if (sup_settings_for(cfg, &defs[d], &set, err, errlen) < 0) {
			json_decref(set.args);
			goto fail;
		}
		json_t *secret = set.instances > 0 ? sup_secret_for(cfg, &defs[d], err, errlen) : NULL;
		if (set.instances > 0 && !secret) {
			json_decref(set.args);
			goto fail;
		}
		for (int i = 1; i <= set.instances; i++) {
			struct sup_worker *w = calloc(1, sizeof(*w));
			struct sup_worker **nl = realloc(list, (n + 1) * sizeof(*list));
			if (!w || !nl) {
				free(w);
				if (nl)
					list = nl;
				snprintf(err, errlen, "out of memory");
				jsonwipe(secret);
				json_decref(secret);
				json_decref(set.args);
				goto fail;
			}
			list = nl;
			w->sup = s;
			w->def = &defs[d];
			w->set = set;
			w->set.args = json_deep_copy(set.args);
			w->boot_fd = -1;
			sup_instance_name(&defs[d], i, set.instances, w->name, sizeof(w->name));
			w->slice = sup_slice_for(cfg, &defs[d]);
			list[n++] = w;
		}
		json_decref(set.args);
		/* digest needs s->cfg == cfg; computed by the caller through fill_digests */
		for (size_t k = n - (size_t)set.instances; set.instances > 0 && k < n; k++) {
			const json_t *saved = s->cfg;
			s->cfg = (json_t *)cfg;
			sup_digest(s, list[k], secret, list[k]->digest);
			s->cfg = (json_t *)saved;
		}
		jsonwipe(secret);
		json_decref(secret);
	}
	*out = list;
	return (int)n;
fail:
	for (size_t i = 0; i < n; i++) {
		json_decref(list[i]->set.args);
		json_decref(list[i]->slice);
		free(list[i]);
	}
	free(list);
	return -1;
}

int sup_instances_build(struct sup *s, const json_t *cfg, char *err, size_t errlen)
{
	struct sup_worker **list;
	int n = make_instances(s, cfg, &list, err, errlen);
	if (n < 0)
		return -1;
	s->workers = list;
	s->n_workers = (size_t)n;
	return 0;
}

static void forget(struct sup_worker *w)
{
	json_decref(w->set.args);
	json_decref(w->slice);
	free(w);
}

int sup_reload(struct sup *s, json_t *restarted, char *err, size_t errlen)
{
	if (s->shutting_down) {
		snprintf(err, errlen, "ghrd is stopping");
		return -1;
	}
	json_t *cfg = sup_config_load(s->config_path, err, errlen);
	if (!cfg)
		return -1;
	gid_t admin_gid;
	if (sup_admin_gid(cfg, &admin_gid, err, errlen) < 0) {
		json_decref(cfg);
		return -1;
	}
	const char *run_dir = cfg_str(cfg, "run_dir");
	if (run_dir && strcmp(run_dir, s->run_dir) != 0)
		log_warn("run_dir changes take effect only when ghrd restarts", "run_dir=%s",
		         log_q(run_dir));
	struct sup_worker **fresh;
	int n = make_instances(s, cfg, &fresh, err, errlen);
	if (n < 0) {
		json_decref(cfg);
		return -1;
	}
	/* New list: fresh records replace old ones of the same name (keeping the process). */
	struct sup_worker **list = calloc((size_t)n + s->n_workers + 1, sizeof(*list));
	if (!list) {
		snprintf(err, errlen, "out of memory");
		for (int i = 0; i < n; i++)
			forget(fresh[i]);
		free(fresh);
		json_decref(cfg);
		return -1;
	}
	json_t *old_cfg = s->cfg;
	s->cfg = cfg;
	s->admin_gid = admin_gid;
	memset(s->cred_cache, 0, sizeof(s->cred_cache));   /* rights follow the new group */
	sup_control_admin_group(s);
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		struct sup_worker *nw = fresh[i], *ow = sup_worker_find(s, nw->name);
		if (ow && !ow->remove_after_stop) {
			int changed = memcmp(ow->digest, nw->digest, sizeof(nw->digest)) != 0;
			json_decref(ow->set.args);
			json_decref(ow->slice);
			ow->set = nw->set;
			ow->slice = nw->slice;
			ow->def = nw->def;
			memcpy(ow->digest, nw->digest, sizeof(ow->digest));
			free(nw);
			list[k++] = ow;
			if (changed) {
				log_info("worker config changed, restarting it", "worker=%s", ow->name);
				json_array_append_new(restarted, json_string(ow->name));
				sup_restart_now(s, ow);
			}
		} else {
			list[k++] = nw;
			json_array_append_new(restarted, json_string(nw->name));
			log_info("new worker instance", "worker=%s", nw->name);
			nw->state = SUP_W_STOPPED;
			nw->restart_after_stop = 1;   /* started below, once the list is in place */
		}
	}
	free(fresh);
	/* Instances that are gone: stop them, forget them once exited. */
	for (size_t i = 0; i < s->n_workers; i++) {
		struct sup_worker *ow = s->workers[i];
		int kept = 0;
		for (size_t j = 0; j < k; j++)
			kept |= list[j] == ow;
		if (kept)
			continue;
		if (ow->pid > 0) {
			log_info("worker instance removed by the new config, stopping it", "worker=%s",
			         ow->name);
			ow->remove_after_stop = 1;
			sup_stop(s, ow);
			list[k++] = ow;
		} else {
			forget(ow);
		}
	}
	free(s->workers);
	s->workers = list;
	s->n_workers = k;
	for (size_t i = 0; i < k; i++)
		if (list[i]->state == SUP_W_STOPPED && list[i]->restart_after_stop && list[i]->pid <= 0)
			sup_start(s, list[i]);
	enum log_level lvl;
	if (log_level_parse(cfg_str(cfg, "log.level"), &lvl) == 0)
		log_set_level(lvl);
	json_decref(old_cfg);
	log_info("config reloaded", "restarted=%zu", json_array_size(restarted));
	return 0;
}
