/* Secret loaders of the worker table: each reads the one secret its worker needs from
 * the files the config names, at the moment of handing it over (ghrd keeps no copy). */
#ifndef GHR_SUP_SECRETS_H
#define GHR_SUP_SECRETS_H

#include <stddef.h>
#include <jansson.h>

json_t *sup_secret_github(const json_t *cfg, char *err, size_t errlen);
json_t *sup_secret_openstack(const json_t *cfg, char *err, size_t errlen);
/* Reactive jobs: {"webhook_secret", "mongodb_uri", "tls_key"?} and {"mongodb_uri"}. */
json_t *sup_secret_webhook(const json_t *cfg, char *err, size_t errlen);
json_t *sup_secret_reactive(const json_t *cfg, char *err, size_t errlen);
/* Read a small secret file into a malloc'd string (trailing whitespace trimmed when
 * trim).  Never reallocs, so no stray copy of the secret is left in freed memory. */
char *sup_secret_read_file(const char *path, size_t max, int trim, char *err, size_t errlen);

#endif
