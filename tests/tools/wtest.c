/* wtest — drive ONE worker executable the way ghrd would, for worker tests and benchmarks.
 *
 *   wtest --worker build/libexec/ghr/github --config slice.json [--secret secret.json]
 *         [--name github] [--parallel] [--timeout MS] [--log-level debug] < requests.jsonl
 *
 * It binds a ROUTER on a private ipc endpoint (a directory under $TMPDIR, removed
 * however wtest ends, the worker's exit 78 included), forks and execs the worker with the
 * bootstrap JSON on fd 3 (exactly as ghrd does), waits for hello (token checked) and
 * ready, then sends the requests read from stdin, one JSON object per line:
 *   {"method":"github.runner.jit","body":{...},"timeout_ms":5000}
 * Sequentially by default; with --parallel all of them at once.  Each reply is printed
 * as one JSON line {"n":N,"method":…,"ok":…,"body":…|"error":{…},"ms":…}; with
 * --parallel a last line {"summary":{"n":…,"ok":…,"failed":…,"wall_ms":…}} follows.
 * Requests the worker makes to other workers are answered `unavailable` (there is no one
 * else here).  At the end the worker gets SIGTERM; its exit status goes to stderr and
 * becomes wtest's exit status when non-zero.  Exit 0 when every reply arrived. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <zmq.h>

#include "common/util.h"
#include "proto/proto.h"

#define MAX_REQ 100000

struct pending {
	char method[PROTO_NAME_MAX];
	int64_t sent_ms;
	int done;
};

static void *router;
static char bus_dir[4096];	/* the private directory of the bus socket, removed at exit */
static char worker_id[PROTO_NAME_MAX] = "worker";
static struct pending *pend;
static int n_pend, n_done, n_ok;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "wtest: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static json_t *load_json(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j) {
		fprintf(stderr, "wtest: %s:%d: %s\n", path, e.line, e.text);
		exit(2);
	}
	return j;
}

static int send_to_worker(struct proto_msg *m)
{
	size_t len;
	char *txt = proto_encode(m, &len);
	if (!txt)
		die("cannot encode a message for %s", m->method);
	int rc = 0;
	if (zmq_send(router, worker_id, strlen(worker_id), ZMQ_SNDMORE) < 0 ||
	    zmq_send(router, txt, len, 0) < 0)
		rc = -1;
	free(txt);
	return rc;
}

static void send_request(int n, const char *method, json_t *body, int64_t timeout_ms)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_REQ, "wtest");
	m.id = n + 1;
	snprintf(m.to, sizeof(m.to), "%s", worker_id);
	snprintf(m.method, sizeof(m.method), "%s", method);
	m.deadline_ms = wall_ms() + timeout_ms;
	m.body = body;
	snprintf(pend[n].method, sizeof(pend[n].method), "%s", method);
	pend[n].sent_ms = now_ms();
	if (send_to_worker(&m) < 0)
		die("send failed: %s", zmq_strerror(errno));
	proto_msg_clear(&m);        /* drops the reference the caller handed over */
}

/* Answer a request the worker made: nobody else is on this bus. */
static void refuse(const struct proto_msg *req)
{
	struct proto_msg r;
	proto_msg_init(&r, PROTO_REP, "ghrd");
	r.id = req->id;
	snprintf(r.to, sizeof(r.to), "%s", req->from);
	r.ok = 0;
	r.error = PROTO_E_UNAVAILABLE;
	snprintf(r.error_message, sizeof(r.error_message), "wtest: no worker serves %s here", req->method);
	send_to_worker(&r);
	proto_msg_clear(&r);
}

