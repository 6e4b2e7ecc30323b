"""Importing the original webhook router's queue: kombu messages in MongoDB become jobs
(insert first, then remove the message), served like any other."""
import base64
import json
import os
import subprocess
import unittest
import uuid

from ferret import Ferret
from harness import BUILD, Sim, wait_until
from reactive_common import counts, nova_creates, reactive_pool, start_reactive, store_jobs, wait_jobs_done
from scaler_common import drain

JOBRACE = os.path.join(BUILD, "tests", "jobrace")


def kombu_message(queue, job_url, labels):
    """One document as kombu's MongoDB transport writes it (kombu/transport/mongodb.py,
    Channel._put: {payload: dumps(message), queue, priority}), the message being kombu's
    envelope with a base64 body, which is what the original router's SimpleQueue.put
    of {"labels", "status", "url"} produces."""
    body = json.dumps({"labels": labels, "status": "queued", "url": job_url}).encode()
    envelope = {
        "body": base64.b64encode(body).decode(),
        "content-encoding": "utf-8", "content-type": "application/json", "headers": {},
        "properties": {"body_encoding": "base64", "delivery_tag": str(uuid.uuid4()),
                       "delivery_info": {"exchange": "", "routing_key": queue}, "priority": 0,
                       "delivery_mode": 2},
    }
    return {"payload": json.dumps(envelope), "queue": queue, "priority": 9}


class KombuImport(unittest.TestCase):
    def test_import_original_router_messages(self):
        with Ferret() as db, Sim() as sim:
            p = reactive_pool("rx")                      # flavor "small" is the kombu queue name
            with start_reactive(sim, db, [p], sim_webhook=False, reactive={"idle_grace": "2s"}) as g:
                ids = sim.post("/jobs", {"count": 5, "labels": ["self-hosted", "rx"], "duration_ms": 200})["jobs"]
                api = sim.github_url
                docs = [kombu_message(p["flavor"], f"{api}/repos/ghr-org/ghr-repo/actions/jobs/{i}",
                                      ["self-hosted", "rx"]) for i in ids]
                docs.append(kombu_message("no-such-flavor", f"{api}/repos/ghr-org/ghr-repo/actions/jobs/777",
                                          ["self-hosted", "x"]))
                docs.append({"payload": "not json", "queue": p["flavor"], "priority": 9})
                subprocess.run([JOBRACE, db.uri.rsplit("/", 1)[0] + "/router", "insert", "router", "messages"],
                               input="".join(json.dumps(d) + "\n" for d in docs), text=True, check=True,
                               timeout=60)
                rc, out = g.ctl("jobs", "import-kombu", "router")
                self.assertEqual(rc, 0, out)
                self.assertEqual(out, {"imported": 6, "skipped": 1})
                # imported again: nothing new (the messages are gone, the bad one stays)
                rc, out = g.ctl("jobs", "import-kombu", "router")
                self.assertEqual(out, {"imported": 0, "skipped": 1})
                wait_jobs_done(sim, 5, 60)
                wait_until(lambda: counts(g) == {}, 60, "no live job left")
                jobs = store_jobs(db)
                self.assertEqual({j for j in jobs if j != 777}, set(ids))
                self.assertEqual(jobs[777]["status"], "dead")
                self.assertIn("no-such-flavor", jobs[777]["reason"])
                self.assertEqual(nova_creates(sim), 5)
                drain(self, g, sim)


if __name__ == "__main__":
    unittest.main()
