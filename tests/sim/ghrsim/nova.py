"""Nova (compute v2.1), shaped after the captures in tests/fixtures/api/openstack/nova-*.json.

Strict where the real one is strict: microversions (406 outside 2.1..2.93, and
the absence of the header means 2.1, where "networks": "none" is refused and
createImage answers without a body), unknown body fields (400), unknown list
query parameters from 2.75 (400), base64 user_data of at most 65535 bytes,
pagination (at most nova_max_limit per page; `servers_links` only when a page is
full, so the last page may be empty).
"""
import base64
import binascii
import hashlib
import re
import time
import uuid
from urllib.parse import urlencode

from . import lifecycle, util
from .faults import nova_error
from .httpd import BadJSON, Response, json_response
from .state import Server

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 93)
VERSION_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")

# Body fields Nova accepts in POST /servers, with the microversion range of each.
CREATE_FIELDS = {
    "name": None, "imageRef": None, "flavorRef": None, "adminPass": None, "metadata": None,
    "networks": None, "OS-DCF:diskConfig": None, "accessIPv4": None, "accessIPv6": None,
    "personality": ((2, 1), (2, 56)), "availability_zone": None, "block_device_mapping": None,
    "block_device_mapping_v2": None, "config_drive": None, "key_name": None, "min_count": None,
    "max_count": None, "return_reservation_id": None, "security_groups": None, "user_data": None,
    "description": ((2, 19), None), "tags": ((2, 52), None), "trusted_image_certificates": ((2, 63), None),
    "host": ((2, 74), None), "hypervisor_hostname": ((2, 74), None), "hostname": ((2, 90), None),
}
# Query parameters of GET /servers[/detail] (from 2.75 anything else is a 400).
LIST_PARAMS = {
    "user_id", "project_id", "tenant_id", "launch_index", "image_ref", "image", "kernel_id", "ramdisk_id",
    "hostname", "key_name", "power_state", "vm_state", "task_state", "host", "node", "flavor",
    "reservation_id", "launched_at", "terminated_at", "availability_zone", "name", "display_name",
    "description", "display_description", "locked_by", "uuid", "root_device_name", "config_drive",
    "access_ip_v4", "access_ip_v6", "auto_disk_config", "progress", "sort_key", "sort_dir", "all_tenants",
    "soft_deleted", "deleted", "status", "changes-since", "changes-before", "ip", "ip6", "created_at",
    "limit", "marker", "tags", "tags-any", "not-tags", "not-tags-any", "locked", "pinned_availability_zone",
}
STATUSES = {"ACTIVE", "BUILD", "SHUTOFF", "ERROR", "DELETED", "PAUSED", "SUSPENDED", "REBOOT",
            "HARD_REBOOT", "RESIZE", "VERIFY_RESIZE", "MIGRATING", "RESCUE", "SHELVED",
            "SHELVED_OFFLOADED", "SOFT_DELETED", "UNKNOWN", "PASSWORD", "REBUILD", "REVERT_RESIZE"}
# nova.api.validation.parameter_types.metadata: keys match this (400 otherwise).
METADATA_KEY_RE = re.compile(r"^[a-zA-Z0-9-_:. ]{1,255}$")
PROGRESS_STATUSES = {"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"}


def vstr(v):
    return "%d.%d" % v


# ---- per-request hooks used by the app --------------------------------------------

def prepare(sim, req):
    """Parse the microversion (OpenStack-API-Version or the legacy header)."""
    raw = None
    h = req.header("OpenStack-API-Version")
    if h:
        for part in h.split(","):
            bits = part.strip().split(None, 1)
            if len(bits) == 2 and bits[0].lower() == "compute":
                raw = bits[1].strip()
    if raw is None:
        raw = req.header("X-OpenStack-Nova-API-Version")
    if raw is None:
        req.ctx["mv"] = MIN_VERSION
        return _check_content_type(req)
    if raw.lower() == "latest":
        req.ctx["mv"] = MAX_VERSION
        return _check_content_type(req)
    m = VERSION_RE.match(raw.strip())
    if not m:
        req.ctx["mv"] = MIN_VERSION
        return nova_error(400, "API Version String %s is of invalid format. Must be of format MajorNum.MinorNum." % raw)
    v = (int(m.group(1)), int(m.group(2)))
    req.ctx["mv"] = v
    if not (MIN_VERSION <= v <= MAX_VERSION):
        req.ctx["mv"] = MIN_VERSION
        return nova_error(406, "Version %s is not supported by the API. Minimum is %s and maximum is %s."
                          % (raw, vstr(MIN_VERSION), vstr(MAX_VERSION)))
    return _check_content_type(req)


CONTENT_TYPES = ("application/json", "application/vnd.openstack.compute+json")


def _check_content_type(req):
    """nova.api.openstack.wsgi Request.get_content_type: a Content-Type header that is
    present, not empty and not text/plain must be one of CONTENT_TYPES, whatever the
    method (parameters such as charset do not matter) -> else 415.  No header is fine."""
    ct = req.header("Content-Type")
    if ct is None:
        return None
    mt = ct.split(";", 1)[0].strip()
    if not mt or mt == "text/plain" or mt in CONTENT_TYPES:
        return None
    return nova_error(415, "Unrecognized Content-Type provided in request")


def decorate(sim, req, resp):
    v = vstr(req.ctx.get("mv", MIN_VERSION))
    resp.headers.append(("OpenStack-API-Version", "compute " + v))
    resp.headers.append(("X-OpenStack-Nova-API-Version", v))
    resp.headers.append(("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version"))
    resp.headers.append(("x-openstack-request-id", "req-" + util.uuid4()))  # noqa


def _region(sim, req):
    return sim.regions[req.region]


def _svc_url(sim, req):
    return sim.base_url + req.ctx["prefix"]


