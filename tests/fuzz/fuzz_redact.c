/* Fuzz redaction: any text in; the result must be a string, and a registered literal
 * must never survive in it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/redact.h"

#define LITERAL "fuzz-literal-secret"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int registered;
	if (!registered) {
		redact_add_secret(LITERAL);
		registered = 1;
	}
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	char *r = redact_dup(s);
	if (!r || strstr(r, LITERAL))
		abort();
	char small[64];
	redact_into(s, small, sizeof(small));
	if (strlen(small) >= sizeof(small))
		abort();
	free(r);
	free(s);
	return 0;
}
