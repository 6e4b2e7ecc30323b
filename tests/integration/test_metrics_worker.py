"""The metrics worker against a real ghrd and the simulator: /metrics in the Prometheus
text format on metrics.listen (loopback, a free port), 404 and 405 for anything else;
no worker at all when metrics.listen and metrics.textfile are empty; the textfile holds the same text; a listen address that cannot be bound
fails that worker alone, while one in use for a moment is retried until it is free.  And every metric the shipped Grafana dashboard and alerting
rules name is one that the running ghr really exports."""
import os
import re
import socket
import subprocess
import unittest
import urllib.error
import urllib.request

from harness import Ghrd, Sim, wait_until
from scaler_common import FAST_KNOBS, pool, scaler_config

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fetch(port, path="/metrics", method="GET"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def config(listen):
    p = pool("small", min_idle=1)
    p["demand"] = {"target_queue_time": "5s"}
    cfg = scaler_config([p], interval="1s")
    cfg["metrics"]["listen"] = listen
    return cfg


class MetricsWorker(unittest.TestCase):
    def test_serves_what_ghr_exports(self):
        with Sim() as sim:
            sim.post("/knobs", FAST_KNOBS)
            with Ghrd(config("127.0.0.1:0"), sim=sim) as g:
                m = wait_until(lambda: re.search(r"serving Prometheus metrics.* port=(\d+)", g.log()), 10,
                               "the metrics worker listening")
                port = int(m.group(1))
                self.assertEqual(g.worker("metrics")["state"], "ready")
                # once a reconcile has run, its figures are there
                text = wait_until(lambda: (lambda r: r[0] == 200 and "ghr_github_ratelimit_remaining" in r[2]
                                           and r[2])(fetch(port)), 20, "a full /metrics")
                status, ctype, _ = fetch(port)
                self.assertEqual(status, 200)
                self.assertIn("version=0.0.4", ctype)
                for line in text.splitlines():
                    self.assertRegex(line, r"^(# (HELP|TYPE) ghr_\w+ .+|ghr_\w+(\{[^}]*\})? [-0-9.e+Inf]+)$")
                self.assertRegex(text, r'ghr_worker_up\{worker="scaler"\} 1')
                self.assertRegex(text, r'ghr_pool_target\{pool="small"\} \d+')
                self.assertRegex(text, r'ghr_pool_target_queue_seconds\{pool="small"\} 5\.000')
                self.assertEqual(fetch(port, "/")[0], 404)
                self.assertEqual(fetch(port, "/metrics/x")[0], 404)
                self.assertEqual(fetch(port, "/metrics", "POST")[0], 405)
                # every name the dashboard and the rules use is served
                exported = set(re.findall(r"^# TYPE (ghr_\w+) (\w+)", text, re.M))
                served = set()
                for name, kind in exported:
                    served.add(name)
                    if kind == "histogram":
                        served |= {name + "_bucket", name + "_sum", name + "_count"}
                used = subprocess.run(
                    ["python3", os.path.join(SRC, "tests/scripts/dashboard_queries.py"), "names",
                     os.path.join(SRC, "etc/grafana/ghr.json"), os.path.join(SRC, "etc/prometheus/ghr-rules.yaml")],
                    capture_output=True, text=True, check=True).stdout.split()
                self.assertGreater(len(used), 10)
                self.assertEqual(sorted(set(used) - served), [], "named by the dashboard or rules, not exported")

    def test_textfile_holds_what_metrics_serves(self):
        """metrics.textfile alone runs the metrics worker, which writes the whole text
        (ghrd's, the scaler's, the image builder's): mode 0644, replaced by rename, never
        half written; a directory it cannot write to is logged, and the file comes once
        the directory is there."""
        with Sim() as sim:
            sim.post("/knobs", FAST_KNOBS)
            cfg = config("")
            g = Ghrd(cfg, sim=sim, start=False)
            with g:
                path = os.path.join(g.tmp, "prom", "ghr.prom")
                g.config["metrics"]["textfile"] = path
                g.write_config()
                g.start()
                self.assertEqual(g.worker("metrics")["state"], "ready")
                wait_until(lambda: "cannot write the metrics textfile" in g.log(), 15, "the missing directory logged")
                os.mkdir(os.path.dirname(path))

                def full():
                    try:
                        with open(path) as f:
                            t = f.read()
                    except FileNotFoundError:
                        return None
                    return "ghr_github_ratelimit_remaining" in t and t
                text = wait_until(full, 20, "a full textfile")
                self.assertEqual(os.stat(path).st_mode & 0o777, 0o644)
                self.assertRegex(text, r'ghr_worker_up\{worker="scaler"\} 1')
                self.assertRegex(text, r'ghr_pool_target\{pool="small"\} \d+')
                wait_until(lambda: "metrics textfile written again" in g.log(), 10, "the recovery logged")
                for line in text.splitlines():
                    self.assertRegex(line, r"^(# (HELP|TYPE) ghr_\w+ .+|ghr_\w+(\{[^}]*\})? [-0-9.e+Inf]+)$")
                # rewritten: the uptime moves on
                up = re.search(r"^ghr_uptime_seconds (\d+)", text, re.M).group(1)
                wait_until(lambda: re.search(r"^ghr_uptime_seconds (\d+)", full() or "", re.M).group(1) != up,
                           20, "the textfile rewritten")
                # (a write may be under way at any moment: its temporary file is short-lived)
                wait_until(lambda: os.listdir(os.path.dirname(path)) == ["ghr.prom"], 10,
                           "no temporary file left beside it")

    def test_off_unless_listen_or_textfile_set(self):
        with Sim() as sim:
            sim.post("/knobs", FAST_KNOBS)
            with Ghrd(config(""), sim=sim) as g:
                names = [w["name"] for w in g.status()["workers"]]
                self.assertIn("scaler", names)
                self.assertNotIn("metrics", names)

    def test_bad_listen_fails_that_worker_alone(self):
        with Sim() as sim:
            sim.post("/knobs", FAST_KNOBS)
            with Ghrd(config("203.0.113.1:1"), sim=sim, wait_ready=False) as g:
                wait_until(lambda: "cannot serve metrics" in g.log(), 15, "the bind error logged")
                wait_until(lambda: g.worker("metrics")["state"] == "failed", 15, "the metrics worker failed")
                self.assertIn("key=metrics.listen", g.log())
                wait_until(lambda: g.worker("scaler")["state"] == "ready", 15, "the scaler ready all the same")

    def test_address_in_use_is_retried(self):
        """An address another process holds is a failure that may pass: the worker exits 1
        and is restarted with backoff (not failed with 78), and serves once it is free."""
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        try:
            with Sim() as sim:
                sim.post("/knobs", FAST_KNOBS)
                with Ghrd(config(f"127.0.0.1:{port}"), sim=sim, wait_ready=False) as g:
                    wait_until(lambda: g.worker("metrics")["restarts"] >= 1, 15, "the metrics worker restarted")
                    self.assertIn("address in use", g.log())
                    self.assertNotEqual(g.worker("metrics")["state"], "failed")
                    holder.close()
                    wait_until(lambda: g.worker("metrics")["state"] == "ready", 20, "the metrics worker serving")
                    self.assertEqual(fetch(port)[0], 200)
        finally:
            holder.close()


if __name__ == "__main__":
    unittest.main()