/* Receive one frame (waiting at most wait_ms); returns 1 when a message was handled. */
static int pump(int wait_ms, const char *token, int *hello, int *ready)
{
	zmq_pollitem_t it = { router, 0, ZMQ_POLLIN, 0 };
	if (zmq_poll(&it, 1, wait_ms) <= 0)
		return 0;
	char id[256];
	int idlen = zmq_recv(router, id, sizeof(id) - 1, 0);
	if (idlen < 0)
		return 0;
	zmq_msg_t msg;
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, router, 0) < 0) {
		zmq_msg_close(&msg);
		return 0;
	}
	struct proto_msg m;
	char err[256];
	if (proto_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "wtest: worker sent an invalid frame: %s\n", err);
		zmq_msg_close(&msg);
		return 1;
	}
	zmq_msg_close(&msg);
	switch (m.kind) {
	case PROTO_HELLO:
		if (strcmp(m.token, token) != 0)
			die("hello with a wrong token from %s", m.from);
		*hello = 1;
		break;
	case PROTO_READY:
		*ready = 1;
		break;
	case PROTO_REQ:
		refuse(&m);
		break;
	case PROTO_REP: {
		int n = (int)m.id - 1;
		if (n < 0 || n >= n_pend || pend[n].done) {
			fprintf(stderr, "wtest: unexpected reply id %lld\n", (long long)m.id);
			break;
		}
		pend[n].done = 1;
		n_done++;
		json_t *line = json_pack("{s:i,s:s,s:b,s:I}", "n", n + 1, "method", pend[n].method,
		                         "ok", m.ok, "ms", (json_int_t)(now_ms() - pend[n].sent_ms));
		if (m.ok) {
			n_ok++;
			json_object_set_new(line, "body", m.body ? json_incref(m.body) : json_object());
		} else {
			json_object_set_new(line, "error", json_pack("{s:s,s:s,s:I}",
			        "code", proto_error_name(m.error), "message", m.error_message,
			        "retry_after_ms", (json_int_t)m.retry_after_ms));
		}
		char *txt = json_dumps(line, JSON_COMPACT);
		printf("%s\n", txt);
		fflush(stdout);
		free(txt);
		json_decref(line);
		break;
	}
	default:
		break;
	}
	proto_msg_clear(&m);
	return 1;
}

