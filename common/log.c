/* log — one redacted line per event, written with one write(2).
 *
 * A line is assembled in memory, then written whole: concurrent writers to the same
 * pipe or O_APPEND file do not interleave within a line (atomic up to PIPE_BUF on a
 * pipe; O_APPEND files in practice).  The message and the key=value text are redacted
 * before the line is built, so truncation can never cut a secret in half and leave the
 * first half visible.  Lines are capped at LOG_LINE_MAX bytes and marked when cut.
 *
 * Not thread-safe: each ghr process logs from its one event-loop thread. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/log.h"
#include "common/redact.h"

#define LOG_LINE_MAX 8192
#define LOG_KV_MAX   (64 * 1024)     /* formatted key=value text before redaction */
#define LOG_Q_BUFS 8
#define LOG_Q_SIZE 1024
#define LINE_ROOM (LOG_LINE_MAX - 32)   /* kept free for the end marker and newline */
#define TRUNC_TEXT " truncated=true"

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error", [LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug",
};

static struct {
	char worker[64];
	enum log_level level;
	int json;
	int fd;              /* 2, or the log file */
	char path[4096];     /* empty for stderr */
} lg = { "ghr", LOG_LVL_INFO, 0, 2, "" };

/* ---- set-up ----------------------------------------------------------------------- */

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; name && i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(level_names[i], name) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[level];
}

void log_set_level(enum log_level level) { lg.level = level; }
enum log_level log_get_level(void) { return lg.level; }

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

