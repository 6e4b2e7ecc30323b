"""The scaler end to end: real ghrd, real github/openstack/scaler workers, ghr-sim.

Every test ends by scaling its pools to 0 and asserting that no VM and no runner of its
manager is left, that no VM name exists twice and no JIT config was used twice."""
import threading
import unittest

from harness import Sim, wait_until
from scaler_common import (create_requests, drain, idle_in_sim, kill9, pool, settle,
                           sim_view, start, wait_idle)


class MinIdle(unittest.TestCase):
    def test_min_idle_kept_through_200_jobs(self):
        with Sim() as sim, start(sim, [pool("small", min_idle=10, max_runners=40)]) as g:
            wait_idle(sim, "t-", 10)
            jobs = sim.post("/jobs", {"count": 200, "labels": ["self-hosted", "small"]})["jobs"]
            self.assertEqual(len(jobs), 200)

            def all_done():
                c = sim.get("/counters")["jobs"]
                return c["completed"] >= 200 and c
            c = wait_until(all_done, 120, "200 jobs completed")
            self.assertEqual(c["started"], 200)
            self.assertEqual(c["waiting"], 0)
            # the pool is back at its target once the stream is over
            wait_idle(sim, "t-", 10)
            # and the scaler's own view says so too
            def view_ready():
                rc, pools = g.ctl("pools")
                cnt = pools["pools"][0]["counts"] if rc == 0 else {}
                return rc == 0 and cnt["idle"] + cnt["booting"] + cnt["creating"] >= 10
            wait_until(view_ready, 10, "the scaler's view back at min_idle")
            drain(self, g, sim)

    def test_max_runners_is_a_cap(self):
        # the pool's server settings go with every create
        opts = {"key_name": "ghr-debug", "security_groups": ["ghr-runners"], "availability_zone": "az-2",
                "boot_volume_size": 20}
        with Sim() as sim, start(sim, [dict(pool("small", min_idle=3, max_runners=3), **opts)]) as g:
            # a config asking for more idle runners than the cap is refused; at run time
            # `scale` may still ask for more, and the cap holds
            rc, out = g.ctl("scale", "small", "6")
            self.assertEqual(rc, 0, out)
            wait_idle(sim, "t-", 3)
            settle(1.5)
            servers, _ = sim_view(sim)
            self.assertEqual(len(servers), 3)
            for s in servers:
                self.assertEqual((s["key_name"], s["security_groups"], s["availability_zone"], s["image"]),
                                 ("ghr-debug", ["ghr-runners"], "az-2", ""))
                self.assertEqual([v["delete_on_termination"] for v in s["volumes"]], [True])
            # spawn answers unavailable when the pool is full
            rc, out = g.call("scaler.spawn", {"pool": "small"})
            self.assertEqual(rc, 1, out)
            self.assertIn("full", out)
            drain(self, g, sim)


