"""Glance v2 images, shaped after tests/fixtures/api/openstack/glance-*.json.

Traps kept from the real one: `first`/`next` links are RELATIVE to the image
endpoint ("/v2/images?marker=..."; the client must prepend the catalog URL),
`next` appears whenever a page is full (the last page may be empty), errors are
HTML pages rather than JSON, and hidden images (os_hidden) are not listed.
"""
import hashlib
from urllib.parse import unquote, urlencode

from . import util
from .faults import glance_error
from .httpd import BadJSON, Response, json_response

SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "id", "created_at",
             "updated_at", "visibility", "owner", "min_disk", "min_ram", "virtual_size", "os_hidden")
CORE = ("name", "status", "visibility", "owner", "tags", "created_at", "updated_at", "size", "virtual_size",
        "disk_format", "container_format", "checksum", "os_hash_algo", "os_hash_value", "min_disk",
        "min_ram", "protected", "os_hidden", "id", "member_status", "sort", "sort_key", "sort_dir",
        "limit", "marker", "tag")


def image_view(im):
    v = dict(im.properties)     # custom properties come first, as in the captures
    v.update({
        "name": im.name, "disk_format": im.disk_format, "container_format": im.container_format,
        "visibility": im.visibility, "size": im.size, "virtual_size": im.virtual_size, "status": im.status,
        "checksum": im.checksum, "protected": im.protected, "min_ram": im.min_ram, "min_disk": im.min_disk,
        "owner": im.owner, "os_hidden": im.os_hidden, "os_hash_algo": im.os_hash_algo,
        "os_hash_value": im.os_hash_value, "id": im.id, "created_at": util.iso(im.created_at),
        "updated_at": util.iso(im.updated_at), "tags": list(im.tags), "self": "/v2/images/" + im.id,
        "file": "/v2/images/%s/file" % im.id, "schema": "/v2/schemas/image",
    })
    if im.status == "active":
        v["stores"] = "fs"
    return v


def _visible(req, im):
    return im.visibility in ("public", "community") or im.owner == req.ctx["token"]["project_id"]


def _sort_value(im, key):
    v = getattr(im, key)
    if v is None:
        return (0, "")
    return (1, v)


def list_images(sim, req):
    params = [(k, v) for k, vs in req.query.items() for v in vs]
    try:
        limit = int(req.q("limit", sim.knobs["glance_default_limit"]))
    except ValueError:
        return glance_error(400, "limit param must be an integer")
    if limit < 0:
        return glance_error(400, "limit param must be positive")
    limit = min(limit, sim.knobs["glance_max_limit"])
    sort = []
    if req.q("sort") is not None:
        if req.q("sort_key") is not None or req.q("sort_dir") is not None:
            return glance_error(400, "The 'sort' parameter cannot be used with 'sort_key' or 'sort_dir'.")
        for part in req.q("sort").split(","):
            key, _, d = part.strip().partition(":")
            sort.append((key, d or "desc"))
    else:
        keys = req.qall("sort_key") or []
        dirs = req.qall("sort_dir") or []
        for i, key in enumerate(keys):
            sort.append((key, dirs[i] if i < len(dirs) else (dirs[0] if dirs else "desc")))
    for key, d in sort:
        if key not in SORT_KEYS:
            return glance_error(400, "Invalid sort key: %s. It should be one of the following: %s."
                                % (key, ", ".join(SORT_KEYS)))
        if d not in ("asc", "desc"):
            return glance_error(400, "Invalid sort direction: %s" % d)
    if not any(k == "created_at" for k, _ in sort):
        sort.append(("created_at", "desc"))
    if not any(k == "id" for k, _ in sort):
        sort.append(("id", "desc"))
    tags = req.qall("tag")
    props = {k: v[0] for k, v in req.query.items() if k not in CORE}
    name = req.q("name")
    status = req.q("status")
    vis = req.q("visibility")
    owner = req.q("owner")
    hidden = req.q("os_hidden", "false").lower() == "true"
    marker = req.q("marker")
    with sim.lock:
        imgs = []
        for im in sim.regions[req.region].images.values():
            if not _visible(req, im) or im.os_hidden != hidden:
                continue
            if vis is not None and vis != "all" and im.visibility != vis:
                continue
            if vis is None and im.visibility == "community" and im.owner != req.ctx["token"]["project_id"]:
                continue
            if name is not None and im.name != name:
                continue
            if status is not None and im.status != status:
                continue
            if owner is not None and im.owner != owner:
                continue
            if any(t not in im.tags for t in tags):
                continue
            if any(str(im.properties.get(k)) != v for k, v in props.items()):
                continue
            imgs.append(im)
        for key, d in reversed(sort):
            imgs.sort(key=lambda im: _sort_value(im, key), reverse=(d == "desc"))
        if marker is not None:
            idx = next((i for i, im in enumerate(imgs) if im.id == marker), None)
            if idx is None:
                return glance_error(400, "Invalid marker. Image %s could not be found." % marker)
            imgs = imgs[idx + 1:]
        page = imgs[:limit]
        views = [image_view(im) for im in page]
    first_params = [(k, v) for k, v in params if k != "marker"]
    body = {"images": views,
            "first": "/v2/images" + ("?" + urlencode(first_params) if first_params else ""),
            "schema": "/v2/schemas/images"}
    if views and len(views) == limit:
        body["next"] = "/v2/images?" + urlencode(first_params + [("marker", views[-1]["id"])])
    return json_response(200, body)


