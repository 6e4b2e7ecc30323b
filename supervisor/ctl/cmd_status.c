/* ghr-ctl status: ghrd and one line per worker instance. */
#include <stdio.h>

#include "supervisor/ctl/ctl.h"

static const char *num(char *buf, size_t len, json_int_t v, const char *if_negative)
{
	if (v < 0)
		return if_negative;
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

static int print_status(const json_t *b)
{
	printf("ghrd %s, pid %lld, up %llds, %s%s\n", json_string_value(json_object_get(b, "version")),
	       (long long)json_integer_value(json_object_get(b, "pid")),
	       (long long)(json_integer_value(json_object_get(b, "uptime_ms")) / 1000),
	       json_string_value(json_object_get(b, "state")),
	       json_is_true(json_object_get(b, "ready")) ? ", all workers ready" : "");
	json_int_t dropped = json_integer_value(json_object_get(b, "replies_dropped_full"));
	const json_t *listening = json_object_get(b, "control_listening");
	if (dropped > 0 || json_is_false(listening))
		printf("control socket: %s, %lld connections, %lld replies dropped unread\n",
		       json_is_false(listening) ? "full (closed every connection, listening again shortly)"
		                                : "listening",
		       (long long)json_integer_value(json_object_get(b, "control_connections")),
		       (long long)dropped);
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
	return CTL_EXIT_OK;
}

static int run_status(const struct ctl *c, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: ghr-ctl status\n");
		return CTL_EXIT_USAGE;
	}
	return ctl_run_simple(c, "sup.status", NULL, "status", print_status);
}

CTL_COMMAND(status, "status", "status", "ghrd version, uptime and every worker's state", run_status)
