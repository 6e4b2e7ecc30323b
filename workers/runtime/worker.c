/* worker_main: the life of a worker process, in the order worker.h documents. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/util.h"
#include "common/wipealloc.h"
#include "workers/runtime/worker_debug.h"
#include "workers/runtime/worker_int.h"

#define BOOT_FD 3

static worker_prehello_fn prehello_hook;
static int stand_in;

static void fatal_early(const char *what, const char *err)
{
	/* Logging may not be set up yet: stderr is what ghrd captures. */
	fprintf(stderr, "worker: %s: %s\n", what, err);
}

/* fd 3 readable: EOF (or an error) means ghrd is gone — no orphans. */
static void on_boot_fd(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct worker *w = arg;
	char buf[256];
	ssize_t r = read(fd, buf, sizeof(buf));
	if (r > 0 || (r < 0 && (errno == EINTR || errno == EAGAIN)))
		return;   /* nothing is expected after the bootstrap; ignore it */
	log_info("supervisor gone (fd 3 closed), exiting", "%s", "");
	ev_fd_unwatch(loop, fd);
	w->ignore_term = 0;
	w->stopping = 2;
	w->exit_status = 0;
	ev_stop(loop);
}

/* SIGHUP: logrotate moved the log file (ghrd passes its own SIGHUP on to every worker;
 * an operator may also signal a worker directly) — reopen, carry on.  This runs as the
 * worker user: the new file must be writable by it.
 * SIGTERM/SIGINT: stop taking work, finish what is being served, exit. */
void worker_on_signal(struct worker *w, int signo)
{
	if (signo == SIGHUP) {
		if (log_reopen() < 0)
			log_warn("cannot reopen the log file", "file=%s", log_q(w->boot.log_file));
		else
			log_info("log file reopened", "signal=%s", "HUP");
		return;
	}
	if (w->ignore_term) {
		log_warn("signal ignored (test mode)", "signal=%d", signo);
		return;
	}
	if (w->stopping)
		return;
	log_info("stopping", "signal=%d", signo);
	w->stopping = 1;
	if (w->def->shutdown)
		w->def->shutdown(w);
	worker_maybe_finish(w);
}

static void on_signal(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct worker *w = arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		worker_on_signal(w, (int)si.ssi_signo);
}

static int setup_signals(struct worker *w, char *err, size_t errlen)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, 0 };
	if ((w->sigfd = signals_to_fd(sigs, err, errlen)) < 0)
		return -1;
	return ev_fd_watch(w->loop, w->sigfd, EV_READ, on_signal, w);
}

/* The kernel clears PR_SET_PDEATHSIG when the uid or gid changes: set it again after
 * the drop, then make sure the parent did not already die in between (we would have
 * been reparented and nobody would signal us). */
static int rearm_parent_death(pid_t parent, char *err, size_t errlen)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) {
		snprintf(err, errlen, "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
		return -1;
	}
	if (getppid() != parent) {
		snprintf(err, errlen, "the supervisor (pid %d) is gone", (int)parent);
		return -1;
	}
	return 0;
}

static int start(struct worker *w, pid_t parent, int argc, char **argv, char *err,
                 size_t errlen)
{
	int br = worker_boot_read(BOOT_FD, &w->boot, err, errlen);
	if (br == WORKER_BOOT_IO)
		return 1;   /* ghrd gone or stuck: an ordinary failure, restart may help */
	if (br < 0)
		return WORKER_EX_CONFIG;   /* ghrd sent something this worker cannot use */
	worker_boot_register_secret(w->boot.secret);
	enum log_level lvl = LOG_LVL_INFO;
	log_level_parse(w->boot.log_level, &lvl);
	if (log_init(w->boot.instance, lvl, strcmp(w->boot.log_format, "json") == 0,
	             w->boot.log_file) < 0) {
		snprintf(err, errlen, "cannot open log file %s", w->boot.log_file);
		return WORKER_EX_CONFIG;
	}
	if (!stand_in && strcmp(w->boot.name, w->def->name) != 0) {
		snprintf(err, errlen, "bootstrap is for worker \"%s\", this is \"%s\"", w->boot.name,
		         w->def->name);
		return WORKER_EX_CONFIG;
	}
	if (!stand_in && worker_check_methods(w->def, err, errlen) < 0)
		return WORKER_EX_CONFIG;
	if (worker_privs_drop(w->boot.user, w->boot.group, err, errlen) < 0)
		return WORKER_EX_CONFIG;
	if (worker_privs_harden(err, errlen) < 0 || rearm_parent_death(parent, err, errlen) < 0)
		return 1;
	if (!(w->loop = ev_new())) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	if (setup_signals(w, err, errlen) < 0 ||
	    ev_fd_watch(w->loop, BOOT_FD, EV_READ, on_boot_fd, w) < 0)
		return 1;
	if (worker_bus_open(w, err, errlen) < 0)
		return 1;
	if (prehello_hook)
		prehello_hook(w, argc, argv);
	if (!w->skip_hello)
		worker_bus_hello(w);
	worker_bus_start_heartbeat(w);
	int r = w->def->init ? w->def->init(w, w->boot.config, w->boot.secret) : 0;
	worker_boot_wipe_secret(&w->boot);
	if (r == WORKER_INIT_RETRY) {
		snprintf(err, errlen, "initialisation failed; it may pass: exit 1, to be restarted");
		return 1;
	}
	if (r < 0) {
		snprintf(err, errlen, "initialisation failed");
		return WORKER_EX_CONFIG;
	}
	return 0;
}