def _links(sim, req, kind, oid):
    base = _svc_url(sim, req)
    return [{"rel": "self", "href": "%s/v2.1/%s/%s" % (base, kind, oid)},
            {"rel": "bookmark", "href": "%s/%s/%s" % (base, kind, oid)}]


def _bad(msg):
    return nova_error(400, msg)


def _invalid(field, value, why):
    return _bad("Invalid input for field/attribute %s. Value: %r. %s" % (field, value, why))


# ---- views ---------------------------------------------------------------------------

def _is_admin(sim, req):
    """Nova's default policy shows OS-EXT-SRV-ATTR:* and host_status to the admin role only."""
    adm = req.ctx.get("is_admin")
    if adm is None:
        tok = req.ctx.get("token") or {}
        user = sim.users.get(tok.get("user_id"), {})
        adm = req.ctx["is_admin"] = "admin" in [r.lower() for r in user.get("roles", [])]
    return adm


def server_view(sim, req, s, single=False):
    mv = req.ctx["mv"]
    admin = _is_admin(sim, req)
    base = _svc_url(sim, req)
    if mv >= (2, 47):
        f = s.flavor
        flavor = {"vcpus": f["vcpus"], "ram": f["ram"], "disk": f["disk"], "ephemeral": f["ephemeral"],
                  "swap": f["swap"], "original_name": f["name"], "extra_specs": dict(f["extra_specs"])}
    else:
        flavor = {"id": s.flavor["id"], "links": [{"rel": "bookmark", "href": "%s/flavors/%s" % (base, s.flavor["id"])}]}
    v = {
        "id": s.id, "name": s.name, "status": s.status, "tenant_id": s.project_id, "user_id": s.user_id,
        "metadata": dict(s.metadata), "hostId": s.host_id,
        "image": {"id": s.image_id, "links": [{"rel": "bookmark", "href": "%s/images/%s" % (base, s.image_id)}]},
        "flavor": flavor, "created": util.iso(s.created), "updated": util.iso(s.updated),
        "addresses": s.addresses, "accessIPv4": "", "accessIPv6": "",
        "links": _links(sim, req, "servers", s.id), "OS-DCF:diskConfig": "MANUAL",
    }
    if s.status in PROGRESS_STATUSES:
        v["progress"] = 0
    launched = util.iso(s.launched_at, frac=True) if s.launched_at else None
    host = "fakehost" if s.launched_at else None
    v.update({
        "OS-EXT-AZ:availability_zone": s.availability_zone if host else "",
        "config_drive": s.config_drive, "key_name": s.key_name,
        "OS-SRV-USG:launched_at": launched, "OS-SRV-USG:terminated_at": None,
    })
    # os_compute_api:os-extended-server-attributes is admin-only by default: a member
    # token sees none of OS-EXT-SRV-ATTR:* -- except the hostname from 2.90 on.
    if admin:
        v.update({"OS-EXT-SRV-ATTR:host": host, "OS-EXT-SRV-ATTR:instance_name": s.instance_name,
                  "OS-EXT-SRV-ATTR:hypervisor_hostname": host})
        if mv >= (2, 3):
            v.update({
                "OS-EXT-SRV-ATTR:reservation_id": s.reservation_id, "OS-EXT-SRV-ATTR:launch_index": 0,
                "OS-EXT-SRV-ATTR:hostname": _hostname(s.name), "OS-EXT-SRV-ATTR:kernel_id": "",
                "OS-EXT-SRV-ATTR:ramdisk_id": "", "OS-EXT-SRV-ATTR:root_device_name": "/dev/sda" if host else None,
                "OS-EXT-SRV-ATTR:user_data": s.user_data,
            })
    elif mv >= (2, 90):
        v["OS-EXT-SRV-ATTR:hostname"] = _hostname(s.name)
    v.update({"OS-EXT-STS:task_state": s.task_state, "OS-EXT-STS:vm_state": s.vm_state,
              "OS-EXT-STS:power_state": s.power_state,
              "os-extended-volumes:volumes_attached": [
                  dict(v) if mv >= (2, 3) else {"id": v["id"]} for v in s.volumes]})
    if not s.image_id:     # booted from a volume: Nova shows "" for the image
        v["image"] = ""
    if s.fault is not None and s.status == "ERROR":
        v["fault"] = dict(s.fault)
    if mv >= (2, 9):
        v["locked"] = False
    if mv >= (2, 73):
        v["locked_reason"] = None
    if mv >= (2, 19):
        v["description"] = s.description
    if mv >= (2, 26):
        v["tags"] = list(s.tags)
    if mv >= (2, 63):
        v["trusted_image_certificates"] = None
    if mv >= (2, 16) and admin:
        v["host_status"] = "UP" if host else ""
    if single and mv >= (2, 71):
        v["server_groups"] = []
    return v


def _hostname(name):
    h = re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-").lower()
    return h[:63] or "server"


def flavor_view(sim, req, f, detail=True):
    mv = req.ctx["mv"]
    v = {"id": f["id"], "name": f["name"]}
    if detail:
        v.update({"ram": f["ram"], "disk": f["disk"], "swap": f["swap"] or (0 if mv >= (2, 75) else ""),
                  "OS-FLV-EXT-DATA:ephemeral": f["ephemeral"], "OS-FLV-DISABLED:disabled": f["disabled"],
                  "vcpus": f["vcpus"], "os-flavor-access:is_public": f["is_public"],
                  "rxtx_factor": f["rxtx_factor"]})
    v["links"] = _links(sim, req, "flavors", f["id"])
    if mv >= (2, 55):
        v["description"] = f["description"]
    if detail and mv >= (2, 61):
        v["extra_specs"] = dict(f["extra_specs"])
    return v


# ---- version discovery ------------------------------------------------------------------

