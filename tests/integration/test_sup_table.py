"""The real worker table, with the fake worker standing in for github, openstack and
scaler: start order, reverse stop order one group at a time, essential workers, and
the access list applied per worker."""
import os
import re
import time
import unittest

from harness import LIBEXEC, Ghrd, deep_merge, wait_until

FAKE = os.path.join(LIBEXEC, "fake")
TABLE = ["github", "openstack", "scaler"]


def stand_ins(tmp, args=None, **over):
    clouds = os.path.join(tmp, "clouds.yaml")
    with open(clouds, "w") as f:
        f.write("clouds:\n  sim:\n    auth_type: password\n    auth:\n"
                "      auth_url: http://127.0.0.1:9/identity/v3\n      username: u\n"
                "      password: stand-in-password\n      project_name: p\n"
                "      user_domain_name: Default\n      project_domain_name: Default\n")
    workers = {}
    for name in TABLE:
        workers[name] = {"exec": FAKE, "instances": 1, "args": list(args or [])}
        workers[name].update(over)
    workers["fake"] = {"instances": 0}
    return {"workers": workers, "openstack": {"clouds_yaml": clouds}}


def exit_order(log):
    return [m.group(1) for m in re.finditer(r'msg="worker exited" worker=(\S+)', log)]


class Table(unittest.TestCase):
    def make(self, args=None, start=True, **over):
        g = Ghrd(start=False)
        g.write_config(deep_merge(g.config, stand_ins(g.tmp, args, **over)))
        if start:
            g.start()
        return g

    def test_stop_in_reverse_table_order_one_group_at_a_time(self):
        with self.make(["--ignore-term"], shutdown_timeout="300ms") as g:
            self.assertEqual([w["name"] for w in g.status()["workers"]], TABLE)
            t0 = time.monotonic()
            self.assertEqual(g.stop(), 0)
            took = time.monotonic() - t0
            self.assertEqual(exit_order(g.log()), list(reversed(TABLE)))
            self.assertGreaterEqual(took, 0.85, "each group gets its own shutdown timeout")
            self.assertLess(took, 5)

    def test_essential_by_table(self):
        with self.make() as g:
            rows = {w["name"]: w for w in g.status()["workers"]}
            self.assertTrue(all(rows[n]["essential"] for n in TABLE))
            os_pid = rows["openstack"]["pid"]
            g.config["supervisor"]["restart_intensity"] = 1
            g.write_config()
            self.assertEqual(g.ctl("reload")[0], 0)   # the digest ignores intensity: no restart
            self.assertEqual(g.worker("openstack")["pid"], os_pid)
            os.kill(os_pid, 9)
            wait_until(lambda: g.worker("openstack")["restarts"] == 1, 15, "first restart")
            os.kill(g.worker("openstack")["pid"], 9)
            self.assertEqual(g.wait_exit(10), 1)
            self.assertEqual(exit_order(g.log())[-2:], ["scaler", "github"])

    def test_access_list_follows_the_caller(self):
        with self.make() as g:
            # a method addressed to an instance of another worker is refused
            rc, out = g.call("fake.call", {"method": "github.runner.jit",
                                           "body": {"name": "x", "labels": ["a"]}}, to="scaler")
            self.assertEqual(rc, 1)
            self.assertIn("served by another worker", out)
            rc, out = g.call("github.runner.jit", {"name": "x", "labels": ["a"]})
            self.assertEqual(rc, 1)
            self.assertIn("forbidden", out)   # a control client may not
            rc, out = g.call("github.runners.list", {})
            self.assertEqual(rc, 1)
            self.assertIn("bad_request", out)  # routed to the stand-in, which does not serve it
            self.assertIn("not served here", out)
            g.stop()


if __name__ == "__main__":
    unittest.main()
