"""The simulated world: everything the services show, under one lock.

One RLock (Sim.lock) guards all state.  Handlers hold it while they read or
change the world and build plain dicts; JSON encoding happens after release.
Timed transitions (boot, runner start, job end...) go through the Scheduler,
whose callbacks also take the lock.  A reset bumps Sim.generation so callbacks
scheduled before it do nothing.
"""
import bisect
import heapq
import itertools
import sys
import threading
import traceback
from collections import OrderedDict

from . import config, util
from .faults import Faults


class Scheduler:
    """One thread running callbacks at monotonic deadlines (heap ordered)."""

    def __init__(self):
        self.heap = []
        self.cv = threading.Condition()
        self.seq = itertools.count()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="sim-scheduler", daemon=True)
        self.thread.start()

    def at(self, delay_ms, fn, *args):
        when = util.mono() + max(0, delay_ms) / 1000.0
        with self.cv:
            heapq.heappush(self.heap, (when, next(self.seq), fn, args))
            if self.heap[0][0] == when:
                self.cv.notify()

    def _run(self):
        while True:
            with self.cv:
                while not self.stopping:
                    if self.heap:
                        wait = self.heap[0][0] - util.mono()
                        if wait <= 0:
                            break
                        self.cv.wait(min(wait, 1.0))
                    else:
                        self.cv.wait(1.0)
                if self.stopping:
                    return
                _, _, fn, args = heapq.heappop(self.heap)
            try:
                fn(*args)
            except Exception:
                traceback.print_exc(file=sys.stderr)

    def stop(self):
        with self.cv:
            self.stopping = True
            self.cv.notify()


