"""The events log gets the job's details from webhook.job events (injected through the
fake worker, which stands in for the webhook worker): runner_start carries workflow,
repo, github_event and queue_duration, runner_stop the job's conclusion and duration;
the job-duration histogram counts the completed job."""
import json
import os
import tempfile
import unittest

from harness import Ghrd, Sim, wait_until
from scaler_common import FAST_KNOBS, pool, scaler_config, sim_view

JOB_MS = 4000     # long enough to emit both events while the runner is busy


def lines(path, event):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [j for j in map(json.loads, f.read().splitlines()) if j["event"] == event]


class EventsLogJobDetails(unittest.TestCase):
    def test_runner_lines_carry_the_job(self):
        with Sim() as sim, tempfile.TemporaryDirectory() as d:
            sim.post("/knobs", FAST_KNOBS)
            log = os.path.join(d, "events.log")
            cfg = scaler_config([pool("small", min_idle=1)], watch_interval=0)
            cfg["metrics"]["events_log"] = log
            cfg["workers"] = {"fake": {"instances": 1}}
            g = Ghrd(cfg, sim=sim)
            try:
                def idle():
                    return [r["name"] for r in sim_view(sim)[1] if r["status"] == "online" and not r["busy"]]
                wait_until(lambda: len(idle()) == 1, 30, "1 idle runner")
                name = idle()[0]
                job = {"job_id": 7, "run_id": 7, "repo": "ghr-org/ghr-repo", "labels": ["self-hosted", "small"],
                       "runner_name": name, "workflow": "CI", "github_event": "push",
                       "created_at": "2026-01-01T10:00:00Z", "started_at": "2026-01-01T10:00:04Z"}
                # the webhook says which job the runner takes before a reconcile sees it busy
                rc, out = g.call("fake.emit", {"topic": "webhook.job", "body": dict(job, action="in_progress")})
                self.assertEqual(rc, 0, out)
                sim.post("/jobs", {"labels": ["self-hosted", "small"], "count": 1, "duration_ms": JOB_MS})
                wait_until(lambda: lines(log, "runner_start"), 15, "a runner_start line")
                start = lines(log, "runner_start")
                self.assertEqual(len(start), 1, start)
                self.assertEqual((start[0]["workflow"], start[0]["repo"], start[0]["github_event"],
                                  start[0]["queue_duration"]), ("CI", "ghr-org/ghr-repo", "push", 4.0), start)
                rc, out = g.call("fake.emit", {"topic": "webhook.job", "body": dict(
                    job, action="completed", conclusion="success", completed_at="2026-01-01T10:01:04Z")})
                self.assertEqual(rc, 0, out)
                wait_until(lambda: lines(log, "runner_stop"), 20, "a runner_stop line")
                stop = lines(log, "runner_stop")[0]
                self.assertEqual((stop["workflow"], stop["status"], stop["job_duration"], stop["job_conclusion"]),
                                 ("CI", "normal", 60.0, "success"), stop)
                rc, out = g.ctl("metrics", json_out=False)
                self.assertIn('ghr_job_duration_seconds_count{pool="small"} 1\n', out)
                self.assertIn('ghr_job_duration_seconds_bucket{pool="small",le="60"} 1\n', out)
            finally:
                g.close()


if __name__ == "__main__":
    unittest.main()