def version_doc(sim, req):
    base = _svc_url(sim, req)
    return {"id": "v2.1", "status": "CURRENT", "version": vstr(MAX_VERSION), "min_version": vstr(MIN_VERSION),
            "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": base + "/v2.1/"},
                      {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.compute+json;version=2.1"}]}


def get_version(sim, req):
    return json_response(200, {"version": version_doc(sim, req)})


def get_versions(sim, req):
    d = version_doc(sim, req)
    d.pop("media-types")
    d["links"] = d["links"][:1]
    return json_response(200, {"versions": [d]})


# ---- servers ------------------------------------------------------------------------------

def _visible(req, s):
    return s.project_id == req.ctx["token"]["project_id"] and _shown(s)


def _shown(s):
    """False while a lost_reply fault with delay_ms keeps a new server out of the API."""
    return not s.visible_at or time.monotonic() >= s.visible_at


def _parse_limit(req, max_limit):
    raw = req.q("limit")
    if raw is None:
        return max_limit, False
    try:
        n = int(raw)
    except ValueError:
        n = -1
    if n < 0:
        return None, _bad("Invalid input for query parameters limit. Value: %s. %r is not a 'positive_integer'"
                          % (raw, raw))
    return min(n, max_limit), True


def list_servers(sim, req, detail=True):
    mv = req.ctx["mv"]
    if mv >= (2, 75):
        for k in req.query:
            if k not in LIST_PARAMS:
                return _bad("Invalid input for query parameters %s. Value: %s. Additional properties are not "
                            "allowed ('%s' was unexpected)" % (k, req.q(k), k))
    max_limit = sim.knobs["nova_max_limit"]
    limit, err = _parse_limit(req, max_limit)
    if limit is None:
        return err
    name_re = None
    raw_name = req.q("name")
    ignore_case = sim.knobs["nova_db"] == "mysql"
    if raw_name is not None:
        # nova.db.main.api._regex_instance_filter: _safe_regex_mysql escapes EVERY '|'
        # (so "a|b" matches the literal text "a|b", never a or b), then the database's
        # REGEXP: MySQL's is case-insensitive (utf8 *_ci collation); SQLite's is Python's
        # re.search, case-sensitive.  A regex the database cannot compile -> 500.
        try:
            name_re = re.compile(raw_name.replace("|", "\\|"), re.IGNORECASE if ignore_case else 0)
        except re.error:
            return nova_error(500, "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ "
                                   "and attach the Nova API log if possible.\n<class 'oslo_db.exception.DBError'>")
    status = req.q("status")
    if status is not None:
        status = status.upper()
        if status not in STATUSES:
            if mv >= (2, 38):
                return _bad("Invalid status value")
            return json_response(200, {"servers": []})
    image = req.q("image")
    flavor = req.q("flavor")
    tags = [t for t in (req.q("tags") or "").split(",") if t]
    marker = req.q("marker")
    reg = _region(sim, req)
    pid = req.ctx["token"]["project_id"]
    out = []
    with sim.lock:
        # Nova's default order: created_at desc, id desc, i.e. newest first (s.seq).
        marker_seq = None
        if marker is not None:
            # Nova looks the marker up with read_deleted='yes': a deleted server still works.
            ms = reg.servers.get(marker)
            marker_seq = ms.seq if ms is not None else reg.gone.get(marker)
            if marker_seq is None:
                return _bad("marker [%s] not found" % marker)
        cands = None
        prefix = _literal_prefix(raw_name) if name_re is not None else None
        if prefix is not None:
            names = reg.names_with_prefix(prefix, ignore_case)
            if len(names) * 4 < len(reg.servers):
                # Few names share the prefix: take them from the sorted index instead of
                # scanning every server (ghr lists by "^<manager>-<pool>-" all the time).
                search = name_re.search
                by_name, servers = reg.by_name, reg.servers
                cands = [servers[i] for n in names if search(n) for i in by_name[n]]
                cands.sort(key=lambda x: x.seq, reverse=True)
                name_re = None            # already applied
        it = cands if cands is not None else reversed(reg.servers.values())
        search = name_re.search if name_re is not None else None
        for s in it:
            if len(out) >= limit:
                break
            if marker_seq is not None and s.seq >= marker_seq:
                continue
            if search is not None and not search(s.name):
                continue
            if s.project_id != pid or not _shown(s):
                continue
            if status is not None and s.status != status:
                continue
            if image is not None and s.image_id != image:
                continue
            if flavor is not None and s.flavor["id"] != flavor:
                continue
            if tags and not all(t in s.tags for t in tags):
                continue
            out.append(server_view(sim, req, s) if detail else
                       {"id": s.id, "name": s.name, "links": _links(sim, req, "servers", s.id)})
    body = {"servers": out}
    if out and len(out) >= limit:
        params = [(k, v) for k, vs in req.query.items() if k != "marker" for v in vs]
        params.append(("marker", out[-1]["id"]))
        path = "/v2.1/servers/detail" if detail else "/v2.1/servers"
        body["servers_links"] = [{"rel": "next", "href": _svc_url(sim, req) + path + "?" + urlencode(params)}]
    return json_response(200, body)


_REGEX_META = set(".^$*+?{}[]\\|()")


def _literal_prefix(pattern):
    """The literal text every match of pattern starts with, if the pattern is
    '^' + literal + (anything); None when unsure (alternation, escapes, flags)."""
    if not pattern.startswith("^") or "|" in pattern:
        return None
    out = []
    for i, ch in enumerate(pattern[1:], 1):
        if ch in _REGEX_META:
            if ch in "*?{" and out:
                out.pop()           # the quantifier makes the previous character optional
            break
        out.append(ch)
    return "".join(out) or None


def list_servers_detail(sim, req):
    return list_servers(sim, req, True)


def list_servers_brief(sim, req):
    return list_servers(sim, req, False)


def _get_server(sim, req, sid):
    s = _region(sim, req).servers.get(sid)
    if s is None or not _visible(req, s):
        return None
    return s


def _not_found(sid):
    return nova_error(404, "Instance %s could not be found." % sid)


def show_server(sim, req):
    sid = req.params[0]
    with sim.lock:
        s = _get_server(sim, req, sid)
        if s is None:
            return _not_found(sid)
        v = server_view(sim, req, s, single=True)
    return json_response(200, {"server": v})


def _check_user_data(ud):
    if not isinstance(ud, str):
        return "%r is not of type 'string'" % (ud,)
    if len(ud) > 65535:
        return "%r is too long" % (ud[:32] + "...",)
    try:
        base64.b64decode(ud, validate=True)
    except (binascii.Error, ValueError):
        return "%r is not a 'base64'" % (ud[:32],)
    return None


def _is_uuid_like(v):
    """oslo_utils.uuidutils.is_uuid_like, what Nova's 'uuid' format checker uses."""
    try:
        return str(uuid.UUID(v)).replace("-", "") == v.lower().replace("urn:", "").replace("uuid:", "") \
            .strip("{}").replace("-", "")
    except (TypeError, ValueError, AttributeError):
        return False


def _resolve_ref(ref):
    if not isinstance(ref, (str, int)) or isinstance(ref, bool) or ref == "":
        return None
    ref = str(ref)
    return ref.rstrip("/").rsplit("/", 1)[-1]


def create_server(sim, req):
    mv = req.ctx["mv"]
    try:
        body = req.json()
    except BadJSON:
        return _bad("Malformed request body")
    if not isinstance(body, dict) or not isinstance(body.get("server"), dict):
        return _invalid("", body, "'server' is a required property")
    for k in body:
        if k not in ("server", "os:scheduler_hints", "OS-SCH-HNT:scheduler_hints"):
            return _invalid("", body, "Additional properties are not allowed ('%s' was unexpected)" % k)
    srv = body["server"]
    for k in srv:
        rng = CREATE_FIELDS.get(k, False)
        if rng is False or (rng is not None and not (rng[0] <= mv and (rng[1] is None or mv <= rng[1]))):
            return _invalid("server", srv, "Additional properties are not allowed ('%s' was unexpected)" % k)
    for req_field in ("name", "flavorRef") + (("networks",) if mv >= (2, 37) else ()):
        if req_field not in srv:
            return _invalid("server", srv, "'%s' is a required property" % req_field)
    name = srv["name"]
    if not isinstance(name, str) or not (1 <= len(name) <= 255) or name != name.strip():
        return _invalid("name", name, "%r does not match '^(?![\\ \\t\\u00a0\\u1680...]).*(?<![\\ \\t])$'" % (name,))
    md = srv.get("metadata", {})
    if not isinstance(md, dict):
        return _invalid("metadata", md, "%r is not of type 'object'" % (md,))
    for k, v in md.items():
        if not METADATA_KEY_RE.match(k):
            return _invalid("metadata", md, "Additional properties are not allowed (%r was unexpected)" % k)
        if not isinstance(v, str):
            return _invalid("metadata/%s" % k, v, "%r is not of type 'string'" % (v,))
        if len(v) > 255:
            return _invalid("metadata/%s" % k, v, "%r is too long" % (v,))
    if len(md) > 128:
        return nova_error(403, "Quota exceeded for metadata_items: Requested %d, but already used 0 of 128 metadata_items" % len(md))
    if "imageRef" in srv:
        # parameter_types.image_id_or_empty_string: a UUID or "" -- never a URL or a name
        # (flavorRef, by contrast, may be an id or a link).
        ref = srv["imageRef"]
        if not (isinstance(ref, str) and (ref == "" or _is_uuid_like(ref))):
            return _invalid("imageRef", ref, "%r is not valid under any of the given schemas" % (ref,))
    ud = srv.get("user_data")
    if ud is not None:
        why = _check_user_data(ud)
        if why:
            return _invalid("user_data", ud if len(str(ud)) < 64 else str(ud)[:64] + "...", why)
    desc = srv.get("description")
    if desc is not None and (not isinstance(desc, str) or len(desc) > 255):
        return _invalid("description", desc, "%r is not valid" % (desc,))
    tags = srv.get("tags", [])
    if not isinstance(tags, list) or len(tags) > 50 or not all(
            isinstance(t, str) and 1 <= len(t) <= 60 and "/" not in t and "," not in t for t in tags):
        return _invalid("tags", tags, "%r is not valid" % (tags,))
    min_c = srv.get("min_count", 1)
    max_c = srv.get("max_count", min_c)
    for fld, val in (("min_count", min_c), ("max_count", max_c)):
        if not util.is_int(val) and not (isinstance(val, str) and val.isdigit()):
            return _invalid(fld, val, "%r is not of type 'integer', 'string'" % (val,))
    min_c, max_c = int(min_c), int(max_c)
    if min_c < 1 or max_c < 1:
        return _invalid("min_count", min_c, "0 is less than the minimum of 1")
    if max_c < min_c:
        return _bad("min_count must be <= max_count")
    az = srv.get("availability_zone")
    if az is not None and (not isinstance(az, str) or not 1 <= len(az) <= 255):
        return _invalid("availability_zone", az, "%r is not valid" % (az,))
    if az is not None and az not in sim.cfg["availability_zones"]:
        return _bad("The requested availability zone is not available")
    key = srv.get("key_name")
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 255):
        return _invalid("key_name", key, "%r is not valid" % (key,))
    if key is not None and key not in sim.cfg["keypairs"]:
        return _bad("Invalid key_name provided.")
    sgs = srv.get("security_groups", [{"name": "default"}])
    if not isinstance(sgs, list) or not all(isinstance(g, dict) and set(g) == {"name"} and
                                            isinstance(g["name"], str) for g in sgs):
        return _invalid("security_groups", sgs, "%r is not valid" % (sgs,))
    known = sim.cfg["security_groups"]
    for g in sgs:
        if not any(g["name"] in (k["name"], k["id"]) for k in known):
            return _bad("Unable to find security_group with name or id '%s'" % g["name"])
    bdm, why = _check_bdm_v2(srv.get("block_device_mapping_v2"))
    if why:
        return why

    with sim.lock:
        reg = _region(sim, req)
        fid = _resolve_ref(srv["flavorRef"])
        flavor = reg.flavors.get(fid) if fid else None   # an id or a link, never a name
        if flavor is None:
            return _bad("Flavor %s could not be found." % srv["flavorRef"] if fid else "Invalid flavorRef provided.")
        image_id = None
        if "imageRef" in srv and srv["imageRef"] == "":
            pass                      # "" = boot from volume: block_device_mapping_v2 needed below
        elif "imageRef" in srv:
            image_id = srv["imageRef"]
            im = reg.images.get(image_id)
            if im is None:
                return _bad("Image %s could not be found." % srv["imageRef"])
            if im.status != "active":
                return _bad("Image %s is not active." % image_id)
            if im.visibility == "private" and im.owner != req.ctx["token"]["project_id"]:
                return _bad("Image %s could not be found." % srv["imageRef"])
        if image_id is None and not bdm:
            return _bad("Block Device Mapping is Invalid: Boot sequence for the instance and image/block "
                        "device mapping combination is not valid.")
        for d in bdm:
            if d.get("source_type") == "image":
                im = reg.images.get(d.get("uuid"))
                if im is None or im.status != "active":
                    return _bad("Block Device Mapping is Invalid: failed to get image %s." % d.get("uuid"))
        nets = srv.get("networks")
        attached = []
        if nets is None or nets == "none":
            if nets == "none" and mv < (2, 37):
                return _invalid("networks", nets, "'none' is not of type 'array'")
        elif nets == "auto":
            if mv < (2, 37):
                return _invalid("networks", nets, "'auto' is not of type 'array'")
            pid = req.ctx["token"]["project_id"]
            cands = [n for n in reg.networks.values() if n["project_id"] == pid or n["shared"]]
            if not cands:
                return _bad("Unable to automatically allocate a network for project %s" % pid)
            attached.append(cands[0])
        elif isinstance(nets, list):
            for n in nets:
                if not isinstance(n, dict) or not set(n) <= {"uuid", "port", "fixed_ip", "tag"}:
                    return _invalid("networks", nets, "%r is not valid under any of the given schemas" % (nets,))
                if "port" in n:
                    return _bad("Port %s could not be found." % n["port"])
                net = reg.networks.get(n.get("uuid"))
                if net is None:
                    return _bad("Network %s could not be found." % n.get("uuid"))
                attached.append(net)
        else:
            return _invalid("networks", nets, "%r is not valid under any of the given schemas" % (nets,))

        pid = req.ctx["token"]["project_id"]
        qf = sim.faults.take(("quota",), "nova", req.method, req.path)
        quota = _quota_check(sim, reg, pid, flavor, max_c, qf)
        if quota is not None:
            return quota
        first = None
        for i in range(max_c):
            nm = name if max_c == 1 else "%s-%d" % (name, i + 1)
            s = _new_server(sim, req, reg, nm, flavor, image_id, md, ud, attached, desc, tags)
            s.key_name = key
            s.availability_zone = az or "nova"
            s.security_groups = [g["name"] for g in sgs]
            s.volumes = [{"id": str(uuid.uuid4()), "delete_on_termination": bool(d.get("delete_on_termination"))}
                         for d in bdm if d.get("destination_type") == "volume"]
            sim.counters.inc("volumes_created", len(s.volumes))
            first = first or s
        view = {"id": first.id, "links": _links(sim, req, "servers", first.id),
                "OS-DCF:diskConfig": "MANUAL", "security_groups": [{"name": g["name"]} for g in sgs],
                "adminPass": util.rand_str(12)}
        if srv.get("return_reservation_id"):
            view = None
            rid = first.reservation_id
    loc = [("Location", view["links"][0]["href"])] if view else []
    if view is None:
        return json_response(202, {"reservation_id": rid})
    return json_response(202, {"server": view}, loc)