def _get(sim, req, iid):
    im = sim.regions[req.region].images.get(iid)
    if im is None or not _visible(req, im):
        return None
    return im


def show_image(sim, req):
    iid = req.params[0]
    with sim.lock:
        im = _get(sim, req, iid)
        if im is None:
            return glance_error(404, "No image found with ID %s" % iid)
        v = image_view(im)
    return json_response(200, v)


def delete_image(sim, req):
    iid = req.params[0]
    with sim.lock:
        im = _get(sim, req, iid)
        if im is None:
            return glance_error(404, "Failed to find image %s to delete" % iid)
        if im.owner != req.ctx["token"]["project_id"]:
            return glance_error(403, "You are not permitted to delete this image.")
        if im.protected:
            return glance_error(403, "Image %s is protected and cannot be deleted." % iid)
        del sim.regions[req.region].images[iid]
        sim.counters.inc("images_deleted")
    return Response(204)


def add_tag(sim, req):
    iid, tag = req.params[0], unquote(req.params[1])
    with sim.lock:
        im = _get(sim, req, iid)
        if im is None:
            return glance_error(404, "Image %s not found." % iid)
        if im.owner != req.ctx["token"]["project_id"]:
            return glance_error(403, "You are not permitted to modify tags on this image.")
        if len(tag) > 255:
            return glance_error(400, "Provided object does not match schema 'image': '%s' is too long" % tag)
        if tag not in im.tags:
            if len(im.tags) >= 128:
                return glance_error(413, "Maximum number of tags exceeded.")
            im.tags.append(tag)
            im.updated_at = util.now()
    return Response(204)


def delete_tag(sim, req):
    iid, tag = req.params[0], unquote(req.params[1])
    with sim.lock:
        im = _get(sim, req, iid)
        if im is None:
            return glance_error(404, "Image %s not found." % iid)
        if im.owner != req.ctx["token"]["project_id"]:
            return glance_error(403, "You are not permitted to modify tags on this image.")
        if tag not in im.tags:
            return glance_error(404, "Tag %s not found." % tag)
        im.tags.remove(tag)
        im.updated_at = util.now()
    return Response(204)


DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
# Attributes Glance computes itself: a create or a patch naming one is refused (403); the
# id may be chosen at create time only.
READ_ONLY = ("status", "created_at", "updated_at", "size", "virtual_size", "checksum", "os_hash_algo",
             "os_hash_value", "owner", "self", "file", "schema", "direct_url", "locations")


def _json_body(req, ctypes, kind, shape):
    """(body, None) or (None, the error reply): Content-Type among ctypes ("" allowed when
    "" is listed), then JSON of the given Python type (kind names it in the message)."""
    ctype = (req.header("Content-Type") or "").split(";")[0].strip()
    if ctype not in ctypes:
        return None, glance_error(415, "Unsupported Content-Type")
    try:
        body = req.json()
    except BadJSON:
        return None, glance_error(400, "Malformed JSON in request body.")
    if not isinstance(body, shape):
        return None, glance_error(400, "Request body must be a JSON %s." % kind)
    return body, None


def patch_image(sim, req):
    """JSON-patch of custom properties and name (Content-Type application/openstack-images-v2.1-json-patch)."""
    iid = req.params[0]
    ops, err = _json_body(req, ("application/openstack-images-v2.1-json-patch",
                                "application/openstack-images-v2.0-json-patch"),
                          "array of operation objects", list)
    if err:
        return err
    with sim.lock:
        im = _get(sim, req, iid)
        if im is None:
            return glance_error(404, "No image found with ID %s" % iid)
        if im.owner != req.ctx["token"]["project_id"]:
            return glance_error(403, "You are not permitted to modify this image.")
        for op in ops:
            if not isinstance(op, dict) or op.get("op") not in ("add", "replace", "remove") \
                    or not isinstance(op.get("path"), str) or not op["path"].startswith("/"):
                return glance_error(400, "Unable to find `op` in JSON Schema change. It must be one of the "
                                         "following: add, remove, replace.")
            key = op["path"][1:].replace("~1", "/").replace("~0", "~")
            if key == "id" or key in READ_ONLY:
                return glance_error(403, "Attribute '%s' is read-only." % key)
            if key in ("name", "visibility", "protected", "os_hidden", "min_disk", "min_ram", "tags"):
                if op["op"] == "remove":
                    return glance_error(403, "Attribute '%s' is reserved." % key)
                setattr(im, key, op.get("value"))
                continue
            if op["op"] == "remove":
                if key not in im.properties:
                    return glance_error(409, "Property %s does not exist." % key)
                del im.properties[key]
            elif op["op"] == "replace" and key not in im.properties:
                return glance_error(409, "Property %s does not exist." % key)
            else:
                if not isinstance(op.get("value"), str):
                    return glance_error(400, "Provided object does not match schema 'image'")
                im.properties[key] = op["value"]
        im.updated_at = util.now()
        v = image_view(im)
    return json_response(200, v)


