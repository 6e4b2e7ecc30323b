"""A reactive job whose runner's VM goes ERROR is requeued at once (the scaler's
scaler.runner.failed), not after pickup_timeout: a second runner is spawned and the job
completes well within the 10-minute pickup_timeout, its history naming the failed runner."""
import unittest

from ferret import Ferret
from harness import Sim, wait_until
from reactive_common import counts, reactive_pool, spawns_per_job, start_reactive, store_jobs, wait_jobs_done
from scaler_common import drain


class RunnerFailed(unittest.TestCase):
    def test_job_requeued_when_its_runner_vm_goes_error(self):
        with Ferret() as db, Sim() as sim:
            sim.post("/faults", {"kind": "vm_error", "service": "nova", "count": 1})
            with start_reactive(sim, db, [reactive_pool("rx")], consumers=1,
                                reactive={"pickup_timeout": "10m", "idle_grace": "2s"}) as g:
                sim.post("/jobs", {"count": 1, "labels": ["self-hosted", "rx"], "duration_ms": 200})
                wait_jobs_done(sim, 1, 30)
                self.assertEqual(sim.get("/faults")["injected"].get("vm_error"), 1)
                wait_until(lambda: counts(g) == {}, 30, "no live job left")
                (job_id, job), = store_jobs(db).items()
                self.assertEqual(job["status"], "done", job)
                self.assertEqual(list(spawns_per_job(g).values()), [2])
                rc, out = g.ctl("jobs", "show", str(job_id))
                self.assertEqual(rc, 0, out)
                history = out["job"]["history"]
                spawned = [h["why"] for h in history if h["what"] == "spawned"]
                self.assertEqual(len(spawned), 2, history)
                requeued = [h["why"] for h in history if h["what"] == "requeued"]
                self.assertEqual(requeued, [f"runner {spawned[0]} failed: VM in ERROR"], history)
                self.assertIn('msg="job requeued"', g.log())
                drain(self, g, sim)


if __name__ == "__main__":
    unittest.main()