int worker_main(int argc, char **argv, const struct worker_def *def)
{
	static struct worker w;   /* one per process; static so hooks may keep pointers */
	char err[512] = "";
	/* Before any jansson call (the bootstrap is parsed with it): every JSON block this
	 * process frees is wiped — secrets, JIT configs, tokens, user_data. */
	wipealloc_install();
	/* Undumpable before the secret is read: no core file, no ptrace or /proc/PID/mem by
	 * another process of the same uid while the bootstrap sits in memory. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Two arenas, not one per thread: libzmq's I/O thread would otherwise get its own
	 * arena holding large receive buffers (frames up to 1 MiB) that never shrink. */
	mallopt(M_ARENA_MAX, 2);
	pid_t parent = getppid();   /* ghrd: read before the privilege drop */
	w.def = def;
	w.sigfd = -1;
	w.next_call_id = worker_first_call_id();
	int r = start(&w, parent, argc, argv, err, sizeof(err));
	if (r != 0) {
		if (w.boot.instance)
			log_error("worker cannot start", "error=%s", log_q(err));
		else
			fatal_early("cannot start", err);
		worker_boot_wipe_secret(&w.boot);
		return r;
	}
	log_info("worker started", "pid=%d", (int)getpid());
	if (ev_run(w.loop) < 0 && w.exit_status == 0)
		w.exit_status = 1;
	if (w.stopping)
		worker_calls_fail_all(&w, PROTO_E_SHUTTING_DOWN, "the worker is stopping");
	worker_bus_bye(&w);
	worker_bus_close(&w);
	log_info("worker exiting", "status=%d", w.exit_status);
	redact_clear_secrets();
	json_decref(w.boot.root);
	return w.exit_status;
}

struct ev_loop *worker_loop(struct worker *w) { return w->loop; }
const char *worker_instance(const struct worker *w) { return w->boot.instance; }
const json_t *worker_config(const struct worker *w) { return w->boot.config; }
void worker_set_data(struct worker *w, void *data) { w->data = data; }
void *worker_data(const struct worker *w) { return w->data; }

void worker_set_ready(struct worker *w)
{
	if (w->ready)
		return;
	w->ready = 1;
	if (w->skip_hello)
		return;
	struct proto_msg m;
	proto_msg_init(&m, PROTO_READY, w->boot.instance);
	worker_bus_send(w, &m);
	log_info("ready", "%s", "");
}

void worker_emit(struct worker *w, const char *topic, json_t *body)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_EVT, w->boot.instance);
	snprintf(m.topic, sizeof(m.topic), "%s", topic);
	m.body = body ? body : json_object();
	worker_bus_send(w, &m);
	proto_msg_clear(&m);
}

void worker_exit(struct worker *w, int status)
{
	w->exit_status = status;
	w->ignore_term = 0;
	ev_stop(w->loop);
}

/* ---- test hooks (worker_debug.h) ---- */
void worker_debug_set_prehello(worker_prehello_fn fn) { prehello_hook = fn; }
void worker_debug_stand_in(void) { stand_in = 1; }
void worker_debug_skip_hello(struct worker *w) { w->skip_hello = 1; }
void worker_debug_ignore_term(struct worker *w) { w->ignore_term = 1; }
int worker_debug_send_raw(struct worker *w, const void *data, size_t len)
{
	return worker_bus_send_raw(w, data, len);
}
void worker_debug_stop_heartbeat(struct worker *w)
{
	w->no_heartbeat = 1;
	if (w->hb_timer) {
		ev_timer_del(w->loop, w->hb_timer);
		w->hb_timer = 0;
	}
}
