/* log: formats, levels, redaction, truncation, atomic lines, reopen. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include "common/log.h"
#include "common/redact.h"
#include "tests/unit/unit.h"

static char path[256];

static void fresh_file(void)
{
	snprintf(path, sizeof(path), "/tmp/ghr-test-log-%d.log", (int)getpid());
	unlink(path);
}

static char *slurp(const char *p)
{
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return strdup("");
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	ssize_t r;
	while ((r = read(fd, b + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (cap - n < 2)
			b = realloc(b, cap *= 2);
	}
	b[n] = 0;
	close(fd);
	return b;
}

/* Run fn with stderr sent to a file and return what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "/tmp/ghr-test-stderr-%d", (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int saved = dup(2);
	dup2(fd, 2);
	close(fd);
	fn();
	dup2(saved, 2);
	close(saved);
	char *out = slurp(tmp);
	unlink(tmp);
	return out;
}

static void emit_text(void)
{
	log_init("github", LOG_LVL_INFO, 0, NULL);
	log_info("runner created", "name=%s id=%d", "ghr-a-small-3f9c2a1b", 12);
	log_debug("not shown", "x=%d", 1);
	log_warn("quota low", "%s", "");
	log_error("bad \"quote\"\nsecond line", "why=%s", log_q("two words"));
}

static void test_text_stderr(void)
{
	char *out = capture_stderr(emit_text);
	CU_ASSERT_STRING_EQUAL(out,
		"worker=github level=info msg=\"runner created\" name=ghr-a-small-3f9c2a1b id=12\n"
		"worker=github level=warn msg=\"quota low\"\n"
		"worker=github level=error msg=\"bad \\\"quote\\\"\\nsecond line\" why=\"two words\"\n");
	free(out);
}

static void emit_json(void)
{
	log_init("reactive-consumer.2", LOG_LVL_DEBUG, 1, "");
	log_debug("claimed", "job=%d repo=%s note=%s lone level=x", 7, "o/r", log_q("a \"b\" c"));
	log_info("bad utf8 \xff\xfe here", "v=%s", "\xc3\x28");
}

static void test_json_stderr(void)
{
	char *out = capture_stderr(emit_json);
	char *nl = strchr(out, '\n');
	CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
	*nl = 0;
	json_error_t je;
	json_t *j = json_loads(out, JSON_REJECT_DUPLICATES, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "worker")), "reactive-consumer.2");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "level")), "debug");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "msg")), "claimed");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "job")), "7");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "repo")), "o/r");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "note")), "a \"b\" c");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "extra")), "lone");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "kv_level")), "x");
	CU_ASSERT_PTR_NULL(json_object_get(j, "time"));     /* no time on stderr */
	json_decref(j);
	/* invalid UTF-8 still gives valid JSON */
	j = json_loads(nl + 1, 0, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "msg")), "bad utf8 \xef\xbf\xbd\xef\xbf\xbd here");
	json_decref(j);
	free(out);
	log_init("ghr", LOG_LVL_INFO, 0, NULL);
}

static void test_levels(void)
{
	enum log_level l;
	CU_ASSERT_EQUAL(log_level_parse("warn", &l), 0);
	CU_ASSERT_EQUAL(l, LOG_LVL_WARN);
	CU_ASSERT_EQUAL(log_level_parse("debug", &l), 0);
	CU_ASSERT_EQUAL(l, LOG_LVL_DEBUG);
	CU_ASSERT_EQUAL(log_level_parse("WARN", &l), -1);
	CU_ASSERT_EQUAL(log_level_parse("verbose", &l), -1);
	CU_ASSERT_EQUAL(log_level_parse(NULL, &l), -1);
	CU_ASSERT_STRING_EQUAL(log_level_name(LOG_LVL_ERROR), "error");
	CU_ASSERT_STRING_EQUAL(log_level_name((enum log_level)9), "?");
	log_set_level(LOG_LVL_ERROR);
	CU_ASSERT_EQUAL(log_get_level(), LOG_LVL_ERROR);
	log_set_level(LOG_LVL_INFO);
}