class Counters:
    """Request counts per route and status, plus named event counters."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = {}   # "service METHOD route" -> {status: n}
            self.events = {}     # name -> n

    def request(self, key, status):
        with self.lock:
            d = self.requests.get(key)
            if d is None:
                d = self.requests[key] = {}
            d[status] = d.get(status, 0) + 1

    def inc(self, name, n=1):
        with self.lock:
            self.events[name] = self.events.get(name, 0) + n

    def snapshot(self):
        with self.lock:
            reqs = {k: {str(s): n for s, n in v.items()} for k, v in self.requests.items()}
            by_status = {}
            by_service = {}
            total = 0
            for k, v in self.requests.items():
                svc = k.split(" ", 1)[0]
                for s, n in v.items():
                    by_status[str(s)] = by_status.get(str(s), 0) + n
                    by_service[svc] = by_service.get(svc, 0) + n
                    total += n
            return {"requests": reqs, "requests_by_status": by_status,
                    "requests_by_service": by_service, "requests_total": total,
                    "events": dict(self.events)}


# ---- models --------------------------------------------------------------------

class Server:
    __slots__ = ("id", "name", "region", "project_id", "user_id", "status", "vm_state", "task_state",
                 "power_state", "created", "updated", "launched_at", "metadata", "image_id", "flavor",
                 "networks", "addresses", "user_data", "key_name", "instance_name", "reservation_id",
                 "host_id", "fault", "description", "tags", "availability_zone", "config_drive",
                 "security_groups", "volumes", "flags", "runner_id", "jit_state", "seq", "deleting", "visible_at",
                 "console")

    def __init__(self):
        self.flags = set()        # fault flags taken at create: vm_error, stuck_build, runner_no_start
        self.runner_id = None     # GitHub runner its JIT config registered
        self.jit_state = "none"   # none | valid | invalid | reused | absent
        self.fault = None
        self.deleting = False
        self.console = []         # console log lines (os-getConsoleOutput)
        self.visible_at = 0.0     # time.monotonic() before which Nova's API does not show it
                                  # (lost_reply params.delay_ms: a create still inside nova-api)


class Image:
    __slots__ = ("id", "name", "status", "visibility", "owner", "tags", "properties", "created_at",
                 "updated_at", "size", "virtual_size", "disk_format", "container_format", "checksum",
                 "os_hash_algo", "os_hash_value", "min_disk", "min_ram", "protected", "os_hidden",
                 "region", "seq")


class Runner:
    __slots__ = ("id", "name", "scope", "labels", "group_id", "status", "busy", "os", "version",
                 "ephemeral", "created", "vm_id", "job_id", "seen_online", "offline_until", "nonce")


class Job:
    __slots__ = ("id", "run_id", "repo", "labels", "name", "workflow_name", "head_branch", "head_sha",
                 "status", "conclusion", "created_at", "started_at", "completed_at", "queued_m",
                 "started_m", "completed_m", "runner_id", "runner_name", "runner_group_id",
                 "runner_group_name", "duration_ms", "conclusion_wanted", "deleted", "run_attempt")


class Scope:
    """Where runners live: an org, a repo or an enterprise (GitHub keeps them apart)."""
    __slots__ = ("key", "kind", "name", "runners", "names", "groups", "_list")

    def __init__(self, kind, name, groups):
        self.kind = kind          # org | repo | enterprise
        self.name = name          # display name as configured
        self.key = "%s:%s" % (kind, name.lower())
        self.runners = OrderedDict()   # id -> Runner, ascending id = GitHub's list order
        self.names = {}                # lower name -> id
        self.groups = groups
        self._list = None              # cached list(runners.values()), for cheap page slices

    def runner_list(self):
        if self._list is None:
            self._list = list(self.runners.values())
        return self._list

    def changed(self):
        self._list = None


class Region:
    def __init__(self, name):
        self.name = name
        self.servers = OrderedDict()   # id -> Server, creation order
        self.by_name = {}              # name -> set(ids)
        self.sorted_names = []         # distinct names, sorted: prefix lookups for name=^literal filters
        self.gone = {}                 # deleted server id -> seq (Nova finds a deleted marker)
        self.by_lname = {}             # lower-cased name -> set(names): case-insensitive (MySQL) lookups
        self.sorted_lnames = []
        self.images = OrderedDict()
        self.flavors = OrderedDict()
        self.networks = OrderedDict()
        self.usage = {}                # project -> [instances, cores, ram]

    def add_server(self, s):
        self.servers[s.id] = s
        ids = self.by_name.get(s.name)
        if ids is None:
            ids = self.by_name[s.name] = set()
            bisect.insort(self.sorted_names, s.name)
            ln = s.name.lower()
            ns = self.by_lname.get(ln)
            if ns is None:
                ns = self.by_lname[ln] = set()
                bisect.insort(self.sorted_lnames, ln)
            ns.add(s.name)
        ids.add(s.id)

    def remove_server(self, sid):
        s = self.servers.pop(sid, None)
        if s is None:
            return None
        self.gone[sid] = s.seq
        ids = self.by_name.get(s.name)
        if ids is not None:
            ids.discard(sid)
            if not ids:
                del self.by_name[s.name]
                i = bisect.bisect_left(self.sorted_names, s.name)
                if i < len(self.sorted_names) and self.sorted_names[i] == s.name:
                    del self.sorted_names[i]
                ln = s.name.lower()
                ns = self.by_lname.get(ln)
                if ns is not None:
                    ns.discard(s.name)
                    if not ns:
                        del self.by_lname[ln]
                        i = bisect.bisect_left(self.sorted_lnames, ln)
                        if i < len(self.sorted_lnames) and self.sorted_lnames[i] == ln:
                            del self.sorted_lnames[i]
        return s

    def names_with_prefix(self, prefix, ignore_case=False):
        if ignore_case:
            lp = prefix.lower()
            lo = bisect.bisect_left(self.sorted_lnames, lp)
            hi = bisect.bisect_left(self.sorted_lnames, lp + "\U0010ffff")
            return sorted(n for ln in self.sorted_lnames[lo:hi] for n in self.by_lname[ln])
        lo = bisect.bisect_left(self.sorted_names, prefix)
        hi = bisect.bisect_left(self.sorted_names, prefix + "\U0010ffff")
        return self.sorted_names[lo:hi]

    def use(self, project, flavor, sign):
        u = self.usage.setdefault(project, [0, 0, 0])
        u[0] += sign
        u[1] += sign * flavor["vcpus"]
        u[2] += sign * flavor["ram"]


def make_flavor(spec):
    return {
        "id": spec.get("id") or util.uuid4(), "name": spec["name"],
        "vcpus": spec.get("vcpus", 1), "ram": spec.get("ram", 512), "disk": spec.get("disk", 1),
        "swap": spec.get("swap", 0), "ephemeral": spec.get("ephemeral", 0),
        "is_public": spec.get("is_public", True), "disabled": spec.get("disabled", False),
        "rxtx_factor": spec.get("rxtx_factor", 1.0), "description": spec.get("description"),
        "extra_specs": dict(spec.get("extra_specs") or {}),
    }


def make_network(spec, project_id):
    ts = util.iso(util.now())
    nid = spec.get("id") or util.uuid4()
    return {
        "id": nid, "name": spec["name"], "tenant_id": spec.get("project_id", project_id),
        "project_id": spec.get("project_id", project_id), "admin_state_up": True, "mtu": spec.get("mtu", 1450),
        "status": "ACTIVE", "subnets": list(spec.get("subnets") or []), "shared": bool(spec.get("shared", False)),
        "availability_zone_hints": [], "availability_zones": ["nova"], "ipv4_address_scope": None,
        "ipv6_address_scope": None, "router:external": bool(spec.get("external", False)),
        "description": spec.get("description", ""), "port_security_enabled": True, "qos_policy_id": None,
        "l2_adjacency": True, "tags": list(spec.get("tags") or []), "created_at": ts, "updated_at": ts,
        "revision_number": 1, "is_default": False, "dns_domain": "",
    }


class Sim:
    JOB_ID_BASE = 30000000000    # real job ids exceed 2^32: a 32-bit int in C breaks here
    RUN_ID_BASE = 12000000000

    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.RLock()
        self.sched = Scheduler()
        self.counters = Counters()
        self.faults = Faults()
        self.generation = 0
        self.base_url = "http://127.0.0.1:0"   # set by the app once the port is known
        self.log = None
        self.webhooks = None                   # set by the app
        self.reset()

    # -- scheduling with reset protection -------------------------------------
    def later(self, delay_ms, fn, *args):
        gen = self.generation

        def run():
            with self.lock:
                if gen == self.generation:
                    fn(*args)
        self.sched.at(delay_ms, run)

    def knob(self, name):
        return self.knobs[name]

    # -- (re)building the world from the config --------------------------------
    def reset(self):
        with self.lock:
            self.generation += 1
            cfg = self.cfg
            self.knobs = config.default_knobs()
            self.knobs.update(cfg.get("knobs", {}))
            self.faults.clear()
            self.counters.reset()
            ks = cfg["keystone"]
            self.domains = {d["id"]: d for d in ks["domains"]}
            self.projects = {p["id"]: p for p in ks["projects"]}
            self.users = {u["id"]: u for u in ks["users"]}
            self.appcreds = {a["id"]: a for a in ks["application_credentials"]}
            self.tokens = {}                      # keystone token -> dict
            self.regions = OrderedDict()
            for rn in cfg["regions"]:
                self.regions[rn] = Region(rn)
            self.server_seq = itertools.count(1)
            self.image_seq = itertools.count(1)
            self.servers_created = 0
            for reg in self.regions.values():
                for f in cfg["flavors"]:
                    fl = make_flavor(f)
                    reg.flavors[fl["id"]] = fl
                for n in cfg["networks"]:
                    net = make_network(n, config.PROJECT_ID)
                    reg.networks[net["id"]] = net
                for i in cfg["images"]:
                    self.add_image(reg, i)
            gh = cfg["github"]
            self.groups = OrderedDict((g["id"], dict(g)) for g in gh["runner_groups"])
            self.scopes = {}
            for o in gh["orgs"]:
                self.add_scope("org", o)
            for r in gh["repos"]:
                self.add_scope("repo", r)
            for e in gh["enterprises"]:
                self.add_scope("enterprise", e)
            self.runners = {}
            self.runner_seq = itertools.count(101)
            self.label_ids = {}
            self.jit = {}                         # nonce -> {"runner_id", "used_by"}
            self.files = {}                       # /files/<path> -> bytes (files.py)
            self.gh_tokens = {}                   # installation/registration token -> dict
            self.pats = set(gh["pats"])
            self.app_cfg = dict(gh["app"])
            self.buckets = {}                     # (identity, resource) -> [used, reset_epoch]
            self.writes = {}                      # identity -> deque of monotonic times of recent writes
            self.jobs = OrderedDict()
            self.queue = OrderedDict()            # queued job ids, FIFO
            self.idle = OrderedDict()             # idle online runner ids, longest idle first
            self.job_seq = itertools.count(self.JOB_ID_BASE + 1)
            self.run_seq = itertools.count(self.RUN_ID_BASE + 1)
            self.queue_waits_ms = []              # wait of every started job
            self.arrival_gen = 0
            if self.webhooks is not None:
                self.webhooks.reset()
            self.hang_gen_bump()

    def hang_gen_bump(self):
        self.faults.generation += 1

    def add_scope(self, kind, name):
        s = Scope(kind, name, self.groups)
        self.scopes[s.key] = s
        return s

    def add_image(self, reg, spec):
        im = Image()
        ts = spec.get("created_at_ts", util.now())
        im.id = spec.get("id") or util.uuid4()
        im.name = spec.get("name")
        im.status = spec.get("status", "active")
        im.visibility = spec.get("visibility", "private")
        im.owner = spec.get("owner", config.PROJECT_ID)
        im.tags = list(spec.get("tags") or [])
        im.properties = dict(spec.get("properties") or {})
        im.created_at = ts
        im.updated_at = ts
        active = im.status == "active"
        im.size = spec.get("size", 1048576) if active else None
        im.virtual_size = im.size
        im.disk_format = spec.get("disk_format", "raw") if active else None
        im.container_format = spec.get("container_format", "bare") if active else None
        im.checksum = spec.get("checksum", util.hex32()) if active else None
        im.os_hash_algo = "sha512" if active else None
        im.os_hash_value = (util.hex32() * 4) if active else None
        im.min_disk = spec.get("min_disk", 0)
        im.min_ram = spec.get("min_ram", 0)
        im.protected = bool(spec.get("protected", False))
        im.os_hidden = bool(spec.get("os_hidden", False))
        im.region = reg.name
        im.seq = next(self.image_seq)
        reg.images[im.id] = im
        return im

    # -- lookups ------------------------------------------------------------------
    def find_server(self, sid):
        for reg in self.regions.values():
            s = reg.servers.get(sid)
            if s is not None:
                return s
        return None

    def servers_named(self, name):
        out = []
        for reg in self.regions.values():
            for sid in reg.by_name.get(name, ()):
                out.append(reg.servers[sid])
        return out

    def runner_names(self):
        return {r.name for r in self.runners.values()}

    def label_id(self, name):
        k = name.lower()
        lid = self.label_ids.get(k)
        if lid is None:
            lid = self.label_ids[k] = len(self.label_ids) + 1
        return lid