class Faults(unittest.TestCase):
    def test_error_vms_deleted_and_replaced(self):
        with Sim() as sim:
            sim.post("/faults", {"kind": "vm_error", "service": "nova", "count": 3})
            with start(sim, [pool("small", min_idle=3)]) as g:
                wait_idle(sim, "t-", 3)
                self.assertEqual(sim.get("/faults")["injected"].get("vm_error"), 3)
                # the ERROR VMs go (Nova keeps them a moment while deleting)
                wait_until(lambda: sim.get("/counters")["servers"]["by_status"].get("ERROR", 0) == 0, 10,
                           "no ERROR VM left")
                drain(self, g, sim)

    def test_failed_delete_sent_again_without_waiting_for_creation_timeout(self):
        # Nova marks the ERROR VM deleting, then answers 500 (it lost Keystone mid-delete):
        # the VM holds the pool's only slot until our delete is sent again.
        with Sim() as sim:
            sim.post("/faults", {"kind": "vm_error", "service": "nova", "count": 1})
            # three: the openstack worker itself resends a DELETE twice before giving up
            sim.post("/faults", {"kind": "delete_error", "service": "nova", "count": 3})
            with start(sim, [pool("small", min_idle=1, max_runners=1)], creation_timeout="10m") as g:
                wait_idle(sim, "t-", 1, timeout=30)
                ev = sim.get("/counters")["events"]
                self.assertEqual(ev.get("servers_delete_failed"), 3, ev)
                self.assertIn("server delete sent again", g.log())
                drain(self, g, sim)

    def test_runner_never_online_and_stuck_build_replaced(self):
        with Sim() as sim:
            sim.post("/faults", [{"kind": "runner_no_start", "service": "nova", "count": 2},
                                 {"kind": "stuck_build", "service": "nova", "count": 1}])
            with start(sim, [pool("small", min_idle=3)], creation_timeout="2s", bootstrap_timeout="2s") as g:
                wait_idle(sim, "t-", 3, timeout=40)
                wait_until(lambda: len(sim_view(sim)[0]) == 3, 20, "the broken VMs deleted")
                drain(self, g, sim)

    def test_lost_create_reply_never_doubles(self):
        with Sim() as sim:
            sim.post("/faults", {"kind": "lost_reply", "service": "nova", "method": "POST",
                                 "path": "/servers$", "count": 3})
            with start(sim, [pool("small", min_idle=4)]) as g:
                wait_idle(sim, "t-", 4, timeout=40)
                # the fault really fired: three create replies were lost
                self.assertEqual(sim.get("/faults")["injected"].get("lost_reply"), 3)
                rep = sim.get("/consistency")
                self.assertEqual(rep["duplicate_vm_names"], {}, rep)
                settle(1)
                servers, _ = sim_view(sim)
                self.assertEqual(len(servers), 4)
                drain(self, g, sim)

    def test_create_outcome_unknown_keeps_the_runner(self):
        """A create whose reply is lost while the server stays out of Nova's listings
        for a while ends as "create outcome unknown": the runner registered for it is
        kept, and the VM, once it shows, is used -- nothing is given back or made twice."""
        with Sim() as sim:
            sim.post("/faults", {"kind": "lost_reply", "service": "nova", "method": "POST",
                                 "path": "/servers$", "count": 2, "params": {"delay_ms": 4000}})
            with start(sim, [pool("small", min_idle=3)], creation_timeout="20s") as g:
                # both creates ended "outcome unknown" (the server hidden from the look-ups)
                wait_until(lambda: g.log().count("no server of that name shows") >= 2, 30,
                           "two creates with an unknown outcome")
                self.assertEqual(sim.get("/faults")["injected"].get("lost_reply"), 2)
                # then the servers show, and the scaler's own view has the three runners idle
                wait_until(lambda: g.ctl("pools")[1]["pools"][0]["counts"]["idle"] == 3, 40,
                           "the scaler sees 3 idle runners")
                wait_idle(sim, "t-", 3, timeout=10)
                c = sim.get("/counters")
                self.assertEqual(c["runners"]["deleted"], 0, "a runner whose VM was being created was deleted")
                self.assertEqual(c["servers"]["created"], 3, c["servers"])
                self.assertEqual(c["events"].get("jit_invalid", 0), 0)
                drain(self, g, sim)

    def test_error_vms_back_off(self):
        """VMs that Nova accepts and then puts in ERROR ("No valid host") are failed
        creates: the pool backs off instead of creating min_idle VMs every interval."""
        with Sim() as sim:
            sim.post("/faults", {"kind": "vm_error", "service": "nova",
                                 "params": {"message": "No valid host was found."}})
            with start(sim, [pool("small", min_idle=3)], interval="200ms") as g:
                wait_until(lambda: g.ctl("pools")[1]["pools"][0]["create_failures"] >= 2, 20,
                           "ERROR VMs counted as failed creates")
                before = create_requests(sim)
                settle(3)
                tried = create_requests(sim) - before
                # 200 ms reconciles would create 3 VMs each, ~45 in 3 s, without backoff
                self.assertLess(tried, 12, f"{tried} creates in 3 s while every VM goes ERROR")
                sim.delete("/faults")
                wait_idle(sim, "t-", 3, timeout=90)
                # a runner online clears the pool's backoff
                wait_until(lambda: g.ctl("pools")[1]["pools"][0]["create_failures"] == 0, 20,
                           "backoff cleared once runners came online")
                drain(self, g, sim)

    def test_quota_exhausted_backs_off_then_recovers(self):
        with Sim() as sim:
            sim.post("/knobs", {"quota_instances": 0})
            with start(sim, [pool("small", min_idle=3)], interval="200ms") as g:
                wait_until(lambda: g.ctl("pools")[1]["pools"][0]["create_failures"] >= 2, 20,
                           "creates failing on quota")
                before = create_requests(sim)
                settle(3)
                tried = create_requests(sim) - before
                # 200 ms reconciles would try ~45 creates in 3 s without backoff
                self.assertLess(tried, 12, f"{tried} create attempts in 3 s while over quota")
                rc, pools = g.ctl("pools")
                self.assertGreater(pools["pools"][0]["backoff_ms"] + pools["pools"][0]["create_failures"], 0)
                # every failed create gave its GitHub runner back
                wait_until(lambda: not sim_view(sim)[1], 10, "no runner left from failed creates")
                sim.post("/knobs", {"quota_instances": 10000})
                wait_idle(sim, "t-", 3, timeout=60)
                drain(self, g, sim)

    def test_github_5xx_and_rate_limits(self):
        with Sim() as sim:
            sim.post("/faults", [
                {"kind": "error", "service": "github", "method": "POST", "path": "generate-jitconfig",
                 "params": {"status": 502}, "count": 3},
                {"kind": "secondary_rate_limit", "service": "github", "method": "POST",
                 "path": "generate-jitconfig", "params": {"retry_after": 2}, "count": 1},
                {"kind": "error", "service": "github", "method": "GET", "path": "/actions/runners",
                 "params": {"status": 500}, "count": 2},
            ])
            with start(sim, [pool("small", min_idle=3)]) as g:
                wait_idle(sim, "t-", 3, timeout=60)
                # every fault really fired: 3 + 2 errors, 1 secondary rate limit
                injected = sim.get("/faults")["injected"]
                self.assertEqual(injected.get("error"), 5, injected)
                self.assertEqual(injected.get("secondary_rate_limit"), 1, injected)
                drain(self, g, sim)

    def test_keystone_down_for_a_while(self):
        with Sim() as sim, start(sim, [pool("small", min_idle=2)]) as g:
            wait_idle(sim, "t-", 2)
            before = sim.get("/counters")
            sim.post("/faults", {"kind": "down", "service": "openstack"})
            sim.post("/tokens/expire", {})
            sim.post("/jobs", {"count": 2, "labels": ["self-hosted", "small"]})
            wait_until(lambda: g.ctl("pools")[1]["pools"][0]["counts"]["idle"] == 0
                       or sim.get("/counters")["jobs"]["completed"] >= 2, 20, "jobs taken while the cloud is down")
            settle(2)
            # with half the picture (no server list) nothing is deleted: no VM, and no
            # GitHub runner although GitHub was up
            during = sim.get("/counters")
            self.assertEqual(during["servers"]["deleted"], before["servers"]["deleted"])
            self.assertEqual(during["runners"]["deleted"], before["runners"]["deleted"])
            self.assertGreater(during["faults_injected"].get("down", 0), 0, during["faults_injected"])
            sim.delete("/faults")
            wait_idle(sim, "t-", 2, timeout=60)
            drain(self, g, sim)


