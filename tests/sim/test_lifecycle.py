"""The simulated world over time: VM boots -> runner online -> job -> runner gone + VM SHUTOFF."""
import base64
import time
import unittest

import simtest as T


class Lifecycle(T.SimTestCase):
    def runner_by_name(self, name, scope="/orgs/ghr-org"):
        r = self.gh("GET", scope + "/actions/runners?name=" + name).json["runners"]
        return r[0] if r else None

    def test_full_lifecycle(self):
        self.cj("POST", "/knobs", {"job_duration_ms": 200})
        jit = self.jit("ghr-t-small-00000001", ["self-hosted", "small", "x64"])
        rid = jit["runner"]["id"]
        r = self.create_server("ghr-t-small-00000001", T.user_data_for(jit["encoded_jit_config"]))
        sid = r.json["server"]["id"]
        self.assertEqual(self.runner_by_name("ghr-t-small-00000001")["status"], "offline")
        T.wait_for(lambda: (self.runner_by_name("ghr-t-small-00000001") or {}).get("status") == "online",
                   what="runner online")
        run = self.gh("GET", "/orgs/ghr-org/actions/runners/%d" % rid).json
        self.assertEqual((run["busy"], run["os"], run["version"]), (False, "linux", "2.330.0"))
        jid = self.cj("POST", "/jobs", {"labels": ["SELF-HOSTED", "Small"]})["jobs"][0]
        j = T.wait_for(lambda: (lambda x: x if x["status"] == "in_progress" else None)(
            self.gh("GET", "/repos/ghr-org/ghr-repo/actions/jobs/%d" % jid).json), what="in_progress")
        self.assertEqual((j["runner_id"], j["runner_name"], j["runner_group_name"]), (rid, "ghr-t-small-00000001", "Default"))
        self.assertTrue(self.gh("GET", "/orgs/ghr-org/actions/runners/%d" % rid).json["busy"])
        r = self.gh("DELETE", "/orgs/ghr-org/actions/runners/%d" % rid)
        self.assertEqual(r.status, 422, "busy runners cannot be deleted")
        T.wait_for(lambda: self.gh("GET", "/repos/ghr-org/ghr-repo/actions/jobs/%d" % jid).json["status"] == "completed")
        T.wait_for(lambda: self.gh("GET", "/orgs/ghr-org/actions/runners/%d" % rid).status == 404, what="runner removed")
        T.wait_for(lambda: self.server_status(sid) == "SHUTOFF", what="VM SHUTOFF")
        job = self.cj("GET", "/jobs/%d" % jid)
        self.assertEqual(job["github"]["conclusion"], "success")
        self.assertTrue(job["queued_at"] <= job["started_at"] <= job["completed_at"])
        c = self.counters()
        self.assertEqual((c["jobs"]["queued"], c["jobs"]["started"], c["jobs"]["completed"], c["jobs"]["waiting"]),
                         (1, 1, 1, 0))
        self.assertEqual(c["jobs"]["queue_ms"]["count"], 1)
        self.assertEqual((c["servers"]["created"], c["runners"]["registered"], c["runners"]["came_online"]), (1, 1, 1))

    def test_job_waits_for_a_matching_runner(self):
        jid = self.cj("POST", "/jobs", {"labels": ["self-hosted", "large"]})["jobs"][0]
        small = self.jit("s1", ["self-hosted", "small"])
        self.create_server("s1", T.user_data_for(small["encoded_jit_config"], quote='"'))
        T.wait_for(lambda: (self.runner_by_name("s1") or {}).get("status") == "online")
        self.assertEqual(self.cj("GET", "/jobs/%d" % jid)["status"], "queued")
        # GitHub adds no implicit self-hosted label to a JIT runner: "large" alone does not match.
        bare = self.jit("l0", ["large"])
        self.create_server("l0", T.user_data_for(bare["encoded_jit_config"], quote=""))
        T.wait_for(lambda: (self.runner_by_name("l0") or {}).get("status") == "online")
        self.assertEqual([l["name"] for l in self.runner_by_name("l0")["labels"]], ["large"])
        time.sleep(0.05)
        self.assertEqual(self.cj("GET", "/jobs/%d" % jid)["status"], "queued")
        large = self.jit("l1", ["self-hosted", "large"])
        self.create_server("l1", T.user_data_for(large["encoded_jit_config"], quote=""))
        T.wait_for(lambda: self.cj("GET", "/jobs/%d" % jid)["status"] != "queued", what="job started")
        self.assertEqual(self.cj("GET", "/jobs/%d" % jid)["runner_name"], "l1")
        rep = self.cj("GET", "/consistency?max_wait_ms=0")
        self.assertEqual([x["id"] for x in rep["jobs_waited_longer"]], [jid])
        self.assertEqual(self.cj("GET", "/consistency?max_wait_ms=60000")["jobs_waited_longer"], [])

    def test_repo_runner_only_serves_its_repo(self):
        jid = self.cj("POST", "/jobs", {"labels": ["self-hosted"], "repo": "ghr-org/other-repo"})["jobs"][0]
        jit = self.jit("repo-r", ["self-hosted"], scope="/repos/ghr-org/ghr-repo")
        self.create_server("repo-r", T.user_data_for(jit["encoded_jit_config"]))
        T.wait_for(lambda: (self.runner_by_name("repo-r", "/repos/ghr-org/ghr-repo") or {}).get("status") == "online")
        self.assertEqual(self.cj("GET", "/jobs/%d" % jid)["status"], "queued")
        jid2 = self.cj("POST", "/jobs", {"labels": ["self-hosted"], "repo": "ghr-org/ghr-repo"})["jobs"][0]
        T.wait_for(lambda: self.cj("GET", "/jobs/%d" % jid2)["status"] != "queued")

    def test_jit_single_use_and_invalid(self):
        jit = self.jit("once", ["self-hosted"])
        ud = T.user_data_for(jit["encoded_jit_config"])
        a = self.create_server("once", ud).json["server"]["id"]
        b = self.create_server("once", ud).json["server"]["id"]
        bogus = base64.b64encode(b'{"sim_runner_id":1,"nonce":"x"}').decode()
        c = self.create_server("bogus", T.user_data_for(bogus)).json["server"]["id"]
        d = self.create_server("nojit", base64.b64encode(b"#!/bin/sh\necho hi\n").decode()).json["server"]["id"]
        # without a poweroff in the script, a refused runner leaves the VM ACTIVE
        e = self.create_server("bogus-nopower", base64.b64encode(
            ("./run.sh --jitconfig " + bogus + "\n").encode()).decode()).json["server"]["id"]
        T.wait_for(lambda: (self.runner_by_name("once") or {}).get("status") == "online")

        def jits():
            st = {s["id"]: s for s in self.cj("GET", "/state")["servers"]}
            return st if all(st[x]["jit"] != "none" for x in (a, b, c, d, e)) else None
        st = T.wait_for(jits)
        self.assertEqual(sorted(st[x]["jit"] for x in (a, b)), ["reused", "valid"])
        self.assertEqual((st[c]["jit"], st[d]["jit"], st[e]["jit"]), ("invalid", "absent", "invalid"))
        reused = a if st[a]["jit"] == "reused" else b
        valid = b if reused == a else a
        # run.sh refused -> the post-job step powers the VM off
        T.wait_for(lambda: self.server_status(reused) == "SHUTOFF" and self.server_status(c) == "SHUTOFF")
        self.assertEqual((self.server_status(valid), self.server_status(d), self.server_status(e)),
                         ("ACTIVE", "ACTIVE", "ACTIVE"))
        ev = self.counters()["events"]
        self.assertEqual((ev["jit_reused"], ev["jit_invalid"], ev["vms_without_jit"]), (1, 2, 1))
        rep = self.cj("GET", "/consistency")
        self.assertEqual(rep["duplicate_vm_names"], {"once": 2})
        self.assertEqual(sorted(v["name"] for v in rep["vms_without_runners"]), ["bogus", "bogus-nopower", "nojit"])
        self.assertFalse(rep["ok"])

    def test_idle_runner_deleted_powers_vm_off(self):
        jit = self.jit("scale-down", ["self-hosted"])
        sid = self.create_server("scale-down", T.user_data_for(jit["encoded_jit_config"])).json["server"]["id"]
        T.wait_for(lambda: (self.runner_by_name("scale-down") or {}).get("status") == "online")
        self.assertEqual(self.gh("DELETE", "/orgs/ghr-org/actions/runners/%d" % jit["runner"]["id"]).status, 204)
        T.wait_for(lambda: self.server_status(sid) == "SHUTOFF")

    def test_runner_deleted_before_boot_never_comes_online(self):
        jit = self.jit("early", ["self-hosted"])
        self.assertEqual(self.gh("DELETE", "/orgs/ghr-org/actions/runners/%d" % jit["runner"]["id"]).status, 204)
        sid = self.create_server("early", T.user_data_for(jit["encoded_jit_config"])).json["server"]["id"]
        T.wait_for(lambda: self.counters()["events"].get("runner_start_failed") == 1)
        T.wait_for(lambda: self.server_status(sid) == "SHUTOFF", what="run.sh failed -> poweroff")
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners").json["total_count"], 0)

    def test_vm_deleted_under_busy_runner(self):
        self.cj("POST", "/knobs", {"job_duration_ms": 60000})
        jit = self.jit("doomed", ["self-hosted"])
        sid = self.create_server("doomed", T.user_data_for(jit["encoded_jit_config"])).json["server"]["id"]
        jid = self.cj("POST", "/jobs", {"labels": ["self-hosted"]})["jobs"][0]
        T.wait_for(lambda: self.cj("GET", "/jobs/%d" % jid)["status"] == "in_progress")
        self.assertEqual(self.nova("DELETE", "/servers/" + sid).status, 204)
        T.wait_for(lambda: self.cj("GET", "/jobs/%d" % jid)["status"] == "completed")
        self.assertEqual(self.cj("GET", "/jobs/%d" % jid)["conclusion"], "failure")
        run = self.runner_by_name("doomed")
        self.assertEqual((run["status"], run["busy"]), ("offline", False))
        rep = self.cj("GET", "/consistency")
        self.assertEqual([r["name"] for r in rep["runners_without_vms"]], ["doomed"])

    def test_builder_vm_powers_off(self):
        ud = base64.b64encode(b"#!/bin/sh\ninstall-runner\nsync\npoweroff\n").decode()
        sid = self.create_server("builder", ud).json["server"]["id"]
        T.wait_for(lambda: self.server_status(sid) == "SHUTOFF")

    def test_steady_arrival_and_cancel(self):
        self.cj("POST", "/knobs", {"job_arrival_per_min": 6000, "job_arrival_labels": ["self-hosted", "gpu"]})
        T.wait_for(lambda: self.counters()["jobs"]["queued"] >= 3)
        self.cj("POST", "/knobs", {"job_arrival_per_min": 0})
        jobs = self.cj("GET", "/jobs?status=queued")["jobs"]
        self.assertTrue(all(j["labels"] == ["self-hosted", "gpu"] for j in jobs))
        done = self.cj("POST", "/jobs/%d/cancel" % jobs[0]["id"])
        self.assertEqual((done["status"], done["conclusion"]), ("completed", "cancelled"))

    def test_runner_flap_offline(self):
        jit = self.jit("flappy", ["self-hosted"])
        self.create_server("flappy", T.user_data_for(jit["encoded_jit_config"]))
        T.wait_for(lambda: (self.runner_by_name("flappy") or {}).get("status") == "online")
        self.cj("POST", "/runners/%d/offline" % jit["runner"]["id"], {"ms": 150})
        self.assertEqual(self.runner_by_name("flappy")["status"], "offline")
        T.wait_for(lambda: self.runner_by_name("flappy")["status"] == "online", what="back online")

    def test_seed_many_fast(self):
        r = self.cj("POST", "/seed", {"servers": {"count": 2000, "name_prefix": "ghr-b-small-", "with_runners": True,
                                                  "labels": ["self-hosted", "small"]}})
        self.assertEqual((r["servers"], r["runners"]), (2000, 2000))
        self.assertLess(r["ms"], 3000)
        rep = self.cj("GET", "/consistency")
        self.assertEqual((rep["vms_without_runners"], rep["runners_without_vms"]), ([], []))
        jid = self.cj("POST", "/jobs", {"labels": ["small"]})["jobs"][0]
        T.wait_for(lambda: self.cj("GET", "/jobs/%d" % jid)["status"] != "queued")
        r = self.nova("GET", "/servers/detail?name=%5Eghr-b-small-01999%24")
        self.assertEqual([s["name"] for s in r.json["servers"]], ["ghr-b-small-01999"])


