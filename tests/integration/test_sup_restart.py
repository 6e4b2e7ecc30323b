"""Supervision: crash → restart, crash loop → failed (→ ghrd exits when essential),
exit 78 → not restarted, silent worker → killed and restarted, ignored SIGTERM →
killed after the shutdown timeout."""
import os
import signal
import time
import unittest

from harness import Ghrd, pid_alive, wait_until


def fake(args, instances=1, **over):
    w = {"instances": instances, "args": args}
    w.update(over)
    return {"workers": {"fake": w}}


class Restart(unittest.TestCase):
    def test_crash_is_restarted(self):
        with Ghrd(fake(["--crash-after", "300"])) as g:
            first = g.worker("fake")["pid"]
            w = wait_until(lambda: (lambda w: w["restarts"] >= 1 and w["state"] == "ready"
                                    and w["pid"] != first and w)(g.worker("fake")),
                           10, "fake restarted after its crash")
            self.assertEqual(w["last_exit"], "killed by SIGSEGV")
            self.assertIn("restarting worker", g.log())
            g.stop()

    def test_kill_9_of_a_worker_is_restarted_at_once(self):
        with Ghrd(fake([])) as g:
            pid = g.worker("fake")["pid"]
            os.kill(pid, signal.SIGKILL)
            w = wait_until(lambda: (lambda w: w["state"] == "ready" and w["pid"] != pid and w)(
                g.worker("fake")), 5, "fake ready again")
            self.assertEqual(w["last_exit"], "killed by SIGKILL")
            self.assertEqual(w["restarts"], 1)
            g.stop()

    def test_crash_loop_reaches_intensity_and_fails(self):
        cfg = fake(["--on", "fake.2", "--crash-at-start"], instances=2)
        cfg["supervisor"] = {"restart_intensity": 3, "restart_period": "60s", "backoff_max": "200ms"}
        with Ghrd(cfg, wait_ready=False) as g:
            w = wait_until(lambda: (lambda w: w["state"] == "failed" and w)(g.worker("fake.2")),
                           15, "fake.2 failed")
            self.assertEqual(w["restarts"], 3)
            self.assertIn("killed by SIGSEGV", w["last_exit"])
            self.assertIn("3 restarts", w["last_exit"])
            self.assertEqual(w["pid"], 0)
            # not essential: ghrd and the healthy instance carry on
            wait_until(lambda: g.worker("fake.1")["state"] == "ready", 15, "fake.1 ready")
            self.assertIsNone(g.proc.poll())
            # an operator restart lifts the failed state (and it fails again here)
            rc, _ = g.ctl("restart", "fake.2")
            self.assertEqual(rc, 0)
            w = wait_until(lambda: (lambda w: w["state"] == "failed" and w["restarts"] == 6 and w)(
                g.worker("fake.2")), 15, "fake.2 failed again after 3 more restarts")
            self.assertEqual(w["pid"], 0)
            self.assertEqual(g.worker("fake.1")["state"], "ready")
            g.stop()

    def test_essential_worker_failing_stops_ghrd_with_1(self):
        cfg = fake(["--crash-at-start"], essential=True)
        cfg["supervisor"] = {"restart_intensity": 2, "backoff_max": "100ms"}
        with Ghrd(cfg, wait_ready=False) as g:
            rc = g.wait_exit(15)
            self.assertEqual(rc, 1)
            self.assertIn("an essential worker failed", g.log())

    def test_exit_78_is_not_restarted(self):
        with Ghrd(fake(["--on", "fake.2", "--exit", "78"], instances=2), wait_ready=False) as g:
            w = wait_until(lambda: (lambda w: w["state"] == "failed" and w)(g.worker("fake.2")),
                           10, "fake.2 failed")
            self.assertEqual(w["restarts"], 0)
            self.assertEqual(w["last_exit"], "configuration error (exited 78)")
            # the decision is logged when the exit is handled, in the same step as any
            # restart would be: once the line is there, a restart would be too
            log = wait_until(lambda: (lambda t: 'msg="worker failed, not restarting" worker=fake.2'
                                      in t and t)(g.log()), 5, "the no-restart decision logged")
            self.assertEqual(log.count('msg="worker started" worker=fake.2'), 1)
            self.assertNotIn('msg="restarting worker" worker=fake.2', log)
            self.assertEqual(g.worker("fake.2")["restarts"], 0)
            g.stop()

    def test_essential_exit_78_stops_ghrd_with_78(self):
        with Ghrd(fake(["--exit", "78"], essential=True), wait_ready=False) as g:
            self.assertEqual(g.wait_exit(15), 78)

    def test_transient_clean_exit_is_not_restarted(self):
        with Ghrd(fake(["--on", "fake.2", "--exit", "0"], instances=2, restart="transient"),
                  wait_ready=False) as g:
            w = wait_until(lambda: (lambda w: w["state"] == "stopped" and w)(g.worker("fake.2")),
                           10, "fake.2 stopped")
            self.assertEqual(w["restarts"], 0)
            g.stop()

    def test_silent_worker_is_killed_and_restarted(self):
        with Ghrd(fake(["--silent-after", "200"])) as g:
            first = g.worker("fake")["pid"]
            w = wait_until(lambda: (lambda w: w["restarts"] >= 1 and w)(g.worker("fake")),
                           10, "silent fake restarted")
            self.assertNotEqual(w["pid"], first)
            self.assertFalse(pid_alive(first))
            self.assertIn("missed heartbeats", g.log())
            g.stop()

    def test_hung_worker_is_killed_and_restarted(self):
        with Ghrd(fake(["--hang-after", "200"])) as g:
            w = wait_until(lambda: (lambda w: w["restarts"] >= 1 and w)(g.worker("fake")),
                           10, "hung fake restarted")
            self.assertIn(w["last_exit"], ("killed: missed heartbeats", "killed by SIGKILL"))
            g.stop()

    def test_worker_ignoring_sigterm_is_killed_after_its_timeout(self):
        with Ghrd(fake(["--ignore-term"], shutdown_timeout="700ms")) as g:
            pid = g.worker("fake")["pid"]
            t0 = time.monotonic()
            self.assertEqual(g.stop(), 0)
            took = time.monotonic() - t0
            self.assertGreaterEqual(took, 0.65)
            self.assertLess(took, 5)
            self.assertFalse(pid_alive(pid))
            self.assertIn("did not stop in time", g.log())

    def test_second_restart_of_a_stopping_worker_keeps_its_kill_timer(self):
        with Ghrd(fake(["--ignore-term"], shutdown_timeout="700ms")) as g:
            old = g.worker("fake")["pid"]
            t0 = time.monotonic()
            self.assertEqual(g.ctl("restart", "fake")[0], 0)
            self.assertEqual(g.worker("fake")["state"], "stopping")
            self.assertEqual(g.ctl("restart", "fake")[0], 0)   # again, while stopping
            wait_until(lambda: (lambda w: w["state"] == "ready" and w["pid"] != old)(
                g.worker("fake")), 5, "killed after its shutdown timeout and started again")
            self.assertLess(time.monotonic() - t0, 3)
            self.assertFalse(pid_alive(old))
            self.assertEqual(g.stop(timeout=10), 0)

    def test_restart_during_shutdown_does_not_hang_it(self):
        with Ghrd(fake(["--ignore-term"], shutdown_timeout="700ms")) as g:
            g.proc.send_signal(signal.SIGTERM)
            wait_until(lambda: g.worker("fake")["state"] == "stopping", 15, "fake stopping")
            self.assertEqual(g.ctl("restart", "fake")[0], 0)
            self.assertEqual(g.wait_exit(5), 0)

    def test_sighup_to_a_worker_reopens_its_log_and_keeps_it(self):
        with Ghrd(fake([])) as g:
            pid = g.worker("fake")["pid"]
            os.kill(pid, signal.SIGHUP)
            wait_until(lambda: 'worker=fake level=info msg="log file reopened"' in g.log(), 5,
                       "the worker's reopen logged")
            w = g.worker("fake")
            self.assertEqual((w["pid"], w["state"], w["restarts"]), (pid, "ready", 0))
            self.assertEqual(g.call("fake.echo", {"j": 1}), (0, {"j": 1}))
            g.stop()

    def test_worker_has_a_session_of_its_own(self):
        with Ghrd(fake([])) as g:
            pid = g.worker("fake")["pid"]
            self.assertEqual(os.getsid(pid), pid)
            self.assertNotEqual(os.getsid(pid), os.getsid(g.proc.pid))
            g.stop()

    def test_never_ready_worker_is_killed_after_ready_timeout(self):
        cfg = fake(["--ready-delay", "100000"])
        cfg["supervisor"] = {"ready_timeout": "300ms"}
        with Ghrd(cfg, wait_ready=False) as g:
            w = wait_until(lambda: (lambda w: w["restarts"] >= 1 and w)(g.worker("fake")),
                           10, "never-ready fake restarted")
            self.assertIn("not ready within 300 ms", g.log())
            g.stop()


if __name__ == "__main__":
    unittest.main()
