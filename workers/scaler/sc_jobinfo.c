/* The job each of our runners took (sc.h), for the events log.  GitHub's runner list
 * does not say which job a runner runs; the webhook's in_progress and completed events
 * do.  In an events log line, a runner with no entry has empty workflow, repo and
 * github_event, no queue_duration and no job_conclusion, and its job_duration is
 * measured by the reconciles. */
#include <stdlib.h>
#include <string.h>
#include "workers/scaler/sc.h"

static struct sc_jobinfo *find(const struct sc *sc, const char *name)
{
	for (size_t i = 0; i < sc->njobinfo; i++)
		if (strcmp(sc->jobinfo[i].name, name) == 0)
			return &sc->jobinfo[i];
	return NULL;
}

const struct sc_jobinfo *sc_jobinfo_find(const struct sc *sc, const char *name)
{
	return find(sc, name);
}

static void drop(struct sc *sc, struct sc_jobinfo *j)
{
	*j = sc->jobinfo[--sc->njobinfo];
}

static struct sc_jobinfo *add(struct sc *sc, const char *name)
{
	if (!sc->jobinfo && !(sc->jobinfo = calloc(SC_JOBINFO_MAX, sizeof(*sc->jobinfo))))
		return NULL;
	if (sc->njobinfo == SC_JOBINFO_MAX) {
		struct sc_jobinfo *oldest = &sc->jobinfo[0];
		for (size_t i = 1; i < sc->njobinfo; i++)
			if (sc->jobinfo[i].seen_ms < oldest->seen_ms)
				oldest = &sc->jobinfo[i];
		drop(sc, oldest);
	}
	struct sc_jobinfo *j = &sc->jobinfo[sc->njobinfo++];
	memset(j, 0, sizeof(*j));
	sc_copy(j->name, name, sizeof(j->name));
	j->queue_s = j->job_s = -1;
	return j;
}

static void set(char *dst, size_t size, const char *v)
{
	if (v)
		sc_copy(dst, v, size);
}

void sc_jobinfo_note(struct sc *sc, const struct sc_job_event *ev, int64_t now_wall)
{
	if (!ev->runner_name || strncmp(ev->runner_name, sc->prefix, strlen(sc->prefix)) != 0
	    || strlen(ev->runner_name) >= SC_NAME_MAX)
		return;
	struct sc_jobinfo *j = find(sc, ev->runner_name);
	if (!j && !(j = add(sc, ev->runner_name)))
		return;
	set(j->workflow, sizeof(j->workflow), ev->workflow);
	set(j->repo, sizeof(j->repo), ev->repo);
	set(j->github_event, sizeof(j->github_event), ev->github_event);
	if (ev->queue_s >= 0)
		j->queue_s = ev->queue_s;
	if (ev->action == SC_JOB_COMPLETED) {
		set(j->conclusion, sizeof(j->conclusion), ev->conclusion);
		j->job_s = ev->job_s;
	}
	j->seen_ms = now_wall;
}

void sc_jobinfo_prune(struct sc *sc, int64_t now_wall)
{
	for (size_t i = sc->njobinfo; i-- > 0;) {
		const struct sc_jobinfo *j = &sc->jobinfo[i];
		int64_t age = now_wall - j->seen_ms;
		if (age > SC_JOBINFO_MAX_AGE_MS || (age > SC_JOBINFO_GRACE_MS && !sc_track_find(sc, j->name)))
			drop(sc, &sc->jobinfo[i]);
	}
}

char *sc_jobinfo_event_line(struct sc *sc, const struct sc_event *e, double ts)
{
	if (e->kind == SC_EVT_INSTALLED)
		return sc_event_installed(ts, e->pool, e->duration_s);
	struct sc_jobinfo *j = find(sc, e->name);
	const char *wf = j ? j->workflow : "", *repo = j ? j->repo : "", *gev = j ? j->github_event : "";
	if (e->kind == SC_EVT_START)
		return sc_event_start(ts, e->pool, wf, repo, gev, e->idle_s, j ? j->queue_s : -1);
	char *line = sc_event_stop(ts, e->pool, wf, repo, gev, e->status, j && j->job_s >= 0 ? j->job_s : e->job_s,
	                           j && j->conclusion[0] ? j->conclusion : NULL);
	if (j)
		drop(sc, j);
	return line;
}
