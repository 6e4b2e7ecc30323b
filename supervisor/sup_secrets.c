/* Secret loaders (see sup_secrets.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clouds.h"
#include "common/config.h"
#include "supervisor/sup_secrets.h"

#define TOKEN_MAX (64 * 1024)
#define PEM_MAX (256 * 1024)

char *sup_secret_read_file(const char *path, size_t max, int trim, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		snprintf(err, errlen, "%s: %s", path,
		         S_ISREG(st.st_mode) ? "file too large" : "not a regular file");
		close(fd);
		return NULL;
	}
	size_t cap = (size_t)st.st_size, len = 0;
	char *buf = malloc(cap + 1);
	while (buf && len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	buf[len] = 0;
	while (trim && len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	                           buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = 0;
	if (len == 0 || strlen(buf) != len) {
		snprintf(err, errlen, "%s: %s", path, len == 0 ? "empty" : "contains a NUL byte");
		explicit_bzero(buf, cap + 1);
		free(buf);
		return NULL;
	}
	return buf;
}

static json_t *wrap(const char *key, char *value)
{
	json_t *o = json_object();
	json_t *s = json_string(value);
	explicit_bzero(value, strlen(value));
	free(value);
	if (!o || !s || json_object_set_new(o, key, s) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* {"token": "..."} for a personal access token, {"app_private_key": "PEM"} for an App. */
json_t *sup_secret_github(const json_t *cfg, char *err, size_t errlen)
{
	const char *token_file = cfg_str(cfg, "github.auth.token_file");
	const char *key_file = cfg_str(cfg, "github.auth.app_private_key_file");
	char why[512];
	if (token_file && *token_file) {
		char *t = sup_secret_read_file(token_file, TOKEN_MAX, 1, why, sizeof(why));
		if (!t) {
			snprintf(err, errlen, "github.auth.token_file: %s", why);
			return NULL;
		}
		return wrap("token", t);
	}
	if (key_file && *key_file) {
		char *k = sup_secret_read_file(key_file, PEM_MAX, 0, why, sizeof(why));
		if (!k) {
			snprintf(err, errlen, "github.auth.app_private_key_file: %s", why);
			return NULL;
		}
		return wrap("app_private_key", k);
	}
	snprintf(err, errlen, "github.auth: token_file or app_private_key_file is required");
	return NULL;
}

/* The clouds.yaml entry, normalised by os_clouds_load(). */
json_t *sup_secret_openstack(const json_t *cfg, char *err, size_t errlen)
{
	const char *path = cfg_str(cfg, "openstack.clouds_yaml");
	const char *cloud = cfg_str(cfg, "openstack.cloud");
	if (!cloud) {
		snprintf(err, errlen, "openstack.cloud is required");
		return NULL;
	}
	return os_clouds_load(path, cloud, err, errlen);
}
