/* clouds — one entry of clouds.yaml, read with libyaml's document API so that every
 * error can point at a line and column.  See clouds.h for the result's shape. */
#include "common/clouds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

/* Keys of the `auth` mapping that are copied (everything else is ignored). */
static const char *const auth_keys[] = {
	"auth_url", "username", "user_id", "password", "project_name", "project_id",
	"user_domain_name", "user_domain_id", "project_domain_name", "project_domain_id",
	"domain_name", "domain_id", "application_credential_id",
	"application_credential_name", "application_credential_secret", NULL,
};

/* auth_type spellings accepted, and the name they are normalised to. */
static const struct { const char *in, *out; } auth_types[] = {
	{ "password", "password" },
	{ "v3password", "password" },
	{ "v3applicationcredential", "v3applicationcredential" },
	{ "applicationcredential", "v3applicationcredential" },
	{ NULL, NULL },
};

/* What each auth type needs, as rules: when `if_set` is set (or NULL: always) and
 * `unless_set` is not set, one of the keys in `need` ("a|b") must be set. */
struct need_rule {
	const char *auth_type;
	const char *if_set;
	const char *unless_set;
	const char *need;
	const char *why;
};

static const struct need_rule need_rules[] = {
	{ "password", NULL, NULL, "auth_url", "required for auth_type password" },
	{ "password", NULL, NULL, "password", "required for auth_type password" },
	{ "password", NULL, NULL, "username|user_id", "one is required for auth_type password" },
	{ "password", "username", "user_id", "user_domain_name|user_domain_id",
	  "one is required when the user is given by name" },
	{ "password", NULL, NULL, "project_name|project_id",
	  "one is required for auth_type password (ghr needs a project-scoped token)" },
	{ "password", "project_name", "project_id", "project_domain_name|project_domain_id",
	  "one is required when the project is given by name" },
	{ "v3applicationcredential", NULL, NULL, "auth_url", "required for auth_type v3applicationcredential" },
	{ "v3applicationcredential", NULL, NULL, "application_credential_secret",
	  "required for auth_type v3applicationcredential" },
	{ "v3applicationcredential", NULL, NULL, "application_credential_id|application_credential_name",
	  "one is required for auth_type v3applicationcredential" },
	{ "v3applicationcredential", "application_credential_name", "application_credential_id",
	  "user_id|username", "one is required when the application credential is given by name" },
	{ "v3applicationcredential", "username", "user_id", "user_domain_name|user_domain_id",
	  "one is required when the user is given by name" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const char *const interfaces[] = { "public", "internal", "admin", NULL };

struct loader {
	yaml_document_t *doc;
	const char *file;
	const char *cloud;
	char *err;
	size_t errlen;
};

static int fail_at(struct loader *l, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct loader *l, const yaml_node_t *node, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (node)
		snprintf(l->err, l->errlen, "%s:%zu:%zu: %s", l->file,
		         (size_t)node->start_mark.line + 1, (size_t)node->start_mark.column + 1, msg);
	else
		snprintf(l->err, l->errlen, "%s: %s", l->file, msg);
	return -1;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Value node of `key` in a mapping node, or NULL. */
static yaml_node_t *map_get(yaml_document_t *doc, const yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* Comma-separated names of the clouds, for "no such cloud" errors. */
static void cloud_names(yaml_document_t *doc, const yaml_node_t *clouds, char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = '\0';
	for (yaml_node_pair_t *p = clouds->data.mapping.pairs.start; p < clouds->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));
		if (!k)
			continue;
		int n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", k);
		if (n < 0 || (size_t)n >= outlen - used)
			break;
		used += (size_t)n;
	}
}

/* Copy the known keys of `auth` into a JSON object; empty strings count as unset. */
static int read_auth(struct loader *l, const yaml_node_t *auth, json_t *out)
{
	for (yaml_node_pair_t *p = auth->data.mapping.pairs.start; p < auth->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(l->doc, p->key));
		const yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		int known = 0;
		for (int i = 0; k && auth_keys[i]; i++)
			known |= strcmp(k, auth_keys[i]) == 0;
		if (!known)
			continue;
		const char *s = scalar(v);
		if (!s)
			return fail_at(l, v, "clouds.%s.auth.%s: must be a string", l->cloud, k);
		if (*s)
			json_object_set_new(out, k, json_string(s));
	}
	/* domain_name / domain_id stand for both domains when the specific ones are unset
	 * (as openstacksdk reads them). */
	static const char *const fill[][2] = {
		{ "domain_name", "user_domain_name" }, { "domain_name", "project_domain_name" },
		{ "domain_id", "user_domain_id" }, { "domain_id", "project_domain_id" },
	};
	for (size_t i = 0; i < sizeof fill / sizeof fill[0]; i++) {
		json_t *v = json_object_get(out, fill[i][0]);
		if (v && !json_object_get(out, fill[i][1]))
			json_object_set(out, fill[i][1], v);
	}
	json_object_del(out, "domain_name");
	json_object_del(out, "domain_id");
	return 0;
}

static int any_set(const json_t *auth, const char *alternatives)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", alternatives);
	char *save = NULL;
	for (char *k = strtok_r(buf, "|", &save); k; k = strtok_r(NULL, "|", &save))
		if (json_object_get(auth, k))
			return 1;
	return 0;
}