BDM_V2_KEYS = {"boot_index", "uuid", "source_type", "destination_type", "volume_size", "delete_on_termination",
               "device_name", "guest_format", "disk_bus", "device_type", "volume_type", "tag", "no_device"}


def _check_bdm_v2(bdm):
    """Nova's block_device_mapping_v2 schema and the checks of its boot-from-volume path:
    ([mapping, ...], None) or (None, the 400 Nova answers)."""
    if bdm is None:
        return [], None
    if not isinstance(bdm, list):
        return None, _invalid("block_device_mapping_v2", bdm, "%r is not of type 'array'" % (bdm,))
    for d in bdm:
        if not isinstance(d, dict):
            return None, _invalid("block_device_mapping_v2", bdm, "%r is not of type 'object'" % (d,))
        extra = sorted(set(d) - BDM_V2_KEYS)
        if extra:
            return None, _invalid("block_device_mapping_v2", bdm, "Additional properties are not allowed "
                                  "(%s was unexpected)" % ", ".join(repr(k) for k in extra))
        if d.get("source_type", "volume") not in ("volume", "image", "snapshot", "blank"):
            return None, _invalid("source_type", d.get("source_type"), "%r is not one of "
                                  "['volume', 'image', 'snapshot', 'blank']" % (d.get("source_type"),))
        if d.get("destination_type", "volume") not in ("local", "volume"):
            return None, _invalid("destination_type", d.get("destination_type"),
                                  "%r is not one of ['local', 'volume']" % (d.get("destination_type"),))
        size = d.get("volume_size")
        if size is not None and not ((util.is_int(size) and size >= 1) or
                                     (isinstance(size, str) and size.isdigit() and int(size) >= 1)):
            return None, _invalid("volume_size", size, "%r is not valid under any of the given schemas" % (size,))
        if "delete_on_termination" in d and not isinstance(d["delete_on_termination"], bool):
            return None, _invalid("delete_on_termination", d["delete_on_termination"],
                                  "%r is not of type 'boolean'" % (d["delete_on_termination"],))
        if d.get("source_type") == "image" and d.get("destination_type") == "volume" and not size:
            return None, _bad("Images with destination_type 'volume' need to have a non-zero size specified")
        if d.get("source_type") in ("image", "volume", "snapshot") and not _is_uuid_like(str(d.get("uuid", ""))):
            return None, _bad("Block Device Mapping is Invalid: Missing device UUID.")
    return bdm, None