/* Remove the bus socket and its directory, however wtest ends (atexit). */
static void remove_bus_dir(void)
{
	if (!bus_dir[0])
		return;
	char sock[4200];
	snprintf(sock, sizeof(sock), "%s/bus", bus_dir);
	unlink(sock);
	rmdir(bus_dir);
	bus_dir[0] = 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: wtest --worker PATH --config SLICE.json [--secret SECRET.json] "
	                "[--name NAME] [--parallel] [--timeout MS] [--log-level LEVEL]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *worker = NULL, *config = NULL, *secret = NULL, *level = "info";
	int parallel = 0;
	int64_t timeout_ms = 30000;
	static const struct option opts[] = {
		{ "worker", required_argument, 0, 'w' }, { "config", required_argument, 0, 'c' },
		{ "secret", required_argument, 0, 's' }, { "name", required_argument, 0, 'n' },
		{ "parallel", no_argument, 0, 'p' }, { "timeout", required_argument, 0, 't' },
		{ "log-level", required_argument, 0, 'l' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 } };
	int c;
	while ((c = getopt_long(argc, argv, "w:c:s:n:pt:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w': worker = optarg; break;
		case 'c': config = optarg; break;
		case 's': secret = optarg; break;
		case 'n': snprintf(worker_id, sizeof(worker_id), "%s", optarg); break;
		case 'p': parallel = 1; break;
		case 't': timeout_ms = atoll(optarg); break;
		case 'l': level = optarg; break;
		default: usage();
		}
	}
	if (!worker || !config)
		usage();
	signal(SIGPIPE, SIG_IGN);

	const char *tmp = getenv("TMPDIR");
	if (snprintf(bus_dir, sizeof(bus_dir), "%s/ghr-wtest-XXXXXX", tmp && *tmp ? tmp : "/tmp")
	    >= (int)sizeof(bus_dir) - 64 || !mkdtemp(bus_dir)) {
		bus_dir[0] = 0;
		die("cannot make a private directory under %s", tmp && *tmp ? tmp : "/tmp");
	}
	atexit(remove_bus_dir);
	char endpoint[4200];
	snprintf(endpoint, sizeof(endpoint), "ipc://%s/bus", bus_dir);

	void *ctx = zmq_ctx_new();
	router = zmq_socket(ctx, ZMQ_ROUTER);
	int one = 1, zero = 0;
	zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_bind(router, endpoint) < 0)
		die("bind: %s", zmq_strerror(errno));

	char token[PROTO_TOKEN_MAX];
	random_hex(token, 32);
	json_t *boot = json_pack("{s:i,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:{s:s,s:s,s:s},s:o,s:o}",
	        "v", PROTO_VERSION, "name", worker_id, "instance", worker_id, "token", token,
	        "bus", endpoint, "heartbeat_ms", 1000, "user", "", "group", "",
	        "log", "level", level, "format", "text", "file", "",
	        "config", load_json(config), "secret", secret ? load_json(secret) : json_null());
	char *boot_txt = json_dumps(boot, JSON_COMPACT);
	json_decref(boot);

	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		die("socketpair: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(sp[1], 3) < 0)
			_exit(127);
		char *cargv[] = { (char *)worker, NULL };
		execv(worker, cargv);
		fprintf(stderr, "wtest: exec %s: %s\n", worker, strerror(errno));
		_exit(127);
	}
	close(sp[1]);
	size_t blen = strlen(boot_txt);
	/* The bootstrap is one JSON document followed by a newline; the worker reads until
	 * the newline, so fd 3 stays open afterwards as the liveness pipe. */
	if (write(sp[0], boot_txt, blen) != (ssize_t)blen || write(sp[0], "\n", 1) != 1)
		die("cannot write the bootstrap: %s", strerror(errno));
	explicit_bzero(boot_txt, blen);
	free(boot_txt);

	int hello = 0, ready = 0;
	int64_t until = now_ms() + 15000;
	while (!ready && now_ms() < until) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "wtest: worker exited before ready (status %d)\n",
			        WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			return WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : 1;
		}
		pump(100, token, &hello, &ready);
	}
	if (!ready)
		die("worker not ready within 15 s%s", hello ? " (hello received)" : " (no hello)");

	pend = calloc(MAX_REQ, sizeof(*pend));
	char *line = NULL;
	size_t cap = 0;
	int64_t t0 = now_ms();
	while (getline(&line, &cap, stdin) > 0) {
		if (line[0] == '\n' || line[0] == '#')
			continue;
		if (n_pend == MAX_REQ)
			die("more than %d requests", MAX_REQ);
		json_error_t e;
		json_t *rq = json_loads(line, 0, &e);
		const char *method = rq ? json_string_value(json_object_get(rq, "method")) : NULL;
		if (!method)
			die("bad request line: %s", line);
		json_t *body = json_object_get(rq, "body");
		json_int_t t = json_integer_value(json_object_get(rq, "timeout_ms"));
		send_request(n_pend, method, body ? json_incref(body) : json_object(), t > 0 ? t : timeout_ms);
		n_pend++;
		json_decref(rq);
		if (!parallel) {
			int64_t limit = now_ms() + (t > 0 ? t : timeout_ms) + 2000;
			while (n_done < n_pend && now_ms() < limit)
				pump(100, token, &hello, &ready);
		}
	}
	free(line);
	int64_t limit = now_ms() + timeout_ms + 2000;
	while (n_done < n_pend && now_ms() < limit)
		pump(100, token, &hello, &ready);
	if (parallel)
		printf("{\"summary\":{\"n\":%d,\"ok\":%d,\"failed\":%d,\"missing\":%d,\"wall_ms\":%lld}}\n",
		       n_pend, n_ok, n_done - n_ok, n_pend - n_done, (long long)(now_ms() - t0));
	fflush(stdout);

	kill(pid, SIGTERM);
	int st = 0;
	int64_t kill_at = now_ms() + 5000;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ms() > kill_at) {
			fprintf(stderr, "wtest: worker ignored SIGTERM for 5 s, killing it\n");
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		pump(50, token, &hello, &ready);
	}
	close(sp[0]);
	free(pend);
	zmq_close(router);
	zmq_ctx_term(ctx);
	int wst = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (wst != 0)
		fprintf(stderr, "wtest: worker exit status %d\n", wst);
	if (n_done < n_pend)
		return 3;
	return wst;
}
