/* os_parse_res — servers, images, flavors, limits and id-by-name lookups out of the
 * Nova, Glance and Neutron reply shapes.  Pure; a malformed item is skipped or the
 * page refused, never trusted. */
#include "workers/openstack/os_parse.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"

static json_t *str_or(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? json_string(s) : dflt ? json_string(dflt) : json_null();
}

/* Only string values survive: metadata is a string→string map by contract. */
static json_t *string_map(const json_t *obj)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;
	if (json_is_object(obj))
		json_object_foreach((json_t *)obj, k, v)
			if (json_is_string(v))
				json_object_set(out, k, v);
	return out;
}

static json_t *fault_of(const json_t *server)
{
	const json_t *f = json_object_get(server, "fault");
	if (!json_is_object(f))
		return json_null();
	json_int_t code = json_is_integer(json_object_get(f, "code")) ?
		json_integer_value(json_object_get(f, "code")) : 0;
	return json_pack("{sIso}", "code", code, "message", str_or(f, "message", ""));
}

/* flavor: original_name (2.47+), else the id (older microversions). */
static json_t *flavor_of(const json_t *server)
{
	const json_t *f = json_object_get(server, "flavor");
	const char *s = json_string_value(json_object_get(f, "original_name"));
	if (!s)
		s = json_string_value(json_object_get(f, "id"));
	return json_string(s ? s : "");
}

json_t *os_server_normalise(const json_t *server)
{
	const char *id = json_string_value(json_object_get(server, "id"));
	const char *name = json_string_value(json_object_get(server, "name"));
	const char *status = json_string_value(json_object_get(server, "status"));
	if (!id || !*id || !name || !status)
		return NULL;
	const json_t *addr = json_object_get(server, "addresses");
	/* image is {"id":…} or "" for a server booted from a volume */
	const char *image_id = json_string_value(json_object_get(json_object_get(server, "image"), "id"));
	return json_pack("{ss ss ss so so so so ss so so}",
	                 "id", id, "name", name, "status", status,
	                 "created", str_or(server, "created", ""),
	                 "metadata", string_map(json_object_get(server, "metadata")),
	                 "addresses", json_is_object(addr) ? json_incref((json_t *)addr) : json_object(),
	                 "fault", fault_of(server),
	                 "image_id", image_id ? image_id : "",
	                 "flavor", flavor_of(server),
	                 "task_state", str_or(server, "OS-EXT-STS:task_state", NULL));
}

static int has_next_link(const json_t *links)
{
	size_t i;
	const json_t *l;
	json_array_foreach(links, i, l) {
		const char *rel = json_string_value(json_object_get(l, "rel"));
		if (rel && strcmp(rel, "next") == 0 && json_is_string(json_object_get(l, "href")))
			return 1;
	}
	return 0;
}

int os_parse_servers_page(const json_t *reply, const char *manager, json_t *out,
                          int *next, char *last_id, size_t idlen, char *err, size_t errlen)
{
	const json_t *servers = json_object_get(reply, "servers");
	if (!json_is_array(servers)) {
		snprintf(err, errlen, "servers reply without a servers list");
		return -1;
	}
	*next = has_next_link(json_object_get(reply, "servers_links"));
	last_id[0] = '\0';
	size_t i;
	const json_t *s;
	json_array_foreach(servers, i, s) {
		json_t *n = os_server_normalise(s);
		if (!n) {
			/* Dropping it would make the list partial, and a caller believing it has
			 * every server takes the missing ones for gone.  From 2.69 Nova answers a
			 * server of a cell it cannot reach as a bare record: id, status UNKNOWN. */
			const char *id = json_string_value(json_object_get(s, "id"));
			const char *st = json_string_value(json_object_get(s, "status"));
			if (id && st && strcmp(st, "UNKNOWN") == 0)
				snprintf(err, errlen, "server %.60s is in a cell Nova cannot reach now (status UNKNOWN, "
				         "no name): the list would be partial", id);
			else
				snprintf(err, errlen, "server #%zu of the page has no id, name or status: the list "
				         "would be partial", i + 1);
			return -2;
		}
		strlcpy_chk(last_id, json_string_value(json_object_get(n, "id")), idlen);
		const char *owner = json_string_value(json_object_get(json_object_get(n, "metadata"), "ghr-manager"));
		if (!manager || (owner && strcmp(owner, manager) == 0))
			json_array_append_new(out, n);
		else
			json_decref(n);
	}
	return (int)json_array_size(servers);
}

