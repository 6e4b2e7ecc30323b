#!/usr/bin/env python3
"""Benchmark of the github worker against the simulator (loopback only).

  1. list 1,000 runners: requests made and wall time;
  2. the same list again, unchanged: rate-limit budget spent (target 0, thanks to ETags);
  3. 200 JIT configs requested at once with 50 ms of API latency: wall time
     (target under 2 s, which needs real concurrency: one at a time would take 10 s).

Prints the figures and appends them as JSON lines to build/bench/results.jsonl.
Bounded: fixed request counts, every wait has a timeout.
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from harness import BUILD, SIM_PAT, Sim, WorkerDriver, run_worker  # noqa: E402
from test_github_worker import github_slice  # noqa: E402

RUNNERS = 1000
JITS = 200
LATENCY_MS = 50


def record(results, metric, value, unit, **extra):
    row = dict(area="github", metric=metric, value=value, unit=unit, time=int(time.time()), **extra)
    results.append(row)
    print("%-32s %10s %s%s" % (metric, value, unit,
                              "" if not extra else "  " + json.dumps(extra, sort_keys=True)))


def bench_list(sim, results):
    sim.ctl("POST", "/reset", {})
    sim.ctl("POST", "/counters/reset", {})
    sim.seed_runners(RUNNERS, "bench-")
    with WorkerDriver("github", github_slice(sim.api, timeout=10000), {"token": SIM_PAT}) as w:
        c0 = sim.counters()
        t0 = time.monotonic()
        first = w.request("github.runners.list", {"prefix": "bench-"}, timeout_ms=30000)
        wall = (time.monotonic() - t0) * 1000
        assert first["ok"] and len(first["body"]["runners"]) == RUNNERS, first.get("error")
        c1 = sim.counters()
        record(results, "list_1000_requests", c1["requests_total"] - c0["requests_total"], "requests")
        record(results, "list_1000_wall_ms", round(wall, 1), "ms", worker_ms=first["ms"])
        t0 = time.monotonic()
        second = w.request("github.runners.list", {"prefix": "bench-"}, timeout_ms=30000)
        wall2 = (time.monotonic() - t0) * 1000
        assert second["ok"] and second["body"]["etag_hit"], second
        c2 = sim.counters()
        record(results, "list_1000_again_budget_spent",
               c2["rate_limit"]["used_total"] - c1["rate_limit"]["used_total"], "requests",
               target=0, not_modified=c2["rate_limit"]["not_modified"] - c1["rate_limit"]["not_modified"])
        record(results, "list_1000_again_wall_ms", round(wall2, 1), "ms")


def bench_jit(sim, results, concurrency):
    sim.ctl("POST", "/reset", {"knobs": {"latency_ms": LATENCY_MS}})
    sim.ctl("POST", "/counters/reset", {})
    reqs = [{"method": "github.runner.jit", "body": {"name": "bench-jit-%04d" % i, "labels": ["small"]},
             "timeout_ms": 20000} for i in range(JITS)]
    slice_ = github_slice(sim.api, timeout=10000, concurrency=concurrency)
    _, s, log, rc = run_worker("github", slice_, {"token": SIM_PAT}, reqs, parallel=True, timeout=120)
    assert rc == 0 and s, log[-2000:]
    assert s["ok"] == JITS, s
    record(results, "jit_200_parallel_wall_ms", s["wall_ms"], "ms", target_ms=2000,
           latency_ms=LATENCY_MS, concurrency=concurrency, ok=s["ok"])
    regs = sim.counters()["events"].get("runners_registered")
    record(results, "jit_200_registered", regs, "runners", concurrency=concurrency)
    sim.ctl("POST", "/knobs", {"latency_ms": 0})


def main():
    results = []
    with Sim() as sim:
        bench_list(sim, results)
        for concurrency in (16, 64):     # 16 is github.concurrency's default
            bench_jit(sim, results, concurrency)
    out_dir = os.path.join(BUILD, "bench")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.jsonl"), "a") as f:
        for r in results:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
