"""The claim protocol on a real MongoDB-wire server (FerretDB, whose findAndModify is not
atomic): several processes race to claim the same jobs and each job is claimed once."""
import json
import os
import subprocess
import unittest

from ferret import Ferret
from harness import BUILD

JOBRACE = os.path.join(BUILD, "tests", "jobrace")
PROCS = 4
JOBS = 1000


class ClaimRace(unittest.TestCase):
    def test_four_processes_claim_each_job_exactly_once(self):
        with Ferret() as db:
            subprocess.run([JOBRACE, db.uri, "seed", str(JOBS)], check=True, timeout=300)
            procs = [subprocess.Popen([JOBRACE, db.uri, "claim", f"c{i}", "3000", "25"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for i in range(PROCS)]
            outs = []
            for p in procs:
                out, err = p.communicate(timeout=300)
                self.assertEqual(p.returncode, 0, err)
                outs.append(out)
        claims = {}
        per_proc = []
        for out in outs:
            lines = [ln.split() for ln in out.splitlines() if ln.startswith("claimed ")]
            per_proc.append(len(lines))
            for _, job, attempt in lines:
                self.assertEqual(attempt, "1")
                claims[job] = claims.get(job, 0) + 1
        doubled = [j for j, n in claims.items() if n > 1]
        self.assertEqual(doubled, [], f"claimed more than once: {doubled[:10]}")
        self.assertEqual(len(claims), JOBS, f"claims per process {per_proc}")
        # A race it was: more than one process won some jobs.
        self.assertGreater(sum(1 for n in per_proc if n > 0), 1, per_proc)

    def test_a_lock_left_by_a_claimer_that_died_does_not_block_the_job(self):
        # The claimer inserted the lock of attempt 1 and died before moving the job on.
        job = {"_id": 7, "repo": "ghr-org/race", "pool": "race", "labels": ["race"], "status": "queued",
               "attempt": 0, "not_before": 0, "queued_at": 1000}
        lock = {"_id": "7:1", "job": 7, "attempt": 1, "owner": "gone", "at": 1000}
        with Ferret() as db:
            subprocess.run([JOBRACE, db.uri, "seed", "0"], check=True, timeout=60)
            for coll, doc in (("jobs", job), ("locks", lock)):
                subprocess.run([JOBRACE, db.uri, "insert", "ghr", coll], input=json.dumps(doc) + "\n",
                               text=True, check=True, timeout=60)
            out = subprocess.run([JOBRACE, db.uri, "claim", "c0", "500"], capture_output=True, text=True,
                                 check=True, timeout=60).stdout
        self.assertIn("claimed 7 2\n", out)


if __name__ == "__main__":
    unittest.main()
