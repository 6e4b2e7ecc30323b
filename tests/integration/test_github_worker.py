"""The github worker against the simulator, driven directly by build/tests/wtest.

Each test starts from a reset simulator and runs the real worker binary; requests go
one at a time through a live wtest session, so that the test can change the simulator
(faults, rate limits, expired tokens) between two calls.  Every test also checks that
no secret reached the worker's log.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from harness import LIBEXEC, SIM_ORG, SIM_PAT, WTEST, Sim, WorkerDriver, run_worker

WORKER = os.path.join(LIBEXEC, "github")
PAT = SIM_PAT
ORG = SIM_ORG
REPO = "ghr-org/ghr-repo"
ENTERPRISE = "ghr-ent"
APP_CLIENT_ID = "Iv1.ghrsim0000000001"
APP_INSTALLATION = 4242


def github_slice(api, path=ORG, auth=None, **github):
    g = {"path": path, "api_url": api + "/github", "auth": {"token_file": "/etc/ghr/pat"} if auth is None else auth,
         "timeout": 2000, "connect_timeout": 1000, "concurrency": 16, "rate_limit_reserve": 10,
         "runner_group": "Default"}
    g.update(github)
    return {"github": g, "manager_id": "t"}


def make_app_key(directory):
    """An RSA key pair made with the openssl tool: (private PEM, public PEM)."""
    key = os.path.join(directory, "app.pem")
    subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True, capture_output=True)
    pub = subprocess.run(["openssl", "rsa", "-in", key, "-pubout"], check=True, capture_output=True,
                         text=True).stdout
    with open(key) as f:
        return f.read(), pub


@unittest.skipUnless(os.path.exists(WTEST) and os.path.exists(WORKER), "build wtest and the github worker first")
class GithubWorkerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim()

    @classmethod
    def tearDownClass(cls):
        cls.sim.close()

    def setUp(self):
        self.sim.ctl("POST", "/reset", {})
        self.sim.ctl("POST", "/counters/reset", {})
        self.workers = []
        self.secrets = [PAT]

    def tearDown(self):
        for w in self.workers:
            w.close()
            log = w.log()
            for s in self.secrets:
                self.assertNotIn(s, log, "a secret reached the worker log")
            self.assertNotIn("eyJ", log, "a JWT or JIT config reached the worker log")
            self.assertNotIn("-----BEGIN", log)
            # under AddressSanitizer/UBSan builds (GHR_BUILD=build-asan): no memory error
            self.assertNotIn("ERROR: AddressSanitizer", log)
            self.assertNotIn("runtime error:", log)
            w.cleanup()

    def worker(self, path=ORG, auth=None, secret=None, **github):
        w = WorkerDriver("github", github_slice(self.sim.api, path, auth, **github), secret or {"token": PAT},
                         log_level="debug")
        self.workers.append(w)
        return w

    def fault(self, **rule):
        rule.setdefault("service", "github")
        return self.sim.fault(**rule)

    def assertOk(self, reply):
        self.assertTrue(reply.get("ok"), reply)
        return reply["body"]

    def assertErr(self, reply, code):
        self.assertFalse(reply.get("ok"), reply)
        self.assertEqual(reply["error"]["code"], code, reply)
        return reply["error"]

    # ---- listing ---------------------------------------------------------------------

    def test_list_follows_every_page_and_filters_by_prefix(self):
        self.sim.seed_runners(250, "t-a-")
        self.sim.seed_runners(30, "other-")
        w = self.worker()
        body = self.assertOk(w.request("github.runners.list", {"prefix": "t-a-"}))
        names = [r["name"] for r in body["runners"]]
        self.assertEqual(len(names), 250)
        self.assertTrue(all(n.startswith("t-a-") for n in names))
        self.assertEqual(len(set(names)), 250)
        r0 = body["runners"][0]
        self.assertEqual(sorted(r0), ["busy", "id", "labels", "name", "status"])
        self.assertEqual(r0["labels"], ["self-hosted"])
        everything = self.assertOk(w.request("github.runners.list", {}))
        self.assertEqual(len(everything["runners"]), 280)

    def test_unchanged_list_costs_no_budget(self):
        self.sim.seed_runners(250, "t-b-")
        w = self.worker()
        first = self.assertOk(w.request("github.runners.list", {"prefix": "t-b-"}))
        self.assertFalse(first["etag_hit"])
        used = self.sim.counters()["rate_limit"]["used_total"]
        second = self.assertOk(w.request("github.runners.list", {"prefix": "t-b-"}))
        self.assertTrue(second["etag_hit"])
        self.assertEqual(second["runners"], first["runners"])
        c = self.sim.counters()["rate_limit"]
        self.assertEqual(c["used_total"], used, "an unchanged list spent rate-limit budget")
        self.assertEqual(c["not_modified"], 3)
        # a change shows up at once
        self.sim.seed_runners(1, "t-b-new-")
        third = self.assertOk(w.request("github.runners.list", {"prefix": "t-b-"}))
        self.assertEqual(len(third["runners"]), 251)

    def list_in_parts(self, w, prefix, max_parts=50):
        """github.runners.list chunked:true, `next` followed: (runners, replies)."""
        runners, replies, marker = [], [], None
        while len(replies) < max_parts:
            body = {"prefix": prefix, "chunked": True}
            if marker:
                body["marker"] = marker
            rep = self.assertOk(w.request("github.runners.list", body, timeout_ms=60000))
            replies.append(rep)
            runners += rep["runners"]
            marker = rep.get("next")
            if not marker:
                return runners, replies
        self.fail("the parts never end")

    def test_list_beyond_one_frame_comes_in_parts(self):
        """6,500 runners (~1.1 MB) do not fit one 1 MiB bus frame.  Without chunked the
        list is refused as unavailable before anything is encoded (never `the reply could
        not be encoded`, never a partial list); with chunked it comes in parts holding
        every runner exactly once; the unchanged list listed again in parts spends no
        rate-limit budget; a marker whose listing is gone is conflict."""
        n = 6500
        # names and labels of real length: ~175 bytes a runner, ~1.1 MB in all
        prefix = "t-big-ubuntu-jammy-x64-large-ephemeral-runner-pool-"
        self.sim.seed_runners(n, prefix, labels=["self-hosted", "linux", "x64", "large", "jammy", "ephemeral"])
        self.sim.seed_runners(40, "other-")
        w = self.worker(log_level="info")
        t0 = time.monotonic()
        rep = w.request("github.runners.list", {"prefix": prefix}, timeout_ms=60000)
        self.assertFalse(rep.get("ok"), "the whole list came in one reply of %d runners"
                         % len(rep.get("body", {}).get("runners", [])))
        err = self.assertErr(rep, "unavailable")
        t_refused = time.monotonic() - t0
        self.assertIn("%d runners do not fit one reply; ask with chunked:true" % n, err["message"])
        self.sim.ctl("POST", "/counters/reset", {})

        t0 = time.monotonic()
        runners, replies = self.list_in_parts(w, prefix)
        t_first = time.monotonic() - t0
        names = [r["name"] for r in runners]
        self.assertEqual(len(names), n)
        self.assertEqual(len(set(names)), n, "a runner came twice")
        self.assertTrue(set(names) == {"%s%05d" % (prefix, i) for i in range(n)}, "not the seeded runners")
        total = len(json.dumps(runners, separators=(",", ":")))
        self.assertGreater(total, 1024 * 1024, "the list would have fitted one frame")
        self.assertGreaterEqual(len(replies), 2)
        self.assertNotIn("next", replies[-1])
        for rep in replies:            # each part well inside the frame
            self.assertLess(len(json.dumps(rep, separators=(",", ":"))), 800 * 1024)
        # every page was fetched by the unavailable call (ETags kept): already free here
        c = self.sim.counters()["rate_limit"]
        self.assertEqual(c["used_total"], 0, c)

        # the unchanged list again, in parts: every page a 304, no budget spent
        t0 = time.monotonic()
        again, replies2 = self.list_in_parts(w, prefix)
        t_again = time.monotonic() - t0
        self.assertTrue([r["name"] for r in again] == names, "the second listing differs")
        self.assertTrue(all(rep["etag_hit"] for rep in replies2))
        c = self.sim.counters()["rate_limit"]
        self.assertEqual(c["used_total"], 0, "an unchanged list spent rate-limit budget")
        self.assertGreaterEqual(c["not_modified"], n // 100 * 2)

        # markers of a listing that is over, made up, or of another prefix: conflict
        stale = replies[0]["next"]
        err = self.assertErr(w.request("github.runners.list", {"prefix": prefix, "marker": stale}),
                             "conflict")
        self.assertIn("list again from the start", err["message"])
        self.assertErr(w.request("github.runners.list", {"prefix": prefix, "marker": "nonsense"}),
                       "conflict")
        first = self.assertOk(w.request("github.runners.list", {"prefix": prefix, "chunked": True},
                                        timeout_ms=60000))
        err = self.assertErr(w.request("github.runners.list", {"prefix": "t-", "marker": first["next"]}),
                             "conflict")
        self.assertIn("another prefix", err["message"])
        # ... which does not spoil the listing in progress
        rest = self.assertOk(w.request("github.runners.list", {"prefix": prefix, "marker": first["next"]}))
        self.assertEqual(len(first["runners"]) + len(rest["runners"]), n)

        # a list that fits is one reply, chunked or not, and keeps nothing
        small = self.assertOk(w.request("github.runners.list", {"prefix": "other-", "chunked": True}))
        self.assertEqual(len(small["runners"]), 40)
        self.assertNotIn("next", small)
        self.assertEqual(len(self.assertOk(w.request("github.runners.list", {"prefix": "other-"}))["runners"]), 40)
        self.assertNotIn("could not be encoded", w.log())
        sys.stderr.write("\n[runners.list] %d runners: unavailable in %.2fs; chunked %d parts (%s) in %.2fs; "
                         "again (304s) in %.2fs\n" % (n, t_refused, len(replies),
                                                      "+".join(str(len(r["runners"])) for r in replies),
                                                      t_first, t_again))

    def test_repo_and_enterprise_paths(self):
        for path, scope in ((REPO, "repo:" + REPO), ("enterprise:" + ENTERPRISE, "enterprise:" + ENTERPRISE)):
            with self.subTest(path=path):
                self.sim.ctl("POST", "/reset", {})
                self.sim.seed_runners(3, "t-c-", scope=scope)
                w = self.worker(path=path)
                body = self.assertOk(w.request("github.runners.list", {"prefix": "t-c-"}))
                self.assertEqual(len(body["runners"]), 3)
                jit = self.assertOk(w.request("github.runner.jit", {"name": "t-c-jit-1", "labels": ["small"]}))
                self.assertGreater(jit["runner_id"], 0)
                self.assertTrue(jit["jit_config"])
                names = [r["name"] for r in self.sim.runners()]
                self.assertIn("t-c-jit-1", names)

    def test_unknown_org_is_not_found(self):
        w = self.worker(path="no-such-org")
        err = self.assertErr(w.request("github.runners.list", {}), "not_found")
        self.assertIn("404", err["message"])

    # ---- JIT and delete ------------------------------------------------------------------

    def test_jit_then_delete_then_not_found(self):
        w = self.worker()
        jit = self.assertOk(w.request("github.runner.jit", {"name": "t-d-1", "labels": ["small", "x64"]}))
        self.secrets.append(jit["jit_config"])
        rid = jit["runner_id"]
        self.assertOk(w.request("github.runner.delete", {"id": rid}))
        self.assertErr(w.request("github.runner.delete", {"id": rid}), "not_found")
        self.assertNotIn("t-d-1", [r["name"] for r in self.sim.runners()])

    def test_jit_same_name_twice_is_conflict(self):
        w = self.worker()
        self.secrets.append(self.assertOk(w.request("github.runner.jit", {"name": "t-e-1", "labels": ["a"]}))["jit_config"])
        err = self.assertErr(w.request("github.runner.jit", {"name": "t-e-1", "labels": ["a"]}), "conflict")
        self.assertIn("already exists", err["message"])

    def test_jit_refuses_bad_input_before_calling_github(self):
        w = self.worker()
        before = self.sim.counters()["requests_total"]
        self.assertErr(w.request("github.runner.jit", {"name": "bad name&x=1", "labels": ["a"]}), "bad_request")
        self.assertErr(w.request("github.runner.jit", {"name": "ok-name", "labels": []}), "bad_request")
        self.assertErr(w.request("github.job.get", {"repo": "../etc", "job_id": 1}), "bad_request")
        self.assertErr(w.request("github.runner.delete", {"id": -3}), "bad_request")
        self.assertEqual(self.sim.counters()["requests_total"], before)

    def test_unknown_runner_group_is_not_found(self):
        w = self.worker(runner_group="no-such-group")
        err = self.assertErr(w.request("github.runner.jit", {"name": "t-f-1", "labels": ["a"]}), "not_found")
        self.assertIn("no-such-group", err["message"])

    def test_busy_runner_delete_is_conflict(self):
        self.sim.seed_runners(1, "t-g-", busy=True)
        w = self.worker()
        rid = self.assertOk(w.request("github.runners.list", {"prefix": "t-g-"}))["runners"][0]["id"]
        err = self.assertErr(w.request("github.runner.delete", {"id": rid}), "conflict")
        self.assertIn("busy", err["message"])

    def test_jit_reply_lost_deletes_the_registered_runner(self):
        for kind, params in (("lost_reply", {"then": "reset"}), ("invalid_json", {})):
            with self.subTest(kind=kind):
                self.sim.ctl("POST", "/reset", {})
                self.sim.ctl("POST", "/counters/reset", {})
                self.fault(kind=kind, method="POST", path="generate-jitconfig", count=1, params=params)
                w = self.worker()
                err = self.assertErr(w.request("github.runner.jit", {"name": "t-h-1", "labels": ["a"]}),
                                     "unavailable")
                self.assertIn("deleted again", err["message"])
                self.assertNotIn("t-h-1", [r["name"] for r in self.sim.runners()])
                ev = self.sim.counters()["events"]
                self.assertEqual(ev.get("runners_registered"), 1)
                # and the scaler's retry with a new name works
                self.secrets.append(self.assertOk(
                    w.request("github.runner.jit", {"name": "t-h-2", "labels": ["a"]}))["jit_config"])

    # ---- other methods --------------------------------------------------------------------

    def test_job_get_and_downloads(self):
        jid = self.sim.ctl("POST", "/jobs", {"repo": REPO, "labels": ["self-hosted", "small"]})["jobs"][0]
        w = self.worker()
        job = self.assertOk(w.request("github.job.get", {"repo": REPO, "job_id": jid}))
        self.assertEqual(job["status"], "queued")
        self.assertEqual(job["labels"], ["self-hosted", "small"])
        self.assertErr(w.request("github.job.get", {"repo": REPO, "job_id": jid + 1000}), "not_found")
        d = self.assertOk(w.request("github.runner.downloads", {"os": "linux", "arch": "x64"}))
        self.assertTrue(d["url"].startswith("https://"))
        self.assertRegex(d["version"], r"^\d+\.\d+\.\d+$")
        self.assertEqual(len(d["sha256"]), 64)
        self.assertErr(w.request("github.runner.downloads", {"os": "plan9", "arch": "x64"}), "not_found")

    def test_ratelimit_reports_budget_and_use(self):
        w = self.worker()
        first = self.assertOk(w.request("github.ratelimit", {}))
        self.assertIn("core", first["resources"])
        self.assertEqual(first["used_last_hour"], 0)
        self.assertOk(w.request("github.runners.list", {}))
        self.assertOk(w.request("github.runners.list", {}))      # 304: free
        after = self.assertOk(w.request("github.ratelimit", {}))
        self.assertEqual(after["used_last_hour"], 1)
        self.assertEqual(after["resources"]["core"]["remaining"],
                         first["resources"]["core"]["remaining"] - 1)

    # ---- faults -----------------------------------------------------------------------------

    def test_5xx_and_reset_are_retried(self):
        self.sim.seed_runners(5, "t-i-")
        w = self.worker()
        self.fault(kind="error", method="GET", path="actions/runners", count=2, params={"status": 502})
        self.assertEqual(len(self.assertOk(w.request("github.runners.list", {"prefix": "t-i-"}))["runners"]), 5)
        self.fault(kind="reset", method="GET", path="actions/runners", count=1)
        self.assertEqual(len(self.assertOk(w.request("github.runners.list", {"prefix": "t-i-"}))["runners"]), 5)
        inj = self.sim.ctl("GET", "/faults")["injected"]
        self.assertEqual(inj.get("error"), 2)
        self.assertEqual(inj.get("reset"), 1)

    def test_persistent_5xx_is_unavailable_after_bounded_retries(self):
        w = self.worker()
        self.fault(kind="error", method="GET", path="actions/runners", params={"status": 503})
        err = self.assertErr(w.request("github.runners.list", {}, timeout_ms=10000), "unavailable")
        self.assertIn("503", err["message"])
        self.assertEqual(self.sim.ctl("GET", "/faults")["injected"].get("error"), 4)   # 1 + 3 retries

    def test_post_is_not_retried_blindly_on_5xx(self):
        w = self.worker()
        self.assertOk(w.request("github.runners.list", {}))      # group lookups etc. out of the way
        self.fault(kind="error", method="POST", path="generate-jitconfig", params={"status": 500})
        err = self.assertErr(w.request("github.runner.jit", {"name": "t-j-1", "labels": ["a"]}), "unavailable")
        self.assertIn("no runner t-j-1 was registered", err["message"])
        self.assertEqual(self.sim.ctl("GET", "/faults")["injected"].get("error"), 1)

    def test_hang_is_cut_by_the_timeout(self):
        w = self.worker(timeout=500)
        self.fault(kind="hang", method="GET", path="actions/runners")
        t0 = time.monotonic()
        err = self.assertErr(w.request("github.runners.list", {}, timeout_ms=3000), "unavailable")
        took = time.monotonic() - t0
        self.assertLess(took, 3.5)
        self.assertIn("timed out", err["message"].lower())
        self.sim.ctl("DELETE", "/faults")
        self.assertOk(w.request("github.runners.list", {}))     # and the worker still serves

    def test_invalid_json_is_internal_error(self):
        w = self.worker()
        self.fault(kind="invalid_json", method="GET", path="actions/runners")
        err = self.assertErr(w.request("github.runners.list", {}), "internal")
        self.assertIn("truncated JSON", err["message"])

    def test_primary_rate_limit_stops_calls_until_reset(self):
        self.sim.ctl("POST", "/ratelimit", {"remaining": 0})
        w = self.worker()
        err = self.assertErr(w.request("github.runners.list", {}), "rate_limited")
        self.assertGreater(err["retry_after_ms"], 0)
        before = self.sim.counters()["requests_total"]
        err = self.assertErr(w.request("github.runners.list", {}), "rate_limited")
        self.assertGreater(err["retry_after_ms"], 0)
        self.assertEqual(self.sim.counters()["requests_total"], before, "the worker kept hammering")

    def test_reserve_keeps_deletes_going(self):
        self.sim.seed_runners(2, "t-k-")
        w = self.worker(rate_limit_reserve=10)
        runners = self.assertOk(w.request("github.runners.list", {"prefix": "t-k-"}))["runners"]
        self.sim.ctl("POST", "/ratelimit", {"remaining": 8})
        w2 = self.worker(rate_limit_reserve=10)
        # the first call learns the budget; from then on only cleanup may spend it
        self.assertOk(w2.request("github.runner.delete", {"id": runners[0]["id"]}))
        err = self.assertErr(w2.request("github.runner.jit", {"name": "t-k-new", "labels": ["a"]}), "rate_limited")
        self.assertIn("reserve", err["message"])
        self.assertGreater(err["retry_after_ms"], 0)
        self.assertErr(w2.request("github.runners.list", {}), "rate_limited")
        self.assertOk(w2.request("github.runner.delete", {"id": runners[1]["id"]}))

    def test_low_budget_paces_calls(self):
        self.sim.ctl("POST", "/ratelimit", {"remaining": 50})
        w = self.worker(rate_limit_reserve=10)
        self.assertOk(w.request("github.runners.list", {}))      # learns: 49 left, 39 above the reserve
        self.assertOk(w.request("github.runners.list", {}))      # paced from here on
        before = self.sim.counters()["requests_total"]
        err = self.assertErr(w.request("github.runners.list", {}), "rate_limited")
        self.assertEqual(self.sim.counters()["requests_total"], before)
        self.assertIn("one call every", err["message"])
        # spread over what is left of the hour: about an hour / 39 between calls
        self.assertGreater(err["retry_after_ms"], 30000)
        self.assertLess(err["retry_after_ms"], 3600000 // 39 + 1000)

    def test_secondary_rate_limit_blocks_the_resource(self):
        w = self.worker()
        self.fault(kind="secondary_rate_limit", method="GET", path="actions/runners", count=1,
                       params={"retry_after": 30})
        err = self.assertErr(w.request("github.runners.list", {}), "rate_limited")
        self.assertEqual(err["retry_after_ms"], 30000)
        self.assertIn("secondary", err["message"])
        before = self.sim.counters()["requests_total"]
        err = self.assertErr(w.request("github.runner.delete", {"id": 1}), "rate_limited")
        self.assertLessEqual(err["retry_after_ms"], 30000)
        self.assertGreater(err["retry_after_ms"], 20000)
        self.assertEqual(self.sim.counters()["requests_total"], before)

    def test_429_without_retry_after_blocks_the_resource(self):
        w = self.worker()
        self.fault(kind="error", method="GET", path="actions/runners", count=1, params={"status": 429})
        err = self.assertErr(w.request("github.runners.list", {}), "rate_limited")
        self.assertEqual(err["retry_after_ms"], 60000)
        before = self.sim.counters()["requests_total"]
        err = self.assertErr(w.request("github.runners.list", {}), "rate_limited")
        self.assertGreater(err["retry_after_ms"], 50000)
        self.assertEqual(self.sim.counters()["requests_total"], before, "a 429 did not stop the calls")

    def test_unprefixed_pat_never_logged(self):
        # a classic 40-hex PAT (or a GHES one) has no ghp_ prefix: only its registration
        # as a literal keeps it out of the log; debug logging and a failing call make the
        # worker talk about its requests as much as it ever does
        pat = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
        self.sim.ctl("POST", "/github", {"pats": [pat]})
        self.secrets.append(pat)
        w = self.worker(secret={"token": pat})
        self.assertOk(w.request("github.runners.list", {}))
        self.fault(kind="error", method="GET", path="actions/runners", count=1, params={"status": 404})
        self.assertErr(w.request("github.runners.list", {}), "not_found")
        w.close()
        self.assertNotIn(pat, w.log())

    def test_delete_retried_after_lost_reply_is_ok(self):
        w = self.worker()
        jit = self.assertOk(w.request("github.runner.jit", {"name": "t-l-1", "labels": ["small"]}))
        self.secrets.append(jit["jit_config"])
        rid = jit["runner_id"]
        # GitHub deletes it, then the reply is lost (502): the retry finds it gone (404)
        self.fault(kind="lost_reply", method="DELETE", path="actions/runners", count=1,
                       params={"then": "error", "status": 502})
        self.assertOk(w.request("github.runner.delete", {"id": rid}))
        self.assertNotIn("t-l-1", [r["name"] for r in self.sim.runners()])
        self.assertEqual(self.sim.ctl("GET", "/faults")["injected"].get("lost_reply"), 1)
        # a first-try 404 is still not_found
        self.assertErr(w.request("github.runner.delete", {"id": rid}), "not_found")

    def test_bad_pat_is_unauthorized(self):
        w = self.worker(secret={"token": "ghp_wrongwrongwrongwrongwrongwrongwrong1"})
        self.secrets.append("ghp_wrongwrongwrongwrongwrongwrongwrong1")
        err = self.assertErr(w.request("github.runners.list", {}), "unauthorized")
        self.assertIn("Bad credentials", err["message"])

    # ---- GitHub App ------------------------------------------------------------------------

    def app_worker(self):
        """A github worker authenticating as the simulator's GitHub App (a fresh key)."""
        d = tempfile.mkdtemp(prefix="ghr-app-")
        try:
            priv, pub = make_app_key(d)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.sim.ctl("POST", "/github", {"app": {"public_key_pem": pub}})
        auth = {"app_client_id": APP_CLIENT_ID, "app_installation_id": APP_INSTALLATION,
                "app_private_key_file": "/etc/ghr/app.pem"}
        self.secrets += [l for l in priv.splitlines() if l and not l.startswith("-----")]
        return self.worker(auth=auth, secret={"app_private_key": priv})

    def test_app_token_obtained_and_renewed(self):
        self.sim.seed_runners(2, "t-l-")
        w = self.app_worker()
        self.assertEqual(len(self.assertOk(w.request("github.runners.list", {"prefix": "t-l-"}))["runners"]), 2)
        self.assertEqual(self.sim.counters()["events"].get("installation_tokens_issued"), 1)
        # GitHub revokes or expires the token early: the worker renews it and the call succeeds
        self.sim.ctl("POST", "/tokens/expire", {"keystone": False, "github": True})
        self.assertEqual(len(self.assertOk(w.request("github.runners.list", {"prefix": "t-l-"}))["runners"]), 2)
        self.assertEqual(self.sim.counters()["events"].get("installation_tokens_issued"), 2)
        # a short-lived token is renewed ahead of its expiry, without a failed call first
        self.sim.ctl("POST", "/knobs", {"installation_token_lifetime_ms": 1500})
        self.sim.ctl("POST", "/tokens/expire", {"keystone": False, "github": True})
        self.assertOk(w.request("github.runners.list", {}))
        issued = self.sim.counters()["events"].get("installation_tokens_issued")
        bad = self.sim.counters()["events"].get("github_bad_credentials", 0)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and \
                self.sim.counters()["events"].get("installation_tokens_issued") < issued + 2:
            self.assertOk(w.request("github.ratelimit", {}))
            time.sleep(0.1)
        self.assertGreaterEqual(self.sim.counters()["events"].get("installation_tokens_issued"), issued + 2)
        self.assertOk(w.request("github.runners.list", {}))
        self.assertEqual(self.sim.counters()["events"].get("github_bad_credentials", 0), bad)
        self.assertIn("installation token renewed", w.log())

    def test_app_token_expiring_by_our_clock_is_not_renewed_in_a_loop(self):
        # GitHub's expires_at is two hours behind this host's clock: the token is good,
        # but by the local clock it expired already.  Before, it was renewed every ~760 ms.
        self.sim.ctl("POST", "/knobs", {"installation_token_clock_skew_ms": -7200000})
        try:
            w = self.app_worker()
            end = time.monotonic() + 2.5        # bounded: about three renewals' worth before
            calls = 0
            while time.monotonic() < end:
                self.assertOk(w.request("github.ratelimit", {}))
                calls += 1
            self.assertGreater(calls, 3)
            ev = self.sim.counters()["events"]
            self.assertEqual(ev.get("installation_tokens_issued"), 1, ev)
            self.assertEqual(ev.get("github_unsupported_media_type", 0), 0)
            self.assertIn("clocks disagree", w.log())
        finally:
            self.sim.ctl("POST", "/knobs", {"installation_token_clock_skew_ms": 0})

    def test_app_key_wrong_is_unauthorized(self):
        d = tempfile.mkdtemp(prefix="ghr-app-")
        try:
            priv, _ = make_app_key(d)
            _, other_pub = make_app_key(d)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.sim.ctl("POST", "/github", {"app": {"public_key_pem": other_pub}})
        auth = {"app_client_id": APP_CLIENT_ID, "app_installation_id": APP_INSTALLATION,
                "app_private_key_file": "/etc/ghr/app.pem"}
        w = self.worker(auth=auth, secret={"app_private_key": priv})
        self.secrets += [l for l in priv.splitlines() if l and not l.startswith("-----")]
        err = self.assertErr(w.request("github.runners.list", {}), "unauthorized")
        self.assertIn("installation token", err["message"])

    # ---- configuration ------------------------------------------------------------------------

    def test_bad_config_exits_78(self):
        cases = [
            github_slice(self.sim.api, auth={"token_file": "/p", "app_client_id": "x"}),
            github_slice(self.sim.api, auth={}),
            github_slice("http://example.com"),
            github_slice(self.sim.api, path="a/b/c"),
        ]
        for s in cases:
            with self.subTest(slice=s["github"]):
                _, _, err, rc = run_worker("github", s, {"token": PAT}, [{"method": "github.ratelimit", "body": {}}],
                                           timeout=120)
                self.assertEqual(rc, 78, err)
                self.assertIn("github", err)
                self.assertNotIn(PAT, err)


if __name__ == "__main__":
    unittest.main()
