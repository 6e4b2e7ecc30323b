"""ghr-ctl's scaler commands against a real ghrd and the simulator: output, --json,
exit codes (0 ok, 1 failed, 2 usage), and what each command does to the fleet."""
import json
import unittest

from harness import Ghrd, Sim, wait_until
from scaler_common import FAST_KNOBS, drain, pool, scaler_config, sim_view, wait_idle


class ScalerCtl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim()
        cfg = scaler_config([pool("small", min_idle=2, max_runners=4), pool("large", min_idle=1)],
                            interval="1s")
        # A runner spawned for a job (test_spawn_creates_one) is kept apart from min_idle
        # while it idles less than idle_grace: short here, so the final drain sees it go.
        cfg["reactive"] = {"idle_grace": "2s"}
        cls.sim.post("/knobs", FAST_KNOBS)
        cls.g = Ghrd(cfg, sim=cls.sim)
        wait_idle(cls.sim, "t-small-", 2)
        wait_idle(cls.sim, "t-large-", 1)

    @classmethod
    def tearDownClass(cls):
        cls.g.close()
        cls.sim.close()

    def test_runners_human_and_json(self):
        rc, out = self.g.ctl("runners", json_out=False)
        self.assertEqual(rc, 0, out)
        self.assertIn("NAME", out.splitlines()[0])
        self.assertIn("STATE", out.splitlines()[0])
        rc, js = self.g.ctl("runners", "large")
        self.assertEqual(rc, 0, js)
        self.assertTrue(js["runners"])
        self.assertTrue(all(r["pool"] == "large" for r in js["runners"]), js)
        for key in ("name", "state", "age_s", "vm_status", "github_status"):
            self.assertIn(key, js["runners"][0])

    def test_pools(self):
        rc, js = self.g.ctl("pools")
        self.assertEqual(rc, 0, js)
        names = [p["name"] for p in js["pools"]]
        self.assertEqual(names, ["small", "large"])
        self.assertEqual(js["pools"][0]["max_runners"], 4)
        self.assertEqual(js["pools"][0]["labels"], ["self-hosted", "small"])
        rc, out = self.g.ctl("pools", json_out=False)
        self.assertEqual(rc, 0, out)
        self.assertIn("MIN_IDLE", out)

    def test_reconcile_reports(self):
        rc, js = self.g.ctl("reconcile", "small", timeout_ms=30000)
        self.assertEqual(rc, 0, js)
        self.assertIn("duration_ms", js)
        self.assertTrue(all(a["pool"] == "small" for a in js["actions"]), js)
        rc, out = self.g.ctl("reconcile", json_out=False, timeout_ms=30000)
        self.assertEqual(rc, 0, out)
        self.assertIn("reconciled in", out)

    def test_scale_and_flush(self):
        rc, js = self.g.ctl("scale", "small", "3")
        self.assertEqual(rc, 0, js)
        self.assertEqual(js, {"pool": "small", "min_idle": 3, "override": True})
        wait_idle(self.sim, "t-small-", 3)
        before = {r["name"] for r in sim_view(self.sim, "t-small-")[1]}
        rc, js = self.g.ctl("flush", "small", timeout_ms=30000)
        self.assertEqual(rc, 0, js)
        self.assertTrue(set(js["deleted"]) <= before and js["deleted"], js)
        # the flushed runners are gone and replaced
        def replaced():
            online = {r["name"] for r in sim_view(self.sim, "t-small-")[1] if r["status"] == "online"}
            return not (online & set(js["deleted"])) and len(online) == 3
        wait_until(replaced, 30, "flushed runners replaced by fresh ones")
        rc, js = self.g.ctl("scale", "small", "2")
        self.assertEqual(rc, 0, js)
        wait_idle(self.sim, "t-small-", 2)

    def test_scale_zero_refuses_spawns_until_reset(self):
        rc, js = self.g.ctl("scale", "large", "0")
        self.assertEqual(rc, 0, js)
        wait_idle(self.sim, "t-large-", 0)
        rc, out = self.g.call("scaler.spawn", {"pool": "large", "job_id": 8}, timeout_ms=30000)
        self.assertEqual(rc, 1, out)
        self.assertIn("unavailable", out)
        self.assertIn("scaled to 0", out)
        rc, js = self.g.ctl("pools")
        self.assertEqual(rc, 0, js)
        large = [p for p in js["pools"] if p["name"] == "large"][0]
        self.assertEqual((large["min_idle"], large["override"], large["target"]), (0, True, 0), large)
        rc, out = self.g.ctl("pools", json_out=False)
        row = [line for line in out.splitlines() if line.startswith("large ")][0]
        self.assertIn(" 0 (override) ", row, out)
        for bad in ({"pool": "large"}, {"pool": "large", "min_idle": 1, "reset": True},
                    {"pool": "large", "min_idle": "1"}):
            rc, out = self.g.call("scaler.scale", bad)
            self.assertEqual(rc, 1, (bad, out))
            self.assertIn("bad_request", out)
        rc, out = self.g.ctl("scale", "large", "--reset", json_out=False)
        self.assertEqual(rc, 0, out)
        self.assertIn("min_idle 1 (from the configuration)", out)
        rc, js = self.g.ctl("scale", "large", "--reset")
        self.assertEqual(js, {"pool": "large", "min_idle": 1, "override": False})
        wait_idle(self.sim, "t-large-", 1)

    def test_metrics(self):
        rc, out = self.g.ctl("metrics", json_out=False)
        self.assertEqual(rc, 0, out)
        self.assertIn('ghr_runners{pool="small",state="idle"}', out)
        self.assertIn("ghr_reconciles_total", out)
        rc, js = self.g.call("scaler.metrics")
        self.assertEqual(rc, 0, js)
        self.assertIn("ghr_runner_creates_total", js["text"])

    def test_errors_and_usage(self):
        rc, out = self.g.ctl("scale", "nope", "1", json_out=False)
        self.assertEqual(rc, 1, out)
        self.assertIn("nope", out)
        rc, out = self.g.ctl("runners", "nope", json_out=False)
        self.assertEqual(rc, 1, out)
        for args in (("scale", "small"), ("scale", "small", "x"), ("scale", "small", "-1"),
                     ("scale", "small", "--resets"), ("scale", "small", "1", "--reset"),
                     ("flush", "--what"), ("runners", "a", "b"), ("pools", "x"), ("metrics", "x")):
            rc, out = self.g.ctl(*args, json_out=False)
            self.assertEqual(rc, 2, (args, out))
        rc, out = self.g.call("scaler.spawn", {"pool": "nope"})
        self.assertEqual(rc, 1, out)
        rc, out = self.g.call("scaler.image", {"image_id": ""})
        self.assertEqual(rc, 1, out)

    def test_spawn_creates_one(self):
        rc, js = self.g.call("scaler.spawn", {"pool": "large", "job_id": 7}, timeout_ms=30000)
        self.assertEqual(rc, 0, js)
        self.assertTrue(js["name"].startswith("t-large-"), js)
        wait_until(lambda: any(s["name"] == js["name"] for s in sim_view(self.sim, "t-large-")[0]), 10,
                   "the spawned VM")

    def test_unreachable(self):
        import harness
        import subprocess
        p = subprocess.run([harness.CTL, "-r", "/nonexistent-ghr", "-t", "300", "runners"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 69, p.stdout + p.stderr)

    def test_zz_drain(self):
        drain(self, self.g, self.sim)


if __name__ == "__main__":
    unittest.main()
