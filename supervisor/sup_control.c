/* The control sockets: ROUTERs on ipc://<run_dir>/control (public) and
 * ipc://<run_dir>/control.admin (root and supervisor.admin_group only, by its file
 * mode: sup_control_bind.c) for ghr-ctl, served by the same code.
 *
 * Access model, in one sentence: any local user may connect to the public socket and
 * read; changing anything needs root or membership of supervisor.admin_group.  The
 * public socket is 0666 in a run directory others may traverse but not list (0751), so
 * the file system does not decide who may do what: rights come from the kernel per
 * request, on either socket, the peer's uid and gid (SO_PEERCRED, exposed by libzmq per
 * ipc connection) giving C_READ to everyone and C_ADMIN to uid 0 and the admin group's
 * members.  Group membership is looked up through NSS once per uid and cached a few
 * seconds, not per frame.  Every frame gets an answer, a `bad_request` for one that
 * does not decode, has several parts or is over the limit (64 KiB for a read-only
 * client, 1 MiB for an admin), so a client never waits in vain; a frame over 2 MiB
 * closes its connection.  The log says so at most once a second. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "common/config.h"
#include "common/evloop.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/sup.h"

#define CTL_BATCH 8
/* Frames ghrd lets queue per control connection.  With up to 2 MiB a frame (the
 * receive limit), memory per connection stays a few MiB whatever a client sends, and
 * there are at most SUP_CTL_MAX_CONNS connections (sup_control_cap.c). */
#define CTL_RCVHWM 2
/* Frames over PROTO_MAX_FRAME up to this size are received and answered; larger ones
 * make libzmq close the connection (the answer a client gets for them). */
#define CTL_MAXMSG (2 * PROTO_MAX_FRAME)
#define MAX_GROUPS 256

static int in_admin_group(struct sup *s, long uid, long gid)
{
	if (s->admin_gid == (gid_t)-1)
		return 0;
	if ((gid_t)gid == s->admin_gid)
		return 1;
	s->nss_lookups++;
	struct passwd *pw = getpwuid((uid_t)uid);
	if (!pw)
		return 0;
	gid_t groups[MAX_GROUPS];
	int n = MAX_GROUPS;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (groups[i] == s->admin_gid)
			return 1;
	return 0;
}

/* The cache is emptied on reload (the admin group may have changed); an entry lives
 * SUP_CRED_TTL_MS, so a user added to or removed from the group counts within seconds. */
static int admin_cached(struct sup *s, long uid, long gid)
{
	int64_t now = now_ms();
	struct sup_cred_entry *slot = &s->cred_cache[0];
	for (size_t i = 0; i < SUP_CRED_CACHE; i++) {
		struct sup_cred_entry *c = &s->cred_cache[i];
		if (c->expires > now && c->uid == uid && c->gid == gid)
			return c->admin;
		if (c->expires < slot->expires)
			slot = c;   /* the oldest (or an empty) slot is replaced */
	}
	*slot = (struct sup_cred_entry){ .uid = uid, .gid = gid, .admin = in_admin_group(s, uid, gid),
	                                 .expires = now + SUP_CRED_TTL_MS };
	return slot->admin;
}

unsigned sup_caller_bits(struct sup *s, long uid, long gid)
{
	unsigned bits = C_READ;
	if (uid == 0 || admin_cached(s, uid, gid))
		bits |= C_ADMIN;
	return bits;
}

int sup_admin_gid(const json_t *cfg, gid_t *out, char *err, size_t errlen)
{
	const char *group = cfg_str(cfg, "supervisor.admin_group");
	*out = (gid_t)-1;
	if (!group || !*group)
		return 0;
	struct group *gr = getgrnam(group);
	if (!gr) {
		snprintf(err, errlen, "supervisor.admin_group: unknown group \"%s\"", group);
		return -1;
	}
	*out = gr->gr_gid;
	return 0;
}

/* For a frame that does not decode: answer with its id when one can be read. */
static int64_t lenient_id(const void *data, size_t len, char *from, size_t fromlen)
{
	json_t *j = json_loadb(data, len, 0, NULL);
	int64_t id = json_integer_value(json_object_get(j, "id"));
	const char *f = json_string_value(json_object_get(j, "from"));
	snprintf(from, fromlen, "%s", f && strlen(f) < fromlen ? f : "unknown");
	json_decref(j);
	return id > 0 ? id : 1;
}

static void answer_bad(struct sup *s, const struct sup_origin *o, int64_t id, const char *from,
                       const char *reason)
{
	s->control_bad_frames++;
	int64_t suppressed;
	if (sup_ratelimit_pass(&s->rl_ctl_bad, now_ms(), &suppressed))
		log_info("bad request on the control socket", "reason=%s suppressed=%lld",
		         log_q(reason), (long long)suppressed);
	sup_reply_error(s, o, id, from, PROTO_E_BAD_REQUEST, "%s", reason);
}

