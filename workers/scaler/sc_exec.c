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
#include <strings.h>
#include "common/jsonwipe.h"
#include "common/shtpl.h"
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

/* How an os.server.create that failed ended: refused (no server: the runner registered
 * for it goes again) or unknown (a server may exist or appear: keep the runner and the
 * name, and let the next reconciles find the VM or, after creation_timeout, clean up). */
static const enum proto_error create_refused_codes[] = {
	PROTO_E_BAD_REQUEST, PROTO_E_FORBIDDEN, PROTO_E_UNAUTHORIZED, PROTO_E_NOT_FOUND, PROTO_E_RATE_LIMITED,
	PROTO_E_SHUTTING_DOWN,  /* ghrd or openstack stopping: the request was never acted on */
};
/* `unavailable` is a refusal only when it says the request was refused or never sent
 * (ghrd says "the request could not be sent" when the target worker is not ready:
 * ghr-protocol(7)); "create outcome unknown", a worker that died mid-request and the
 * like are not — and an "outcome unknown" message is never scanned for words, as it may
 * quote a look-up's own error ("... could not be reached") that says nothing of the create. */
static const char *const create_refused_words[] = {
	"quota", "exceeded", "overlimit", "could not be reached", PROTO_NOT_SENT, "bus send failed",
	"unreachable", "too many requests in flight",
};

static void pump(struct sc *sc);

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

/* Every call's answer passes here on its way to its callback: it opens or closes the
 * problem of the API behind the method (sc_health.h). */
struct sc_call_ctx {
	struct sc *sc;
	enum sc_api api;
	char method[PROTO_NAME_MAX];
	worker_call_cb cb;
	void *arg;
};

static void note_api(struct sc *sc, enum sc_api api, const char *method, const struct wcall_result *r)
{
	if (api == SC_API_COUNT)
		return;
	if (!r->ok && sc_error_is_outage(r->error)) {
		char err[300];
		snprintf(err, sizeof(err), "%s: %s: %s", method, proto_error_name(r->error), r->message ? r->message : "");
		sc_api_fail(&sc->api_problem[api], method, wall_ms(), err);
	} else {
		sc_api_ok(&sc->api_problem[api], method);
	}
}

static void on_call(struct worker *w, const struct wcall_result *r, void *arg)
{
	struct sc_call_ctx k = *(struct sc_call_ctx *)arg;
	free(arg);
	note_api(k.sc, k.api, k.method, r);
	k.cb(w, r, k.arg);
}

void sc_call(struct sc *sc, const char *method, json_t *body, int64_t timeout_ms, worker_call_cb cb, void *arg)
{
	struct sc_call_ctx *k = malloc(sizeof(*k));
	if (k) {
		*k = (struct sc_call_ctx){ .sc = sc, .api = sc_api_of(method), .cb = cb, .arg = arg };
		sc_copy(k->method, method, sizeof(k->method));
		if (worker_call(sc->w, method, body, timeout_ms, on_call, k) == 0)
			return;
		free(k);
	} else {
		json_decref(body);
	}
	struct wcall_result r = { .ok = 0, .error = PROTO_E_UNAVAILABLE, .message = "bus send failed" };
	note_api(sc, sc_api_of(method), method, &r);
	cb(sc->w, &r, arg);
}

int sc_create_refused(const struct wcall_result *r)
{
	for (size_t i = 0; i < sizeof(create_refused_codes) / sizeof(create_refused_codes[0]); i++)
		if (r->error == create_refused_codes[i])
			return 1;
	if (r->error != PROTO_E_UNAVAILABLE || !r->message)
		return 0;
	if (strcasestr(r->message, "outcome unknown"))
		return 0;
	for (size_t i = 0; i < sizeof(create_refused_words) / sizeof(create_refused_words[0]); i++)
		if (strcasestr(r->message, create_refused_words[i]))
			return 1;
	return 0;
}

int64_t sc_exec_backoff_left(const struct sc *sc, const struct sc_pool_rt *p)
{
	int64_t left = p->backoff_until - now_ms();
	return left > 0 ? left : 0;
}

