/* The bus: a ROUTER on ipc://<run_dir>/bus that workers connect to.
 *
 * Nothing a worker sends is trusted.  A frame is accepted only from a routing id that is
 * a known instance, from the process ghrd started for it (the kernel's peer pid, via
 * SO_PEERCRED, must be that instance's pid), after a hello that carried the instance's
 * one-time token; `from` must equal the routing id.  Anything else is counted, logged
 * (rate-limited) and dropped.  ROUTER_HANDOVER stays off: a second connection with a
 * routing id already in use is refused by libzmq, so nobody can take a live instance's
 * messages over.  (A restarted instance reconnects within its short reconnect interval
 * in the rare case its predecessor's connection is not yet torn down.)  Frames an exited
 * process left queued (its bye) arrive after its reap: they are recognised by its pid,
 * counted apart as stale and dropped, never held against its replacement.  Events are
 * accepted only under the topic prefixes the worker table lets that worker publish. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
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
#define WARN_INTERVAL_MS 1000

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
	static int64_t last_warn;
	static int64_t suppressed;
	if (w)
		w->bad_frames++;
	else
		s->unknown_frames++;
	int64_t now = now_ms();
	if (now - last_warn < WARN_INTERVAL_MS) {
		suppressed++;
		return;
	}
	log_warn("bad frame on the bus dropped", "peer=%s reason=%s suppressed=%lld", log_q(id),
	         log_q(why), (long long)suppressed);
	last_warn = now;
	suppressed = 0;
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

static void on_frame(struct sup *s, const void *id, size_t id_len, void *frame_msg)
{
	zmq_msg_t *frame = frame_msg;
	char name[PROTO_NAME_MAX];
	if (id_len == 0 || id_len >= sizeof(name)) {
		bad_frame(s, NULL, "?", "routing id is not an instance name");
		return;
	}
	memcpy(name, id, id_len);
	name[id_len] = 0;
	struct sup_worker *w = sup_worker_find(s, name);
	if (!w) {
		bad_frame(s, NULL, name, "no such instance");
		return;
	}
	long uid, gid, pid = -1;
	if (sup_peer_cred(frame, s->bus_ep, &uid, &gid, &pid) < 0)
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

static void on_malformed(struct sup *s, int parts)
{
	bad_frame(s, NULL, "?", "not a single-frame message");
}

/* Read [routing id][payload]; anything else is drained and counted. */
static void on_readable(struct ev_loop *loop, void *zsock, int events, void *arg)
{
	sup_recv_batch(arg, zsock, RECV_BATCH, on_frame, on_malformed);
}

/* Workers that dropped to supervisor.user/group must still reach the bus: the run
 * directory (0750) and the bus socket (0660) belong to their group.  Known limit: a
 * per-worker group (workers.NAME.group) other than that one cannot reach the bus. */
static int give_to_worker_group(struct sup *s, char *err, size_t errlen)
{
	const char *group = cfg_str(s->cfg, "supervisor.group");
	const char *user = cfg_str(s->cfg, "supervisor.user");
	gid_t gid;
	if (geteuid() != 0)
		return 0;
	if (group && *group) {
		struct group *gr = getgrnam(group);
		if (!gr) {
			snprintf(err, errlen, "supervisor.group: unknown group \"%s\"", group);
			return -1;
		}
		gid = gr->gr_gid;
	} else if (user && *user) {
		struct passwd *pw = getpwnam(user);
		if (!pw) {
			snprintf(err, errlen, "supervisor.user: unknown user \"%s\"", user);
			return -1;
		}
		gid = pw->pw_gid;
	} else {
		return 0;
	}
	if (chown(s->run_dir, (uid_t)-1, gid) < 0 || chown(s->bus_path, (uid_t)-1, gid) < 0) {
		snprintf(err, errlen, "cannot give %s to gid %u: %s", s->run_dir, (unsigned)gid,
		         strerror(errno));
		return -1;
	}
	return 0;
}

int sup_bus_open(struct sup *s, char *err, size_t errlen)
{
	s->bus = zmq_socket(s->zctx, ZMQ_ROUTER);
	int one = 1, zero = 0, hwm = BUS_HWM;
	int64_t maxmsg = PROTO_MAX_FRAME + 1024;   /* envelope around a maximal body */
	if (!s->bus ||
	    zmq_setsockopt(s->bus, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(s->bus, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_setsockopt(s->bus, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0 ||
	    zmq_setsockopt(s->bus, ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0 ||
	    zmq_setsockopt(s->bus, ZMQ_RCVHWM, &hwm, sizeof(hwm)) < 0) {
		snprintf(err, errlen, "bus socket: %s", zmq_strerror(errno));
		return -1;
	}
	unlink(s->bus_path);   /* stale: the single-instance check has passed */
	mode_t old = umask(0117);   /* 0660 */
	int r = zmq_bind(s->bus, s->bus_ep);
	umask(old);
	if (r < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", s->bus_ep, zmq_strerror(errno));
		return -1;
	}
	if (give_to_worker_group(s, err, errlen) < 0)
		return -1;
	return ev_zsock_watch(s->loop, s->bus, EV_READ, on_readable, s);
}

void sup_bus_close(struct sup *s)
{
	if (!s->bus)
		return;
	ev_zsock_unwatch(s->loop, s->bus);
	zmq_close(s->bus);
	s->bus = NULL;
	unlink(s->bus_path);
}