static int check_needs(struct loader *l, const char *auth_type, const json_t *auth,
                       const yaml_node_t *where)
{
	for (const struct need_rule *r = need_rules; r->auth_type; r++) {
		if (strcmp(r->auth_type, auth_type) != 0)
			continue;
		if (r->if_set && !json_object_get(auth, r->if_set))
			continue;
		if (r->unless_set && json_object_get(auth, r->unless_set))
			continue;
		if (any_set(auth, r->need))
			continue;
		char keys[160];
		snprintf(keys, sizeof keys, "%s", r->need);
		for (char *c = keys; *c; c++)
			if (*c == '|')
				*c = '/';
		return fail_at(l, where, "clouds.%s.auth.%s: %s", l->cloud, keys, r->why);
	}
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "True", "TRUE", "Yes", "On", NULL };
	static const char *const no[] = { "false", "no", "off", "False", "FALSE", "No", "Off", NULL };
	for (int i = 0; yes[i]; i++)
		if (strcmp(s, yes[i]) == 0)
			return *out = 1, 0;
	for (int i = 0; no[i]; i++)
		if (strcmp(s, no[i]) == 0)
			return *out = 0, 0;
	return -1;
}

/* The entry-level keys: auth_type, region_name, interface, cacert, verify. */
static int read_entry_options(struct loader *l, const yaml_node_t *entry, json_t *out)
{
	const yaml_node_t *n = map_get(l->doc, entry, "region_name");
	if (n) {
		if (!scalar(n))
			return fail_at(l, n, "clouds.%s.region_name: must be a string", l->cloud);
		if (*scalar(n))
			json_object_set_new(out, "region_name", json_string(scalar(n)));
	}

	const char *iface = "public";
	n = map_get(l->doc, entry, "interface");
	if (n) {
		char buf[32];
		if (!scalar(n))
			return fail_at(l, n, "clouds.%s.interface: must be a string", l->cloud);
		snprintf(buf, sizeof buf, "%s", scalar(n));
		size_t len = strlen(buf);
		if (len > 3 && strcmp(buf + len - 3, "URL") == 0)   /* "publicURL" (v2 spelling) */
			buf[len - 3] = '\0';
		iface = NULL;
		for (int i = 0; interfaces[i]; i++)
			if (strcmp(buf, interfaces[i]) == 0)
				iface = interfaces[i];
		if (!iface)
			return fail_at(l, n, "clouds.%s.interface: must be public, internal or admin, got \"%.40s\"",
			               l->cloud, scalar(n));
	}
	json_object_set_new(out, "interface", json_string(iface));

	n = map_get(l->doc, entry, "cacert");
	if (n) {
		const char *path = scalar(n);
		if (!path || !*path)
			return fail_at(l, n, "clouds.%s.cacert: must be a file path", l->cloud);
		if (access(path, R_OK) != 0)
			return fail_at(l, n, "clouds.%s.cacert: cannot read %s: %s", l->cloud, path, strerror(errno));
		json_object_set_new(out, "cacert", json_string(path));
	}

	int verify = 1;
	n = map_get(l->doc, entry, "verify");
	if (n) {
		if (!scalar(n) || parse_bool(scalar(n), &verify) != 0)
			return fail_at(l, n, "clouds.%s.verify: must be true or false", l->cloud);
		/* TLS verification is always on in ghr (common/http.h): a cloud with a private
		 * CA is reached by naming its bundle, never by turning checks off. */
		if (!verify)
			return fail_at(l, n, "clouds.%s.verify: false is not supported (TLS is always "
			               "verified); set cacert to the cloud's CA bundle instead", l->cloud);
	}
	json_object_set_new(out, "verify", json_boolean(verify));
	return 0;
}

