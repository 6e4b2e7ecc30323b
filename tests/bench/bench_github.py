#!/usr/bin/env python3
"""Benchmark of the github worker against the simulator (loopback only).

  1. list 1,000 runners: requests made and wall time;
  2. the same list again, unchanged: rate-limit budget spent (target 0, thanks to ETags);
  3. 200 JIT configs requested at once with 50 ms of API latency: wall time
     (target under 2 s, which needs real concurrency: one at a time would take 10 s).

Prints the figures and appends them as JSON lines to build/bench/results.jsonl.
Bounded: fixed request counts, every wait has a timeout.
"""
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("GHR_BUILD") or os.path.join(ROOT, "build")

_spec = importlib.util.spec_from_file_location(
    "gh_itest", os.path.join(ROOT, "tests", "integration", "test_github_worker.py"))
gh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gh)

RUNNERS = 1000
JITS = 200
LATENCY_MS = 50


def record(results, metric, value, unit, **extra):
    row = dict(area="github", metric=metric, value=value, unit=unit, time=int(time.time()), **extra)
    results.append(row)
    print("%-32s %10s %s%s" % (metric, value, unit,
                              "" if not extra else "  " + json.dumps(extra, sort_keys=True)))


def list_requests(sim):
    reqs = sim.counters()["requests"]
    return sum(v for k, v in reqs.items() if "actions/runners" in k and "GET" in k) \
        if isinstance(reqs, dict) else None


def bench_list(sim, results):
    sim.ctl("POST", "/reset", {})
    sim.ctl("POST", "/counters/reset", {})
    sim.seed_runners(RUNNERS, "bench-")
    w = gh.Worker(gh.github_slice(sim.api, timeout=10000), {"token": gh.PAT}, log_level="info")
    try:
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
    finally:
        w.close()
        w.cleanup()


def bench_jit(sim, results, concurrency):
    sim.ctl("POST", "/reset", {"knobs": {"latency_ms": LATENCY_MS}})
    sim.ctl("POST", "/counters/reset", {})
    reqs = [{"method": "github.runner.jit", "body": {"name": "bench-jit-%04d" % i, "labels": ["small"]},
             "timeout_ms": 20000} for i in range(JITS)]
    slice_ = gh.github_slice(sim.api, timeout=10000, concurrency=concurrency)
    replies, log, rc = gh.run_worker(slice_, {"token": gh.PAT}, reqs, parallel=True, timeout=120)
    summary = [r["summary"] for r in replies if "summary" in r]
    assert rc == 0 and summary, log[-2000:]
    s = summary[0]
    assert s["ok"] == JITS, s
    record(results, "jit_200_parallel_wall_ms", s["wall_ms"], "ms", target_ms=2000,
           latency_ms=LATENCY_MS, concurrency=concurrency, ok=s["ok"])
    regs = sim.counters()["events"].get("runners_registered")
    record(results, "jit_200_registered", regs, "runners", concurrency=concurrency)
    sim.ctl("POST", "/knobs", {"latency_ms": 0})


def main():
    results = []
    sim = gh.Sim()
    try:
        bench_list(sim, results)
        for concurrency in (16, 64):     # 16 is github.concurrency's default
            bench_jit(sim, results, concurrency)
    finally:
        sim.stop()
    out_dir = os.path.join(BUILD, "bench")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.jsonl"), "a") as f:
        for r in results:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
