/* The executor: carries out create and delete actions with bounded concurrency and
 * reports each outcome (see sc.h).
 *
 * Create = github.runner.jit -> render the boot script -> os.server.create.  If the
 * server cannot be created, the GitHub runner just registered is deleted again.  A pool
 * whose creates keep failing (quota, cloud or GitHub down, rate limits) backs off
 * exponentially, honouring retry_after_ms, instead of looping.  Names being created are
 * kept in sc->pending so that the next reconcile neither doubles them nor mistakes
 * their runner for a dangling one.
 *
 * Delete of an idle or dangling runner (guarded): GitHub first; `conflict` means it just
 * took a job, and it is left alone; then the VM.  Delete of a finished or failed runner:
 * VM and GitHub runner at once, "already gone" counting as success. */
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "common/util.h"
#include "workers/scaler/sc.h"
#include "workers/scaler/sc_template.h"
#include "workers/scaler/sc_userdata.h"

#define UD_PREFIX "user data: "     /* before a user data render error in j->message */

struct create_ctx {
	struct sc *sc;
	struct sc_job *job;
	char *user_data;             /* base64; holds the JIT config: wiped */
};

static void pump(struct sc *sc);

/* ---- pending creates ------------------------------------------------------------------ */

static void pending_add(struct sc *sc, const char *name, const char *pool)
{
	if (sc->npending == sc->cap_pending) {
		size_t cap = sc->cap_pending ? sc->cap_pending * 2 : 16;
		struct sc_pending_rt *p = realloc(sc->pending, cap * sizeof(*p));
		if (!p)
			return;     /* known limit: without memory the name is not protected */
		sc->pending = p;
		sc->cap_pending = cap;
	}
	struct sc_pending_rt *e = &sc->pending[sc->npending++];
	memset(e, 0, sizeof(*e));
	sc_copy(e->p.name, name, sizeof(e->p.name));
	sc_copy(e->p.pool, pool, sizeof(e->p.pool));
	e->p.started_ms = wall_ms();
}

static struct sc_pending_rt *pending_find(struct sc *sc, const char *name)
{
	for (size_t i = 0; i < sc->npending; i++)
		if (strcmp(sc->pending[i].p.name, name) == 0)
			return &sc->pending[i];
	return NULL;
}

static void pending_remove(struct sc *sc, const char *name)
{
	struct sc_pending_rt *e = pending_find(sc, name);
	if (e)
		*e = sc->pending[--sc->npending];
}

/* ---- job bookkeeping -------------------------------------------------------------------- */

static void finish(struct sc *sc, struct sc_job *j, int ok, const char *outcome)
{
	j->ok = ok;
	j->outcome = outcome;
	if (j->kind == SC_ACT_CREATE)
		sc->run_create--;
	else
		sc->run_delete--;
	struct sc_pool_rt *p = sc_pool_find(sc, j->pool);
	if (p && j->kind == SC_ACT_CREATE && strcmp(outcome, "skipped: backoff") != 0) {
		if (ok)
			p->m.creates++;
		else
			p->m.create_failures++;
	} else if (p && j->kind == SC_ACT_DELETE) {
		if (ok && strcmp(outcome, "deleted") == 0)
			p->m.deletes++;
		else if (!ok)
			p->m.delete_failures++;
	}
	if (j->done)
		j->done(sc, j, j->arg);
	free(j);
	pump(sc);
}

static void set_error(struct sc_job *j, const struct wcall_result *r, const char *step)
{
	j->error = r->error;
	j->retry_after_ms = r->retry_after_ms;
	snprintf(j->message, sizeof(j->message), "%s: %s: %s", step, proto_error_name(r->error),
	         r->message ? r->message : "");
}

static int call(struct sc *sc, const char *method, json_t *body, int64_t timeout,
                worker_call_cb cb, void *arg)
{
	if (worker_call(sc->w, method, body, timeout, cb, arg) == 0)
		return 0;
	struct wcall_result r = { .ok = 0, .error = PROTO_E_UNAVAILABLE, .message = "bus send failed" };
	cb(sc->w, &r, arg);
	return -1;
}

int64_t sc_exec_backoff_left(const struct sc *sc, const struct sc_pool_rt *p)
{
	int64_t left = p->backoff_until - now_ms();
	return left > 0 ? left : 0;
}

