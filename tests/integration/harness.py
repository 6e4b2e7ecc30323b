"""Integration-test harness: the simulator, ghrd with a temporary config, ghr-ctl, and
one worker alone under build/tests/wtest (WorkerDriver).

    from harness import Sim, Ghrd, wait_until

    with Sim() as sim, Ghrd({"workers": {"fake": {"instances": 2}}}, sim=sim) as g:
        rc, st = g.ctl("status")
        wait_until(lambda: g.worker("fake.1")["state"] == "ready", 15, "fake.1 ready")

Everything runs on loopback and in temporary directories; every wait is bounded and
fails with a message naming what was awaited.  GHR_BUILD points at the build tree
(default ./build).  Python standard library only.
"""
import atexit
import copy
import grp
import json
import os
import pwd
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(os.environ.get("GHR_BUILD", os.path.join(SRC, "build")))
GHRD = os.path.join(BUILD, "bin", "ghrd")
CTL = os.path.join(BUILD, "bin", "ghr-ctl")
LIBEXEC = os.path.join(BUILD, "libexec", "ghr")
SIM = os.path.join(SRC, "tests", "sim", "ghr-sim")
WTEST = os.environ.get("GHR_WTEST", os.path.join(BUILD, "tests", "wtest"))

SIM_PAT = "ghp_simtoken0000000000000000000000000000"
SIM_ORG = "ghr-org"


class WaitTimeout(AssertionError):
    pass


class StopWaiting(AssertionError):
    """Raised by a predicate when waiting longer cannot help (e.g. ghrd exited)."""


