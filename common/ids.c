/* ids — see ids.h. */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>

#include "common/ids.h"

int ids_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid, char *err,
               size_t errlen)
{
	if (user && *user) {
		struct passwd *pw = getpwnam(user);
		if (!pw) {
			snprintf(err, errlen, "user \"%s\" does not exist", user);
			return -1;
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (group && *group) {
		struct group *gr = getgrnam(group);
		if (!gr) {
			snprintf(err, errlen, "group \"%s\" does not exist", group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}
