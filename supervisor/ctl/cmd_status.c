/* ghr-ctl status: ghrd, one line per worker instance, and the fleet's health (what the
 * scaler sees failing: the reconcile, an API, a pool; why and since when).  Exit 3 when
 * the fleet is degraded or a worker is not ready. */
#include <stdio.h>

#include "supervisor/ctl/ctl.h"

static const char *num(char *buf, size_t len, json_int_t v, const char *if_negative)
{
	if (v < 0)
		return if_negative;
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

/* "3m12s" */
static void format_age(json_int_t ms, char *out, size_t len)
{
	long long s = (long long)(ms / 1000);
	if (s >= 3600)
		snprintf(out, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(out, len, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(out, len, "%llds", s);
}

void ctl_print_problems(const json_t *problems, const char *indent)
{
	size_t i;
	const json_t *p;
	json_array_foreach(problems, i, p) {
		char age[32];
		format_age(json_integer_value(json_object_get(p, "for_ms")), age, sizeof(age));
		printf("%s%s: %s (since %s, %s, %lld failures)\n", indent,
		       json_string_value(json_object_get(p, "source")),
		       json_string_value(json_object_get(p, "error")),
		       json_string_value(json_object_get(p, "since")), age,
		       (long long)json_integer_value(json_object_get(p, "failures")));
	}
}

/* The fleet part: "fleet: ok", "fleet: DEGRADED" and each problem, or why it is unknown. */
static void print_fleet(const json_t *fleet)
{
	const json_t *err = json_object_get(fleet, "unknown");
	if (err) {
		printf("fleet: unknown (%s)\n", json_string_value(err));
		return;
	}
	int degraded = json_is_true(json_object_get(fleet, "degraded"));
	printf("fleet: %s\n", degraded ? "DEGRADED" : "ok");
	ctl_print_problems(json_object_get(fleet, "problems"), "  ");
}

/* The socket this call went through, then each control socket that was full (ghrd
 * closed every connection to it) and the replies dropped unread, when there were any. */
static void print_control(const json_t *b)
{
	printf("control socket: %s\n", json_string_value(json_object_get(b, "control_socket")));
	json_int_t dropped = json_integer_value(json_object_get(b, "replies_dropped_full"));
	if (dropped > 0)
		printf("  %lld replies dropped unread\n", (long long)dropped);
	const char *label;
	const json_t *ep;
	json_object_foreach(json_object_get(b, "control"), label, ep) {
		int listening = json_is_true(json_object_get(ep, "listening"));
		json_int_t full = json_integer_value(json_object_get(ep, "full_events"));
		if (listening && full == 0)
			continue;
		printf("  %s socket: %s, %lld connections, full %lld times\n", label,
		       listening ? "listening" : "full (closed every connection, listening again shortly)",
		       (long long)json_integer_value(json_object_get(ep, "connections")), (long long)full);
	}
}

static int print_status(const json_t *b)
{
	printf("ghrd %s, pid %lld, up %llds, %s%s\n", json_string_value(json_object_get(b, "version")),
	       (long long)json_integer_value(json_object_get(b, "pid")),
	       (long long)(json_integer_value(json_object_get(b, "uptime_ms")) / 1000),
	       json_string_value(json_object_get(b, "state")),
	       json_is_true(json_object_get(b, "ready")) ? ", all workers ready" : "");
	print_control(b);
	struct ctl_table *t = ctl_table_new("WORKER", "PID", "STATE", "RESTARTS", "HEARTBEAT",
	                                    "BAD_FRAMES", "LAST_EXIT", NULL);
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(b, "workers"), i, w) {
		char pid[24], rs[24], hb[32], bad[24];
		json_int_t age = json_integer_value(json_object_get(w, "heartbeat_age_ms"));
		if (age >= 0)
			snprintf(hb, sizeof(hb), "%lldms ago", (long long)age);
		ctl_table_row(t, json_string_value(json_object_get(w, "name")),
		              num(pid, sizeof(pid), json_integer_value(json_object_get(w, "pid")), "-"),
		              json_string_value(json_object_get(w, "state")),
		              num(rs, sizeof(rs), json_integer_value(json_object_get(w, "restarts")), "-"),
		              age >= 0 ? hb : "-",
		              num(bad, sizeof(bad), json_integer_value(json_object_get(w, "bad_frames")), "-"),
		              json_string_value(json_object_get(w, "last_exit")), NULL);
	}
	ctl_table_print(t);
	print_fleet(json_object_get(b, "fleet"));
	return CTL_EXIT_OK;
}

/* scaler.health, or {"unknown": why} when the scaler cannot say (disabled, starting). */
static json_t *fleet_health(const struct ctl *c)
{
	struct ctl_reply h;
	ctl_call(c, "scaler.health", NULL, &h);
	json_t *out = h.transport_ok && h.ok ? json_incref(h.body)
	              : json_pack("{s:s}", "unknown", h.message[0] ? h.message : "no answer from the scaler");
	ctl_reply_clear(&h);
	return out;
}

static int run_status(const struct ctl *c, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: ghr-ctl status\n");
		return CTL_EXIT_USAGE;
	}
	struct ctl_reply r;
	ctl_call(c, "sup.status", NULL, &r);
	if (!r.transport_ok || !r.ok) {
		int rc = ctl_fail(&r, "status");
		ctl_reply_clear(&r);
		return rc;
	}
	json_object_set_new(r.body, "fleet", fleet_health(c));
	json_object_set_new(r.body, "control_socket", json_string(c->socket));
	int degraded = !json_is_true(json_object_get(r.body, "ready")) ||
	               json_is_true(json_object_get(json_object_get(r.body, "fleet"), "degraded"));
	if (c->json)
		ctl_print_json(r.body);
	else
		print_status(r.body);
	ctl_reply_clear(&r);
	return degraded ? CTL_EXIT_DEGRADED : CTL_EXIT_OK;
}

CTL_COMMAND(status, "status", "status", "ghrd, every worker's state, and the fleet's health (exit 3: degraded)", run_status)
