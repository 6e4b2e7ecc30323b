"""Wiring: URL prefixes -> services -> routes, the request pipeline, main().

The pipeline of one API request:
  1. prefix -> service, region, interface (the same table as the Keystone catalog)
  2. route match (404/405 in the service's own error shape)
  3. global latency knob; request-phase faults (latency, hang, reset, error, down)
  4. authentication (Keystone token, or GitHub PAT/installation token/JWT)
  5. GitHub rate-limit faults (after auth, so the headers name the identity)
  6. service preparation (Nova microversion -> 406)
  7. the handler
  8. reply-phase faults (lost_reply, invalid_json)
  9. service decoration (Nova version headers; GitHub ETag/304, rate-limit accounting)
 10. counters and the --log line
"""
import argparse
import json
import os
import random
import re
import signal
import sys
import threading
import time

from . import config, control, faults, files, github, glance, keystone, neutron, nova
from .faults import REPLY_KINDS, service_error
from .httpd import Response, hang_response, json_response, reset_response, serve
from .state import Sim
from .webhooks import Webhooks

MODULES = {"keystone": keystone, "nova": nova, "glance": glance, "neutron": neutron, "github": github,
           "files": files}
REQUEST_KINDS_PRE = ("latency", "hang", "reset", "error", "down")
GITHUB_RL_KINDS = ("rate_limit", "secondary_rate_limit")


def _os_auth(sim, req, auth):
    if not auth:
        req.ctx["token"] = None
        return None
    with sim.lock:
        rec = keystone.check(sim, req)
    if rec is None:
        sim.counters.inc("keystone_token_refused")
        return keystone.unauthorized(sim)
    req.ctx["token"] = rec
    return None


def _not_found(service, path, method_not_allowed=False):
    status = 405 if method_not_allowed else 404
    if service == "github":
        return faults.github_error(404, "Not Found")
    if service == "nova":
        return faults.nova_error(status, "The resource could not be found." if status == 404 else "Method not allowed")
    if service == "glance":
        return faults.glance_error(status, "The resource could not be found.")
    if service == "neutron":
        return faults.neutron_error(status, "HTTPNotFound", "The resource could not be found.")
    return faults.keystone_error(status, "The resource could not be found.")


