/* ghr-ctl helpers: one request over the control socket, error reporting with the exit
 * codes of ghr-ctl(1), JSON and table output, and the command registry. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "common/util.h"
#include "supervisor/ctl/ctl.h"

#define CTL_MAX_COMMANDS 64
#define CTL_REPLY_GRACE_MS 1000

static const struct ctl_command *commands[CTL_MAX_COMMANDS];
static size_t n_commands;

void ctl_register(const struct ctl_command *cmd)
{
	if (n_commands < CTL_MAX_COMMANDS)
		commands[n_commands++] = cmd;
}

const struct ctl_command *ctl_find(const char *name)
{
	for (size_t i = 0; i < n_commands; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct ctl_command *const *)a)->name,
	              (*(const struct ctl_command *const *)b)->name);
}

const struct ctl_command *const *ctl_commands(size_t *count)
{
	qsort(commands, n_commands, sizeof(commands[0]), by_name);
	*count = n_commands;
	return commands;
}

static void transport_error(struct ctl_reply *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	out->transport_ok = 0;
}

/* Wait for the reply to our id; anything else (a stale reply) is skipped. */
static int await_reply(void *sock, int64_t id, int64_t deadline, struct ctl_reply *out,
                       const char *endpoint)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		zmq_pollitem_t it = { .socket = sock, .events = ZMQ_POLLIN };
		if (left <= 0 || zmq_poll(&it, 1, (long)left) <= 0) {
			transport_error(out, "no reply from ghrd at %s in time (is it running?)", endpoint);
			return -1;
		}
		zmq_msg_t msg;
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&msg);
			continue;
		}
		struct proto_msg m;
		char err[256];
		int r = proto_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &m, err, sizeof(err));
		zmq_msg_close(&msg);
		if (r < 0) {
			transport_error(out, "invalid reply from ghrd: %s", err);
			return -1;
		}
		if (m.kind != PROTO_REP || m.id != id) {
			proto_msg_clear(&m);
			continue;
		}
		out->transport_ok = 1;
		out->ok = m.ok;
		out->error = m.error;
		snprintf(out->message, sizeof(out->message), "%s", m.error_message);
		out->body = m.ok ? (m.body ? json_incref(m.body) : json_object()) : NULL;
		proto_msg_clear(&m);
		return 0;
	}
}

/* Fail at once rather than wait the whole timeout for an ipc socket that is not there
 * or that this user may not open (libzmq would only retry in the background). */
static int ipc_unreachable(const char *endpoint, struct ctl_reply *out)
{
	size_t n = strlen(CTL_IPC);
	if (strncmp(endpoint, CTL_IPC, n) != 0)
		return 0;
	const char *path = endpoint + n;
	struct stat st;
	if (stat(path, &st) < 0) {
		transport_error(out, "ghrd is not running (%s: %s)", path, strerror(errno));
		return -1;
	}
	if (access(path, W_OK) < 0) {
		transport_error(out, "cannot connect to %s: %s (the public socket, %s, is open to "
		                "everyone; without -s ghr-ctl picks the one it may open)", path,
		                strerror(errno), PROTO_CONTROL_PUBLIC);
		return -1;
	}
	return 0;
}

int ctl_call(const struct ctl *c, const char *method, json_t *body, struct ctl_reply *out)
{
	return ctl_call_to(c, NULL, method, body, out);
}

int ctl_call_to(const struct ctl *c, const char *to, const char *method, json_t *body,
                struct ctl_reply *out)
{
	memset(out, 0, sizeof(*out));
	if (ipc_unreachable(c->socket, out) < 0) {
		json_decref(body);
		return -1;
	}
	void *ctx = zmq_ctx_new();
	void *sock = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;
	int rc = -1;
	if (!sock) {
		transport_error(out, "cannot create a socket: %s", zmq_strerror(errno));
		goto done;
	}
	char rid[17];
	random_hex(rid, 8);   /* a random routing id: replies are ours alone */
	int zero = 0;
	int64_t maxmsg = PROTO_MAX_FRAME + 1024;
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(sock, ZMQ_ROUTING_ID, rid, strlen(rid));
	zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	if (zmq_connect(sock, c->socket) < 0) {
		transport_error(out, "cannot connect to %s: %s", c->socket, zmq_strerror(errno));
		goto done;
	}
	struct proto_msg m;
	proto_msg_init(&m, PROTO_REQ, "ghr-ctl");
	m.id = (int64_t)(random_u64() % 1000000000) + 1;
	snprintf(m.to, sizeof(m.to), "%s", to && *to ? to : "ghrd");
	snprintf(m.method, sizeof(m.method), "%s", method);
	m.deadline_ms = wall_ms() + c->timeout_ms;
	m.body = body ? body : json_object();
	body = NULL;
	size_t len;
	char *text = proto_encode(&m, &len);
	int64_t id = m.id;
	proto_msg_clear(&m);
	if (!text) {
		snprintf(out->message, sizeof(out->message), "the request does not validate");
		out->transport_ok = 1;
		out->error = PROTO_E_BAD_REQUEST;
		rc = 0;
		goto done;
	}
	/* ipc connects in the background: a send with a timeout, so a missing ghrd is
	 * reported instead of waited for. */
	int sndto = (int)c->timeout_ms;
	zmq_setsockopt(sock, ZMQ_SNDTIMEO, &sndto, sizeof(sndto));
	/* Wait a little past the request's deadline so that ghrd's own `timeout` answer
	 * (exit 1, naming the worker) arrives rather than a bare "no reply" (exit 69). */
	int64_t deadline = now_ms() + c->timeout_ms + CTL_REPLY_GRACE_MS;
	if (zmq_send(sock, text, len, 0) < 0) {
		transport_error(out, "cannot send to ghrd at %s: %s", c->socket, zmq_strerror(errno));
		free(text);
		goto done;
	}
	free(text);
	rc = await_reply(sock, id, deadline, out, c->socket);
done:
	json_decref(body);
	if (sock)
		zmq_close(sock);
	if (ctx)
		zmq_ctx_term(ctx);
	return rc;
}