/* One failed create of pool p (a refusal, an unknown outcome, or a VM that went ERROR or
 * missed creation_timeout).  Creates started together fail together: only the first
 * failure of a batch raises the backoff level; the others may only lengthen it to their
 * retry_after.  Returns the wait. */
static int64_t backoff_bump(struct sc_pool_rt *p, int64_t retry_after_ms)
{
	int64_t now = now_ms(), wait;
	if (p->backoff_until > now) {
		wait = retry_after_ms;
		if (now + wait > p->backoff_until)
			p->backoff_until = now + wait;
		wait = p->backoff_until - now;
	} else {
		p->create_failures++;
		wait = backoff_ms(p->create_failures, SC_BACKOFF_BASE_MS, SC_BACKOFF_CAP_MS);
		if (retry_after_ms > wait)
			wait = retry_after_ms;
		p->backoff_until = now + wait;
	}
	return wait;
}

/* A runner this scaler created failed before running a job (its create failed, or its
 * VM is deleted as failed): whoever waits for it (a reactive job) need not wait longer. */
static void announce_failed(struct sc *sc, const char *pool, const char *name, const char *reason)
{
	worker_emit(sc->w, "scaler.runner.failed",
	            json_pack("{s:s, s:s, s:s}", "name", name, "pool", pool, "reason", reason ? reason : "failed"));
}

static void create_failed(struct sc *sc, struct sc_job *j)
{
	announce_failed(sc, j->pool, j->name, j->message[0] ? j->message : "create failed");
	struct sc_pool_rt *p = sc_pool_find(sc, j->pool);
	if (p) {
		int64_t wait = backoff_bump(p, j->retry_after_ms);
		log_warn("runner create failed", "pool=%s name=%s failures=%u backoff_ms=%lld error=%s",
		         p->name, j->name, p->create_failures, (long long)wait, log_q(j->message));
		sc_problem_fail(&p->problem, wall_ms(), "create failed: %s", j->message);
	}
	sc_pending_remove(sc, j->name);
	finish(sc, j, 0, "failed");
}

/* The create's outcome is unknown: the GitHub runner and the name stay (see sc_pending.c). */
static void create_unknown(struct sc *sc, struct sc_job *j)
{
	struct sc_pool_rt *p = sc_pool_find(sc, j->pool);
	int64_t wait = p ? backoff_bump(p, j->retry_after_ms) : 0;
	if (p)
		sc_problem_fail(&p->problem, wall_ms(), "create outcome unknown: %s", j->message);
	struct sc_pending_rt *e = sc_pending_find(sc, j->name);
	if (e)
		e->outcome_unknown = 1;
	sc_pending_settle(sc, j->name, sc->creation_timeout_ms);
	log_warn("runner create outcome unknown: runner kept; the next reconciles find the VM or clean up",
	         "pool=%s name=%s backoff_ms=%lld error=%s", j->pool, j->name, (long long)wait, log_q(j->message));
	finish(sc, j, 0, "unknown: kept until creation_timeout");
}