static void test_file_redacted_and_timed(void)
{
	fresh_file();
	CU_ASSERT_EQUAL_FATAL(log_init("github", LOG_LVL_INFO, 0, path), 0);
	redact_add_secret("my-literal-secret-value");
	log_info("got Bearer abcdef123", "jit_config=%s token=%s other=%s", "AAAA", "ghp_0123456789abcdefghij",
	         "my-literal-secret-value");
	redact_clear_secrets();
	log_init("ghr", LOG_LVL_INFO, 0, NULL);
	char *out = slurp(path);
	/* 2026-11-23T01:02:03.456Z worker=... */
	CU_ASSERT_EQUAL(strlen(out) > 25 ? out[4] : 0, '-');
	CU_ASSERT_EQUAL(out[10], 'T');
	CU_ASSERT_EQUAL(out[23], 'Z');
	CU_ASSERT_PTR_NOT_NULL(strstr(out, " worker=github level=info msg=\"got Bearer [REDACTED]\" "
	                                   "jit_config=[REDACTED] token=[REDACTED] other=[REDACTED]\n"));
	CU_ASSERT_PTR_NULL(strstr(out, "AAAA"));
	CU_ASSERT_PTR_NULL(strstr(out, "ghp_"));
	CU_ASSERT_PTR_NULL(strstr(out, "literal"));
	free(out);
	unlink(path);
	CU_ASSERT_EQUAL(log_init("x", LOG_LVL_INFO, 0, "/nonexistent-dir/x.log"), -1);
	log_init("ghr", LOG_LVL_INFO, 0, NULL);
}

/* The line is cut at 8 KiB after redaction: a token straddling the cut must not leave
 * its first half visible, and a copy before the cut must read [REDACTED]. */
static void test_truncation(void)
{
	static const char tok[] = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";   /* 40 bytes */
	char *big = malloc(20000);
	memset(big, 'a', 19999);
	big[19999] = 0;
	/* Text line in a file: "<24-byte time> worker=t level=info msg=long v=" is 56 bytes,
	 * the kv text is redacted first (the copy at 1000 shrinks by 30), and the line is
	 * cut at 8160: the copy at 8114 lands on 8140..8180, across the cut.  Both copies
	 * are words of their own (spaces around them), so the patterns apply. */
	big[999] = ' ';
	memcpy(big + 1000, tok, 40);
	big[1040] = ' ';
	big[8113] = ' ';
	memcpy(big + 8114, tok, 40);
	big[8154] = ' ';
	fresh_file();
	log_init("t", LOG_LVL_INFO, 0, path);
	log_info("long", "v=%s", big);
	/* JSON: values are shortened until the line fits, and it stays valid JSON */
	char *plain = malloc(20000);
	memset(plain, 'a', 19999);
	plain[19999] = 0;
	log_init("t", LOG_LVL_INFO, 1, path);
	log_info("long", "v=%s w=%s t=%s", plain, plain, tok);
	log_init("ghr", LOG_LVL_INFO, 0, NULL);
	char *out = slurp(path);
	char *nl = strchr(out, '\n');
	CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
	CU_ASSERT_TRUE(nl - out + 1 <= 8192);
	CU_ASSERT_TRUE(nl - out > 8000);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, " truncated=true\n"));
	*nl = 0;
	/* the copy before the cut, masked where it stood */
	char *first = strstr(out, " [REDACTED] ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	CU_ASSERT_TRUE(first - out > 900 && first - out < 1100);
	/* the straddling copy: its start is before the cut, so something of it is on the
	 * line, and it must be (a prefix of) the mask, never "ghp_" */
	char *second = strstr(first + 1, " [REDAC");
	CU_ASSERT_PTR_NOT_NULL(second);
	if (second)
		CU_ASSERT_TRUE(second - out > 8100);
	CU_ASSERT_PTR_NULL(strstr(out, "ghp_"));
	CU_ASSERT_PTR_NULL(strstr(out, "0123456789abcdef"));
	char *line2 = nl + 1;
	nl = strchr(line2, '\n');
	CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
	CU_ASSERT_TRUE(nl - line2 + 1 <= 8192);
	*nl = 0;
	CU_ASSERT_PTR_NULL(strstr(line2, "ghp_"));
	json_t *j = json_loads(line2, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_TRUE(json_is_true(json_object_get(j, "truncated")));
	CU_ASSERT_TRUE(strlen(json_string_value(json_object_get(j, "w"))) > 1000);
	json_decref(j);
	free(out);
	free(big);
	free(plain);
	unlink(path);
}

/* A JSON value quoted with log_q() comes out escaped (\"token\":\"…\"): its secret
 * fields must still be masked, in text and in JSON lines. */
static void emit_json_values(void)
{
	const char *body = "{\"token\":\"s3cr3t-value-1\",\"name\":\"r1\"}";
	log_init("github", LOG_LVL_INFO, 0, NULL);
	log_info("reply", "body=%s", log_q(body));
	log_info("reply", "body=%s", log_q("{\"password\": \"s3cr3t-value-2\"}"));
	log_init("github", LOG_LVL_INFO, 1, NULL);
	log_info("reply", "body=%s", log_q(body));
	log_init("ghr", LOG_LVL_INFO, 0, NULL);
}

static void test_log_q_json_redacted(void)
{
	char *out = capture_stderr(emit_json_values);
	CU_ASSERT_PTR_NULL(strstr(out, "s3cr3t"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "body=\"{\\\"token\\\":\\\"[REDACTED]\\\",\\\"name\\\":\\\"r1\\\"}\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\\\"password\\\": \\\"[REDACTED]\\\""));
	/* the JSON line carries the unescaped value, still masked */
	char *last = strstr(out, "{\"worker\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(last);
	json_t *j = json_loads(last, JSON_DISABLE_EOF_CHECK, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "body")),
	                       "{\"token\":\"[REDACTED]\",\"name\":\"r1\"}");
	json_decref(j);
	free(out);
}

