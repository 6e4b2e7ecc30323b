/* Workers switched on by their own config section rather than by the worker table:
 * how many instances the config asks for.  The webhook and the reactive consumers run
 * once their secret file is set (webhook.secret_file, reactive.mongodb_uri_file), the
 * image builder once image_builder.images lists an image, the metrics worker once
 * metrics.listen names an address or metrics.textfile a file. */
#include <string.h>

#include "common/config.h"
#include "supervisor/sup.h"

static int configured(const json_t *cfg, const char *path)
{
	const char *v = cfg_str(cfg, path);
	return v && *v;
}

static int count_webhook(const json_t *cfg)
{
	return configured(cfg, "webhook.secret_file") ? 1 : 0;
}

static int count_reactive(const json_t *cfg)
{
	return configured(cfg, "reactive.mongodb_uri_file") ? (int)cfg_int(cfg, "reactive.consumers") : 0;
}

/* The image builder runs only when image_builder.images lists something to build. */
static int count_image_builder(const json_t *cfg)
{
	return json_array_size(cfg_get(cfg, "image_builder.images")) > 0 ? 1 : 0;
}

/* The metrics worker runs only when metrics.listen names an address to serve or
 * metrics.textfile a file to write. */
static int count_metrics(const json_t *cfg)
{
	return configured(cfg, "metrics.listen") || configured(cfg, "metrics.textfile") ? 1 : 0;
}

static const struct { const char *worker; int (*count)(const json_t *cfg); } counts[] = {
	{ "webhook", count_webhook },
	{ "image-builder", count_image_builder },
	{ "metrics", count_metrics },
	{ "reactive-consumer", count_reactive },
};

int sup_default_instances(const json_t *cfg, const struct sup_def *def)
{
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (strcmp(counts[i].worker, def->name) == 0)
			return counts[i].count(cfg);
	return def->instances;
}
