/* Supervision: start, stop, kill, restart with backoff, restart intensity, liveness,
 * and the ordered shutdown.  The decisions (what an exit means, how many restarts are
 * in the window) are small pure functions at the top, unit-tested on their own. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/config.h"
#include "common/evloop.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/sup.h"


/* ---- pure decisions ---------------------------------------------------------------- */

void sup_describe_exit(int status, char *out, size_t len)
{
	if (WIFEXITED(status)) {
		snprintf(out, len, "exited %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));
		if (abbrev)
			snprintf(out, len, "killed by SIG%s", abbrev);
		else
			snprintf(out, len, "killed by signal %d", WTERMSIG(status));
	} else {
		snprintf(out, len, "status %d", status);
	}
}

enum sup_after_exit sup_after_exit(enum sup_restart policy, int status, int killed_by_us)
{
	if (killed_by_us)
		return SUP_AFTER_RESTART;
	if (WIFEXITED(status) && WEXITSTATUS(status) == SUP_EX_CONFIG)
		return SUP_AFTER_FAIL_CONFIG;
	if (policy == SUP_TRANSIENT && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return SUP_AFTER_STOP;
	return SUP_AFTER_RESTART;
}

/* Restarts remembered in a ring; those older than the period no longer count. */
size_t sup_history_count(struct sup_worker *w, int64_t now, int64_t period_ms)
{
	size_t n = 0;
	for (size_t i = 0; i < w->hist_n; i++) {
		size_t k = (w->hist_head + SUP_RESTART_HISTORY - 1 - i) % SUP_RESTART_HISTORY;
		if (now - w->history[k] < period_ms)
			n++;
	}
	return n;
}

void sup_history_add(struct sup_worker *w, int64_t now)
{
	w->history[w->hist_head] = now;
	w->hist_head = (w->hist_head + 1) % SUP_RESTART_HISTORY;
	if (w->hist_n < SUP_RESTART_HISTORY)
		w->hist_n++;
}

/* The restart rule (ghrd(8)): the n-th restart within restart_period waits
 * backoff(n) — none for the first, then 1 s doubling up to backoff_max, each with
 * jitter in its upper half — and the crash that would need restart number
 * restart_intensity + 1 within the period marks the worker failed.  With the defaults
 * (10 restarts in 15 min, backoff_max 60 s) a worker that fails at once every time is
 * retried for at least two minutes (121.5 s of backoff, at most 243 s) before ghrd
 * gives up on it: long enough to ride out a short cloud or network outage. */
int64_t sup_backoff_delay(size_t recent, int64_t cap_ms)
{
	return backoff_ms((unsigned)recent, SUP_BACKOFF_BASE_MS, cap_ms);
}

int64_t sup_restart_span_min(int64_t intensity, int64_t cap_ms)
{
	int64_t total = 0, ceiling = SUP_BACKOFF_BASE_MS;
	for (int64_t n = 1; n < intensity; n++) {
		int64_t c = cap_ms > 0 && ceiling > cap_ms ? cap_ms : ceiling;
		total += c / 2;
		if (ceiling < cap_ms)
			ceiling *= 2;
	}
	return total;
}

/* ---- lookups --------------------------------------------------------------------- */

struct sup_worker *sup_worker_find(const struct sup *s, const char *name)
{
	for (size_t i = 0; i < s->n_workers; i++)
		if (strcmp(s->workers[i]->name, name) == 0)
			return s->workers[i];
	return NULL;
}

struct sup_worker *sup_worker_by_pid(const struct sup *s, pid_t pid)
{
	for (size_t i = 0; i < s->n_workers; i++)
		if (s->workers[i]->pid == pid)
			return s->workers[i];
	return NULL;
}

int sup_all_ready(const struct sup *s)
{
	int any = 0;
	for (size_t i = 0; i < s->n_workers; i++) {
		enum sup_state st = s->workers[i]->state;
		if (st == SUP_W_STOPPED || st == SUP_W_FAILED)
			continue;
		if (st != SUP_W_READY)
			return 0;
		any = 1;
	}
	return any || s->n_workers == 0;
}

/* READY=1, once: when the last worker not yet ready became ready — or failed, or
 * stopped, so a non-essential worker that never comes up does not hold the service in
 * "activating" forever. */
void sup_check_ready(struct sup *s)
{
	if (s->ready_notified || s->shutting_down || !sup_all_ready(s))
		return;
	s->ready_notified = 1;
	sup_notify("READY=1");
	log_info("all workers ready", "workers=%zu", s->n_workers);
}

/* ---- actions --------------------------------------------------------------------- */

static void cancel_timer(struct sup *s, struct sup_worker *w)
{
	if (w->timer) {
		ev_timer_del(s->loop, w->timer);
		w->timer = 0;
	}
}

static void on_backoff_done(struct ev_loop *loop, int64_t id, void *arg);
static void crashed(struct sup *s, struct sup_worker *w);

void sup_start(struct sup *s, struct sup_worker *w)
{
	if (s->shutting_down)
		return;
	char err[512];
	cancel_timer(s, w);
	w->hello_ok = 0;
	w->kill_reason_set = 0;
	w->restart_after_stop = 0;
	w->started_ms = w->last_seen_ms = now_ms();
	w->ready_ms = 0;
	w->state = SUP_W_STARTING;
	w->gen = ++s->next_gen;
	if (sup_spawn(s, w, err, sizeof(err)) < 0) {
		log_error("cannot start worker", "worker=%s error=%s", w->name, log_q(err));
		snprintf(w->last_exit, sizeof(w->last_exit), "not started: %.80s", err);
		crashed(s, w);
		return;
	}
	log_info("worker started", "worker=%s pid=%d", w->name, (int)w->pid);
	sup_notify_status(s);
}

static void on_kill_timer(struct ev_loop *loop, int64_t id, void *arg)
{
	struct sup_worker *w = arg;
	w->timer = 0;
	if (w->pid > 0) {
		log_warn("worker did not stop in time, killing it", "worker=%s pid=%d timeout_ms=%lld",
		         w->name, (int)w->pid, (long long)w->set.shutdown_timeout_ms);
		snprintf(w->last_exit, sizeof(w->last_exit), "killed: did not stop within %lld ms",
		         (long long)w->set.shutdown_timeout_ms);
		w->kill_reason_set = 1;
		kill(w->pid, SIGKILL);
	}
}

/* A second stop (a second restart, a restart during shutdown) must leave the running
 * kill timer alone: cancelling it would let a worker that ignores SIGTERM stop forever. */
void sup_stop(struct sup *s, struct sup_worker *w)
{
	if (w->pid > 0 && w->state == SUP_W_STOPPING)
		return;
	cancel_timer(s, w);
	if (w->pid <= 0) {
		w->state = SUP_W_STOPPED;
		return;
	}
	w->state = SUP_W_STOPPING;
	kill(w->pid, SIGTERM);
	w->timer = ev_timer_add(s->loop, w->set.shutdown_timeout_ms, on_kill_timer, w);
}

void sup_kill(struct sup *s, struct sup_worker *w, const char *reason)
{
	if (w->pid <= 0)
		return;
	log_warn("killing worker", "worker=%s pid=%d reason=%s", w->name, (int)w->pid, log_q(reason));
	snprintf(w->last_exit, sizeof(w->last_exit), "%s", reason);
	w->kill_reason_set = 1;
	kill(w->pid, SIGKILL);
}

/* Operator restart (ghr-ctl restart, reload): also lifts a failed state. */
void sup_restart_now(struct sup *s, struct sup_worker *w)
{
	w->hist_n = 0;
	if (w->pid > 0) {
		sup_stop(s, w);
		w->restart_after_stop = 1;
	} else {
		sup_start(s, w);
	}
}

static void on_backoff_done(struct ev_loop *loop, int64_t id, void *arg)
{
	struct sup_worker *w = arg;
	w->timer = 0;
	sup_start(w->sup, w);
}

static void fail(struct sup *s, struct sup_worker *w, int exit_code)
{
	w->state = SUP_W_FAILED;
	log_error("worker failed, not restarting", "worker=%s reason=%s essential=%s", w->name,
	          log_q(w->last_exit), w->set.essential ? "yes" : "no");
	if (w->set.essential && !s->shutting_down) {
		log_error("an essential worker failed, stopping ghrd", "worker=%s", w->name);
		sup_begin_shutdown(s, exit_code);
	}
}

/* An exit (or a failed start) that calls for a restart: within the intensity, after a
 * backoff (none for the first restart in the window). */
static void crashed(struct sup *s, struct sup_worker *w)
{
	if (s->shutting_down) {
		w->state = SUP_W_STOPPED;
		return;
	}
	int64_t now = now_ms();
	int64_t period = cfg_int(s->cfg, "supervisor.restart_period");
	int64_t intensity = cfg_int(s->cfg, "supervisor.restart_intensity");
	size_t recent = sup_history_count(w, now, period);
	if ((int64_t)recent >= intensity) {
		char why[200];
		snprintf(why, sizeof(why), "%.100s; %zu restarts in %lld s", w->last_exit, recent,
		         (long long)(period / 1000));
		snprintf(w->last_exit, sizeof(w->last_exit), "%.150s", why);
		fail(s, w, 1);
		return;
	}
	sup_history_add(w, now);
	w->restarts++;
	int64_t delay = sup_backoff_delay(recent, cfg_int(s->cfg, "supervisor.backoff_max"));
	log_info("restarting worker", "worker=%s last_exit=%s delay_ms=%lld", w->name,
	         log_q(w->last_exit), (long long)delay);
	if (delay <= 0) {
		sup_start(s, w);
		return;
	}
	w->state = SUP_W_BACKOFF;
	w->timer = ev_timer_add(s->loop, delay, on_backoff_done, w);
}

static void remove_worker(struct sup *s, struct sup_worker *w)
{
	for (size_t i = 0; i < s->n_workers; i++) {
		if (s->workers[i] != w)
			continue;
		memmove(&s->workers[i], &s->workers[i + 1], (s->n_workers - i - 1) * sizeof(*s->workers));
		s->n_workers--;
		break;
	}
	cancel_timer(s, w);
	sup_bus_close_worker(s, w);
	json_decref(w->set.args);
	json_decref(w->slice);
	free(w);
}

void sup_on_child(struct sup *s, pid_t pid, int status)
{
	struct sup_worker *w = sup_worker_by_pid(s, pid);
	if (!w)
		return;
	sup_boot_close(s, w);
	sup_bus_close_worker(s, w);   /* what it left queued dies with it */
	w->prev_pid = pid;
	w->pid = 0;
	w->hello_ok = 0;
	cancel_timer(s, w);
	char what[64];
	sup_describe_exit(status, what, sizeof(what));
	if (!w->kill_reason_set)
		snprintf(w->last_exit, sizeof(w->last_exit), "%s", what);
	log_info("worker exited", "worker=%s pid=%d status=%s", w->name, (int)pid, log_q(what));
	sup_fail_pending_to(s, w, "the worker exited");
	enum sup_state was = w->state;
	if (s->shutting_down) {
		w->state = SUP_W_STOPPED;
		sup_shutdown_step(s);
		return;
	}
	if (was == SUP_W_STOPPING) {
		if (w->remove_after_stop)
			remove_worker(s, w);
		else if (w->restart_after_stop)
			sup_start(s, w);
		else
			w->state = SUP_W_STOPPED;
		sup_check_ready(s);
		sup_notify_status(s);
		return;
	}
	switch (sup_after_exit(w->set.restart, status, w->kill_reason_set)) {
	case SUP_AFTER_FAIL_CONFIG:
		snprintf(w->last_exit, sizeof(w->last_exit), "configuration error (%.60s)", what);
		fail(s, w, SUP_EX_CONFIG);
		break;
	case SUP_AFTER_STOP:
		w->state = SUP_W_STOPPED;
		break;
	case SUP_AFTER_RESTART:
		crashed(s, w);
		break;
	}
	sup_check_ready(s);
	sup_notify_status(s);
}

/* Liveness: a worker not ready in time, or silent for `liveness` heartbeats, is killed
 * (and so restarted as after a crash).  Before the kill, everything the worker has
 * queued is read: only a worker that really sent nothing is held silent. */
void sup_tick(struct sup *s)
{
	int64_t now = now_ms();
	int64_t hb = cfg_int(s->cfg, "supervisor.heartbeat");
	int64_t silent_max = hb * cfg_int(s->cfg, "supervisor.liveness");
	int64_t ready_max = cfg_int(s->cfg, "supervisor.ready_timeout");
	char why[96];
	for (size_t i = 0; i < s->n_workers; i++) {
		struct sup_worker *w = s->workers[i];
		if (w->pid <= 0 || w->kill_reason_set)
			continue;
		if (w->state == SUP_W_STARTING && now - w->started_ms > ready_max) {
			snprintf(why, sizeof(why), "killed: not ready within %lld ms", (long long)ready_max);
			sup_kill(s, w, why);
		} else if (w->state == SUP_W_READY && now - w->last_seen_ms > silent_max) {
			/* Judge the worker, not ghrd's backlog: a heartbeat sent in time may
			 * still sit unread in its socket. */
			sup_bus_drain(s, w);
			if (w->pid > 0 && !w->kill_reason_set && w->state == SUP_W_READY &&
			    now_ms() - w->last_seen_ms > silent_max)
				sup_kill(s, w, "killed: missed heartbeats");
		}
	}
}

void sup_begin_shutdown(struct sup *s, int exit_code)
{
	if (!s->shutting_down || exit_code > s->exit_code)
		s->exit_code = exit_code;
	if (s->shutting_down)
		return;
	s->shutting_down = 1;
	sup_notify("STOPPING=1");
	log_info("stopping workers", "exit_code=%d", exit_code);
	for (size_t i = 0; i < s->n_workers; i++) {
		struct sup_worker *w = s->workers[i];
		if (w->pid <= 0) {
			cancel_timer(s, w);
			if (w->state != SUP_W_FAILED)
				w->state = SUP_W_STOPPED;
		}
	}
	sup_shutdown_step(s);
}

/* Stop the last worker group (table order) still running; called again on each exit. */
void sup_shutdown_step(struct sup *s)
{
	const struct sup_def *def = NULL;
	for (size_t i = s->n_workers; i-- > 0;)
		if (s->workers[i]->pid > 0) {
			def = s->workers[i]->def;
			break;
		}
	if (!def) {
		ev_stop(s->loop);
		return;
	}
	for (size_t i = 0; i < s->n_workers; i++) {
		struct sup_worker *w = s->workers[i];
		if (w->def == def && w->pid > 0 && w->state != SUP_W_STOPPING)
			sup_stop(s, w);
	}
}
