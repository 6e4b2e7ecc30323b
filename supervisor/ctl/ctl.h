/* ghr-ctl — one file per command (supervisor/ctl/cmd_*.c), each registering itself
 * with CTL_COMMAND so that adding a command needs no edit elsewhere.
 *
 * Exit codes (ghr-ctl(1)): 0 ok, 1 the command failed (ghrd or a worker answered an
 * error), 2 usage, 3 (status) the fleet is degraded, 69 (EX_UNAVAILABLE) ghrd
 * unreachable or no reply in time. */
#ifndef GHR_CTL_H
#define GHR_CTL_H

#include <stdio.h>
#include <jansson.h>
#include "proto/proto.h"

#define CTL_EXIT_OK          0
#define CTL_EXIT_FAILED      1
#define CTL_EXIT_USAGE       2
#define CTL_EXIT_DEGRADED    3    /* status: ghrd runs, but the fleet is degraded */
#define CTL_EXIT_UNREACHABLE 69

#define CTL_IPC "ipc://"

struct ctl {
	const char *socket;     /* endpoint, e.g. ipc:///run/ghr/control.admin */
	int json;               /* --json: print the reply body as JSON */
	int64_t timeout_ms;     /* -t, default 10000 */
};

/* Result of one call. */
struct ctl_reply {
	int transport_ok;       /* 0: unreachable / timed out (exit 69) */
	int ok;                 /* reply ok */
	json_t *body;           /* owned; NULL when !ok */
	enum proto_error error;
	char message[512];
};

/* Send one request to ghrd over the control socket and wait for its reply. */
int ctl_call(const struct ctl *c, const char *method, json_t *body /* stolen */, struct ctl_reply *out);
/* Same, addressed to one worker instance (`to`), e.g. "fake.2"; NULL: ghrd picks. */
int ctl_call_to(const struct ctl *c, const char *to, const char *method, json_t *body,
                struct ctl_reply *out);
void ctl_reply_clear(struct ctl_reply *r);
/* Print an error reply or transport failure to stderr and return the exit code. */
int ctl_fail(const struct ctl_reply *r, const char *what);
/* Print body as pretty JSON (for --json) and return CTL_EXIT_OK. */
int ctl_print_json(const json_t *body);
/* Print the array of names body[key] on one line after label ("restarted: a b"), for the
 * commands whose reply is just such a list; returns CTL_EXIT_OK. */
int ctl_print_names(const json_t *body, const char *key, const char *label);

/* Simple aligned table output: ctl_table_row(t, "a", "b", NULL) ... ctl_table_print(t). */
struct ctl_table;
struct ctl_table *ctl_table_new(const char *first_header, ...);   /* NULL-terminated */
void ctl_table_row(struct ctl_table *t, const char *first, ...);  /* NULL-terminated */
void ctl_table_print(struct ctl_table *t);                        /* prints and frees */

struct ctl_command {
	const char *name;                   /* "status" */
	const char *usage;                  /* "status" / "restart WORKER" */
	const char *summary;                /* one line for `ghr-ctl help` */
	int (*run)(const struct ctl *c, int argc, char **argv);  /* argv[0] is the command */
};
void ctl_register(const struct ctl_command *cmd);
/* Each problem of scaler.health, one line each: "source: error (since ..., 3m12s, N failures)". */
void ctl_print_problems(const json_t *problems, const char *indent);
/* ghr-ctl pools' TARGET of one scaler.pools entry: where it comes from, "12 (demand)",
 * "20 (window 0)", "0 (override)", and the runners spawned for jobs kept on top of it,
 * "2 (override) +10 reactive". */
void ctl_pool_target_label(const json_t *pool, char *out, size_t len);
/* The endpoint of run_dir's admin socket when the caller may open it, else of its
 * public socket, written to out (len bytes); returns out. */
const char *ctl_pick_socket(const char *run_dir, char *out, size_t len);
/* The usage, options, every command and the exit codes (help, --help, no command). */
void ctl_print_help(FILE *f);
const struct ctl_command *ctl_find(const char *name);
const struct ctl_command *const *ctl_commands(size_t *count);   /* sorted by name */

/* The usual shape of a command: call, then on success print the body as JSON (--json)
 * or through human(), on failure report and return the exit code.  human may be NULL
 * (then the JSON is printed either way). */
int ctl_run_simple(const struct ctl *c, const char *method, json_t *body /* stolen */,
                   const char *what, int (*human)(const json_t *body));

#define CTL_COMMAND(ident, ...) \
	static const struct ctl_command ctl_cmd_##ident##_ = { __VA_ARGS__ }; \
	__attribute__((constructor)) static void ctl_cmd_##ident##_register_(void) \
	{ ctl_register(&ctl_cmd_##ident##_); }

#endif
