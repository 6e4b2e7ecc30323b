/* The cap on control connections, one per endpoint.
 *
 * libzmq cannot refuse or drop one peer of a ROUTER, so the cap works on the
 * listener: a socket monitor counts the connections accepted, and at SUP_CTL_MAX_CONNS
 * ghrd unbinds that control socket, which closes every connection to it and frees what
 * they held, and listens again CTL_RELISTEN_MS later (after libzmq has removed the old
 * socket file).  Memory held for control clients is then at most about
 * SUP_CTL_COUNT × SUP_CTL_MAX_CONNS × (CTL_RCVHWM + 1) frames of CTL_MAXMSG
 * (sup_control.c), whatever they send; a client holding connections costs the others
 * on the same socket their connection, never the fleet, and never the users of the
 * admin socket (sup_control_bind.c) unless it may open that one too. */
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

static void on_relisten(struct ev_loop *loop, int64_t id, void *arg)
{
	struct sup_ctl_ep *e = arg;
	char err[256];
	struct stat st;
	e->timer = 0;
	if (!e->paused) {
		/* listening: make sure the old listener's late unlink did not take the file */
		if (stat(e->path, &st) == 0)
			return;
		zmq_unbind(e->sock, e->ep);
	}
	if (sup_control_bind(e, err, sizeof(err)) == 0) {
		e->paused = 0;
		log_info("control socket listening again", "path=%s", log_q(e->path));
	} else {
		log_error("cannot listen on the control socket again", "path=%s error=%s",
		          log_q(e->path), log_q(err));
	}
	e->timer = ev_timer_add(loop, CTL_RELISTEN_MS, on_relisten, e);   /* check */
}

static void apply_cap(struct sup_ctl_ep *e)
{
	if (e->paused || e->conns < SUP_CTL_MAX_CONNS)
		return;
	if (zmq_unbind(e->sock, e->ep) < 0)
		return;
	e->paused = 1;
	e->full_events++;
	int64_t suppressed;
	if (sup_ratelimit_pass(&e->rl_full, now_ms(), &suppressed))
		log_warn("control socket full: every connection to it closed",
		         "socket=%s max=%d times=%lld", sup_control_label(e->which), SUP_CTL_MAX_CONNS,
		         (long long)e->full_events);
	e->conns = 0;
	struct ev_loop *loop = e->sup->loop;
	if (e->timer)
		ev_timer_del(loop, e->timer);
	e->timer = ev_timer_add(loop, CTL_RELISTEN_MS, on_relisten, e);
}

/* Monitor events: [16-bit event, 32-bit value][endpoint]. */
static void on_monitor(struct ev_loop *loop, void *zsock, int events, void *arg)
{
	struct sup_ctl_ep *e = arg;
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
				e->conns++;
			else if (id == ZMQ_EVENT_DISCONNECTED && e->conns > 0)
				e->conns--;
		}
		zmq_msg_close(&ev);
		zmq_msg_close(&addr);
		if (!got)
			break;
	}
	apply_cap(e);
}

int sup_control_cap_open(struct sup_ctl_ep *e, char *err, size_t errlen)
{
	char ep[64];
	snprintf(ep, sizeof(ep), "inproc://ghrd-control-monitor-%p", (void *)e);
	if (zmq_socket_monitor(e->sock, ep, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) < 0 ||
	    !(e->monitor = zmq_socket(e->sup->zctx, ZMQ_PAIR)) || zmq_connect(e->monitor, ep) < 0) {
		snprintf(err, errlen, "control socket monitor: %s", zmq_strerror(errno));
		return -1;
	}
	return ev_zsock_watch(e->sup->loop, e->monitor, EV_READ, on_monitor, e);
}

void sup_control_cap_close(struct sup_ctl_ep *e)
{
	if (e->timer) {
		ev_timer_del(e->sup->loop, e->timer);
		e->timer = 0;
	}
	if (e->monitor) {
		ev_zsock_unwatch(e->sup->loop, e->monitor);
		zmq_close(e->monitor);
		e->monitor = NULL;
	}
	if (e->sock)
		zmq_socket_monitor(e->sock, NULL, 0);
}
