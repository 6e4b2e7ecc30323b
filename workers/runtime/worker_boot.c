/* The bootstrap: one line of JSON that ghrd writes on fd 3 right after exec.
 *
 * ghrd keeps its end of the socketpair open for the worker's whole life, so the line is
 * terminated by '\n' rather than by EOF; EOF later means ghrd is gone.  The read is
 * bounded in size (WORKER_BOOT_MAX) and in time (BOOT_WAIT_MS): a ghrd that never writes
 * must not leave a worker blocked forever. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/jsonget.h"
#include "common/jsonwipe.h"
#include "common/redact.h"
#include "common/util.h"
#include "workers/runtime/worker_int.h"

#define BOOT_WAIT_MS 10000

void worker_boot_wipe_secret(struct worker_boot *b)
{
	if (!b->root || !b->secret)
		return;
	jsonwipe(b->secret);
	json_object_del(b->root, "secret");
	b->secret = NULL;
}

static ssize_t read_line(int fd, char *buf, size_t cap, char *err, size_t errlen)
{
	size_t n = 0;
	int64_t deadline = now_ms() + BOOT_WAIT_MS;
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			snprintf(err, errlen, "no bootstrap on fd %d within %d ms", fd, BOOT_WAIT_MS);
			return -1;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read the bootstrap on fd %d: %s", fd, strerror(errno));
			return -1;
		}
		if (r == 0) {
			snprintf(err, errlen, "fd %d closed before the bootstrap ended", fd);
			return -1;
		}
		char *nl = memchr(buf + n, '\n', (size_t)r);
		n += (size_t)r;
		if (nl)
			return nl - buf;
		if (n == cap) {
			snprintf(err, errlen, "bootstrap larger than %d bytes", WORKER_BOOT_MAX);
			return -2;   /* it came, and it is not something this worker can use */
		}
	}
}

static int parse(struct worker_boot *b, char *err, size_t errlen)
{
	json_t *r = b->root;
	if (json_integer_value(json_object_get(r, "v")) != 1) {
		snprintf(err, errlen, "bootstrap: unsupported version");
		return -1;
	}
	b->name = jsonget_str(r, "name", NULL);
	b->instance = jsonget_str(r, "instance", NULL);
	b->bus = jsonget_str(r, "bus", NULL);
	const char *token = jsonget_str(r, "token", NULL);
	if (!b->name || !b->instance || !b->bus || !token) {
		snprintf(err, errlen, "bootstrap: name, instance, bus and token are required");
		return -1;
	}
	if (strlen(b->instance) >= PROTO_NAME_MAX || strlcpy_chk(b->token, token, sizeof(b->token)) < 0) {
		snprintf(err, errlen, "bootstrap: instance or token too long");
		return -1;
	}
	b->user = jsonget_str(r, "user", "");
	b->group = jsonget_str(r, "group", "");
	b->heartbeat_ms = json_integer_value(json_object_get(r, "heartbeat_ms"));
	if (b->heartbeat_ms <= 0)
		b->heartbeat_ms = 1000;
	json_t *log = json_object_get(r, "log");
	b->log_level = jsonget_str(log, "level", "info");
	b->log_format = jsonget_str(log, "format", "text");
	b->log_file = jsonget_str(log, "file", "");
	b->config = json_object_get(r, "config");
	if (!json_is_object(b->config)) {
		json_object_set_new(r, "config", json_object());
		b->config = json_object_get(r, "config");
	}
	b->secret = json_object_get(r, "secret");
	return 0;
}

int worker_boot_read(int fd, struct worker_boot *b, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	char *buf = malloc(WORKER_BOOT_MAX);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return WORKER_BOOT_IO;
	}
	ssize_t len = read_line(fd, buf, WORKER_BOOT_MAX, err, errlen);
	if (len >= 0) {
		json_error_t je;
		b->root = json_loadb(buf, (size_t)len, JSON_REJECT_DUPLICATES, &je);
		if (!b->root || !json_is_object(b->root))
			snprintf(err, errlen, "bootstrap: invalid JSON at column %d", je.column);
	}
	explicit_bzero(buf, WORKER_BOOT_MAX);   /* it held the secret */
	free(buf);
	if (len < 0)
		return len == -2 ? WORKER_BOOT_INVALID : WORKER_BOOT_IO;
	if (!b->root || !json_is_object(b->root)) {
		json_decref(b->root);
		b->root = NULL;
		return WORKER_BOOT_INVALID;
	}
	if (parse(b, err, errlen) < 0) {
		worker_boot_wipe_secret(b);
		json_decref(b->root);
		b->root = NULL;
		return WORKER_BOOT_INVALID;
	}
	return 0;
}

/* Keys whose values are secret inside an object secret (GitHub token or App key,
 * clouds.yaml passwords, the webhook secret, TLS key and MongoDB URI), at any depth.
 * Other strings there (auth_url, user names, region) are not, and masking them would
 * only make logs unreadable. */
static const char *const secret_keys[] = {
	"token", "app_private_key", "password", "secret", "application_credential_secret",
	"webhook_secret", "mongodb_uri", "tls_key", NULL
};

void worker_boot_register_secret(const json_t *secret)
{
	if (json_is_string(secret)) {
		redact_add_secret(json_string_value(secret));
		return;
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)secret, k, v) {
		if (json_is_object(v)) {
			worker_boot_register_secret(v);
			continue;
		}
		for (const char *const *sk = secret_keys; *sk; sk++)
			if (strcmp(k, *sk) == 0 && json_is_string(v))
				redact_add_secret(json_string_value(v));
	}
}
