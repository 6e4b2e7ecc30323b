/* os_resolve — flavor, image and network names → ids.
 *
 * Pools name their flavor, image and network; Nova wants ids.  A resolved id is cached
 * (10 minutes; 1 minute for "tag:TAG", whose newest image changes when the image
 * builder publishes) and dropped at once when a create using it is refused as unknown
 * (os_resolve_forget), so a re-created flavor or network is picked up on the next try.
 * Concurrent lookups of the same name share one API call: a burst of 500 creates costs
 * one flavor list, not 500.  A value shaped like a UUID is taken as an id unchecked
 * (Nova checks it).
 *
 * Images: in a shared cloud another project may publish a newer public image with the
 * same name or tag.  A tag ("tag:TAG") matches only images this project owns: tags are
 * how the image builder publishes its images (always in this project), and anybody can
 * put that tag on a public image of theirs.  A name prefers this project's images and
 * falls back to public/shared ones only when none of ours has it (a base image such as
 * a public "ubuntu-22.04" is named, not tagged).  The project is the token's. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "workers/openstack/os.h"
#include "workers/openstack/os_parse.h"

#define OS_RESOLVE_TTL_MS (10 * 60 * 1000)
#define OS_RESOLVE_TAG_TTL_MS (60 * 1000)

struct os_resolve_waiter {
	os_resolved_cb cb;
	void *arg;
	struct os_resolve_waiter *next;
};

struct os_cache_entry {
	enum os_kind kind;
	char *value;
	char id[128];
	int64_t expires_ms;          /* monotonic */
	int pending;
	int any_owner;               /* image by name: second look, any owner */
	int64_t deadline_ms;
	struct os_resolve_waiter *waiters;
	struct os_cache_entry *next;
};

static const char *const kind_names[OS_KIND_COUNT] = { "flavor", "image", "network" };

static int looks_like_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return s[i] == '\0';
}

static struct os_cache_entry *find(struct os_ctx *c, enum os_kind kind, const char *value)
{
	for (struct os_cache_entry *e = c->cache; e; e = e->next)
		if (e->kind == kind && strcmp(e->value, value) == 0)
			return e;
	return NULL;
}

static void unlink_entry(struct os_ctx *c, struct os_cache_entry *victim)
{
	for (struct os_cache_entry **p = &c->cache; *p; p = &(*p)->next)
		if (*p == victim) {
			*p = victim->next;
			return;
		}
}

static void entry_free(struct os_cache_entry *e)
{
	free(e->value);
	free(e);
}

/* Deliver the outcome to every waiter; a failed lookup is not cached. */
static void complete(struct os_ctx *c, struct os_cache_entry *e, int ok, enum proto_error code, const char *msg)
{
	struct os_resolve_waiter *w = e->waiters;
	e->waiters = NULL;
	e->pending = 0;
	char id[sizeof e->id];
	memcpy(id, e->id, sizeof id);
	if (!ok) {
		unlink_entry(c, e);
		entry_free(e);
	} else {
		int is_tag = e->kind == OS_KIND_IMAGE && strncmp(e->value, "tag:", 4) == 0;
		e->expires_ms = now_ms() + (is_tag ? OS_RESOLVE_TAG_TTL_MS : OS_RESOLVE_TTL_MS);
	}
	while (w) {
		struct os_resolve_waiter *next = w->next;
		w->cb(c, ok, ok ? id : NULL, code, msg, w->arg);
		free(w);
		w = next;
	}
}

static void start_lookup(struct os_ctx *c, struct os_cache_entry *e, int64_t deadline_ms);

static void on_lookup(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct os_cache_entry *e = arg;
	char err[300], msg[400];
	const char *what = kind_names[e->kind];
	if (r->code != PROTO_OK) {
		snprintf(msg, sizeof msg, "looking up %s \"%.100s\": %.250s", what, e->value, r->message);
		complete(c, e, 0, r->code, msg);
		return;
	}
	int missing = 0, rc;
	if (e->kind == OS_KIND_IMAGE) {
		/* newest active first: the first image is the one */
		const json_t *first = json_array_get(json_object_get(r->json, "images"), 0);
		const char *id = json_string_value(json_object_get(first, "id"));
		if (!id && !e->any_owner && strncmp(e->value, "tag:", 4) != 0 && c->project_id[0]) {
			e->any_owner = 1;           /* none of ours has the name: public/shared ones */
			start_lookup(c, e, 0);
			return;
		}
		rc = id && strlcpy_chk(e->id, id, sizeof e->id) == 0 ? 0 : -1;
		missing = !id;
		snprintf(err, sizeof err, "no active image %s \"%.100s\"",
		         strncmp(e->value, "tag:", 4) == 0 ? "tagged" : "named",
		         strncmp(e->value, "tag:", 4) == 0 ? e->value + 4 : e->value);
	} else {
		rc = os_find_id_by_name(r->json, e->kind == OS_KIND_FLAVOR ? "flavors" : "networks",
		                        e->value, e->id, sizeof e->id, &missing, err, sizeof err);
	}
	if (rc != 0) {
		snprintf(msg, sizeof msg, "%s \"%.100s\": %.250s", what, e->value, err);
		complete(c, e, 0, PROTO_E_BAD_REQUEST, msg);   /* a pool naming what does not exist */
		return;
	}
	log_debug("name resolved", "kind=%s name=%s id=%s", what, log_q(e->value), e->id);
	complete(c, e, 1, PROTO_OK, NULL);
}