def create_image(sim, req):
    """POST /v2/images: a queued image record (the data comes with PUT .../file)."""
    body, err = _json_body(req, ("", "application/json"), "object", dict)
    if err:
        return err
    for k in body:
        if k in READ_ONLY:
            return glance_error(403, "Attribute '%s' is read-only." % k)
    if body.get("disk_format") not in (None,) + DISK_FORMATS:
        return glance_error(400, "Invalid value '%s' for disk_format" % body.get("disk_format"))
    if body.get("container_format") not in (None,) + CONTAINER_FORMATS:
        return glance_error(400, "Invalid value '%s' for container_format" % body.get("container_format"))
    vis = body.get("visibility", "shared")
    if vis not in ("public", "private", "shared", "community"):
        return glance_error(400, "Invalid visibility value: %s" % vis)
    if vis == "public":     # Glance's default policy: admins only; ghr's users are members
        return glance_error(403, "You are not authorized to complete publicize_image action.")
    known = ("name", "disk_format", "container_format", "visibility", "min_disk", "min_ram", "protected",
             "tags", "id", "os_hidden")
    props = {k: v for k, v in body.items() if k not in known}
    if not all(isinstance(v, str) for v in props.values()):
        return glance_error(400, "Provided object does not match schema 'image': additional properties must be strings")
    tags = body.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return glance_error(400, "Provided object does not match schema 'image': tags")
    with sim.lock:
        reg = sim.regions[req.region]
        im = sim.add_image(reg, {"name": body.get("name"), "status": "queued", "visibility": vis,
                                 "owner": req.ctx["token"]["project_id"], "tags": tags, "properties": props,
                                 "min_disk": body.get("min_disk", 0), "min_ram": body.get("min_ram", 0),
                                 "protected": body.get("protected", False)})
        im.disk_format = body.get("disk_format")
        im.container_format = body.get("container_format")
        sim.counters.inc("images_created")
        v = image_view(im)
    return json_response(201, v, [("Location", sim.base_url + req.ctx["prefix"] + "/v2/images/" + im.id)])


def upload_image(sim, req):
    """PUT /v2/images/{id}/file: the data of a queued image; it becomes active with its
    size, md5 checksum and sha512 multihash computed."""
    iid = req.params[0]
    ctype = (req.header("Content-Type") or "").split(";")[0].strip()
    if ctype != "application/octet-stream":
        return glance_error(415, "Content-Type must be application/octet-stream")
    data = req.body or b""
    with sim.lock:
        im = _get(sim, req, iid)
        if im is None:
            return glance_error(404, "No image found with ID %s" % iid)
        if im.owner != req.ctx["token"]["project_id"]:
            return glance_error(403, "You are not permitted to upload data to this image.")
        if not im.disk_format or not im.container_format:
            return glance_error(400, "Properties disk_format, container_format must be set prior to saving data.")
        if im.status != "queued":
            return glance_error(409, "Image status transition from %s to saving is not allowed" % im.status)
        im.size = im.virtual_size = len(data)
        im.checksum = hashlib.md5(data).hexdigest()
        im.os_hash_algo = "sha512"
        im.os_hash_value = hashlib.sha512(data).hexdigest()
        im.status = "active"
        im.updated_at = util.now()
        sim.counters.inc("images_uploaded")
    return Response(204)


def versions(sim, req):
    base = sim.base_url + req.ctx["prefix"]
    return json_response(300, {"versions": [
        {"id": "v2.16", "status": "CURRENT", "links": [{"rel": "self", "href": base + "/v2/"}]}]})


ROUTES = [
    ("GET", r"^/?$", versions, "/", False),
    ("GET", r"^/versions/?$", versions, "/versions", False),
    ("GET", r"^/v2/images/?$", list_images, "/v2/images", True),
    ("POST", r"^/v2/images/?$", create_image, "/v2/images", True),
    ("PUT", r"^/v2/images/([^/]+)/file$", upload_image, "/v2/images/{id}/file", True),
    ("GET", r"^/v2/images/([^/]+)/?$", show_image, "/v2/images/{id}", True),
    ("PATCH", r"^/v2/images/([^/]+)/?$", patch_image, "/v2/images/{id}", True),
    ("DELETE", r"^/v2/images/([^/]+)/?$", delete_image, "/v2/images/{id}", True),
    ("PUT", r"^/v2/images/([^/]+)/tags/([^/]+)$", add_tag, "/v2/images/{id}/tags/{tag}", True),
    ("DELETE", r"^/v2/images/([^/]+)/tags/([^/]+)$", delete_tag, "/v2/images/{id}/tags/{tag}", True),
]
