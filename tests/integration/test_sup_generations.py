"""What a dead worker leaves behind never reaches its replacement: replies and timeouts
of its calls, its last queued frames; and workers publish only their own event topics."""
import json
import os
import signal
import subprocess
import time
import unittest

from harness import CTL, LIBEXEC, Ghrd, deep_merge, wait_until


def ctl_popen(g, *args, timeout_ms):
    return subprocess.Popen([CTL, "-r", g.run_dir, "-t", str(timeout_ms), "--json"] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Generations(unittest.TestCase):
    def test_old_call_answer_never_reaches_the_replacement(self):
        # fake.2 hangs (serves nothing, stays alive); fake.1 calls it, then dies.
        cfg = {"workers": {"fake": {"instances": 2, "args": ["--on", "fake.2", "--hang-after", "0"]}},
               "supervisor": {"liveness": 100}}
        with Ghrd(cfg) as g:
            old = g.worker("fake.1")["pid"]
            call = {"method": "fake.echo", "to": "fake.2", "body": {"j": 1}}
            # the old fake.1's call: deadline in ~2 s
            first = ctl_popen(g, "call", "fake.call", json.dumps(call), "--to", "fake.1",
                              timeout_ms=2000)
            wait_until(lambda: g.status()["pending"] >= 2, 15, "the old call in flight")
            os.kill(old, signal.SIGKILL)
            out, err = first.communicate(timeout=10)
            self.assertIn("unavailable", out + err)   # its caller learns fake.1 went away
            wait_until(lambda: (lambda w: w["state"] == "ready" and w["pid"] != old)(
                g.worker("fake.1")), 5, "a new fake.1")
            self.assertEqual(g.status()["pending"], 0, "the dead caller's call was forgotten")
            # the new fake.1's call: deadline in ~5 s, long after the old one's
            t0 = time.monotonic()
            second = ctl_popen(g, "call", "fake.call", json.dumps(call), "--to", "fake.1",
                               timeout_ms=5000)
            out, err = second.communicate(timeout=15)
            took = time.monotonic() - t0
            self.assertIn("timeout", out + err)
            self.assertGreaterEqual(took, 4.5, "answered by the old call's timeout: "
                                               f"{took:.2f}s: {out}{err}")
            g.stop()

    def test_frames_of_an_exited_process_are_not_held_against_its_replacement(self):
        cfg = {"workers": {"fake": {"instances": 1, "args": ["--chatter-at-exit", "3000"]}}}
        with Ghrd(cfg) as g:
            for i in range(3):
                old = g.worker("fake")["pid"]
                rc, r = g.ctl("restart", "fake")
                self.assertEqual(rc, 0, r)
                wait_until(lambda: (lambda w: w["state"] == "ready" and w["pid"] != old)(
                    g.worker("fake")), 10, "fake restarted")
            w = g.worker("fake")
            self.assertEqual(w["bad_frames"], 0, w)
            self.assertEqual(g.status()["unknown_frames"], 0)
            g.stop()


FAKE = os.path.join(LIBEXEC, "fake")


class Topics(unittest.TestCase):
    def test_a_worker_may_publish_only_its_own_topics(self):
        g = Ghrd(start=False)
        try:
            clouds = os.path.join(g.tmp, "clouds.yaml")
            with open(clouds, "w") as f:
                f.write("clouds:\n  sim:\n    auth_type: password\n    auth:\n"
                        "      auth_url: http://127.0.0.1:9/identity/v3\n      username: u\n"
                        "      password: p\n      project_name: p\n"
                        "      user_domain_name: Default\n      project_domain_name: Default\n")
            args = ["--on", "github", "--emit", "os.server.status",
                    "--on", "openstack", "--emit", "os.server.status"]
            workers = {n: {"exec": FAKE, "instances": 1, "args": args}
                       for n in ("github", "openstack", "scaler")}
            workers["fake"] = {"instances": 0}
            g.write_config(deep_merge(g.config, {"workers": workers,
                                                 "openstack": {"clouds_yaml": clouds}}))
            g.start()
            # the scaler (subscribed to os.) hears openstack's events ...
            wait_until(lambda: "topic=os.server.status from=openstack" in g.log(), 5,
                       "openstack's event delivered to the scaler")
            # ... and github's forgeries are refused and counted, while the scaler listens
            wait_until(lambda: g.worker("github")["bad_frames"] >= 3, 15, "forged events counted")
            self.assertNotIn("topic=os.server.status from=github", g.log())
            self.assertIn("event topic outside what this worker may publish", g.log())
            self.assertEqual(g.worker("openstack")["bad_frames"], 0)
            g.stop()
        finally:
            g.close()


if __name__ == "__main__":
    unittest.main()
