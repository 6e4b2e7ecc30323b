#!/usr/bin/env python3
"""Benchmark of the openstack worker against the simulator (100 ms API latency):

  create   500 os.server.create at once (default concurrency): wall time, requests
           made, peak RSS (VmHWM) of the worker; target: under 5 s.
  list     os.servers.list over 5,000 servers of this manager: wall time and the
           number of Nova requests (pages).

Prints the figures and appends them as JSON lines to build/bench/results.jsonl.
Bounded: 500 requests, 5,000 seeded servers, every wait has a timeout.
"""
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from harness import BUILD, WTEST, Sim  # noqa: E402
import test_openstack_worker as t  # noqa: E402  (slice, secret and request bodies)

LATENCY_MS = 100
CREATES = 500
LIST_SERVERS = 5000


def worker_pid(w, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for line in w.log().splitlines():
            if 'msg="worker started"' in line:
                return int(line.rsplit("pid=", 1)[1].split()[0])
        time.sleep(0.02)
    raise RuntimeError("worker pid not found in its log")


class RssSampler(threading.Thread):
    """VmHWM of a process, sampled until it exits (the kernel keeps the peak)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.stop = pid, 0, False

    def run(self):
        while not self.stop:
            try:
                with open("/proc/%d/status" % self.pid) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.01)


def bench_create(sim):
    sim.ctl("POST", "/reset", {"knobs": {"latency_ms": LATENCY_MS, "quota_instances": -1,
                                         "quota_cores": -1, "quota_ram_mb": -1}})
    with t.openstack_worker(t.password_secret(sim), parallel=True, timeout_ms=120000) as w:
        sampler = RssSampler(worker_pid(w))
        sampler.start()
        reqs = [{"method": "os.server.create", "body": t.create_body("bench-p-%08x" % i), "timeout_ms": 60000}
                for i in range(CREATES)]
        replies, summary = w.batch(reqs)
        sampler.stop = True
        sampler.join(2)
    c = sim.counters()
    made = len(sim.servers())
    out = {"bench": "openstack.create", "n": CREATES, "ok": summary["ok"], "failed": summary["failed"],
           "wall_ms": summary["wall_ms"], "servers_made": made, "latency_ms": LATENCY_MS,
           "requests": c["requests_total"], "peak_rss_kb": sampler.peak_kb, "concurrency": 32}
    if summary["ok"] != CREATES or made != CREATES:
        out["errors"] = sorted({r.get("error", {}).get("message", "") for r in replies if not r["ok"]})[:5]
    return out


def bench_list(sim):
    sim.ctl("POST", "/reset", {"knobs": {"latency_ms": LATENCY_MS}})
    sim.ctl("POST", "/seed", {"servers": {"count": LIST_SERVERS, "name_prefix": "bench-l-",
                                          "metadata": {"ghr-manager": t.MANAGER, "ghr-pool": "p",
                                                       "ghr-created": "2026-11-23T00:00:00Z"}}})
    with t.openstack_worker(t.password_secret(sim)) as w:
        w.request("os.flavors.list")        # authenticate first: measure the listing alone
        sim.ctl("POST", "/counters/reset")
        t0 = time.monotonic()
        ids, parts, marker, r = set(), 0, None, None
        while parts < 100:                  # bounded: 5,000 servers come in a few parts
            body = {"prefix": "bench-", "chunked": True}
            if marker:
                body["marker"] = marker
            r = w.request("os.servers.list", body, timeout_ms=120000)
            if not r["ok"]:
                break
            parts += 1
            ids.update(s["id"] for s in r["body"]["servers"])
            marker = r["body"].get("next")
            if not marker:
                break
        wall = (time.monotonic() - t0) * 1000
    return {"bench": "openstack.list", "servers": len(ids), "ok": r["ok"] and len(ids) == LIST_SERVERS,
            "bus_parts": parts, "wall_ms": round(wall, 1),
            "nova_requests": sim.requests("nova GET /servers/detail"), "latency_ms": LATENCY_MS,
            **({} if r["ok"] else {"error": r["error"]})}


def main():
    if not (os.path.exists(WTEST) and os.path.exists(t.WORKER)):
        print("bench_openstack: needs %s and %s" % (WTEST, t.WORKER))
        return 1
    with Sim() as sim:
        results = [bench_create(sim), bench_list(sim)]
    out_dir = os.path.join(BUILD, "bench")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.jsonl"), "a") as f:
        for r in results:
            r["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            f.write(json.dumps(r) + "\n")
            print(json.dumps(r))
    return 0 if results[0]["ok"] == CREATES and results[1]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
