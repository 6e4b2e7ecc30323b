"""Shared helpers of the simulator's own tests (not a test module itself).

Tests run the simulator in-process (fast: no interpreter start) on ephemeral
loopback ports, reset it between tests through the control API, and wait for
conditions with a deadline rather than sleeping.
"""
import base64
import http.client
import json
import os
import sys
import time
import unittest
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from ghrsim import config  # noqa: E402
from ghrsim.app import Simulator  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
API_DIR = os.path.join(REPO, "tests", "fixtures", "api")

PAT = config.DEFAULTS["github"]["pats"][0]
PROJECT_ID = config.PROJECT_ID
NOVA = {"OpenStack-API-Version": "compute 2.79"}
FAST = {"boot_ms": 40, "runner_start_ms": 40, "job_duration_ms": 120, "shutdown_ms": 20,
        "snapshot_saving_ms": 30, "snapshot_active_ms": 30, "builder_run_ms": 40, "runner_lost_ms": 80}


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    def h(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<Resp %s %r>" % (self.status, self.body[:300])


def request(base, method, path, body=None, headers=None, timeout=10):
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        if "Content-Type" in hdrs and hdrs["Content-Type"] is None:
            del hdrs["Content-Type"]          # send no Content-Type at all
        conn.request(method, u.path.rstrip("/") + path, body=data, headers=hdrs)
        r = conn.getresponse()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def gh_headers(token=PAT, **extra):
    h = {"Authorization": "Bearer " + token, "Accept": "application/vnd.github+json",
         "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "ghr-sim-tests"}
    h.update(extra)
    return h


def wait_for(fn, timeout=5.0, interval=0.01, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(interval)


def user_data_for(jit, quote="'"):
    script = "#!/bin/sh\nset -e\ncd /home/runner\n./run.sh --jitconfig %s%s%s\nsudo poweroff\n" % (quote, jit, quote)
    return base64.b64encode(script.encode()).decode()


class SimTestCase(unittest.TestCase):
    knobs = FAST
    cfg_overrides = None

    @classmethod
    def setUpClass(cls):
        cls.sim = Simulator(config.load(overrides=cls.cfg_overrides))
        cls.api = cls.sim.api_url
        cls.ctl = cls.sim.control_url

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        r = self.control("POST", "/reset", {"knobs": self.knobs})
        self.assertEqual(r.status, 200, r)
        self._tok = None

    # -- shortcuts -------------------------------------------------------------------------
    def control(self, method, path, body=None):
        return request(self.ctl, method, path, body)

    def cj(self, method, path, body=None):
        r = self.control(method, path, body)
        self.assertEqual(r.status, 200, r)
        return r.json

    def call(self, method, path, body=None, headers=None, timeout=10):
        return request(self.api, method, path, body, headers, timeout)

    def token(self):
        if self._tok is None:
            r = self.call("POST", "/identity/v3/auth/tokens", password_auth())
            self.assertEqual(r.status, 201, r)
            self._tok = r.h("X-Subject-Token")
        return self._tok

    def nova(self, method, path, body=None, headers=None):
        h = {"X-Auth-Token": self.token()}
        h.update(NOVA)
        h.update(headers or {})
        return self.call(method, "/compute/v2.1" + path, body, h)

    def glance(self, method, path, body=None, headers=None):
        h = {"X-Auth-Token": self.token()}
        h.update(headers or {})
        return self.call(method, "/image" + path, body, h)

    def gh(self, method, path, body=None, token=PAT, **extra):
        return self.call(method, "/github" + path, body, gh_headers(token, **extra))

    def jit(self, name, labels=("self-hosted", "small"), scope="/orgs/ghr-org"):
        r = self.gh("POST", scope + "/actions/runners/generate-jitconfig",
                    {"name": name, "runner_group_id": 1, "labels": list(labels)})
        self.assertEqual(r.status, 201, r)
        return r.json

    def create_server(self, name, user_data=None, flavor="0cacf076-e4c3-4dc9-adcd-29f859adb802",
                      image="5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f", networks="none", **extra):
        srv = {"name": name, "imageRef": image, "flavorRef": flavor, "networks": networks,
               "metadata": {"ghr-manager": "test", "ghr-pool": "small"}}
        if user_data is not None:
            srv["user_data"] = user_data
        srv.update(extra)
        return self.nova("POST", "/servers", {"server": srv})

    def server_status(self, sid):
        r = self.nova("GET", "/servers/" + sid)
        return r.json["server"]["status"] if r.status == 200 else r.status

    def counters(self):
        return self.cj("GET", "/counters")


ADMIN = ("ghr-admin", "ghr-admin-secret")    # a user with the admin role (Nova shows it more)


def password_auth(user="ghr", password="ghr-secret", project="ghr"):
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}


def load_api(*parts):
    with open(os.path.join(API_DIR, *parts)) as f:
        return json.load(f)
