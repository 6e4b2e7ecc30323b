/* Classification of one runner name (the rules are listed in sc_decide.h). */
#include <string.h>
#include "workers/scaler/sc_decide.h"

static const char *const state_names[SC_STATE_COUNT] = {
	[SC_CREATING] = "creating", [SC_BOOTING] = "booting", [SC_IDLE] = "idle",
	[SC_BUSY] = "busy", [SC_OFFLINE] = "offline", [SC_FINISHED] = "finished",
	[SC_FAILED] = "failed", [SC_DANGLING] = "dangling", [SC_DELETING] = "deleting",
};

const char *sc_state_name(enum sc_state s)
{
	return (unsigned)s < SC_STATE_COUNT ? state_names[s] : "unknown";
}

/* What a Nova status means for a runner VM: one table. */
enum vm_kind { VMK_BUILDING, VMK_ACTIVE, VMK_ERROR, VMK_STOPPED, VMK_GOING };
static const struct { const char *status; enum vm_kind kind; } vm_kinds[] = {
	{ "BUILD", VMK_BUILDING },
	{ "ACTIVE", VMK_ACTIVE },
	{ "ERROR", VMK_ERROR },
	{ "SHUTOFF", VMK_STOPPED },        /* the post-job step powers the VM off */
	{ "STOPPED", VMK_STOPPED },
	{ "DELETED", VMK_GOING },          /* deleted, not yet gone from the list */
	{ "SOFT_DELETED", VMK_GOING },
	{ "SHELVED", VMK_STOPPED },
	{ "SHELVED_OFFLOADED", VMK_STOPPED },
};

static enum vm_kind vm_kind_of(const char *status, int runner_up)
{
	for (size_t i = 0; i < sizeof(vm_kinds) / sizeof(vm_kinds[0]); i++)
		if (strcmp(status, vm_kinds[i].status) == 0)
			return vm_kinds[i].kind;
	/* REBOOT, MIGRATING, PAUSED, UNKNOWN...: a runner that answers is as good as ACTIVE;
	 * otherwise wait as for a VM being built, bounded by creation_timeout. */
	return runner_up ? VMK_ACTIVE : VMK_BUILDING;
}

int sc_vm_status_rank(const char *status)
{
	static const int rank[] = { [VMK_ACTIVE] = 0, [VMK_BUILDING] = 1, [VMK_STOPPED] = 2, [VMK_ERROR] = 3,
	                            [VMK_GOING] = 4 };
	return rank[vm_kind_of(status, 0)];
}

int sc_vm_going(const struct sc_vm *vm)
{
	return vm->deleting || vm_kind_of(vm->status, 0) == VMK_GOING;
}

int sc_vm_rank(const struct sc_vm *vm)
{
	return vm->deleting ? 4 : sc_vm_status_rank(vm->status);
}

static void set(struct sc_row *row, enum sc_state st, const char *reason)
{
	row->state = st;
	row->reason = reason;
}

/* A runner failed before it was ever online: its create failed (the pool backs off). */
static void create_failed(struct sc_seen *seen)
{
	if (!(seen->flags & SC_SEEN_ONLINE))
		seen->flags |= SC_SEEN_CREATE_FAILED;
}

/* A VM being deleted (Nova keeps listing it, with its old status, until it is gone --
 * seconds to minutes; it still uses the quota): never the target of another delete, as
 * a DELETE every reconcile would only repeat itself.  A delete that is stuck (still listed
 * creation_timeout after it was first seen going) is sent once more.  Its GitHub runner
 * is removed by the decision (sc_decide.c). */
void sc_seen_delete_failed(struct sc_seen *seen, int64_t now_ms)
{
	int64_t pause = SC_DELETE_RETRY_MS;
	for (int i = 0; i < seen->delete_failures && pause < SC_DELETE_RETRY_MAX_MS; i++)
		pause *= 2;
	seen->flags |= SC_SEEN_DELETE_FAILED;
	seen->delete_failures++;
	seen->delete_retry_ms = now_ms + (pause < SC_DELETE_RETRY_MAX_MS ? pause : SC_DELETE_RETRY_MAX_MS);
}

