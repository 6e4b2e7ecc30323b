/* The github worker: see gh.h and gh_worker.c. */
#include "workers/github/gh.h"

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &gh_worker_def);
}
