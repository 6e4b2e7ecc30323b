/* Where the control endpoints live and who may open them.
 *
 * RUN_DIR/control is 0666: any local user may connect, and rights come per request
 * (sup_control.c).  RUN_DIR/control.admin is served the same way, but its file mode
 * lets only root in (0600), or root and supervisor.admin_group (0660, that group's):
 * a user who may not open it cannot hold its connections, so the public socket's cap
 * never reaches the people who drive the daemon.  The mode is a gate, not the
 * authority: a request on either socket gets the rights of its peer's uid and gid.
 * The admin socket is bound under umask 0177, so it is never wider than 0600 before
 * its group is set. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "common/log.h"
#include "supervisor/sup.h"

static const struct {
	const char *file, *label;
	mode_t umask;                   /* while binding: the mode the file is created with */
} endpoints[SUP_CTL_COUNT] = {
	[SUP_CTL_PUBLIC] = { PROTO_CONTROL_PUBLIC, "public", 0111 },
	[SUP_CTL_ADMIN] = { PROTO_CONTROL_ADMIN, "admin", 0177 },
};

void sup_control_paths(struct sup *s)
{
	for (int i = 0; i < SUP_CTL_COUNT; i++) {
		struct sup_ctl_ep *e = &s->ctl[i];
		char path[sizeof(e->path)];   /* not formatted in place: run_dir is in *s too */
		snprintf(path, sizeof(path), "%s/%s", s->run_dir, endpoints[i].file);
		memcpy(e->path, path, sizeof(path));
		snprintf(e->ep, sizeof(e->ep), "ipc://%s", path);
		e->sup = s;
		e->which = (enum sup_ctl_which)i;
	}
}

const char *sup_control_label(enum sup_ctl_which which)
{
	return endpoints[which].label;
}

/* 0600 first, so that the socket is never open to the old and the new group at once. */
static void give_admin_socket_to(const struct sup_ctl_ep *e, gid_t gid)
{
	const char *step;
	if (chmod(e->path, 0600) < 0)
		step = "chmod 0600";
	else if (gid == (gid_t)-1)
		return;
	else if (chown(e->path, (uid_t)-1, gid) < 0)
		step = "chown";
	else if (chmod(e->path, 0660) < 0)
		step = "chmod 0660";
	else
		return;
	log_warn("cannot open the admin control socket to supervisor.admin_group; root only",
	         "path=%s step=%s error=%s", log_q(e->path), step, log_q(strerror(errno)));
}

int sup_control_bind(struct sup_ctl_ep *e, char *err, size_t errlen)
{
	mode_t old = umask(endpoints[e->which].umask);
	int r = zmq_bind(e->sock, e->ep);
	umask(old);
	if (r < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", e->ep, zmq_strerror(errno));
		return -1;
	}
	if (e->which == SUP_CTL_ADMIN)
		give_admin_socket_to(e, e->sup->admin_gid);
	else if (chmod(e->path, 0666) < 0)
		log_warn("cannot open the control socket to readers", "error=%s", log_q(strerror(errno)));
	return 0;
}

void sup_control_admin_group(struct sup *s)
{
	const struct sup_ctl_ep *e = &s->ctl[SUP_CTL_ADMIN];
	if (e->sock && !e->paused)
		give_admin_socket_to(e, s->admin_gid);
}

json_t *sup_control_rows(const struct sup *s)
{
	json_t *rows = json_object();
	for (int i = 0; i < SUP_CTL_COUNT; i++) {
		const struct sup_ctl_ep *e = &s->ctl[i];
		json_object_set_new(rows, endpoints[i].label,
		                    json_pack("{s:s, s:i, s:b, s:I}", "path", e->path,
		                              "connections", e->conns, "listening", !e->paused,
		                              "full_events", (json_int_t)e->full_events));
	}
	return rows;
}