def wait_until(pred, timeout, what, interval=0.02):
    """Poll pred() until it returns something truthy (returned) or fail after timeout s.
    Exceptions from pred are retried (it may race a restart), except StopWaiting."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except StopWaiting:
            raise
        except Exception as e:  # a predicate may race a restart; keep polling
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise WaitTimeout(f"timed out after {timeout}s waiting for {what}{extra}")
        time.sleep(interval)


# ghr-ctl exit codes that come with a reply: 0, and 3 (status: the fleet is degraded).
STATUS_ANSWERED = (0, 3)

_REACHABLE = {}


def reachable_copy(path):
    """A copy of the executable `path` that any user can run, wherever the build tree
    is (a clone under a 0700 home is out of reach of the user a test switches to):
    one world-searchable temporary directory per test process, removed at exit."""
    if "dir" not in _REACHABLE:
        _REACHABLE["dir"] = tempfile.mkdtemp(prefix="ghr-bin-")
        os.chmod(_REACHABLE["dir"], 0o755)
        atexit.register(shutil.rmtree, _REACHABLE["dir"], ignore_errors=True)
    copy_ = os.path.join(_REACHABLE["dir"], os.path.basename(path))
    if not os.path.exists(copy_):
        shutil.copy2(path, copy_)
        os.chmod(copy_, 0o755)
    return copy_


def deep_merge(base, over):
    """base updated recursively with over (dicts merge, anything else replaces)."""
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def to_yaml(v, indent=0):
    """A small YAML emitter for config dicts (JSON scalars are valid YAML)."""
    pad = "  " * indent
    if isinstance(v, dict):
        if not v:
            return "{}"
        lines = []
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                lines.append(f"{pad}{k}:\n{to_yaml(x, indent + 1)}")
            else:
                lines.append(f"{pad}{k}: {to_yaml(x, 0)}")
        return "\n".join(lines)
    if isinstance(v, list):
        if not v:
            return "[]"
        lines = []
        for x in v:
            if isinstance(x, dict) and x:
                body = to_yaml(x, indent + 1).lstrip()
                lines.append(f"{pad}- {body}")
            else:
                lines.append(f"{pad}- {to_yaml(x, 0)}")
        return "\n".join(lines)
    return json.dumps(v)


# ---- the simulator ------------------------------------------------------------------

class Sim:
    """tests/sim/ghr-sim on loopback ports chosen by the kernel, started with
    --exit-with-parent (a crashed test run leaves no simulator behind).

    config: the simulator's JSON config; knobs: {name: value} set at start; log: one
    line per API request in log().  ctl(method, path, body) calls the control API;
    get/post/delete and the helpers below are shorthands for it."""

    def __init__(self, config=None, log=False, knobs=None):
        self.tmp = tempfile.mkdtemp(prefix="ghr-sim-")
        args = [sys.executable, SIM, "--port", "0", "--control-port", "0", "--exit-with-parent"]
        if config:
            path = os.path.join(self.tmp, "sim.json")
            with open(path, "w") as f:
                json.dump(config, f)
            args += ["--config", path]
        for k, v in (knobs or {}).items():
            args += ["--knob", f"{k}={json.dumps(v)}"]
        if log:
            args.append("--log")
        self.log_path = os.path.join(self.tmp, "sim.log")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._log, text=True)
        line = self._read_ready(15)
        fields = dict(p.split("=", 1) for p in line.split()[2:])
        self.api = fields["api"]
        self.control = fields["control"]
        self.github_url = self.api + "/github"
        self.keystone_url = self.api + "/identity/v3"

    def _read_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
                line = self.proc.stdout.readline()
                if line.startswith("ghr-sim ready"):
                    return line.strip()
                if not line:
                    break
        self.stop()
        raise RuntimeError(f"ghr-sim did not become ready; see {self.log_path}:\n{self.log()[-2000:]}")

    def ctl(self, method, path, body=None):
        """One control-API call; the reply's JSON ({} when empty).  An HTTP error fails."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.control + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            raise AssertionError(f"sim {method} {path}: {e.code} {e.read()[:300]!r}")
        return json.loads(raw) if raw else {}

    def get(self, path):
        return self.ctl("GET", path)

    def post(self, path, body=None):
        return self.ctl("POST", path, body if body is not None else {})

    def delete(self, path):
        return self.ctl("DELETE", path)

    # shorthands

    def knobs(self, **knobs):
        """Set knobs (all knobs back); without arguments just read them."""
        return self.post("/knobs", knobs) if knobs else self.get("/knobs")

    def fault(self, **rule):
        """Add one fault rule (see tests/sim/README.md, Faults); returns the rules."""
        return self.post("/faults", rule)

    def counters(self):
        return self.get("/counters")

    def requests(self, route):
        """Requests to one route ("nova GET /servers/detail"), whatever their status."""
        return sum(self.counters()["requests"].get(route, {}).values())

    def servers(self, name=None):
        """Every server in /state, or those named exactly name."""
        return [s for s in self.get("/state")["servers"] if name is None or s["name"] == name]

    def runners(self):
        return self.get("/runners")["runners"]

    def seed_runners(self, count, prefix, scope="org:" + SIM_ORG, **extra):
        return self.post("/seed", {"runners": dict(count=count, name_prefix=prefix, scope=scope, **extra)})

    def clouds_yaml(self, directory, cloud="sim"):
        """Write a clouds.yaml for this simulator's default user; returns its path."""
        path = os.path.join(directory, "clouds.yaml")
        with open(path, "w") as f:
            f.write(to_yaml({"clouds": {cloud: {
                "auth_type": "password",
                "auth": {"auth_url": self.keystone_url, "username": "ghr",
                         "password": "ghr-secret", "project_name": "ghr",
                         "user_domain_name": "Default", "project_domain_name": "Default"},
                "region_name": "RegionOne", "interface": "public"}}}) + "\n")
        return path

    def log(self):
        """The simulator's stderr (with log=True: one line per API request)."""
        return read_text(self.log_path)

    def stop(self):
        """SIGTERM (SIGKILL after 5 s) and wait; the temporary directory stays (log())."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self._log.close()

    def close(self):
        """stop() and remove the temporary directory (kept with GHR_KEEP_TMP)."""
        self.stop()
        if not os.environ.get("GHR_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- ghrd -----------------------------------------------------------------------------

def base_config(tmp, sim=None):
    """Defaults every test starts from: fast clocks, only what the test enables."""
    token = os.path.join(tmp, "github-token")
    with open(token, "w") as f:
        f.write(SIM_PAT + "\n")
    os.chmod(token, 0o600)
    cfg = {
        "manager_id": "t",
        "run_dir": os.path.join(tmp, "run"),
        "log": {"level": "debug", "file": os.path.join(tmp, "ghr.log")},
        "supervisor": {"heartbeat": "100ms", "liveness": 5, "ready_timeout": "10s",
                       "restart_intensity": 5, "restart_period": "60s", "backoff_max": "1s",
                       "libexec_dir": LIBEXEC,
                       # The suites run as root on machines without the ghr-* users:
                       # workers stay root unless a test names a user (Privileges).
                       "user": "", "group": "", "run_workers_as_root": True},
        "github": {"path": SIM_ORG, "auth": {"token_file": token},
                   "api_url": sim.github_url if sim else "http://127.0.0.1:9/github"},
        "openstack": {"cloud": "sim",
                      "clouds_yaml": sim.clouds_yaml(tmp) if sim else os.path.join(tmp, "none.yaml")},
        "reconcile": {"interval": "1s"},
    }
    if not sim:
        # without a simulator only the fake worker makes sense
        cfg["workers"] = {"github": {"instances": 0}, "openstack": {"instances": 0},
                          "scaler": {"instances": 0}, "fake": {"instances": 1}}
    return cfg


class Ghrd:
    """build/bin/ghrd with a temporary config merged onto base_config()."""

    def __init__(self, config=None, sim=None, start=True, wait_ready=True, timeout=20,
                 env=None):
        self.tmp = tempfile.mkdtemp(prefix="ghr-test-")
        self.config = deep_merge(base_config(self.tmp, sim), config or {})
        self.run_dir = self.config["run_dir"]
        self.log_path = self.config["log"]["file"]
        self.config_path = os.path.join(self.tmp, "ghr.yaml")
        self.write_config()
        self.stderr_path = os.path.join(self.tmp, "ghrd.stderr")
        self.proc = None
        self.env = env
        if start:
            self.start(wait_ready=wait_ready, timeout=timeout)

    def write_config(self, config=None):
        if config is not None:
            self.config = config
        with open(self.config_path, "w") as f:
            f.write(to_yaml(self.config) + "\n")

    def start(self, wait_ready=True, timeout=20):
        self._stderr = open(self.stderr_path, "a")
        env = dict(os.environ, **(self.env or {}))
        self.proc = subprocess.Popen([GHRD, "-f", self.config_path], stdout=self._stderr,
                                     stderr=self._stderr, env=env)
        if wait_ready:
            self.wait_ready(timeout)
        return self.proc

    def wait_ready(self, timeout=20):
        def ready():
            if self.proc.poll() is not None:
                raise StopWaiting(f"ghrd exited with {self.proc.returncode}:\n{self.stderr()}"
                                     f"\n{self.log()[-3000:]}")
            rc, st = self.ctl("status", timeout_ms=1000)
            return rc in STATUS_ANSWERED and st.get("ready") and st
        return wait_until(ready, timeout, "ghrd and every worker ready")

    def ctl(self, *args, timeout_ms=5000, json_out=True):
        """Run ghr-ctl; returns (exit code, parsed JSON or the raw stdout+stderr)."""
        cmd = [CTL, "-r", self.run_dir, "-t", str(timeout_ms)]
        if json_out:
            cmd.append("--json")
        p = subprocess.run(cmd + list(args), capture_output=True, text=True,
                           timeout=timeout_ms / 1000 + 10)
        if json_out and p.returncode in STATUS_ANSWERED:
            try:
                return p.returncode, json.loads(p.stdout)
            except ValueError:
                pass
        return p.returncode, p.stdout + p.stderr

    def status(self):
        rc, st = self.ctl("status")
        if rc not in STATUS_ANSWERED:
            raise AssertionError(f"ghr-ctl status failed ({rc}): {st}")
        return st

    def worker(self, name):
        for w in self.status()["workers"]:
            if w["name"] == name:
                return w
        raise AssertionError(f"no worker {name} in status")

    def call(self, method, body=None, to=None, timeout_ms=5000):
        args = ["call", method]
        if body is not None:
            args.append(json.dumps(body))
        if to:
            args += ["--to", to]
        return self.ctl(*args, timeout_ms=timeout_ms)

    def log(self):
        return read_text(self.log_path)

    def stderr(self):
        return read_text(self.stderr_path)

    def worker_pids(self):
        """pids of every process whose parent is ghrd."""
        pids = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        st = f.read()
                    ppid = int(st[st.rindex(")") + 2:].split()[1])
                except (OSError, ValueError):
                    continue
                if self.proc and ppid == self.proc.pid:
                    pids.append(int(d))
        return pids

    def wait_exit(self, timeout=15):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"ghrd did not exit within {timeout}s")

    def stop(self, expect_clean=True, timeout=30):
        """SIGTERM and wait; with expect_clean, assert exit status 0."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        rc = self.wait_exit(timeout)
        if expect_clean and rc != 0:
            raise AssertionError(f"ghrd exited {rc} after SIGTERM:\n{self.stderr()}")
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def close(self):
        try:
            if self.proc and self.proc.poll() is None:
                self.stop(expect_clean=False, timeout=30)
        finally:
            self.kill()
            if hasattr(self, "_stderr"):
                self._stderr.close()
            if os.environ.get("GHR_KEEP_TMP"):
                return
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None and os.environ.get("GHR_TEST_VERBOSE"):
            print(self.log()[-5000:])
        self.close()


