"""Reactive jobs under faults: kill -9 of a consumer holding jobs, kill -9 of the webhook
worker under load, the database stopped for 20 s mid-stream.  Nothing answered 2xx is
lost, every job completes, and none is served twice."""
import json
import os
import signal
import threading
import time
import unittest

from ferret import Ferret
from harness import Sim, wait_until
from reactive_common import (counts, get, job_payload, post, reactive_pool, spawns_per_attempt,
                             start_reactive, store_jobs, wait_jobs_done)
from scaler_common import drain

FAST = {"idle_grace": "2s"}


class ConsumerKilled(unittest.TestCase):
    def test_kill9_consumer_holding_jobs(self):
        n = 24
        # max_runners 4: most jobs wait in the consumers (spawn answers "pool full").
        with Ferret() as db, Sim() as sim, start_reactive(sim, db, [reactive_pool("rx", max_runners=4)],
                                                          reactive=FAST) as g:
            sim.post("/jobs", {"count": n, "labels": ["self-hosted", "rx"], "duration_ms": 300})
            # whichever consumer claimed jobs first (one round may take them all)
            consumers = [w["name"] for w in g.status()["workers"] if w["name"].startswith("reactive-consumer")]
            self.assertEqual(len(consumers), 2, consumers)

            def holder():
                log = g.log()
                return next((w for w in consumers if log.count(f'worker={w} level=info msg="job claimed"') >= 3),
                            None)
            victim = wait_until(holder, 30, "a consumer holding jobs")
            pid = g.worker(victim)["pid"]
            os.kill(pid, signal.SIGKILL)
            wait_jobs_done(sim, n, 150)
            # generous: under the sanitizers on a busy machine this takes longer
            wait_until(lambda: counts(g) == {}, 120, "no live job left")
            jobs = store_jobs(db)
            self.assertEqual(len(jobs), n)
            self.assertTrue(all(j["status"] == "done" for j in jobs.values()), jobs)
            # Never two runners within one attempt: a spawn whose reply died with the
            # consumer is made again only by the next owner, at the next attempt.
            per = spawns_per_attempt(g)
            self.assertEqual(max(per.values()), 1, per)
            self.assertGreater(g.worker(victim)["restarts"], 0)
            drain(self, g, sim)


class WebhookKilled(unittest.TestCase):
    def test_kill9_webhook_under_load_loses_no_answered_delivery(self):
        with Ferret() as db, Sim() as sim, start_reactive(sim, db, [reactive_pool("rx")],
                                                          sim_webhook=False, reactive=FAST) as g:
            answered, stop = [], threading.Event()

            def load():
                # Bounded in count (5,000 attempts) and time (the waits below).
                for i in range(1, 5001):
                    if stop.is_set():
                        break
                    job = 500000 + i
                    try:
                        code, _ = post(g.webhook_url, json.dumps(job_payload(job)).encode(),
                                       delivery=f"k-{job}", timeout=5)
                    except OSError:
                        code = 0
                    if code == 200:
                        answered.append(job)
                    else:
                        stop.wait(0.05)     # the listener is restarting: pace the retries
            t = threading.Thread(target=load)
            t.start()
            wait_until(lambda: len(answered) >= 50, 30, "50 deliveries answered")
            pid = g.worker("webhook")["pid"]
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: g.worker("webhook")["pid"] != pid and g.worker("webhook")["state"] == "ready",
                       20, "webhook restarted")
            wait_until(lambda: len(answered) >= 150, 60, "deliveries answered after the restart")
            stop.set()
            t.join(30)
            # Every delivery answered 200 is in the store (the simulator knows none of
            # these jobs, so each is done once a consumer asked GitHub).
            want = set(answered)
            def stored():
                have = store_jobs(db)
                missing = want - set(have)
                return not missing and have
            have = wait_until(stored, 60, "every answered delivery in the store")
            self.assertTrue(want <= set(have))
            # generous: under the sanitizers on a busy machine this takes longer
            wait_until(lambda: counts(g) == {}, 120, "no live job left")


class DatabaseDown(unittest.TestCase):
    def test_database_stopped_20s_mid_stream(self):
        n1, n2 = 10, 10
        with Ferret() as db, Sim() as sim, start_reactive(sim, db, [reactive_pool("rx")], reactive=FAST) as g:
            sim.post("/jobs", {"count": n1, "labels": ["self-hosted", "rx"], "duration_ms": 200})
            wait_jobs_done(sim, n1 // 2, 60)
            db.stop()
            t_down = time.monotonic()
            sim.post("/jobs", {"count": n2, "labels": ["self-hosted", "rx"], "duration_ms": 200})
            # the webhook answers 200 all the same: the deliveries are spooled
            def spooled():
                rc, st = g.call("webhook.status")
                return rc == 0 and st["store"] == "down" and st["spooled"] > 0 and st
            wait_until(spooled, 20, "deliveries spooled while the database is down")
            # the public /health says so without the driver's error text (internal hosts)
            code, health = get(g.health_url)
            self.assertEqual(code, 200, health)
            self.assertEqual((health["store"], health["reason"]), ("down", "store unreachable"), health)
            self.assertGreater(health["spooled"], 0, health)
            self.assertNotIn(str(db.port), json.dumps(health))
            self.assertNotIn("counters", health)
            time.sleep(max(0.0, 20 - (time.monotonic() - t_down)))   # the outage lasts 20 s
            self.assertEqual(g.worker("webhook")["restarts"], 0)
            db.start()
            wait_jobs_done(sim, n1 + n2, 150)
            # generous: under the sanitizers on a busy machine this takes longer
            wait_until(lambda: counts(g) == {}, 120, "no live job left")
            jobs = store_jobs(db)
            self.assertEqual(len(jobs), n1 + n2)
            self.assertTrue(all(j["status"] == "done" for j in jobs.values()), jobs)
            per = spawns_per_attempt(g)
            self.assertEqual(max(per.values()), 1, per)
            self.assertEqual(sim.get("/counters")["webhooks"].get("failed", 0), 0)
            drain(self, g, sim)


if __name__ == "__main__":
    unittest.main()
