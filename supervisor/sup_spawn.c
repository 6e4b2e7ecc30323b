/* fork → exec one worker instance with its bootstrap on fd 3.
 *
 * ghrd has ZeroMQ I/O threads, so between fork and exec the child may only make
 * async-signal-safe calls: argv, envp and the bootstrap are all built before fork().
 * Nothing secret goes into argv or the environment; the environment is a short allow
 * list.  ghrd keeps its end of the socketpair open: the worker sees EOF on fd 3 when
 * ghrd dies, even by SIGKILL, and exits.  PR_SET_PDEATHSIG is a second guard for a
 * worker stuck where it does not watch fd 3 (e.g. before its loop runs); the kernel
 * clears it when the worker changes uid/gid, so the runtime sets it again after its
 * privilege drop.  The child gets a session of its own (setsid): a Ctrl-C or hang-up
 * on ghrd's terminal reaches ghrd only, which then stops the workers in order.
 *
 * Known limit: the secret passes through jansson's serialiser, whose internal buffer
 * growth may leave fragments in freed heap memory of ghrd; the buffers ghrd owns are
 * wiped. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/jsonwipe.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/sup.h"

#define MAX_ARGS 20
#define MAX_ENV 16

static const char *const env_pass[] = {
	"TZ", "LANG", "LC_ALL", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL
};

void sup_boot_close(struct sup *s, struct sup_worker *w)
{
	if (w->boot_buf) {
		explicit_bzero(w->boot_buf, w->boot_len);
		free(w->boot_buf);
		w->boot_buf = NULL;
	}
	if (w->boot_fd >= 0) {
		ev_fd_unwatch(s->loop, w->boot_fd);
		close(w->boot_fd);
		w->boot_fd = -1;
	}
}

/* Write what the socket takes; the rest when it becomes writable.  The buffer holds the
 * secret and is wiped as soon as it is written. */
static void boot_write(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct sup_worker *w = arg;
	while (w->boot_buf && w->boot_off < w->boot_len) {
		ssize_t n = write(fd, w->boot_buf + w->boot_off, w->boot_len - w->boot_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			ev_fd_watch(loop, fd, EV_WRITE, boot_write, w);
			return;
		}
		if (n < 0) {
			log_warn("cannot write bootstrap", "worker=%s error=%s", w->name,
			         log_q(strerror(errno)));
			break;   /* the worker sees a short bootstrap and exits; SIGCHLD follows */
		}
		w->boot_off += (size_t)n;
	}
	explicit_bzero(w->boot_buf, w->boot_len);
	free(w->boot_buf);
	w->boot_buf = NULL;
	ev_fd_unwatch(loop, fd);
}

static char *build_bootstrap(struct sup *s, struct sup_worker *w, size_t *len,
                             char *err, size_t errlen)
{
	json_t *secret = sup_secret_for(s->cfg, w->def, err, errlen);
	if (!secret)
		return NULL;
	random_hex(w->token, 32);
	json_t *b = sup_bootstrap_json(s, w, w->token, secret);
	char *text = b ? json_dumps(b, JSON_COMPACT) : NULL;
	jsonwipe(secret);   /* the copy inside b shares the strings: wiped too */
	json_decref(secret);
	json_decref(b);
	if (!text) {
		snprintf(err, errlen, "cannot build the bootstrap");
		return NULL;
	}
	size_t n = strlen(text);
	char *line = malloc(n + 2);
	if (line) {
		memcpy(line, text, n);
		line[n] = '\n';
		line[n + 1] = 0;
		*len = n + 1;
	}
	explicit_bzero(text, n);
	free(text);
	if (!line)
		snprintf(err, errlen, "out of memory");
	return line;
}

static void build_argv(const struct sup_worker *w, char *argv[MAX_ARGS + 2])
{
	int n = 0;
	argv[n++] = (char *)w->set.exec;
	size_t i;
	json_t *a;
	json_array_foreach(w->set.args, i, a)
		if (n < MAX_ARGS && json_is_string(a))
			argv[n++] = (char *)json_string_value(a);
	argv[n] = NULL;
}

static void build_env(char *envp[MAX_ENV])
{
	int n = 0;
	envp[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	extern char **environ;
	for (char **e = environ; e && *e && n < MAX_ENV - 1; e++)
		for (const char *const *p = env_pass; *p; p++) {
			size_t k = strlen(*p);
			if (strncmp(*e, *p, k) == 0 && (*e)[k] == '=')
				envp[n++] = *e;
		}
	envp[n] = NULL;
}

void sup_close_from(int lowfd, int maxfd, int try_close_range)
{
	if (try_close_range && syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0U) == 0)
		return;
	/* Older kernels (< 5.9) or a seccomp filter: one by one.  EBADF is fine. */
	for (int fd = lowfd; fd < maxfd; fd++)
		close(fd);
}

/* The highest descriptor number that may be open, read before fork. */
static int fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1 << 20)
		return 1 << 16;
	return (int)rl.rlim_cur;
}

/* Only async-signal-safe calls from here to execve. */
static void child(int fd, pid_t parent, int maxfd, char *const argv[], char *const envp[])
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)   /* ghrd died between fork and prctl */
		_exit(1);
	if (fd == 3)
		fcntl(3, F_SETFD, 0);
	else if (dup2(fd, 3) < 0)
		_exit(127);
	sup_close_from(4, maxfd, 1);
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0 && null != 0) {
		dup2(null, 0);
		close(null);
	}
	execve(argv[0], argv, envp);
	_exit(127);
}

int sup_spawn(struct sup *s, struct sup_worker *w, char *err, size_t errlen)
{
	size_t len = 0;
	if (sup_bus_open_worker(s, w, err, errlen) < 0)
		return -1;
	char *boot = build_bootstrap(s, w, &len, err, errlen);
	if (!boot) {
		sup_bus_close_worker(s, w);
		return -1;
	}
	char *argv[MAX_ARGS + 2], *envp[MAX_ENV];
	build_argv(w, argv);
	build_env(envp);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		explicit_bzero(boot, len);
		free(boot);
		sup_bus_close_worker(s, w);
		return -1;
	}
	pid_t parent = getpid();
	int maxfd = fd_limit();
	pid_t pid = fork();
	if (pid == 0)
		child(sv[1], parent, maxfd, argv, envp);
	close(sv[1]);
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		explicit_bzero(boot, len);
		free(boot);
		sup_bus_close_worker(s, w);
		return -1;
	}
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	w->pid = pid;
	w->boot_fd = sv[0];
	w->boot_buf = boot;
	w->boot_len = len;
	w->boot_off = 0;
	boot_write(s->loop, sv[0], EV_WRITE, w);
	return 0;
}
