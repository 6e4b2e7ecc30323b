"""Fault rules.

A rule = what to do (kind + params) + which requests (service, method, path
regex) + how often (rate = probability per matching request, count = next N
matching requests; both may be given, neither means "every matching request
until cleared").  Rules are checked in the order they were added; the first one
that matches and fires wins.

Where each kind acts:
  request phase (before the handler runs, nothing happens in the world):
    latency, hang, reset, error, down, rate_limit, secondary_rate_limit
  reply phase (the handler ran, its effect is real, the client sees something else):
    lost_reply, invalid_json
  consumed by Nova when a server is created (match the create request):
    vm_error, stuck_build, runner_no_start, quota
  consumed by Nova's createImage action (match POST .../action):
    snapshot_error
  consumed by Nova's server DELETE (match DELETE .../servers/<id>):
    delete_error
  consumed by webhook delivery (service "webhook"):
    drop, duplicate, latency
"""
import random
import re
import threading

from .httpd import Response, json_response

SERVICES = ("keystone", "nova", "glance", "neutron", "github", "webhook")
# "openstack" is shorthand for the four cloud services.
GROUPS = {"openstack": ("keystone", "nova", "glance", "neutron")}

KINDS = {
    "latency": "add params.ms (default 1000) before answering",
    "hang": "accept the request and never answer (until the client gives up, params.ms passes, or faults are cleared)",
    "reset": "close the connection with a TCP RST instead of answering",
    "error": "answer params.status (default 500) with the service's real error body",
    "down": "answer 503 with the service's error body (e.g. Keystone down)",
    "rate_limit": "GitHub primary rate limit: params.status 403|429 (default knob rate_limit_status), remaining 0",
    "secondary_rate_limit": "GitHub secondary rate limit: 403|429 (params.status, default 403) with retry-after params.retry_after "
                            "(default 60; null = no retry-after header, as GitHub often does)",
    "lost_reply": "do the action, then params.then = reset (default) | error | hang instead of the reply; "
                  "params.delay_ms keeps a server it created out of Nova's API that long",
    "invalid_json": "do the action, then reply with params.status (default: the real one) and a truncated JSON body",
    "vm_error": "the created server goes ERROR after boot_ms with fault {code: params.code (500), message: params.message}",
    "stuck_build": "the created server stays BUILD forever",
    "runner_no_start": "the created server boots but its runner never comes online",
    "quota": "server create refused as over quota (params.status 403|413, default knob quota_status; params.resource instances|cores|ram)",
    "delete_error": "DELETE server: Nova marks it task_state deleting, then answers params.status (500) and "
                    "the server stays listed as deleting until deleted again (Nova losing Keystone mid-delete)",
    "snapshot_error": "createImage: the snapshot fails, its Glance image goes 'killed' (and the server's task_state back to none)",
    "drop": "webhook: the delivery fails (recorded with status_code 0, 'timed out'); redeliver to get it",
    "duplicate": "webhook: the delivery is sent twice",
}
REQUEST_KINDS = ("latency", "hang", "reset", "error", "down", "rate_limit", "secondary_rate_limit")
REPLY_KINDS = ("lost_reply", "invalid_json")
CREATE_KINDS = ("vm_error", "stuck_build", "runner_no_start", "quota")
WEBHOOK_KINDS = ("drop", "duplicate", "latency")


class FaultError(ValueError):
    pass