static void create_failed(struct sc *sc, struct sc_job *j)
{
	struct sc_pool_rt *p = sc_pool_find(sc, j->pool);
	if (p) {
		/* Creates started together fail together: only the first failure of a batch
		 * raises the backoff level; the others may only lengthen it to their
		 * retry_after. */
		int64_t now = now_ms(), wait;
		if (p->backoff_until > now) {
			wait = j->retry_after_ms;
			if (now + wait > p->backoff_until)
				p->backoff_until = now + wait;
			wait = p->backoff_until - now;
		} else {
			p->create_failures++;
			wait = backoff_ms(p->create_failures, SC_BACKOFF_BASE_MS, SC_BACKOFF_CAP_MS);
			if (j->retry_after_ms > wait)
				wait = j->retry_after_ms;
			p->backoff_until = now + wait;
		}
		log_warn("runner create failed", "pool=%s name=%s failures=%u backoff_ms=%lld error=%s",
		         p->name, j->name, p->create_failures, (long long)wait, log_q(j->message));
	}
	pending_remove(sc, j->name);
	finish(sc, j, 0, "failed");
}

/* ---- create ------------------------------------------------------------------------------ */

static void free_ctx(struct create_ctx *c)
{
	if (c->user_data)
		secret_free(c->user_data);
	free(c);
}

static void on_cleanup_runner(struct worker *w, const struct wcall_result *r, void *arg)
{
	struct create_ctx *c = arg;
	if (!r->ok && r->error != PROTO_E_NOT_FOUND)
		log_warn("could not delete the runner of a failed create; the next reconcile will",
		         "name=%s error=%s", c->job->name, proto_error_name(r->error));
	struct sc *sc = c->sc;
	struct sc_job *j = c->job;
	free_ctx(c);
	create_failed(sc, j);
}

static void send_server_create(struct create_ctx *c);

static void on_server_create(struct worker *w, const struct wcall_result *r, void *arg)
{
	struct create_ctx *c = arg;
	struct sc *sc = c->sc;
	struct sc_job *j = c->job;
	struct sc_pool_rt *p = sc_pool_find(sc, j->pool);
	if (r->ok) {
		const char *id = json_string_value(json_object_get(r->body, "id"));
		sc_copy(j->vm_id, id ? id : "", sizeof(j->vm_id));
		struct sc_pending_rt *e = pending_find(sc, j->name);
		if (e)
			e->done_mono = now_ms();
		if (p) {
			p->create_failures = 0;
			p->backoff_until = 0;
		}
		log_info("runner created", "pool=%s name=%s vm=%s image=%s", j->pool, j->name, j->vm_id, j->image_id);
		free_ctx(c);
		finish(sc, j, 1, "created");
		return;
	}
	int imgerr = sc_image_error_is_image(r->error == PROTO_E_NOT_FOUND || r->error == PROTO_E_BAD_REQUEST,
	                                     r->message);
	if (p && imgerr && sc_image_mark_bad(&p->image, j->image_id)) {
		const char *next = sc_image_pick(&p->image, NULL);
		p->m.image_fallbacks++;
		log_error("image unusable: falling back to the previous image of the tag",
		          "pool=%s image=%s fallback=%s error=%s", p->name, j->image_id, next,
		          log_q(r->message ? r->message : ""));
		sc_copy(j->image_id, next, sizeof(j->image_id));
		send_server_create(c);
		return;
	}
	set_error(j, r, "os.server.create");
	/* The server was not created: the runner registered for it must go again. */
	call(sc, "github.runner.delete", json_pack("{s:I}", "id", (json_int_t)j->runner_id),
	     SC_CALL_TIMEOUT_MS, on_cleanup_runner, c);
}

static void send_server_create(struct create_ctx *c)
{
	struct sc *sc = c->sc;
	struct sc_job *j = c->job;
	struct sc_pool_rt *p = sc_pool_find(sc, j->pool);
	char created[32];
	ms_to_iso8601(wall_ms(), created);
	json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}",
	                         "name", j->name, "flavor", p->flavor, "image", j->image_id,
	                         "network", p->network, "user_data", c->user_data,
	                         "metadata", "ghr-manager", sc->manager_id, "ghr-pool", p->name,
	                         "ghr-created", created);
	call(sc, "os.server.create", body, SC_CREATE_TIMEOUT_MS, on_server_create, c);
}

