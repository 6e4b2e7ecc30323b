#!/usr/bin/env python3
"""Reactive-jobs benchmark (real ghrd and workers, the simulator, FerretDB).

1. latency from a webhook received (the job's queued_at, stamped by the webhook worker)
   to its runner's os.server.create (the openstack worker's "server created" line, so
   the create call itself is included): p50 and p99 with jobs arriving at 20/s for 60 s;
2. intake: signed deliveries answered 2xx per second (4 client threads, keep-alive);
3. claims per second with 4 processes racing on 1,000 jobs (build/tests/jobrace);
4. peak RSS of the webhook and reactive-consumer workers during 1 and 2.
Prints the figures and appends them as JSON lines to build/bench/results.jsonl.
GHR_BENCH_REACTIVE_S shortens the arrival period, GHR_BENCH_INTAKE_S the intake run.
FerretDB keeps its SQLite files on tmpfs when the machine has /dev/shm (tests/integration/
ferret.py): a test database's durability is not what is measured, and disk syncs would
add the disk's noise to every store write (production's MongoDB is configured apart)."""
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
from ferret import Ferret  # noqa: E402
from harness import BUILD, Sim, wait_until  # noqa: E402
from reactive_common import counts, job_payload, reactive_pool, sign, start_reactive, store_jobs  # noqa: E402

ARRIVAL_S = float(os.environ.get("GHR_BENCH_REACTIVE_S", "60"))
INTAKE_S = float(os.environ.get("GHR_BENCH_INTAKE_S", "10"))
RATE_PER_S = 20


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else None


class RssSampler(threading.Thread):
    """Peak VmRSS (kB) of the named workers of a ghrd, sampled every 200 ms."""

    def __init__(self, g, prefixes):
        super().__init__(daemon=True)
        self.g, self.prefixes, self.peak, self.stop = g, prefixes, {}, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                for w in self.g.status()["workers"]:
                    if w["name"].startswith(self.prefixes) and w.get("pid"):
                        with open(f"/proc/{w['pid']}/status") as f:
                            kb = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
                        key = w["name"].split(".")[0]
                        self.peak[key] = max(self.peak.get(key, 0), kb)
            except (OSError, AssertionError, AttributeError, KeyError):
                pass
            self.stop.wait(0.2)


def created_at(log):
    """runner name -> epoch ms of its "server created" line."""
    out = {}
    for m in re.finditer(r'^(\S+)Z worker=openstack level=info msg="server created" name=(\S+)', log, re.M):
        t = time.strptime(m.group(1)[:19], "%Y-%m-%dT%H:%M:%S")
        ms = int(m.group(1)[20:23]) if len(m.group(1)) > 20 else 0
        out[m.group(2)] = (int(time.mktime(t) - time.timezone) * 1000) + ms
    return out


def latency_run(results):
    with Ferret() as db, Sim() as sim, \
            start_reactive(sim, db, [reactive_pool("rx")],
                           reactive={"in_flight": 200, "idle_grace": "2s", "lease": "60s",
                                     "pickup_timeout": "10m", "poll_interval": "30s"}) as g:
        rss = RssSampler(g, ("webhook", "reactive-consumer"))
        rss.start()
        # Steady state, not start-up: the first jobs would otherwise wait for the scaler's
        # first image list (until then a create is refused and backs off).
        wait_until(lambda: (lambda r: r[0] == 0 and r[1]["pools"][0]["image_id"])(g.ctl("pools")), 60,
                   "the scaler knows the pool's image")
        sim.post("/knobs", {"job_arrival_labels": ["self-hosted", "rx"], "job_arrival_per_min": RATE_PER_S * 60})
        time.sleep(ARRIVAL_S)      # the arrival period is the measurement itself
        sim.post("/knobs", {"job_arrival_per_min": 0})
        queued = sim.get("/counters")["jobs"]["queued"]
        wait_until(lambda: sim.get("/counters")["jobs"]["completed"] >= queued, 900, "every job completed")
        wait_until(lambda: counts(g) == {}, 120, "no live job left")
        jobs = store_jobs(db)
        created = created_at(g.log())
        lat = [created[j["runner"]] - j["queued_at"] for j in jobs.values()
               if j.get("runner") in created and j.get("queued_at")]
        intake(g, results)
        rss.stop.set()
        rss.join(5)
        results += [
            {"metric": "reactive_latency_p50", "value": pct(lat, 50), "unit": "ms", "jobs": len(lat),
             "rate_per_s": RATE_PER_S, "seconds": ARRIVAL_S, "what": "webhook received -> server created"},
            {"metric": "reactive_latency_p99", "value": pct(lat, 99), "unit": "ms", "jobs": len(lat),
             "rate_per_s": RATE_PER_S, "seconds": ARRIVAL_S, "target": "< 250"},
            {"metric": "reactive_latency_max", "value": max(lat) if lat else None, "unit": "ms"},
        ]
        for name, kb in sorted(rss.peak.items()):
            results.append({"metric": f"rss_peak_{name}", "value": round(kb / 1024, 1), "unit": "MiB"})