int log_init(const char *worker, enum log_level level, int json, const char *file)
{
	snprintf(lg.worker, sizeof(lg.worker), "%s", worker && *worker ? worker : "ghr");
	lg.level = level;
	lg.json = json;
	if (lg.fd != 2)
		close(lg.fd);
	lg.fd = 2;
	lg.path[0] = 0;
	if (!file || !*file)
		return 0;
	if (strlen(file) >= sizeof(lg.path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open_log(file);
	if (fd < 0)
		return -1;      /* stay on stderr; the caller reports errno */
	lg.fd = fd;
	snprintf(lg.path, sizeof(lg.path), "%s", file);
	return 0;
}

int log_share_with_group(unsigned gid)
{
	if (!lg.path[0])
		return 0;
	if (fchown(lg.fd, (uid_t)-1, (gid_t)gid) < 0 || fchmod(lg.fd, 0660) < 0)
		return -1;
	return 0;
}

/* After logrotate moved the file: open the path again, keep the same descriptor
 * number so that nothing holding it goes stale. */
int log_reopen(void)
{
	if (!lg.path[0])
		return 0;
	int fd = open_log(lg.path);
	if (fd < 0)
		return -1;
	if (dup3(fd, lg.fd, O_CLOEXEC) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

/* ---- quoting ---------------------------------------------------------------------- */

const char *log_q(const char *value)
{
	static _Thread_local char bufs[LOG_Q_BUFS][LOG_Q_SIZE];
	static _Thread_local unsigned next;
	if (!value)
		value = "";
	int plain = *value != 0;
	for (const char *p = value; *p && plain; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
			plain = 0;
	if (plain)
		return value;     /* the whole line is redacted later, and sees it as it is */
	/* Redact before escaping: once escaped (\"token\":\"v\") or cut to the buffer, a
	 * secret may no longer have the shape the line's redaction recognises. */
	char *r = redact_dup(value);
	if (!r)
		return "\"[REDACTED]\"";
	char *b = bufs[next++ % LOG_Q_BUFS];
	size_t n = 0;
	b[n++] = '"';
	for (const char *p = r; *p && n < LOG_Q_SIZE - 6; p++) {
		if (*p == '"' || *p == '\\')
			b[n++] = '\\';
		if (*p == '\n') {
			b[n++] = '\\';
			b[n++] = 'n';
			continue;
		}
		b[n++] = (unsigned char)*p < ' ' ? '?' : *p;
	}
	b[n++] = '"';
	b[n] = 0;
	explicit_bzero(r, strlen(r));
	free(r);
	return b;
}

/* ---- line assembly ---------------------------------------------------------------- */

struct line { char buf[LOG_LINE_MAX]; size_t len; int cut; };

static void put(struct line *l, const char *s, size_t n)
{
	size_t room = LINE_ROOM - l->len;
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;     /* never end on half a character */
		l->cut = 1;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void puts_(struct line *l, const char *s) { put(l, s, strlen(s)); }

/* Text: control characters would break the one-line rule. */
static void put_text_escaped(struct line *l, const char *s)
{
	for (const char *p = s; *p && !l->cut; p++) {
		if (*p == '\n')
			put(l, "\\n", 2);
		else if (*p == '\r')
			put(l, "\\r", 2);
		else if ((unsigned char)*p < ' ')
			put(l, "?", 1);
		else
			put(l, p, 1);
	}
}

/* Length of a valid UTF-8 sequence at p, 0 when invalid. */
static size_t utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	size_t n = p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 && p[0] < 0xE0 ? 2 : 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/* A JSON string, capped at cap bytes of input; invalid UTF-8 becomes U+FFFD so that
 * the line stays valid JSON whatever the caller passed. */
static void put_json_string(struct line *l, const char *s, size_t cap)
{
	put(l, "\"", 1);
	size_t used = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && used < cap; ) {
		char esc[8];
		size_t n = utf8_len(p);
		if (n == 0) {
			put(l, "\xef\xbf\xbd", 3);
			p++;
			used++;
			continue;
		}
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(l, esc, 2);
		} else if (*p < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(l, esc, 6);
		} else {
			put(l, (const char *)p, n);
		}
		p += n;
		used += n;
	}
	put(l, "\"", 1);
}

static void iso_time(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Split "a=1 b=\"x y\" c" into pairs; a word without '=' gets the key "extra".
 * Returns the position after the pair, or NULL at the end.  key and val are written
 * into the caller's buffers (val unescaped). */
static const char *next_pair(const char *p, char *key, size_t keycap, char *val, size_t valcap)
{
	while (*p == ' ')
		p++;
	if (!*p)
		return NULL;
	size_t k = strcspn(p, "= ");
	int has_key = p[k] == '=' && k > 0 && k < keycap;
	for (size_t i = 0; has_key && i < k; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!(c == '_' || c == '.' || c == '-' || (c >= '0' && c <= '9') ||
		      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			has_key = 0;
	}
	if (has_key) {
		memcpy(key, p, k);
		key[k] = 0;
		p += k + 1;
	} else {
		snprintf(key, keycap, "extra");
	}
	size_t n = 0;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < valcap)
				val[n++] = *p;
		}
		if (*p == '"')
			p++;
	} else {
		for (; *p && *p != ' '; p++)
			if (n + 1 < valcap)
				val[n++] = *p;
	}
	val[n] = 0;
	return p;
}

static void put_text_quoted(struct line *l, const char *s)
{
	put(l, "\"", 1);
	for (const char *p = s; *p && !l->cut; p++) {
		if (*p == '"' || *p == '\\') {
			put(l, "\\", 1);
			put(l, p, 1);
		} else if (*p == '\n') {
			put(l, "\\n", 2);
		} else if ((unsigned char)*p < ' ') {
			put(l, "?", 1);
		} else {
			put(l, p, 1);
		}
	}
	put(l, "\"", 1);
}

static int reserved_key(const char *k)
{
	return !strcmp(k, "time") || !strcmp(k, "worker") || !strcmp(k, "level") ||
	       !strcmp(k, "msg") || !strcmp(k, "truncated");
}

static void build_text(struct line *l, enum log_level level, const char *msg, const char *kv)
{
	if (lg.path[0]) {
		char t[32];
		iso_time(t);
		puts_(l, t);
		puts_(l, " ");
	}
	puts_(l, "worker=");
	puts_(l, lg.worker);
	puts_(l, " level=");
	puts_(l, log_level_name(level));
	puts_(l, " msg=");
	put_text_quoted(l, msg);     /* always quoted, as in the example of log.h */
	if (*kv) {
		puts_(l, " ");
		put_text_escaped(l, kv);
	}
}

static void build_json(struct line *l, enum log_level level, const char *msg, const char *kv,
                       size_t cap)
{
	static char key[64], val[LOG_LINE_MAX];
	puts_(l, "{");
	if (lg.path[0]) {
		char t[32];
		iso_time(t);
		puts_(l, "\"time\":\"");
		puts_(l, t);
		puts_(l, "\",");
	}
	puts_(l, "\"worker\":");
	put_json_string(l, lg.worker, cap);
	puts_(l, ",\"level\":\"");
	puts_(l, log_level_name(level));
	puts_(l, "\",\"msg\":");
	put_json_string(l, msg, cap);
	const char *p = kv;
	while ((p = next_pair(p, key, sizeof(key), val, sizeof(val)))) {
		puts_(l, reserved_key(key) ? ",\"kv_" : ",\"");
		puts_(l, key);
		puts_(l, "\":");
		put_json_string(l, val, cap);
	}
}

/* Write everything, retrying on EINTR and partial writes; a log line that cannot be
 * written is dropped (there is nowhere to report it). */
static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

void log_vmsg(enum log_level level, const char *msg, const char *kvfmt, va_list ap)
{
	if (level > lg.level)
		return;
	int saved_errno = errno;
	char *kv_raw = malloc(LOG_KV_MAX);
	if (kv_raw) {
		if (kvfmt && *kvfmt)
			vsnprintf(kv_raw, LOG_KV_MAX, kvfmt, ap);
		else
			kv_raw[0] = 0;
	}
	char *kv = redact_dup(kv_raw ? kv_raw : "");
	char *m = redact_dup(msg ? msg : "");
	if (kv_raw) {
		explicit_bzero(kv_raw, strnlen(kv_raw, LOG_KV_MAX));
		free(kv_raw);
	}
	static struct line l;
	/* JSON must stay valid when cut: rebuild with shorter values until it fits. */
	size_t cap = LOG_LINE_MAX;
	for (;;) {
		l.len = 0;
		l.cut = 0;
		if (lg.json)
			build_json(&l, level, m ? m : "(out of memory)", kv ? kv : "", cap);
		else
			build_text(&l, level, m ? m : "(out of memory)", kv ? kv : "");
		if (!l.cut || !lg.json || cap <= 64)
			break;
		cap /= 2;
	}
	if (lg.json) {
		if (l.cut)     /* only when even 64-byte values do not fit: close the object */
			l.len = 0, puts_(&l, "{\"msg\":\"(line too long)\"");
		l.cut = cap < LOG_LINE_MAX;
		if (l.cut)
			memcpy(l.buf + l.len, ",\"truncated\":true", 17), l.len += 17;
		l.buf[l.len++] = '}';
	} else if (l.cut) {
		memcpy(l.buf + l.len, TRUNC_TEXT, sizeof(TRUNC_TEXT) - 1);
		l.len += sizeof(TRUNC_TEXT) - 1;
	}
	l.buf[l.len++] = '\n';
	write_all(lg.fd, l.buf, l.len);
	free(kv);
	free(m);
	errno = saved_errno;
}

void log_msg(enum log_level level, const char *msg, const char *kvfmt, ...)
{
	va_list ap;
	va_start(ap, kvfmt);
	log_vmsg(level, msg, kvfmt, ap);
	va_end(ap);
}
