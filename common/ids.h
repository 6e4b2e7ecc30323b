/* ids — user and group names to ids, as a process about to switch to them needs them. */
#ifndef GHR_IDS_H
#define GHR_IDS_H

#include <stddef.h>
#include <sys/types.h>

/* A non-empty user sets *uid and *gid (its primary group); a non-empty group then sets
 * *gid.  Empty names leave what the caller put there.  -1 with err naming the user or
 * group that does not exist. */
int ids_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid, char *err,
               size_t errlen);

#endif
