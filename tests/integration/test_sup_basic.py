"""ghrd with fake workers: status, routing, access list, restart, log level, version."""
import subprocess
import unittest

from harness import CTL, Ghrd, pid_alive, wait_until


def two_fakes(**over):
    cfg = {"workers": {"fake": {"instances": 2}}}
    cfg["workers"]["fake"].update(over)
    return cfg


class Basic(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.g = Ghrd(two_fakes())

    @classmethod
    def tearDownClass(cls):
        cls.g.stop()
        cls.g.close()

    def test_status_lists_every_instance_ready(self):
        st = self.g.status()
        names = {w["name"]: w for w in st["workers"]}
        self.assertEqual(set(names), {"fake.1", "fake.2"})
        for w in names.values():
            self.assertEqual(w["state"], "ready")
            self.assertGreater(w["pid"], 0)
            self.assertGreaterEqual(w["heartbeat_age_ms"], 0)
            self.assertEqual(w["bad_frames"], 0)
        self.assertTrue(st["ready"])
        self.assertEqual(st["pid"], self.g.proc.pid)

    def test_human_status_is_a_table(self):
        rc, out = self.g.ctl("status", json_out=False)
        self.assertEqual(rc, 0, out)
        self.assertIn("WORKER", out)
        self.assertIn("fake.2", out)

    def test_workers_and_version(self):
        rc, w = self.g.ctl("workers")
        self.assertEqual(rc, 0)
        self.assertTrue(all(r["exec"].endswith("/fake") for r in w["workers"]))
        rc, v = self.g.ctl("version")
        self.assertEqual(rc, 0)
        self.assertEqual(v["proto"], 1)

    def test_help_and_version_need_no_ghrd(self):
        for args, rc_want, stream in ((["--help"], 0, "stdout"), (["help"], 0, "stdout"),
                                      ([], 2, "stderr")):
            p = subprocess.run([CTL, "-r", "/nonexistent"] + args, capture_output=True, text=True,
                               timeout=10)
            self.assertEqual(p.returncode, rc_want, args)
            text = getattr(p, stream)
            for word in ("commands:", "status", "reconcile", "exit status:", "69"):
                self.assertIn(word, text, args)
        p = subprocess.run([CTL, "-r", "/nonexistent", "version"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^ghr-ctl \d+\.\d+\.\d+\nghrd: not reachable")

    def test_echo_routed_to_the_named_instance_and_round_robin(self):
        rc, r = self.g.call("fake.echo", {"j": {"a": [1, 2]}}, to="fake.2")
        self.assertEqual((rc, r), (0, {"j": {"a": [1, 2]}}))
        for _ in range(4):
            rc, r = self.g.call("fake.echo", {"j": "x"})
            self.assertEqual((rc, r), (0, {"j": "x"}))

    def test_worker_calls_another_worker_through_ghrd(self):
        rc, r = self.g.call("fake.call", {"method": "fake.echo", "body": {"j": 7}, "to": "fake.2"},
                            to="fake.1")
        self.assertEqual(rc, 0, r)
        self.assertEqual(r, {"reply": {"j": 7}})

    def test_worker_may_not_call_what_the_access_list_forbids(self):
        rc, out = self.g.call("fake.call", {"method": "github.runner.delete", "body": {"id": 1}})
        self.assertEqual(rc, 1)
        self.assertIn("forbidden", out)
        self.assertIn("github.runner.delete", out)

    def test_unknown_method_and_bad_body_are_bad_requests(self):
        rc, out = self.g.call("fake.nope")
        self.assertEqual(rc, 1)
        self.assertIn("bad_request", out)
        rc, out = self.g.call("fake.call", {"methd": "x"})
        self.assertEqual(rc, 1)
        self.assertIn("bad_request", out)
        rc, out = self.g.call("sup.restart", {"worker": "nobody"})
        self.assertEqual(rc, 1)
        self.assertIn("not_found", out)

    def test_usage_errors_exit_2(self):
        for args in (["restart"], ["log-level", "loud"], ["call", "fake.echo", "[1]"], ["nope"]):
            rc, _ = self.g.ctl(*args)
            self.assertEqual(rc, 2, args)

    def test_unreachable_exits_69(self):
        p = subprocess.run([CTL, "-r", "/nonexistent-ghr", "status"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 69)
        self.assertIn("not running", p.stderr)

    def test_events_fan_out_to_subscribers_but_not_the_sender(self):
        # each fake emits fake.started when ready; the instance ready last sends to the other
        log = wait_until(lambda: (lambda t: "event received" in t and t)(self.g.log()), 5,
                         "an event delivered")
        got = [l for l in log.splitlines() if "event received" in l]
        for line in got:
            me = line.split("worker=")[1].split()[0]
            sender = line.split("from=")[1].split()[0]
            self.assertNotEqual(me, sender)
            self.assertIn("topic=fake.started", line)

    def test_metrics_text(self):
        rc, r = self.g.call("sup.metrics")
        self.assertEqual(rc, 0, r)
        self.assertIn('ghr_worker_up{worker="fake.1"} 1', r["text"])
        self.assertIn("# TYPE ghr_worker_restarts_total counter", r["text"])

    def test_log_level_reaches_the_workers(self):
        rc, r = self.g.ctl("log-level", "debug", "fake")
        self.assertEqual(rc, 0, r)
        self.assertEqual(sorted(r["applied"]), ["fake.1", "fake.2"])
        wait_until(lambda: "log level changed" in self.g.log(), 15, "workers to log the change")

    def test_restart_gives_a_new_process(self):
        old = self.g.worker("fake.1")["pid"]
        rc, r = self.g.ctl("restart", "fake.1")
        self.assertEqual((rc, r), (0, {"restarted": ["fake.1"]}))
        w = wait_until(lambda: (lambda w: w["state"] == "ready" and w["pid"] != old and w)(
            self.g.worker("fake.1")), 10, "fake.1 back with a new pid")
        self.assertEqual(w["restarts"], 0, "an operator restart is not a crash")
        self.assertFalse(pid_alive(old))


if __name__ == "__main__":
    unittest.main()
