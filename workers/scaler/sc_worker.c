/* The scaler worker: config slice -> state, the reconcile timer, the metrics text.
 *
 * Config slice (from ghrd): {"manager_id", "reconcile", "runner", "metrics", "pools",
 * "github": {"path"}}, validated by ghrd with defaults filled and durations in ms.
 * The checks here are a second line (a slice given by a test tool, a bug): a bad slice
 * exits 78 with the key named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/evloop.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/sched.h"
#include "common/util.h"
#include "workers/scaler/sc.h"
#include "workers/scaler/sc_reactive.h"
#include "workers/scaler/sc_template.h"
#include "workers/scaler/sc_userdata.h"

struct sc *sc_get(struct worker *w)
{
	return worker_data(w);
}

struct sc_pool_rt *sc_pool_find(struct sc *sc, const char *name)
{
	for (size_t i = 0; i < sc->npools; i++)
		if (name && strcmp(sc->pools[i].name, name) == 0)
			return &sc->pools[i];
	return NULL;
}

int sc_pool_min_idle(const struct sc_pool_rt *p)
{
	return p->min_idle_override >= 0 ? p->min_idle_override : p->min_idle_cfg;
}

void sc_pool_input(const struct sc_pool_rt *p, struct sc_pool *out, int64_t now_wall_ms)
{
	memset(out, 0, sizeof(*out));
	sc_copy(out->name, p->name, sizeof(out->name));
	out->min_idle = sc_pool_min_idle(p);
	out->max_runners = p->max_runners;
	out->override = p->min_idle_override >= 0;
	out->windows = p->windows;
	out->nwindows = p->nwindows;
	out->demand = p->demand;
	out->target_queue_ms = p->target_queue_ms;
	out->max_idle = p->max_idle;
	out->grace_ms = p->grace_ms;
	out->rate = sc_demand_rate(p->dm, now_wall_ms);
	out->boot_p90_ms = sc_demand_boot_p90(p->dm);
}

static void on_timer(struct ev_loop *loop, int64_t id, void *arg)
{
	struct sc *sc = arg;
	sc->timer = 0;
	sc_reconcile(sc, NULL);
}

void sc_schedule(struct sc *sc, int64_t delay_ms)
{
	if (sc->timer)
		ev_timer_del(worker_loop(sc->w), sc->timer);
	sc->timer = ev_timer_add(worker_loop(sc->w), delay_ms < 0 ? 0 : delay_ms, on_timer, sc);
}

static int stale_vms(const struct sc *sc, const char *pool)
{
	int n = 0;
	for (size_t i = 0; i < sc->nrows; i++) {
		const struct sc_row *r = &sc->rows[i];
		n += r->vm_id[0] && r->state != SC_IDLE && r->state != SC_BUSY && r->created_ms > 0
		     && sc->view_wall_ms - r->created_ms > sc->bootstrap_timeout_ms && strcmp(r->pool, pool) == 0;
	}
	return n;
}

char *sc_metrics_text(struct sc *sc)
{
	struct sc_pool_metrics *pm = calloc(sc->npools ? sc->npools : 1, sizeof(*pm));
	if (!pm)
		return NULL;
	for (size_t i = 0; i < sc->npools; i++) {
		pm[i] = sc->pools[i].m;
		sc_copy(pm[i].pool, sc->pools[i].name, sizeof(pm[i].pool));
		pm[i].min_idle = sc_pool_min_idle(&sc->pools[i]);
		pm[i].max_runners = sc->pools[i].max_runners;
		pm[i].target = sc->pools[i].target.target;
		pm[i].demand_target = sc->pools[i].target.demand;
		pm[i].arrival_rate = sc_demand_rate(sc->pools[i].dm, wall_ms());
		pm[i].boot_p90_s = (double)sc_demand_boot_p90(sc->pools[i].dm) / 1000.0;
		pm[i].target_queue_s = sc->pools[i].demand ? (double)sc->pools[i].target_queue_ms / 1000.0 : -1.0;
		pm[i].stale_vms = stale_vms(sc, sc->pools[i].name);
		for (size_t k = 0; k < sc->ncounts; k++)
			if (strcmp(sc->counts[k].pool, pm[i].pool) == 0)
				memcpy(pm[i].runners, sc->counts[k].n, sizeof(pm[i].runners));
	}
	struct sc_metrics m = {
		.pools = pm, .npools = sc->npools, .reconciles = sc->reconciles,
		.reconcile_failures = sc->reconcile_failures, .last_reconcile_s = sc->last_reconcile_s,
		.last_success_ts = sc->last_success_ts, .ratelimit = sc->ratelimit,
		.watches = sc->watches, .watch_changes = sc->watch_changes,
		.watch_failures = sc->watch_failures, .replacements = sc->replacements,
		.health = sc_health_report(sc, wall_ms()),
	};
	char *t = sc_prom_render(&m);
	json_decref((json_t *)m.health);
	free(pm);
	return t;
}

/* ---- config ------------------------------------------------------------------------- */