# ---- one worker under build/tests/wtest ------------------------------------------------

class WorkerDriver:
    """One worker (libexec/ghr/NAME) run by build/tests/wtest with a config slice and a
    secret, no ghrd.  request() sends one call and waits for its reply, so that a test
    can change the simulator between two calls; batch() sends many at once.  The
    worker's log (wtest's stderr) is log().

        with WorkerDriver("github", slice_, {"token": SIM_PAT}) as w:
            reply = w.request("github.ratelimit")     # {"ok": true, "body": ...}
    """

    def __init__(self, name, slice_, secret, log_level="info", parallel=False, timeout_ms=30000,
                 request_timeout_ms=5000):
        self.request_timeout_ms = request_timeout_ms
        self.dir = tempfile.mkdtemp(prefix=f"ghr-{name}-")
        paths = []
        for fname, obj in (("slice.json", slice_), ("secret.json", secret)):
            paths.append(os.path.join(self.dir, fname))
            with open(paths[-1], "w") as f:
                json.dump(obj, f)
        self.log_path = os.path.join(self.dir, "worker.log")
        self._log = open(self.log_path, "w")
        args = [WTEST, "--worker", os.path.join(LIBEXEC, name), "--name", name,
                "--config", paths[0], "--secret", paths[1], "--log-level", log_level,
                "--timeout", str(timeout_ms)] + (["--parallel"] if parallel else [])
        self.tmp = os.path.join(self.dir, "tmp")     # wtest's TMPDIR, to see what it leaves
        os.mkdir(self.tmp)
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, text=True, env={**os.environ, "TMPDIR": self.tmp})

    def request(self, method, body=None, timeout_ms=None):
        """One call; its reply ({"ok", "body"} or {"ok": false, "error"})."""
        timeout_ms = timeout_ms or self.request_timeout_ms
        self.proc.stdin.write(json.dumps({"method": method, "body": body or {},
                                          "timeout_ms": timeout_ms}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_ms / 1000 + 20)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            raise AssertionError(f"no reply to {method}; log:\n{self.log()}")
        return json.loads(line)

    def leftovers(self):
        """What wtest left in its TMPDIR (paths relative to it): nothing, once it exited."""
        return sorted(os.path.relpath(os.path.join(d, n), self.tmp)
                      for d, dirs, files in os.walk(self.tmp) for n in dirs + files)

    def batch(self, requests, timeout=300):
        """requests ({"method", "body", "timeout_ms"}) all sent, then stdin closed:
        (replies, wtest's summary or None).  With parallel=True none waits for another."""
        text = "".join(json.dumps(r) + "\n" for r in requests)
        try:
            out, _ = self.proc.communicate(text, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        lines = [json.loads(x) for x in out.splitlines() if x.strip()]
        return ([x for x in lines if "summary" not in x],
                next((x["summary"] for x in lines if "summary" in x), None))

    def log(self):
        return read_text(self.log_path)

    def close(self, timeout=30):
        """End the session (stdin closed: wtest stops the worker); wtest's exit status."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except BrokenPipeError:
                pass
        self._log.close()
        return self.proc.returncode

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        self.cleanup()


def run_worker(name, slice_, secret, requests, parallel=False, timeout=300, log_level="info"):
    """WorkerDriver.batch() in one call: (replies, summary, log, exit status)."""
    with WorkerDriver(name, slice_, secret, log_level=log_level, parallel=parallel) as w:
        replies, summary = w.batch(requests, timeout)
        rc = w.close()
        return replies, summary, w.log(), rc


def read_text(path):
    """A log file's text ("" when it does not exist)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


# ---- raw ZeroMQ (ZMTP 3.0, NULL mechanism) for hostile-peer tests --------------------

class Zmtp:
    """A minimal DEALER speaking ZMTP 3.0 over a unix socket, to send frames that the
    real clients never would.  Enough for tests: single-part and multi-part messages."""

    def __init__(self, path, identity=b"", timeout=5.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        greeting = b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\x00") \
            + b"\x00" + b"\x00" * 31
        self.s.sendall(greeting)
        peer = self._recv_exact(64)
        if peer[0] != 0xFF or peer[10] != 3:
            raise AssertionError("peer does not speak ZMTP 3")
        props = self._prop(b"Socket-Type", b"DEALER") + self._prop(b"Identity", identity)
        self._send_frame(b"\x05READY" + props, command=True)
        flags, body = self._recv_frame()
        if not flags & 0x04 or not body.startswith(b"\x05READY"):
            raise AssertionError("no READY from peer")

    @staticmethod
    def _prop(name, value):
        return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("peer closed")
            buf += chunk
        return buf

    def _send_frame(self, data, more=False, command=False):
        flags = (0x01 if more else 0) | (0x04 if command else 0)
        if len(data) > 255:
            self.s.sendall(bytes([flags | 0x02]) + struct.pack(">Q", len(data)) + data)
        else:
            self.s.sendall(bytes([flags, len(data)]) + data)

    def _recv_frame(self):
        flags = self._recv_exact(1)[0]
        size = struct.unpack(">Q", self._recv_exact(8))[0] if flags & 0x02 else self._recv_exact(1)[0]
        return flags, self._recv_exact(size)

    def send(self, *parts):
        for i, p in enumerate(parts):
            self._send_frame(p, more=i + 1 < len(parts))

    def recv(self):
        """One message (list of frames); commands (PING etc.) are skipped."""
        parts = []
        while True:
            flags, body = self._recv_frame()
            if flags & 0x04:
                continue
            parts.append(body)
            if not flags & 0x01:
                return parts

    def close(self):
        self.s.close()


# ---- hostile local users ----------------------------------------------------------------

def as_user(user, group, fn):
    """Run fn() in a forked child with the uid of user and the gid of group (no
    supplementary groups); returns its JSON-able result or raises its error here."""
    return as_user_wait(as_user_start(user, group, fn))


def as_user_start(user, group, fn):
    """as_user, started: the child is forked now, in this thread (so that it holds none
    of the pipes of a subprocess started later), and its result read by as_user_wait."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgroups([])
            os.setgid(grp.getgrnam(group).gr_gid)
            os.setuid(pwd.getpwnam(user).pw_uid)
            out = {"ok": fn()}
        except BaseException as e:  # reported to the parent, never raised in the child
            out = {"error": f"{type(e).__name__}: {e}"}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    return pid, r


def run_as_nobody(*cmd):
    """Run cmd as nobody, with its own group and no supplementary groups; returns (exit
    code, stdout+stderr)."""
    nobody = pwd.getpwnam("nobody")

    def drop():
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
    p = subprocess.run(list(cmd), capture_output=True, text=True, preexec_fn=drop, timeout=20)
    return p.returncode, p.stdout + p.stderr


def as_user_wait(child):
    pid, r = child
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    res = json.loads(data)
    if "error" in res:
        raise AssertionError(res["error"])
    return res["ok"]


def control_flood(ctl_path, seconds, connections=2, frame_kb=900, on_tick=None):
    """Send frame_kb-KB sup.status requests on `connections` control connections as fast
    as ghrd takes them for `seconds` (on_tick() is called between rounds), then read
    every answer.  Returns {sent, answers, sample (first error message)}."""
    frame = (b'{"v":1,"kind":"req","id":1,"from":"x","to":"ghrd","method":"sup.status",'
             b'"body":{"pad":"' + b"a" * (frame_kb * 1024) + b'"}}')
    zs = [Zmtp(ctl_path, timeout=5) for _ in range(connections)]
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for z in zs:
            try:
                z.send(frame)
                sent += 1
            except OSError:
                pass
        if on_tick:
            on_tick()
    answers = []
    for z in zs:
        z.s.settimeout(2)
        try:
            while True:
                answers.append(json.loads(z.recv()[0]))
        except OSError:
            pass
        z.close()
    sample = answers[0].get("error", {}).get("message", "") if answers else ""
    return {"sent": sent, "answers": len(answers), "sample": sample}


def rss_kb(pid, field="VmRSS"):
    """A memory figure of a process from /proc/PID/status, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0
