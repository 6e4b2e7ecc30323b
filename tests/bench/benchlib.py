"""Shared by the benchmarks: where their figures go."""
import json
import os
import time


def append_results(build, results):
    """Append each figure (a dict) as one JSON line to BUILD/bench/results.jsonl, stamped."""
    os.makedirs(os.path.join(build, "bench"), exist_ok=True)
    with open(os.path.join(build, "bench", "results.jsonl"), "a") as f:
        for r in results:
            r["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            f.write(json.dumps(r) + "\n")