/* demand: and schedule: (sc_demand.h); ghrd checked them, this is the second line. */
static int load_target(struct sc_pool_rt *p, const json_t *j, size_t idx)
{
	if (!(p->dm = calloc(1, sizeof(*p->dm))))
		return -1;
	const json_t *d = json_object_get(j, "demand");
	const json_t *tq = json_object_get(d, "target_queue_time");
	p->demand = json_is_integer(tq);
	p->target_queue_ms = p->demand ? json_integer_value(tq) : 0;
	p->max_idle = (int)jsonget_int(d, "max_idle", 0);
	p->grace_ms = jsonget_int(d, "scale_down_grace", 600000);
	const json_t *sched = json_object_get(j, "schedule");
	size_t n = json_array_size(sched);
	if (n && !(p->windows = calloc(n, sizeof(*p->windows))))
		return -1;
	for (size_t i = 0; i < n; i++) {
		char err[400];
		if (sched_window_load(&p->windows[i], json_array_get(sched, i), NULL, err, sizeof(err)) != 0) {
			log_error("bad config", "key=pools[%zu].schedule[%zu] msg=%s", idx, i, log_q(err));
			return -1;
		}
		p->nwindows++;
	}
	return 0;
}

static int load_pool(struct sc *sc, struct sc_pool_rt *p, const json_t *j, size_t idx)
{
	const char *name = jsonget_str(j, "name", NULL);
	char probe[SC_NAME_MAX];
	if (!name || !sc_name_part_ok(name, SC_POOL_MAX - 1)
	    || sc_name_make(probe, sizeof(probe), sc->manager_id, name, "00000000") != 0) {
		log_error("bad config", "key=pools[%zu].name msg=%s", idx,
		          log_q("must be [a-z0-9-], 1-20 characters, and make names of at most 64"));
		return -1;
	}
	if (sc_pool_find(sc, name)) {
		log_error("bad config", "key=pools[%zu].name msg=%s", idx, log_q("duplicate pool name"));
		return -1;
	}
	sc_copy(p->name, name, sizeof(p->name));
	p->flavor = jsonget_str(j, "flavor", NULL);
	p->network = jsonget_str(j, "network", NULL);
	const char *image = jsonget_str(j, "image", NULL);
	const json_t *labels = json_object_get(j, "labels");
	static const char *const required[] = { "flavor", "image", "network" };
	const char *vals[] = { p->flavor, image, p->network };
	for (int k = 0; k < 3; k++)
		if (!vals[k] || !*vals[k]) {
			log_error("bad config", "key=pools[%zu].%s msg=required", idx, required[k]);
			return -1;
		}
	if (!json_is_array(labels) || json_array_size(labels) == 0) {
		log_error("bad config", "key=pools[%zu].labels msg=%s", idx, log_q("a list of at least one label"));
		return -1;
	}
	/* self-hosted is implied: GitHub matches jobs on it. */
	p->labels = json_array();
	json_array_append_new(p->labels, json_string("self-hosted"));
	size_t i;
	const json_t *l;
	json_array_foreach(labels, i, l) {
		if (!json_is_string(l)) {
			log_error("bad config", "key=pools[%zu].labels[%zu] msg=%s", idx, i, log_q("not a string"));
			return -1;
		}
		if (strcmp(json_string_value(l), "self-hosted") != 0)
			json_array_append(p->labels, (json_t *)l);
	}
	p->group = jsonget_str(j, "runner_group", NULL);
	/* Optional server settings, passed to os.server.create as they are when set. */
	static const char *const server_opts[] = { "security_groups", "key_name", "availability_zone",
	                                           "boot_volume_size" };
	p->server_opts = json_object();
	for (size_t k = 0; k < sizeof(server_opts) / sizeof(server_opts[0]); k++) {
		json_t *v = json_object_get(j, server_opts[k]);
		if (v && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 0))
			json_object_set(p->server_opts, server_opts[k], v);
	}
	p->min_idle_cfg = (int)jsonget_int(j, "min_idle", 0);
	p->max_runners = (int)jsonget_int(j, "max_runners", 0);
	p->reactive = json_is_true(json_object_get(j, "reactive"));
	p->min_idle_override = -1;
	if (p->min_idle_cfg < 0 || p->max_runners < 0) {
		log_error("bad config", "key=pools[%zu] msg=%s", idx, log_q("min_idle and max_runners must be >= 0"));
		return -1;
	}
	sc_image_init(&p->image, image);
	return load_target(p, j, idx);
}

