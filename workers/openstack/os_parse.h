/* os_parse — pure functions over the OpenStack API shapes (tests/fixtures/api/openstack):
 * no I/O, no globals, so each one is unit-tested with the captured samples and fuzzed
 * with garbage.  Every parser treats its input as hostile: a wrong type is an error or
 * a skipped item, never a crash. */
#ifndef GHR_OS_PARSE_H
#define GHR_OS_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "proto/proto.h"

/* ---- Keystone ------------------------------------------------------------------ */

/* POST /v3/auth/tokens body for a clouds entry (see common/clouds.h).  Returns a new
 * object (it holds the password: wipe with os_json_wipe_secrets), or NULL with err. */
json_t *os_auth_body(const json_t *entry, char *err, size_t errlen);

/* Token reply: expires_at and issued_at as epoch ms (issued may be -1 when absent). */
int os_parse_token(const json_t *reply, int64_t *expires_ms, int64_t *issued_ms,
                   char *err, size_t errlen);

/* URL of the first endpoint of `type` with `interface` in `region` (NULL: any region)
 * in the token reply's catalog.  Trailing slashes are removed. */
int os_catalog_pick(const json_t *reply, const char *type, const char *interface,
                    const char *region, char *url, size_t urllen, char *err, size_t errlen);

/* When to renew a token: 5 minutes before it expires, or at 80% of its life for tokens
 * shorter than 10 minutes (so a short-lived token is not renewed on every call).  The
 * life starts at issued_ms, or at received_ms (when it arrived) when issued_ms is -1. */
int64_t os_token_renew_at(int64_t issued_ms, int64_t expires_ms, int64_t received_ms);

/* From the catalog's compute URL: the base for requests (a legacy ".../v2/<project>"
 * becomes ".../v2.1/<project>": /v2 knows no microversions) and the version document's
 * URL (".../v2.1/", without the project suffix).  -1 when a result does not fit. */
int os_compute_urls(const char *url, char *base, size_t baselen, char *version_url, size_t vlen);

/* ---- Nova microversions ---------------------------------------------------------- */

/* GET /v2.1/ version document → "2.1" / "2.93" (also accepts a {"versions":[…]} list). */
int os_parse_version(const json_t *reply, char *min, char *max, size_t len,
                     char *err, size_t errlen);
/* Highest version in [min, max] that is <= cap, into out; -1 when none. */
int os_microversion_pick(const char *min, const char *max, const char *cap, char *out, size_t len);
/* Compare "2.10" and "2.9" as versions (<0, 0, >0); a malformed version sorts first. */
int os_microversion_cmp(const char *a, const char *b);

/* ---- Nova servers ------------------------------------------------------------------ */

/* A server object → {id,name,status,created,metadata,addresses,fault,image_id,flavor,
 * task_state}.  NULL when it lacks an id, name or status. */
json_t *os_server_normalise(const json_t *server);

/* A /servers/detail page: append normalised servers whose metadata `ghr-manager`
 * equals manager (NULL: every server) to out.  *next is set when servers_links has a
 * "next" link; *last_id (size idlen) receives the last id of the page (the marker).
 * Returns the number of servers on the page (kept or not), -1 with err when the reply
 * is not a page, or -2 with err when a server on it cannot be read (an unreachable
 * cell's bare record, a server without id/name/status): the list would be partial. */
int os_parse_servers_page(const json_t *reply, const char *manager, json_t *out,
                          int *next, char *last_id, size_t idlen, char *err, size_t errlen);

/* After a page of n servers (next: it had a next link; last: its last id; marker: the
 * marker it was asked with; pages: pages so far): go on, stop (the list is whole), or
 * fail (err says why) — a list that stops early must never pass for a whole one.  A
 * next link on an empty page ends the list: there is no marker to go on with. */
enum os_page_step { OS_PAGE_LAST, OS_PAGE_MORE, OS_PAGE_BROKEN };
enum os_page_step os_servers_next_step(int next, int n, const char *last, const char *marker,
                                       int pages, int max_pages, char *err, size_t errlen);

/* ---- Glance, flavors, limits, networks ---------------------------------------------- */

/* An image → {id,name,status,created,updated,tags,visibility,properties}; properties
 * holds the image's own string-valued keys (not Glance's core ones).  NULL when no id. */
json_t *os_image_normalise(const json_t *image);
/* A /v2/images page; *next receives the "next" path ("" when none). */
int os_parse_images_page(const json_t *reply, json_t *out, char *next, size_t nextlen,
                         char *err, size_t errlen);
/* /flavors/detail → [{id,name,vcpus,ram,disk}] */
json_t *os_parse_flavors(const json_t *reply, char *err, size_t errlen);
/* /limits → {instances, cores, ram_mb}: how many more fit; a key is absent when the
 * cloud reports no limit (-1) or does not say. */
json_t *os_parse_limits(const json_t *reply, char *err, size_t errlen);
/* id of the one item named `name` in a list reply ({"networks":[…]}, {"flavors":[…]},
 * {"images":[…]}); an item whose id equals name also matches.  Returns 0, or -1 with
 * err: none (sets *missing) or several (ambiguous). */
int os_find_id_by_name(const json_t *reply, const char *list_key, const char *name,
                       char *id, size_t idlen, int *missing, char *err, size_t errlen);

/* ---- errors ------------------------------------------------------------------------ */

/* The human message of an error body from any service: Nova {"itemNotFound":
 * {"message"}}, Keystone {"error":{"message"}}, Neutron {"NeutronError":{"message"}},
 * Glance's text/HTML, or the start of the text.  Always fills msg (maybe "HTTP 503"). */
void os_error_message(long status, const char *content_type, const char *body, size_t len,
                      char *msg, size_t msglen);
/* Map an HTTP error status (and its message) to a bus error code: one table, with
 * quota/capacity refusals (403/413 naming a quota or limit) → unavailable. */
enum proto_error os_status_to_error(long status, const char *message);

/* ---- small helpers ---------------------------------------------------------------- */

/* Percent-encode for a URL path segment or query value (RFC 3986 unreserved kept). */
int os_urlenc(const char *s, char *out, size_t outlen);
/* Escape the regex metacharacters Nova's name filter would interpret. */
int os_regex_escape(const char *s, char *out, size_t outlen);
/* Overwrite every string under keys named password/secret in a JSON tree. */
void os_json_wipe_secrets(json_t *j);

#endif
