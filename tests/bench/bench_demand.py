#!/usr/bin/env python3
"""Demand-driven scaling against the simulator (real ghrd, github, openstack, scaler),
50 ms API latency, reconcile.interval 10 s:

1. the tight case: min_idle 5, 100 jobs at 1 job/s, 5 s jobs; queue time (job queued ->
   runner busy, the simulator's own measure) p50/p95/max over all jobs and over those
   queued after the first minute, for: the watch off (runners replaced at the next
   reconcile only), replace at once (reconcile.watch_interval 2 s), and replace at once
   with demand sizing (target_queue_time 0 s); with the simulator's default boot time
   (0.3 s BUILD + 0.3 s runner start) and with a 15 s boot;
2. a burst: 50 jobs at once on min_idle 5: time until the last job started;
3. a steady pool of 100 idle runners for GHR_BENCH_STEADY_S (600) seconds with the watch
   on: GitHub requests, 304s and rate-limit budget spent, and per hour.
Prints the figures and appends them as JSON lines to build/bench/results.jsonl.
GHR_BENCH_DEMAND_ONLY=tight,burst,steady runs a part."""
import json
import os
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
from harness import BUILD, Ghrd, Sim, wait_until  # noqa: E402
from benchlib import append_results  # noqa: E402

LATENCY_MS = 50
JOBS = 100
JOB_MS = 5000
STEADY_S = float(os.environ.get("GHR_BENCH_STEADY_S", "600"))
ONLY = set(filter(None, os.environ.get("GHR_BENCH_DEMAND_ONLY", "").split(",")))
SLOW_BOOT = {"boot_ms": 10000, "runner_start_ms": 5000}


def config(min_idle, watch, demand=None, interval="10s"):
    p = {"name": "bench", "flavor": "small", "image": "tag:ghr-runner", "network": "ghr-net",
         "labels": ["bench"], "min_idle": min_idle}
    if demand is not None:
        p["demand"] = demand
    return {"manager_id": "b", "pools": [p], "log": {"level": "info"},
            "reconcile": {"interval": interval, "watch_interval": watch, "create_concurrency": 50,
                          "delete_concurrency": 50, "creation_timeout": "10m", "bootstrap_timeout": "10m"},
            "metrics": {"events_log": ""}, "github": {"timeout": "60s"}, "openstack": {"timeout": "60s"}}


def idle(sim):
    rs = [r for r in sim.get("/runners")["runners"] if r["name"].startswith("b-")]
    return sum(1 for r in rs if r["status"] == "online" and not r["busy"])


def quantiles(values):
    v = sorted(values)
    if not v:
        return {"n": 0}
    q = lambda p: v[min(len(v) - 1, max(0, int(round(p * len(v) + 0.5)) - 1))]   # nearest rank
    return {"n": len(v), "p50_s": round(q(0.5), 2), "p95_s": round(q(0.95), 2), "max_s": round(v[-1], 2)}


def jobs_of(sim, ids):
    got = {j["id"]: j for j in sim.get("/jobs")["jobs"]}
    return [got[i] for i in ids if i in got]


def tight(results, label, knobs, cfg):
    with Sim() as sim:
        sim.post("/knobs", dict(knobs, latency_ms=LATENCY_MS))
        with Ghrd(cfg, sim=sim, timeout=60) as g:
            wait_until(lambda: idle(sim) >= 5, 180, "5 idle runners")
            sim.post("/counters/reset")
            ids, t0 = [], time.monotonic()
            for k in range(JOBS):                          # bounded: 100 jobs, ~100 s
                delay = t0 + k - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                ids += sim.post("/jobs", {"labels": ["self-hosted", "bench"], "duration_ms": JOB_MS})["jobs"]
            wait_until(lambda: all(j["started_at"] for j in jobs_of(sim, ids)), 600, "every job started")
            jobs = jobs_of(sim, ids)
            c = sim.get("/counters")
            rc, pools = g.ctl("pools")
            p = pools["pools"][0] if rc == 0 else {}
            waits = [j["waited_ms"] / 1000 for j in jobs]
            late = [j["waited_ms"] / 1000 for k, j in enumerate(jobs) if k >= 60]     # queued after the first minute
            r = {"bench": "demand_tight", "case": label, "jobs": len(jobs), "arrival_per_s": 1,
                 "job_s": JOB_MS / 1000, "latency_ms": LATENCY_MS, "reconcile_interval_s": 10,
                 "boot_s": (knobs.get("boot_ms", 300) + knobs.get("runner_start_ms", 300)) / 1000,
                 "all": quantiles(waits), "after_first_minute": quantiles(late),
                 "target_at_end": p.get("target"), "rate_per_s_at_end": round(p.get("arrival_rate", 0), 3),
                 "boot_p90_ms_measured": p.get("boot_p90_ms"),
                 "github_requests": c["requests_by_service"].get("github", 0),
                 "github_budget_spent": c["rate_limit"]["used_total"]}
            results.append(r)
            print(f"tight, {label}: all {r['all']}, after the first minute {r['after_first_minute']}, "
                  f"target {r['target_at_end']}, GitHub {r['github_requests']} requests, budget {r['github_budget_spent']}",
                  flush=True)