def _quota_check(sim, reg, pid, flavor, count, fault):
    used = reg.usage.get(pid, [0, 0, 0])
    want = (("instances", count, used[0], sim.knobs["quota_instances"]),
            ("cores", count * flavor["vcpus"], used[1], sim.knobs["quota_cores"]),
            ("ram", count * flavor["ram"], used[2], sim.knobs["quota_ram_mb"]))
    status = sim.knobs["quota_status"]
    hit = None
    if fault is not None:
        res = fault.params.get("resource", "instances")
        status = fault.params.get("status", status)
        for w in want:
            if w[0] == res:
                hit = (w[0], w[1], w[3] if w[3] >= 0 else w[2], w[3] if w[3] >= 0 else w[2])
    else:
        for res, req_n, used_n, limit in want:
            if limit >= 0 and used_n + req_n > limit:
                hit = (res, req_n, used_n, limit)
                break
    if hit is None:
        return None
    sim.counters.inc("quota_refusals")
    res, req_n, used_n, limit = hit
    msg = "Quota exceeded for %s: Requested %d, but already used %d of %d %s" % (res, req_n, used_n, limit, res)
    if status == 413:
        return json_response(413, {"overLimit": {"code": 413, "message": msg, "retryAfter": "0"}},
                             [("Retry-After", "0")])
    return nova_error(403, msg)


