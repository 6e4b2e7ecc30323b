"""The ghr-sim command: ready line, config file, --log, SIGTERM; and the README covers every knob."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

import simtest as T
from ghrsim import config, control, faults

SIM = os.path.join(T.HERE, "ghr-sim")
READY = re.compile(r"^ghr-sim ready api=http://127\.0\.0\.1:(\d+) control=http://127\.0\.0\.1:(\d+)\n$")


def start(*args):
    t0 = time.monotonic()
    p = subprocess.Popen([SIM, "--port", "0", "--control-port", "0"] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    return p, line, time.monotonic() - t0


class Command(unittest.TestCase):
    def stop(self, p):
        p.send_signal(signal.SIGTERM)
        try:
            return p.wait(5)
        finally:
            p.stdout.close()
            p.stderr.close()

    def test_ready_log_sigterm(self):
        p, line, took = start("--log")
        try:
            m = READY.match(line)
            self.assertTrue(m, line)
            # ~0.2-0.4 s when the machine is quiet; generous because suites run in parallel
            self.assertLess(took, 3.0, "ready quickly (interpreter start included)")
            api = "http://127.0.0.1:" + m.group(1)
            r = T.request(api, "GET", "/github/rate_limit", headers=T.gh_headers())
            self.assertEqual(r.status, 200)
            self.assertEqual(T.request("http://127.0.0.1:" + m.group(2), "GET", "/health").json["ok"], True)
        finally:
            rc = self.stop(p) if p.poll() is None else p.returncode
        self.assertEqual(rc, 0)

    def test_log_lines(self):
        p = subprocess.Popen([SIM, "--port", "0", "--control-port", "0", "--log"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        api = "http://127.0.0.1:" + READY.match(p.stdout.readline()).group(1)
        T.request(api, "GET", "/github/rate_limit", headers=T.gh_headers())
        T.request(api, "GET", "/compute/v2.1/servers")
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=5)
        self.assertEqual(p.returncode, 0)
        lines = [l for l in err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 2, err)
        self.assertIn("GET /github/rate_limit 200", lines[0])
        self.assertIn("GET /compute/v2.1/servers 401", lines[1])

    def test_config_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"github": {"pats": ["ghp_other"], "orgs": ["acme"]}, "knobs": {"boot_ms": 5}}, f)
        try:
            p, line, _ = start("--config", f.name)
            try:
                m = READY.match(line)
                api, ctl = "http://127.0.0.1:" + m.group(1), "http://127.0.0.1:" + m.group(2)
                self.assertEqual(T.request(api, "GET", "/github/orgs/acme/actions/runners",
                                           headers=T.gh_headers("ghp_other")).status, 200)
                self.assertEqual(T.request(api, "GET", "/github/orgs/acme/actions/runners",
                                           headers=T.gh_headers()).status, 401)
                self.assertEqual(T.request(ctl, "GET", "/knobs").json["boot_ms"], 5)
            finally:
                self.stop(p)
        finally:
            os.unlink(f.name)

    def test_exit_with_parent(self):
        # a shell starts the simulator and dies; the simulator follows it
        out = subprocess.run(["/bin/sh", "-c", '"$0" --port 0 --control-port 0 --exit-with-parent >/dev/null 2>&1 & '
                              'echo $!; sleep 1', SIM], capture_output=True, text=True, timeout=10)
        pid = int(out.stdout.split()[0])

        def gone():
            try:
                os.kill(pid, 0)
                with open("/proc/%d/stat" % pid) as f:
                    return f.read().split()[2] == "Z"
            except (ProcessLookupError, FileNotFoundError):
                return True
        try:
            T.wait_for(gone, timeout=5, what="orphaned simulator exits")
        finally:
            if not gone():
                os.kill(pid, signal.SIGKILL)

    def test_bad_config(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"knobs": {"no_such_knob": 1}}, f)
        try:
            r = subprocess.run([SIM, "--config", f.name], capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 2)
            self.assertIn("unknown knobs", r.stderr)
        finally:
            os.unlink(f.name)


class Readme(unittest.TestCase):
    """One place per fact: the README must name every knob, fault kind and control endpoint."""

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(T.HERE, "README.md")) as f:
            cls.text = f.read()

    def test_knobs_documented(self):
        missing = [k for k in config.KNOBS if "`%s`" % k not in self.text]
        self.assertEqual(missing, [])

    def test_fault_kinds_documented(self):
        missing = [k for k in faults.KINDS if "`%s`" % k not in self.text]
        self.assertEqual(missing, [])

    def test_control_endpoints_documented(self):
        missing = []
        for method, rx, _ in control.ROUTES:
            path = re.sub(r"\(\[\^/\]\+\)|\(\\d\+\)", "{id}", rx.strip("^$"))
            if "%s %s" % (method, path) not in self.text:
                missing.append("%s %s" % (method, path))
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main()
