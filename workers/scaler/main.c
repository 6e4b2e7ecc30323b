/* scaler: keeps each pool at its target (DESIGN.md §5).  Holds no secret. */
#include "workers/runtime/worker.h"

extern const struct worker_def sc_worker_def;

int main(int argc, char **argv)
{
	return worker_main(argc, argv, &sc_worker_def);
}
