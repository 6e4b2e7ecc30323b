#!/usr/bin/env python3
"""`make chaos`: the crash-only promise under fire.  ghrd with its real workers runs
against the simulator for CHAOS_SECONDS (default 600) while:

  - jobs stream in (a few per second, on two pools);
  - 5 % of GitHub and cloud API requests fail (503), and 5 % of server creates lose
    their reply after the server was made;
  - every 4 to 12 s a random worker (github, openstack, scaler) is killed -9, and
    every 45 to 90 s (the first time within the first third of the run) ghrd itself is
    killed -9 and started again.

Then the faults stop, every queued job must start, the pools are scaled to 0 and the
fleet must drain; the simulator's consistency report must show 0 VMs or runners
leaked, 0 duplicated VM names, 0 reused or invalid JIT configs, and every job started.
Prints the figures and exits non-zero when any of that does not hold.

    GHR_BUILD=build CHAOS_SECONDS=120 python3 tests/chaos/chaos.py
"""
import json
import os
import random
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Ghrd, Sim, WaitTimeout, wait_until  # noqa: E402
from scaler_common import FAST_KNOBS, pool, scaler_config, sim_view  # noqa: E402

WORKERS = ("github", "openstack", "scaler")
PREFIX = "t-"


def faults(sim):
    sim.post("/faults", [
        {"kind": "lost_reply", "service": "nova", "method": "POST", "path": "/servers$",
         "rate": 0.05},
        {"kind": "error", "service": ["nova", "github"], "rate": 0.05,
         "params": {"status": 503}},
    ])


def start_ghrd(g):
    g.start(wait_ready=False)
    g.wait_ready(60)


def kill_worker(g, rng, counts):
    name = rng.choice(WORKERS)
    try:
        pid = g.worker(name)["pid"]
    except AssertionError:
        return
    if pid > 0:
        os.kill(pid, signal.SIGKILL)
        counts["worker_kills"] += 1


def kill_ghrd(g, counts):
    g.proc.send_signal(signal.SIGKILL)
    g.proc.wait(10)
    counts["ghrd_kills"] += 1
    start_ghrd(g)


def main():
    seconds = float(os.environ.get("CHAOS_SECONDS", "600"))
    seed = int(os.environ.get("CHAOS_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    counts = {"worker_kills": 0, "ghrd_kills": 0}
    t0 = time.monotonic()
    with Sim(knobs=dict(FAST_KNOBS, job_duration_ms=500)) as sim:
        cfg = scaler_config([pool("small", min_idle=3, max_runners=12),
                             pool("large", min_idle=1, max_runners=4, flavor="medium")],
                            interval="500ms")
        # Chaos kills far more often than any real fault: the restart budget is not
        # under test here (ghrd(8) RESTARTS is, in the unit tests).
        cfg["supervisor"] = {"restart_intensity": 1000, "restart_period": "60s",
                             "heartbeat": "250ms", "liveness": 8, "ready_timeout": "20s"}
        cfg["log"] = {"level": "info"}
        g = Ghrd(cfg, sim=sim, start=False)
        try:
            start_ghrd(g)
            faults(sim)
            end = t0 + seconds
            next_job = next_worker_kill = time.monotonic()
            next_ghrd_kill = time.monotonic() + rng.uniform(0.2, 0.5) * min(seconds, 150)
            queued = 0
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_job:
                    labels = ["self-hosted", rng.choice(["small", "small", "large"])]
                    queued += len(sim.post("/jobs", {"count": 1, "labels": labels})["jobs"])
                    next_job = now + rng.uniform(0.2, 0.8)
                if now >= next_worker_kill:
                    kill_worker(g, rng, counts)
                    next_worker_kill = now + rng.uniform(4, 12)
                if now >= next_ghrd_kill and now < end - 20:
                    kill_ghrd(g, counts)
                    next_ghrd_kill = time.monotonic() + rng.uniform(45, 90)
                if g.proc.poll() is not None:
                    raise SystemExit(f"chaos: ghrd exited {g.proc.returncode} on its own:\n"
                                     f"{g.stderr()[-2000:]}\n{g.log()[-3000:]}")
                time.sleep(0.1)
            chaos_s = time.monotonic() - t0
            sim.delete("/faults")
            g.wait_ready(60)
            jobs = wait_until(lambda: (lambda c: c["waiting"] == 0 and c)(
                sim.get("/counters")["jobs"]), 300, "every queued job started")
            for p in g.config["pools"]:
                rc, out = g.ctl("scale", p["name"], "0")
                if rc != 0:
                    raise SystemExit(f"chaos: scale {p['name']} 0 failed: {out}")
            drained = True
            try:
                wait_until(lambda: sim_view(sim, PREFIX) == ([], []), 180,
                           "no VM and no runner left")
            except WaitTimeout:
                drained = False
            servers, runners = sim_view(sim, PREFIX)
            rep = sim.get("/consistency")
            c = sim.get("/counters")
            g.stop(expect_clean=False)
        finally:
            g.close()
    result = {
        "seconds": round(chaos_s), "seed": seed, **counts,
        "jobs_queued": queued, "jobs_started": c["jobs"]["started"],
        "jobs_completed": c["jobs"]["completed"],
        "vms_created": c["servers"]["created"], "vms_deleted": c["servers"]["deleted"],
        "vms_leaked": len(servers), "runners_leaked": len(runners),
        "duplicate_vm_names": len(rep["duplicate_vm_names"]),
        "jit_reused": rep["jit_reused"], "jit_invalid": rep["jit_invalid"],
        "faults_injected": c["faults_injected"],
    }
    print("chaos: " + json.dumps(result, sort_keys=True))
    bad = []
    if not drained or servers or runners:
        bad.append(f"leaked: {len(servers)} VMs, {len(runners)} runners")
    if rep["duplicate_vm_names"]:
        bad.append(f"duplicated VM names: {rep['duplicate_vm_names']}")
    if rep["jit_reused"] or rep["jit_invalid"]:
        bad.append("JIT configs reused or invalid")
    if jobs["started"] < queued:
        bad.append(f"only {jobs['started']} of {queued} jobs started")
    if counts["worker_kills"] == 0:
        bad.append("no worker was killed")
    if seconds >= 60 and counts["ghrd_kills"] == 0:
        bad.append("ghrd was never killed")
    if bad:
        print("chaos: FAILED: " + "; ".join(bad))
        return 1
    print(f"chaos: ok: {queued} of {queued} jobs started, {result['vms_created']} VMs in and "
          f"{result['vms_deleted']} out, 0 leaked, 0 duplicated, {counts['worker_kills']} worker "
          f"kills, {counts['ghrd_kills']} kills of ghrd in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