def burst(results, label, watch):
    with Sim() as sim:
        sim.post("/knobs", {"latency_ms": LATENCY_MS})
        with Ghrd(config(5, watch), sim=sim, timeout=60) as g:
            wait_until(lambda: idle(sim) >= 5, 180, "5 idle runners")
            t0 = time.monotonic()
            ids = sim.post("/jobs", {"labels": ["self-hosted", "bench"], "duration_ms": JOB_MS, "count": 50})["jobs"]
            wait_until(lambda: all(j["started_at"] for j in jobs_of(sim, ids)), 600, "every job started", interval=0.1)
            wall = time.monotonic() - t0
            jobs = jobs_of(sim, ids)
            r = {"bench": "demand_burst", "case": label, "jobs": 50, "min_idle": 5, "latency_ms": LATENCY_MS,
                 "reconcile_interval_s": 10, "last_job_started_s": round(max(j["waited_ms"] for j in jobs) / 1000, 2),
                 "wall_until_all_started_s": round(wall, 2), "queue": quantiles([j["waited_ms"] / 1000 for j in jobs])}
            results.append(r)
            print(f"burst of 50, {label}: the last job started after {r['last_job_started_s']} s; queue {r['queue']}",
                  flush=True)


def steady(results):
    with Sim() as sim:
        with Ghrd(config(100, "2s", interval="60s"), sim=sim, timeout=60) as g:
            wait_until(lambda: idle(sim) >= 100, 600, "100 idle runners")
            sim.post("/knobs", {"latency_ms": LATENCY_MS})
            time.sleep(15)                                # the creates' last changes seen
            sim.post("/counters/reset")
            _, m0 = g.ctl("metrics", json_out=False)
            time.sleep(STEADY_S)                          # the measurement period itself
            c = sim.get("/counters")
            _, m1 = g.ctl("metrics", json_out=False)

            def metric(text, name):
                for line in text.splitlines():
                    if line.startswith(name + " "):
                        return float(line.split()[1])
                return 0.0
            per_h = 3600 / STEADY_S
            gh = c["requests_by_service"].get("github", 0)
            r = {"bench": "demand_steady_watch", "runners": 100, "seconds": STEADY_S, "watch_interval_s": 2,
                 "reconcile_interval_s": 60, "latency_ms": LATENCY_MS, "github_requests": gh,
                 "github_not_modified": c["rate_limit"]["not_modified"],
                 "github_budget_spent": c["rate_limit"]["used_total"],
                 "watches": metric(m1, "ghr_runner_watches_total") - metric(m0, "ghr_runner_watches_total"),
                 "watch_changes": metric(m1, "ghr_runner_watch_changes_total") - metric(m0, "ghr_runner_watch_changes_total"),
                 "github_requests_per_h": round(gh * per_h), "budget_per_h": round(c["rate_limit"]["used_total"] * per_h)}
            results.append(r)
            print(f"steady 100 idle for {STEADY_S:.0f} s, watch every 2 s: GitHub {gh} requests "
                  f"({r['github_not_modified']} not modified), budget spent {r['github_budget_spent']}; "
                  f"per hour {r['github_requests_per_h']} requests, budget {r['budget_per_h']}", flush=True)


def main():
    results = []
    if not ONLY or "tight" in ONLY:
        tight(results, "watch off (next reconcile)", {}, config(5, "0s"))
        tight(results, "replace at once", {}, config(5, "2s"))
        tight(results, "replace at once + demand", {}, config(5, "2s", {"target_queue_time": "0s"}))
        tight(results, "15 s boot, replace at once", SLOW_BOOT, config(5, "2s"))
        tight(results, "15 s boot, replace at once + demand", SLOW_BOOT, config(5, "2s", {"target_queue_time": "0s"}))
    if not ONLY or "burst" in ONLY:
        burst(results, "watch off", "0s")
        burst(results, "replace at once", "2s")
    if not ONLY or "steady" in ONLY:
        steady(results)
    append_results(BUILD, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