class Health(unittest.TestCase):
    def test_degraded_fleet_shows_in_status_pools_and_metrics(self):
        # GitHub unreachable: status says the fleet is degraded, why and since when, and
        # exits 3; Prometheus says the same; all of it clears once GitHub is back.
        with Sim() as sim, start(sim, [pool("small", min_idle=1)]) as g:
            wait_idle(sim, "t-", 1)
            wait_until(lambda: g.ctl("status")[0] == 0, 10, "a healthy fleet")
            sim.post("/faults", {"kind": "down", "service": "github"})
            wait_until(lambda: g.ctl("status")[0] == 3, 20, "status exit 3")
            rc, st = g.ctl("status")
            fleet = st["fleet"]
            self.assertTrue(fleet["degraded"], fleet)
            sources = {p["source"]: p for p in fleet["problems"]}
            self.assertIn("github", sources, fleet)
            self.assertIn("reconcile", sources, fleet)
            self.assertIn("github.", sources["github"]["error"])
            self.assertRegex(sources["github"]["since"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            rc, text = g.ctl("status", json_out=False)
            self.assertEqual(rc, 3, text)
            self.assertIn("fleet: DEGRADED", text)
            self.assertRegex(text, r"\n  github: github\.[^\n]*\(since \d{4}-")
            rc, m = g.ctl("metrics", json_out=False)
            self.assertIn("\nghr_degraded 1\n", m)
            self.assertIn('ghr_problem_since_seconds{source="github"}', m)
            sim.delete("/faults")
            wait_until(lambda: g.ctl("status")[0] == 0, 20, "the fleet healthy again")
            rc, text = g.ctl("status", json_out=False)
            self.assertIn("fleet: ok", text)
            rc, m = g.ctl("metrics", json_out=False)
            self.assertIn("\nghr_degraded 0\n", m)
            drain(self, g, sim)

    def test_failing_pool_shows_in_pools(self):
        with Sim() as sim:
            sim.post("/faults", {"kind": "quota", "service": "nova"})
            with start(sim, [pool("small", min_idle=1)]) as g:
                wait_until(lambda: g.ctl("pools")[1]["pools"][0]["problem"], 20, "the pool's problem")
                p = g.ctl("pools")[1]["pools"][0]["problem"]
                self.assertIn("create failed", p["error"])
                self.assertIn("quota", p["error"].lower())
                rc, text = g.ctl("pools", json_out=False)
                self.assertEqual(rc, 0, text)
                self.assertIn("DEGRADED", text)
                self.assertIn("small: create failed", text)
                self.assertEqual(g.ctl("status")[0], 3)
                sim.delete("/faults")
                wait_idle(sim, "t-", 1, timeout=60)
                wait_until(lambda: g.ctl("pools")[1]["pools"][0]["problem"] is None, 20, "the pool healthy")
                drain(self, g, sim)


class SlowDeletes(unittest.TestCase):
    def test_servers_being_deleted_are_not_deleted_again_and_hold_their_slot(self):
        """Nova keeps a deleted server listed (task_state deleting, old status) for a
        while, and it still uses the quota.  With deletes taking 3 s while the pool cycles
        (jobs finish, VMs power off, are deleted and replaced): no server is deleted twice,
        and the project never holds more than max_runners servers of the pool, counting
        the ones being deleted."""
        max_runners = 5
        with Sim() as sim:
            sim.post("/knobs", {"delete_ms": 3000})
            with start(sim, [pool("small", min_idle=3, max_runners=max_runners)]) as g:
                wait_idle(sim, "t-", 3)
                peak = [0]
                stop = threading.Event()

                def watch():
                    while not stop.is_set():
                        st = sim.get("/state")
                        peak[0] = max(peak[0], len([s for s in st["servers"] if s["name"].startswith("t-")]))
                        stop.wait(0.05)
                t = threading.Thread(target=watch, daemon=True)
                t.start()
                try:
                    sim.post("/jobs", {"count": 12, "labels": ["self-hosted", "small"]})
                    seen_deleting = [False]

                    def jobs_done():
                        rc, out = g.ctl("runners")
                        if rc == 0 and any(r["state"] == "deleting" for r in out["runners"]):
                            seen_deleting[0] = True
                        return sim.get("/counters")["jobs"]["completed"] >= 12
                    wait_until(jobs_done, 120, "12 jobs completed")
                    # the scaler shows the servers being deleted as such
                    self.assertTrue(seen_deleting[0], "ghr-ctl runners never showed a server deleting")
                    wait_idle(sim, "t-", 3, timeout=30)
                    settle(1)
                finally:
                    stop.set()
                    t.join(5)
                c = sim.get("/counters")
                self.assertEqual(c["events"].get("servers_delete_repeated", 0), 0,
                                 "a server being deleted was deleted again")
                self.assertGreaterEqual(c["servers"]["deleted"], 12, c["servers"])
                self.assertLessEqual(peak[0], max_runners,
                                     f"{peak[0]} servers (with those being deleted) for max_runners {max_runners}")
                self.assertEqual(g.log().count("server delete stuck"), 0)
                drain(self, g, sim)


class Spawn(unittest.TestCase):
    def test_parallel_spawns_never_exceed_max_runners(self):
        """Spawns queued behind a busy create slot hold their max_runners slot at once:
        of 8 parallel spawns into a pool capped at 3, exactly 3 are accepted."""
        with Sim() as sim, start(sim, [pool("small", min_idle=0, max_runners=3)],
                                 create_concurrency=1) as g:
            # a reconcile done: the pool's image is resolved
            wait_until(lambda: g.ctl("reconcile", timeout_ms=30000)[0] == 0, 30, "a complete reconcile")
            sim.post("/knobs", {"latency_ms": 200})      # creates stay queued a while
            results = [None] * 8

            def spawn(i):
                results[i] = g.call("scaler.spawn", {"pool": "small"}, timeout_ms=30000)
            threads = [threading.Thread(target=spawn, args=(i,)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertTrue(all(r is not None for r in results), results)
            accepted = [r for r in results if r[0] == 0]
            refused = [r for r in results if r[0] != 0]
            self.assertEqual(len(accepted), 3, results)
            self.assertEqual(len(refused), 5, results)
            self.assertTrue(all("full" in str(r[1]) for r in refused), refused)
            self.assertEqual(sim.get("/counters")["servers"]["created"], 3)
            sim.post("/knobs", {"latency_ms": 0})
            drain(self, g, sim)


class Crashes(unittest.TestCase):
    def _kill_during_reconcile(self, worker):
        with Sim() as sim:
            with start(sim, [pool("small", min_idle=6)]) as g:
                sim.post("/knobs", {"latency_ms": 100})
                # the first creates are in flight: kill now
                wait_until(lambda: sim.get("/counters")["runners"]["registered"] >= 1, 20, "creates started")
                kill9(g, worker)
                sim.post("/knobs", {"latency_ms": 0})
                wait_idle(sim, "t-", 6, timeout=60)
                settle(1)
                servers, runners = sim_view(sim)
                self.assertEqual(len(servers), 6, servers)
                self.assertEqual(len(runners), 6, runners)
                rep = sim.get("/consistency")
                self.assertTrue(rep["ok"], rep)
                drain(self, g, sim)

    def test_kill9_scaler_mid_reconcile(self):
        self._kill_during_reconcile("scaler")

    def test_kill9_github_mid_reconcile(self):
        self._kill_during_reconcile("github")

    def test_kill9_openstack_mid_reconcile(self):
        self._kill_during_reconcile("openstack")


class TwoManagers(unittest.TestCase):
    def test_two_manager_ids_never_touch_each_other(self):
        with Sim() as sim:
            with start(sim, [pool("small", min_idle=2), pool("large", min_idle=1, flavor="medium")],
                       manager_id="a") as ga, \
                    start(sim, [pool("small", min_idle=3)], manager_id="a-b") as gb:
                wait_idle(sim, "a-small-", 2)
                wait_idle(sim, "a-large-", 1)
                wait_idle(sim, "a-b-small-", 3)
                # a's flush and scale-down leave b alone, and the other way round
                rc, out = ga.ctl("flush")
                self.assertEqual(rc, 0, out)
                self.assertTrue(all(not n.startswith("a-b-") for n in out["deleted"]), out)
                drain(self, ga, sim, prefix="a-small-")
                drain(self, ga, sim, prefix="a-large-")
                settle(1)
                self.assertEqual(len(idle_in_sim(sim, "a-b-small-")), 3)
                ids_b = sorted(s["id"] for s in sim_view(sim, "a-b-")[0])
                self.assertEqual(len(ids_b), 3)
                drain(self, gb, sim, prefix="a-b-")


class LargeFleet(unittest.TestCase):
    SEEDED = 3200       # ~330 bytes a server: more than one 1 MiB bus frame's budget holds
    FOREIGN = 6000      # runners under the manager's prefix that are nobody's: ~180 bytes each

    def test_server_list_in_parts_is_followed_to_the_end(self):
        """A fleet whose server list and runner list do not fit one bus frame is listed in
        parts (os.servers.list and github.runners.list chunked:true, following `next`)
        and reconciled only once both lists are complete: with min_idle equal to the
        seeded fleet, a scaler that saw only the first part of either would create the
        rest again or not count them idle.  The foreign runners come first in GitHub's
        order, so the fleet's own runners are in the later part."""
        n = self.SEEDED
        with Sim() as sim:
            # names that do not parse as this manager's (no 8-hex suffix): never touched
            sim.post("/seed", {"runners": {
                "count": self.FOREIGN, "name_prefix": "t-zz-foreign-runner-of-nobody-padding-",
                "scope": "org:ghr-org", "status": "offline",
                "labels": ["self-hosted", "linux", "x64", "large", "jammy", "ephemeral"]}})
            sim.post("/seed", {"servers": {
                "count": n, "name_prefix": "t-small-", "status": "ACTIVE",
                "metadata": {"ghr-manager": "t", "ghr-pool": "small"}, "with_runners": True,
                "runner_scope": "org:ghr-org", "labels": ["self-hosted", "small"],
                "runner_status": "online", "busy": False}})
            with start(sim, [pool("small", min_idle=n)], interval="1h",
                       delete_concurrency=50) as g:
                # a reconcile refused while a worker is still starting acts on nothing
                def reconciled():
                    rc, out = g.ctl("reconcile", timeout_ms=120000)
                    return rc == 0 and out
                out = wait_until(reconciled, 60, "a reconcile with both lists complete")
                creates = [a for a in out["actions"] if a["action"] == "create"]
                self.assertEqual(creates, [], "created runners that exist: the list was cut short")
                self.assertEqual(out["actions"], [], "acted on a complete, steady fleet")
                rc, pools = g.ctl("pools")
                self.assertEqual(rc, 0, pools)
                self.assertEqual(pools["pools"][0]["counts"]["idle"], n, pools)
                self.assertEqual(create_requests(sim), 0)
                # the scaler really took more than one part of each list
                log = g.log().split()
                parts = [int(x.split("=")[1]) for x in log if x.startswith("server_parts=")]
                self.assertTrue(parts and max(parts) >= 2, f"server_parts seen: {parts[-5:]}")
                rparts = [int(x.split("=")[1]) for x in log if x.startswith("runner_parts=")]
                self.assertTrue(rparts and max(rparts) >= 2, f"runner_parts seen: {rparts[-5:]}")
                # the foreign runners are left alone
                _, runners = sim_view(sim, "t-zz-")
                self.assertEqual(len(runners), self.FOREIGN)
                drain(self, g, sim, prefix="t-small-", timeout=240)


if __name__ == "__main__":
    unittest.main()
