/* SHA256SUMS files, as Ubuntu publishes them beside its cloud images (pure; fuzzed). */
#include <ctype.h>
#include <string.h>
#include "workers/openstack/os.h"

int os_sha256sums_find(const char *text, size_t len, const char *file, char out[65])
{
	size_t flen = strlen(file);
	out[0] = 0;
	if (flen == 0)
		return 1;
	for (size_t pos = 0; pos < len;) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + 1;
		if (n && line[n - 1] == '\r')
			n--;
		/* "<64 hex><space><space or '*'><file name>" */
		if (n != 64 + 2 + flen || line[64] != ' ' || (line[65] != ' ' && line[65] != '*')
		    || memcmp(line + 66, file, flen) != 0)
			continue;
		size_t i;
		for (i = 0; i < 64 && isxdigit((unsigned char)line[i]); i++)
			out[i] = (char)tolower((unsigned char)line[i]);
		if (i == 64) {
			out[64] = 0;
			return 0;
		}
		out[0] = 0;
	}
	return 1;
}
