/* Requests ghrd forwarded and whose reply it still waits for, by ghrd's own id.
 * A chained hash with a fixed bucket count and a cap on entries: beyond the cap new
 * requests are refused (`unavailable`) rather than growing without bound. */
#include <stdlib.h>
#include <string.h>

#include "supervisor/sup.h"

#define BUCKETS 4096
#define MAX_ENTRIES 65536

struct sup_pending {
	struct sup_pending_entry *b[BUCKETS];
	size_t n;
};

static size_t slot(int64_t id)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 52) % BUCKETS;
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
	free(p);
}

int sup_pending_add(struct sup_pending *p, const struct sup_pending_entry *e)
{
	if (p->n >= MAX_ENTRIES)
		return -1;
	struct sup_pending_entry *c = malloc(sizeof(*c));
	if (!c)
		return -1;
	*c = *e;
	size_t k = slot(e->id);
	c->next = p->b[k];
	p->b[k] = c;
	p->n++;
	return 0;
}

int sup_pending_take(struct sup_pending *p, int64_t id, struct sup_pending_entry *out)
{
	for (struct sup_pending_entry **pp = &p->b[slot(id)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->id != id)
			continue;
		struct sup_pending_entry *e = *pp;
		*pp = e->next;
		*out = *e;
		free(e);
		p->n--;
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
			*pp = e->next;
			p->n--;
			fn(s, e, arg);
			free(e);
		}
	}
}
