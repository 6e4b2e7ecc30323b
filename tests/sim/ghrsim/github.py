"""GitHub REST (mounted at /github), shaped after tests/fixtures/api/github/openapi-runners.json.

Runner endpoints exist for three scopes with the same shapes:
  /orgs/{org}/actions/...   /repos/{owner}/{repo}/actions/...   /enterprises/{ent}/actions/...
Each scope keeps its own runners (as GitHub does); a job of owner/repo can run
on runners of that repo, of the org `owner`, or of any configured enterprise.

Strict where GitHub is strict: no User-Agent -> 403; unknown
X-GitHub-Api-Version -> 400; bad or expired credentials -> 401; every reply
carries x-ratelimit-*; a 304 (If-None-Match) is not counted; an exhausted
budget -> 403/429 with remaining 0 whatever the request.
"""
import base64
import hashlib
import json
import collections
import os
import time
from urllib.parse import unquote, urlencode

from . import jwtrsa, lifecycle, util
from .faults import github_error
from .httpd import BadJSON, Response, json_response
from .state import Runner

API_VERSIONS = ("2022-11-28", "2026-03-10")
DOCS_RUNNERS = "https://docs.github.com/rest/actions/self-hosted-runners"
DOCS_RATE = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
SCOPE = r"(orgs/[^/]+|repos/[^/]+/[^/]+|enterprises/[^/]+)"
REGISTRATION_ROUTES = ("generate-jitconfig", "registration-token")


def _json(status, obj, headers=None):
    r = json_response(status, obj, headers)
    if r.body:
        r.set_header("Content-Type", "application/json; charset=utf-8")
    return r


def not_found():
    return github_error(404, "Not Found", "https://docs.github.com/rest")


# ---- identity, rate limits -------------------------------------------------------------

def _bearer(req):
    h = req.header("Authorization")
    if not h:
        return None
    parts = h.split(None, 1)
    if len(parts) != 2 or parts[0].lower() not in ("bearer", "token"):
        return ""
    return parts[1].strip()


def _bucket(sim, ident, resource):
    now = util.now()
    key = (ident, resource)
    b = sim.buckets.get(key)
    if b is None or now >= b[1]:
        b = sim.buckets[key] = [0, int(now + sim.knobs["rate_limit_window_ms"] / 1000.0) + 1]
    return b


def _limit(sim, ident, resource):
    if ident == "anonymous":
        return 60
    return sim.knobs["rate_limit_registration"] if resource == "actions_runner_registration" else sim.knobs["rate_limit_core"]


def rl_headers(sim, ident, resource):
    b = _bucket(sim, ident, resource)
    lim = _limit(sim, ident, resource)
    return [("x-ratelimit-limit", str(lim)), ("x-ratelimit-remaining", str(max(0, lim - b[0]))),
            ("x-ratelimit-reset", str(b[1])), ("x-ratelimit-used", str(b[0])),
            ("x-ratelimit-resource", resource)]


def _resource(req):
    return "actions_runner_registration" if req.route.rsplit("/", 1)[-1] in REGISTRATION_ROUTES else "core"


