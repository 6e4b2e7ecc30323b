/* The cap on control connections.
 *
 * libzmq cannot refuse or drop one peer of a ROUTER, so the cap works on the
 * listener: a socket monitor counts the connections accepted, and at SUP_CTL_MAX_CONNS
 * ghrd unbinds the control socket, which closes every control connection and frees what
 * they held, and listens again CTL_RELISTEN_MS later (after libzmq has removed the old
 * socket file).  Memory held for control clients is then at most about
 * SUP_CTL_MAX_CONNS × (CTL_RCVHWM + 1) frames of CTL_MAXMSG (sup_control.c), whatever
 * they send; a client holding connections costs others their connection, never the
 * fleet. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "common/evloop.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/sup.h"

#define CTL_RELISTEN_MS 250

int sup_control_bind(struct sup *s, char *err, size_t errlen)
{
	mode_t old = umask(0111);   /* 0666: anyone may connect; rights are per request */
	int r = zmq_bind(s->ctl, s->control_ep);
	umask(old);
	if (r < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", s->control_ep, zmq_strerror(errno));
		return -1;
	}
	if (chmod(s->control_path, 0666) < 0)
		log_warn("cannot open the control socket to readers", "error=%s", log_q(strerror(errno)));
	return 0;
}

static void on_relisten(struct ev_loop *loop, int64_t id, void *arg)
{
	struct sup *s = arg;
	char err[256];
	struct stat st;
	s->ctl_timer = 0;
	if (!s->ctl_paused) {
		/* listening: make sure the old listener's late unlink did not take the file */
		if (stat(s->control_path, &st) == 0)
			return;
		zmq_unbind(s->ctl, s->control_ep);
	}
	if (sup_control_bind(s, err, sizeof(err)) == 0) {
		s->ctl_paused = 0;
		log_info("control socket listening again", "path=%s", log_q(s->control_path));
	} else {
		log_error("cannot listen on the control socket again", "error=%s", log_q(err));
	}
	s->ctl_timer = ev_timer_add(loop, CTL_RELISTEN_MS, on_relisten, s);   /* check */
}

static void apply_cap(struct sup *s)
{
	if (s->ctl_paused || s->ctl_conns < SUP_CTL_MAX_CONNS)
		return;
	if (zmq_unbind(s->ctl, s->control_ep) < 0)
		return;
	s->ctl_paused = 1;
	s->ctl_full_events++;
	int64_t suppressed;
	if (sup_ratelimit_pass(&s->rl_ctl_full, now_ms(), &suppressed))
		log_warn("control socket full: every control connection closed", "max=%d times=%lld",
		         SUP_CTL_MAX_CONNS, (long long)s->ctl_full_events);
	s->ctl_conns = 0;
	if (s->ctl_timer)
		ev_timer_del(s->loop, s->ctl_timer);
	s->ctl_timer = ev_timer_add(s->loop, CTL_RELISTEN_MS, on_relisten, s);
}

/* Monitor events: [16-bit event, 32-bit value][endpoint]. */
static void on_monitor(struct ev_loop *loop, void *zsock, int events, void *arg)
{
	struct sup *s = arg;
	for (int i = 0; i < 256; i++) {
		zmq_msg_t ev, addr;
		zmq_msg_init(&ev);
		zmq_msg_init(&addr);
		int got = zmq_msg_recv(&ev, zsock, ZMQ_DONTWAIT) >= 0;
		if (got && zmq_msg_more(&ev))
			zmq_msg_recv(&addr, zsock, ZMQ_DONTWAIT);
		if (got && zmq_msg_size(&ev) >= 6) {
			uint16_t id;
			memcpy(&id, zmq_msg_data(&ev), sizeof(id));
			if (id == ZMQ_EVENT_ACCEPTED)
				s->ctl_conns++;
			else if (id == ZMQ_EVENT_DISCONNECTED && s->ctl_conns > 0)
				s->ctl_conns--;
		}
		zmq_msg_close(&ev);
		zmq_msg_close(&addr);
		if (!got)
			break;
	}
	apply_cap(s);
}

int sup_control_cap_open(struct sup *s, char *err, size_t errlen)
{
	char ep[64];
	snprintf(ep, sizeof(ep), "inproc://ghrd-control-monitor-%p", (void *)s);
	if (zmq_socket_monitor(s->ctl, ep, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) < 0 ||
	    !(s->ctl_monitor = zmq_socket(s->zctx, ZMQ_PAIR)) || zmq_connect(s->ctl_monitor, ep) < 0) {
		snprintf(err, errlen, "control socket monitor: %s", zmq_strerror(errno));
		return -1;
	}
	return ev_zsock_watch(s->loop, s->ctl_monitor, EV_READ, on_monitor, s);
}

void sup_control_cap_close(struct sup *s)
{
	if (s->ctl_timer) {
		ev_timer_del(s->loop, s->ctl_timer);
		s->ctl_timer = 0;
	}
	if (s->ctl_monitor) {
		ev_zsock_unwatch(s->loop, s->ctl_monitor);
		zmq_close(s->ctl_monitor);
		s->ctl_monitor = NULL;
	}
	if (s->ctl)
		zmq_socket_monitor(s->ctl, NULL, 0);
}
