#!/usr/bin/env python3
"""`make bench`: run every benchmark one after the other (never in parallel: they
measure time and memory on a shared 2-core machine), each bounded by a timeout, then
print every figure they appended to build/bench/results.jsonl during this run.

    GHR_BUILD=build python3 tests/bench/run.py [NAME ...]   (NAME: bus, core, github, ...)
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("GHR_BUILD", os.path.join(SRC, "build"))
RESULTS = os.path.join(BUILD, "bench", "results.jsonl")

# name -> (command, timeout in seconds)
BENCHES = {
    "core": ([sys.executable, os.path.join(HERE, "bench_core.py")], 300),
    "bus": ([sys.executable, os.path.join(HERE, "bench_bus.py")], 300),
    "sim": ([sys.executable, os.path.join(SRC, "tests", "sim", "bench_sim.py"), "--seconds", "5"], 120),
    "github": ([sys.executable, os.path.join(HERE, "bench_github.py")], 300),
    "openstack": ([sys.executable, os.path.join(HERE, "bench_openstack.py")], 300),
    "scaler": ([sys.executable, os.path.join(HERE, "bench_scaler.py")], 900),
    "flood": ([sys.executable, os.path.join(HERE, "bench_flood.py")], 300),
    "demand": ([sys.executable, os.path.join(HERE, "bench_demand.py")], 2400),
    "reactive": ([sys.executable, os.path.join(HERE, "bench_reactive.py")], 1500),
}


def main(names):
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    start_offset = os.path.getsize(RESULTS) if os.path.exists(RESULTS) else 0
    failed = []
    for name in names or BENCHES:
        if name not in BENCHES:
            print(f"bench: unknown benchmark {name!r}; known: {', '.join(BENCHES)}")
            return 2
        cmd, limit = BENCHES[name]
        print(f"== {name}", flush=True)
        t0 = time.monotonic()
        try:
            rc = subprocess.run(cmd, cwd=SRC, timeout=limit, env=dict(os.environ, GHR_BUILD=BUILD)).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        print(f"== {name}: exit {rc} in {time.monotonic() - t0:.1f} s", flush=True)
        if rc != 0:
            failed.append(name)
    if os.path.exists(RESULTS):
        with open(RESULTS, encoding="utf-8") as f:
            f.seek(start_offset)
            lines = [l for l in f.read().splitlines() if l.strip()]
        print(f"\n{len(lines)} figures appended to {RESULTS}:")
        for line in lines:
            try:
                print("  " + json.dumps(json.loads(line), sort_keys=True))
            except ValueError:
                print("  " + line)
    if failed:
        print("bench: failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
