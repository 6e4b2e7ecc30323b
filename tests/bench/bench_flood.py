#!/usr/bin/env python3
"""The control-socket flood of a hostile local user: uid 65534 opens 2 connections to
ghrd's control socket and sends 900 KB frames as fast as ghrd takes them for --seconds
(default 90), while ghrd runs the github, openstack and scaler workers against the
simulator with heartbeats every 100 ms (a worker silent for 500 ms is killed).
Prints ghrd's RSS (sampled every 0.5 s, and the kernel's peak), the worker restarts
during the flood, frames sent, answers read afterwards and answers dropped because the
flooder did not read them (at most 1000 wait per connection).  Needs root (to become uid 65534).

    GHR_BUILD=build python3 tests/bench/bench_flood.py [--seconds N]
"""
import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import BUILD, Ghrd, Sim, as_user, control_flood, rss_kb  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=90)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("bench_flood: needs root (the flood runs as uid 65534)")
        return 0
    with Sim() as sim, Ghrd({"log": {"level": "info"}}, sim=sim) as g:
        os.chmod(g.tmp, 0o755)
        before = {w["name"]: w["restarts"] for w in g.status()["workers"]}
        samples, done = [], threading.Event()

        def sample():
            while not done.wait(0.5):
                samples.append(rss_kb(g.proc.pid))
        t = threading.Thread(target=sample)
        t.start()
        try:
            res = as_user("nobody", "nogroup",
                          lambda: control_flood(os.path.join(g.run_dir, "control"), a.seconds))
        finally:
            done.set()
            t.join()
        st = g.status()
        restarts = {w["name"]: w["restarts"] - before.get(w["name"], 0) for w in st["workers"]}
        peak = rss_kb(g.proc.pid, "VmHWM")
        g.stop()
    results = {"seconds": a.seconds, "connections": 2, "frame_kb": 900,
               "frames_sent": res["sent"], "frames_answered": res["answers"],
               "rss_max_sampled_mb": round(max(samples or [0]) / 1024, 1),
               "rss_peak_mb": round(peak / 1024, 1),
               "worker_restarts": sum(restarts.values()),
               "replies_dropped_unread": st.get("replies_dropped_full", 0)}
    print(f"control flood, uid 65534, 2 connections of 900 KB frames for {a.seconds:.0f} s: "
          f"{res['sent']} frames sent, {res['answers']} answers read afterwards "
          f"({results['replies_dropped_unread']} dropped unread: the flooder reads nothing "
          f"while it sends); ghrd RSS max "
          f"{results['rss_max_sampled_mb']} MB sampled, peak {results['rss_peak_mb']} MB "
          f"[target < 64 MB]; worker restarts {results['worker_restarts']} {restarts} "
          f"[target 0]")
    out = os.path.join(BUILD, "bench")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.jsonl"), "a") as f:
        f.write(json.dumps({"bench": "flood", "time": int(time.time()), **results}) + "\n")
    return 0 if results["worker_restarts"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
