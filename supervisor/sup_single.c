/* One ghrd per run_dir: an flock on <run_dir>/ghrd.lock, and a probe of each control
 * socket (something answering a plain connect() means another ghrd is serving there,
 * even one whose lock file was removed).  A socket file nobody listens on is stale and
 * removed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor/sup.h"

static int control_answers(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r == 0;
}

int sup_single_lock(struct sup *s, char *err, size_t errlen)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/ghrd.lock", s->run_dir);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (s->lock_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "another ghrd is running on %s (%s is locked)", s->run_dir, path);
		close(s->lock_fd);
		s->lock_fd = -1;
		return -1;
	}
	for (int i = 0; i < SUP_CTL_COUNT; i++)
		if (control_answers(s->ctl[i].path)) {
			snprintf(err, errlen, "another ghrd is running on %s (%s answers)", s->run_dir,
			         s->ctl[i].path);
			close(s->lock_fd);
			s->lock_fd = -1;
			return -1;
		}
	for (int i = 0; i < SUP_CTL_COUNT; i++)
		unlink(s->ctl[i].path);   /* stale */
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	/* The pid in the lock file is informative only: failures do not matter. */
	if (ftruncate(s->lock_fd, 0) == 0 && write(s->lock_fd, pid, (size_t)n) != n)
		return 0;
	return 0;
}

void sup_single_unlock(struct sup *s)
{
	if (s->lock_fd >= 0) {
		close(s->lock_fd);
		s->lock_fd = -1;
	}
}
