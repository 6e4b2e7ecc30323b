/* Misbehaviour modes of the fake worker, from its arguments (workers.fake.args):
 *
 *   --ready-delay MS      say ready MS after start (default at once)
 *   --crash-after MS      die by SIGSEGV MS after ready
 *   --crash-at-start      die by SIGSEGV before ready (a crash loop)
 *   --exit N              exit with status N before ready (78: configuration error)
 *   --silent-after MS     stop heart-beating MS after ready (still serves requests)
 *   --hang-after MS       MS after ready, block forever (no frame, no fd-3 watch)
 *   --ignore-term         log SIGTERM and carry on
 *   --garbage N           after ready, send N frames that do not validate
 *   --no-hello            never say hello (so never ready); heartbeats still go out
 *   --exit-after MS       apply --exit MS after start instead of at once
 *   --emit TOPIC          after ready, publish an event on TOPIC every 200 ms
 *   --echo-fill N         fake.echo pads its reply so that the frame is N bytes
 *   --chatter-at-exit N   on SIGTERM, send N heartbeats just before exiting (frames
 *                         that reach ghrd after it reaped the process)
 *   --on INSTANCE         the options that follow apply only to INSTANCE
 *                         (until the next --on; `--on all` lifts the restriction)
 *
 * Unknown options are logged and ignored, so a typo shows in the log. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/log.h"
#include "workers/fake/fake.h"
#include "workers/runtime/worker_debug.h"

struct fake_modes fake_modes = {
	.ready_delay_ms = -1, .crash_after_ms = -1, .exit_at_start = -1,
	.silent_after_ms = -1, .hang_after_ms = -1, .exit_after_ms = -1,
};

#define EMIT_EVERY_MS 200

static const char *str_arg;   /* the current option's value, for string options */

struct opt {
	const char *name;
	int has_value;
	void (*apply)(long long v);
};

static void o_ready(long long v) { fake_modes.ready_delay_ms = v; }
static void o_crash(long long v) { fake_modes.crash_after_ms = v; }
static void o_crash0(long long v) { fake_modes.crash_at_start = 1; }
static void o_exit(long long v) { fake_modes.exit_at_start = (int)v; }
static void o_silent(long long v) { fake_modes.silent_after_ms = v; }
static void o_hang(long long v) { fake_modes.hang_after_ms = v; }
static void o_term(long long v) { fake_modes.ignore_term = 1; }
static void o_garbage(long long v) { fake_modes.garbage = (int)v; }
static void o_nohello(long long v) { fake_modes.no_hello = 1; }
static void o_exit_after(long long v) { fake_modes.exit_after_ms = v; }
static void o_emit(long long v)
{
	snprintf(fake_modes.emit_topic, sizeof(fake_modes.emit_topic), "%s", str_arg);
}
static void o_chatter(long long v) { fake_modes.chatter_at_exit = (int)v; }
static void o_fill(long long v) { fake_modes.echo_fill = (long)v; }

static const struct opt opts[] = {
	{ "--ready-delay", 1, o_ready }, { "--crash-after", 1, o_crash },
	{ "--crash-at-start", 0, o_crash0 }, { "--exit", 1, o_exit },
	{ "--silent-after", 1, o_silent }, { "--hang-after", 1, o_hang },
	{ "--ignore-term", 0, o_term }, { "--garbage", 1, o_garbage },
	{ "--no-hello", 0, o_nohello }, { "--exit-after", 1, o_exit_after },
	{ "--emit", 1, o_emit }, { "--chatter-at-exit", 1, o_chatter },
	{ "--echo-fill", 1, o_fill },
};

static void parse(const char *instance, int argc, char **argv)
{
	int mine = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--on") == 0 && i + 1 < argc) {
			i++;
			mine = strcmp(argv[i], "all") == 0 || strcmp(argv[i], instance) == 0;
			continue;
		}
		const struct opt *o = NULL;
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strcmp(argv[i], opts[k].name) == 0)
				o = &opts[k];
		if (!o || (o->has_value && i + 1 >= argc)) {
			log_warn("unknown or incomplete option ignored", "option=%s", log_q(argv[i]));
			continue;
		}
		str_arg = o->has_value ? argv[i + 1] : "";
		long long v = o->has_value ? strtoll(argv[++i], NULL, 10) : 0;
		if (mine)
			o->apply(v);
	}
}

void fake_prehello(struct worker *w, int argc, char **argv)
{
	parse(worker_instance(w), argc, argv);
	if (fake_modes.no_hello)
		worker_debug_skip_hello(w);
	if (fake_modes.ignore_term)
		worker_debug_ignore_term(w);
}

