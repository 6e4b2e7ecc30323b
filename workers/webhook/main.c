/* The webhook worker: see wh.h and wh_worker.c. */
#include "workers/webhook/wh.h"

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &wh_worker_def);
}