static const char *normalise_auth_type(const char *s)
{
	for (int i = 0; auth_types[i].in; i++)
		if (strcmp(s, auth_types[i].in) == 0)
			return auth_types[i].out;
	return NULL;
}

static json_t *read_cloud(struct loader *l)
{
	yaml_node_t *root = yaml_document_get_root_node(l->doc);
	if (!root || root->type != YAML_MAPPING_NODE)
		return fail_at(l, root, "the file must be a mapping with a \"clouds\" key"), NULL;
	yaml_node_t *clouds = map_get(l->doc, root, "clouds");
	if (!clouds)
		return fail_at(l, root, "clouds: required"), NULL;
	if (clouds->type != YAML_MAPPING_NODE)
		return fail_at(l, clouds, "clouds: must be a mapping of cloud names"), NULL;
	yaml_node_t *entry = map_get(l->doc, clouds, l->cloud);
	if (!entry) {
		char names[256];
		cloud_names(l->doc, clouds, names, sizeof names);
		return fail_at(l, clouds, "clouds.%s: no such cloud (the file has: %s)", l->cloud,
		               names[0] ? names : "none"), NULL;
	}
	if (entry->type != YAML_MAPPING_NODE)
		return fail_at(l, entry, "clouds.%s: must be a mapping", l->cloud), NULL;

	const char *auth_type = "password";   /* openstacksdk's default */
	yaml_node_t *n = map_get(l->doc, entry, "auth_type");
	if (n) {
		const char *s = scalar(n);
		auth_type = s ? normalise_auth_type(s) : NULL;
		if (!auth_type)
			return fail_at(l, n, "clouds.%s.auth_type: must be password or v3applicationcredential, got \"%.40s\"",
			               l->cloud, s ? s : "(not a string)"), NULL;
	}
	yaml_node_t *auth = map_get(l->doc, entry, "auth");
	if (!auth)
		return fail_at(l, entry, "clouds.%s.auth: required", l->cloud), NULL;
	if (auth->type != YAML_MAPPING_NODE)
		return fail_at(l, auth, "clouds.%s.auth: must be a mapping", l->cloud), NULL;

	json_t *out = json_object();
	json_t *auth_out = json_object();
	json_object_set_new(out, "auth_type", json_string(auth_type));
	json_object_set_new(out, "auth", auth_out);
	if (read_auth(l, auth, auth_out) != 0 || check_needs(l, auth_type, auth_out, auth) != 0 ||
	    read_entry_options(l, entry, out) != 0) {
		os_clouds_wipe(out);
		return NULL;
	}
	return out;
}

/* Overwrite every scalar of the document: the password lives in libyaml's copies too. */
static void wipe_document(yaml_document_t *doc)
{
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.value)
			explicit_bzero(n->data.scalar.value, n->data.scalar.length);
}

/* libyaml keeps the input twice more (raw_buffer: the bytes as read; buffer: decoded
 * to UTF-8) and frees both unwiped in yaml_parser_delete; scalars it has scanned but
 * not handed on yet wait in its token queue.  Overwrite all of them first.  Known
 * limit: the scanner's short-lived temporaries are freed inside libyaml unwiped. */
