/* jobstore internals shared by its files (not for callers). */
#ifndef GHR_JOBSTORE_INT_H
#define GHR_JOBSTORE_INT_H

#include <mongoc/mongoc.h>
#include <jansson.h>

struct js {
	mongoc_client_t *client;    /* used by one thread only */
	char db[64];
};

void js_set_err(char *err, size_t errlen, const char *what, const bson_error_t *e);
bson_t *js_bson(const json_t *j, char *err, size_t errlen);
json_t *js_json(const bson_t *b);
mongoc_collection_t *js_coll(struct js *js, const char *name);
int js_insert(struct js *js, const char *coll, const json_t *doc, char *err, size_t errlen);
json_t *js_find_raw(struct js *js, const char *coll, const bson_t *filter, const bson_t *opts,
                    char *err, size_t errlen);
int js_update_one(struct js *js, const char *coll, const bson_t *filter, const bson_t *update,
                  char *err, size_t errlen);
/* The number of documents matched, -1 on error. */
int64_t js_update_many(struct js *js, const char *coll, const bson_t *filter, const bson_t *update,
                       char *err, size_t errlen);
int64_t js_delete(struct js *js, const char *db, const char *coll, const bson_t *filter, int many,
                  char *err, size_t errlen);

/* delete_many with a JSON filter: the count deleted, or -1. */
int64_t js_delete_json(struct js *js, const char *coll, const json_t *filter, char *err, size_t errlen);

#endif
