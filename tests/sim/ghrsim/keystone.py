"""Keystone v3 (mounted at /identity): tokens and the service catalog.

The catalog and the URL routing come from the same table (endpoint_rows), so
what the catalog says is exactly what the simulator serves: RegionOne at
/compute/v2.1, /image, /network; internal and admin interfaces at /int/... and
/adm/...; RegionTwo (and further regions) under /r2/..., /r3/...
"""
import base64
import hashlib
import json
import os

from . import util
from .faults import keystone_error
from .httpd import BadJSON, json_response

CLOUD_SERVICES = (
    # name, type, path segment, version suffix in the catalog URL
    ("nova", "compute", "/compute", "/v2.1"),
    ("glance", "image", "/image", ""),
    ("neutron", "network", "/network", ""),
)
INTERFACES = (("public", ""), ("internal", "/int"), ("admin", "/adm"))


def endpoint_rows(regions):
    """[(service, type, region, interface, path prefix, catalog suffix)]"""
    rows = []
    for i, region in enumerate(regions):
        rp = "" if i == 0 else "/r%d" % (i + 1)
        for iface, ip in INTERFACES:
            rows.append(("keystone", "identity", region, iface, "/identity", "/v3"))
            for name, typ, seg, suffix in CLOUD_SERVICES:
                rows.append((name, typ, region, iface, rp + ip + seg, suffix))
    return rows


def _stable_id(*parts):
    # Endpoint/service ids look like Keystone's (32 hex) and stay the same across runs.
    return hashlib.md5("/".join(parts).encode()).hexdigest()


def catalog(sim):
    by_type = {}
    for name, typ, region, iface, prefix, suffix in endpoint_rows(list(sim.regions)):
        ent = by_type.get(typ)
        if ent is None:
            ent = by_type[typ] = {"endpoints": [], "id": _stable_id("svc", typ), "type": typ, "name": name}
        ent["endpoints"].append({"id": _stable_id(typ, region, iface), "interface": iface,
                                 "region_id": region, "url": sim.base_url + prefix + suffix,
                                 "region": region})
    return list(by_type.values())


def _unauth(msg=None):
    return keystone_error(401, msg)


def _bad(msg):
    return keystone_error(400, msg + " The server could not comply with the request since it is either "
                                     "malformed or otherwise incorrect. The client is assumed to be in error.")


def _find_domain(sim, d):
    if not isinstance(d, dict):
        return None
    if "id" in d:
        return sim.domains.get(d["id"])
    if "name" in d:
        for dom in sim.domains.values():
            if dom["name"] == d["name"]:
                return dom
    return None


def _find_user(sim, u):
    if not isinstance(u, dict):
        return None
    if "id" in u:
        return sim.users.get(u["id"])
    dom = _find_domain(sim, u.get("domain"))
    if dom is None or "name" not in u:
        return None
    for usr in sim.users.values():
        if usr["name"] == u["name"] and usr["domain_id"] == dom["id"]:
            return usr
    return None


def _find_project(sim, p):
    if not isinstance(p, dict):
        return None
    if "id" in p:
        return sim.projects.get(p["id"])
    dom = _find_domain(sim, p.get("domain"))
    if dom is None or "name" not in p:
        return None
    for prj in sim.projects.values():
        if prj["name"] == p["name"] and prj["domain_id"] == dom["id"]:
            return prj
    return None


def _user_projects(user):
    return set(user.get("projects") or ([user["default_project_id"]] if user.get("default_project_id") else []))


def json_content_type_ok(req):
    """keystone.server.flask.request_processing.json_body: a request WITH a body must say
    it is JSON (flask's is_json: application/json or */*+json), or say nothing."""
    if not req.body:
        return True
    ct = req.header("Content-Type")
    if ct is None or ct.strip() == "":
        return True
    mt = ct.split(";", 1)[0].strip().lower()
    return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))


