"""Reactive jobs end to end: the simulator's signed webhooks → webhook worker → FerretDB →
reactive consumers → scaler.spawn → one runner per job → jobs done, nothing left over."""
import unittest

from ferret import Ferret
from harness import Sim, wait_until
from reactive_common import counts, reactive_pool, start_reactive, wait_jobs_done
from scaler_common import drain


class Reactive(unittest.TestCase):
    def test_jobs_served_one_runner_each(self):
        n = 30
        with Ferret() as db, Sim() as sim, start_reactive(sim, db, [reactive_pool("rx")]) as g:
            sim.post("/jobs", {"count": n, "labels": ["self-hosted", "rx"], "duration_ms": 200})
            wait_jobs_done(sim, n, 120)
            wait_until(lambda: counts(g) == {}, 30, "no live job left in the store")
            c = sim.get("/counters")
            creates = sum(v for k, d in c["requests"].items() if k.startswith("nova POST") and k.endswith("/servers")
                          for v in d.values())
            self.assertEqual(creates, n, c["requests"])
            drain(self, g, sim)


if __name__ == "__main__":
    unittest.main()
