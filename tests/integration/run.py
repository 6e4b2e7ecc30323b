#!/usr/bin/env python3
"""Run every tests/integration/test_*.py module, each in its own process, a few at a
time, and print one summary line:

    integration: N passed, N failed[, N skipped]

Exit status is non-zero when a test failed, a module crashed or timed out, or no test
ran at all.  The whole run is bounded (GHR_INTEGRATION_TIMEOUT seconds, default 1200),
each module too (GHR_MODULE_TIMEOUT, default 600).  Each module runs in a process group
of its own; on a timeout the whole group (the test process and every ghrd, worker and
simulator it started) is killed, so nothing outlives the run.

    python3 tests/integration/run.py [-j N] [PATTERN...]   (PATTERN: substring of a module)
"""
import argparse
import glob
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

HERE = os.path.dirname(os.path.abspath(__file__))

# Runs inside each child: one module, results as a JSON line on the last line of stdout.
CHILD = r"""
import json, sys, unittest
sys.path.insert(0, sys.argv[1])
mod = __import__(sys.argv[2])
suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
res = unittest.TextTestRunner(stream=sys.stderr, verbosity=2).run(suite)
fails = [t.id() for t, _ in res.failures + res.errors]
fails += [t.id() for t in res.unexpectedSuccesses]
print(json.dumps({"run": res.testsRun, "failed": len(fails), "skipped": len(res.skipped),
                  "failures": fails}))
"""


RUNNING = set()            # process groups of the modules still running
RUNNING_LOCK = threading.Lock()
STOPPING = threading.Event()


def kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_module(path, timeout):
    name = os.path.splitext(os.path.basename(path))[0]
    start = time.monotonic()
    if STOPPING.is_set():
        return {"run": 0, "failed": 0, "skipped": 0, "failures": [], "name": name,
                "seconds": 0.0, "log": "not started: the whole run timed out", "cancelled": True}
    p = subprocess.Popen([sys.executable, "-c", CHILD, HERE, name], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=os.path.dirname(HERE) + "/..",
                         start_new_session=True)
    with RUNNING_LOCK:
        RUNNING.add(p)
        if STOPPING.is_set():   # the whole run timed out while this one was starting
            kill_group(p)
    try:
        out, err = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        kill_group(p)
        out, err = p.communicate()
        err += f"\nmodule timed out after {timeout}s"
        rc = -1
    finally:
        kill_group(p)   # whatever the module left running (a ghrd it failed to stop)
        with RUNNING_LOCK:
            RUNNING.discard(p)
    res = None
    for line in reversed(out.strip().splitlines()):
        try:
            res = json.loads(line)
            break
        except ValueError:
            continue
    if res is None:   # crashed or timed out: the module counts as one failure
        res = {"run": 0, "failed": 1, "skipped": 0, "failures": [f"{name} (rc {rc})"]}
    res["name"] = name
    res["seconds"] = time.monotonic() - start
    res["log"] = err
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-j", type=int, default=int(os.environ.get("GHR_INTEGRATION_JOBS", "3")))
    ap.add_argument("patterns", nargs="*")
    a = ap.parse_args()
    total_timeout = float(os.environ.get("GHR_INTEGRATION_TIMEOUT", "1200"))
    module_timeout = float(os.environ.get("GHR_MODULE_TIMEOUT", "600"))
    mods = sorted(glob.glob(os.path.join(HERE, "test_*.py")))
    if a.patterns:
        mods = [m for m in mods if any(p in os.path.basename(m) for p in a.patterns)]
    passed = failed = skipped = 0
    deadline = time.monotonic() + total_timeout
    pool = ThreadPoolExecutor(max_workers=max(1, a.j))
    try:
        futs = {pool.submit(run_module, m, module_timeout): m for m in mods}
        try:
            for f in as_completed(futs, timeout=max(1.0, deadline - time.monotonic())):
                r = f.result()
                if r.get("cancelled"):
                    continue
                ok = r["failed"] == 0
                passed += r["run"] - r["failed"] - r["skipped"] if r["run"] else 0
                failed += r["failed"]
                skipped += r["skipped"]
                print(f"{'ok  ' if ok else 'FAIL'} {r['name']}: {r['run']} run, {r['failed']} failed,"
                      f" {r['skipped']} skipped ({r['seconds']:.1f}s)", flush=True)
                if not ok:
                    for t in r["failures"]:
                        print(f"     failed: {t}")
                    print("     " + "\n     ".join(r["log"].strip().splitlines()[-60:]), flush=True)
        except TimeoutError:
            print(f"integration: whole run exceeded {total_timeout:.0f}s; killing what runs",
                  flush=True)
            STOPPING.set()
            with RUNNING_LOCK:
                for p in list(RUNNING):
                    kill_group(p)
            failed += 1
    finally:
        STOPPING.set()
        pool.shutdown(wait=True, cancel_futures=True)   # threads end: their groups are dead
    line = f"integration: {passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
