/* clouds — read one entry of an OpenStack clouds.yaml (the file operators already
 * have for the `openstack` CLI), with libyaml, and check it holds what its auth type
 * needs.
 *
 * ghrd calls os_clouds_load() when it loads its config (so `ghrd -n` reports a bad
 * clouds.yaml) and hands the result to the openstack worker as its secret.  The result
 * is a normalised JSON object:
 *
 *   {"auth_type": "password" | "v3applicationcredential",
 *    "auth": {"auth_url", "username"|"user_id", "password",
 *             "project_name"|"project_id", "user_domain_name"|"user_domain_id",
 *             "project_domain_name"|"project_domain_id",
 *             "application_credential_id"|"application_credential_name",
 *             "application_credential_secret"},     (only the keys that are set)
 *    "region_name": "..." (absent: any region), "interface": "public"|"internal"|"admin",
 *    "cacert": "/path" (absent: system bundle), "verify": true|false}
 *
 * Errors name the file, line and column and the key:
 *   /etc/openstack/clouds.yaml:7:5: clouds.prod.auth.password: required for auth_type password
 *
 * Known limits: secure.yaml is not merged, `profile:` (vendor defaults) is not applied,
 * and only the keys listed above are read (others are ignored, as openstacksdk does
 * for keys it does not know). */
#ifndef GHR_CLOUDS_H
#define GHR_CLOUDS_H

#include <stddef.h>
#include <jansson.h>

/* Largest clouds.yaml accepted. */
#define OS_CLOUDS_MAX_BYTES (1024 * 1024)

/* Load entry `cloud` of the clouds.yaml at path.  A NULL or empty path searches the
 * standard places: $OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
 * $XDG_CONFIG_HOME/openstack/clouds.yaml (or ~/.config/openstack/clouds.yaml),
 * /etc/openstack/clouds.yaml.  Returns a new object, or NULL with err filled.
 * The caller wipes the secrets with os_clouds_wipe() before dropping it. */
json_t *os_clouds_load(const char *clouds_yaml_path, const char *cloud, char *err, size_t errlen);

/* Same, from text in memory; `name` is used in error messages. */
json_t *os_clouds_load_string(const char *text, size_t len, const char *name,
                              const char *cloud, char *err, size_t errlen);

/* Overwrite what a libyaml parser still holds of its input (both input buffers and
 * queued scalar tokens) before yaml_parser_delete, which frees them unwiped. */
struct yaml_parser_s;
void os_clouds_wipe_parser(struct yaml_parser_s *parser);

/* Overwrite the password and secret strings of a loaded entry, then release it. */
void os_clouds_wipe(json_t *entry);

#endif
