#!/usr/bin/env python3
"""`make demo`: ghr keeping two pools alive against the simulator for about a minute.

Starts tests/sim/ghr-sim and ghrd (etc/demo/ghr.yaml) on loopback, queues a stream of
jobs, shows the fleet live (`ghr-ctl runners`), then scales the pools to zero, prints a
summary (jobs run, median queue time, VMs created and deleted, leaks) and stops
everything, also on Ctrl-C.  GHR_DEMO_SECONDS changes the length of the job stream
(default 45).  Python standard library only."""
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import shutil

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
from harness import BUILD, CTL, GHRD, LIBEXEC, SIM_PAT, Sim, wait_until  # noqa: E402

STREAM_S = float(os.environ.get("GHR_DEMO_SECONDS", "45"))
HARD_LIMIT_S = STREAM_S + 90          # nothing may make the demo run for ever
KNOBS = {"boot_ms": 2500, "runner_start_ms": 1500, "job_duration_ms": 4000, "shutdown_ms": 800,
         "runner_lost_ms": 1000}
TTY = sys.stdout.isatty()


class Stop(Exception):
    pass


def on_signal(signum, frame):
    raise Stop(signal.Signals(signum).name)


def ctl(run_dir, *args, timeout_ms=5000):
    p = subprocess.run([CTL, "-r", run_dir, "-t", str(timeout_ms)] + list(args),
                       capture_output=True, text=True, timeout=timeout_ms / 1000 + 5)
    return p.returncode, p.stdout + p.stderr


def write_config(tmp, sim):
    with open(os.path.join(SRC, "etc", "demo", "ghr.yaml")) as f:
        text = f.read()
    for k, v in {"@TMP@": tmp, "@API@": sim.api, "@LIBEXEC@": LIBEXEC}.items():
        text = text.replace(k, v)
    path = os.path.join(tmp, "ghr.yaml")
    with open(path, "w") as f:
        f.write(text)
    token = os.path.join(tmp, "github-token")
    with open(token, "w") as f:
        f.write(SIM_PAT + "\n")
    os.chmod(token, 0o600)
    sim.clouds_yaml(tmp)
    return path


def fleet(sim):
    st = sim.get("/state")
    servers = [s for s in st["servers"] if s["name"].startswith("demo-") and s["task_state"] != "deleting"]
    runners = [r for r in st["runners"] if r["name"].startswith("demo-")]
    return servers, runners


def show(run_dir, sim, t0, phase):
    c = sim.get("/counters")
    jobs = c["jobs"]
    head = (f"ghr demo  {time.monotonic() - t0:5.1f}s  {phase}\n"
            f"jobs: {jobs['queued']} queued, {jobs['started']} started, {jobs['completed']} done, "
            f"{jobs['waiting']} waiting   VMs: {c['servers']['created']} created, "
            f"{c['servers']['deleted']} deleted\n")
    rc, runners = ctl(run_dir, "runners")
    if TTY:
        sys.stdout.write("\033[H\033[2J" + head + "\n" + runners)
    else:
        states = {}
        for line in runners.splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 3 and parts[0].startswith("demo-"):
                states[parts[2]] = states.get(parts[2], 0) + 1
        sys.stdout.write(head.replace("\n", "  ") + " runners: "
                         + (", ".join(f"{n} {s}" for s, n in sorted(states.items())) or "none") + "\n")
    sys.stdout.flush()


