/* Fuzz the image builder's reading of a console log (bytes a builder VM wrote, through
 * Nova) and the checks of the values it puts into the builder script (a GitHub reply):
 * any bytes in, a verdict out, never a crash; the detail is always a printable string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "workers/image-builder/ib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char detail[64];
	enum ib_console r = ib_console_result((const char *)data, size, "0badcafe", detail, sizeof detail);
	if (r != IB_CONSOLE_NONE && r != IB_CONSOLE_OK && r != IB_CONSOLE_FAILED)
		abort();
	if (!memchr(detail, 0, sizeof detail))
		abort();
	for (const char *p = detail; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
	/* the same bytes as the version, URL and checksum GitHub named */
	char *s = malloc(size + 1), err[256];
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	json_t *pk = json_pack("[s]", "git");
	struct ib_script_params p = { .build_id = "0badcafe", .image_name = "runner", .runner_version = s,
	                              .runner_url = s, .runner_sha256 = s, .packages = pk };
	char *script = ib_script_render(&p, err, sizeof err);
	free(script);
	json_decref(pk);
	free(s);
	return 0;
}