def authenticate(sim, req, auth):
    """Establish req.ctx['ident'] and refuse what GitHub refuses before doing anything."""
    req.ctx["ident"] = "anonymous"
    req.ctx["resource"] = "core"
    if not req.header("User-Agent"):
        return Response(403, b"Request forbidden by administrative rules. Please make sure your request has a "
                             b"User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api"
                             b"#user-agent-required). Check https://developer.github.com for other possible causes.\n",
                        ctype="text/plain; charset=utf-8")
    v = req.header("X-GitHub-Api-Version")
    if v is not None and v not in API_VERSIONS:
        return github_error(400, "Unsupported 'X-GitHub-Api-Version' header value. Supported versions are: %s"
                            % ", ".join(API_VERSIONS))
    tok = _bearer(req)
    if auth == "none":
        if tok:
            with sim.lock:
                ident = _token_identity(sim, tok)
            if ident:
                req.ctx["ident"] = ident
        return None
    if tok is None:
        return github_error(401, "Requires authentication", "https://docs.github.com/rest")
    with sim.lock:
        if auth == "jwt":
            app = sim.app_cfg
            if not app.get("public_key_pem"):
                return github_error(401, "A JSON web token could not be decoded")
            try:
                n, e = jwtrsa.load_pem(app["public_key_pem"])
                claims = jwtrsa.verify_jwt(tok, n, e)
                jwtrsa.check_github_claims(claims, int(util.now()), app["app_id"], app["client_id"])
            except (jwtrsa.JWTError, jwtrsa.KeyError_) as ex:
                sim.counters.inc("github_jwt_refused")
                return github_error(401, str(ex))
            ident = "app:%s" % app["app_id"]
        else:
            ident = _token_identity(sim, tok)
            if ident is None:
                sim.counters.inc("github_bad_credentials")
                return github_error(401, "Bad credentials", "https://docs.github.com/rest")
        req.ctx["ident"] = ident
        res = _resource(req)
        req.ctx["resource"] = res
        b = _bucket(sim, ident, res)
        if b[0] >= _limit(sim, ident, res):
            sim.counters.inc("github_rate_limited")
            return primary_limited(sim, req, sim.knobs["rate_limit_status"])
        if req.method in WRITE_METHODS and sim.knobs["secondary_write_per_min"] > 0:
            return _secondary_write(sim, req, ident)
    return None


WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _secondary_write(sim, req, ident):
    """GitHub's secondary limit on content-creating requests ("no more than 80 per minute"):
    a rolling minute per identity.  The refusal is a 403 WITHOUT retry-after and with
    x-ratelimit-remaining > 0 -- GitHub says: then wait at least a minute.  Refused
    requests do not count."""
    now = time.monotonic()
    q = sim.writes.get(ident)
    if q is None:
        q = sim.writes[ident] = collections.deque()
    while q and now - q[0] >= 60.0:
        q.popleft()
    if len(q) >= sim.knobs["secondary_write_per_min"]:
        sim.counters.inc("github_secondary_limited")
        return secondary_limited(sim, req, 403, None)
    q.append(now)
    return None


def secondary_limited(sim, req, status, retry_after):
    hdrs = rl_headers(sim, req.ctx.get("ident", "anonymous"), req.ctx.get("resource", "core"))
    if retry_after is not None:
        hdrs.append(("retry-after", str(retry_after)))
    return github_error(status,
                        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                        "If you reach out to GitHub Support for help, please include the request ID.",
                        DOCS_RATE + "#about-secondary-rate-limits", hdrs)


def _token_identity(sim, tok):
    if tok in sim.pats:
        return "pat:" + hashlib.sha256(tok.encode()).hexdigest()[:12]
    rec = sim.gh_tokens.get(tok)
    if rec is not None and rec["kind"] == "installation" and rec["expires"] > util.now():
        return "installation:%s" % rec["installation_id"]
    return None


def primary_limited(sim, req, status):
    ident, res = req.ctx.get("ident", "anonymous"), req.ctx.get("resource", "core")
    b = _bucket(sim, ident, res)
    lim = _limit(sim, ident, res)
    hdrs = [("x-ratelimit-limit", str(lim)), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", str(b[1])),
            ("x-ratelimit-used", str(max(lim, b[0]))), ("x-ratelimit-resource", res)]
    return github_error(status, "API rate limit exceeded for %s." % ident.split(":")[0], DOCS_RATE, hdrs)


def fault_response(sim, req, rule):
    """Responses of the rate-limit fault kinds (the app asks us for them)."""
    if rule.kind == "rate_limit":
        with sim.lock:
            return primary_limited(sim, req, rule.params.get("status", sim.knobs["rate_limit_status"]))
    ra = rule.params.get("retry_after", 60)      # null: no retry-after header at all
    with sim.lock:
        return secondary_limited(sim, req, rule.params.get("status", 403), ra)


