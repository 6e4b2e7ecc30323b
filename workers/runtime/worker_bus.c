/* The worker's end of the bus: one DEALER whose routing id is the instance name.
 *
 * Sends are bounded: SNDTIMEO keeps a stalled ghrd from freezing the worker for more than
 * a moment (the frame is then dropped and logged; the caller's deadline handles the
 * rest).  Receives drain everything queued per wake-up, up to a batch limit so timers
 * and other descriptors still get their turn under load. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "common/evloop.h"
#include "common/log.h"
#include "workers/runtime/worker_int.h"

#define RECV_BATCH 256
#define SEND_TIMEOUT_MS 1000
/* Frames queued per direction.  Low on purpose: frames may be 1 MiB, and a stalled
 * ghrd must not make a worker buffer hundreds of them (sends then time out instead). */
#define BUS_HWM 1000
/* After a frame this large, freed buffers go back to the kernel (malloc_trim). */
#define TRIM_ABOVE (256 * 1024)
/* ghrd refuses a routing id still held by a dying predecessor: retry soon. */
#define RECONNECT_MS 20

int worker_bus_send_raw(struct worker *w, const void *data, size_t len)
{
	if (!w->zsock)
		return -1;
	if (zmq_send(w->zsock, data, len, 0) < 0) {
		log_warn("bus send failed", "error=%s", log_q(zmq_strerror(errno)));
		return -1;
	}
	return 0;
}

int worker_bus_send(struct worker *w, const struct proto_msg *m)
{
	size_t len = 0;
	char *text = proto_encode(m, &len);
	if (!text) {
		log_error("cannot encode a message", "kind=%s method=%s", proto_kind_name(m->kind),
		          log_q(m->method));
		return -1;
	}
	int r = worker_bus_send_raw(w, text, len);
	free(text);
	return r;
}

static void on_frame(struct worker *w, const void *data, size_t len)
{
	struct proto_msg m;
	char err[256];
	if (proto_decode(data, len, &m, err, sizeof(err)) < 0) {
		log_warn("invalid frame from the bus dropped", "reason=%s", log_q(err));
		return;
	}
	switch (m.kind) {
	case PROTO_REQ:
		worker_dispatch(w, &m);
		break;
	case PROTO_REP:
		worker_calls_on_reply(w, &m);
		break;
	case PROTO_EVT:
		if (w->def->on_event)
			w->def->on_event(w, m.topic, m.body ? m.body : json_object(), m.from);
		break;
	default:
		log_debug("unexpected frame kind ignored", "kind=%s", proto_kind_name(m.kind));
	}
	proto_msg_clear(&m);
}

static void on_readable(struct ev_loop *loop, void *zsock, int events, void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < RECV_BATCH && w->zsock; i++) {
		zmq_msg_t msg;
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, zsock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&msg);
			return;
		}
		int more = zmq_msg_more(&msg);
		size_t len = zmq_msg_size(&msg);
		if (!more)
			on_frame(w, zmq_msg_data(&msg), len);
		zmq_msg_close(&msg);
		if (len > TRIM_ABOVE)
			malloc_trim(0);
		while (more) {   /* multi-part is not part of the protocol: drain and drop */
			zmq_msg_init(&msg);
			if (zmq_msg_recv(&msg, zsock, ZMQ_DONTWAIT) < 0)
				more = 0;
			else
				more = zmq_msg_more(&msg);
			zmq_msg_close(&msg);
		}
	}
}

int worker_bus_open(struct worker *w, char *err, size_t errlen)
{
	w->zctx = zmq_ctx_new();
	if (!w->zctx || zmq_ctx_set(w->zctx, ZMQ_IO_THREADS, 1) < 0) {
		snprintf(err, errlen, "zmq_ctx_new: %s", zmq_strerror(errno));
		return -1;
	}
	w->zsock = zmq_socket(w->zctx, ZMQ_DEALER);
	if (!w->zsock) {
		snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
		return -1;
	}
	int zero = 0, hwm = BUS_HWM, sndto = SEND_TIMEOUT_MS, reconnect = RECONNECT_MS;
	int64_t maxmsg = PROTO_MAX_FRAME;
	const char *id = w->boot.instance;
	if (zmq_setsockopt(w->zsock, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_setsockopt(w->zsock, ZMQ_ROUTING_ID, id, strlen(id)) < 0 ||
	    zmq_setsockopt(w->zsock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0 ||
	    zmq_setsockopt(w->zsock, ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0 ||
	    zmq_setsockopt(w->zsock, ZMQ_RCVHWM, &hwm, sizeof(hwm)) < 0 ||
	    zmq_setsockopt(w->zsock, ZMQ_SNDTIMEO, &sndto, sizeof(sndto)) < 0 ||
	    zmq_setsockopt(w->zsock, ZMQ_RECONNECT_IVL, &reconnect, sizeof(reconnect)) < 0 ||
	    zmq_connect(w->zsock, w->boot.bus) < 0) {
		snprintf(err, errlen, "bus %s: %s", w->boot.bus, zmq_strerror(errno));
		return -1;
	}
	if (ev_zsock_watch(w->loop, w->zsock, EV_READ, on_readable, w) < 0) {
		snprintf(err, errlen, "cannot watch the bus socket");
		return -1;
	}
	return 0;
}

void worker_bus_close(struct worker *w)
{
	if (w->zsock) {
		/* Give the last frames (reply, bye) a moment to leave, then let go. */
		int linger = 200;
		zmq_setsockopt(w->zsock, ZMQ_LINGER, &linger, sizeof(linger));
		ev_zsock_unwatch(w->loop, w->zsock);
		zmq_close(w->zsock);
		w->zsock = NULL;
	}
	if (w->zctx) {
		zmq_ctx_term(w->zctx);
		w->zctx = NULL;
	}
}

void worker_bus_hello(struct worker *w)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_HELLO, w->boot.instance);
	memcpy(m.token, w->boot.token, sizeof(m.token));
	m.pid = getpid();
	worker_bus_send(w, &m);
	proto_msg_clear(&m);
	explicit_bzero(w->boot.token, sizeof(w->boot.token));   /* one-time */
}

static void send_hb(struct worker *w)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_HB, w->boot.instance);
	m.seq = ++w->hb_seq;
	snprintf(m.state, sizeof(m.state), "%s",
	         w->stopping ? "stopping" : w->ready ? "ready" : "starting");
	worker_bus_send(w, &m);
}

static void on_hb_timer(struct ev_loop *loop, int64_t id, void *arg)
{
	struct worker *w = arg;
	w->hb_timer = 0;
	if (w->no_heartbeat)
		return;
	send_hb(w);
	w->hb_timer = ev_timer_add(loop, w->boot.heartbeat_ms, on_hb_timer, w);
}

void worker_bus_start_heartbeat(struct worker *w)
{
	w->hb_timer = ev_timer_add(w->loop, w->boot.heartbeat_ms, on_hb_timer, w);
}

void worker_bus_bye(struct worker *w)
{
	struct proto_msg m;
	proto_msg_init(&m, PROTO_BYE, w->boot.instance);
	worker_bus_send(w, &m);
}
