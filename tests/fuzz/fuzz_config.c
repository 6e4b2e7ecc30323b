/* Fuzz the config loader: any text in, a tree or one error line out.  A loaded tree
 * must carry the keys the schema requires. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/config.h"

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
	json_t *c = config_load_string(text, "fuzz.yaml", err, sizeof(err));
	if (c) {
		if (!cfg_str(c, "manager_id") || !cfg_str(c, "github.path") || !cfg_str(c, "openstack.cloud"))
			abort();
		json_decref(c);
	} else if (strncmp(err, "fuzz.yaml:", 10) != 0) {
		abort();     /* every error names the file */
	}
	free(text);
	return 0;
}
