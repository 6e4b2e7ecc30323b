/* The runner boot script: scripts/runner-user-data.sh.in with its @PLACEHOLDERS@
 * replaced (one table maps each placeholder to its value), every value as a single-quoted
 * sh string so that no value (a label, a proxy URL with quotes or `$()`) can inject
 * shell.  The JIT config placeholder must appear exactly once in the template.
 * Values that end up in line-based files (.env, /etc/environment) may not hold a line
 * break; aproxy exclusions must be IPv4 addresses or CIDR ranges (loopback, link-local
 * and the private ranges are always excluded as well) and aproxy ports integers 1-65535.
 * Anything else is an error naming the value, never a silently broken script. */
#ifndef GHR_SC_USERDATA_H
#define GHR_SC_USERDATA_H

#include <stddef.h>
#include <jansson.h>

#define SC_USERDATA_MAX 49149      /* Nova takes 65535 bytes of base64 */

struct sc_ud_params {
	const char *runner_name;
	const char *pool;
	const json_t *labels;          /* array of strings */
	const char *github_path;
	const char *jit_config;        /* secret: only in the output, once */
	const json_t *runner;          /* the config's "runner" section (may be NULL) */
	const char *prejob_script;     /* NULL: the built-in scripts/pre-job.sh */
};

/* Render.  Returns a malloc'd script (free with secret_free: it holds the JIT config),
 * or NULL with err filled. */
char *sc_userdata_render(const char *tpl, const struct sc_ud_params *p, char *err, size_t errlen);

/* Is s an IPv4 address or CIDR range (a.b.c.d or a.b.c.d/n), strictly? */
int sc_ipv4_cidr_ok(const char *s);

#endif
