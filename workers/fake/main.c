#include "common/log.h"
#include "workers/fake/fake.h"
#include "workers/runtime/worker_debug.h"

static const struct worker_method fake_methods[] = {
	{ "fake.echo", fake_echo },
	{ "fake.call", fake_call },
	{ "fake.emit", fake_emit },
	{ "fake.bench", fake_bench },
	{ NULL, NULL },
};

static int fake_init(struct worker *w, const json_t *config, const json_t *secret)
{
	fake_start_modes(w);
	return 0;
}

static void fake_on_event(struct worker *w, const char *topic, const json_t *body,
                          const char *from)
{
	log_info("event received", "topic=%s from=%s", topic, from);
}

static const struct worker_def fake_worker_def = {
	.name = "fake",
	.methods = fake_methods,
	.init = fake_init,
	.shutdown = fake_shutdown,
	.on_event = fake_on_event,
};

int main(int argc, char **argv)
{
	worker_debug_set_prehello(fake_prehello);
	worker_debug_stand_in();   /* tests run it as "github", "scaler"… to test the table */
	return worker_main(argc, argv, &fake_worker_def);
}
