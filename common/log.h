/* log — one line per event, redacted, to stderr or a file.
 *
 *   text: worker=github level=info msg="runner created" name=ghr-a-small-3f9c2a1b id=12
 *   json: {"worker":"github","level":"info","msg":"runner created","name":"…","id":"12"}
 *
 * Callers pass key=value pairs as a printf format ("name=%s id=%d"); values that contain
 * spaces or quotes must be quoted by the caller with log_q() or they are split.  Every
 * line goes through redact_dup() before it is written, so a token that slips into a
 * message is still masked.  No timestamps on stderr (journald adds them); a log file
 * gets an ISO 8601 UTC time first. */
#ifndef GHR_LOG_H
#define GHR_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* worker: the name put on every line ("ghrd", "github", "reactive-consumer.2").
 * file: NULL or "" for stderr.  json: 1 for JSON lines.  Returns 0 or -1 (file). */
int log_init(const char *worker, enum log_level level, int json, const char *file);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_level_parse(const char *name, enum log_level *out);   /* 0 ok, -1 unknown */
const char *log_level_name(enum log_level level);
int log_reopen(void);                 /* after logrotate (SIGHUP) */
/* ghrd, as root, shares its log file with the workers, which append to it after
 * dropping to supervisor.user/group: group gid, mode 0660.  No-op on stderr. */
int log_share_with_group(unsigned gid);

void log_msg(enum log_level level, const char *msg, const char *kvfmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level level, const char *msg, const char *kvfmt, va_list ap);

#define log_error(msg, ...) log_msg(LOG_LVL_ERROR, msg, __VA_ARGS__)
#define log_warn(msg, ...)  log_msg(LOG_LVL_WARN, msg, __VA_ARGS__)
#define log_info(msg, ...)  log_msg(LOG_LVL_INFO, msg, __VA_ARGS__)
#define log_debug(msg, ...) log_msg(LOG_LVL_DEBUG, msg, __VA_ARGS__)

/* Quote a value for a key=value pair: returns a pointer to one of a few rotating
 * thread-local buffers ("\"a b\"" or the value itself when it needs no quotes).  A value
 * that needs quoting is redacted before it is escaped (escaping would hide the shape of
 * a JSON secret field from the line's own redaction). */
const char *log_q(const char *value);

#endif
