/* ghrd — the supervisor.  Runs in the foreground (init supervises it), starts the
 * workers, routes the bus, answers the control socket.  See ghrd(8).
 *
 * Exit status: 0 after a requested stop, 1 on a runtime failure (an essential worker
 * failed, a socket could not be bound, another ghrd runs), 78 (EX_CONFIG) when the
 * configuration is invalid or an essential worker reported a configuration error. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "common/config.h"
#include "common/evloop.h"
#include "common/log.h"
#include "common/util.h"
#include "common/wipealloc.h"
#include "supervisor/sup.h"

#define DEFAULT_CONFIG "/etc/ghr/ghr.yaml"

static void print_warning(const char *msg, void *config)
{
	fprintf(stderr, "ghrd: %s: warning: %s\n", (const char *)config, msg);
}

static void log_warning(const char *msg, void *arg)
{
	log_warn("configuration", "warning=%s", log_q(msg));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ghrd [-f CONFIG] [-n] [-v] [-V] [-h]\n"
	           "  -f, --config CONFIG  configuration file (default " DEFAULT_CONFIG ")\n"
	           "  -n, --check          check the configuration and exit (0 valid, 78 invalid)\n"
	           "  -v, --verbose        log at debug level\n"
	           "  -V, --version        print the version and exit\n"
	           "  -h, --help           this help\n"
	           "See ghrd(8), ghr.yaml(5) and ghr-ctl(1).\n");
}

/* The workers run in sessions of their own and never see the terminal's or a group's
 * SIGHUP: after logrotate, they reopen log.file only when ghrd passes the signal on.
 * They reopen it as the worker user (after the privilege drop), so the file must be
 * writable by that user — see ghrd(8) and etc/logrotate.d/ghr.  A pid > 0 has not been
 * reaped yet, so it is still that worker's, running or a zombie. */
/* The workers append to the same log.file after dropping to supervisor.user/group;
 * ghrd (root, without CAP_DAC_OVERRIDE under the shipped unit) owns the file and gives
 * it to that group, mode 0660.  Checked at start and after every reopen. */
static void share_log(struct sup *s)
{
	const char *group = cfg_str(s->cfg, "supervisor.group");
	if (geteuid() != 0 || !group || !*group)
		return;
	struct group *g = getgrnam(group);
	if (!g || log_share_with_group((unsigned)g->gr_gid) < 0)
		log_warn("cannot give the log file to the workers' group", "group=%s error=%s",
		         log_q(group), log_q(g ? strerror(errno) : "no such group"));
}

static void warn_stderr(void *ctx, const char *msg)
{
	fprintf(stderr, "ghrd: warning: %s\n", msg);
}

static void warn_log(void *ctx, const char *msg)
{
	log_warn("secret file readable by a worker", "detail=%s", log_q(msg));
}

static void forward_hup(struct sup *s)
{
	for (size_t i = 0; i < s->n_workers; i++)
		if (s->workers[i]->pid > 0)
			kill(s->workers[i]->pid, SIGHUP);
}

static void on_signal(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct sup *s = arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD: {
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				sup_on_child(s, pid, status);
			break;
		}
		case SIGTERM:
		case SIGINT:
			log_info("signal received, stopping", "signal=%s",
			         si.ssi_signo == SIGTERM ? "TERM" : "INT");
			sup_begin_shutdown(s, 0);
			break;
		case SIGHUP: {
			char err[1024];
			json_t *restarted = json_array();
			log_info("SIGHUP: reloading the configuration", "path=%s", log_q(s->config_path));
			log_reopen();
			share_log(s);
			forward_hup(s);
			if (sup_reload(s, restarted, err, sizeof(err)) < 0)
				log_error("reload refused, keeping the running configuration", "error=%s",
				          log_q(err));
			json_decref(restarted);
			break;
		}
		}
	}
}

static void on_tick(struct ev_loop *loop, int64_t id, void *arg)
{
	struct sup *s = arg;
	sup_tick(s);
	sup_route_expire(s);
	int64_t every = cfg_int(s->cfg, "supervisor.heartbeat") / 4;
	s->tick_timer = ev_timer_add(loop, every < 10 ? 10 : every > 250 ? 250 : every, on_tick, s);
}

static int setup_signals(struct sup *s, char *err, size_t errlen)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, 0 };
	if ((s->sig_fd = signals_to_fd(sigs, err, errlen)) < 0)
		return -1;
	return ev_fd_watch(s->loop, s->sig_fd, EV_READ, on_signal, s);
}

static int make_run_dir(struct sup *s, char *err, size_t errlen)
{
	const char *dir = cfg_str(s->cfg, "run_dir");
	if (!dir || !*dir)
		dir = PROTO_RUN_DIR_DEFAULT;
	if (strlen(dir) > SUP_RUN_DIR_MAX) {
		snprintf(err, errlen, "run_dir: longer than %d bytes (socket paths are limited)",
		         SUP_RUN_DIR_MAX);
		return -1;
	}
	snprintf(s->run_dir, sizeof(s->run_dir), "%s", dir);
	sup_control_paths(s);
	/* 0751: others may only reach sockets by name: the public control socket (0666,
	 * read-only for them, see sup_control.c) and each worker its own bus socket (0600,
	 * its user's); the admin control socket is root's and the admin group's. */
	if (mkdir(s->run_dir, 0751) == 0) {
		if (chmod(s->run_dir, 0751) < 0) {   /* whatever the umask */
			snprintf(err, errlen, "cannot chmod %s: %s", s->run_dir, strerror(errno));
			return -1;
		}
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", s->run_dir, strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(s->run_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", s->run_dir);
		return -1;
	}
	return 0;
}

