/* Secrets of the reactive-job workers (webhook, reactive-consumer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/jsonwipe.h"
#include "supervisor/sup_secrets.h"

#define SECRET_MAX (64 * 1024)

/* Read the file named at cfg[path] into obj[key] (trimmed when trim); the plain copy
 * is wiped. */
static int put_file_as(json_t *obj, const char *key, const json_t *cfg, const char *path, int trim,
                       char *err, size_t errlen)
{
	const char *file = cfg_str(cfg, path);
	char why[512];
	if (!file || !*file) {
		snprintf(err, errlen, "%s is required", path);
		return -1;
	}
	char *v = sup_secret_read_file(file, SECRET_MAX, trim, why, sizeof(why));
	if (!v) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	json_t *s = json_string(v);
	explicit_bzero(v, strlen(v));
	free(v);
	if (!s || json_object_set_new(obj, key, s) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int put_file(json_t *obj, const char *key, const json_t *cfg, const char *path, char *err, size_t errlen)
{
	return put_file_as(obj, key, cfg, path, 1, err, errlen);
}

json_t *sup_secret_webhook(const json_t *cfg, char *err, size_t errlen)
{
	json_t *o = json_object();
	const char *key_file = cfg_str(cfg, "webhook.tls_key_file");
	if (put_file(o, "webhook_secret", cfg, "webhook.secret_file", err, errlen) != 0
	    || put_file(o, "mongodb_uri", cfg, "reactive.mongodb_uri_file", err, errlen) != 0
	    /* the TLS key, root's only like the others: the PEM text as it is */
	    || (key_file && *key_file
	        && put_file_as(o, "tls_key", cfg, "webhook.tls_key_file", 0, err, errlen) != 0)) {
		jsonwipe(o);
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *sup_secret_reactive(const json_t *cfg, char *err, size_t errlen)
{
	json_t *o = json_object();
	if (put_file(o, "mongodb_uri", cfg, "reactive.mongodb_uri_file", err, errlen) != 0) {
		jsonwipe(o);
		json_decref(o);
		return NULL;
	}
	return o;
}
