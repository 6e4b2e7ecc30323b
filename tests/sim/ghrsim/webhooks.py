"""Signed workflow_job deliveries, like GitHub's webhook service.

Payloads are the captured samples (tests/fixtures/api/webhooks/) with workflow_job replaced by the
live job and repository/organization renamed to the job's repository.  Each
delivery is recorded (for the control API and for GitHub's own
.../hooks/{id}/deliveries API) and can be redelivered: same guid, same body,
new delivery id, redelivery=true.  Fault rules with service "webhook" match the
path "workflow_job/<action>" (kinds drop, duplicate, latency).
"""
import copy
import hashlib
import hmac
import http.client
import json
import os
import queue
import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit

from . import lifecycle, util

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "fixtures", "api", "webhooks")
KEEP = 10000


def _load(name):
    with open(os.path.join(DATA, name)) as f:
        return json.load(f)


def _rename(obj, old, new):
    """Deep copy of obj with every string occurrence of old replaced by new."""
    if isinstance(obj, dict):
        return {k: _rename(v, old, new) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rename(v, old, new) for v in obj]
    if isinstance(obj, str):
        return obj.replace(old, new)
    return obj


def _stable_int(s, mod=10 ** 9):
    return int(hashlib.sha256(s.encode()).hexdigest()[:12], 16) % mod + 1000


