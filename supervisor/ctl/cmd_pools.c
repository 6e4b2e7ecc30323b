/* ghr-ctl pools: each pool's target (and what it comes from), cap and counts. */
#include <stdio.h>
#include "supervisor/ctl/ctl.h"

static const char *count(char *buf, size_t len, const json_t *counts, const char *state)
{
	snprintf(buf, len, "%lld", (long long)json_integer_value(json_object_get(counts, state)));
	return buf;
}

void ctl_pool_target_label(const json_t *p, char *tg, size_t tl)
{
	json_int_t reactive = json_integer_value(json_object_get(p, "reactive"));
	json_int_t target = json_integer_value(json_object_get(p, "target")) - reactive;
	json_int_t demand = json_integer_value(json_object_get(p, "demand_target"));
	json_int_t window = json_integer_value(json_object_get(p, "schedule_window"));
	char from[32] = "";
	if (json_is_true(json_object_get(p, "override")))
		snprintf(from, sizeof(from), " (override)");
	else if (json_is_true(json_object_get(p, "demand")) && demand >= target && demand > 0)
		snprintf(from, sizeof(from), " (demand)");
	else if (window >= 0)
		snprintf(from, sizeof(from), " (window %lld)", (long long)window);
	char plus[40] = "";
	if (reactive > 0)
		snprintf(plus, sizeof(plus), " +%lld reactive", (long long)reactive);
	snprintf(tg, tl, "%lld%s%s", (long long)target, from, plus);
}

/* The rate is shown per minute, the boot time's 90th percentile in seconds ("-" until
 * measured). */
static void target_cols(const json_t *p, char *tg, size_t tl, char *rt, size_t rl, char *bt, size_t bl)
{
	ctl_pool_target_label(p, tg, tl);
	snprintf(rt, rl, "%.1f", json_real_value(json_object_get(p, "arrival_rate")) * 60.0);
	json_int_t boot = json_integer_value(json_object_get(p, "boot_p90_ms"));
	snprintf(bt, bl, boot > 0 ? "%.1fs" : "-", (double)boot / 1000.0);
}

static int print_pools(const json_t *b)
{
	struct ctl_table *t = ctl_table_new("POOL", "MIN_IDLE", "TARGET", "RATE/MIN", "BOOT_P90", "MAX", "ALIVE", "IDLE", "BUSY", "BOOTING",
	                                    "CREATING", "FLAVOR", "IMAGE", "BACKOFF", "HEALTH", NULL);
	json_t *problems = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(b, "pools"), i, p) {
		const json_t *c = json_object_get(p, "counts");
		char mi[24], mx[24], al[24], id[24], bu[24], bo[24], cr[24], bk[32], img[96], tg[96], rt[24], bt[24];
		json_int_t min = json_integer_value(json_object_get(p, "min_idle"));
		json_int_t cfg = json_integer_value(json_object_get(p, "min_idle_config"));
		if (min != cfg)
			snprintf(mi, sizeof(mi), "%lld (config %lld)", (long long)min, (long long)cfg);
		else
			snprintf(mi, sizeof(mi), "%lld", (long long)min);
		target_cols(p, tg, sizeof(tg), rt, sizeof(rt), bt, sizeof(bt));
		json_int_t max = json_integer_value(json_object_get(p, "max_runners"));
		snprintf(mx, sizeof(mx), max ? "%lld" : "-", (long long)max);
		snprintf(al, sizeof(al), "%lld", (long long)json_integer_value(json_object_get(p, "alive")));
		json_int_t bo_ms = json_integer_value(json_object_get(p, "backoff_ms"));
		snprintf(bk, sizeof(bk), bo_ms ? "%llds" : "-", (long long)((bo_ms + 999) / 1000));
		const char *iid = json_string_value(json_object_get(p, "image_id"));
		snprintf(img, sizeof(img), "%s%s", iid && *iid ? iid : json_string_value(json_object_get(p, "image")),
		         json_is_true(json_object_get(p, "image_fallback")) ? " (fallback)" : "");
		ctl_table_row(t, json_string_value(json_object_get(p, "name")), mi, tg, rt, bt, mx, al,
		              count(id, sizeof(id), c, "idle"), count(bu, sizeof(bu), c, "busy"),
		              count(bo, sizeof(bo), c, "booting"), count(cr, sizeof(cr), c, "creating"),
		              json_string_value(json_object_get(p, "flavor")), img, bk,
		              json_is_object(json_object_get(p, "problem")) ? "DEGRADED" : "ok", NULL);
		if (json_is_object(json_object_get(p, "problem")))
			json_array_append(problems, json_object_get(p, "problem"));
	}
	ctl_table_print(t);
	ctl_print_problems(problems, "");
	json_decref(problems);
	return CTL_EXIT_OK;
}

static int run_pools(const struct ctl *c, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: ghr-ctl pools\n");
		return CTL_EXIT_USAGE;
	}
	return ctl_run_simple(c, "scaler.pools", NULL, "pools", print_pools);
}

CTL_COMMAND(pools, "pools", "pools", "pools with targets, caps, counts and image", run_pools)