def intake(g, results):
    """Signed deliveries answered 2xx per second (jobs of a repository outside the
    simulator, each done at once by a consumer: GitHub does not know them)."""
    host, port = g.webhook_url.split("//")[1].split("/")[0].split(":")
    ok, failed, stop = [0], [0], threading.Event()
    lock = threading.Lock()

    def client(k):
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        i = 0
        while not stop.is_set():
            i += 1
            job = 900000000 + k * 10000000 + i
            body = json.dumps(job_payload(job, labels=["self-hosted", "nomatch"])).encode()
            try:
                conn.request("POST", "/webhook", body, {"Content-Type": "application/json",
                             "X-GitHub-Event": "workflow_job", "X-GitHub-Delivery": f"b-{job}",
                             "X-Hub-Signature-256": sign(body)})
                r = conn.getresponse()
                r.read()
                with lock:
                    (ok if r.status == 200 else failed)[0] += 1
            except OSError:
                with lock:
                    failed[0] += 1
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(INTAKE_S)           # a fixed-length load period
    stop.set()
    for t in threads:
        t.join(15)
    secs = time.monotonic() - t0
    results.append({"metric": "webhook_intake", "value": round(ok[0] / secs, 1), "unit": "deliveries/s",
                    "answered_2xx": ok[0], "failed": failed[0], "seconds": round(secs, 1), "clients": 4,
                    "target": ">= 500"})


def claim_run(results):
    jobrace = os.path.join(BUILD, "tests", "jobrace")
    with Ferret() as db:
        subprocess.run([jobrace, db.uri, "seed", "1000"], check=True, timeout=600)
        t0 = time.monotonic()
        procs = [subprocess.Popen([jobrace, db.uri, "claim", f"c{i}", "2000", "25"], stdout=subprocess.PIPE,
                                  text=True) for i in range(4)]
        outs = [p.communicate(timeout=600)[0] for p in procs]
        totals = [re.search(r"total (\d+) ms (\d+)", o) for o in outs]
        claimed = sum(int(m.group(1)) for m in totals)
        busy_ms = max(int(m.group(2)) for m in totals)
        results.append({"metric": "claims_per_s_4_consumers", "value": round(claimed / (busy_ms / 1000.0), 1),
                        "unit": "claims/s", "claimed": claimed, "ms": busy_ms, "jobs": 1000,
                        "wall_s": round(time.monotonic() - t0, 1)})


def save(results):
    out_dir = os.path.join(BUILD, "bench")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.jsonl"), "a") as f:
        for r in results:
            print(json.dumps(r, sort_keys=True), flush=True)
            f.write(json.dumps(dict(r, bench="reactive", ts=int(time.time()))) + "\n")


def main():
    for run in (claim_run, latency_run):     # each run's figures are kept even if a later one fails
        results = []
        try:
            run(results)
        finally:
            save(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
