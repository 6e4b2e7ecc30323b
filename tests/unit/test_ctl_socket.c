/* Which control socket ghr-ctl picks in a run directory (supervisor/ctl/ctl_socket.c):
 * the admin socket when it may be opened, the public one otherwise. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "supervisor/ctl/ctl.h"
#include "tests/unit/unit.h"

static void test_admin_socket_when_it_may_be_opened(void)
{
	char dir[] = "/tmp/ghr-ctl-socket-XXXXXX", admin[96], want[128], out[128];
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(want, sizeof(want), "ipc://%s/control", dir);
	CU_ASSERT_STRING_EQUAL(ctl_pick_socket(dir, out, sizeof(out)), want);   /* none there */
	snprintf(admin, sizeof(admin), "%s/control.admin", dir);
	int fd = open(admin, O_CREAT | O_WRONLY, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	snprintf(want, sizeof(want), "ipc://%s/control.admin", dir);
	CU_ASSERT_STRING_EQUAL(ctl_pick_socket(dir, out, sizeof(out)), want);
	unlink(admin);
	rmdir(dir);
}

UNIT_SUITE(ctl_socket,
	UNIT_TEST(test_admin_socket_when_it_may_be_opened))
