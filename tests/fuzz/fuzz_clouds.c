/* Fuzz the clouds.yaml reader: any text in, one cloud entry or one error line out.
 * An entry that loads must carry what its auth type needs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/clouds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	char err[512];
	err[0] = 0;
	json_t *e = os_clouds_load_string(text, size, "fuzz.yaml", "c", err, sizeof(err));
	if (e) {
		const json_t *auth = json_object_get(e, "auth");
		if (!json_is_object(auth) || !json_is_string(json_object_get(auth, "auth_url")))
			abort();
		os_clouds_wipe(e);
	} else if (strncmp(err, "fuzz.yaml", 9) != 0) {
		abort();     /* every error names the file */
	}
	free(text);
	return 0;
}
