/* The openstack worker executable (see os.h). */
#include "workers/openstack/os.h"

extern const struct worker_def os_worker_def;

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &os_worker_def);
}
