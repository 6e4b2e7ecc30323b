"""GitHub REST behaviour: auth, JIT validation, pagination, ETag, rate limits."""
import base64
import json
import re
import unittest

import simtest as T


def links(header):
    return {m.group(2): m.group(1) for m in re.finditer(r'<([^>]+)>; rel="(\w+)"', header or "")}


class Auth(T.SimTestCase):
    def test_credentials(self):
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners").status, 200)
        r = self.call("GET", "/github/orgs/ghr-org/actions/runners",
                      headers=T.gh_headers(Authorization="token " + T.PAT))
        self.assertEqual(r.status, 200, "'token <t>' works too")
        r = self.gh("GET", "/orgs/ghr-org/actions/runners", token="ghp_wrong")
        self.assertEqual((r.status, r.json["message"]), (401, "Bad credentials"))
        h = T.gh_headers()
        del h["Authorization"]
        r = self.call("GET", "/github/orgs/ghr-org/actions/runners", headers=h)
        self.assertEqual((r.status, r.json["message"]), (401, "Requires authentication"))

    def test_user_agent_and_api_version(self):
        h = T.gh_headers()
        del h["User-Agent"]
        self.assertEqual(self.call("GET", "/github/orgs/ghr-org/actions/runners", headers=h).status, 403)
        r = self.gh("GET", "/orgs/ghr-org/actions/runners", **{"X-GitHub-Api-Version": "2020-01-01"})
        self.assertEqual(r.status, 400)

    def test_unknown_org_repo(self):
        self.assertEqual(self.gh("GET", "/orgs/nope/actions/runners").status, 404)
        self.assertEqual(self.gh("GET", "/repos/ghr-org/nope/actions/runners").status, 404)
        self.assertEqual(self.gh("GET", "/orgs/GHR-ORG/actions/runners").status, 200, "names are case-insensitive")


class Jit(T.SimTestCase):
    def test_validation_422(self):
        good = {"name": "r", "runner_group_id": 1, "labels": ["self-hosted"]}
        bad = [
            {k: v for k, v in good.items() if k != "name"},
            {k: v for k, v in good.items() if k != "runner_group_id"},
            {k: v for k, v in good.items() if k != "labels"},
            dict(good, name=5),
            dict(good, runner_group_id="1"),
            dict(good, runner_group_id=1.5),
            dict(good, runner_group_id=True),
            dict(good, labels=[]),
            dict(good, labels=["x"] * 101),
            dict(good, labels="self-hosted"),
            dict(good, labels=["ok", 3]),
            dict(good, work_folder=7),
            [good],
        ]
        for body in bad:
            r = self.gh("POST", "/orgs/ghr-org/actions/runners/generate-jitconfig", body)
            self.assertEqual(r.status, 422, body)
            self.assertTrue(r.json["message"].startswith("Invalid request."), r.json)
            self.assertIn("documentation_url", r.json)
        r = self.gh("POST", "/orgs/ghr-org/actions/runners/generate-jitconfig", "{broken")
        self.assertEqual(r.status, 400)
        for body in (good, dict(good, name="r2", labels=["x"] * 100, work_folder="_w", extra="ignored")):
            self.assertEqual(self.gh("POST", "/orgs/ghr-org/actions/runners/generate-jitconfig", body).status, 201)
        self.assertEqual(self.counters()["runners"]["registered"], 2)

    def test_conflict_and_group(self):
        body = {"name": "dup", "runner_group_id": 1, "labels": ["a"]}
        self.assertEqual(self.gh("POST", "/orgs/ghr-org/actions/runners/generate-jitconfig", body).status, 201)
        r = self.gh("POST", "/orgs/ghr-org/actions/runners/generate-jitconfig", dict(body, name="DUP"))
        self.assertEqual(r.status, 409)
        # another scope may have the same name
        self.assertEqual(self.gh("POST", "/repos/ghr-org/ghr-repo/actions/runners/generate-jitconfig", body).status, 201)
        r = self.gh("POST", "/orgs/ghr-org/actions/runners/generate-jitconfig", dict(body, name="g", runner_group_id=77))
        self.assertEqual(r.status, 404)

    def test_jit_config_contract(self):
        r = self.jit("contract-1", ["self-hosted", "Small"])
        blob = r["encoded_jit_config"]
        self.assertRegex(blob, r"^[A-Za-z0-9+/=]+$")
        self.assertGreater(len(blob), 2000, "as large as a real one")
        cfg = json.loads(base64.b64decode(blob))
        self.assertEqual((cfg["sim_runner_id"], cfg["name"], cfg["labels"]), (r["runner"]["id"], "contract-1", ["self-hosted", "Small"]))
        self.assertEqual((r["runner"]["status"], r["runner"]["busy"], r["runner"]["os"]), ("offline", False, "unknown"))


