/* The bus: one ROUTER per worker process, on ipc://<run_dir>/w<generation>, that only
 * that worker's user can connect to (see sup_bus_open_worker).
 *
 * Nothing a worker sends is trusted.  A frame is accepted only on the worker's own
 * socket, with the worker's name as routing id, from the process ghrd started for it
 * (the kernel's peer pid, via SO_PEERCRED, must be that instance's pid), after a hello
 * that carried the instance's one-time token; `from` must equal the routing id.
 * Anything else is counted, logged (rate-limited) and dropped.  A routing id therefore
 * belongs to the process ghrd spawned: another worker or a local user cannot even
 * connect to its socket, so it can neither take the id nor keep a restarted worker out
 * (a socket shared by all, as before, let any member of the workers' group hold a
 * name).  Events are accepted only under the topic prefixes the worker table lets that
 * worker publish. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "common/config.h"
#include "common/evloop.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/sup.h"

#define RECV_BATCH 512
/* Frames queued per peer and direction.  Low on purpose: at up to 1 MiB a frame, a high
 * mark lets one stalled peer pin hundreds of MiB; callers see `unavailable` instead. */
#define BUS_HWM 1000
#define BUS_DRAIN_MAX (2 * BUS_HWM)

/* The kernel's credentials of the peer (SO_PEERCRED), which libzmq (4.3) puts in an ipc
 * connection's "Peer-Address" as "localhost:uid:gid:pid".  A tcp peer's address is its
 * IP, and an IPv6 one ("::1:2:3") could pass for that shape: credentials are read only
 * from an ipc endpoint, and only in that exact form. */
int sup_peer_cred(const void *zmsg, const char *endpoint, long *uid, long *gid, long *pid)
{
	if (!endpoint || strncmp(endpoint, "ipc://", 6) != 0)
		return -1;
	const char *a = zmq_msg_gets((zmq_msg_t *)zmsg, "Peer-Address");
	return a ? sup_peer_cred_parse(a, uid, gid, pid) : -1;
}

#define IPC_PEER_PREFIX "localhost:"

int sup_peer_cred_parse(const char *a, long *uid, long *gid, long *pid)
{
	size_t pre = strlen(IPC_PEER_PREFIX);
	if (strncmp(a, IPC_PEER_PREFIX, pre) != 0)
		return -1;
	const char *p = a + strlen(a);
	long v[3];
	for (int i = 2; i >= 0; i--) {
		const char *c = p;
		while (c > a && c[-1] != ':')
			c--;
		if (c == a || c == p || *c < '0' || *c > '9')
			return -1;
		char *end;
		v[i] = strtol(c, &end, 10);
		if (end != p)
			return -1;
		p = c - 1;
	}
	if (p != a + pre - 1)   /* exactly three fields after "localhost" */
		return -1;
	*uid = v[0];
	*gid = v[1];
	*pid = v[2];
	return 0;
}

static void bad_frame(struct sup *s, struct sup_worker *w, const char *id, const char *why)
{
	if (w)
		w->bad_frames++;
	else
		s->unknown_frames++;
	int64_t suppressed;
	if (sup_ratelimit_pass(&s->rl_bus_bad, now_ms(), &suppressed))
		log_warn("bad frame on the bus dropped", "peer=%s reason=%s suppressed=%lld",
		         log_q(id), log_q(why), (long long)suppressed);
}

enum sup_sender sup_sender_of(const struct sup_worker *w, long peer_pid)
{
	if (peer_pid < 0)   /* no credentials (not ipc): the hello token decides */
		return w->pid > 0 ? SUP_SENDER_CURRENT : SUP_SENDER_FOREIGN;
	if (w->pid > 0 && peer_pid == w->pid)
		return SUP_SENDER_CURRENT;
	if (w->prev_pid > 0 && peer_pid == w->prev_pid)
		return SUP_SENDER_STALE;
	return SUP_SENDER_FOREIGN;
}

