/* The builder VM's user data: scripts/builder-user-data.sh.in (embedded with .incbin,
 * paths relative to the source root where make runs) with its placeholders replaced
 * through shtpl, every value a single-quoted sh string.  Values are also checked for
 * shape, so that a bad reply from GitHub or a bad package name is an error naming it,
 * never a script that fails in the cloud half an hour later. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/sbuf.h"
#include "common/shtpl.h"
#include "workers/image-builder/ib.h"

__asm__(
	".pushsection .rodata\n"
	".balign 16\n"
	".hidden ib_tpl_start_\n.globl ib_tpl_start_\n"
	"ib_tpl_start_:\n"
	".incbin \"scripts/builder-user-data.sh.in\"\n"
	".byte 0\n"
	".popsection\n");

extern const char ib_tpl_start_[];

const char *ib_script_template(void)
{
	return ib_tpl_start_;
}

#define IB_SCRIPT_MAX 49149      /* Nova takes 65535 bytes of base64 */

static int all_of(const char *s, const char *extra, int first_alnum)
{
	if (!s || !*s || (first_alnum && !isalnum((unsigned char)s[0])))
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || strchr(extra, *s)))
			return 0;
	return 1;
}

static int sha256_ok(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

static int url_ok(const char *s)
{
	if (!s || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) || strlen(s) > 1000)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

static char *join_packages(const json_t *packages, char *err, size_t errlen)
{
	struct sbuf b = { 0 };
	size_t i;
	const json_t *v;
	json_array_foreach(packages, i, v) {
		const char *p = json_string_value(v);
		/* Debian package names (policy 5.6.1), optionally =version */
		if (!all_of(p, "+-.=:~", 1) || strlen(p) > 100) {
			snprintf(err, errlen, "packages[%zu]: not a Debian package name", i);
			sbuf_wipe_free(&b);
			return NULL;
		}
		if (i)
			sbuf_put(&b, " ", 1);
		sbuf_put(&b, p, strlen(p));
	}
	char *s = sbuf_finish(&b);
	if (!s)
		snprintf(err, errlen, "out of memory");
	return s;
}

char *ib_script_render(const struct ib_script_params *p, char *err, size_t errlen)
{
	if (!all_of(p->runner_version, ".", 1) || strlen(p->runner_version) > 30) {
		snprintf(err, errlen, "runner version \"%.40s\" is not a version", p->runner_version ? p->runner_version : "");
		return NULL;
	}
	if (!sha256_ok(p->runner_sha256)) {
		snprintf(err, errlen, "runner checksum is not a SHA-256 in hex");
		return NULL;
	}
	if (!url_ok(p->runner_url)) {
		snprintf(err, errlen, "runner download URL is not an http(s) URL");
		return NULL;
	}
	char *pkgs = join_packages(p->packages, err, errlen);
	if (!pkgs)
		return NULL;
	struct shtpl_value vals[] = {
		{ .name = "BUILD_ID", .value = p->build_id, .single_line = 1 },
		{ .name = "IMAGE_NAME", .value = p->image_name, .single_line = 1 },
		{ .name = "RUNNER_VERSION", .value = p->runner_version, .single_line = 1 },
		{ .name = "RUNNER_URL", .value = p->runner_url, .single_line = 1 },
		{ .name = "RUNNER_CHECKSUM", .value = p->runner_sha256, .single_line = 1 },
		{ .name = "PACKAGES", .value = pkgs, .single_line = 1 },
		{ .name = "APROXY", .value = p->aproxy ? "true" : "false", .single_line = 1 },
	};
	struct sbuf b = { .first_cap = 8192 };
	int rc = shtpl_render(ib_script_template(), vals, sizeof(vals) / sizeof(vals[0]), &b, err, errlen);
	free(pkgs);
	if (rc == 0 && b.len > IB_SCRIPT_MAX) {
		snprintf(err, errlen, "builder script is %zu bytes, over the %d bytes Nova accepts", b.len, IB_SCRIPT_MAX);
		rc = -1;
	}
	if (rc != 0) {
		sbuf_wipe_free(&b);
		return NULL;
	}
	return sbuf_finish(&b);
}
