/* os.server.console — the tail of a server's console log (Nova os-getConsoleOutput).
 * The image builder reads its builder VM's result line there.  The reply keeps at most
 * OS_CONSOLE_MAX bytes (the end of the log), so it always fits in one bus message. */
#include <stdio.h>
#include <string.h>

#include "workers/openstack/os.h"

#define OS_CONSOLE_MAX (256 * 1024)
#define OS_CONSOLE_DEFAULT_LINES 200
#define OS_CONSOLE_MAX_LINES 10000

static void on_console(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct wreq *req = arg;
	if (r->code != PROTO_OK) {
		os_reply_result_err(req, r, "reading the console log");
		return;
	}
	const char *out = json_string_value(json_object_get(r->json, "output"));
	if (!out) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "reading the console log: reply without an output string");
		return;
	}
	size_t n = strlen(out);
	if (n > OS_CONSOLE_MAX)
		out += n - OS_CONSOLE_MAX;
	worker_reply_ok(req, json_pack("{ss}", "output", out));
}

void os_h_server_console(struct wreq *req)
{
	char path[512];
	json_int_t lines = OS_CONSOLE_DEFAULT_LINES;
	const json_t *l = json_object_get(req->body, "length");
	if (l) {
		lines = json_integer_value(l);
		if (lines < 1 || lines > OS_CONSOLE_MAX_LINES) {
			worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "length: must be 1-%d lines", OS_CONSOLE_MAX_LINES);
			return;
		}
	}
	if (os_server_id_path(req, "/action", path, sizeof path) != 0)
		return;
	json_t *body = json_pack("{s{sI}}", "os-getConsoleOutput", "length", lines);
	/* a read, though Nova files it under actions: safe to resend */
	os_request(os_ctx_of(req), OS_SVC_COMPUTE, "POST", path, body, OS_IDEMPOTENT, req->deadline_ms,
	           on_console, req);
}
