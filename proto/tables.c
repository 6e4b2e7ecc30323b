/* proto tables: kind names, error codes (errors.def) and the method catalogue
 * (methods.def).  The .def files are the one place these facts live; everything here
 * is a lookup over them. */
#include <string.h>
#include "proto/proto.h"

static const char *const kind_names[PROTO_KIND_COUNT] = {
	[PROTO_HELLO] = "hello", [PROTO_READY] = "ready", [PROTO_HB] = "hb",
	[PROTO_REQ] = "req", [PROTO_REP] = "rep", [PROTO_EVT] = "evt", [PROTO_BYE] = "bye",
};

static const char *const error_names[PROTO_ERROR_COUNT] = {
	[PROTO_OK] = "ok",
#define PROTO_ERROR(sym, wire, doc) [PROTO_E_##sym] = wire,
#include "proto/errors.def"
#undef PROTO_ERROR
};

static const char *const error_docs[PROTO_ERROR_COUNT] = {
	[PROTO_OK] = "success",
#define PROTO_ERROR(sym, wire, doc) [PROTO_E_##sym] = doc,
#include "proto/errors.def"
#undef PROTO_ERROR
};

static const struct proto_method methods[] = {
#define PROTO_METHOD(name, server, callers, req, rep, doc) { name, server, callers, req, rep, doc },
#include "proto/methods.def"
#undef PROTO_METHOD
};

const char *proto_kind_name(enum proto_kind k)
{
	if ((unsigned)k >= PROTO_KIND_COUNT)
		return "?";
	return kind_names[k];
}

int proto_kind_parse(const char *name, enum proto_kind *out)
{
	for (int k = 0; k < PROTO_KIND_COUNT; k++) {
		if (strcmp(kind_names[k], name) == 0) {
			*out = (enum proto_kind)k;
			return 0;
		}
	}
	return -1;
}

const char *proto_error_name(enum proto_error e)
{
	if ((unsigned)e >= PROTO_ERROR_COUNT)
		return "internal";
	return error_names[e];
}

const char *proto_error_doc(enum proto_error e)
{
	if ((unsigned)e >= PROTO_ERROR_COUNT)
		return "?";
	return error_docs[e];
}

/* "ok" is not a wire error code: a reply with ok=false must carry a real one. */
int proto_error_parse(const char *wire, enum proto_error *out)
{
	for (int e = 1; e < PROTO_ERROR_COUNT; e++) {
		if (strcmp(error_names[e], wire) == 0) {
			*out = (enum proto_error)e;
			return 0;
		}
	}
	return -1;
}

const struct proto_method *proto_methods(size_t *count)
{
	*count = sizeof(methods) / sizeof(methods[0]);
	return methods;
}

/* Linear scan: the catalogue has a few dozen entries, and a strcmp that fails on the
 * first bytes is cheaper than keeping a sorted copy in sync. */
const struct proto_method *proto_method_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

int proto_caller_may(const struct proto_method *m, unsigned caller_bits)
{
	if (!m)
		return 0;
	if (caller_bits & C_ADMIN)
		caller_bits |= C_READ;
	return (m->callers & caller_bits) != 0;
}
