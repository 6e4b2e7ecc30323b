#!/usr/bin/env python3
"""Bus benchmark: request/reply round trips worker → ghrd → worker, and restart time.

  1. latency at a paced 1,000 req/s: fake.1 calls fake.echo on fake.2 through ghrd
     (fake.bench times each round trip inside the worker, in microseconds);
  2. throughput: the same with a window of outstanding requests, as fast as it goes;
  3. restart-to-ready: kill -9 of fake.2, time until ghrd reports it ready again with
     a new pid (median of 20; each kill waits out the restart window so every restart is
     a "first restart", which ghrd makes at once).

Targets: p99 under 1 ms at 1,000 req/s, over 20,000 req/s, restart-to-ready median
under 300 ms.  Prints the figures and appends them to build/bench/results.jsonl.

    GHR_BUILD=build python3 tests/bench/bench_bus.py [--quick]
"""
import argparse
import json
import os
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import BUILD, Ghrd, Zmtp  # noqa: E402


def status_via(z, n=[0]):
    n[0] += 1
    z.send(json.dumps({"v": 1, "kind": "req", "id": n[0], "from": "bench", "to": "ghrd",
                       "method": "sup.status", "deadline_ms": int(time.time() * 1000) + 2000,
                       "body": {}}).encode())
    while True:
        rep = json.loads(z.recv()[0])
        if rep.get("id") == n[0]:
            return rep["body"]


def bench_call(g, body, timeout_ms):
    rc, r = g.call("fake.bench", body, to="fake.1", timeout_ms=timeout_ms)
    if rc != 0:
        raise SystemExit(f"fake.bench failed ({rc}): {r}")
    return r


def restart_to_ready(g, rounds, window_s):
    z = Zmtp(os.path.join(g.run_dir, "control"))
    times = []
    try:
        for _ in range(rounds):
            time.sleep(window_s)   # out of the restart window: the next restart is immediate
            w = next(w for w in status_via(z)["workers"] if w["name"] == "fake.2")
            old = w["pid"]
            t0 = time.monotonic()
            os.kill(old, signal.SIGKILL)
            deadline = t0 + 10
            while time.monotonic() < deadline:
                w = next(w for w in status_via(z)["workers"] if w["name"] == "fake.2")
                if w["state"] == "ready" and w["pid"] not in (0, old):
                    times.append((time.monotonic() - t0) * 1000)
                    break
                time.sleep(0.001)
            else:
                raise SystemExit("fake.2 not ready again within 10 s")
    finally:
        z.close()
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller counts (smoke test)")
    a = ap.parse_args()
    paced_n = 2000 if a.quick else 10000
    burst_n = 20000 if a.quick else 200000
    rounds = 5 if a.quick else 20
    cfg = {"workers": {"fake": {"instances": 2}},
           "log": {"level": "warn"},
           "supervisor": {"restart_intensity": 1000, "restart_period": "1s",
                          "heartbeat": "1s", "liveness": 3}}
    results = {}
    with Ghrd(cfg) as g:
        bench_call(g, {"count": 2000, "window": 64, "to": "fake.2"}, 30000)   # warm-up
        paced = bench_call(g, {"count": paced_n, "rate": 1000, "to": "fake.2"}, 120000)
        burst = bench_call(g, {"count": burst_n, "window": 256, "to": "fake.2"}, 300000)
        rtimes = restart_to_ready(g, rounds, 1.1)
        g.stop()
    results = {
        "paced_rate_rps": 1000, "paced_count": paced["count"], "paced_errors": paced["errors"],
        "paced_p50_us": paced["p50_us"], "paced_p99_us": paced["p99_us"],
        "paced_max_us": paced["max_us"],
        "throughput_rps": round(burst["rps"]), "throughput_count": burst["count"],
        "throughput_errors": burst["errors"], "throughput_p50_us": burst["p50_us"],
        "throughput_p99_us": burst["p99_us"],
        "restart_to_ready_median_ms": round(statistics.median(rtimes), 1),
        "restart_to_ready_max_ms": round(max(rtimes), 1), "restart_rounds": len(rtimes),
    }
    print(f"bus round trip at 1000 req/s: p50 {paced['p50_us']} us, p99 {paced['p99_us']} us,"
          f" max {paced['max_us']} us ({paced['count']} calls, {paced['errors']} errors)"
          f"  [target p99 < 1000 us]")
    print(f"bus throughput (window 256): {burst['rps']:.0f} req/s, p50 {burst['p50_us']} us,"
          f" p99 {burst['p99_us']} us ({burst['count']} calls, {burst['errors']} errors)"
          f"  [target > 20000 req/s]")
    print(f"kill -9 → ready: median {results['restart_to_ready_median_ms']} ms,"
          f" max {results['restart_to_ready_max_ms']} ms over {len(rtimes)} kills"
          f"  [target median < 300 ms]")
    out = os.path.join(BUILD, "bench")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.jsonl"), "a") as f:
        f.write(json.dumps({"bench": "bus", "time": int(time.time()), "quick": a.quick,
                            **results}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
