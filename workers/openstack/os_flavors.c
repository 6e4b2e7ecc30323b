/* os_flavors — every flavor, following Nova's pages.  Nova returns at most its
 * osapi_max_limit (1,000 by default) flavors a page and a `flavors_links` "next" when a
 * page is full; a cloud with more flavors than that must not make a pool's flavor
 * "unknown".  Used by the name resolution (os_resolve.c) and os.flavors.list. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "workers/openstack/os.h"
#include "workers/openstack/os_parse.h"

#define OS_FLAVOR_MAX_PAGES 100

struct flavors_op {
	int detail;
	int pages;
	char marker[200];
	int64_t deadline_ms;
	json_t *items;
	os_flavors_cb cb;
	void *arg;
};

static void flavors_page(struct os_ctx *c, struct flavors_op *op);

static void flavors_finish(struct os_ctx *c, struct flavors_op *op, const struct os_result *err)
{
	json_t *reply = err ? NULL : json_pack("{sO}", "flavors", op->items);
	op->cb(c, reply, err, op->arg);
	json_decref(reply);
	json_decref(op->items);
	free(op);
}

static int has_next(const json_t *links)
{
	size_t i;
	const json_t *l;
	json_array_foreach(links, i, l)
		if (json_string_value(json_object_get(l, "rel")) &&
		    strcmp(json_string_value(json_object_get(l, "rel")), "next") == 0)
			return 1;
	return 0;
}

static void on_flavors_page(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct flavors_op *op = arg;
	if (r->code != PROTO_OK) {
		flavors_finish(c, op, r);
		return;
	}
	const json_t *page = json_object_get(r->json, "flavors");
	struct os_result bad = *r;
	bad.code = PROTO_E_INTERNAL;
	if (!json_is_array(page)) {
		snprintf(bad.message, sizeof bad.message, "bad reply from Nova: flavors reply without a flavors list");
		flavors_finish(c, op, &bad);
		return;
	}
	json_array_extend(op->items, (json_t *)page);
	const char *last = json_string_value(json_object_get(json_array_get(page, json_array_size(page) - 1), "id"));
	if (!has_next(json_object_get(r->json, "flavors_links")) || json_array_size(page) == 0) {
		flavors_finish(c, op, NULL);
		return;
	}
	bad.code = PROTO_E_UNAVAILABLE;
	if (!last || strcmp(last, op->marker) == 0 || ++op->pages >= OS_FLAVOR_MAX_PAGES ||
	    strlcpy_chk(op->marker, last, sizeof op->marker) != 0) {
		snprintf(bad.message, sizeof bad.message, "incomplete flavor list from Nova: the pages do not end "
		         "(%d pages, last id %.60s)", op->pages, last ? last : "none");
		flavors_finish(c, op, &bad);
		return;
	}
	flavors_page(c, op);
}

static void flavors_page(struct os_ctx *c, struct flavors_op *op)
{
	char path[700], enc[600] = "";
	if (op->marker[0])
		os_urlenc(op->marker, enc, sizeof enc);
	snprintf(path, sizeof path, "/flavors%s%s%s", op->detail ? "/detail" : "", enc[0] ? "?marker=" : "", enc);
	os_request(c, OS_SVC_COMPUTE, "GET", path, NULL, OS_IDEMPOTENT, op->deadline_ms, on_flavors_page, op);
}

void os_flavors_fetch(struct os_ctx *c, int detail, int64_t deadline_ms, os_flavors_cb cb, void *arg)
{
	struct flavors_op *op = calloc(1, sizeof *op);
	json_t *items = json_array();
	if (!op || !items) {
		struct os_result oom = { .code = PROTO_E_INTERNAL };
		snprintf(oom.message, sizeof oom.message, "out of memory");
		free(op);
		json_decref(items);
		cb(c, NULL, &oom, arg);
		return;
	}
	op->detail = detail;
	op->deadline_ms = deadline_ms;
	op->items = items;
	op->cb = cb;
	op->arg = arg;
	flavors_page(c, op);
}
