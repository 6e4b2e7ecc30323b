/* util — time, randomness, backoff, files.  See util.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Accepts YYYY-MM-DDTHH:MM:SS, optional fraction, then Z, +HH:MM, -HH:MM or nothing (UTC). */
int64_t iso8601_to_ms(const char *s)
{
	int y, mo, d, h, mi, sec, ms = 0;
	const char *p = s;
	if (!s)
		return -1;
	if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) || *p++ != '-' ||
	    parse_digits(&p, 2, &d) || (*p != 'T' && *p != ' '))
		return -1;
	p++;
	if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi) || *p++ != ':' ||
	    parse_digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		int scale = 100;
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			ms += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	int64_t offset_s = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (parse_digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (parse_digits(&p, 2, &om))
			return -1;
		offset_s = sign * (oh * 3600 + om * 60);
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	                 .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	return ((int64_t)t - offset_s) * 1000 + ms;
}

void ms_to_iso8601(int64_t epoch_ms, char out[32])
{
	time_t t = (time_t)(epoch_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void random_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			abort();   /* no entropy at all: nothing safe to do */
		}
		p += n;
		len -= (size_t)n;
	}
}

void random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[64];
	size_t done = 0;
	while (done < nbytes) {
		size_t n = nbytes - done > sizeof(b) ? sizeof(b) : nbytes - done;
		random_bytes(b, n);
		for (size_t i = 0; i < n; i++) {
			out[2 * (done + i)] = hex[b[i] >> 4];
			out[2 * (done + i) + 1] = hex[b[i] & 15];
		}
		done += n;
	}
	out[2 * nbytes] = '\0';
}

uint64_t random_u64(void)
{
	uint64_t v;
	random_bytes(&v, sizeof(v));
	return v;
}

int64_t backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms)
{
	if (attempt == 0 || base_ms <= 0)
		return 0;
	int64_t ceiling = base_ms;
	for (unsigned i = 1; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (cap_ms > 0 && ceiling > cap_ms)
		ceiling = cap_ms;
	int64_t floor_ms = ceiling / 2;
	return floor_ms + (int64_t)(random_u64() % (uint64_t)(ceiling - floor_ms + 1));
}

int array_reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			errno = ENOMEM;
			return -1;
		}
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / elem) {
		errno = ENOMEM;
		return -1;
	}
	void *p = realloc(*arr, ncap * elem);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Reads at most max bytes; a longer file is refused (EFBIG) rather than truncated. */
static char *read_fd(int fd, size_t max, size_t *len_out)
{
	if (fd < 0)
		return NULL;
	size_t cap = max < 4096 ? max + 1 : 4096, len = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			if (len > max)
				break;
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *nb = realloc(buf, ncap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

char *read_file(const char *path, size_t max, size_t *len_out)
{
	return read_fd(open(path, O_RDONLY | O_CLOEXEC), max, len_out);
}

char *read_file_at(int dirfd, const char *name, size_t max, size_t *len_out)
{
	return read_fd(openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), max, len_out);
}

static int write_atomic(int dirfd, const char *path, const void *data, size_t len, int mode, int oflags)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | oflags, mode);
	if (fd < 0)
		return -1;
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) < 0 || fchmod(fd, (mode_t)mode) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (renameat(dirfd, tmp, dirfd, path) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		errno = e;
		return -1;
	}
	return 0;
fail:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	errno = e;
	return -1;
}

int write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	return write_atomic(AT_FDCWD, path, data, len, mode, 0);
}

int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, int mode)
{
	return write_atomic(dirfd, name, data, len, mode, O_NOFOLLOW);
}

int strlcpy_chk(char *dst, const char *src, size_t size)
{
	if (size == 0)
		return -1;
	size_t n = strlen(src);
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

void secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int signals_to_fd(const int *sigs, char *err, size_t errlen)
{
	sigset_t set;
	sigemptyset(&set);
	for (; *sigs; sigs++)
		sigaddset(&set, *sigs);
	signal(SIGPIPE, SIG_IGN);
	int fd = -1;
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -1;
	}
	return fd;
}
