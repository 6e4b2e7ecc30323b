/* The control socket: a ROUTER on ipc://<run_dir>/control for ghr-ctl.
 *
 * Access model, in one sentence: any local user may connect and read; changing anything
 * needs root or membership of supervisor.admin_group.  The socket is 0666 in a run
 * directory others may traverse but not list (0751), so the file system does not decide
 * who may do what: rights come from the kernel per request, the peer's uid and gid
 * (SO_PEERCRED, exposed by libzmq per ipc connection) giving C_READ to everyone and
 * C_ADMIN to uid 0 and the admin group's members.  Group membership is looked up through
 * NSS once per uid and cached a few seconds, not per frame.  Every frame gets an answer,
 * a `bad_request` for one that does not decode, so a client never waits in vain. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
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

#define RECV_BATCH 256
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

static void on_malformed(struct sup *s, int parts)
{
	s->control_bad_frames++;
	log_info("malformed message on the control socket dropped", "parts=%d", parts);
}

static void on_request(struct sup *s, const void *id, size_t id_len, void *frame_msg)
{
	zmq_msg_t *frame = frame_msg;
	struct sup_origin o = { .kind = SUP_ORIGIN_CTL, .caller = C_READ, .name = "control client" };
	if (id_len > sizeof(o.identity)) {
		on_malformed(s, 2);     /* a well-formed message, but no identity we can answer */
		return;
	}
	memcpy(o.identity, id, id_len);
	o.identity_len = id_len;
	long uid, gid, pid;
	if (sup_peer_cred(frame, s->control_ep, &uid, &gid, &pid) == 0)
		o.caller = sup_caller_bits(s, uid, gid);
	struct proto_msg m;
	char err[256];
	if (proto_decode(zmq_msg_data(frame), zmq_msg_size(frame), &m, err, sizeof(err)) < 0) {
		char from[PROTO_NAME_MAX];
		int64_t rid = lenient_id(zmq_msg_data(frame), zmq_msg_size(frame), from, sizeof(from));
		s->control_bad_frames++;
		log_info("bad request on the control socket", "reason=%s", log_q(err));
		sup_reply_error(s, &o, rid, from, PROTO_E_BAD_REQUEST, "%s", err);
		return;
	}
	if (m.kind != PROTO_REQ) {
		s->control_bad_frames++;
		sup_reply_error(s, &o, m.id, m.from, PROTO_E_BAD_REQUEST,
		                "only requests are accepted here, not %s", proto_kind_name(m.kind));
	} else {
		sup_route_request(s, &o, &m);
	}
	proto_msg_clear(&m);
}

static void on_readable(struct ev_loop *loop, void *zsock, int events, void *arg)
{
	sup_recv_batch(arg, zsock, RECV_BATCH, on_request, on_malformed);
}

int sup_control_open(struct sup *s, char *err, size_t errlen)
{
	if (sup_admin_gid(s->cfg, &s->admin_gid, err, errlen) < 0)
		return -1;
	s->ctl = zmq_socket(s->zctx, ZMQ_ROUTER);
	int one = 1, zero = 0;
	int64_t maxmsg = PROTO_MAX_FRAME + 1024;
	if (!s->ctl ||
	    zmq_setsockopt(s->ctl, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(s->ctl, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_setsockopt(s->ctl, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0) {
		snprintf(err, errlen, "control socket: %s", zmq_strerror(errno));
		return -1;
	}
	mode_t old = umask(0111);   /* 0666: anyone may connect; rights are per request */
	int r = zmq_bind(s->ctl, s->control_ep);
	umask(old);
	if (r < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", s->control_ep, zmq_strerror(errno));
		return -1;
	}
	if (chmod(s->control_path, 0666) < 0)
		log_warn("cannot open the control socket to readers", "error=%s", log_q(strerror(errno)));
	return ev_zsock_watch(s->loop, s->ctl, EV_READ, on_readable, s);
}

void sup_control_close(struct sup *s)
{
	if (!s->ctl)
		return;
	ev_zsock_unwatch(s->loop, s->ctl);
	zmq_close(s->ctl);
	s->ctl = NULL;
	unlink(s->control_path);
}