static int setup(struct sup *s, char *err, size_t errlen)
{
	if (make_run_dir(s, err, errlen) < 0 || sup_single_lock(s, err, errlen) < 0)
		return -1;
	if (!(s->loop = ev_new()) || !(s->pending = sup_pending_new()) ||
	    !(s->zctx = zmq_ctx_new()) || zmq_ctx_set(s->zctx, ZMQ_IO_THREADS, 1) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (setup_signals(s, err, errlen) < 0 || sup_control_open(s, err, errlen) < 0)
		return -1;
	return sup_instances_build(s, s->cfg, err, errlen);
}

/* Requests still in flight at exit: only a metrics merge owns memory. */
static void drop_in_flight(struct sup *s, const struct sup_pending_entry *e, void *arg)
{
	if (e->origin.kind == SUP_ORIGIN_MERGE)
		sup_merge_free(e->origin.merge);
}

static void teardown(struct sup *s)
{
	if (s->pending)
		sup_pending_clear(s->pending, drop_in_flight, s, NULL);
	for (size_t i = 0; i < s->n_workers; i++) {
		sup_boot_close(s, s->workers[i]);
		sup_bus_close_worker(s, s->workers[i]);
		json_decref(s->workers[i]->set.args);
		json_decref(s->workers[i]->slice);
		free(s->workers[i]);
	}
	free(s->workers);
	sup_control_close(s);
	if (s->zctx)
		zmq_ctx_term(s->zctx);
	sup_pending_free(s->pending);
	sup_single_unlock(s);
	ev_free(s->loop);
	json_decref(s->cfg);
}

int main(int argc, char **argv)
{
	static struct sup s;
	const char *config = DEFAULT_CONFIG;
	/* Before any jansson call: every JSON block freed from now on is wiped (the
	 * bootstraps carry secrets, replies routed through carry JIT configs). */
	wipealloc_install();
	/* Two malloc arenas, not one per thread: libzmq's I/O thread would otherwise get an
	 * arena of its own holding its large receive buffers (up to a 1 MiB frame each) that
	 * the main thread's frees never shrink.  The fleet's memory target is tight. */
	mallopt(M_ARENA_MAX, 2);
	int check_only = 0, c;
	s.lock_fd = s.sig_fd = -1;
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' }, { "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' }, { "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	while ((c = getopt_long(argc, argv, "f:nvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': config = optarg; break;
		case 'n': check_only = 1; break;
		case 'v': s.verbose = 1; break;
		case 'V': printf("ghrd %s (protocol %d)\n", GHR_VERSION, PROTO_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	char err[1024];
	s.config_path = config;
	if (!(s.cfg = sup_config_load(config, err, sizeof(err)))) {
		fprintf(stderr, "ghrd: %s\n", err);
		return SUP_EX_CONFIG;
	}
	if (check_only) {
		sup_config_warnings(s.cfg, print_warning, (void *)config);
		int warnings = sup_secret_files_check(s.cfg, warn_stderr, NULL);
		printf("ghrd: %s: configuration OK%s\n", config,
		       warnings ? " (with warnings)" : "");
		json_decref(s.cfg);
		return 0;
	}
	enum log_level lvl = LOG_LVL_INFO;
	log_level_parse(cfg_str(s.cfg, "log.level"), &lvl);
	if (log_init("ghrd", s.verbose ? LOG_LVL_DEBUG : lvl,
	             strcmp(cfg_str(s.cfg, "log.format") ?: "text", "json") == 0,
	             cfg_str(s.cfg, "log.file")) < 0) {
		fprintf(stderr, "ghrd: cannot open log file %s\n", cfg_str(s.cfg, "log.file"));
		return SUP_EX_CONFIG;
	}
	share_log(&s);
	s.start_ms = now_ms();
	if (setup(&s, err, sizeof(err)) < 0) {
		log_error("cannot start", "error=%s", log_q(err));
		fprintf(stderr, "ghrd: %s\n", err);
		teardown(&s);
		return 1;
	}
	log_info("ghrd started", "version=%s pid=%d run_dir=%s workers=%zu", GHR_VERSION,
	         (int)getpid(), log_q(s.run_dir), s.n_workers);
	sup_config_warnings(s.cfg, log_warning, NULL);
	/* Running the workers as root (supervisor.run_workers_as_root) throws away the
	 * privilege separation that keeps a compromised worker from reading another's
	 * secret: say so, as for a secret file a worker can read. */
	if (geteuid() == 0 && cfg_bool(s.cfg, "supervisor.run_workers_as_root"))
		log_warn("workers may run as root", "hint=%s",
		         log_q("supervisor.run_workers_as_root is true"));
	sup_secret_files_check(s.cfg, warn_log, NULL);
	for (size_t i = 0; i < s.n_workers; i++)
		sup_start(&s, s.workers[i]);
	if (s.n_workers == 0) {
		s.ready_notified = 1;
		sup_notify("READY=1");
	}
	sup_notify_status(&s);
	sup_notify_start_watchdog(&s);
	on_tick(s.loop, 0, &s);
	if (ev_run(s.loop) < 0 && s.exit_code == 0)
		s.exit_code = 1;
	log_info("ghrd stopped", "exit_code=%d", s.exit_code);
	teardown(&s);
	return s.exit_code;
}