class Runners(T.SimTestCase):
    def test_pagination_link_etag_and_rate_limit(self):
        self.cj("POST", "/seed", {"runners": {"count": 45, "status": "offline"}})
        r = self.gh("GET", "/orgs/ghr-org/actions/runners?per_page=20")
        self.assertEqual((r.status, r.json["total_count"], len(r.json["runners"])), (200, 45, 20))
        ln = links(r.h("Link"))
        self.assertEqual(set(ln), {"next", "last"})
        self.assertIn("page=3", ln["last"])
        ids = [x["id"] for x in r.json["runners"]]
        url = ln["next"]
        while url:
            r = self.call("GET", url[len(self.api):], headers=T.gh_headers())
            ids += [x["id"] for x in r.json["runners"]]
            url = links(r.h("Link")).get("next")
        self.assertEqual(len(ids), 45)
        self.assertEqual(ids, sorted(ids))
        r = self.gh("GET", "/orgs/ghr-org/actions/runners?per_page=500")
        self.assertEqual(len(r.json["runners"]), 45, "per_page is capped at 100")
        self.assertEqual(len(self.gh("GET", "/orgs/ghr-org/actions/runners").json["runners"]), 30, "default 30")
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners?name=ghr-seed-runner-00003").json["total_count"], 1)

        # ETag + If-None-Match -> 304, not counted
        r1 = self.gh("GET", "/orgs/ghr-org/actions/runners?per_page=100")
        etag = r1.h("ETag")
        used = int(r1.h("x-ratelimit-used"))
        r2 = self.gh("GET", "/orgs/ghr-org/actions/runners?per_page=100", **{"If-None-Match": etag})
        self.assertEqual((r2.status, r2.body), (304, b""))
        self.assertEqual(int(r2.h("x-ratelimit-used")), used)
        self.assertEqual(r2.h("ETag"), etag)
        r3 = self.gh("GET", "/orgs/ghr-org/actions/runners?per_page=100")
        self.assertEqual(int(r3.h("x-ratelimit-used")), used + 1)
        self.assertEqual(int(r3.h("x-ratelimit-remaining")), 5000 - used - 1)
        self.assertEqual(r3.h("x-ratelimit-resource"), "core")
        # the list changes -> the etag changes
        self.jit("new-one")
        r4 = self.gh("GET", "/orgs/ghr-org/actions/runners?per_page=100", **{"If-None-Match": etag})
        self.assertEqual(r4.status, 200)

    def test_budget_exhaustion(self):
        self.cj("POST", "/knobs", {"rate_limit_core": 5})
        for i in range(5):
            r = self.gh("GET", "/orgs/ghr-org/actions/runners")
            self.assertEqual(r.status, 200)
            self.assertEqual(int(r.h("x-ratelimit-remaining")), 4 - i)
        r = self.gh("GET", "/orgs/ghr-org/actions/runners")
        self.assertEqual(r.status, 403)
        self.assertEqual(r.h("x-ratelimit-remaining"), "0")
        self.assertIn("rate limit", r.json["message"])
        self.assertGreater(int(r.h("x-ratelimit-reset")), 0)
        # /rate_limit itself is free and still answers
        rl = self.gh("GET", "/rate_limit")
        self.assertEqual((rl.status, rl.json["resources"]["core"]["remaining"]), (200, 0))
        self.cj("POST", "/knobs", {"rate_limit_status": 429})
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners").status, 429)
        # registration has its own budget
        self.assertEqual(self.gh("POST", "/orgs/ghr-org/actions/runners/generate-jitconfig",
                                 {"name": "x", "runner_group_id": 1, "labels": ["a"]}).status, 201)
        self.assertEqual(self.counters()["rate_limit"]["refused"], 2)

    def test_window_refill(self):
        self.cj("POST", "/knobs", {"rate_limit_core": 1, "rate_limit_window_ms": 1})
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners").status, 200)
        T.wait_for(lambda: self.gh("GET", "/orgs/ghr-org/actions/runners").status == 200, timeout=5)

    def test_set_remaining_via_control(self):
        self.cj("POST", "/ratelimit", {"remaining": 1})
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners").status, 200)
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners").status, 403)

    def test_get_delete_busy(self):
        rid = self.jit("del-me")["runner"]["id"]
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners/%d" % rid).json["name"], "del-me")
        self.assertEqual(self.gh("DELETE", "/orgs/ghr-org/actions/runners/%d" % rid).status, 204)
        self.assertEqual(self.gh("DELETE", "/orgs/ghr-org/actions/runners/%d" % rid).status, 404)
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners/%d" % rid).status, 404)
        self.assertEqual(self.gh("GET", "/repos/ghr-org/ghr-repo/actions/runners/%d" % rid).status, 404)
        busy = self.cj("POST", "/seed", {"runners": [{"name": "busy-1", "status": "online", "busy": True}]})
        self.assertEqual(busy["runners"], 1)
        rid = [r for r in self.cj("GET", "/runners")["runners"] if r["name"] == "busy-1"][0]["id"]
        r = self.gh("DELETE", "/orgs/ghr-org/actions/runners/%d" % rid)
        self.assertEqual(r.status, 422)
        self.assertIn("still running a job", r.json["message"])

    def test_downloads_groups_jobs(self):
        d = self.gh("GET", "/orgs/ghr-org/actions/runners/downloads").json
        linux = [x for x in d if x["os"] == "linux" and x["architecture"] == "x64"][0]
        self.assertIn("2.330.0", linux["filename"])
        g = self.gh("GET", "/orgs/ghr-org/actions/runner-groups?per_page=1")
        self.assertEqual(g.json["runner_groups"][0]["name"], "Default")
        self.assertEqual(self.gh("GET", "/repos/ghr-org/ghr-repo/actions/runner-groups").status, 404)
        jid = self.cj("POST", "/jobs", {"labels": ["self-hosted", "nomatch"]})["jobs"][0]
        self.assertGreater(jid, 2 ** 32, "job ids do not fit 32 bits")
        j = self.gh("GET", "/repos/ghr-org/ghr-repo/actions/jobs/%d" % jid).json
        self.assertEqual((j["status"], j["runner_name"], j["labels"]), ("queued", None, ["self-hosted", "nomatch"]))
        self.assertEqual(self.gh("GET", "/repos/ghr-org/other/actions/jobs/%d" % jid).status, 404)
        self.cj("DELETE", "/jobs/%d" % jid)
        self.assertEqual(self.gh("GET", "/repos/ghr-org/ghr-repo/actions/jobs/%d" % jid).status, 404)


if __name__ == "__main__":
    unittest.main()