class ApiApp:
    def __init__(self, sim, log=False):
        self.sim = sim
        self.log = log
        self.stopping = False
        self.rng = random.Random()
        self.prefixes = {}
        for name, typ, region, iface, prefix, suffix in keystone.endpoint_rows(list(sim.regions)):
            self.prefixes.setdefault(prefix, (name, region, iface))
        self.prefixes["/github"] = ("github", None, None)
        self.prefixes["/files"] = ("files", None, None)
        self.routes = {name: [(m, re.compile(rx), fn, rname, auth) for m, rx, fn, rname, auth in mod.ROUTES]
                       for name, mod in MODULES.items()}

    def hang_generation(self):
        return self.sim.faults.generation

    def conn_limits(self):
        k = self.sim.knobs
        return k["keepalive_idle_ms"], k["max_requests_per_conn"]

    def resolve(self, path):
        segs = path.split("/", 5)
        for n in (4, 3, 2):
            if len(segs) >= n:
                prefix = "/".join(segs[:n])
                hit = self.prefixes.get(prefix)
                if hit is not None:
                    return hit + (prefix, path[len(prefix):])
        return None

    def __call__(self, req):
        resp = self._handle(req)
        key = "%s %s %s" % (req.service or "none", req.method, req.route or "unmatched")
        status = resp.status if resp.action is None else resp.action
        self.sim.counters.request(key, status)
        if self.log:
            sys.stderr.write("%s %s %s %s %s %dB %.1fms\n" % (
                time.strftime("%H:%M:%S"), req.method, req.target, status, req.service or "-",
                len(resp.body), (time.monotonic() - req.t0) * 1000))
            sys.stderr.flush()
        return resp

    def _handle(self, req):
        sim = self.sim
        hit = self.resolve(req.path)
        if hit is None:
            return Response(404, b"404 Not Found: no service at this path\n", ctype="text/plain")
        service, region, iface, prefix, sub = hit
        req.service, req.region, req.interface = service, region, iface
        req.ctx["prefix"] = prefix
        req.sub = sub
        mod = MODULES[service]
        route = None
        path_known = False
        for m, rx, fn, rname, auth in self.routes[service]:
            mt = rx.match(sub)
            if mt is None:
                continue
            path_known = True
            if m == req.method or (m == "GET" and req.method == "HEAD"):
                route = (fn, rname, auth, mt.groups())
                break
        if route is None:
            return _not_found(service, req.path, path_known)
        fn, req.route, auth, req.params = route

        lat = sim.knobs["latency_ms"]
        jit = sim.knobs["latency_jitter_ms"]
        if jit:
            lat += self.rng.uniform(0, jit)
        rule = sim.faults.take(REQUEST_KINDS_PRE, service, req.method, req.path)
        if rule is not None and rule.kind == "latency":
            lat += rule.params.get("ms", 1000)
            rule = sim.faults.take(REQUEST_KINDS_PRE[1:], service, req.method, req.path)
        if lat > 0:
            time.sleep(lat / 1000.0)     # threaded server: concurrent requests overlap
        if rule is not None:
            if rule.kind == "hang":
                return hang_response(rule.params.get("ms", 0))
            if rule.kind == "reset":
                return reset_response()
            r = service_error(service, 503 if rule.kind == "down" else int(rule.params.get("status", 500)))
            if service == "github":
                github.decorate(sim, req, r)
            return r

        if service == "github":
            err = github.authenticate(sim, req, auth)
            if err is None:
                rl = sim.faults.take(GITHUB_RL_KINDS, service, req.method, req.path)
                if rl is not None:
                    err = github.fault_response(sim, req, rl)
            if err is not None:
                github.decorate(sim, req, err)
                return err
        elif service != "keystone":
            err = _os_auth(sim, req, auth)
            if err is not None:
                return err
        prep = getattr(mod, "prepare", None)
        if prep is not None:
            err = prep(sim, req)
            if err is not None:
                mod.decorate(sim, req, err)
                return err

        resp = fn(sim, req)

        rule = sim.faults.take(REPLY_KINDS, service, req.method, req.path)
        if rule is not None:
            if rule.kind == "lost_reply":
                sim.counters.inc("lost_replies")
                _hide_created(sim, service, resp, rule.params.get("delay_ms", 0))
                then = rule.params.get("then", "reset")
                if then == "hang":
                    return hang_response(rule.params.get("ms", 0))
                if then == "error":
                    return service_error(service, int(rule.params.get("status", 500)))
                return reset_response()
            if rule.kind == "invalid_json":
                body = resp.body or b'{"x": 1}'
                resp.body = body[: max(1, len(body) // 2)]
                if "status" in rule.params:
                    resp.status = int(rule.params["status"])
                if resp.status in (204, 304):
                    resp.status = 200
                resp.set_header("Content-Type", "application/json")
        dec = getattr(mod, "decorate", None)
        if dec is not None:
            dec(sim, req, resp)
        return resp


def _hide_created(sim, service, resp, delay_ms):
    """lost_reply params.delay_ms: the server the lost create made stays out of Nova's
    listings and GETs for that long, as when nova-api is still inside a timed-out
    create; the control API's /state shows it at once."""
    if not delay_ms or service != "nova" or resp.status != 202:
        return
    try:
        sid = json.loads(resp.body)["server"]["id"]
    except (ValueError, KeyError, TypeError):
        return
    with sim.lock:
        for reg in sim.regions.values():
            s = reg.servers.get(sid)
            if s is not None:
                s.visible_at = time.monotonic() + delay_ms / 1000.0


class ControlApp:
    def __init__(self, sim, api):
        self.sim = sim
        self.api = api
        self.stopping = False
        self.routes = [(m, re.compile(rx), fn) for m, rx, fn in control.ROUTES]

    def hang_generation(self):
        return 0

    def conn_limits(self):
        return 120000, 0

    def __call__(self, req):
        path = req.path.rstrip("/") or "/"
        known = False
        for m, rx, fn in self.routes:
            mt = rx.match(path)
            if mt is None:
                continue
            known = True
            if m != req.method:
                continue
            req.params = mt.groups()
            try:
                return json_response(200, fn(self.sim, req))
            except control.ControlError as e:
                return json_response(e.status, {"error": str(e)})
            except (ValueError, KeyError, TypeError, re.error) as e:
                return json_response(400, {"error": "%s: %s" % (e.__class__.__name__, e)})
        return json_response(405 if known else 404, {"error": "no such control endpoint",
                                                     "endpoints": ["%s %s" % (m, rx) for m, rx, _ in control.ROUTES]})


class Simulator:
    """The whole thing, for tests that want it in-process."""

    def __init__(self, cfg=None, port=0, control_port=0, log=False):
        self.cfg = cfg if cfg is not None else config.load()
        self.sim = Sim(self.cfg)
        self.sim.webhooks = Webhooks(self.sim)
        self.api = ApiApp(self.sim, log)
        self.ctl = ControlApp(self.sim, self.api)
        self.api_srv, _ = serve(port, self.api)
        self.ctl_srv, _ = serve(control_port, self.ctl)
        self.sim.base_url = "http://127.0.0.1:%d" % self.api_srv.server_address[1]
        self.api_url = self.sim.base_url
        self.control_url = "http://127.0.0.1:%d" % self.ctl_srv.server_address[1]
        with self.sim.lock:
            from . import lifecycle
            lifecycle.start_arrivals(self.sim)

    def stop(self):
        self.api.stopping = self.ctl.stopping = True
        self.sim.faults.clear()      # releases hung requests
        for srv in (self.api_srv, self.ctl_srv):
            srv.shutdown()
            srv.server_close()
        self.sim.sched.stop()


def main(argv=None):
    parent = os.getppid()     # as early as possible: --exit-with-parent watches it
    ap = argparse.ArgumentParser(prog="ghr-sim", description="Keystone/Nova/Glance/Neutron/GitHub simulator for ghr")
    ap.add_argument("--port", type=int, default=0, help="API port (0 = ephemeral)")
    ap.add_argument("--control-port", type=int, default=0, help="control API port (0 = ephemeral)")
    ap.add_argument("--config", help="JSON config file (see README.md)")
    ap.add_argument("--log", action="store_true", help="one line per API request on stderr")
    ap.add_argument("--knob", action="append", default=[], metavar="NAME=JSON", help="set a knob at start")
    ap.add_argument("--exit-with-parent", action="store_true",
                    help="exit when the process that started us goes away (no orphans after a crashed harness)")
    args = ap.parse_args(argv)
    try:
        cfg = config.load(args.config)
        for kv in args.knob:
            k, _, v = kv.partition("=")
            if k not in config.KNOBS:
                raise ValueError("unknown knob %s" % k)
            try:
                cfg["knobs"][k] = json.loads(v)
            except ValueError:
                cfg["knobs"][k] = v
    except (OSError, ValueError) as e:
        sys.stderr.write("ghr-sim: %s\n" % e)
        return 2
    sim = Simulator(cfg, args.port, args.control_port, args.log)
    done = threading.Event()

    def on_signal(signum, frame):
        done.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sys.stdout.write("ghr-sim ready api=%s control=%s\n" % (sim.api_url, sim.control_url))
    sys.stdout.flush()
    while not done.wait(0.5):
        if args.exit_with_parent and os.getppid() != parent:
            break
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