def decorate(sim, req, resp):
    """ETag/304, rate-limit accounting and headers on every GitHub reply."""
    ident = req.ctx.get("ident", "anonymous")
    res = req.ctx.get("resource", "core")
    counted = req.route != "/rate_limit" and ident != "anonymous"
    if req.method in ("GET", "HEAD") and resp.status == 200 and resp.action is None:
        etag = 'W/"%s"' % hashlib.sha256(resp.body).hexdigest()
        inm = req.header("If-None-Match")
        # If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/"x" matches "x".
        if inm and (inm.strip() == "*" or etag[2:] in [_opaque(x) for x in inm.split(",")]):
            sim.counters.inc("github_not_modified")
            resp.status = 304
            resp.body = b""
            resp.headers = [h for h in resp.headers if h[0].lower() != "content-type"]
            counted = False
        resp.headers.append(("ETag", etag))
        resp.headers.append(("Cache-Control", "private, max-age=60, s-maxage=60"))
        resp.headers.append(("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP"))
    has_rl = any(h[0].lower() == "x-ratelimit-remaining" for h in resp.headers)
    with sim.lock:
        if counted and resp.status != 304 and not has_rl:
            b = _bucket(sim, ident, res)
            b[0] += 1
            sim.counters.inc("github_rate_used")
        if not has_rl:
            resp.headers.extend(rl_headers(sim, ident, res))
    resp.headers.append(("x-github-api-version-selected", req.header("X-GitHub-Api-Version") or API_VERSIONS[0]))
    resp.headers.append(("x-github-media-type", "github.v3; format=json"))
    resp.headers.append(("x-github-request-id", os.urandom(10).hex().upper()))


def _opaque(tag):
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


# ---- helpers --------------------------------------------------------------------------------

def _scope(sim, path):
    parts = [unquote(p) for p in path.split("/")]
    if parts[0] == "orgs":
        key = "org:" + parts[1].lower()
    elif parts[0] == "repos":
        key = "repo:%s/%s" % (parts[1].lower(), parts[2].lower())
    else:
        key = "enterprise:" + parts[1].lower()
    return sim.scopes.get(key)


def _paging(req, default=30):
    try:
        per_page = int(req.q("per_page", default))
    except ValueError:
        per_page = default
    try:
        page = int(req.q("page", 1))
    except ValueError:
        page = 1
    return max(1, min(100, per_page)), max(1, page)


