/* Which user and group each worker runs as, and whether the secret files are root's
 * only.  When ghrd starts as root, every worker drops to the user the config names for
 * it before it touches the network; by default each worker has a user of its own
 * ("ghr-{worker}", created by sysusers.d/ghr.conf), so that no worker can signal, trace
 * or read the memory of another.  Running workers as root must be asked for in so many
 * words (supervisor.run_workers_as_root: true); anything else is a configuration error
 * found by `ghrd -n` and at start (exit 78), not a worker that fails later. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/config.h"
#include "common/ids.h"
#include "supervisor/sup.h"

void sup_user_expand(const char *pattern, const char *worker, char *out, size_t len)
{
	const char *at = strstr(pattern, SUP_WORKER_PLACEHOLDER);
	if (!at) {
		snprintf(out, len, "%s", pattern);
		return;
	}
	snprintf(out, len, "%.*s%s%s", (int)(at - pattern), pattern, worker,
	         at + strlen(SUP_WORKER_PLACEHOLDER));
}

int sup_ids_resolve(const char *user, const char *group, uid_t *uid, gid_t *gid,
                    char *err, size_t errlen)
{
	*uid = 0;   /* empty names: root, as ghrd is when this matters */
	*gid = 0;
	return ids_lookup(user, group, uid, gid, err, errlen);
}

/* Calls fn for every worker that runs (instances > 0) with its settings. */
typedef int (*each_fn)(const json_t *cfg, const struct sup_def *def,
                       const struct sup_settings *st, void *arg);

static int each_enabled(const json_t *cfg, each_fn fn, void *arg)
{
	size_t n;
	const struct sup_def *defs = sup_defs(&n);
	for (size_t i = 0; i < n; i++) {
		struct sup_settings st;
		char ignored[256];   /* a missing executable is sup_config_check's error */
		sup_settings_for(cfg, &defs[i], &st, ignored, sizeof(ignored));
		int r = st.instances > 0 ? fn(cfg, &defs[i], &st, arg) : 0;
		json_decref(st.args);
		if (r < 0)
			return -1;
	}
	return 0;
}

struct user_check {
	char *err;
	size_t errlen;
};

static int check_one(const json_t *cfg, const struct sup_def *def, const struct sup_settings *st,
                     void *arg)
{
	struct user_check *c = arg;
	uid_t uid;
	gid_t gid;
	char why[160];
	if (sup_ids_resolve(st->user, st->group, &uid, &gid, why, sizeof(why)) < 0) {
		snprintf(c->err, c->errlen,
		         "workers.%s: %s (systemd-sysusers creates the shipped ones, see "
		         "sysusers.d/ghr.conf)", def->name, why);
		return -1;
	}
	if ((uid == 0 || gid == 0) && !cfg_bool(cfg, "supervisor.run_workers_as_root")) {
		snprintf(c->err, c->errlen,
		         "workers.%s would run as %s: give it a user and group of its own "
		         "(supervisor.user, supervisor.group), or set "
		         "supervisor.run_workers_as_root: true to accept that",
		         def->name, uid == 0 ? "root" : "group root");
		return -1;
	}
	return 0;
}

int sup_users_check(const json_t *cfg, int as_root, char *err, size_t errlen)
{
	if (!as_root)
		return 0;   /* workers run as ghrd's own user: there is nothing to drop to */
	struct user_check c = { err, errlen };
	return each_enabled(cfg, check_one, &c);
}

int sup_file_readable_by(uid_t owner, gid_t group, mode_t mode, uid_t uid, gid_t gid)
{
	if (uid == 0 || owner == uid)   /* the owner may chmod it whatever the mode */
		return 1;
	if (group == gid)
		return (mode & S_IRGRP) != 0;
	return (mode & S_IROTH) != 0;
}

struct file_check {
	const char *path;
	const char *key;
	struct stat st;
	sup_warn_fn warn;
	void *ctx;
	int warned;
};

static int file_vs_worker(const json_t *cfg, const struct sup_def *def,
                          const struct sup_settings *st, void *arg)
{
	struct file_check *f = arg;
	uid_t uid;
	gid_t gid;
	char why[160];
	if (f->warned || sup_ids_resolve(st->user, st->group, &uid, &gid, why, sizeof(why)) < 0 ||
	    uid == 0)
		return 0;   /* a missing user is sup_users_check's error; root reads anything */
	if (!sup_file_readable_by(f->st.st_uid, f->st.st_gid, f->st.st_mode, uid, gid))
		return 0;
	char msg[600];
	snprintf(msg, sizeof(msg),
	         "%s: %s (owner %u, group %u, mode %04o) is readable by worker %s (uid %u, gid %u); "
	         "secret files must be root's only (chown root:root, chmod 0600): ghrd hands "
	         "each worker its secret on fd 3", f->key, f->path, (unsigned)f->st.st_uid,
	         (unsigned)f->st.st_gid, (unsigned)(f->st.st_mode & 07777), def->name,
	         (unsigned)uid, (unsigned)gid);
	f->warn(f->ctx, msg);
	f->warned = 1;
	return 0;
}

/* Whether an earlier row of the table already names this key (workers may share one). */
static int key_seen_before(const struct sup_def *defs, size_t row, const char *key)
{
	for (size_t i = 0; i < row; i++)
		for (const char *const *k = defs[i].secret_files; k && *k; k++)
			if (strcmp(*k, key) == 0)
				return 1;
	return 0;
}

int sup_secret_files_check(const json_t *cfg, sup_warn_fn warn, void *ctx)
{
	int warnings = 0;
	size_t n;
	const struct sup_def *defs = sup_defs(&n);
	for (size_t i = 0; i < n; i++) {
		for (const char *const *k = defs[i].secret_files; k && *k; k++) {
			if (key_seen_before(defs, i, *k))
				continue;   /* checked once, against every enabled worker */
			struct file_check f = { .path = cfg_str(cfg, *k), .key = *k, .warn = warn,
			                        .ctx = ctx };
			if (!f.path || !*f.path || stat(f.path, &f.st) < 0)
				continue;   /* absent: the secret loader says so */
			each_enabled(cfg, file_vs_worker, &f);
			warnings += f.warned;
		}
	}
	return warnings;
}