def _new_server(sim, req, reg, name, flavor, image_id, md, ud, nets, desc, tags):
    s = Server()
    now = util.now()
    s.id = util.uuid4()
    s.seq = next(sim.server_seq)
    s.name = name
    s.region = reg.name
    tok = req.ctx["token"] if req is not None else None
    s.project_id = tok["project_id"] if tok else sim.cfg["keystone"]["projects"][0]["id"]
    s.user_id = tok["user_id"] if tok else sim.cfg["keystone"]["users"][0]["id"]
    s.status, s.vm_state, s.task_state, s.power_state = "BUILD", "building", "scheduling", 0
    s.created = s.updated = now
    s.launched_at = None
    s.metadata = dict(md)
    s.image_id = image_id or ""
    s.flavor = flavor
    s.networks = list(nets)
    s.addresses = {}
    s.user_data = ud
    s.key_name = None
    s.instance_name = "instance-%08x" % s.seq
    s.reservation_id = "r-" + util.rand_str(8, "abcdefghijklmnopqrstuvwxyz0123456789")
    s.host_id = ""
    s.description = desc
    s.tags = list(tags)
    s.availability_zone = "nova"
    s.config_drive = ""
    s.security_groups = ["default"]
    s.volumes = []
    reg.add_server(s)
    reg.use(s.project_id, flavor, +1)
    sim.servers_created += 1
    sim.counters.inc("servers_created")
    if req is not None:
        for kind in ("vm_error", "stuck_build", "runner_no_start"):
            f = sim.faults.take((kind,), "nova", req.method, req.path)
            if f is not None:
                s.flags.add(kind)
                if kind == "vm_error":
                    s.fault = {"code": f.params.get("code", 500),
                               "message": f.params.get("message", "No valid host was found. There are not enough hosts available.")}
        lifecycle.schedule_boot(sim, s)
    return s


def seed_server(sim, reg, spec, project_id, user_id):
    """Control API fixture: a server in its final state, no timers."""
    flavor = reg.flavors.get(spec.get("flavor")) or next(iter(reg.flavors.values()))
    image_id = spec.get("image") or next(iter(reg.images.keys()), "")
    s = _new_server(sim, None, reg, spec["name"], flavor, image_id, spec.get("metadata", {}),
                    spec.get("user_data"), [], None, [])
    s.project_id, s.user_id = project_id, user_id
    status = spec.get("status", "ACTIVE")
    now = util.now()
    s.task_state = None
    if status == "ACTIVE":
        s.status, s.vm_state, s.power_state, s.launched_at = "ACTIVE", "active", 1, now
        s.host_id = "485d1ffe7cdfa2739deb27802ab863202be001915b4be6faad318109"
    elif status == "SHUTOFF":
        s.status, s.vm_state, s.power_state, s.launched_at = "SHUTOFF", "stopped", 4, now
    elif status == "ERROR":
        s.status, s.vm_state, s.power_state = "ERROR", "error", 0
        s.fault = {"code": 500, "created": util.iso(now), "message": "No valid host was found. "}
    else:
        s.status, s.vm_state, s.task_state = "BUILD", "building", "spawning"
    return s


def delete_server(sim, req):
    sid = req.params[0]
    with sim.lock:
        reg = _region(sim, req)
        s = _get_server(sim, req, sid)
        if s is None:
            return _not_found(sid)
        failed = not s.deleting and sim.faults.take(("delete_error",), "nova", req.method, req.path)
        if failed:
            # Nova set task_state before the step that failed; nothing deletes it now
            s.task_state = "deleting"
            s.updated = util.now()
            sim.counters.inc("servers_delete_failed")
            status = failed.params.get("status", 500)
            return nova_error(status, "Unexpected API Error. Please report this at "
                              "http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.")
        if s.deleting:
            sim.counters.inc("servers_delete_repeated")     # harmless in Nova too: 204 again
        else:
            s.deleting = True
            s.task_state = "deleting"
            s.updated = util.now()
            sim.counters.inc("servers_deleted")
            d = sim.knobs["delete_ms"]
            if d > 0:
                sim.later(d, remove_server, sim, reg, s.id)
            else:
                remove_server(sim, reg, s.id)
    return Response(204)