class Concurrency(T.SimTestCase):
    def test_many_clients_at_once(self):
        """8 threads x 10 runners, 80 jobs: everything runs, nothing breaks, nothing leaks."""
        import threading
        self.cj("POST", "/knobs", {"job_duration_ms": 50, "boot_ms": 20, "runner_start_ms": 20})
        self.token()
        errors = []

        def worker(k):
            try:
                for i in range(10):
                    name = "ghr-c-small-%02d%02d" % (k, i)
                    jit = self.jit(name, ["self-hosted", "small"])
                    r = self.create_server(name, T.user_data_for(jit["encoded_jit_config"]))
                    if r.status != 202:
                        errors.append(r)
                    self.gh("GET", "/orgs/ghr-org/actions/runners?per_page=100")
                    self.nova("GET", "/servers/detail?name=%5Eghr-c-")
            except Exception as e:      # noqa: BLE001 - reported below
                errors.append(e)
        ths = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in ths:
            t.start()
        self.cj("POST", "/jobs", {"labels": ["small"], "count": 80})
        for t in ths:
            t.join(30)
        self.assertEqual(errors, [])
        T.wait_for(lambda: self.counters()["jobs"]["completed"] == 80, timeout=15, what="80 jobs done")
        T.wait_for(lambda: self.counters()["servers"]["by_status"] == {"SHUTOFF": 80}, what="all SHUTOFF")
        c = self.counters()
        self.assertEqual(c["runners"]["current"], 0)
        self.assertFalse([s for s in c["requests_by_status"] if s.startswith("5")], c["requests_by_status"])
        self.assertLessEqual(c["jobs"]["queue_ms"]["median"], c["jobs"]["queue_ms"]["p95"])


if __name__ == "__main__":
    unittest.main()
