#include "workers/metrics/metrics.h"

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &metrics_worker_def);
}