void ctl_reply_clear(struct ctl_reply *r)
{
	json_decref(r->body);
	r->body = NULL;
}

int ctl_fail(const struct ctl_reply *r, const char *what)
{
	if (!r->transport_ok) {
		fprintf(stderr, "ghr-ctl: %s: %s\n", what, r->message);
		return CTL_EXIT_UNREACHABLE;
	}
	fprintf(stderr, "ghr-ctl: %s: %s: %s\n", what, proto_error_name(r->error), r->message);
	return CTL_EXIT_FAILED;
}

int ctl_print_json(const json_t *body)
{
	char *s = json_dumps(body, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (s)
		printf("%s\n", s);
	free(s);
	return CTL_EXIT_OK;
}

int ctl_print_names(const json_t *body, const char *key, const char *label)
{
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(body, key), i, n)
		printf("%s%s", i ? " " : label, json_string_value(n));
	printf("\n");
	return CTL_EXIT_OK;
}

/* ---- tables ---- */

#define CTL_TABLE_COLS 16

struct ctl_table {
	size_t ncols, nrows;
	char **cells;   /* nrows x ncols, row 0 the header */
	size_t width[CTL_TABLE_COLS];
};

static void add_row(struct ctl_table *t, const char *first, va_list ap, int header)
{
	char **cells = realloc(t->cells, (t->nrows + 1) * CTL_TABLE_COLS * sizeof(char *));
	if (!cells)
		return;
	t->cells = cells;
	char **row = &t->cells[t->nrows * CTL_TABLE_COLS];
	size_t n = 0;
	for (const char *c = first; c && n < CTL_TABLE_COLS; c = va_arg(ap, const char *)) {
		row[n] = strdup(c);
		size_t w = strlen(c);
		if (w > t->width[n])
			t->width[n] = w;
		n++;
	}
	for (size_t k = n; k < CTL_TABLE_COLS; k++)
		row[k] = NULL;
	if (header)
		t->ncols = n;
	t->nrows++;
}

struct ctl_table *ctl_table_new(const char *first_header, ...)
{
	struct ctl_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	va_list ap;
	va_start(ap, first_header);
	add_row(t, first_header, ap, 1);
	va_end(ap);
	return t;
}

void ctl_table_row(struct ctl_table *t, const char *first, ...)
{
	if (!t)
		return;
	va_list ap;
	va_start(ap, first);
	add_row(t, first, ap, 0);
	va_end(ap);
}

void ctl_table_print(struct ctl_table *t)
{
	if (!t)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		char **row = &t->cells[r * CTL_TABLE_COLS];
		for (size_t c = 0; c < t->ncols; c++) {
			const char *v = row[c] ? row[c] : "";
			if (c + 1 == t->ncols)
				printf("%s\n", v);
			else
				printf("%-*s  ", (int)t->width[c], v);
		}
		for (size_t c = 0; c < CTL_TABLE_COLS; c++)
			free(row[c]);
	}
	free(t->cells);
	free(t);
}

int ctl_run_simple(const struct ctl *c, const char *method, json_t *body, const char *what,
                   int (*human)(const json_t *body))
{
	struct ctl_reply r;
	ctl_call(c, method, body, &r);
	int rc;
	if (!r.transport_ok || !r.ok)
		rc = ctl_fail(&r, what);
	else if (c->json || !human)
		rc = ctl_print_json(r.body);
	else
		rc = human(r.body);
	ctl_reply_clear(&r);
	return rc;
}
