/* Fuzz the worker's bootstrap reader (what ghrd writes on fd 3): any bytes in, a
 * bootstrap or an error out; never a crash, and the secret is wiped either way. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "workers/runtime/worker_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int p[2];
	if (size > 60000 || pipe(p) < 0)      /* stays within one pipe buffer */
		return 0;
	if (write(p[1], data, size) != (ssize_t)size) {
		close(p[0]);
		close(p[1]);
		return 0;
	}
	close(p[1]);                          /* EOF after the input */
	struct worker_boot b;
	char err[256];
	if (worker_boot_read(p[0], &b, err, sizeof(err)) == 0) {
		if (!b.name || !b.instance || !b.bus)
			abort();
		worker_boot_wipe_secret(&b);
		json_decref(b.root);
	}
	close(p[0]);
	return 0;
}