static int origin_for(struct sup_origin *o, const struct sup_ctl_ep *e, const void *id,
                      size_t id_len)
{
	*o = (struct sup_origin){ .kind = SUP_ORIGIN_CTL, .caller = C_READ, .ctl = e->which,
	                          .name = "control client" };
	if (id_len > sizeof(o->identity))
		return -1;
	memcpy(o->identity, id, id_len);
	o->identity_len = id_len;
	return 0;
}

/* A message of several frames: answered (the client may be waiting), never read on. */
static void on_malformed(void *ctx, const void *id, size_t id_len, int parts)
{
	struct sup_ctl_ep *e = ctx;
	struct sup *s = e->sup;
	struct sup_origin o;
	char why[96];
	snprintf(why, sizeof(why), "a request is one frame; this message had %d", parts - 1);
	if (parts < 2 || origin_for(&o, e, id, id_len) < 0) {
		s->control_bad_frames++;
		return;
	}
	answer_bad(s, &o, 1, "unknown", why);
}

static void on_request(void *ctx, const void *id, size_t id_len, void *frame_msg)
{
	struct sup_ctl_ep *e = ctx;
	struct sup *s = e->sup;
	zmq_msg_t *frame = frame_msg;
	struct sup_origin o;
	if (origin_for(&o, e, id, id_len) < 0) {
		s->control_bad_frames++;   /* a well-formed message, but no identity to answer */
		return;
	}
	long uid, gid, pid;
	if (sup_peer_cred(frame, e->ep, &uid, &gid, &pid) == 0)
		o.caller = sup_caller_bits(s, uid, gid);
	size_t size = zmq_msg_size(frame);
	char err[256];
	size_t limit = (o.caller & C_ADMIN) ? PROTO_MAX_FRAME : SUP_CTL_READER_FRAME_MAX;
	if (size > limit) {
		snprintf(err, sizeof(err), "frame of %zu bytes is over the %zu-byte limit%s", size,
		         limit, limit < PROTO_MAX_FRAME ? " of a read-only client" : "");
		answer_bad(s, &o, 1, "unknown", err);   /* not decoded: that is the point */
		return;
	}
	struct proto_msg m;
	if (proto_decode(zmq_msg_data(frame), size, &m, err, sizeof(err)) < 0) {
		char from[PROTO_NAME_MAX];
		int64_t rid = lenient_id(zmq_msg_data(frame), size, from, sizeof(from));
		answer_bad(s, &o, rid, from, err);
		return;
	}
	if (m.kind != PROTO_REQ) {
		snprintf(err, sizeof(err), "only requests are accepted here, not %s",
		         proto_kind_name(m.kind));
		answer_bad(s, &o, m.id, m.from, err);
	} else {
		sup_route_request(s, &o, &m);
	}
	proto_msg_clear(&m);
}

/* The bus first, then bounded work: whatever the workers have queued is read before a
 * few control frames, and then back to the loop.  A flood of control frames costs the
 * bus one short batch per turn, never a backlog. */
static void on_readable(struct ev_loop *loop, void *zsock, int events, void *arg)
{
	struct sup_ctl_ep *e = arg;
	struct sup *s = e->sup;
	for (size_t i = 0; i < s->n_workers; i++)
		sup_bus_drain(s, s->workers[i]);
	sup_recv_batch(e, zsock, CTL_BATCH, on_request, on_malformed);
}

static int open_endpoint(struct sup_ctl_ep *e, char *err, size_t errlen)
{
	e->sock = zmq_socket(e->sup->zctx, ZMQ_ROUTER);
	int one = 1, zero = 0, rcvhwm = CTL_RCVHWM;
	int64_t maxmsg = CTL_MAXMSG;
	if (!e->sock ||
	    zmq_setsockopt(e->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(e->sock, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_setsockopt(e->sock, ZMQ_RCVHWM, &rcvhwm, sizeof(rcvhwm)) < 0 ||
	    zmq_setsockopt(e->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0) {
		snprintf(err, errlen, "control socket %s: %s", e->path, zmq_strerror(errno));
		return -1;
	}
	if (sup_control_cap_open(e, err, errlen) < 0 || sup_control_bind(e, err, errlen) < 0)
		return -1;
	return ev_zsock_watch(e->sup->loop, e->sock, EV_READ, on_readable, e);
}

int sup_control_open(struct sup *s, char *err, size_t errlen)
{
	if (sup_admin_gid(s->cfg, &s->admin_gid, err, errlen) < 0)
		return -1;
	for (int i = 0; i < SUP_CTL_COUNT; i++)
		if (open_endpoint(&s->ctl[i], err, errlen) < 0)
			return -1;
	return 0;
}

void sup_control_close(struct sup *s)
{
	for (int i = 0; i < SUP_CTL_COUNT; i++) {
		struct sup_ctl_ep *e = &s->ctl[i];
		sup_control_cap_close(e);
		if (!e->sock)
			continue;
		ev_zsock_unwatch(s->loop, e->sock);
		zmq_close(e->sock);
		e->sock = NULL;
		unlink(e->path);
	}
}
