/* The fake worker: a worker with no external system, for supervision tests and the bus
 * benchmark.  It serves fake.echo, fake.call and fake.bench, and misbehaves on demand. */
#ifndef GHR_FAKE_H
#define GHR_FAKE_H

#include "workers/runtime/worker.h"

/* Misbehaviour chosen by arguments (workers.fake.args), see fake_modes.c. */
struct fake_modes {
	int64_t ready_delay_ms;     /* -1: ready at once */
	int64_t crash_after_ms;     /* -1: never; after ready */
	int crash_at_start;
	int exit_at_start;          /* -1: no; else the exit status */
	int64_t silent_after_ms;    /* -1: never; stop heartbeats after ready */
	int64_t hang_after_ms;      /* -1: never; block the whole process */
	int ignore_term;
	int garbage;                /* frames of garbage sent after ready */
	int no_hello;
	int64_t exit_after_ms;      /* -1: --exit applies at start; else MS after start */
	char emit_topic[64];        /* "": none; else emitted every 200 ms after ready */
	int chatter_at_exit;        /* frames (heartbeats) sent while stopping */
	long echo_fill;             /* 0: plain echo; else pad the reply frame to this size */
};

extern struct fake_modes fake_modes;

void fake_prehello(struct worker *w, int argc, char **argv);
void fake_start_modes(struct worker *w);
void fake_shutdown(struct worker *w);

void fake_echo(struct wreq *req);
void fake_call(struct wreq *req);
void fake_emit(struct wreq *req);
void fake_bench(struct wreq *req);

#endif
