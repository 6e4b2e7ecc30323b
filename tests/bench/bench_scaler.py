#!/usr/bin/env python3
"""Scaler benchmark against the simulator (real ghrd, github, openstack, scaler).

1. steady-state reconcile of a pool of 1,000 runners with 50 ms API latency: wall time,
   GitHub requests and rate-limit budget spent (ETags make an unchanged list free),
   OpenStack requests;
2. queue time (job queued -> runner busy) at min_idle 10 with 2 jobs/s arriving;
3. peak RSS of ghrd and every worker together (VmHWM summed).
Prints the figures and appends them as JSON lines to build/bench/results.jsonl.
GHR_BENCH_RUNNERS and GHR_BENCH_QUEUE_S shrink it for a quick run."""
import json
import os
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
from harness import BUILD, Ghrd, Sim, wait_until  # noqa: E402

N = int(os.environ.get("GHR_BENCH_RUNNERS", "1000"))
QUEUE_S = float(os.environ.get("GHR_BENCH_QUEUE_S", "60"))
LATENCY_MS = 50


def pool(min_idle, max_runners=0):
    return {"name": "bench", "flavor": "small", "image": "tag:ghr-runner", "network": "ghr-net",
            "labels": ["bench"], "min_idle": min_idle, "max_runners": max_runners}


def config(min_idle, interval):
    return {"manager_id": "b", "pools": [pool(min_idle)], "log": {"level": "info"},
            "reconcile": {"interval": interval, "create_concurrency": 50, "delete_concurrency": 50,
                          "creation_timeout": "10m", "bootstrap_timeout": "10m"},
            "metrics": {"events_log": ""},
            "github": {"timeout": "60s"}, "openstack": {"timeout": "60s"}}


def idle(sim):
    rs = [r for r in sim.get("/runners")["runners"] if r["name"].startswith("b-")]
    return sum(1 for r in rs if r["status"] == "online" and not r["busy"])


def peak_rss_kb(g):
    total = 0
    per = {}
    for pid in [g.proc.pid] + g.worker_pids():
        try:
            with open(f"/proc/{pid}/status") as f:
                st = dict(l.split(":", 1) for l in f if ":" in l)
            kb = int(st["VmHWM"].split()[0])
            per[st["Name"].strip()] = kb
            total += kb
        except (OSError, KeyError, ValueError):
            pass
    return total, per


def pss_kb(g):
    """Proportional set size now, summed: shared library pages counted once overall,
    which is what the processes cost together (RSS counts libcurl, OpenSSL and libzmq
    once per process)."""
    total = 0
    for pid in [g.proc.pid] + g.worker_pids():
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return total


def bench_steady_reconcile(results):
    with Sim() as sim, Ghrd(config(N, "1h"), sim=sim) as g:
        t0 = time.monotonic()
        wait_until(lambda: idle(sim) >= N, 600, f"{N} idle runners")
        fill_s = time.monotonic() - t0
        sim.post("/knobs", {"latency_ms": LATENCY_MS})
        for _ in range(2):                      # settle the view and warm the ETags
            rc, out = g.ctl("reconcile", timeout_ms=600000)
            assert rc == 0, out
        sim.post("/counters/reset")
        t1 = time.monotonic()
        rc, out = g.ctl("reconcile", timeout_ms=600000)
        wall = time.monotonic() - t1
        assert rc == 0, out
        c = sim.get("/counters")
        by = c["requests_by_service"]
        gh = by.get("github", 0)
        os_reqs = sum(by.get(s, 0) for s in ("keystone", "nova", "glance", "neutron"))
        rss, per = peak_rss_kb(g)
        pss = pss_kb(g)
        r = {"bench": "scaler_steady_reconcile", "pss_kb_total": pss, "runners": N, "latency_ms": LATENCY_MS,
             "fill_s": round(fill_s, 2), "reconcile_wall_s": round(wall, 3),
             "reconcile_reported_ms": out["duration_ms"], "actions": len(out["actions"]),
             "github_requests": gh, "github_not_modified": c["rate_limit"]["not_modified"],
             "github_budget_spent": c["rate_limit"]["used_total"],
             "openstack_requests": os_reqs, "peak_rss_kb_total": rss, "peak_rss_kb": per}
        results.append(r)
        print(f"steady reconcile of {N} runners at {LATENCY_MS} ms latency: {wall:.3f} s wall, "
              f"{len(out['actions'])} actions; GitHub {gh} requests ({c['rate_limit']['not_modified']} "
              f"not modified), budget spent {r['github_budget_spent']}; OpenStack {os_reqs} requests")
        print(f"peak RSS with {N} runners: {rss / 1024:.1f} MiB total {per}; PSS now {pss / 1024:.1f} MiB")
        g.ctl("scale", "bench", "0")
        wait_until(lambda: not [s for s in sim.get("/servers")["servers"] if s["name"].startswith("b-")],
                   600, "the bench pool drained")


def bench_queue_time(results):
    with Sim() as sim:
        sim.post("/knobs", {"latency_ms": LATENCY_MS})
        with Ghrd(config(10, "5s"), sim=sim) as g:
            wait_until(lambda: idle(sim) >= 10, 120, "10 idle runners")
            sim.post("/counters/reset")
            sim.post("/knobs", {"job_arrival_per_min": 120, "job_arrival_labels": ["self-hosted", "bench"]})
            time.sleep(QUEUE_S)                 # the measurement period itself
            sim.post("/knobs", {"job_arrival_per_min": 0})
            wait_until(lambda: sim.get("/counters")["jobs"]["waiting"] == 0, 120, "the queue to empty")
            q = sim.get("/counters")["jobs"]["queue_ms"]
            rss, per = peak_rss_kb(g)
            pss = pss_kb(g)
            r = {"bench": "scaler_queue_time", "pss_kb_total": pss, "peak_rss_kb": per, "min_idle": 10, "arrival_per_s": 2, "period_s": QUEUE_S,
                 "reconcile_interval_s": 5, "latency_ms": LATENCY_MS, "jobs": q["count"],
                 "queue_ms_median": q["median"], "queue_ms_p95": q["p95"], "queue_ms_max": q["max"],
                 "peak_rss_kb_total": rss}
            results.append(r)
            print(f"queue time at min_idle 10, 2 jobs/s, {QUEUE_S:.0f} s: {q['count']} jobs, median "
                  f"{q['median']} ms, p95 {q['p95']} ms, max {q['max']} ms; peak RSS {rss / 1024:.1f} MiB {per}; PSS now {pss / 1024:.1f} MiB")
            g.ctl("scale", "bench", "0")


def main():
    results = []
    bench_steady_reconcile(results)
    bench_queue_time(results)
    os.makedirs(os.path.join(BUILD, "bench"), exist_ok=True)
    with open(os.path.join(BUILD, "bench", "results.jsonl"), "a") as f:
        for r in results:
            r["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            f.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
