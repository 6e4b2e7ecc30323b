/* Requests ghrd forwarded and whose reply it still waits for, by ghrd's own id.
 * A chained hash with a fixed bucket count and a cap on entries: beyond the cap new
 * requests are refused (`unavailable`) rather than growing without bound.  Each origin
 * (a worker instance, a control client) may hold at most SUP_PENDING_PER_ORIGIN entries,
 * counted in a second small hash, so one flooding caller cannot starve the others. */
#include <stdlib.h>
#include <string.h>

#include "supervisor/sup.h"

#define BUCKETS 4096
#define MAX_ENTRIES 65536
#define ORIGIN_BUCKETS 256

struct origin_count {
	enum sup_origin_kind kind;
	size_t len;
	char id[sizeof(((struct sup_origin *)0)->identity)];
	size_t n;
	struct origin_count *next;
};

struct sup_pending {
	struct sup_pending_entry *b[BUCKETS];
	struct origin_count *origins[ORIGIN_BUCKETS];
	size_t n;
};

static size_t slot(int64_t id)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 52) % BUCKETS;
}

static size_t origin_slot(enum sup_origin_kind kind, const char *id, size_t len)
{
	uint32_t h = 2166136261u ^ (uint32_t)kind;   /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)id[i]) * 16777619u;
	return h % ORIGIN_BUCKETS;
}

/* The counter of an origin; created when create is set (NULL if out of memory). */
static struct origin_count *origin_get(struct sup_pending *p, enum sup_origin_kind kind,
                                       const char *id, size_t len, int create)
{
	size_t k = origin_slot(kind, id, len);
	for (struct origin_count *c = p->origins[k]; c; c = c->next)
		if (c->kind == kind && c->len == len && memcmp(c->id, id, len) == 0)
			return c;
	if (!create || len > sizeof(((struct origin_count *)0)->id))
		return NULL;
	struct origin_count *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->kind = kind;
	c->len = len;
	memcpy(c->id, id, len);
	c->next = p->origins[k];
	p->origins[k] = c;
	return c;
}

static void origin_release(struct sup_pending *p, const struct sup_origin *o)
{
	size_t k = origin_slot(o->kind, o->identity, o->identity_len);
	for (struct origin_count **cc = &p->origins[k]; *cc; cc = &(*cc)->next) {
		struct origin_count *c = *cc;
		if (c->kind != o->kind || c->len != o->identity_len ||
		    memcmp(c->id, o->identity, c->len) != 0)
			continue;
		if (--c->n == 0) {
			*cc = c->next;
			free(c);
		}
		return;
	}
}

struct sup_pending *sup_pending_new(void)
{
	return calloc(1, sizeof(struct sup_pending));
}

void sup_pending_free(struct sup_pending *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < BUCKETS; i++)
		while (p->b[i]) {
			struct sup_pending_entry *e = p->b[i];
			p->b[i] = e->next;
			free(e);
		}
	for (size_t i = 0; i < ORIGIN_BUCKETS; i++)
		while (p->origins[i]) {
			struct origin_count *c = p->origins[i];
			p->origins[i] = c->next;
			free(c);
		}
	free(p);
}

int sup_pending_add(struct sup_pending *p, const struct sup_pending_entry *e)
{
	if (p->n >= MAX_ENTRIES)
		return -1;
	struct origin_count *oc = origin_get(p, e->origin.kind, e->origin.identity,
	                                     e->origin.identity_len, 1);
	if (!oc)
		return -1;
	if (oc->n >= SUP_PENDING_PER_ORIGIN)
		return -2;
	struct sup_pending_entry *c = malloc(sizeof(*c));
	if (!c) {
		if (oc->n == 0)
			origin_release(p, &e->origin);   /* frees the counter just made */
		return -1;
	}
	oc->n++;
	*c = *e;
	size_t k = slot(e->id);
	c->next = p->b[k];
	p->b[k] = c;
	p->n++;
	return 0;
}

/* Unlink e (found at *pp) and account for it. */
static struct sup_pending_entry *unlink_at(struct sup_pending *p, struct sup_pending_entry **pp)
{
	struct sup_pending_entry *e = *pp;
	*pp = e->next;
	p->n--;
	origin_release(p, &e->origin);
	return e;
}

int sup_pending_take(struct sup_pending *p, int64_t id, struct sup_pending_entry *out)
{
	for (struct sup_pending_entry **pp = &p->b[slot(id)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->id != id)
			continue;
		struct sup_pending_entry *e = unlink_at(p, pp);
		*out = *e;
		free(e);
		return 0;
	}
	return -1;
}

size_t sup_pending_count(const struct sup_pending *p)
{
	return p->n;
}

void sup_pending_sweep(struct sup_pending *p, int64_t now, const char *target,
                       sup_pending_fn fn, struct sup *s, void *arg)
{
	if (!p->n)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct sup_pending_entry **pp = &p->b[i];
		while (*pp) {
			struct sup_pending_entry *e = *pp;
			int match = target ? strcmp(e->target, target) == 0 : e->deadline_mono <= now;
			if (!match) {
				pp = &e->next;
				continue;
			}
			unlink_at(p, pp);
			fn(s, e, arg);
			free(e);
		}
	}
}

size_t sup_pending_drop_origin(struct sup_pending *p, enum sup_origin_kind kind,
                               const char *identity, size_t identity_len)
{
	if (!origin_get(p, kind, identity, identity_len, 0))
		return 0;   /* the common case: nothing from it in flight */
	size_t dropped = 0;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct sup_pending_entry **pp = &p->b[i];
		while (*pp) {
			struct sup_pending_entry *e = *pp;
			if (e->origin.kind != kind || e->origin.identity_len != identity_len ||
			    memcmp(e->origin.identity, identity, identity_len) != 0) {
				pp = &e->next;
				continue;
			}
			free(unlink_at(p, pp));
			dropped++;
		}
	}
	return dropped;
}

void sup_pending_clear(struct sup_pending *p, sup_pending_fn fn, struct sup *s, void *arg)
{
	for (size_t i = 0; i < BUCKETS; i++)
		while (p->b[i]) {
			struct sup_pending_entry *e = unlink_at(p, &p->b[i]);
			if (fn)
				fn(s, e, arg);
			free(e);
		}
}
