/* The image-builder worker executable. */
#include "workers/image-builder/ib.h"

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &ib_worker_def);
}