static int load_config(struct sc *sc, const json_t *cfg)
{
	const char *mgr = jsonget_str(cfg, "manager_id", NULL);
	if (!mgr || !sc_name_part_ok(mgr, 20)) {
		log_error("bad config", "key=manager_id msg=%s", log_q("required, [a-z0-9-], 1-20 characters"));
		return -1;
	}
	sc_copy(sc->manager_id, mgr, sizeof(sc->manager_id));
	snprintf(sc->prefix, sizeof(sc->prefix), "%s-", mgr);
	const json_t *rc = json_object_get(cfg, "reconcile");
	sc->interval_ms = jsonget_int(rc, "interval", 60000);
	sc->creation_timeout_ms = jsonget_int(rc, "creation_timeout", 600000);
	sc->bootstrap_timeout_ms = jsonget_int(rc, "bootstrap_timeout", 1200000);
	sc->create_conc = (int)jsonget_int(rc, "create_concurrency", 10);
	sc->delete_conc = (int)jsonget_int(rc, "delete_concurrency", 20);
	sc->watch_interval_ms = jsonget_int(rc, "watch_interval", 2000);
	if (sc->interval_ms < 1 || sc->create_conc < 1 || sc->delete_conc < 1) {
		log_error("bad config", "key=reconcile msg=%s", log_q("interval and concurrencies must be positive"));
		return -1;
	}
	sc->runner_cfg = json_object_get(cfg, "runner");
	sc_reactive_setup(cfg);
	sc->github_path = jsonget_str(json_object_get(cfg, "github"), "path", "");
	const json_t *m = json_object_get(cfg, "metrics");
	sc->events_log = jsonget_str(m, "events_log", "");
	const char *tpl = jsonget_str(sc->runner_cfg, "user_data_template", "");
	if (*tpl) {
		sc->template_text = read_file(tpl, 1 << 20, NULL);
		if (!sc->template_text) {
			log_error("bad config", "key=runner.user_data_template msg=%s path=%s",
			          log_q("cannot read the template"), log_q(tpl));
			return -1;
		}
	}
	const json_t *pools = json_object_get(cfg, "pools");
	sc->npools = json_array_size(pools);
	sc->pools = calloc(sc->npools ? sc->npools : 1, sizeof(*sc->pools));
	if (!sc->pools)
		return -1;
	size_t n = sc->npools;
	sc->npools = 0;
	for (size_t i = 0; i < n; i++) {
		if (load_pool(sc, &sc->pools[sc->npools], json_array_get(pools, i), i) != 0)
			return -1;
		sc->npools++;
	}
	return 0;
}