/* Several processes log long lines to one O_APPEND file at once: every line must come
 * out whole, which holds only when each line is one write(2). */
static void test_concurrent_lines_whole(void)
{
	enum { WRITERS = 4, LINES = 200 };
	fresh_file();
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			char val[6000];
			memset(val, 'a' + w, sizeof(val) - 1);
			val[sizeof(val) - 1] = 0;
			log_init("w", LOG_LVL_INFO, 1, path);
			for (int i = 0; i < LINES; i++)
				log_info("line", "w=%d i=%d v=%s", w, i, val);
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++)
		waitpid(pids[w], NULL, 0);
	char *out = slurp(path);
	int lines = 0, whole = 0;
	for (char *p = out, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = 0;
		lines++;
		json_t *j = json_loads(p, 0, NULL);
		const char *v = json_string_value(json_object_get(j, "v"));
		if (v && strlen(v) == 5999 && v[0] == v[5998])
			whole++;
		json_decref(j);
	}
	CU_ASSERT_EQUAL(lines, WRITERS * LINES);
	CU_ASSERT_EQUAL(whole, WRITERS * LINES);
	free(out);
	unlink(path);
}

static void test_reopen(void)
{
	fresh_file();
	char moved[300];
	snprintf(moved, sizeof(moved), "%s.1", path);
	log_init("r", LOG_LVL_INFO, 0, path);
	log_info("before", "%s", "");
	CU_ASSERT_EQUAL(rename(path, moved), 0);
	log_info("still old", "%s", "");
	CU_ASSERT_EQUAL(log_reopen(), 0);
	log_info("after", "%s", "");
	log_init("ghr", LOG_LVL_INFO, 0, NULL);
	char *a = slurp(moved), *b = slurp(path);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"before\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"still old\""));
	CU_ASSERT_PTR_NULL(strstr(a, "\"after\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "\"after\""));
	free(a);
	free(b);
	unlink(path);
	unlink(moved);
	CU_ASSERT_EQUAL(log_reopen(), 0);    /* stderr: nothing to do */
}

static void test_log_q(void)
{
	CU_ASSERT_STRING_EQUAL(log_q("plain"), "plain");
	CU_ASSERT_STRING_EQUAL(log_q(""), "\"\"");
	CU_ASSERT_STRING_EQUAL(log_q(NULL), "\"\"");
	CU_ASSERT_STRING_EQUAL(log_q("a b"), "\"a b\"");
	CU_ASSERT_STRING_EQUAL(log_q("a=b"), "\"a=b\"");
	CU_ASSERT_STRING_EQUAL(log_q("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
	CU_ASSERT_STRING_EQUAL(log_q("l1\nl2"), "\"l1\\nl2\"");
	/* several at once in one call stay distinct */
	const char *x = log_q("x y"), *y = log_q("y z");
	CU_ASSERT_STRING_EQUAL(x, "\"x y\"");
	CU_ASSERT_STRING_EQUAL(y, "\"y z\"");
	char big[4000];
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CU_ASSERT_TRUE(strlen(log_q(big)) < 1024);
}

UNIT_SUITE(log,
	UNIT_TEST(test_text_stderr),
	UNIT_TEST(test_json_stderr),
	UNIT_TEST(test_levels),
	UNIT_TEST(test_file_redacted_and_timed),
	UNIT_TEST(test_truncation),
	UNIT_TEST(test_concurrent_lines_whole),
	UNIT_TEST(test_reopen),
	UNIT_TEST(test_log_q),
	UNIT_TEST(test_log_q_json_redacted))