def remove_server(sim, reg, sid):
    s = reg.remove_server(sid)
    if s is None:
        return
    reg.use(s.project_id, s.flavor, -1)
    for v in s.volumes:    # a volume kept after its server is a leak to the operator
        sim.counters.inc("volumes_deleted" if v["delete_on_termination"] else "volumes_left_behind")
    lifecycle.server_removed(sim, s)


def server_action(sim, req):
    sid = req.params[0]
    mv = req.ctx["mv"]
    try:
        body = req.json()
    except BadJSON:
        return _bad("Malformed request body")
    if not isinstance(body, dict) or len(body) != 1:
        return _bad("Malformed request body")
    action, arg = next(iter(body.items()))
    with sim.lock:
        reg = _region(sim, req)
        s = _get_server(sim, req, sid)
        if s is None:
            return _not_found(sid)
        if action == "createImage":
            if not isinstance(arg, dict) or not isinstance(arg.get("name"), str) or not arg["name"]:
                return _invalid("createImage", arg, "'name' is a required property")
            if not set(arg) <= {"name", "metadata"}:
                return _invalid("createImage", arg, "Additional properties are not allowed")
            md = arg.get("metadata", {})
            if not isinstance(md, dict) or not all(isinstance(v, str) for v in md.values()):
                return _invalid("createImage/metadata", md, "%r is not valid" % (md,))
            # check_instance_state(vm_state=[ACTIVE, STOPPED, PAUSED, SUSPENDED], task_state=[None]):
            # a snapshot in progress (task_state image_*) -> 409 too.
            if s.vm_state not in ("active", "stopped", "paused", "suspended") or s.deleting or s.task_state:
                return nova_error(409, "Cannot 'createImage' instance %s while it is in %s %s"
                                  % (sid, "task_state" if s.task_state else "vm_state",
                                     s.task_state or s.vm_state))
            fail = sim.faults.take(("snapshot_error",), "nova", req.method, req.path) is not None
            im = _snapshot(sim, reg, s, arg["name"], md, fail)
            loc = [("Location", sim.base_url + req.ctx["prefix"].replace("compute", "image") + "/v2/images/" + im.id)]
            if mv >= (2, 45):
                return json_response(202, {"image_id": im.id})
            return Response(202, b"", loc)
        if action == "os-getConsoleOutput":
            # Nova's schema: {"length": int (-1 = all) or a numeric string, or null}; 200 {"output"}.
            if not isinstance(arg, dict) or not set(arg) <= {"length"}:
                return _invalid("os-getConsoleOutput", arg, "Additional properties are not allowed")
            n = arg.get("length")
            if isinstance(n, str) and re.match(r"^-?[0-9]+$", n):
                n = int(n)
            if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < -1):
                return _invalid("os-getConsoleOutput/length", n, "%r is not valid under any of the given schemas" % (n,))
            if s.vm_state == "building":
                return nova_error(409, "Instance %s has not been created yet." % sid)
            lines = s.console if n in (None, -1) else s.console[-n:] if n else []
            return json_response(200, {"output": "".join(l + "\n" for l in lines)})
        if action == "os-stop":
            if s.vm_state != "active" or s.deleting or s.task_state:
                return nova_error(409, "Cannot 'stop' instance %s while it is in vm_state %s" % (sid, s.vm_state))
            lifecycle.power_off(sim, s.id)
            return Response(202)
        if action == "os-start":
            if s.vm_state != "stopped" or s.deleting:
                return nova_error(409, "Cannot 'start' instance %s while it is in vm_state %s" % (sid, s.vm_state))
            s.status, s.vm_state, s.power_state = "ACTIVE", "active", 1
            s.updated = util.now()
            return Response(202)
        if action == "reboot":
            if not isinstance(arg, dict) or arg.get("type") not in ("SOFT", "HARD"):
                return _invalid("reboot/type", arg, "is not one of ['SOFT', 'HARD', 'soft', 'hard']")
            if s.vm_state not in ("active", "stopped", "error"):
                return nova_error(409, "Cannot 'reboot' instance %s while it is in vm_state %s" % (sid, s.vm_state))
            return Response(202)
    return _bad("There is no such action: %s" % action)


def _snapshot(sim, reg, s, name, md, fail=False):
    props = {
        "owner_specified.openstack.md5": "", "owner_specified.openstack.sha256": "",
        "owner_specified.openstack.object": "images/fake-image",
        "base_image_ref": s.image_id, "owner_user_name": sim.users.get(s.user_id, {}).get("name", ""),
        "owner_project_name": sim.projects.get(s.project_id, {}).get("name", ""),
        "boot_roles": "member,reader", "instance_uuid": s.id, "user_id": s.user_id, "image_type": "snapshot",
    }
    props.update(md)
    im = sim.add_image(reg, {"name": name, "status": "queued", "visibility": "private",
                             "owner": s.project_id, "properties": props, "min_disk": s.flavor["disk"]})
    sim.counters.inc("snapshots_created")
    # The server is busy with the snapshot (task_state image_snapshot, then image_uploading)
    # until the image is active (or the snapshot failed).
    s.task_state = "image_snapshot"
    sim.later(sim.knobs["snapshot_saving_ms"], _snap_state, sim, reg, im.id, "saving", s.id, fail)
    return im