class Rule:
    __slots__ = ("id", "kind", "services", "method", "path", "path_src", "rate", "count", "params", "hits")

    def __init__(self, rid, spec):
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultError("unknown fault kind %r (known: %s)" % (kind, ", ".join(KINDS)))
        self.id = rid
        self.kind = kind
        svc = spec.get("service")
        if svc is None:
            self.services = None
        else:
            names = svc if isinstance(svc, list) else [svc]
            out = []
            for n in names:
                if n in GROUPS:
                    out.extend(GROUPS[n])
                elif n in SERVICES:
                    out.append(n)
                else:
                    raise FaultError("unknown service %r" % n)
            self.services = frozenset(out)
        m = spec.get("method")
        self.method = m.upper() if m else None
        self.path_src = spec.get("path")
        try:
            self.path = re.compile(self.path_src) if self.path_src else None
        except re.error as e:
            raise FaultError("bad path regex: %s" % e)
        rate = spec.get("rate")
        if rate is not None and not (isinstance(rate, (int, float)) and 0 <= rate <= 1):
            raise FaultError("rate must be a number 0..1")
        self.rate = rate
        count = spec.get("count")
        if count is not None and not (isinstance(count, int) and count > 0):
            raise FaultError("count must be a positive integer")
        self.count = count
        self.params = dict(spec.get("params") or {})
        self.hits = 0

    def matches(self, service, method, path):
        if self.services is not None and service not in self.services:
            return False
        if self.method is not None and method != self.method:
            return False
        if self.path is not None and not self.path.search(path):
            return False
        return True

    def view(self):
        return {"id": self.id, "kind": self.kind,
                "service": sorted(self.services) if self.services else None,
                "method": self.method, "path": self.path_src, "rate": self.rate,
                "count_left": self.count, "params": self.params, "hits": self.hits}


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.next_id = 1
        self.injected = {}        # kind -> times fired (survives the rule)
        self.generation = 0       # bumped by clear(): releases hung requests
        self.rng = random.Random()

    def add(self, spec):
        with self.lock:
            r = Rule(self.next_id, spec)
            self.next_id += 1
            self.rules.append(r)
            return r.view()

    def remove(self, rid):
        with self.lock:
            before = len(self.rules)
            self.rules = [r for r in self.rules if r.id != rid]
            self.generation += 1
            return len(self.rules) != before

    def clear(self):
        with self.lock:
            self.rules = []
            self.generation += 1

    def list(self):
        with self.lock:
            return [r.view() for r in self.rules]

    def take(self, kinds, service, method, path):
        """First rule of one of `kinds` matching the request that fires now, or None."""
        if not self.rules:      # fast path, no lock: the common case in benchmarks
            return None
        with self.lock:
            for r in self.rules:
                if r.kind not in kinds or not r.matches(service, method, path):
                    continue
                if r.rate is not None and self.rng.random() >= r.rate:
                    continue
                r.hits += 1
                self.injected[r.kind] = self.injected.get(r.kind, 0) + 1
                if r.count is not None:
                    r.count -= 1
                    if r.count <= 0:
                        self.rules.remove(r)
                return r
        return None


# ---- the real error bodies of each service ----------------------------------

GITHUB_DOCS = "https://docs.github.com/rest"

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           409: "Conflict", 413: "Request Entity Too Large", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}

# Nova wraps errors as {"<faultName>": {"code": N, "message": ...}} (see
# nova-error-404-response.json and nova-error-bad-microversion-response.json).
_NOVA_FAULT_NAMES = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
                     405: "badMethod", 409: "conflictingRequest", 413: "overLimit",
                     415: "badMediaType", 501: "notImplemented", 503: "serviceUnavailable"}


def nova_error(status, message, headers=None):
    name = _NOVA_FAULT_NAMES.get(status, "computeFault")
    return json_response(status, {name: {"code": status, "message": message}}, headers)


def keystone_error(status, message=None):
    # Keystone (and keystonemiddleware in front of every service) answer
    # {"error": {"code", "message", "title"}}.
    msg = message or {401: "The request you have made requires authentication.",
                      500: "An unexpected error prevented the server from fulfilling your request.",
                      503: "Service Unavailable"}.get(status, _TITLES.get(status, "Error"))
    return json_response(status, {"error": {"code": status, "message": msg,
                                            "title": _TITLES.get(status, "Error")}})


def glance_error(status, message=""):
    # Glance answers errors through webob: an HTML page, not JSON. Clients must
    # rely on the status code.
    title = "%d %s" % (status, _TITLES.get(status, "Error"))
    body = ("<html>\n <head>\n  <title>%s</title>\n </head>\n <body>\n  <h1>%s</h1>\n  %s<br /><br />\n\n\n\n"
            " </body>\n</html>" % (title, title, message))
    return Response(status, body.encode(), ctype="text/html; charset=UTF-8")


def neutron_error(status, etype, message):
    return json_response(status, {"NeutronError": {"type": etype, "message": message, "detail": ""}})


def github_error(status, message, doc=GITHUB_DOCS, headers=None, extra=None):
    body = {"message": message, "documentation_url": doc, "status": str(status)}
    if extra:
        body.update(extra)
    return json_response(status, body, headers)


def service_error(service, status):
    """The body a service answers when it fails in a generic way (fault kinds error/down)."""
    if service == "nova":
        if status >= 500 and status != 503:
            return nova_error(status, "Unexpected API Error. Please report this at "
                                      "http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n"
                                      "<class 'sqlalchemy.exc.OperationalError'>")
        return nova_error(status, _TITLES.get(status, "Error"))
    if service == "glance":
        return glance_error(status, "The server has either erred or is incapable of performing the requested operation.")
    if service == "neutron":
        return neutron_error(status, "HTTPInternalServerError" if status >= 500 else "HTTPError",
                             "Request Failed: internal server error while processing your request.")
    if service == "keystone":
        return keystone_error(status)
    if service == "github":
        if status in (502, 503, 504):
            return github_error(status, "Server Error")
        return github_error(status, _TITLES.get(status, "Error"))
    return Response(status, b"error\n", ctype="text/plain")