static void on_jit(struct worker *w, const struct wcall_result *r, void *arg)
{
	struct create_ctx *c = arg;
	struct sc *sc = c->sc;
	struct sc_job *j = c->job;
	if (!r->ok) {
		set_error(j, r, "github.runner.jit");
		free_ctx(c);
		create_failed(sc, j);
		return;
	}
	j->runner_id = json_integer_value(json_object_get(r->body, "runner_id"));
	const char *jit = json_string_value(json_object_get(r->body, "jit_config"));
	struct sc_pool_rt *p = sc_pool_find(sc, j->pool);
	/* sized so that UD_PREFIX + err always fits j->message: nothing is cut */
	char err[sizeof(j->message) - (sizeof(UD_PREFIX) - 1)] = "";
	char *script = NULL;
	if (p && jit && *jit) {
		struct sc_ud_params up = {
			.runner_name = j->name, .pool = j->pool, .labels = p->labels,
			.github_path = sc->github_path, .jit_config = jit, .runner = sc->runner_cfg,
		};
		script = sc_userdata_render(sc->template_text ? sc->template_text : sc_template_userdata(NULL),
		                            &up, err, sizeof(err));
	} else {
		snprintf(err, sizeof(err), "github.runner.jit answered without a jit_config");
	}
	if (script) {
		c->user_data = sc_base64(script, strlen(script));
		secret_free(script);
	}
	if (!c->user_data) {
		j->error = PROTO_E_INTERNAL;
		snprintf(j->message, sizeof(j->message), UD_PREFIX "%s", err[0] ? err : "out of memory");
		log_error("cannot render the runner boot script", "pool=%s error=%s", j->pool, log_q(err));
		call(sc, "github.runner.delete", json_pack("{s:I}", "id", (json_int_t)j->runner_id),
		     SC_CALL_TIMEOUT_MS, on_cleanup_runner, c);
		return;
	}
	send_server_create(c);
}

static void create_start(struct sc *sc, struct sc_job *j)
{
	struct sc_pool_rt *p = sc_pool_find(sc, j->pool);
	if (!p) {
		j->error = PROTO_E_NOT_FOUND;
		snprintf(j->message, sizeof(j->message), "no pool named %s", j->pool);
		finish(sc, j, 0, "failed");
		return;
	}
	int64_t left = sc_exec_backoff_left(sc, p);
	if (left > 0) {
		j->error = PROTO_E_UNAVAILABLE;
		j->retry_after_ms = left;
		snprintf(j->message, sizeof(j->message), "pool %s: creates back off after %u failures",
		         p->name, p->create_failures);
		finish(sc, j, 0, "skipped: backoff");
		return;
	}
	int fallback = 0;
	const char *img = sc_image_pick(&p->image, &fallback);
	if (!img) {
		j->error = PROTO_E_UNAVAILABLE;
		snprintf(j->message, sizeof(j->message), "pool %s: no usable image for %s", p->name, p->image.spec);
		create_failed(sc, j);
		return;
	}
	sc_copy(j->image_id, img, sizeof(j->image_id));
	if (sc_name_new(j->name, sizeof(j->name), sc->manager_id, p->name) != 0) {
		j->error = PROTO_E_INTERNAL;
		snprintf(j->message, sizeof(j->message), "runner name for pool %s too long", p->name);
		finish(sc, j, 0, "failed");
		return;
	}
	pending_add(sc, j->name, p->name);
	struct create_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		j->error = PROTO_E_INTERNAL;
		snprintf(j->message, sizeof(j->message), "out of memory");
		create_failed(sc, j);
		return;
	}
	c->sc = sc;
	c->job = j;
	json_t *body = json_pack("{s:s, s:O}", "name", j->name, "labels", p->labels);
	if (p->group && *p->group)
		json_object_set_new(body, "group", json_string(p->group));
	call(sc, "github.runner.jit", body, SC_CALL_TIMEOUT_MS, on_jit, c);
}

/* ---- delete ------------------------------------------------------------------------------ */

static void on_vm_delete(struct worker *w, const struct wcall_result *r, void *arg)
{
	struct sc_job *j = arg;
	struct sc *sc = sc_get(w);
	if (r->ok || r->error == PROTO_E_NOT_FOUND) {
		j->ok = 1;
	} else {
		set_error(j, r, "os.server.delete");
		j->ok = 0;
	}
	if (--j->steps == 0) {
		if (j->ok)
			log_info("runner deleted", "pool=%s name=%s reason=%s", j->pool, j->name, log_q(j->reason));
		finish(sc, j, j->ok, j->ok ? "deleted" : "failed");
	}
}

static void delete_vm(struct sc *sc, struct sc_job *j)
{
	j->steps++;
	call(sc, "os.server.delete", json_pack("{s:s}", "id", j->vm_id), SC_CALL_TIMEOUT_MS, on_vm_delete, j);
}