void sc_exec_note_plan(struct sc *sc, const struct sc_plan *plan)
{
	for (size_t i = 0; i < plan->nrows; i++)
		if (plan->rows[i].failed_now)
			announce_failed(sc, plan->rows[i].pool, plan->rows[i].name, plan->rows[i].reason);
	for (size_t i = 0; i < plan->nevents; i++) {
		struct sc_pool_rt *p = plan->events[i].kind == SC_EVT_INSTALLED ? sc_pool_find(sc, plan->events[i].pool) : NULL;
		if (p && p->create_failures) {
			log_info("a runner came online: creates no longer back off", "pool=%s", p->name);
			p->create_failures = 0;
			p->backoff_until = 0;
		}
		if (p)
			sc_problem_clear(&p->problem);
	}
	for (size_t i = 0; i < plan->ncounts; i++) {
		const struct sc_count *c = &plan->counts[i];
		struct sc_pool_rt *p = c->failed_creates ? sc_pool_find(sc, c->pool) : NULL;
		if (!p)
			continue;
		p->m.create_failures += (unsigned)c->failed_creates;
		int64_t wait = backoff_bump(p, 0);
		log_warn("runner VMs failed before coming online: counted as failed creates",
		         "pool=%s failed=%d failures=%u backoff_ms=%lld", p->name, c->failed_creates,
		         p->create_failures, (long long)wait);
		sc_problem_fail(&p->problem, wall_ms(), "%d runner VM(s) failed before coming online "
		                "(ERROR, or not up within creation_timeout or bootstrap_timeout)", c->failed_creates);
	}
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
		/* The pool's backoff is cleared when a runner comes online (sc_exec_note_plan),
		 * not here: a server that Nova accepts may still go ERROR ("No valid host"). */
		sc_pending_settle(sc, j->name, 0);
		log_info("runner created", "pool=%s name=%s vm=%s image=%s", j->pool, j->name, j->vm_id, j->image_id);
		free_ctx(c);
		finish(sc, j, 1, "created");
		return;
	}
	int imgerr = sc_image_error_is_image(r->error == PROTO_E_NOT_FOUND || r->error == PROTO_E_BAD_REQUEST,
	                                     r->message);
	if (p && imgerr && sc_image_mark_bad(&p->image, j->image_id, wall_ms())) {
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
	if (!sc_create_refused(r)) {
		free_ctx(c);
		create_unknown(sc, j);
		return;
	}
	/* The server was refused: the runner registered for it must go again. */
	sc_call(sc, "github.runner.delete", json_pack("{s:I}", "id", (json_int_t)j->runner_id),
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
	json_object_update_new(body, json_deep_copy(p->server_opts));   /* the body is wiped below */
	/* The body holds the user data (the JIT config): wiped once it is sent. */
	json_incref(body);
	sc_call(sc, "os.server.create", body, SC_CREATE_TIMEOUT_MS, on_server_create, c);
	jsonwipe(body);
	json_decref(body);
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
		c->user_data = shtpl_base64(script, strlen(script));
		secret_free(script);
	}
	/* The reply's copy of the JIT config is not needed any more. */
	jsonwipe((json_t *)r->body);
	if (!c->user_data) {
		j->error = PROTO_E_INTERNAL;
		snprintf(j->message, sizeof(j->message), UD_PREFIX "%s", err[0] ? err : "out of memory");
		log_error("cannot render the runner boot script", "pool=%s error=%s", j->pool, log_q(err));
		sc_call(sc, "github.runner.delete", json_pack("{s:I}", "id", (json_int_t)j->runner_id),
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
		sc_pending_remove(sc, j->name);
		finish(sc, j, 0, "failed");
		return;
	}
	int64_t left = sc_exec_backoff_left(sc, p);
	if (left > 0) {
		j->error = PROTO_E_UNAVAILABLE;
		j->retry_after_ms = left;
		snprintf(j->message, sizeof(j->message), "pool %s: creates back off after %u failures",
		         p->name, p->create_failures);
		sc_pending_remove(sc, j->name);
		finish(sc, j, 0, "skipped: backoff");
		return;
	}
	struct sc_track *t = sc_track_find(sc, j->name);
	if (t)
		t->created_ms = wall_ms();
	sc_image_expire(&p->image, wall_ms());
	int fallback = 0;
	const char *img = sc_image_pick(&p->image, &fallback);
	if (!img) {
		j->error = PROTO_E_UNAVAILABLE;
		snprintf(j->message, sizeof(j->message), "pool %s: no usable image for %s", p->name, p->image.spec);
		create_failed(sc, j);
		return;
	}
	sc_copy(j->image_id, img, sizeof(j->image_id));
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
	sc_call(sc, "github.runner.jit", body, SC_CALL_TIMEOUT_MS, on_jit, c);
}

/* ---- delete ------------------------------------------------------------------------------ */

/* One of an unguarded delete's calls (VM, runner) answered; the last one finishes it. */
static void delete_step_done(struct sc *sc, struct sc_job *j)
{
	if (--j->steps != 0)
		return;
	if (j->ok)
		log_info("runner deleted", "pool=%s name=%s reason=%s", j->pool, j->name, log_q(j->reason));
	finish(sc, j, j->ok, j->ok ? "deleted" : "failed");
}

/* The memory of this name for the next reconcile (NULL when it has none). */
static struct sc_seen *seen_of(struct sc *sc, const char *name)
{
	for (size_t i = 0; i < sc->nseen; i++)
		if (strcmp(sc->seen[i].name, name) == 0)
			return &sc->seen[i];
	return NULL;
}

static void on_vm_delete(struct worker *w, const struct wcall_result *r, void *arg)
{
	struct sc_job *j = arg;
	struct sc *sc = sc_get(w);
	struct sc_seen *seen = seen_of(sc, j->name);
	if (r->ok || r->error == PROTO_E_NOT_FOUND) {
		j->ok = 1;
		if (seen) {
			seen->flags &= ~SC_SEEN_DELETE_FAILED;
			seen->delete_failures = 0;
		}
	} else {
		set_error(j, r, "os.server.delete");
		j->ok = 0;
		if (seen)       /* sent again by the next reconciles, after a pause */
			sc_seen_delete_failed(seen, wall_ms());
	}
	delete_step_done(sc, j);
}

static void delete_vm(struct sc *sc, struct sc_job *j)
{
	j->steps++;
	sc_call(sc, "os.server.delete", json_pack("{s:s}", "id", j->vm_id), SC_CALL_TIMEOUT_MS, on_vm_delete, j);
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
	delete_step_done(sc, j);
}

static void delete_start(struct sc *sc, struct sc_job *j)
{
	if (j->guarded && !j->kill_busy && j->runner_id) {
		sc_call(sc, "github.runner.delete", json_pack("{s:I}", "id", (json_int_t)j->runner_id),
		     SC_CALL_TIMEOUT_MS, on_runner_delete_guarded, j);
		return;
	}
	j->ok = j->vm_id[0] ? 0 : 1;       /* without a VM, the runner is all there is */
	j->steps = 1;                      /* held until both are sent */
	if (j->vm_id[0])
		delete_vm(sc, j);
	if (j->runner_id) {
		j->steps++;
		sc_call(sc, "github.runner.delete", json_pack("{s:I}", "id", (json_int_t)j->runner_id),
		     SC_CALL_TIMEOUT_MS, on_runner_delete_any, j);
	}
	delete_step_done(sc, j);
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

/* An action that cannot be queued still completes: its caller (a reconcile counting its
 * jobs, a spawn waiting for its reply) must hear of it. */
static void refuse(struct sc *sc, struct sc_job *j, enum proto_error code, const char *why)
{
	log_error("cannot queue an action", "pool=%s reason=%s", j->pool, why);
	j->ok = 0;
	j->outcome = "failed";
	j->error = code;
	snprintf(j->message, sizeof(j->message), "%s", why);
	if (j->done)
		j->done(sc, j, j->arg);
}

void sc_exec_submit(struct sc *sc, const struct sc_action *a, int kill_busy, sc_job_done done, void *arg)
{
	struct sc_job *j = calloc(1, sizeof(*j));
	if (!j) {
		struct sc_job stack = { .kind = a->kind, .reason = a->reason ? a->reason : "", .done = done, .arg = arg };
		sc_copy(stack.pool, a->pool, sizeof(stack.pool));
		sc_copy(stack.name, a->name, sizeof(stack.name));
		refuse(sc, &stack, PROTO_E_INTERNAL, "out of memory");
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
	if (j->kind == SC_ACT_CREATE) {
		/* Reserve the slot now: name and pending entry before the create is queued.  A
		 * name given by the caller (a spawn, which records it first) is kept. */
		if (!j->name[0] && sc_name_new(j->name, sizeof(j->name), sc->manager_id, j->pool) != 0) {
			refuse(sc, j, PROTO_E_INTERNAL, "runner name too long for this pool");
			free(j);
			return;
		}
		struct sc_pending_rt *pe = sc_pending_add(sc, j->name, j->pool);
		if (!pe) {
			refuse(sc, j, PROTO_E_INTERNAL, "out of memory");
			free(j);
			return;
		}
		/* Known from now on; its boot is timed from when the create starts (create_start),
		 * not from here: the wait in the queue is not boot time. */
		sc_track_observe(sc, j->name, j->pool, 0, 0, 0, pe->p.started_ms);
	}
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