/* Render once with a stand-in JIT config so that a broken template or runner section is
 * a start-up error, not a failure of every create. */
static int check_template(struct sc *sc)
{
	if (sc->npools == 0)
		return 0;
	char err[256] = "";
	struct sc_ud_params up = {
		.runner_name = "probe", .pool = sc->pools[0].name, .labels = sc->pools[0].labels,
		.github_path = sc->github_path, .jit_config = "probe", .runner = sc->runner_cfg,
	};
	char *s = sc_userdata_render(sc->template_text ? sc->template_text : sc_template_userdata(NULL),
	                             &up, err, sizeof(err));
	if (!s) {
		log_error("bad config", "key=runner msg=%s", log_q(err));
		return -1;
	}
	secret_free(s);
	return 0;
}

static int sc_init(struct worker *w, const json_t *config, const json_t *secret)
{
	struct sc *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -1;
	sc->w = w;
	worker_set_data(w, sc);
	if (load_config(sc, config) != 0 || check_template(sc) != 0)
		return -1;
	log_info("scaler starting", "manager_id=%s pools=%zu interval_ms=%lld", sc->manager_id, sc->npools,
	         (long long)sc->interval_ms);
	worker_set_ready(w);
	/* Crash-only: nothing is trusted from before; the first reconcile rediscovers all. */
	sc_schedule(sc, 0);
	sc_watch_schedule(sc);
	return 0;
}

static void sc_shutdown(struct worker *w)
{
	struct sc *sc = sc_get(w);
	if (!sc)
		return;
	sc->stopping = 1;
	if (sc->timer)
		ev_timer_del(worker_loop(w), sc->timer);
	sc->timer = 0;
	if (sc->watch_timer)
		ev_timer_del(worker_loop(w), sc->watch_timer);
	sc->watch_timer = 0;
}

/* image.built: new runners of the pools choosing the image's tag boot from the new
 * image at once (running ones are left alone), until a listing of the tag asked for
 * after this decides (sc_image.h): a newer image, or a rollback by moving the tag, wins
 * then. */
static void on_image_built(struct worker *w, const char *topic, const json_t *body, const char *from)
{
	struct sc *sc = sc_get(w);
	const char *tag = json_string_value(json_object_get(body, "tag"));
	const char *id = json_string_value(json_object_get(body, "image_id"));
	if (!sc || strcmp(topic, "image.built") != 0 || !tag || !id || !*id || strlen(id) >= SC_IMAGE_ID_MAX)
		return;
	for (size_t i = 0; i < sc->npools; i++) {
		const char *want = sc_image_tag(&sc->pools[i].image);
		if (!want || strcmp(want, tag) != 0)
			continue;
		sc_image_built(&sc->pools[i].image, id, wall_ms());
		log_info("new runners use a new image", "pool=%s image=%s tag=%s", sc->pools[i].name, id, tag);
	}
}

/* Events the scaler follows, by topic. */
static const struct {
	const char *topic;
	void (*fn)(struct worker *w, const char *topic, const json_t *body, const char *from);
} event_handlers[] = {
	{ "image.built", on_image_built },
	{ "webhook.job", sc_on_event },
};

static void on_event(struct worker *w, const char *topic, const json_t *body, const char *from)
{
	for (size_t i = 0; i < sizeof(event_handlers) / sizeof(event_handlers[0]); i++)
		if (strcmp(topic, event_handlers[i].topic) == 0)
			event_handlers[i].fn(w, topic, body, from);
}

const struct worker_def sc_worker_def = {
	.name = "scaler",
	.methods = sc_methods,
	.init = sc_init,
	.shutdown = sc_shutdown,
	.on_event = on_event,
};
