/* The reactive-consumer worker: see rc.h and rc_worker.c. */
#include "workers/reactive-consumer/rc.h"

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &rc_worker_def);
}
