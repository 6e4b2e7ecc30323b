"""A whole host dies: kill -9 of its ghrd and every worker at once, while it holds claimed
jobs.  The other host on the same database takes the dead host's jobs over when their
leases expire and finishes every one; no attempt is served twice.  When the dead host
comes back (same manager_id), it cleans up the VMs it left, and nothing of either host
is left over."""
import os
import re
import signal
import unittest

from ferret import Ferret
from harness import Sim, wait_until
from reactive_common import (reactive_pool, spawns_per_attempt, start_reactive, store_jobs,
                             wait_jobs_done)
from scaler_common import drain

FAST = {"idle_grace": "2s", "lease": "10s"}


def claims(g):
    """{job_id: [attempts]} this host's consumers claimed."""
    out = {}
    for m in re.finditer(r'msg="job claimed" job_id=(\d+) attempt=(\d+)', g.log()):
        out.setdefault(int(m.group(1)), []).append(int(m.group(2)))
    return out


def kill_host(g):
    """SIGKILL ghrd first (so that nothing is restarted), then every worker it had."""
    workers = g.worker_pids()
    g.proc.kill()
    g.proc.wait(10)
    for pid in workers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_until(lambda: not any(os.path.exists(f"/proc/{p}") and not zombie(p) for p in workers), 10,
               "every worker of the killed host gone")


def zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
        return st[st.rindex(")") + 2] == "Z"
    except OSError:
        return True


class HostKilled(unittest.TestCase):
    def test_whole_host_killed_its_jobs_finish_on_the_other(self):
        n = 16
        with Ferret() as db, Sim() as sim:
            # Host t only polls the store.  Host u gets every delivery and claims at
            # once, but may run 2 runners: it holds most of its claims, unspawned.
            with start_reactive(sim, db, [reactive_pool("rx")], manager_id="t", consumers=1,
                                sim_webhook=False, reactive=FAST) as gt, \
                    start_reactive(sim, db, [reactive_pool("rx", max_runners=2)], manager_id="u",
                                   consumers=2, reactive=FAST) as gu:
                sim.post("/jobs", {"count": n, "labels": ["self-hosted", "rx"], "duration_ms": 300})
                wait_until(lambda: len(store_jobs(db)) == n and len(claims(gu)) >= 4, 60,
                           "every job stored and host u holding claims")
                held = set(claims(gu))
                kill_host(gu)

                wait_jobs_done(sim, n, 150)
                # generous: under the sanitizers on a busy machine this takes longer
                wait_until(lambda: all(j["status"] == "done" for j in store_jobs(db).values()), 120,
                           "every job done in the store")
                jobs = store_jobs(db)
                self.assertEqual(len(jobs), n)
                # host t took over jobs host u held: a later attempt of one of them
                taken = {j: a for j, a in claims(gt).items() if j in held}
                self.assertTrue(taken, f"host t claimed none of host u's jobs {sorted(held)}")
                self.assertTrue(all(min(a) > min(claims(gu)[j]) for j, a in taken.items()), taken)
                per_t, per_u = spawns_per_attempt(gt), spawns_per_attempt(gu)
                self.assertEqual(set(per_t) & set(per_u), set(), "attempts served by both hosts")
                self.assertEqual(max({**per_t, **per_u}.values()), 1, {**per_t, **per_u})

                # host u comes back: its reconcile removes what it left behind
                gu.start()
                drain(self, gu, sim, prefix="u-", timeout=60)
                drain(self, gt, sim, prefix="t-", timeout=60)


if __name__ == "__main__":
    unittest.main()
