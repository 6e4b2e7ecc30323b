#!/usr/bin/env python3
"""Load test of the simulator itself: how many requests/s it sustains.

Starts tests/sim/ghr-sim in its own process (so the client's Python does not
share its interpreter lock), seeds --seed servers with runners, then several
client threads send a mix of the requests ghr makes, each over one HTTP/1.1
keep-alive connection, until --requests are done or --seconds have passed.
Loopback only.  Prints one JSON object with the figures.

  python3 tests/sim/bench_sim.py [--threads 8] [--seconds 5] [--requests 20000] [--seed 5000]
                                 [--mix all|light] [--latency-ms 0]
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
PAT = "ghp_simtoken0000000000000000000000000000"
GH = {"Authorization": "Bearer " + PAT, "Accept": "application/vnd.github+json",
      "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "ghr-bench"}


def call(conn, method, path, body=None, headers=None):
    """One request on a keep-alive connection.  The simulator closes a connection after
    max_requests_per_conn requests or keepalive_idle_ms, as real servers do; like a real
    client, reconnect and send again (only a connection closed before any answer)."""
    payload = json.dumps(body) if body is not None else None
    for attempt in (0, 1):
        try:
            conn.request(method, path, body=payload, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, r.getheader("X-Subject-Token"), data
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            if attempt:
                raise


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=5000)
    ap.add_argument("--mix", choices=("all", "light"), default="all")
    ap.add_argument("--latency-ms", type=int, default=0)
    args = ap.parse_args()

    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "ghr-sim"), "--port", "0", "--control-port", "0",
                             "--knob", "rate_limit_core=100000000"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().split()
        api = urlsplit(line[2].split("=", 1)[1])
        ctl = urlsplit(line[3].split("=", 1)[1])
        c = http.client.HTTPConnection(ctl.hostname, ctl.port, timeout=60)
        t0 = time.monotonic()
        st, _, body = call(c, "POST", "/seed", {"servers": {"count": args.seed, "name_prefix": "ghr-bench-small-",
                                                             "with_runners": True, "runner_status": "online",
                                                             "busy": True}})
        seed_s = time.monotonic() - t0
        assert st == 200, body
        call(c, "POST", "/knobs", {"latency_ms": args.latency_ms})
        a = http.client.HTTPConnection(api.hostname, api.port, timeout=30)
        st, tok, body = call(a, "POST", "/identity/v3/auth/tokens", {"auth": {"identity": {
            "methods": ["password"], "password": {"user": {"name": "ghr", "domain": {"name": "Default"},
                                                           "password": "ghr-secret"}}},
            "scope": {"project": {"name": "ghr", "domain": {"name": "Default"}}}}}, {"Content-Type": "application/json"})
        assert st == 201, body
        nova = {"X-Auth-Token": tok, "OpenStack-API-Version": "compute 2.79"}
        st, _, body = call(a, "GET", "/compute/v2.1/servers/detail?limit=50", headers=nova)
        sids = [s["id"] for s in json.loads(body)["servers"]]
        st, _, body = call(a, "GET", "/github/orgs/ghr-org/actions/runners?per_page=50", headers=GH)
        rids = [r["id"] for r in json.loads(body)["runners"]]
        if args.mix == "light":
            mix = [("GET", "/github/orgs/ghr-org/actions/runners/%d" % rids[0], GH),
                   ("GET", "/compute/v2.1/servers/%s" % sids[0], nova)]
        else:
            mix = [("GET", "/github/orgs/ghr-org/actions/runners/%d" % rids[0], GH),
                   ("GET", "/compute/v2.1/servers/%s" % sids[0], nova),
                   ("GET", "/github/orgs/ghr-org/actions/runners/%d" % rids[1], GH),
                   ("GET", "/compute/v2.1/servers/%s" % sids[1], nova),
                   ("GET", "/compute/v2.1/servers/detail?name=%%5Eghr-bench-small-0%d&limit=10" % 1, nova),
                   ("GET", "/github/rate_limit", GH),
                   ("GET", "/image/v2/images?tag=ghr-runner&sort=created_at:desc", {"X-Auth-Token": tok}),
                   ("GET", "/github/orgs/ghr-org/actions/runners?per_page=10&page=3", GH)]
        lock = threading.Lock()
        done = [0]
        errors = [0]
        lat = []
        deadline = time.monotonic() + args.seconds

        def worker(k):
            conn = http.client.HTTPConnection(api.hostname, api.port, timeout=30)
            i = k
            mine = []
            while time.monotonic() < deadline:
                with lock:
                    if done[0] >= args.requests:
                        break
                    done[0] += 1
                m, p, h = mix[i % len(mix)]
                i += 1
                t = time.monotonic()
                try:
                    st, _, _ = call(conn, m, p, headers=h)
                    if st >= 400:
                        with lock:
                            errors[0] += 1
                except (OSError, http.client.HTTPException):
                    with lock:
                        errors[0] += 1
                    conn.close()
                    conn = http.client.HTTPConnection(api.hostname, api.port, timeout=30)
                mine.append(time.monotonic() - t)
            with lock:
                lat.extend(mine)

        t0 = time.monotonic()
        ths = [threading.Thread(target=worker, args=(k,)) for k in range(args.threads)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        el = time.monotonic() - t0
        lat.sort()

        # the name-regex list over all seeded servers, alone
        t1 = time.monotonic()
        n = 20
        for _ in range(n):
            call(a, "GET", "/compute/v2.1/servers/detail?name=%5Eghr-bench-small-04999%24", headers=nova)
        regex_ms = (time.monotonic() - t1) / n * 1000
        res = {"requests": len(lat), "seconds": round(el, 3), "req_per_s": round(len(lat) / el, 1),
               "errors": errors[0], "p50_ms": round(lat[len(lat) // 2] * 1000, 2) if lat else None,
               "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 2) if lat else None,
               "threads": args.threads, "mix": args.mix, "seeded": args.seed, "seed_seconds": round(seed_s, 3),
               "name_regex_over_seed_ms": round(regex_ms, 2), "latency_ms": args.latency_ms}
        print(json.dumps(res))
        return 0 if errors[0] == 0 else 1
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    sys.exit(main())