def issue_token(sim, req):
    if not json_content_type_ok(req):
        return _bad("Expecting to find application/json in Content-Type header.")
    try:
        body = req.json()
    except BadJSON:
        return _bad("Malformed request body.")
    auth = body.get("auth") if isinstance(body, dict) else None
    if not isinstance(auth, dict):
        return _bad("Expecting to find auth in request.")
    ident = auth.get("identity")
    if not isinstance(ident, dict) or not isinstance(ident.get("methods"), list) or not ident["methods"]:
        return _bad("Invalid input for field 'identity': 'methods' is a required property.")
    methods = ident["methods"]
    scope = auth.get("scope")
    appcred = None
    if "password" in methods:
        pw = ident.get("password")
        u = pw.get("user") if isinstance(pw, dict) else None
        if not isinstance(u, dict) or "password" not in u:
            return _bad("Invalid input for field 'identity/password/user': 'password' is a required property.")
        user = _find_user(sim, u)
        if user is None or user["password"] != u["password"]:
            sim.counters.inc("keystone_auth_failures")
            return _unauth()
    elif "application_credential" in methods:
        ac = ident.get("application_credential")
        if not isinstance(ac, dict) or "secret" not in ac:
            return _bad("Invalid input for field 'identity/application_credential': 'secret' is a required property.")
        if "id" in ac:
            appcred = sim.appcreds.get(ac["id"])
        else:
            owner = _find_user(sim, ac.get("user"))
            appcred = None
            for a in sim.appcreds.values():
                if owner is not None and a["name"] == ac.get("name") and a["user_id"] == owner["id"]:
                    appcred = a
        if appcred is None or appcred["secret"] != ac["secret"]:
            sim.counters.inc("keystone_auth_failures")
            return _unauth()
        if scope:
            return _unauth("Application credentials cannot request a scope.")
        user = sim.users[appcred["user_id"]]
    elif "token" in methods:
        t = ident.get("token")
        old = sim.tokens.get(t.get("id")) if isinstance(t, dict) else None
        if old is None or old["expires"] <= util.now():
            return _unauth()
        user = sim.users[old["user_id"]]
    else:
        return _unauth("Attempted to authenticate with an unsupported method.")

    project = None
    if appcred is not None:
        project = sim.projects[appcred["project_id"]]
    elif scope:
        if not isinstance(scope, dict) or "project" not in scope:
            return _unauth("Only project scope is supported by this simulator.")
        project = _find_project(sim, scope["project"])
        if project is None or project["id"] not in _user_projects(user):
            return _unauth()
    elif user.get("default_project_id"):
        project = sim.projects.get(user["default_project_id"])

    issued = util.now()
    expires = issued + sim.knobs["keystone_token_lifetime_ms"] / 1000.0
    # A Fernet token with project scope and a few methods/audit ids is ~180-250 characters.
    tok = "gAAAAA" + base64.urlsafe_b64encode(os.urandom(175)).decode().rstrip("=")
    rec = {"user_id": user["id"], "project_id": project["id"] if project else None,
           "expires": expires, "issued": issued, "methods": list(methods),
           "appcred": appcred["id"] if appcred else None}
    sim.tokens[tok] = rec
    sim.counters.inc("keystone_tokens_issued")
    if len(sim.tokens) > 20000:     # bounded: drop expired ones
        now = util.now()
        for k in [k for k, v in sim.tokens.items() if v["expires"] <= now]:
            del sim.tokens[k]
    return json_response(201, {"token": token_body(sim, rec)}, [("X-Subject-Token", tok)])


def token_body(sim, rec):
    user = sim.users[rec["user_id"]]
    udom = sim.domains[user["domain_id"]]
    body = {
        "methods": rec["methods"],
        "user": {"domain": {"id": udom["id"], "name": udom["name"]}, "id": user["id"],
                 "name": user["name"], "password_expires_at": None},
        "audit_ids": [base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")[:22]],
        "expires_at": util.iso(rec["expires"], frac=True) + "Z",
        "issued_at": util.iso(rec["issued"], frac=True) + "Z",
    }
    if rec["project_id"]:
        prj = sim.projects[rec["project_id"]]
        pdom = sim.domains[prj["domain_id"]]
        body["project"] = {"domain": {"id": pdom["id"], "name": pdom["name"]}, "id": prj["id"], "name": prj["name"]}
        body["is_domain"] = False
        body["roles"] = [{"id": _stable_id("role", r), "name": r} for r in user.get("roles", ["member"])]
        body["catalog"] = catalog(sim)
    if rec["appcred"]:
        ac = sim.appcreds[rec["appcred"]]
        body["application_credential"] = {"id": ac["id"], "name": ac["name"], "restricted": True}
    return body


def check(sim, req):
    """Token record for X-Auth-Token, or None (missing, unknown, expired)."""
    tok = req.header("X-Auth-Token")
    if not tok:
        return None
    rec = sim.tokens.get(tok)
    if rec is None or rec["expires"] <= util.now() or rec["project_id"] is None:
        return None
    return rec


def unauthorized(sim):
    r = keystone_error(401)
    r.headers.append(("WWW-Authenticate", 'Keystone uri="%s/identity/v3"' % sim.base_url))
    return r


def validate_token(sim, req):
    if check(sim, req) is None and not _any_valid(sim, req.header("X-Auth-Token")):
        return unauthorized(sim)
    rec = sim.tokens.get(req.header("X-Subject-Token") or "")
    if rec is None or rec["expires"] <= util.now():
        return keystone_error(404, "Could not find token: %s." % (req.header("X-Subject-Token") or ""))
    return json_response(200, {"token": token_body(sim, rec)}, [("X-Subject-Token", req.header("X-Subject-Token"))])


def _any_valid(sim, tok):
    rec = sim.tokens.get(tok or "")
    return rec is not None and rec["expires"] > util.now()


def revoke_token(sim, req):
    if not _any_valid(sim, req.header("X-Auth-Token")):
        return unauthorized(sim)
    if sim.tokens.pop(req.header("X-Subject-Token") or "", None) is None:
        return keystone_error(404, "Could not find token.")
    return json_response(204, None)


def version(sim, req):
    return json_response(200, {"version": {
        "id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": sim.base_url + "/identity/v3/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]}})


def versions(sim, req):
    doc = json.loads(version(sim, req).body)["version"]
    return json_response(300, {"versions": {"values": [doc]}})


def _locked(fn):
    # Token handlers read and change sim.tokens (and prune it): under the world lock.
    def run(sim, req):
        with sim.lock:
            return fn(sim, req)
    return run


ROUTES = [
    ("POST", r"^/v3/auth/tokens/?$", _locked(issue_token), "/v3/auth/tokens", False),
    ("GET", r"^/v3/auth/tokens/?$", _locked(validate_token), "/v3/auth/tokens", False),
    ("DELETE", r"^/v3/auth/tokens/?$", _locked(revoke_token), "/v3/auth/tokens", False),
    ("GET", r"^/v3/?$", version, "/v3", False),
    ("GET", r"^/?$", versions, "/", False),
]
