/* Privileges: a worker started by a root ghrd becomes its configured user and group
 * before it opens any connection, and every worker makes itself undumpable (no ptrace
 * or /proc/PID/mem by peers of the same uid, no core file holding its secret) and
 * unable to gain privileges through setuid binaries. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/ids.h"
#include "workers/runtime/worker_int.h"

int worker_privs_drop(const char *user, const char *group, char *err, size_t errlen)
{
	if (geteuid() != 0 || ((!user || !*user) && (!group || !*group)))
		return 0;
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (ids_lookup(user, group, &uid, &gid, err, errlen) < 0)
		return -1;
	/* Order matters: groups first (needs root), then gid, then uid. */
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
		snprintf(err, errlen, "cannot become uid %u gid %u: %s", (unsigned)uid, (unsigned)gid,
		         strerror(errno));
		return -1;
	}
	return worker_privs_verify(uid, gid, err, errlen);
}

/* A partial drop must not go unnoticed. */
int worker_privs_verify(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		snprintf(err, errlen, "cannot read own ids: %s", strerror(errno));
		return -1;
	}
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
		snprintf(err, errlen, "ids after the drop are uid %u/%u/%u gid %u/%u/%u, not %u/%u",
		         (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg,
		         (unsigned)sg, (unsigned)uid, (unsigned)gid);
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "root could be regained after dropping it");
		return -1;
	}
	if (uid != 0 && gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
		snprintf(err, errlen, "group root could be regained after dropping it");
		return -1;
	}
	return 0;
}

int worker_privs_harden(char *err, size_t errlen)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "prctl: %s", strerror(errno));
		return -1;
	}
	return 0;
}
