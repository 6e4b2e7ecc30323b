"""Reactive jobs at volume: signed webhooks from the simulator → one runner per job → every
job done, nothing left over; two ghrd hosts sharing one database serve every job once.

Sized to keep `make check` short on a 2-core machine (120 and 80 jobs);
GHR_REACTIVE_JOBS=300 GHR_REACTIVE_HOSTS_JOBS=200 runs the full-size version."""
import os
import unittest

from ferret import Ferret
from harness import Sim, wait_until
from reactive_common import (counts, nova_creates, reactive_pool, spawns_per_attempt, spawns_per_job,
                             start_reactive, store_jobs, wait_jobs_done)
from scaler_common import drain

FAST = {"idle_grace": "2s", "in_flight": 100}


class Volume(unittest.TestCase):
    def test_webhooks_one_runner_per_job(self):
        n = int(os.environ.get("GHR_REACTIVE_JOBS", "120"))
        with Ferret() as db, Sim() as sim, start_reactive(sim, db, [reactive_pool("rx")], reactive=FAST) as g:
            sim.post("/jobs", {"count": n, "labels": ["self-hosted", "rx"], "duration_ms": 200})
            wait_jobs_done(sim, n, 170)
            wait_until(lambda: counts(g) == {}, 60, "no live job left")
            jobs = store_jobs(db)
            self.assertEqual(len(jobs), n)
            self.assertTrue(all(j["status"] == "done" for j in jobs.values()))
            check_served_once(self, n, spawns_per_attempt(g), nova_creates(sim))
            self.assertEqual(sim.get("/counters")["webhooks"].get("failed", 0), 0)
            drain(self, g, sim)


def check_served_once(self, n, per_attempt, creates):
    # Each claimed attempt spawned one runner at most; every runner created was
    # spawned for a job.  Runners are ephemeral and take any job with their labels,
    # so a job may be taken by a runner spawned for another (then it needs none), and
    # the job whose runner was taken is requeued after pickup_timeout: a few jobs
    # get a second attempt, never a second runner within one attempt.
    self.assertEqual(max(per_attempt.values()), 1, {k: v for k, v in per_attempt.items() if v != 1})
    self.assertEqual(creates, sum(per_attempt.values()))
    per_job = {}
    for job, _ in per_attempt:
        per_job[job] = per_job.get(job, 0) + 1
    self.assertLessEqual(sum(1 for v in per_job.values() if v > 1), n // 10, per_job)
    self.assertGreaterEqual(creates, n)
    self.assertLessEqual(creates, n + n // 10)


class TwoHosts(unittest.TestCase):
    def test_two_hosts_one_database_each_job_once(self):
        n = int(os.environ.get("GHR_REACTIVE_HOSTS_JOBS", "80"))
        with Ferret() as db, Sim() as sim:
            pools = [reactive_pool("rx")]
            # Host "u" has its own listener; the simulator delivers to host "t".
            with start_reactive(sim, db, pools, manager_id="u", sim_webhook=False, reactive=FAST) as gu, \
                    start_reactive(sim, db, pools, manager_id="t", consumers=1,
                                   reactive=dict(FAST, in_flight=4)) as gt:
                # Host t receives every delivery and claims at once; holding at most 4
                # jobs, it leaves most of them to host u, which only polls the store.
                sim.post("/jobs", {"count": n, "labels": ["self-hosted", "rx"], "duration_ms": 200})
                wait_jobs_done(sim, n, 170)
                wait_until(lambda: counts(gt) == {}, 60, "no live job left")
                per_t, per_u = spawns_per_attempt(gt), spawns_per_attempt(gu)
                self.assertEqual(set(per_t) & set(per_u), set(), "attempts served by both hosts")
                check_served_once(self, n, {**per_t, **per_u}, nova_creates(sim))
                self.assertGreater(len(per_u), 0, "host u served none")
                self.assertGreater(len(per_t), 0, "host t served none")
                jobs = store_jobs(db)
                self.assertEqual(len(jobs), n)
                self.assertTrue(all(j["status"] == "done" for j in jobs.values()))
                drain(self, gt, sim, prefix="t-")
                drain(self, gu, sim, prefix="u-")


if __name__ == "__main__":
    unittest.main()
