/* Which control socket of a run directory ghr-ctl uses: the admin socket when the caller
 * may open it (root, or a member of supervisor.admin_group: the file mode decides,
 * see ghrd(8)), so that nobody flooding the public socket keeps an operator out; the
 * public socket otherwise.  -s and GHR_CONTROL name one socket and are used as given. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/ctl/ctl.h"

const char *ctl_pick_socket(const char *run_dir, char *out, size_t len)
{
	snprintf(out, len, CTL_IPC "%s/" PROTO_CONTROL_ADMIN, run_dir);
	if (access(out + strlen(CTL_IPC), W_OK) == 0)
		return out;
	snprintf(out, len, CTL_IPC "%s/" PROTO_CONTROL_PUBLIC, run_dir);
	return out;
}
