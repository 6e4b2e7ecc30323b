/* The worker table: the one place that says which workers exist, how they are run,
 * what part of the config and which secret each receives, and what events reach it.
 * Each worker runs as its own user: supervisor.user's default "ghr-{worker}" derives it
 * from the row's name, so a new row needs no code for that, only a line in
 * sysusers.d/ghr.conf.  That file creates no user for the test worker (fake): enabling
 * it while ghrd runs as root with the default supervisor.user makes ghrd exit 78
 * (EX_CONFIG) for the missing ghr-fake, unless workers.fake.user or supervisor.user
 * names an existing user.
 *
 * Order matters: workers start in table order and stop in reverse order, so those that
 * serve others (github, openstack) come before their callers (scaler).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/sup.h"
#include "supervisor/sup_secrets.h"

static const char *const github_sections[] = { "manager_id", "github", NULL };
static const char *const openstack_sections[] = { "manager_id", "openstack", NULL };
static const char *const scaler_sections[] = {
	"manager_id", "reconcile", "runner", "metrics", "pools", "github.path", "reactive.idle_grace", NULL
};
static const char *const image_builder_sections[] = { "manager_id", "image_builder", "pools", NULL };
static const char *const metrics_sections[] = { "metrics.listen", "metrics.textfile", NULL };
static const char *const no_sections[] = { NULL };
static const char *const webhook_sections[] = { "manager_id", "webhook", "reactive", "pools", "github.path", NULL };
static const char *const reactive_sections[] = { "manager_id", "reactive", "pools", "github.path", NULL };

/* Config keys naming the files a worker's secret is read from: `ghrd -n` warns when one
 * of them is readable by any worker's user or group (they must be root's only). */
static const char *const github_secret_files[] = {
	"github.auth.token_file", "github.auth.app_private_key_file", NULL
};
static const char *const openstack_secret_files[] = { "openstack.clouds_yaml", NULL };
static const char *const webhook_secret_files[] = {
	"webhook.secret_file", "reactive.mongodb_uri_file", "webhook.tls_key_file", NULL
};
static const char *const reactive_secret_files[] = { "reactive.mongodb_uri_file", NULL };
static const char *const no_files[] = { NULL };

static const char *const scaler_topics[] = { "os.", "github.", "image.", "webhook.", NULL };
static const char *const fake_topics[] = { "fake.", NULL };
static const char *const no_topics[] = { NULL };
static const char *const reactive_topics[] = { "webhook.", "scaler.runner.", NULL };

/* What each may publish: a worker speaks for its own domain only, so a compromised or
 * buggy worker cannot forge another's events (github claiming an os.server.status). */
static const char *const github_pub[] = { "github.", NULL };
static const char *const openstack_pub[] = { "os.", NULL };
static const char *const scaler_pub[] = { "scaler.", NULL };
static const char *const image_builder_pub[] = { "image.", NULL };
static const char *const webhook_pub[] = { "webhook.", NULL };
static const char *const reactive_pub[] = { "reactive.", NULL };
/* The test worker also stands in for the webhook worker (fake.emit). */
static const char *const no_pub[] = { NULL };
static const char *const fake_pub[] = { "fake.", "webhook.", NULL };

/* max_instances (the fourth column): github, openstack and the scaler are singletons —
 * the list snapshots live in one github process, two scalers would both fill min_idle
 * (double creates), and the openstack in-progress-create guard is per process. */
static const struct sup_def defs[] = {
	{ "github", "github", 1, 1, SUP_PERMANENT, 10000, 1, C_GITHUB, github_sections,
	  sup_secret_github, no_topics, github_pub, github_secret_files },
	{ "openstack", "openstack", 1, 1, SUP_PERMANENT, 10000, 1, C_OPENSTACK, openstack_sections,
	  sup_secret_openstack, no_topics, openstack_pub, openstack_secret_files },
	{ "scaler", "scaler", 1, 1, SUP_PERMANENT, 15000, 1, C_SCALER, scaler_sections, NULL,
	  scaler_topics, scaler_pub, no_files },
	/* Reactive jobs: on when their secret files are configured (sup_counts.c). */
	{ "webhook", "webhook", 0, 1, SUP_PERMANENT, 5000, 0, C_WEBHOOK, webhook_sections,
	  sup_secret_webhook, no_topics, webhook_pub, webhook_secret_files },
	{ "reactive-consumer", "reactive-consumer", 0, 64, SUP_PERMANENT, 10000, 0, C_REACTIVE,
	  reactive_sections, sup_secret_reactive, reactive_topics, reactive_pub, reactive_secret_files },
	/* Singleton: one build per image name at a time rests on one process; runs only
	 * when image_builder.images lists an image (sup_counts.c). */
	{ "image-builder", "image-builder", 1, 1, SUP_PERMANENT, 10000, 0, C_IMAGE, image_builder_sections,
	  NULL, no_topics, image_builder_pub, no_files },
	/* Serves /metrics to Prometheus and writes metrics.textfile; runs only when one of
	 * the two is set (sup_counts.c). */
	{ "metrics", "metrics", 1, 1, SUP_PERMANENT, 5000, 0, C_METRICS, metrics_sections, NULL,
	  no_topics, no_pub, no_files },
	/* Test worker: off unless workers.fake.instances is set. */
	{ "fake", "fake", 0, 64, SUP_PERMANENT, 5000, 0, C_FAKE, no_sections, NULL, fake_topics,
	  fake_pub, no_files },
};

const struct sup_def *sup_defs(size_t *count)
{
	*count = sizeof(defs) / sizeof(defs[0]);
	return defs;
}

const struct sup_def *sup_def_find(const char *name)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

int sup_may_publish(const struct sup_def *def, const char *topic)
{
	for (const char *const *p = def->publishes; p && *p; p++)
		if (strncmp(topic, *p, strlen(*p)) == 0)
			return 1;
	return 0;
}

static const char *const state_names[SUP_W_STATE_COUNT] = {
	[SUP_W_STOPPED] = "stopped", [SUP_W_STARTING] = "starting", [SUP_W_READY] = "ready",
	[SUP_W_STOPPING] = "stopping", [SUP_W_BACKOFF] = "backoff", [SUP_W_FAILED] = "failed",
};

const char *sup_state_name(enum sup_state s)
{
	return (unsigned)s < SUP_W_STATE_COUNT ? state_names[s] : "?";
}

/* ../libexec/ghr beside the ghrd executable (so a build tree and an install both work). */
const char *sup_default_libexec(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(buf, len, "/usr/libexec/ghr");
		return buf;
	}
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(buf, len, "%s/../libexec/ghr", exe);
	return buf;
}