def main():
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    for exe in (GHRD, CTL):
        if not os.access(exe, os.X_OK):
            print(f"demo: {exe} is missing: run `make` first (GHR_BUILD={BUILD})", file=sys.stderr)
            return 1
    tmp = tempfile.mkdtemp(prefix="ghr-demo-")
    sim = ghrd = None
    rc = 1
    deadline = time.monotonic() + HARD_LIMIT_S
    try:
        sim = Sim()
        sim.post("/knobs", KNOBS)
        cfg = write_config(tmp, sim)
        run_dir = os.path.join(tmp, "run")
        err = open(os.path.join(tmp, "ghrd.stderr"), "w")
        ghrd = subprocess.Popen([GHRD, "-f", cfg], stdout=err, stderr=err)
        wait_until(lambda: ghrd.poll() is None and ctl(run_dir, "status", timeout_ms=1000)[0] in (0, 3), 20,
                   "ghrd ready")
        print(f"demo: simulator at {sim.api}, ghrd running with {cfg}")
        t0 = time.monotonic()
        next_job = t0 + 6           # let the pools fill first
        n = 0
        while time.monotonic() - t0 < STREAM_S + 6:
            now = time.monotonic()
            if ghrd.poll() is not None:
                raise Stop(f"ghrd exited with {ghrd.returncode}; see {tmp}/ghr.log")
            while now >= next_job and now - t0 < STREAM_S:
                label = "large" if n % 4 == 3 else "small"
                sim.post("/jobs", {"labels": ["self-hosted", label]})
                n += 1
                next_job += 0.7 if n % 10 else 3.0     # bursts and pauses
            show(run_dir, sim, t0, "jobs arriving" if now - t0 < STREAM_S else "last jobs finishing")
            time.sleep(1.0)
        wait_until(lambda: sim.get("/counters")["jobs"]["waiting"] == 0
                   and sim.get("/counters")["runners"]["busy"] == 0, max(5, deadline - time.monotonic() - 30),
                   "the last jobs to finish")
        for p in ("small", "large"):
            ctl(run_dir, "scale", p, "0")
        show(run_dir, sim, t0, "scaling to zero")
        wait_until(lambda: fleet(sim) == ([], []), max(5, deadline - time.monotonic() - 5), "the fleet to drain")
        c = sim.get("/counters")
        servers, runners = fleet(sim)
        rep = sim.get("/consistency")
        waits = [j["waited_ms"] for j in sim.get("/jobs")["jobs"] if j["started_at"]]
        print("\n=== ghr demo summary ===")
        print(f"jobs run:             {c['jobs']['completed']} of {c['jobs']['queued']}")
        print(f"median queue time:    {statistics.median(waits) / 1000 if waits else 0:.2f} s "
              f"(job queued -> runner busy; p95 {c['jobs']['queue_ms']['p95'] or 0:.0f} ms)")
        print(f"VMs created/deleted:  {c['servers']['created']} / {c['servers']['deleted']}")
        print(f"leaks:                {len(servers) + len(runners)} "
              f"(VMs {len(servers)}, runners {len(runners)}; duplicate names {len(rep['duplicate_vm_names'])})")
        kinds = {}
        try:
            with open(os.path.join(tmp, "github-runner-metrics.log")) as f:
                for line in f:
                    ev = json.loads(line).get("event", "?")
                    kinds[ev] = kinds.get(ev, 0) + 1
        except (OSError, ValueError):
            pass
        print("events log:           " + (", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "empty"))
        leaks = len(servers) + len(runners) + len(rep["duplicate_vm_names"])
        rc = 0 if leaks == 0 and c["jobs"]["completed"] == c["jobs"]["queued"] else 1
    except Stop as e:
        print(f"\ndemo: stopping ({e})", file=sys.stderr)
        rc = 130 if "INT" in str(e) else 1
    except Exception as e:  # a failure must still stop every process
        print(f"\ndemo: {e}", file=sys.stderr)
        rc = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if ghrd and ghrd.poll() is None:
            ghrd.send_signal(signal.SIGTERM)
            try:
                ghrd.wait(30)
            except subprocess.TimeoutExpired:
                ghrd.kill()
                ghrd.wait(5)
        if sim:
            sim.close()
        shutil.rmtree(tmp, ignore_errors=True)
        print("demo: everything stopped")
    return rc


if __name__ == "__main__":
    sys.exit(main())