def _link_header(sim, req, page, per_page, total):
    last = max(1, (total + per_page - 1) // per_page)
    base = sim.base_url + req.path
    others = [(k, v) for k, vs in req.query.items() if k not in ("page", "per_page") for v in vs]

    def url(p):
        return "<%s?%s>" % (base, urlencode(others + [("per_page", per_page), ("page", p)]))
    links = []
    if page > 1:
        links.append(url(page - 1) + '; rel="prev"')
    if page < last:
        links.append(url(page + 1) + '; rel="next"')
        links.append(url(last) + '; rel="last"')
    if page > 1:
        links.append(url(1) + '; rel="first"')
    return [("Link", ", ".join(links))] if links else []


def _body(req):
    """Parsed JSON body, or a Response for GitHub's 400."""
    try:
        return req.json(), None
    except BadJSON:
        return None, github_error(400, "Problems parsing JSON", "https://docs.github.com/rest")


def _invalid(msg, doc=DOCS_RUNNERS):
    return github_error(422, "Invalid request.\n\n" + msg, doc)


# ---- runners -------------------------------------------------------------------------------

def list_runners(sim, req):
    per_page, page = _paging(req)
    name = req.q("name")
    with sim.lock:
        sc = _scope(sim, req.params[0])
        if sc is None:
            return not_found()
        if name is not None:
            rs = [r for r in sc.runners.values() if r.name == name]
        else:
            rs = sc.runner_list()
        total = len(rs)
        views = [lifecycle.runner_view(sim, r) for r in rs[(page - 1) * per_page: page * per_page]]
    return _json(200, {"total_count": total, "runners": views}, _link_header(sim, req, page, per_page, total))


def _runner(sim, req):
    sc = _scope(sim, req.params[0])
    if sc is None:
        return None, None
    try:
        rid = int(req.params[1])
    except ValueError:
        return sc, None
    return sc, sc.runners.get(rid)


def get_runner(sim, req):
    with sim.lock:
        sc, r = _runner(sim, req)
        if r is None:
            return not_found()
        v = lifecycle.runner_view(sim, r)
    return _json(200, v)


def delete_runner(sim, req):
    with sim.lock:
        sc, r = _runner(sim, req)
        if r is None:
            return not_found()
        if r.busy:
            sim.counters.inc("runner_delete_busy")
            return github_error(422, 'Bad request - Runner "%s" is still running a job"' % r.name, DOCS_RUNNERS)
        lifecycle.runner_deleted_by_api(sim, r)
    return Response(204)


def runner_labels(sim, req):
    with sim.lock:
        sc, r = _runner(sim, req)
        if r is None:
            return not_found()
        labels = lifecycle.runner_view(sim, r)["labels"]
    return _json(200, {"total_count": len(labels), "labels": labels})


def validate_jit(body):
    """GitHub's validation of the generate-jitconfig body (the OpenAPI schema), or an error text."""
    if not isinstance(body, dict):
        return "Invalid input: the request body must be an object."
    for k in ("name", "runner_group_id", "labels"):
        if k not in body:
            return '"%s" wasn\'t supplied.' % k
    if not isinstance(body["name"], str):
        return "For 'properties/name', %s is not a string." % json.dumps(body["name"])
    if not body["name"].strip():
        return "Runner name can't be blank."
    if not util.is_int(body["runner_group_id"]):
        return "For 'properties/runner_group_id', %s is not an integer." % json.dumps(body["runner_group_id"])
    labels = body["labels"]
    if not isinstance(labels, list):
        return "For 'properties/labels', %s is not an array." % json.dumps(labels)
    if len(labels) < 1:
        return "For 'properties/labels', [] has less items than the minimum of 1."
    if len(labels) > 100:
        return "For 'properties/labels', the array has more items than the maximum of 100."
    for l in labels:
        if not isinstance(l, str):
            return "For 'items', %s is not a string." % json.dumps(l)
        if not l.strip():
            return "Label name can't be blank."
    if "work_folder" in body and not isinstance(body["work_folder"], str):
        return "For 'properties/work_folder', %s is not a string." % json.dumps(body["work_folder"])
    return None


def make_jit_config(sim, r, sc, nonce, work_folder):
    """The simulator's JIT config: base64 (standard alphabet) of a JSON object.
    Opaque to ghr; sized like a real one (jit_pad_bytes) so user-data limits bite."""
    pad = base64.b64encode(os.urandom(max(0, sim.knobs["jit_pad_bytes"]) * 3 // 4)).decode()
    cfg = {"sim_runner_id": r.id, "name": r.name, "labels": r.labels, "scope": sc.key,
           "runner_group_id": r.group_id, "work_folder": work_folder, "nonce": nonce, "pad": pad}
    return base64.b64encode(json.dumps(cfg, separators=(",", ":")).encode()).decode()


def new_runner(sim, sc, name, labels, gid):
    """A registered, never connected, ephemeral runner in scope sc."""
    r = Runner()
    r.id = next(sim.runner_seq)
    r.name = name
    r.scope = sc.key
    r.labels = list(labels)
    r.group_id = gid
    r.status = "offline"
    r.busy = False
    r.os = "unknown"
    r.version = None
    r.ephemeral = True
    r.created = util.now()
    r.vm_id = None
    r.job_id = None
    r.seen_online = False
    r.offline_until = None
    r.nonce = util.hex32()
    sim.runners[r.id] = r
    sc.runners[r.id] = r
    sc.names[name.lower()] = r.id
    sc.changed()
    return r


def generate_jitconfig(sim, req):
    body, err = _body(req)
    if err:
        return err
    why = validate_jit(body)
    if why:
        sim.counters.inc("jit_rejected")
        return _invalid(why, DOCS_RUNNERS + "#create-configuration-for-a-just-in-time-runner-for-an-organization")
    with sim.lock:
        sc = _scope(sim, req.params[0])
        if sc is None:
            return not_found()
        gid = body["runner_group_id"]
        if (sc.kind == "repo" and gid != 1) or (sc.kind != "repo" and gid not in sim.groups):
            return not_found()
        name = body["name"]
        if name.lower() in sc.names:
            sim.counters.inc("jit_conflicts")
            return github_error(409, "Already exists - A runner with the name %s already exists." % name,
                                DOCS_RUNNERS)
        labels = []
        seen = set()
        for l in body["labels"]:
            if l.lower() not in seen:
                seen.add(l.lower())
                labels.append(l)
        r = new_runner(sim, sc, name, labels, gid)
        sim.jit[r.nonce] = {"runner_id": r.id, "used_by": None}
        sim.counters.inc("runners_registered")
        blob = make_jit_config(sim, r, sc, r.nonce, body.get("work_folder", "_work"))
        view = lifecycle.runner_view(sim, r)
    return _json(201, {"runner": view, "encoded_jit_config": blob})


def _short_token(sim, req, kind):
    with sim.lock:
        if _scope(sim, req.params[0]) is None:
            return not_found()
        tok = util.rand_str(29, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        exp = util.now() + sim.knobs["registration_token_lifetime_ms"] / 1000.0
        sim.gh_tokens[tok] = {"kind": kind, "expires": exp}
        sim.counters.inc(kind + "_tokens")
    return _json(201, {"token": tok, "expires_at": util.iso(exp)})


def registration_token(sim, req):
    return _short_token(sim, req, "registration")


def remove_token(sim, req):
    return _short_token(sim, req, "remove")


def runner_tarball(filename):
    """The bytes a simulated VM downloads for a runner release file."""
    return ("simulated GitHub runner release %s\n" % filename).encode()


def downloads(sim, req):
    with sim.lock:
        if _scope(sim, req.params[0]) is None:
            return not_found()
        ver = sim.knobs["runner_version"]
    out = []
    for os_, arch, ext in (("osx", "x64", "tar.gz"), ("osx", "arm64", "tar.gz"), ("linux", "x64", "tar.gz"),
                           ("linux", "arm", "tar.gz"), ("linux", "arm64", "tar.gz"), ("win", "x64", "zip"),
                           ("win", "arm64", "zip")):
        fn = "actions-runner-%s-%s-%s.%s" % (os_, arch, ver, ext)
        out.append({"os": os_, "architecture": arch, "filename": fn,
                    "download_url": "https://github.com/actions/runner/releases/download/v%s/%s" % (ver, fn),
                    # The checksum of what a simulated VM gets from download_url (builder.py).
                    "sha256_checksum": hashlib.sha256(runner_tarball(fn)).hexdigest()})
    return _json(200, out)


# ---- runner groups ---------------------------------------------------------------------------

def _group_view(sim, sc, g):
    base = "%s/github/%s/actions/runner-groups/%d" % (
        sim.base_url, "orgs/" + sc.name if sc.kind == "org" else "enterprises/" + sc.name, g["id"])
    return {"id": g["id"], "name": g["name"], "visibility": g.get("visibility", "all"),
            "default": bool(g.get("default", g["id"] == 1)), "runners_url": base + "/runners",
            "hosted_runners_url": base + "/hosted-runners", "inherited": False,
            "allows_public_repositories": bool(g.get("allows_public_repositories", False)),
            "restricted_to_workflows": False, "selected_workflows": [], "workflow_restrictions_read_only": False}


def list_groups(sim, req):
    per_page, page = _paging(req)
    with sim.lock:
        sc = _scope(sim, req.params[0])
        if sc is None or sc.kind == "repo":
            return not_found()
        gs = list(sim.groups.values())
        views = [_group_view(sim, sc, g) for g in gs[(page - 1) * per_page: page * per_page]]
    return _json(200, {"total_count": len(gs), "runner_groups": views},
                 _link_header(sim, req, page, per_page, len(gs)))


def get_group(sim, req):
    with sim.lock:
        sc = _scope(sim, req.params[0])
        try:
            g = sim.groups.get(int(req.params[1]))
        except ValueError:
            g = None
        if sc is None or sc.kind == "repo" or g is None:
            return not_found()
        v = _group_view(sim, sc, g)
    return _json(200, v)


# ---- jobs ------------------------------------------------------------------------------------------

def get_job(sim, req):
    owner, repo, jid = unquote(req.params[0]), unquote(req.params[1]), req.params[2]
    with sim.lock:
        try:
            j = sim.jobs.get(int(jid))
        except ValueError:
            j = None
        if j is None or j.deleted or j.repo.lower() != ("%s/%s" % (owner, repo)).lower():
            return not_found()
        v = lifecycle.job_view(sim, j)
    return _json(200, v)


# ---- rate limit ---------------------------------------------------------------------------------------

def rate_limit(sim, req):
    ident = req.ctx.get("ident", "anonymous")
    with sim.lock:
        def res(name):
            b = _bucket(sim, ident, name)
            lim = _limit(sim, ident, name)
            return {"limit": lim, "used": b[0], "remaining": max(0, lim - b[0]), "reset": b[1]}
        core = res("core")
        body = {"resources": {"core": core, "search": {"limit": 30, "used": 0, "remaining": 30, "reset": core["reset"]},
                              "graphql": {"limit": 5000, "used": 0, "remaining": 5000, "reset": core["reset"]},
                              "actions_runner_registration": res("actions_runner_registration")},
                "rate": dict(core)}
    return _json(200, body)


# ---- GitHub App ------------------------------------------------------------------------------------------

def access_token(sim, req):
    # The OpenAPI description gives this request body as application/json only; a
    # validating front refuses any other declared type (libcurl's default form type included).
    ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype and ctype != "application/json":
        with sim.lock:
            sim.counters.inc("github_unsupported_media_type")
        return github_error(415, "Unsupported 'Content-Type' header: %s" % ctype)
    if req.body:
        body, err = _body(req)
        if err:
            return err
        if not isinstance(body, dict):
            return github_error(422, "Invalid request.\n\nInvalid input: body must be an object.")
    with sim.lock:
        app = sim.app_cfg
        if str(req.params[0]) != str(app["installation_id"]):
            return not_found()
        tok = "ghs_" + util.rand_str(36, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        exp = util.now() + sim.knobs["installation_token_lifetime_ms"] / 1000.0
        sim.gh_tokens[tok] = {"kind": "installation", "expires": exp, "installation_id": app["installation_id"]}
        sim.counters.inc("installation_tokens_issued")
    shown = exp + sim.knobs["installation_token_clock_skew_ms"] / 1000.0
    return _json(201, {"token": tok, "expires_at": util.iso(shown),
                       "permissions": {"administration": "write", "organization_self_hosted_runners": "write",
                                       "actions": "read", "metadata": "read"},
                       "repository_selection": "all"})


def _installation_view(sim):
    app = sim.app_cfg
    iid = app["installation_id"]
    acct = app.get("account", "ghr-org")
    ts = util.iso(util.now() - 86400)
    return {"id": iid, "account": {"login": acct, "id": 1000 + iid % 1000, "node_id": "O_sim", "type": "Organization",
                                   "url": "%s/github/users/%s" % (sim.base_url, acct), "site_admin": False},
            "repository_selection": "all",
            "access_tokens_url": "%s/github/app/installations/%s/access_tokens" % (sim.base_url, iid),
            "repositories_url": "%s/github/installation/repositories" % sim.base_url,
            "html_url": "https://github.com/organizations/%s/settings/installations/%s" % (acct, iid),
            "app_id": app["app_id"], "client_id": app["client_id"], "app_slug": app.get("slug", "ghr-sim-app"),
            "target_id": 1000 + iid % 1000, "target_type": "Organization",
            "permissions": {"administration": "write", "organization_self_hosted_runners": "write"},
            "events": ["workflow_job"], "created_at": ts, "updated_at": ts, "single_file_name": None,
            "suspended_by": None, "suspended_at": None}


def org_installation(sim, req):
    with sim.lock:
        sc = _scope(sim, req.params[0])
        if sc is None or sc.kind == "enterprise":
            return not_found()
        v = _installation_view(sim)
    return _json(200, v)


# ---- webhook deliveries through the API ---------------------------------------------------------------

def _hook_ok(sim, req):
    if req.params and req.params[0].startswith(("orgs/", "repos/")):
        if _scope(sim, req.params[0]) is None:
            return False
        return req.params[1] == str(sim.cfg["github"]["hook_id"])
    return True


def list_deliveries(sim, req):
    per_page, _ = _paging(req)
    cursor = req.q("cursor")
    status = req.q("status")
    with sim.lock:
        if not _hook_ok(sim, req):
            return not_found()
    items = sim.webhooks.list(cursor, status, per_page + 1)
    more = len(items) > per_page
    items = items[:per_page]
    hdrs = []
    if more:
        others = [(k, v) for k, vs in req.query.items() if k != "cursor" for v in vs]
        hdrs = [("Link", '<%s%s?%s>; rel="next"' % (sim.base_url, req.path,
                                                     urlencode(others + [("cursor", items[-1]["id"])])))]
    return _json(200, items, hdrs)


def get_delivery(sim, req):
    with sim.lock:
        if not _hook_ok(sim, req):
            return not_found()
    d = sim.webhooks.get(req.params[-1])
    return _json(200, d) if d else not_found()


def redeliver(sim, req):
    with sim.lock:
        if not _hook_ok(sim, req):
            return not_found()
    ok = sim.webhooks.redeliver(req.params[-1])
    return _json(202, {}) if ok else not_found()


R = r"/actions/runners"
ROUTES = [
    # method, regex below /github, handler, route name, auth: token | jwt | none
    ("GET", r"^/rate_limit/?$", rate_limit, "/rate_limit", "none"),
    ("POST", r"^/app/installations/(\d+)/access_tokens/?$", access_token, "/app/installations/{id}/access_tokens", "jwt"),
    ("GET", r"^/(orgs/[^/]+|repos/[^/]+/[^/]+)/installation/?$", org_installation, "/{scope}/installation", "jwt"),
    ("GET", r"^/app/hook/deliveries/?$", list_deliveries, "/app/hook/deliveries", "jwt"),
    ("GET", r"^/app/hook/deliveries/(\d+)/?$", get_delivery, "/app/hook/deliveries/{id}", "jwt"),
    ("POST", r"^/app/hook/deliveries/(\d+)/attempts/?$", redeliver, "/app/hook/deliveries/{id}/attempts", "jwt"),
    ("GET", "^/" + SCOPE + R + r"/?$", list_runners, "/{scope}/actions/runners", "token"),
    ("GET", "^/" + SCOPE + R + r"/downloads/?$", downloads, "/{scope}/actions/runners/downloads", "token"),
    ("POST", "^/" + SCOPE + R + r"/generate-jitconfig/?$", generate_jitconfig, "/{scope}/actions/runners/generate-jitconfig", "token"),
    ("POST", "^/" + SCOPE + R + r"/registration-token/?$", registration_token, "/{scope}/actions/runners/registration-token", "token"),
    ("POST", "^/" + SCOPE + R + r"/remove-token/?$", remove_token, "/{scope}/actions/runners/remove-token", "token"),
    ("GET", "^/" + SCOPE + R + r"/([^/]+)/?$", get_runner, "/{scope}/actions/runners/{id}", "token"),
    ("DELETE", "^/" + SCOPE + R + r"/([^/]+)/?$", delete_runner, "/{scope}/actions/runners/{id}", "token"),
    ("GET", "^/" + SCOPE + R + r"/([^/]+)/labels/?$", runner_labels, "/{scope}/actions/runners/{id}/labels", "token"),
    ("GET", r"^/(orgs/[^/]+|enterprises/[^/]+)/actions/runner-groups/?$", list_groups, "/{scope}/actions/runner-groups", "token"),
    ("GET", r"^/(orgs/[^/]+|enterprises/[^/]+)/actions/runner-groups/(\d+)/?$", get_group, "/{scope}/actions/runner-groups/{id}", "token"),
    ("GET", r"^/repos/([^/]+)/([^/]+)/actions/jobs/([^/]+)/?$", get_job, "/repos/{owner}/{repo}/actions/jobs/{id}", "token"),
    ("GET", r"^/(orgs/[^/]+|repos/[^/]+/[^/]+)/hooks/([^/]+)/deliveries/?$", list_deliveries, "/{scope}/hooks/{id}/deliveries", "token"),
    ("GET", r"^/(orgs/[^/]+|repos/[^/]+/[^/]+)/hooks/([^/]+)/deliveries/(\d+)/?$", get_delivery, "/{scope}/hooks/{id}/deliveries/{id}", "token"),
    ("POST", r"^/(orgs/[^/]+|repos/[^/]+/[^/]+)/hooks/([^/]+)/deliveries/(\d+)/attempts/?$", redeliver, "/{scope}/hooks/{id}/deliveries/{id}/attempts", "token"),
]