static void classify_going(const struct sc_input *in, const struct sc_seen *prev,
                           struct sc_row *row, struct sc_seen *seen)
{
	unsigned pf = prev ? prev->flags : 0;
	seen->flags |= SC_SEEN_DELETING;
	/* Our DELETE failed (Nova answered 500 after marking it deleting, as when it loses
	 * Keystone mid-delete): nothing is under way, so waiting for creation_timeout would
	 * hold the slot for nothing.  Send it again after the pause, every reconcile. */
	if (pf & SC_SEEN_DELETE_FAILED) {
		seen->deleting_ms = (pf & SC_SEEN_DELETING) ? prev->deleting_ms : in->now_ms;
		if (in->now_ms >= prev->delete_retry_ms) {
			set(row, SC_DELETING, "our delete failed: sent again");
			row->redelete = 1;
		} else {
			set(row, SC_DELETING, "our delete failed: sent again after a pause");
		}
		return;
	}
	seen->deleting_ms = (pf & SC_SEEN_DELETING) ? prev->deleting_ms : in->now_ms;
	if (pf & SC_SEEN_DELETING)
		seen->flags |= pf & SC_SEEN_REDELETED;
	if (in->now_ms - seen->deleting_ms <= in->creation_timeout_ms)
		set(row, SC_DELETING, "being deleted");
	else if (seen->flags & SC_SEEN_REDELETED)
		set(row, SC_DELETING, "delete stuck, sent again once: left to the operator");
	else {
		set(row, SC_DELETING, "delete stuck longer than creation_timeout: deleted again");
		seen->flags |= SC_SEEN_REDELETED;
		row->redelete = 1;
	}
}

/* ACTIVE VM whose runner is not online: the §9 rules against deleting on one look. */
static void classify_not_online(const struct sc_input *in, const struct sc_ghr *gh,
                                const struct sc_seen *prev, int pending, int64_t created,
                                struct sc_row *row, struct sc_seen *seen)
{
	unsigned pf = prev ? prev->flags : 0;
	if (pf & SC_SEEN_ONLINE) {
		if (!gh) {
			/* Gone from GitHub: its one job is done -- or GitHub's paginated list skipped
			 * it (runners removed between page fetches shift the pages).  Never on one
			 * look: the second look in a row decides (a SHUTOFF VM needs no second). */
			if (pf & SC_SEEN_GONE) {
				set(row, SC_FINISHED, "runner gone after being online");
				return;
			}
			seen->flags |= SC_SEEN_GONE;
			set(row, (pf & SC_SEEN_BUSY) ? SC_BUSY : SC_OFFLINE,
			    "missing from GitHub's list after being online, confirming");
			return;
		}
		int64_t since = (pf & SC_SEEN_OFFLINE) ? prev->since_ms : in->now_ms;
		seen->flags |= SC_SEEN_OFFLINE;
		seen->since_ms = since;
		if (in->now_ms - since > in->bootstrap_timeout_ms)
			set(row, SC_FAILED, "offline longer than bootstrap_timeout");
		else
			set(row, SC_OFFLINE, "offline after being online");
		return;
	}
	if (pending || in->now_ms - created <= in->bootstrap_timeout_ms) {
		set(row, SC_BOOTING, gh ? "runner registered, not online yet" : "waiting for runner");
		return;
	}
	if (pf & SC_SEEN_STALE) {
		set(row, SC_FAILED, "runner never online within bootstrap_timeout");
		return;
	}
	seen->flags |= SC_SEEN_STALE;
	set(row, SC_BOOTING, "past bootstrap_timeout, confirming");
}

