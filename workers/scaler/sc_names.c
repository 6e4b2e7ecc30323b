/* Runner names (see sc_names.h). */
#include <stdio.h>
#include <string.h>
#include "common/util.h"
#include "workers/scaler/sc_names.h"

int sc_name_part_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

static int is_suffix(const char *s)
{
	if (strlen(s) != SC_SUFFIX_HEX)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

int sc_name_make(char *out, size_t outsz, const char *manager_id, const char *pool,
                 const char *suffix)
{
	if (!sc_name_part_ok(manager_id, SC_NAME_MAX) || !sc_name_part_ok(pool, SC_POOL_MAX - 1)
	    || !suffix || !is_suffix(suffix))
		return -1;
	int n = snprintf(out, outsz, "%s-%s-%s", manager_id, pool, suffix);
	if (n < 0 || (size_t)n >= outsz || n > SC_NAME_MAX - 1)
		return -1;
	return 0;
}

int sc_name_new(char *out, size_t outsz, const char *manager_id, const char *pool)
{
	char hex[SC_SUFFIX_HEX + 1];
	random_hex(hex, SC_SUFFIX_HEX / 2);
	return sc_name_make(out, outsz, manager_id, pool, hex);
}

int sc_name_parse(const char *name, const char *manager_id, char *pool, size_t poolsz)
{
	if (!name || !manager_id)
		return -1;
	size_t n = strlen(name), m = strlen(manager_id);
	/* manager "-" pool(>=1) "-" 8 hex */
	if (n > SC_NAME_MAX - 1 || n < m + 1 + 1 + 1 + SC_SUFFIX_HEX)
		return -1;
	if (strncmp(name, manager_id, m) != 0 || name[m] != '-')
		return -1;
	if (name[n - SC_SUFFIX_HEX - 1] != '-' || !is_suffix(name + n - SC_SUFFIX_HEX))
		return -1;
	size_t plen = n - SC_SUFFIX_HEX - 1 - (m + 1);
	if (plen == 0 || plen >= poolsz || plen > SC_POOL_MAX - 1)
		return -1;
	char tmp[SC_POOL_MAX];
	memcpy(tmp, name + m + 1, plen);
	tmp[plen] = 0;
	if (!sc_name_part_ok(tmp, SC_POOL_MAX - 1))
		return -1;
	memcpy(pool, tmp, plen + 1);
	return 0;
}

void sc_copy(char *dst, const char *src, size_t size)
{
	size_t i = 0;
	if (size == 0)
		return;
	for (; src && src[i] && i + 1 < size; i++)
		dst[i] = src[i];
	dst[i] = 0;
}