static void on_flavor_list(struct os_ctx *c, const json_t *reply, const struct os_result *err, void *arg)
{
	if (err) {
		on_lookup(c, err, arg);
		return;
	}
	struct os_result r = { .code = PROTO_OK, .status = 200, .json = (json_t *)reply };
	on_lookup(c, &r, arg);
}

static void image_lookup_ready(struct os_ctx *c, int ok, enum proto_error code, const char *message, void *arg)
{
	struct os_cache_entry *e = arg;
	if (ok) {
		start_lookup(c, e, e->deadline_ms);
		return;
	}
	char msg[400];
	snprintf(msg, sizeof msg, "looking up image \"%.100s\": %.250s", e->value, message);
	complete(c, e, 0, code, msg);
}

static void start_lookup(struct os_ctx *c, struct os_cache_entry *e, int64_t deadline_ms)
{
	if (e->kind == OS_KIND_IMAGE && c->auth_state != OS_AUTH_OK) {
		/* the owner filter needs the token's project */
		e->deadline_ms = deadline_ms;
		os_auth_when_ready(c, image_lookup_ready, e);
		return;
	}
	char enc[600], path[1024];     /* fits the longest query: 58 + 599 + 299 bytes */
	int tag = e->kind == OS_KIND_IMAGE && strncmp(e->value, "tag:", 4) == 0;
	if (os_urlenc(tag ? e->value + 4 : e->value, enc, sizeof enc) != 0) {
		complete(c, e, 0, PROTO_E_BAD_REQUEST, "name too long");
		return;
	}
	enum os_service svc = OS_SVC_COMPUTE;
	switch (e->kind) {
	case OS_KIND_FLAVOR:
		os_flavors_fetch(c, 0, deadline_ms, on_flavor_list, e);   /* every page */
		return;
	case OS_KIND_IMAGE:
		svc = OS_SVC_IMAGE;
		char owner[300] = "";
		if (!e->any_owner && c->project_id[0]) {
			memcpy(owner, "&owner=", 8);
			os_urlenc(c->project_id, owner + 7, sizeof owner - 7);
		}
		snprintf(path, sizeof path, "/v2/images?%s=%s&status=active&sort=created_at:desc&limit=1%s",
		         tag ? "tag" : "name", enc, owner);
		break;
	default:
		svc = OS_SVC_NETWORK;
		snprintf(path, sizeof path, "/v2.0/networks?name=%s", enc);
		break;
	}
	os_request(c, svc, "GET", path, NULL, OS_IDEMPOTENT, deadline_ms, on_lookup, e);
}

void os_resolve(struct os_ctx *c, enum os_kind kind, const char *value, int64_t deadline_ms,
                os_resolved_cb cb, void *arg)
{
	if (!*value) {
		cb(c, 0, NULL, PROTO_E_BAD_REQUEST, "empty name", arg);
		return;
	}
	if ((kind == OS_KIND_NETWORK && (strcmp(value, "auto") == 0 || strcmp(value, "none") == 0)) ||
	    looks_like_uuid(value)) {
		cb(c, 1, value, PROTO_OK, NULL, arg);
		return;
	}
	struct os_cache_entry *e = find(c, kind, value);
	if (e && !e->pending && now_ms() >= e->expires_ms) {
		unlink_entry(c, e);
		entry_free(e);
		e = NULL;
	}
	if (e && !e->pending) {
		cb(c, 1, e->id, PROTO_OK, NULL, arg);
		return;
	}
	struct os_resolve_waiter *w = calloc(1, sizeof *w);
	if (!w || (!e && !(e = calloc(1, sizeof *e)))) {
		free(w);
		cb(c, 0, NULL, PROTO_E_INTERNAL, "out of memory", arg);
		return;
	}
	w->cb = cb;
	w->arg = arg;
	w->next = e->waiters;
	e->waiters = w;
	if (e->pending)
		return;
	e->kind = kind;
	e->value = strdup(value);
	e->pending = 1;
	e->next = c->cache;
	c->cache = e;
	if (!e->value) {
		complete(c, e, 0, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	start_lookup(c, e, deadline_ms);
}

int os_resolve_forget(struct os_ctx *c, enum os_kind kind, const char *value)
{
	struct os_cache_entry *e = find(c, kind, value);
	if (!e || e->pending)
		return 0;
	log_info("cached id dropped", "kind=%s name=%s id=%s", kind_names[kind], log_q(value), e->id);
	unlink_entry(c, e);
	entry_free(e);
	return 1;
}

void os_resolve_free(struct os_ctx *c)
{
	while (c->cache) {
		struct os_cache_entry *e = c->cache;
		c->cache = e->next;
		struct os_resolve_waiter *w = e->waiters;
		while (w) {
			struct os_resolve_waiter *n = w->next;
			free(w);
			w = n;
		}
		entry_free(e);
	}
}