static void on_hello(struct sup *s, struct sup_worker *w, struct proto_msg *m, long peer_pid)
{
	size_t n = strlen(w->token);
	int token_ok = n > 0 && strlen(m->token) == n && CRYPTO_memcmp(m->token, w->token, n) == 0;
	if (w->state != SUP_W_STARTING || w->hello_ok || !token_ok || m->pid != w->pid ||
	    (peer_pid >= 0 && peer_pid != w->pid)) {
		bad_frame(s, w, w->name, "hello refused (state, token or pid)");
		return;
	}
	explicit_bzero(w->token, sizeof(w->token));
	w->hello_ok = 1;
	log_debug("worker said hello", "worker=%s pid=%d", w->name, (int)w->pid);
}

static void on_ready(struct sup *s, struct sup_worker *w)
{
	if (w->state != SUP_W_STARTING)
		return;
	w->state = SUP_W_READY;
	w->ready_ms = now_ms();
	log_info("worker ready", "worker=%s pid=%d start_ms=%lld", w->name, (int)w->pid,
	         (long long)(w->ready_ms - w->started_ms));
	sup_check_ready(s);
	sup_notify_status(s);
}

/* A frame on worker w's own socket: its routing id must be w's name, its sender w's
 * process. */
static void on_frame(void *ctx, const void *id, size_t id_len, void *frame_msg)
{
	struct sup_worker *w = ctx;
	struct sup *s = w->sup;
	zmq_msg_t *frame = frame_msg;
	char name[PROTO_NAME_MAX];
	if (id_len == 0 || id_len >= sizeof(name)) {
		bad_frame(s, w, "?", "routing id is not an instance name");
		return;
	}
	memcpy(name, id, id_len);
	name[id_len] = 0;
	if (strcmp(name, w->name) != 0) {
		bad_frame(s, w, name, "routing id is not the name of the socket's worker");
		return;
	}
	long uid, gid, pid = -1;
	if (sup_peer_cred(frame, w->bus_ep, &uid, &gid, &pid) < 0)
		pid = -1;
	switch (sup_sender_of(w, pid)) {
	case SUP_SENDER_CURRENT:
		break;
	case SUP_SENDER_STALE:
		w->stale_frames++;
		return;
	case SUP_SENDER_FOREIGN:
		if (w->pid > 0)
			bad_frame(s, w, name, "frame from a process that is not this instance");
		else
			bad_frame(s, NULL, name, "no such running instance");
		return;
	}
	struct proto_msg m;
	char err[256];
	if (proto_decode(zmq_msg_data(frame), zmq_msg_size(frame), &m, err, sizeof(err)) < 0) {
		bad_frame(s, w, name, err);
		return;
	}
	if (strcmp(m.from, name) != 0) {
		bad_frame(s, w, name, "\"from\" is not the sender's name");
	} else if (m.kind == PROTO_HELLO) {
		on_hello(s, w, &m, pid);
	} else if (!w->hello_ok) {
		bad_frame(s, w, name, "frame before a valid hello");
	} else {
		w->last_seen_ms = now_ms();
		struct sup_origin o = { .kind = SUP_ORIGIN_WORKER, .caller = w->def->caller,
		                        .name = w->name, .gen = w->gen };
		switch (m.kind) {
		case PROTO_READY: on_ready(s, w); break;
		case PROTO_HB: w->hb_seq = m.seq; break;
		case PROTO_REQ:
			memcpy(o.identity, name, id_len);
			o.identity_len = id_len;
			sup_route_request(s, &o, &m);
			break;
		case PROTO_REP: sup_route_reply(s, w, &m); break;
		case PROTO_EVT:
			if (sup_may_publish(w->def, m.topic))
				sup_route_event(s, w, &m);
			else
				bad_frame(s, w, name, "event topic outside what this worker may publish");
			break;
		case PROTO_BYE: log_debug("worker said bye", "worker=%s", w->name); break;
		default: break;
		}
	}
	proto_msg_clear(&m);
}

