"""The claim protocol on a real MongoDB-wire server (FerretDB, whose findAndModify is not
atomic): several processes race to claim the same jobs and each job is claimed once."""
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


if __name__ == "__main__":
    unittest.main()