def _snap_state(sim, reg, iid, status, sid=None, fail=False):
    im = reg.images.get(iid)
    s = reg.servers.get(sid) if sid else None
    if im is None:
        if s is not None and s.task_state and s.task_state.startswith("image_"):
            s.task_state = None
        return
    im.status = status
    im.updated_at = util.now()
    if s is not None and not s.deleting:
        s.task_state = "image_uploading" if status == "saving" else None
    if status == "saving":
        sim.later(sim.knobs["snapshot_active_ms"], _snap_state, sim, reg, iid,
                  "killed" if fail else "active", sid, fail)
    elif status == "killed":
        sim.counters.inc("snapshots_failed")
    elif status == "active":
        im.size = im.virtual_size = 2147483648
        im.disk_format, im.container_format = "qcow2", "bare"
        im.checksum = hashlib.md5(iid.encode()).hexdigest()
        im.os_hash_algo = "sha512"
        im.os_hash_value = hashlib.sha512(iid.encode()).hexdigest()


# ---- flavors, limits, quotas -------------------------------------------------------

def list_flavors(sim, req, detail):
    # Paginated like servers: limit (<= nova_max_limit), marker (a flavor id, unknown
    # -> 400), flavors_links "next" whenever a page is full.
    limit, err = _parse_limit(req, sim.knobs["nova_max_limit"])
    if limit is None:
        return err
    marker = req.q("marker")
    with sim.lock:
        fl = [f for f in _region(sim, req).flavors.values() if f["is_public"] and not f["disabled"]]
        if marker is not None:
            ids = [f["id"] for f in fl]
            if marker not in ids:
                return _bad("marker [%s] not found" % marker)
            fl = fl[ids.index(marker) + 1:]
        page = [flavor_view(sim, req, f, detail) for f in fl[:limit]]
    body = {"flavors": page}
    if page and len(page) >= limit:
        params = [(k, v) for k, vs in req.query.items() if k != "marker" for v in vs]
        params.append(("marker", page[-1]["id"]))
        path = "/v2.1/flavors/detail" if detail else "/v2.1/flavors"
        body["flavors_links"] = [{"rel": "next", "href": _svc_url(sim, req) + path + "?" + urlencode(params)}]
    return json_response(200, body)


def list_flavors_detail(sim, req):
    return list_flavors(sim, req, True)


def list_flavors_brief(sim, req):
    return list_flavors(sim, req, False)


def show_flavor(sim, req):
    fid = req.params[0]
    with sim.lock:
        f = _region(sim, req).flavors.get(fid)
        if f is None:
            return nova_error(404, "Flavor %s could not be found." % fid)
        v = flavor_view(sim, req, f, True)
    return json_response(200, {"flavor": v})


def limits(sim, req):
    mv = req.ctx["mv"]
    pid = req.ctx["token"]["project_id"]
    with sim.lock:
        used = _region(sim, req).usage.get(pid, [0, 0, 0])
        k = sim.knobs
        ab = {"maxImageMeta": 128, "maxServerMeta": 128, "maxServerGroupMembers": 10, "maxServerGroups": 10,
              "maxTotalCores": k["quota_cores"], "maxTotalInstances": k["quota_instances"],
              "maxTotalKeypairs": 100, "maxTotalRAMSize": k["quota_ram_mb"],
              "totalCoresUsed": used[1], "totalInstancesUsed": used[0], "totalRAMUsed": used[2],
              "totalServerGroupsUsed": 0}
    if mv < (2, 57):
        ab.update({"maxPersonality": 5, "maxPersonalitySize": 10240})
    if mv < (2, 36):
        ab.update({"maxSecurityGroupRules": 20, "maxSecurityGroups": 10, "maxTotalFloatingIps": 10,
                   "totalFloatingIpsUsed": 0, "totalSecurityGroupsUsed": 0})
    return json_response(200, {"limits": {"absolute": ab, "rate": []}})


def quota_detail(sim, req):
    pid = req.params[0]
    if pid != req.ctx["token"]["project_id"]:
        return nova_error(403, "Policy doesn't allow os_compute_api:os-quota-sets:detail to be performed.")
    with sim.lock:
        used = _region(sim, req).usage.get(pid, [0, 0, 0])
        k = sim.knobs

        def q(limit, in_use):
            return {"in_use": in_use, "limit": limit, "reserved": 0}
        qs = {"id": pid, "cores": q(k["quota_cores"], used[1]), "instances": q(k["quota_instances"], used[0]),
              "ram": q(k["quota_ram_mb"], used[2]), "key_pairs": q(100, 0), "metadata_items": q(128, 0),
              "server_groups": q(10, 0), "server_group_members": q(10, 0)}
    return json_response(200, {"quota_set": qs})


ROUTES = [
    # method, regex on the path below the prefix, handler, route name, needs a token
    ("GET", r"^/?$", get_versions, "/", False),
    ("GET", r"^/v2\.1/?$", get_version, "/v2.1/", False),
    ("GET", r"^/v2\.1/servers/detail/?$", list_servers_detail, "/servers/detail", True),
    ("GET", r"^/v2\.1/servers/?$", list_servers_brief, "/servers", True),
    ("POST", r"^/v2\.1/servers/?$", create_server, "/servers", True),
    ("GET", r"^/v2\.1/servers/([^/]+)/?$", show_server, "/servers/{id}", True),
    ("DELETE", r"^/v2\.1/servers/([^/]+)/?$", delete_server, "/servers/{id}", True),
    ("POST", r"^/v2\.1/servers/([^/]+)/action/?$", server_action, "/servers/{id}/action", True),
    ("GET", r"^/v2\.1/flavors/detail/?$", list_flavors_detail, "/flavors/detail", True),
    ("GET", r"^/v2\.1/flavors/?$", list_flavors_brief, "/flavors", True),
    ("GET", r"^/v2\.1/flavors/([^/]+)/?$", show_flavor, "/flavors/{id}", True),
    ("GET", r"^/v2\.1/limits/?$", limits, "/limits", True),
    ("GET", r"^/v2\.1/os-quota-sets/([^/]+)/detail/?$", quota_detail, "/os-quota-sets/{id}/detail", True),
]