void sc_classify(const struct sc_input *in, const char *name, const struct sc_vm *vm,
                 const struct sc_ghr *gh, const struct sc_seen *prev,
                 const struct sc_pending *pending, struct sc_row *row, struct sc_seen *seen)
{
	memset(row, 0, sizeof(*row));
	memset(seen, 0, sizeof(*seen));
	sc_copy(row->name, name, SC_NAME_MAX);
	sc_copy(seen->name, name, SC_NAME_MAX);
	row->pool_known = 1;
	if (prev) {
		/* Only the lasting facts carry over; the "previous observation" bits are
		 * re-earned each reconcile. */
		seen->flags = prev->flags & (SC_SEEN_ONLINE | SC_SEEN_BUSY | SC_SEEN_STOPPED
		                             | SC_SEEN_CREATE_FAILED | SC_SEEN_DELETE_FAILED
		                             | SC_SEEN_FAILED);
		seen->delete_retry_ms = prev->delete_retry_ms;
		seen->delete_failures = prev->delete_failures;
		seen->online_ms = prev->online_ms;
		seen->busy_ms = prev->busy_ms;
		seen->first_ms = prev->first_ms;
	}
	if (!seen->first_ms)
		seen->first_ms = in->now_ms;
	if (vm) {
		sc_copy(row->pool, vm->pool, SC_POOL_MAX);
		sc_copy(row->vm_id, vm->id, SC_ID_MAX);
		sc_copy(row->vm_status, vm->status, sizeof(row->vm_status));
		row->created_ms = vm->created_ms;
	} else if (gh) {
		sc_copy(row->pool, gh->pool, SC_POOL_MAX);
	} else if (pending) {
		sc_copy(row->pool, pending->pool, SC_POOL_MAX);
	}
	if (!row->created_ms && pending)
		row->created_ms = pending->started_ms;
	if (gh) {
		row->gh_id = gh->id;
		row->gh_status = gh->busy ? "busy" : gh->online ? "online" : "offline";
		if (gh->online || gh->busy) {
			if (!(seen->flags & SC_SEEN_ONLINE))
				seen->online_ms = in->now_ms;
			seen->flags |= SC_SEEN_ONLINE;
		}
		if (gh->busy) {
			if (!(seen->flags & SC_SEEN_BUSY))
				seen->busy_ms = in->now_ms;
			seen->flags |= SC_SEEN_BUSY;
		}
	} else {
		row->gh_status = "";
	}

	if (!vm) {
		if (pending) {
			set(row, SC_CREATING, gh ? "runner registered, server being created" : "create in flight");
			return;
		}
		/* gh != NULL here: a name comes from one of the three lists. */
		if (gh && gh->busy) {
			set(row, SC_DANGLING, "no VM but busy: left alone");
			return;
		}
		if (prev && (prev->flags & SC_SEEN_DANGLING)) {
			set(row, SC_DANGLING, "runner without VM, seen twice");
			seen->flags |= SC_SEEN_DANGLING;
			return;
		}
		seen->flags |= SC_SEEN_DANGLING;
		set(row, SC_DANGLING, "runner without VM, confirming");
		return;
	}

	/* A `created` that could not be read ages the VM from when it was first seen: never
	 * "unknown, so never timed out". */
	int64_t created = vm->created_ms > 0 ? vm->created_ms : seen->first_ms;
	if (!row->created_ms)
		row->created_ms = created;
	if (sc_vm_going(vm)) {
		classify_going(in, prev, row, seen);
		return;
	}
	int up = gh && (gh->online || gh->busy);
	switch (vm_kind_of(vm->status, up)) {
	case VMK_GOING:          /* sc_vm_going() above */
		return;
	case VMK_ERROR:
		set(row, SC_FAILED, "VM in ERROR");
		create_failed(seen);
		return;
	case VMK_STOPPED:
		if (gh && gh->busy)
			set(row, SC_BUSY, "VM stopped but runner busy");
		else
			set(row, SC_FINISHED, "VM powered off");
		return;
	case VMK_BUILDING:
		if (gh && gh->busy)
			set(row, SC_BUSY, "busy");
		else if (in->now_ms - created > in->creation_timeout_ms) {
			set(row, SC_FAILED, "not ACTIVE within creation_timeout");
			create_failed(seen);
		} else
			set(row, SC_CREATING, "VM building");
		return;
	case VMK_ACTIVE:
		if (gh && gh->busy)
			set(row, SC_BUSY, "running a job");
		else if (gh && gh->online)
			set(row, SC_IDLE, "online, waiting for a job");
		else
			classify_not_online(in, gh, prev, pending != NULL, created, row, seen);
		return;
	}
}
