"""The control and observation API (its own port; JSON in, JSON out; no auth).

Tests and benchmarks drive the world through it (queue jobs, faults, knobs,
fixtures) and assert on what it reports (counters, state, consistency).
Every endpoint is listed in ROUTES at the bottom and documented in README.md.
"""
import base64
import hashlib
import re
import time

from . import config, github, lifecycle, nova, util
from .faults import FaultError
from .httpd import BadJSON
from .state import make_flavor, make_network


class ControlError(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def _body(req, default=None):
    if not req.body:
        return {} if default is None else default
    try:
        return req.json()
    except BadJSON as e:
        raise ControlError(400, "body is not JSON: %s" % e)


def _region(sim, name):
    name = name or next(iter(sim.regions))
    reg = sim.regions.get(name)
    if reg is None:
        raise ControlError(404, "no region %s" % name)
    return reg


def _scope(sim, key):
    key = (key or "org:" + sim.cfg["github"]["orgs"][0]).lower()
    sc = sim.scopes.get(key)
    if sc is None:
        raise ControlError(404, "no runner scope %s (known: %s)" % (key, ", ".join(sim.scopes)))
    return sc


def _stats(values):
    if not values:
        return {"count": 0, "median": None, "p95": None, "max": None, "mean": None}
    return {"count": len(values), "median": round(util.percentile(values, 50), 3),
            "p95": round(util.percentile(values, 95), 3), "max": round(max(values), 3),
            "mean": round(sum(values) / len(values), 3)}


def server_brief(sim, s):
    return {"id": s.id, "name": s.name, "region": s.region, "status": s.status, "task_state": s.task_state,
            "metadata": dict(s.metadata), "created": util.iso(s.created), "age_ms": int((util.now() - s.created) * 1000),
            "jit": s.jit_state, "runner_id": s.runner_id, "fault": s.fault, "flags": sorted(s.flags),
            "flavor": s.flavor["name"], "image": s.image_id, "key_name": s.key_name,
            "availability_zone": s.availability_zone, "security_groups": list(s.security_groups),
            "volumes": [dict(v) for v in s.volumes]}


def runner_brief(sim, r):
    return {"id": r.id, "name": r.name, "scope": r.scope, "status": r.status, "busy": r.busy,
            "labels": list(r.labels), "vm_id": r.vm_id, "job_id": r.job_id, "seen_online": r.seen_online,
            "age_ms": int((util.now() - r.created) * 1000)}


def job_brief(sim, j):
    now_m = util.mono()
    wait = ((j.started_m or (now_m if j.status == "queued" else j.completed_m or now_m)) - j.queued_m) * 1000
    return {"id": j.id, "repo": j.repo, "labels": list(j.labels), "status": j.status, "conclusion": j.conclusion,
            "runner_id": j.runner_id, "runner_name": j.runner_name, "queued_at": util.iso(j.created_at, True) + "Z",
            "started_at": util.iso(j.started_at, True) + "Z" if j.started_at else None,
            "completed_at": util.iso(j.completed_at, True) + "Z" if j.completed_at else None,
            "waited_ms": round(wait, 3), "duration_ms": j.duration_ms, "deleted": j.deleted}


# ---- handlers ------------------------------------------------------------------------------

def health(sim, req):
    return {"ok": True, "api": sim.base_url}


def get_config(sim, req):
    return sim.cfg


def counters(sim, req):
    snap = sim.counters.snapshot()
    with sim.lock:
        by_status = {}
        total = deleting = 0
        for reg in sim.regions.values():
            for s in reg.servers.values():
                if s.deleting:          # still listed by Nova (delete_ms), but already asked to go
                    deleting += 1
                    continue
                by_status[s.status] = by_status.get(s.status, 0) + 1
                total += 1
        rs = list(sim.runners.values())
        jobs_by = {}
        for j in sim.jobs.values():
            jobs_by[j.status] = jobs_by.get(j.status, 0) + 1
        now_m = util.mono()
        waiting_now = [(now_m - sim.jobs[jid].queued_m) * 1000 for jid in sim.queue]
        ev = snap["events"]
        buckets = []
        for (ident, res), b in sim.buckets.items():
            lim = github._limit(sim, ident, res)
            buckets.append({"identity": ident, "resource": res, "limit": lim, "used": b[0],
                            "remaining": max(0, lim - b[0]), "reset": b[1]})
        out = {
            "requests": snap["requests"], "requests_by_status": snap["requests_by_status"],
            "requests_by_service": snap["requests_by_service"], "requests_total": snap["requests_total"],
            "events": ev,
            "servers": {"current": total, "by_status": by_status, "deleting": deleting, "created": ev.get("servers_created", 0),
                        "deleted": ev.get("servers_deleted", 0), "error": ev.get("servers_error", 0),
                        "shutoff": ev.get("servers_shutoff", 0)},
            "runners": {"current": len(rs), "online": sum(1 for r in rs if r.status == "online"),
                        "offline": sum(1 for r in rs if r.status == "offline"),
                        "busy": sum(1 for r in rs if r.busy), "idle": len(sim.idle),
                        "registered": ev.get("runners_registered", 0), "came_online": ev.get("runners_online", 0),
                        "deleted": ev.get("runners_deleted", 0), "finished": ev.get("runners_finished", 0)},
            "jobs": {"queued": ev.get("jobs_queued", 0), "started": ev.get("jobs_started", 0),
                     "completed": ev.get("jobs_completed", 0), "waiting": len(sim.queue),
                     "by_status": jobs_by, "queue_ms": _stats(sim.queue_waits_ms),
                     "waiting_ms": _stats(waiting_now)},
            "rate_limit": {"used_total": ev.get("github_rate_used", 0), "not_modified": ev.get("github_not_modified", 0),
                           "refused": ev.get("github_rate_limited", 0), "buckets": buckets},
            "faults_injected": dict(sim.faults.injected),
            "webhooks": {k[len("webhooks_"):]: v for k, v in ev.items() if k.startswith("webhooks_")},
        }
    return out


def reset_counters(sim, req):
    sim.counters.reset()
    with sim.lock:
        sim.queue_waits_ms = []
        sim.faults.injected = {}
    return {"ok": True}


def state(sim, req):
    with sim.lock:
        return {
            "servers": [server_brief(sim, s) for reg in sim.regions.values() for s in reg.servers.values()],
            "runners": [runner_brief(sim, r) for r in sim.runners.values()],
            "jobs": [job_brief(sim, j) for j in sim.jobs.values()],
            "images": [{"id": im.id, "name": im.name, "status": im.status, "tags": list(im.tags), "region": im.region,
                        "properties": dict(im.properties)}
                       for reg in sim.regions.values() for im in reg.images.values()],
            "flavors": [dict(f, region=reg.name) for reg in sim.regions.values() for f in reg.flavors.values()],
            "networks": [{"id": n["id"], "name": n["name"], "region": reg.name}
                         for reg in sim.regions.values() for n in reg.networks.values()],
            "faults": sim.faults.list(), "knobs": dict(sim.knobs),
        }


def reset(sim, req):
    body = _body(req)
    sim.reset()
    if body.get("knobs"):
        set_knobs_dict(sim, body["knobs"])
    with sim.lock:
        lifecycle.start_arrivals(sim)
    return {"ok": True}


def get_knobs(sim, req):
    with sim.lock:
        return dict(sim.knobs)


def set_knobs_dict(sim, body):
    if not isinstance(body, dict):
        raise ControlError(400, "knobs: expected an object")
    unknown = [k for k in body if k not in config.KNOBS]
    if unknown:
        raise ControlError(400, "unknown knobs: %s" % ", ".join(unknown))
    with sim.lock:
        for k, v in body.items():
            d = config.KNOBS[k][0]
            if isinstance(d, bool) and not isinstance(v, bool) or \
                    isinstance(d, (int, float)) and not isinstance(d, bool) and (not isinstance(v, (int, float)) or isinstance(v, bool)) or \
                    isinstance(d, str) and not isinstance(v, str) or isinstance(d, list) and not isinstance(v, list):
                raise ControlError(400, "knob %s: expected %s" % (k, type(d).__name__))
            if k == "nova_db" and v not in ("mysql", "sqlite"):
                raise ControlError(400, "knob nova_db: 'mysql' or 'sqlite'")
        sim.knobs.update(body)
        if "job_arrival_per_min" in body:
            lifecycle.start_arrivals(sim)
        return dict(sim.knobs)


def set_knobs(sim, req):
    return set_knobs_dict(sim, _body(req))


def list_faults(sim, req):
    return {"faults": sim.faults.list(), "injected": dict(sim.faults.injected)}


def add_fault(sim, req):
    body = _body(req)
    specs = body if isinstance(body, list) else [body]
    try:
        return {"faults": [sim.faults.add(s) for s in specs]}
    except FaultError as e:
        raise ControlError(400, str(e))


def clear_faults(sim, req):
    sim.faults.clear()
    return {"ok": True}


def delete_fault(sim, req):
    if not sim.faults.remove(int(req.params[0])):
        raise ControlError(404, "no such fault")
    return {"ok": True}


def queue_jobs(sim, req):
    body = _body(req)
    if not isinstance(body, dict):
        raise ControlError(400, "expected an object")
    labels = body.get("labels", ["self-hosted"])
    if not isinstance(labels, list) or not all(isinstance(l, str) for l in labels):
        raise ControlError(400, "labels: expected a list of strings")
    repo = body.get("repo") or sim.cfg["github"]["repos"][0]
    if "/" not in repo:
        raise ControlError(400, "repo: expected owner/name")
    n = body.get("count", 1)
    if not util.is_int(n) or n < 1 or n > 100000:
        raise ControlError(400, "count: expected 1..100000")
    with sim.lock:
        ids = [lifecycle.queue_job(sim, body).id for _ in range(n)]
    return {"jobs": ids}


def list_jobs(sim, req):
    st = req.q("status")
    with sim.lock:
        return {"jobs": [job_brief(sim, j) for j in sim.jobs.values() if st is None or j.status == st]}


def _job(sim, req):
    j = sim.jobs.get(int(req.params[0]))
    if j is None:
        raise ControlError(404, "no such job")
    return j


def get_job(sim, req):
    with sim.lock:
        j = _job(sim, req)
        return dict(job_brief(sim, j), github=lifecycle.job_view(sim, j))


def cancel_job(sim, req):
    with sim.lock:
        j = _job(sim, req)
        if j.status == "in_progress":
            lifecycle.job_done(sim, j.id, "cancelled", runner_gone=True)
        else:
            lifecycle.job_done(sim, j.id, "cancelled", runner_gone=False)
        return job_brief(sim, j)


def forget_job(sim, req):
    with sim.lock:
        j = _job(sim, req)
        j.deleted = True
        sim.queue.pop(j.id, None)
        return {"ok": True}


def list_servers(sim, req):
    rx = re.compile(req.q("name")) if req.q("name") else None
    with sim.lock:
        return {"servers": [server_brief(sim, s) for reg in sim.regions.values() for s in reg.servers.values()
                            if rx is None or rx.search(s.name)]}


def _server(sim, req):
    s = sim.find_server(req.params[0])
    if s is None:
        raise ControlError(404, "no such server")
    return s


def server_status(sim, req):
    body = _body(req)
    st = body.get("status")
    with sim.lock:
        s = _server(sim, req)
        if st == "ERROR":
            lifecycle.set_error(sim, s, body.get("fault") or {})
        elif st == "SHUTOFF":
            if s.status != "ACTIVE":
                s.status = "ACTIVE"
            lifecycle.power_off(sim, s.id)
        elif st == "ACTIVE":
            if s.status == "BUILD":
                lifecycle.boot(sim, s.id)
            else:
                s.status, s.vm_state, s.power_state, s.fault = "ACTIVE", "active", 1, None
        else:
            raise ControlError(400, "status: ERROR, SHUTOFF or ACTIVE")
        return server_brief(sim, s)


def vanish_server(sim, req):
    with sim.lock:
        s = _server(sim, req)
        nova.remove_server(sim, sim.regions[s.region], s.id)
        return {"ok": True}


def vanish_image(sim, req):
    with sim.lock:
        for region in sim.regions.values():
            if region.images.pop(req.params[0], None) is not None:
                return {"ok": True}
    raise ControlError(404, "no such image")


def list_runners(sim, req):
    with sim.lock:
        return {"runners": [runner_brief(sim, r) for r in sim.runners.values()]}


def _runner(sim, req):
    r = sim.runners.get(int(req.params[0]))
    if r is None:
        raise ControlError(404, "no such runner")
    return r


def runner_offline(sim, req):
    body = _body(req)
    with sim.lock:
        r = _runner(sim, req)
        lifecycle.set_offline(sim, r, int(body.get("ms", 1000)))
        return runner_brief(sim, r)


def runner_remove(sim, req):
    with sim.lock:
        r = _runner(sim, req)
        lifecycle.remove_runner(sim, r)
        return {"ok": True}


def seed(sim, req):
    """Fixtures in their final state, fast (no timers): benchmarks seed thousands."""
    body = _body(req)
    t0 = time.monotonic()
    out = {"servers": 0, "runners": 0, "images": [], "flavors": [], "networks": []}
    with sim.lock:
        reg = _region(sim, body.get("region"))
        pid = body.get("project_id") or sim.cfg["keystone"]["projects"][0]["id"]
        uid = sim.cfg["keystone"]["users"][0]["id"]
        for f in body.get("flavors", []):
            fl = make_flavor(f)
            reg.flavors[fl["id"]] = fl
            out["flavors"].append(fl["id"])
        for n in body.get("networks", []):
            net = make_network(n, pid)
            reg.networks[net["id"]] = net
            out["networks"].append(net["id"])
        for i in body.get("images", []):
            out["images"].append(sim.add_image(reg, i).id)
        sv = body.get("servers")
        if sv:
            specs = sv if isinstance(sv, list) else [
                dict(sv, name="%s%05d" % (sv.get("name_prefix", "ghr-seed-"), k)) for k in range(sv.get("count", 0))]
            for sp in specs:
                s = nova.seed_server(sim, reg, sp, pid, uid)
                out["servers"] += 1
                if sp.get("with_runner", sp.get("with_runners", False)):
                    _seed_runner(sim, _scope(sim, sp.get("runner_scope")), {
                        "name": s.name, "labels": sp.get("labels", ["self-hosted"]),
                        "status": sp.get("runner_status", "online"), "busy": sp.get("busy", False)}, s)
                    out["runners"] += 1
        rn = body.get("runners")
        if rn:
            specs = rn if isinstance(rn, list) else [
                dict(rn, name="%s%05d" % (rn.get("name_prefix", "ghr-seed-runner-"), k)) for k in range(rn.get("count", 0))]
            for sp in specs:
                _seed_runner(sim, _scope(sim, sp.get("scope")), sp, None)
                out["runners"] += 1
    out["ms"] = round((time.monotonic() - t0) * 1000, 1)
    return out


def _seed_runner(sim, sc, sp, server):
    if sp["name"].lower() in sc.names:
        raise ControlError(409, "runner %s exists in %s" % (sp["name"], sc.key))
    r = github.new_runner(sim, sc, sp["name"], sp.get("labels", ["self-hosted"]), sp.get("runner_group_id", 1))
    sim.counters.inc("runners_seeded")
    if server is not None:
        r.vm_id = server.id
        server.runner_id = r.id
        server.jit_state = "seeded"
    if sp.get("status", "online") == "online":
        r.status, r.os, r.version, r.seen_online = "online", "linux", sim.knobs["runner_version"], True
        if sp.get("busy"):
            r.busy = True   # busy with a job the simulator does not know: it stays busy
        else:
            lifecycle.make_idle(sim, r)
    return r


def consistency(sim, req):
    max_wait = req.q("max_wait_ms")
    with sim.lock:
        servers = [s for reg in sim.regions.values() for s in reg.servers.values() if not s.deleting]
        rnames = {}
        for r in sim.runners.values():
            rnames.setdefault(r.name, r)
        vm_count = {}
        for s in servers:
            vm_count[s.name] = vm_count.get(s.name, 0) + 1
        vms_without = [dict(server_brief(sim, s)) for s in servers if s.name not in rnames]
        runners_without = [runner_brief(sim, r) for r in sim.runners.values() if r.name not in vm_count]
        dups = {n: c for n, c in vm_count.items() if c > 1}
        late = []
        if max_wait is not None:
            lim = float(max_wait)
            for j in sim.jobs.values():
                b = job_brief(sim, j)
                if b["waited_ms"] > lim and not j.deleted:
                    late.append(b)
        ev = sim.counters.snapshot()["events"]
        rep = {"vms_without_runners": vms_without, "runners_without_vms": runners_without,
               "duplicate_vm_names": dups, "jobs_waited_longer": late,
               "jit_reused": ev.get("jit_reused", 0), "jit_invalid": ev.get("jit_invalid", 0),
               "shutoff_vms": sum(1 for s in servers if s.status == "SHUTOFF"),
               "error_vms": sum(1 for s in servers if s.status == "ERROR"),
               "jobs_waiting": len(sim.queue)}
        rep["ok"] = not (vms_without or runners_without or dups or late)
        return rep


def list_webhooks(sim, req):
    n = int(req.q("limit", 1000))
    return {"deliveries": sim.webhooks.list(None, req.q("status"), n)}


def get_webhook(sim, req):
    d = sim.webhooks.get(req.params[0], internal=True)
    if d is None:
        raise ControlError(404, "no such delivery")
    return d


def redeliver_webhook(sim, req):
    if not sim.webhooks.redeliver(req.params[0]):
        raise ControlError(404, "no such delivery")
    return {"ok": True}


def expire_tokens(sim, req):
    body = _body(req)
    with sim.lock:
        past = util.now() - 1
        if body.get("keystone", True):
            for t in sim.tokens.values():
                t["expires"] = past
        if body.get("github", True):
            for t in sim.gh_tokens.values():
                t["expires"] = past
    return {"ok": True}


def set_ratelimit(sim, req):
    """{"remaining": N, "resource": "core"}: every identity (configured PATs,
    the installation, and any seen so far) gets N left in the current window."""
    body = _body(req)
    res = body.get("resource", "core")
    rem = body.get("remaining")
    if not util.is_int(rem) or rem < 0:
        raise ControlError(400, "remaining: expected an integer >= 0")
    with sim.lock:
        idents = {k[0] for k in sim.buckets}
        idents |= {github._token_identity(sim, p) for p in sim.pats}
        idents.add("installation:%s" % sim.app_cfg["installation_id"])
        for ident in idents:
            b = github._bucket(sim, ident, res)
            b[0] = max(0, github._limit(sim, ident, res) - rem)
    return {"ok": True, "identities": sorted(idents)}


def set_github(sim, req):
    """{"pats": [...], "app": {"public_key_pem", "app_id", "client_id", "installation_id"}}"""
    body = _body(req)
    with sim.lock:
        if "pats" in body:
            sim.pats = set(body["pats"])
        if "app" in body:
            sim.app_cfg.update(body["app"])
        return {"pats": len(sim.pats), "app": {k: v for k, v in sim.app_cfg.items() if k != "public_key_pem"}}


def put_file(sim, req):
    """{"path": "noble/SHA256SUMS", "text": "..."} or {"path": ..., "b64": "..."}: served at /files/<path>."""
    body = _body(req)
    path = body.get("path")
    if not isinstance(path, str) or not re.match(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", path) \
            or any(p in (".", "..") for p in path.split("/")):
        raise ControlError(400, "path: a relative path of [A-Za-z0-9._-] parts")
    if isinstance(body.get("text"), str):
        data = body["text"].encode()
    elif isinstance(body.get("b64"), str):
        data = base64.b64decode(body["b64"])
    else:
        raise ControlError(400, "text or b64 required")
    with sim.lock:
        sim.files[path] = data
    return {"url": sim.base_url + "/files/" + path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


ROUTES = [
    ("GET", r"^/health$", health),
    ("POST", r"^/files$", put_file),
    ("GET", r"^/config$", get_config),
    ("GET", r"^/counters$", counters),
    ("POST", r"^/counters/reset$", reset_counters),
    ("GET", r"^/state$", state),
    ("POST", r"^/reset$", reset),
    ("GET", r"^/knobs$", get_knobs),
    ("POST", r"^/knobs$", set_knobs),
    ("GET", r"^/faults$", list_faults),
    ("POST", r"^/faults$", add_fault),
    ("DELETE", r"^/faults$", clear_faults),
    ("DELETE", r"^/faults/(\d+)$", delete_fault),
    ("POST", r"^/jobs$", queue_jobs),
    ("GET", r"^/jobs$", list_jobs),
    ("GET", r"^/jobs/(\d+)$", get_job),
    ("POST", r"^/jobs/(\d+)/cancel$", cancel_job),
    ("DELETE", r"^/jobs/(\d+)$", forget_job),
    ("GET", r"^/servers$", list_servers),
    ("POST", r"^/servers/([^/]+)/status$", server_status),
    ("DELETE", r"^/servers/([^/]+)$", vanish_server),
    ("DELETE", r"^/images/([^/]+)$", vanish_image),
    ("GET", r"^/runners$", list_runners),
    ("POST", r"^/runners/(\d+)/offline$", runner_offline),
    ("DELETE", r"^/runners/(\d+)$", runner_remove),
    ("POST", r"^/seed$", seed),
    ("GET", r"^/consistency$", consistency),
    ("GET", r"^/webhooks$", list_webhooks),
    ("GET", r"^/webhooks/(\d+)$", get_webhook),
    ("POST", r"^/webhooks/(\d+)/redeliver$", redeliver_webhook),
    ("POST", r"^/tokens/expire$", expire_tokens),
    ("POST", r"^/ratelimit$", set_ratelimit),
    ("POST", r"^/github$", set_github),
]
