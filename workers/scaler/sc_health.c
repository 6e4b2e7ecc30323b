/* Fleet health (see sc_health.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "common/util.h"
#include "workers/scaler/sc_health.h"

void sc_problem_fail(struct sc_problem *p, int64_t now_ms, const char *fmt, ...)
{
	if (!p->open) {
		p->open = 1;
		p->since_ms = now_ms;
		p->failures = 0;
	}
	p->failures++;
	p->last_ms = now_ms;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
}

void sc_problem_clear(struct sc_problem *p)
{
	memset(p, 0, sizeof(*p));
}

json_t *sc_problem_json(const struct sc_problem *p, const char *source, int64_t now_ms)
{
	if (!p->open)
		return NULL;
	char since[32];
	ms_to_iso8601(p->since_ms, since);
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "source", source, "error", p->error,
	                 "since", since, "since_ms", (json_int_t)p->since_ms,
	                 "for_ms", (json_int_t)(now_ms > p->since_ms ? now_ms - p->since_ms : 0),
	                 "failures", (json_int_t)p->failures);
}

static int failing_at(const struct sc_api_problem *a, const char *method)
{
	for (int i = 0; i < a->nfailing; i++)
		if (strcmp(a->failing[i], method) == 0)
			return i;
	return -1;
}

void sc_api_fail(struct sc_api_problem *a, const char *method, int64_t now_ms, const char *err)
{
	if (failing_at(a, method) < 0 && a->nfailing < SC_API_FAILING_MAX)
		snprintf(a->failing[a->nfailing++], PROTO_NAME_MAX, "%s", method);
	sc_problem_fail(&a->p, now_ms, "%s", err);
}

void sc_api_ok(struct sc_api_problem *a, const char *method)
{
	int i = failing_at(a, method);
	if (i >= 0)
		memcpy(a->failing[i], a->failing[--a->nfailing], PROTO_NAME_MAX);
	if (a->nfailing == 0)
		sc_problem_clear(&a->p);
}

static const struct { const char *prefix, *name; } apis[SC_API_COUNT] = {
	[SC_API_GITHUB] = { "github.", "github" },
	[SC_API_OPENSTACK] = { "os.", "openstack" },
};

enum sc_api sc_api_of(const char *method)
{
	for (int a = 0; a < SC_API_COUNT; a++)
		if (strncmp(method, apis[a].prefix, strlen(apis[a].prefix)) == 0)
			return (enum sc_api)a;
	return SC_API_COUNT;
}

const char *sc_api_name(enum sc_api a)
{
	return a < SC_API_COUNT ? apis[a].name : "";
}

int sc_error_is_outage(enum proto_error code)
{
	static const enum proto_error outage[] = { PROTO_E_UNAVAILABLE, PROTO_E_TIMEOUT, PROTO_E_UNAUTHORIZED,
	                                           PROTO_E_FORBIDDEN, PROTO_E_RATE_LIMITED, PROTO_E_INTERNAL };
	for (size_t i = 0; i < sizeof(outage) / sizeof(outage[0]); i++)
		if (code == outage[i])
			return 1;
	return 0;
}
