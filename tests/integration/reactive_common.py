"""Helpers of the reactive-job tests: ghrd with the webhook and reactive-consumer workers
on a FerretDB job store, driven by the simulator's signed webhook deliveries."""
import hashlib
import hmac
import json
import os
import urllib.error
import urllib.request

from ferret import free_port
from harness import Ghrd, wait_until
from scaler_common import FAST_KNOBS, pool, scaler_config

SECRET = "ghr-webhook-secret"          # the simulator's default webhook secret


def reactive_pool(name="rx", labels=None, max_runners=0, min_idle=0):
    p = pool(name, min_idle=min_idle, max_runners=max_runners, labels=labels or [name])
    p["reactive"] = True
    return p


def start_reactive(sim, db, pools, manager_id="t", consumers=2, reactive=None,
                   webhook=None, sim_webhook=True, config=None, wait_ready=True, **kw):
    """ghrd with webhook + consumers; the simulator delivers to its listener.  config is
    merged last (supervisor settings and the like)."""
    port = free_port()
    g = Ghrd(None, sim=sim, start=False)
    secret_file = os.path.join(g.tmp, "webhook-secret")
    uri_file = os.path.join(g.tmp, "mongodb-uri")
    with open(secret_file, "w") as f:
        f.write(SECRET + "\n")
    with open(uri_file, "w") as f:
        f.write(db.uri + "\n")
    cfg = scaler_config(pools, manager_id=manager_id, **kw)
    cfg["webhook"] = dict({"listen": f"127.0.0.1:{port}", "secret_file": secret_file,
                           "spool_dir": os.path.join(g.tmp, "spool")}, **(webhook or {}))
    cfg["reactive"] = dict({"mongodb_uri_file": uri_file, "consumers": consumers, "lease": "12s",
                            "poll_interval": "1s", "pickup_timeout": "30s", "backoff": "1s",
                            "db_timeout": "2s"}, **(reactive or {}))
    from harness import deep_merge
    g.write_config(deep_merge(deep_merge(g.config, cfg), config or {}))
    g.webhook_url = f"http://127.0.0.1:{port}/webhook"
    g.health_url = f"http://127.0.0.1:{port}/health"
    if sim_webhook:
        sim.post("/knobs", dict(FAST_KNOBS, webhook_url=g.webhook_url))
    else:
        sim.post("/knobs", FAST_KNOBS)
    g.start(wait_ready=wait_ready)
    return g


def sign(body, secret=SECRET):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


SIGNED = object()


def post(url, body, event="workflow_job", signature=SIGNED, delivery="d-1", headers=None, timeout=10):
    """POST a delivery (signed unless signature says otherwise; None: no signature header);
    returns (status, parsed body or text)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    h = {"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
         "X-Hub-Signature-256": sign(body) if signature is SIGNED else signature}
    h.update(headers or {})
    h = {k: v for k, v in h.items() if v is not None}
    req = urllib.request.Request(url, data=body, method="POST", headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw, code = r.read(), r.status
    except urllib.error.HTTPError as e:
        raw, code = e.read(), e.code
    try:
        return code, json.loads(raw)
    except ValueError:
        return code, raw.decode(errors="replace")


def get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def job_payload(job_id, action="queued", labels=("self-hosted", "rx"), repo="ghr-org/ghr-repo",
                runner_name=None):
    return {"action": action,
            "workflow_job": {"id": job_id, "run_id": job_id * 10, "status": action, "labels": list(labels),
                             "runner_name": runner_name, "workflow_name": "CI", "conclusion": None,
                             "created_at": "2026-01-01T00:00:00Z", "started_at": None, "completed_at": None},
            "repository": {"full_name": repo, "owner": {"login": repo.split("/")[0]}}}


def jobs(g):
    rc, out = g.ctl("jobs")
    assert rc == 0, out
    return out


def counts(g):
    """{status: n} over the live set."""
    out = jobs(g)
    c = {}
    for row in out["counts"]:
        c[row["status"]] = c.get(row["status"], 0) + row["count"]
    return c


def wait_jobs_done(sim, n, timeout):
    def done():
        c = sim.get("/counters")["jobs"]
        return c["completed"] >= n and c
    return wait_until(done, timeout, f"{n} jobs completed in the simulator")


def spawns_per_job(*ghrds):
    """{job_id: runners spawned for it}, from the consumers' log lines of every ghrd."""
    per = {}
    for (job, _attempt), n in spawns_per_attempt(*ghrds).items():
        per[job] = per.get(job, 0) + n
    return per


def spawns_per_attempt(*ghrds):
    """{(job_id, attempt): runners spawned}: more than 1 anywhere is a job served twice."""
    import re
    per = {}
    for g in ghrds:
        for m in re.finditer(r'msg="runner spawned for job" job_id=(\d+) attempt=(\d+)', g.log()):
            key = (int(m.group(1)), int(m.group(2)))
            per[key] = per.get(key, 0) + 1
    return per


def nova_creates(sim):
    c = sim.get("/counters")
    return sum(v for k, d in c["requests"].items() if k.startswith("nova POST") and k.endswith("/servers")
               for v in d.values())


def store_jobs(db):
    """{job_id: {status, spawns, attempt, reason}} of every job in the store (build/tests/jobrace)."""
    import subprocess
    from harness import BUILD
    out = subprocess.run([os.path.join(BUILD, "tests", "jobrace"), db.uri, "list"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    return {d["id"]: d for d in map(json.loads, out.splitlines())}