enum os_page_step os_servers_next_step(int next, int n, const char *last, const char *marker,
                                       int pages, int max_pages, char *err, size_t errlen)
{
	if (!next || n <= 0)
		return OS_PAGE_LAST;
	if (!last[0]) {
		snprintf(err, errlen, "a page of %d servers without a last id to go on from", n);
		return OS_PAGE_BROKEN;
	}
	if (strcmp(last, marker) == 0) {
		snprintf(err, errlen, "the page after marker %.60s ends with that same server", marker);
		return OS_PAGE_BROKEN;
	}
	if (pages >= max_pages) {
		snprintf(err, errlen, "still more servers after %d pages", pages);
		return OS_PAGE_BROKEN;
	}
	return OS_PAGE_MORE;
}

/* Glance's own keys; everything else of string value is the image's property. */
static const char *const glance_core_keys[] = {
	"id", "name", "status", "created_at", "updated_at", "tags", "visibility", "size",
	"virtual_size", "checksum", "protected", "min_ram", "min_disk", "owner", "os_hidden",
	"os_hash_algo", "os_hash_value", "disk_format", "container_format", "self", "file",
	"schema", "stores", "locations", "direct_url", NULL,
};

static int is_core_key(const char *k)
{
	for (int i = 0; glance_core_keys[i]; i++)
		if (strcmp(k, glance_core_keys[i]) == 0)
			return 1;
	return 0;
}

json_t *os_image_normalise(const json_t *image)
{
	const char *id = json_string_value(json_object_get(image, "id"));
	if (!id || !*id)
		return NULL;
	json_t *tags = json_array();
	size_t i;
	const json_t *t;
	json_array_foreach(json_object_get(image, "tags"), i, t)
		if (json_is_string(t))
			json_array_append(tags, (json_t *)t);
	json_t *props = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)image, k, v)
		if (json_is_string(v) && !is_core_key(k))
			json_object_set(props, k, v);
	json_t *out = json_pack("{ss so so so so so ss so}", "id", id,
	                 "name", str_or(image, "name", ""), "status", str_or(image, "status", ""),
	                 "created", str_or(image, "created_at", ""), "updated", str_or(image, "updated_at", ""),
	                 "tags", tags, "visibility", json_string_value(json_object_get(image, "visibility")) ?
	                 json_string_value(json_object_get(image, "visibility")) : "",
	                 "properties", props);
	/* the data's checksum: "<os_hash_algo>:<os_hash_value>" (multihash), else Glance's md5 */
	const char *algo = json_string_value(json_object_get(image, "os_hash_algo"));
	const char *hash = json_string_value(json_object_get(image, "os_hash_value"));
	const char *md5 = json_string_value(json_object_get(image, "checksum"));
	json_t *sum = algo && hash ? json_sprintf("%s:%s", algo, hash)
	            : md5 ? json_sprintf("md5:%s", md5) : json_string("");
	if (out && sum)
		json_object_set_new(out, "checksum", sum);
	else
		json_decref(sum);
	return out;
}

int os_parse_images_page(const json_t *reply, json_t *out, char *next, size_t nextlen,
                         char *err, size_t errlen)
{
	const json_t *images = json_object_get(reply, "images");
	if (!json_is_array(images)) {
		snprintf(err, errlen, "images reply without an images list");
		return -1;
	}
	const char *n = json_string_value(json_object_get(reply, "next"));
	next[0] = '\0';
	if (n && strlcpy_chk(next, n, nextlen) != 0) {
		snprintf(err, errlen, "images reply: next link too long");
		return -1;
	}
	size_t i;
	const json_t *img;
	json_array_foreach(images, i, img) {
		json_t *norm = os_image_normalise(img);
		if (norm)
			json_array_append_new(out, norm);
	}
	return (int)json_array_size(images);
}