static void on_malformed(void *ctx, const void *id, size_t id_len, int parts)
{
	struct sup_worker *w = ctx;
	bad_frame(w->sup, w, w->name, "not a single-frame message");
}

/* Read [routing id][payload]; anything else is drained and counted. */
static void on_readable(struct ev_loop *loop, void *zsock, int events, void *arg)
{
	sup_recv_batch(arg, zsock, RECV_BATCH, on_frame, on_malformed);
}

/* One bus socket per worker process, <run_dir>/w<generation>, bound before the fork,
 * owned by the worker's user and mode 0600: only that user (and root) can connect, so no
 * other worker or local user can take, hold or keep its routing id, and a restarted
 * worker gets a fresh socket no connection of its predecessor's can linger on. */
static int give_to_worker(const char *path, const struct sup_worker *w, char *err, size_t errlen)
{
	if (geteuid() != 0 || !w->set.user[0])
		return 0;
	uid_t uid;
	gid_t gid;
	if (sup_ids_resolve(w->set.user, w->set.group, &uid, &gid, err, errlen) < 0)
		return -1;
	if (chown(path, uid, gid) < 0) {
		snprintf(err, errlen, "cannot give %s to uid %u: %s", path, (unsigned)uid,
		         strerror(errno));
		return -1;
	}
	return 0;
}

#define GEN_DIGITS_MOD 1000000000ULL   /* "/w" + 9 digits fits beside a maximal run_dir */

int sup_bus_open_worker(struct sup *s, struct sup_worker *w, char *err, size_t errlen)
{
	sup_bus_close_worker(s, w);
	snprintf(w->bus_path, sizeof(w->bus_path), "%s/w%llu", s->run_dir,
	         (unsigned long long)(w->gen % GEN_DIGITS_MOD));
	snprintf(w->bus_ep, sizeof(w->bus_ep), "ipc://%s", w->bus_path);
	void *z = zmq_socket(s->zctx, ZMQ_ROUTER);
	int one = 1, zero = 0, hwm = BUS_HWM;
	int64_t maxmsg = PROTO_MAX_FRAME + 1024;   /* envelope around a maximal body */
	if (!z ||
	    zmq_setsockopt(z, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_setsockopt(z, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0 ||
	    zmq_setsockopt(z, ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0 ||
	    zmq_setsockopt(z, ZMQ_RCVHWM, &hwm, sizeof(hwm)) < 0) {
		snprintf(err, errlen, "bus socket: %s", zmq_strerror(errno));
		if (z)
			zmq_close(z);
		return -1;
	}
	unlink(w->bus_path);   /* stale: the single-instance check has passed */
	mode_t old = umask(0177);   /* 0600 from the start: nobody else connects meanwhile */
	int r = zmq_bind(z, w->bus_ep);
	umask(old);
	if (r < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", w->bus_ep, zmq_strerror(errno));
		zmq_close(z);
		return -1;
	}
	w->bus = z;
	if (give_to_worker(w->bus_path, w, err, errlen) < 0 ||
	    ev_zsock_watch(s->loop, z, EV_READ, on_readable, w) < 0) {
		if (!*err)
			snprintf(err, errlen, "cannot watch the bus socket");
		sup_bus_close_worker(s, w);
		return -1;
	}
	return 0;
}

void sup_bus_close_worker(struct sup *s, struct sup_worker *w)
{
	if (!w->bus)
		return;
	ev_zsock_unwatch(s->loop, w->bus);
	zmq_close(w->bus);
	w->bus = NULL;
	unlink(w->bus_path);
}

/* Everything a worker has queued, read now (before judging its liveness): ghrd's own
 * backlog must never count against the worker. */
void sup_bus_drain(struct sup *s, struct sup_worker *w)
{
	if (w->bus)
		sup_recv_batch(w, w->bus, BUS_DRAIN_MAX, on_frame, on_malformed);
}
