/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET (a path, or '@' for the
 * abstract namespace).  WATCHDOG=1 goes out at half of $WATCHDOG_USEC, and only while
 * every ready worker's heartbeat is fresh: a ghrd whose workers are wedged stops
 * petting the watchdog and systemd restarts the whole tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/config.h"
#include "common/evloop.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/sup.h"

int sup_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	if (len >= sizeof(sa.sun_path) || (path[0] != '/' && path[0] != '@'))
		return -1;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t r = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	                   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
	return r < 0 ? -1 : 0;
}

static int heartbeats_fresh(const struct sup *s)
{
	int64_t now = now_ms();
	int64_t max = cfg_int(s->cfg, "supervisor.heartbeat") * cfg_int(s->cfg, "supervisor.liveness");
	for (size_t i = 0; i < s->n_workers; i++) {
		const struct sup_worker *w = s->workers[i];
		if (w->state == SUP_W_READY && now - w->last_seen_ms > max)
			return 0;
	}
	return 1;
}

static void on_watchdog(struct ev_loop *loop, int64_t id, void *arg)
{
	struct sup *s = arg;
	if (heartbeats_fresh(s))
		sup_notify("WATCHDOG=1");
	else
		log_warn("watchdog not petted: a worker's heartbeat is stale", "%s", "");
	s->watchdog_timer = ev_timer_add(loop, s->watchdog_usec / 2000, on_watchdog, s);
}

void sup_notify_start_watchdog(struct sup *s)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	if (!usec || (pid && atol(pid) != (long)getpid()))
		return;
	s->watchdog_usec = atoll(usec);
	if (s->watchdog_usec < 2000)
		return;
	s->watchdog_timer = ev_timer_add(s->loop, s->watchdog_usec / 2000, on_watchdog, s);
}

void sup_notify_status(struct sup *s)
{
	size_t ready = 0, failed = 0;
	for (size_t i = 0; i < s->n_workers; i++) {
		ready += s->workers[i]->state == SUP_W_READY;
		failed += s->workers[i]->state == SUP_W_FAILED;
	}
	char msg[128];
	snprintf(msg, sizeof(msg), "STATUS=%zu/%zu workers ready%s", ready, s->n_workers,
	         failed ? ", some failed" : "");
	sup_notify(msg);
}