/* Guarded: the GitHub runner goes first, and only then the VM. */
static void on_runner_delete_guarded(struct worker *w, const struct wcall_result *r, void *arg)
{
	struct sc_job *j = arg;
	struct sc *sc = sc_get(w);
	if (!r->ok && r->error == PROTO_E_CONFLICT) {
		log_info("runner took a job while being deleted: left alone", "name=%s", j->name);
		finish(sc, j, 1, "left: busy");
		return;
	}
	if (!r->ok && r->error != PROTO_E_NOT_FOUND) {
		set_error(j, r, "github.runner.delete");
		finish(sc, j, 0, "failed");
		return;
	}
	if (!j->vm_id[0]) {
		log_info("runner deleted", "pool=%s name=%s reason=%s", j->pool, j->name, log_q(j->reason));
		finish(sc, j, 1, "deleted");
		return;
	}
	j->steps = 0;
	delete_vm(sc, j);
}

/* Unguarded: the runner's delete result does not decide anything (a leftover runner is
 * found dangling and removed by a later reconcile). */
static void on_runner_delete_any(struct worker *w, const struct wcall_result *r, void *arg)
{
	struct sc_job *j = arg;
	struct sc *sc = sc_get(w);
	if (!r->ok && r->error != PROTO_E_NOT_FOUND && r->error != PROTO_E_CONFLICT)
		log_warn("runner delete failed; retried next reconcile", "name=%s error=%s", j->name,
		         proto_error_name(r->error));
	if (--j->steps == 0)
		finish(sc, j, j->ok, j->ok ? "deleted" : "failed");
}

static void delete_start(struct sc *sc, struct sc_job *j)
{
	if (j->guarded && !j->kill_busy && j->runner_id) {
		call(sc, "github.runner.delete", json_pack("{s:I}", "id", (json_int_t)j->runner_id),
		     SC_CALL_TIMEOUT_MS, on_runner_delete_guarded, j);
		return;
	}
	j->ok = j->vm_id[0] ? 0 : 1;       /* without a VM, the runner is all there is */
	j->steps = 1;                      /* held until both are sent */
	if (j->vm_id[0])
		delete_vm(sc, j);
	if (j->runner_id) {
		j->steps++;
		call(sc, "github.runner.delete", json_pack("{s:I}", "id", (json_int_t)j->runner_id),
		     SC_CALL_TIMEOUT_MS, on_runner_delete_any, j);
	}
	if (--j->steps == 0)
		finish(sc, j, j->ok, j->ok ? "deleted" : "failed");
}

/* ---- queues ------------------------------------------------------------------------------ */

static struct sc_job *pop(struct sc_job **q)
{
	struct sc_job *j = *q;
	if (j)
		*q = j->next;
	return j;
}

static void pump(struct sc *sc)
{
	static int pumping;
	if (pumping)
		return;
	pumping = 1;
	for (;;) {
		struct sc_job *j = NULL;
		if (sc->run_delete < sc->delete_conc && (j = pop(&sc->q_delete))) {
			sc->run_delete++;
			delete_start(sc, j);
			continue;
		}
		if (sc->run_create < sc->create_conc && (j = pop(&sc->q_create))) {
			sc->run_create++;
			create_start(sc, j);
			continue;
		}
		break;
	}
	pumping = 0;
}

void sc_exec_submit(struct sc *sc, const struct sc_action *a, int kill_busy, sc_job_done done, void *arg)
{
	struct sc_job *j = calloc(1, sizeof(*j));
	if (!j) {
		log_error("out of memory queueing an action", "pool=%s", a->pool);
		return;
	}
	j->kind = a->kind;
	sc_copy(j->pool, a->pool, sizeof(j->pool));
	sc_copy(j->name, a->name, sizeof(j->name));
	sc_copy(j->vm_id, a->vm_id, sizeof(j->vm_id));
	j->runner_id = a->runner_id;
	j->guarded = a->guarded;
	j->kill_busy = kill_busy;
	j->reason = a->reason ? a->reason : "";
	j->done = done;
	j->arg = arg;
	struct sc_job **q = a->kind == SC_ACT_CREATE ? &sc->q_create : &sc->q_delete;
	while (*q)
		q = &(*q)->next;
	*q = j;
	pump(sc);
}

int sc_exec_idle(const struct sc *sc)
{
	return !sc->q_create && !sc->q_delete && sc->run_create == 0 && sc->run_delete == 0;
}