json_t *os_parse_flavors(const json_t *reply, char *err, size_t errlen)
{
	const json_t *flavors = json_object_get(reply, "flavors");
	if (!json_is_array(flavors)) {
		snprintf(err, errlen, "flavors reply without a flavors list");
		return NULL;
	}
	json_t *out = json_array();
	size_t i;
	const json_t *f;
	json_array_foreach(flavors, i, f) {
		const char *id = json_string_value(json_object_get(f, "id"));
		const char *name = json_string_value(json_object_get(f, "name"));
		if (!id || !name)
			continue;
		json_array_append_new(out, json_pack("{ss ss sI sI sI}", "id", id, "name", name,
		        "vcpus", json_integer_value(json_object_get(f, "vcpus")),
		        "ram", json_integer_value(json_object_get(f, "ram")),
		        "disk", json_integer_value(json_object_get(f, "disk"))));
	}
	return out;
}

/* bus key → Nova's absolute limit and usage keys */
static const struct { const char *key, *max, *used; } limit_keys[] = {
	{ "instances", "maxTotalInstances", "totalInstancesUsed" },
	{ "cores", "maxTotalCores", "totalCoresUsed" },
	{ "ram_mb", "maxTotalRAMSize", "totalRAMUsed" },
	{ NULL, NULL, NULL },
};

json_t *os_parse_limits(const json_t *reply, char *err, size_t errlen)
{
	const json_t *abs = json_object_get(json_object_get(reply, "limits"), "absolute");
	if (!json_is_object(abs)) {
		snprintf(err, errlen, "limits reply without limits.absolute");
		return NULL;
	}
	json_t *out = json_object();
	for (int i = 0; limit_keys[i].key; i++) {
		const json_t *max = json_object_get(abs, limit_keys[i].max);
		const json_t *used = json_object_get(abs, limit_keys[i].used);
		if (!json_is_integer(max) || json_integer_value(max) < 0)
			continue;   /* unlimited or not said */
		json_int_t left = json_integer_value(max) -
			(json_is_integer(used) ? json_integer_value(used) : 0);
		json_object_set_new(out, limit_keys[i].key, json_integer(left > 0 ? left : 0));
	}
	return out;
}

int os_find_id_by_name(const json_t *reply, const char *list_key, const char *name,
                       char *id, size_t idlen, int *missing, char *err, size_t errlen)
{
	const json_t *items = json_object_get(reply, list_key);
	*missing = 0;
	if (!json_is_array(items)) {
		snprintf(err, errlen, "reply without a %s list", list_key);
		return -1;
	}
	const char *found = NULL;
	int matches = 0;
	size_t i;
	const json_t *it;
	json_array_foreach(items, i, it) {
		const char *iid = json_string_value(json_object_get(it, "id"));
		const char *iname = json_string_value(json_object_get(it, "name"));
		if (!iid)
			continue;
		if (strcmp(iid, name) == 0) {   /* an id always wins over names */
			found = iid;
			matches = 1;
			break;
		}
		if (iname && strcmp(iname, name) == 0) {
			if (!found)
				found = iid;
			matches++;
		}
	}
	if (!found) {
		*missing = 1;
		snprintf(err, errlen, "no %.20s named \"%.80s\"", list_key, name);
		return -1;
	}
	if (matches > 1) {
		snprintf(err, errlen, "%d %.20s are named \"%.80s\"; give the id", matches, list_key, name);
		return -1;
	}
	return strlcpy_chk(id, found, idlen) == 0 ? 0 :
		(snprintf(err, errlen, "%.20s id too long", list_key), -1);
}