static void crash(void)
{
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	_exit(139);
}

static void on_crash(struct ev_loop *l, int64_t id, void *arg) { crash(); }

static void on_silent(struct ev_loop *l, int64_t id, void *arg)
{
	log_info("going silent (test mode)", "%s", "");
	worker_debug_stop_heartbeat(arg);
}

static void on_hang(struct ev_loop *l, int64_t id, void *arg)
{
	log_info("hanging (test mode)", "%s", "");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &set, NULL);   /* stay killable by SIGTERM */
	for (;;)
		pause();
}

/* Frames that must not validate, each for a different reason. */
static const char *const garbage_frames[] = {
	"not json at all",
	"{\"v\":1,\"kind\":\"req\"}",
	"{\"v\":2,\"kind\":\"hb\",\"from\":\"x\",\"seq\":1,\"state\":\"ready\"}",
	"[1,2,3]",
	"{\"v\":1,\"kind\":\"hb\",\"from\":\"someone-else\",\"seq\":1,\"state\":\"ready\"}",
	"{\"v\":1,\"kind\":\"teleport\",\"from\":\"x\"}",
	"\xff\xfe\x00garbage",
	"",
};

static void send_garbage(struct worker *w)
{
	size_t n = sizeof(garbage_frames) / sizeof(garbage_frames[0]);
	for (int i = 0; i < fake_modes.garbage; i++) {
		const char *g = garbage_frames[(size_t)i % n];
		size_t len = (size_t)i % n == 6 ? 10 : strlen(g);
		worker_debug_send_raw(w, g, len);
	}
}

static void on_emit(struct ev_loop *l, int64_t id, void *arg)
{
	struct worker *w = arg;
	worker_emit(w, fake_modes.emit_topic, json_pack("{s:s}", "instance", worker_instance(w)));
	ev_timer_add(l, EMIT_EVERY_MS, on_emit, w);
}

void fake_shutdown(struct worker *w)
{
	char hb[160];
	for (int i = 0; i < fake_modes.chatter_at_exit; i++) {
		int n = snprintf(hb, sizeof(hb),
		                 "{\"v\":1,\"kind\":\"hb\",\"from\":\"%s\",\"seq\":%d,"
		                 "\"state\":\"stopping\"}", worker_instance(w), 1000000 + i);
		worker_debug_send_raw(w, hb, (size_t)n);
	}
}

static void on_exit_timer(struct ev_loop *l, int64_t id, void *arg)
{
	log_info("exiting (test mode)", "status=%d", fake_modes.exit_at_start);
	_exit(fake_modes.exit_at_start);
}

static void became_ready(struct worker *w)
{
	worker_set_ready(w);
	/* Tells the other fakes (ghrd fans "fake." events out): lets tests see events flow.
	 * Standing in for another worker, it may not publish fake.* topics: it keeps quiet. */
	if (strncmp(worker_instance(w), "fake", 4) == 0)
		worker_emit(w, "fake.started", json_pack("{s:s}", "instance", worker_instance(w)));
	struct ev_loop *l = worker_loop(w);
	if (fake_modes.crash_after_ms >= 0)
		ev_timer_add(l, fake_modes.crash_after_ms, on_crash, w);
	if (fake_modes.silent_after_ms >= 0)
		ev_timer_add(l, fake_modes.silent_after_ms, on_silent, w);
	if (fake_modes.hang_after_ms >= 0)
		ev_timer_add(l, fake_modes.hang_after_ms, on_hang, w);
	if (fake_modes.garbage > 0)
		send_garbage(w);
	if (fake_modes.emit_topic[0])
		ev_timer_add(l, EMIT_EVERY_MS, on_emit, w);
}

static void on_ready_delay(struct ev_loop *l, int64_t id, void *arg) { became_ready(arg); }

void fake_start_modes(struct worker *w)
{
	if (fake_modes.crash_at_start)
		crash();
	if (fake_modes.exit_at_start >= 0 && fake_modes.exit_after_ms >= 0) {
		ev_timer_add(worker_loop(w), fake_modes.exit_after_ms, on_exit_timer, w);
	} else if (fake_modes.exit_at_start >= 0) {
		log_info("exiting at start (test mode)", "status=%d", fake_modes.exit_at_start);
		_exit(fake_modes.exit_at_start);
	}
	if (fake_modes.no_hello) {
		if (fake_modes.garbage > 0)
			send_garbage(w);
		return;
	}
	if (fake_modes.ready_delay_ms > 0)
		ev_timer_add(worker_loop(w), fake_modes.ready_delay_ms, on_ready_delay, w);
	else
		became_ready(w);
}
