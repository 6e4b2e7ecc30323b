/* The delivery spool: DIR/spool.jsonl (one record per line, appended and fdatasync'd
 * before the delivery is answered) and DIR/drained (the offset up to which records are
 * in the store, replaced atomically).  When every record is drained the offset goes back
 * to 0 first and the file is truncated second, so a crash in between only re-drains
 * records, which the store takes idempotently.  A torn last line (a crash during an
 * append that was never answered) is cut off at open.
 *
 * DIR must be this process's alone (owned by its uid, no group or other bits): it is
 * opened without following a symbolic link and every file in it is reached through
 * that descriptor, again without following one, so no other user can redirect the
 * spool's writes or feed it records. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "workers/webhook/wh.h"

#define RECORD_MAX (4u << 20)
#define COMPACT_AT (1 << 20)
#define SPOOL_FILE "spool.jsonl"
#define OFFSET_FILE "drained"

struct wh_spool {
	char path[4096], offset_path[4096];    /* for messages */
	int dirfd, fd;
	int64_t size;
	int64_t drained;
	size_t pending;
};

static int64_t read_offset(const struct wh_spool *s)
{
	char *text = read_file_at(s->dirfd, OFFSET_FILE, 64, NULL);
	int64_t v = text ? strtoll(text, NULL, 10) : 0;
	free(text);
	return v > 0 ? v : 0;
}

static int write_offset(struct wh_spool *s, int64_t off, char *err, size_t errlen)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", (long long)off);
	if (write_file_atomic_at(s->dirfd, OFFSET_FILE, buf, (size_t)n, 0600) != 0) {
		snprintf(err, errlen, "spool offset %s: %s", s->offset_path, strerror(errno));
		return -1;
	}
	s->drained = off;
	return 0;
}

/* A second reader of the spool file, with its own position. */
static FILE *open_reader(const struct wh_spool *s)
{
	int fd = openat(s->dirfd, SPOOL_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (fd >= 0 && !f)
		close(fd);
	return f;
}

/* Scan from the drained offset: count complete lines, cut a torn tail. */
static int scan(struct wh_spool *s, char *err, size_t errlen)
{
	FILE *f = open_reader(s);
	if (!f) {
		snprintf(err, errlen, "spool %s: %s", s->path, strerror(errno));
		return -1;
	}
	if (s->drained > s->size)
		s->drained = 0;
	fseeko(f, s->drained, SEEK_SET);
	int64_t pos = s->drained, good = s->drained;
	int c;
	while ((c = fgetc(f)) != EOF) {
		pos++;
		if (c == '\n') {
			good = pos;
			s->pending++;
		}
	}
	fclose(f);
	if (good < s->size) {
		if (ftruncate(s->fd, good) != 0) {
			snprintf(err, errlen, "spool %s: %s", s->path, strerror(errno));
			return -1;
		}
		s->size = good;
	}
	return 0;
}

/* Open DIR (created 0700 when missing) as a directory of this process's own. */
static int open_own_dir(const char *dir, int *temporary, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "spool directory %s: %s", dir, strerror(errno));
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno, linked = e == ENOTDIR || e == ELOOP;
		snprintf(err, errlen, "spool directory %s: %s%s", dir, strerror(e),
		         linked ? " (a symbolic link or not a directory)" : "");
		*temporary = !linked;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "spool directory %s: owner uid %u, mode %04o; it must be this worker's "
		         "alone (owner uid %u, mode 0700)", dir, (unsigned)st.st_uid,
		         (unsigned)(st.st_mode & 07777), (unsigned)geteuid());
		*temporary = 0;
		close(fd);
		return -1;
	}
	return fd;
}

struct wh_spool *wh_spool_open(const char *dir, int *temporary, char *err, size_t errlen)
{
	*temporary = 1;
	struct wh_spool *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = -1;
	if ((s->dirfd = open_own_dir(dir, temporary, err, errlen)) < 0) {
		free(s);
		return NULL;
	}
	snprintf(s->path, sizeof(s->path), "%s/" SPOOL_FILE, dir);
	snprintf(s->offset_path, sizeof(s->offset_path), "%s/" OFFSET_FILE, dir);
	s->fd = openat(s->dirfd, SPOOL_FILE, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	struct stat st;
	if (s->fd < 0 || fstat(s->fd, &st) != 0) {
		snprintf(err, errlen, "spool %s: %s", s->path, strerror(errno));
		wh_spool_close(s);
		return NULL;
	}
	s->size = st.st_size;
	s->drained = read_offset(s);
	if (scan(s, err, errlen) != 0) {
		wh_spool_close(s);
		return NULL;
	}
	*temporary = 0;
	return s;
}

void wh_spool_close(struct wh_spool *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s);
}

int wh_spool_append(struct wh_spool *s, const json_t *record, char *err, size_t errlen)
{
	char *line = json_dumps(record, JSON_COMPACT);
	if (!line) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t len = strlen(line);
	line[len] = '\n';          /* json_dumps' NUL becomes the line end */
	size_t off = 0;
	int rc = 0;
	while (off < len + 1) {
		ssize_t n = write(s->fd, line + off, len + 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -1;
			break;
		}
		off += (size_t)n;
	}
	free(line);
	if (rc == 0 && fdatasync(s->fd) != 0)
		rc = -1;
	if (rc != 0) {
		snprintf(err, errlen, "spool %s: %s", s->path, strerror(errno));
		/* Cut what was written, so a partial record never reaches the store. */
		if (ftruncate(s->fd, s->size) != 0)
			snprintf(err, errlen, "spool %s: cannot cut a failed append: %s", s->path, strerror(errno));
		return -1;
	}
	s->size += (int64_t)(len + 1);
	s->pending++;
	return 0;
}

size_t wh_spool_pending(const struct wh_spool *s)
{
	return s->pending;
}

json_t *wh_spool_peek(struct wh_spool *s, size_t max, int64_t *end, char *err, size_t errlen)
{
	*end = s->drained;
	json_t *out = json_array();
	FILE *f = open_reader(s);
	if (!f) {
		snprintf(err, errlen, "spool %s: %s", s->path, strerror(errno));
		json_decref(out);
		return NULL;
	}
	fseeko(f, s->drained, SEEK_SET);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while (json_array_size(out) < max && *end < s->size && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n' || (size_t)n > RECORD_MAX)
			break;
		*end += n;
		json_t *rec = json_loadb(line, (size_t)n, 0, NULL);
		/* A line that does not parse cannot have been written by append: skip it. */
		json_array_append_new(out, rec ? rec : json_null());
	}
	free(line);
	fclose(f);
	return out;
}

int wh_spool_drained(struct wh_spool *s, int64_t end, size_t count, char *err, size_t errlen)
{
	s->pending = count > s->pending ? 0 : s->pending - count;
	if (end >= s->size && s->size >= COMPACT_AT) {
		if (write_offset(s, 0, err, errlen) != 0)
			return -1;
		if (ftruncate(s->fd, 0) != 0) {
			snprintf(err, errlen, "spool %s: %s", s->path, strerror(errno));
			return -1;
		}
		s->size = 0;
		s->pending = 0;
		return 0;
	}
	return write_offset(s, end, err, errlen);
}