void os_clouds_wipe_parser(yaml_parser_t *p)
{
	if (p->raw_buffer.start && p->raw_buffer.end > p->raw_buffer.start)
		explicit_bzero(p->raw_buffer.start, (size_t)(p->raw_buffer.end - p->raw_buffer.start));
	if (p->buffer.start && p->buffer.end > p->buffer.start)
		explicit_bzero(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
	for (yaml_token_t *t = p->tokens.head; t && t < p->tokens.tail; t++)
		if (t->type == YAML_SCALAR_TOKEN && t->data.scalar.value)
			explicit_bzero(t->data.scalar.value, t->data.scalar.length);
}

json_t *os_clouds_load_string(const char *text, size_t len, const char *name,
                              const char *cloud, char *err, size_t errlen)
{
	struct loader l = { NULL, name, cloud, err, errlen };
	if (!cloud || !*cloud)
		return fail_at(&l, NULL, "openstack.cloud: required (the entry of clouds.yaml to use)"), NULL;

	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser))
		return fail_at(&l, NULL, "out of memory"), NULL;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: YAML syntax error: %s", name,
		         (size_t)parser.problem_mark.line + 1, (size_t)parser.problem_mark.column + 1,
		         parser.problem ? parser.problem : "unknown");
		os_clouds_wipe_parser(&parser);
		yaml_parser_delete(&parser);
		return NULL;
	}
	l.doc = &doc;
	json_t *out = NULL;
	if (!yaml_document_get_root_node(&doc))
		fail_at(&l, NULL, "the file is empty");
	else
		out = read_cloud(&l);
	wipe_document(&doc);
	yaml_document_delete(&doc);
	os_clouds_wipe_parser(&parser);
	yaml_parser_delete(&parser);
	return out;
}

/* The standard places, in openstacksdk's order; the first readable one wins. */
static int find_clouds_yaml(char *out, size_t outlen)
{
	char cand[4][512];
	int n = 0;
	const char *env = getenv("OS_CLIENT_CONFIG_FILE");
	if (env && *env)
		snprintf(cand[n++], sizeof cand[0], "%s", env);
	snprintf(cand[n++], sizeof cand[0], "clouds.yaml");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(cand[n++], sizeof cand[0], "%s/openstack/clouds.yaml", xdg);
	else if (home && *home)
		snprintf(cand[n++], sizeof cand[0], "%s/.config/openstack/clouds.yaml", home);
	snprintf(cand[n++], sizeof cand[0], "/etc/openstack/clouds.yaml");
	for (int i = 0; i < n; i++)
		if (access(cand[i], R_OK) == 0)
			return strlen(cand[i]) < outlen ? (memcpy(out, cand[i], strlen(cand[i]) + 1), 0) : -1;
	return -1;
}

/* Read at most OS_CLOUDS_MAX_BYTES; the caller wipes and frees.  read(2) straight into
 * our buffer: stdio would keep a copy of the file (password included) in its own
 * buffer and free it unwiped. */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot read (openstack.clouds_yaml): %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(OS_CLOUDS_MAX_BYTES + 1);
	size_t n = 0;
	int bad = !buf;
	while (buf && n <= OS_CLOUDS_MAX_BYTES) {
		ssize_t got = read(fd, buf + n, OS_CLOUDS_MAX_BYTES + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			bad = 1;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (bad || n > OS_CLOUDS_MAX_BYTES) {
		snprintf(err, errlen, "%s: %s (openstack.clouds_yaml)", path,
		         !buf ? "out of memory" : n > OS_CLOUDS_MAX_BYTES ? "larger than 1 MiB" : "read error");
		if (buf)
			explicit_bzero(buf, n);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

json_t *os_clouds_load(const char *clouds_yaml_path, const char *cloud, char *err, size_t errlen)
{
	char found[512];
	if (!clouds_yaml_path || !*clouds_yaml_path) {
		if (find_clouds_yaml(found, sizeof found) != 0) {
			snprintf(err, errlen, "openstack.clouds_yaml: unset, and no clouds.yaml in "
			         "$OS_CLIENT_CONFIG_FILE, ., ~/.config/openstack or /etc/openstack");
			return NULL;
		}
		clouds_yaml_path = found;
	}
	size_t len = 0;
	char *text = slurp(clouds_yaml_path, &len, err, errlen);
	if (!text)
		return NULL;
	json_t *out = os_clouds_load_string(text, len, clouds_yaml_path, cloud, err, errlen);
	explicit_bzero(text, len);
	free(text);
	return out;
}

static void wipe_string(json_t *s)
{
	if (json_is_string(s)) {
		/* jansson keeps the text in place; overwrite it through a const cast, the one
		 * way to reach that copy. */
		char *p = (char *)json_string_value(s);
		explicit_bzero(p, json_string_length(s));
	}
}

void os_clouds_wipe(json_t *entry)
{
	if (!entry)
		return;
	json_t *auth = json_object_get(entry, "auth");
	wipe_string(json_object_get(auth, "password"));
	wipe_string(json_object_get(auth, "application_credential_secret"));
	json_decref(entry);
}
