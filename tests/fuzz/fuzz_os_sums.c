/* Fuzz the reading of a SHA256SUMS file (bytes from a web server): any bytes in, a
 * checksum or "not listed" out, never a crash; a checksum is always 64 lower-case hex. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "workers/openstack/os.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = { "noble-server-cloudimg-amd64.img", "x", "a b" };
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char out[65];
		int rc = os_sha256sums_find((const char *)data, size, files[f], out);
		if (rc == 0 && (strlen(out) != 64 || strspn(out, "0123456789abcdef") != 64))
			abort();
		if (rc != 0 && (rc != 1 || out[0]))
			abort();
	}
	return 0;
}