class Webhooks:
    def __init__(self, sim, workers=4):
        self.sim = sim
        self.lock = threading.Lock()
        self.queued = _load("workflow_job.queued.1.json")
        self.completed = _load("workflow_job.completed.1.json")
        self.deliveries = OrderedDict()
        self.next_id = 1
        self.gen = 0
        self.q = queue.Queue()
        for i in range(workers):
            threading.Thread(target=self._worker, name="sim-webhook-%d" % i, daemon=True).start()

    def reset(self):
        with self.lock:
            self.deliveries.clear()
            self.gen += 1

    # -- building ---------------------------------------------------------------------
    def payload(self, j, action):
        sim = self.sim
        owner = j.repo.split("/", 1)[0]
        tpl_repo = self.queued["repository"]
        repo = _rename(tpl_repo, tpl_repo["full_name"], j.repo)
        repo = _rename(repo, tpl_repo["owner"]["login"], owner)
        repo["name"] = j.repo.split("/", 1)[1]
        repo["full_name"] = j.repo
        repo["id"] = _stable_int(j.repo.lower())
        repo["owner"]["login"] = owner
        repo["owner"]["id"] = _stable_int(owner.lower())
        org = _rename(self.completed["organization"], self.completed["organization"]["login"], owner)
        org["id"] = repo["owner"]["id"]
        inst = copy.deepcopy(self.queued["installation"])
        inst["id"] = sim.app_cfg["installation_id"]
        return {"action": action, "workflow_job": lifecycle.job_view(sim, j), "repository": repo,
                "organization": org, "sender": copy.deepcopy(self.queued["sender"]), "installation": inst}

    def job_event(self, j, action):
        """Called with sim.lock held when a job changes state."""
        sim = self.sim
        url = sim.knobs["webhook_url"]
        if not url:
            return
        body = json.dumps(self.payload(j, action), separators=(",", ":")).encode()
        rule = sim.faults.take(("drop", "duplicate", "latency"), "webhook", "POST", "workflow_job/" + action)
        times = 2 if rule is not None and rule.kind == "duplicate" else 1
        guid = util.uuid4()     # a duplicate is the same delivery sent twice: same guid
        for _ in range(times):
            rec = self._record(guid, action, j.id, body, url, False)
            if rule is not None and rule.kind == "drop":
                self._finish(rec, 0, "timed out", 0.0, {}, "")
                sim.counters.inc("webhooks_dropped")
                continue
            delay = rule.params.get("ms", 1000) if rule is not None and rule.kind == "latency" else 0
            self.q.put((self.gen, rec, delay))

    def _record(self, guid, action, job_id, body, url, redelivery):
        sim = self.sim
        secret = sim.knobs["webhook_secret"].encode()
        with self.lock:
            did = self.next_id
            self.next_id += 1
            org_id = _stable_int(json.loads(body)["repository"]["owner"]["login"].lower())
            headers = {
                "Accept": "*/*", "Content-Type": "application/json",
                "User-Agent": "GitHub-Hookshot/sim0001", "X-GitHub-Event": "workflow_job",
                "X-GitHub-Delivery": guid, "X-GitHub-Hook-ID": str(sim.cfg["github"]["hook_id"]),
                "X-GitHub-Hook-Installation-Target-ID": str(org_id),
                "X-GitHub-Hook-Installation-Target-Type": "organization",
                "X-Hub-Signature": "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest(),
                "X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
            }
            rec = {"id": did, "guid": guid, "delivered_at": util.iso(util.now()), "redelivery": redelivery,
                   "duration": 0.0, "status": "pending", "status_code": 0, "event": "workflow_job",
                   "action": action, "installation_id": sim.app_cfg["installation_id"],
                   "repository_id": json.loads(body)["repository"]["id"], "throttled_at": None,
                   "url": url, "job_id": job_id, "body": body, "headers": headers,
                   "response": {"headers": {}, "payload": None}}
            self.deliveries[did] = rec
            while len(self.deliveries) > KEEP:
                self.deliveries.popitem(last=False)
        self.sim.counters.inc("webhooks_created")
        return rec

    def _finish(self, rec, code, status, duration, rheaders, rbody):
        with self.lock:
            rec["status_code"] = code
            rec["status"] = status
            rec["duration"] = round(duration, 3)
            rec["response"] = {"headers": rheaders, "payload": rbody}

    # -- sending ---------------------------------------------------------------------------
    def _worker(self):
        while True:
            gen, rec, delay = self.q.get()
            if gen != self.gen:
                continue
            if delay:
                time.sleep(delay / 1000.0)
            self._send(rec)

    def _send(self, rec):
        sim = self.sim
        t0 = time.monotonic()
        u = urlsplit(rec["url"])
        try:
            conn = http.client.HTTPConnection(u.hostname, u.port or 80,
                                              timeout=sim.knobs["webhook_timeout_ms"] / 1000.0)
            conn.request("POST", (u.path or "/") + ("?" + u.query if u.query else ""), body=rec["body"],
                         headers=rec["headers"])
            resp = conn.getresponse()
            rbody = resp.read(1024).decode("utf-8", "replace")
            code = resp.status
            conn.close()
            status = "OK" if 200 <= code < 300 else "Invalid HTTP Response: %d" % code
            self._finish(rec, code, status, time.monotonic() - t0, dict(resp.getheaders()), rbody)
            sim.counters.inc("webhooks_delivered" if 200 <= code < 300 else "webhooks_failed")
        except TimeoutError:
            self._finish(rec, 0, "timed out", time.monotonic() - t0, {}, "")
            sim.counters.inc("webhooks_failed")
        except OSError as e:
            self._finish(rec, 0, "failed to connect to host: %s" % e.__class__.__name__, time.monotonic() - t0, {}, "")
            sim.counters.inc("webhooks_failed")

    # -- reading and redelivering -------------------------------------------------------------
    @staticmethod
    def _item(rec):
        return {k: rec[k] for k in ("id", "guid", "delivered_at", "redelivery", "duration", "status",
                                    "status_code", "event", "action", "installation_id", "repository_id",
                                    "throttled_at")}

    def list(self, cursor=None, status=None, limit=30):
        """Newest first; cursor = a delivery id, list those older than it."""
        with self.lock:
            out = []
            for rec in reversed(self.deliveries.values()):
                if cursor is not None and str(cursor).isdigit() and rec["id"] >= int(cursor):
                    continue
                ok = 200 <= rec["status_code"] < 300
                if status == "success" and not ok or status == "failure" and (ok or rec["status"] == "pending"):
                    continue
                out.append(self._item(rec))
                if len(out) >= limit:
                    break
            return out

    def get(self, did, internal=False):
        with self.lock:
            rec = self.deliveries.get(int(did)) if str(did).isdigit() else None
            if rec is None:
                return None
            v = self._item(rec)
            v["url"] = rec["url"]
            v["request"] = {"headers": dict(rec["headers"]), "payload": json.loads(rec["body"])}
            v["response"] = copy.deepcopy(rec["response"])
            if internal:
                v["job_id"] = rec["job_id"]
            return v

    def redeliver(self, did):
        with self.lock:
            rec = self.deliveries.get(int(did)) if str(did).isdigit() else None
        if rec is None:
            return False
        new = self._record(rec["guid"], rec["action"], rec["job_id"], rec["body"], rec["url"], True)
        self.sim.counters.inc("webhooks_redelivered")
        self.q.put((self.gen, new, 0))
        return True
