"""Every fault kind does what it claims, and matching (service, method, path, count, rate) works."""
import http.client
import json
import threading
import time
import unittest

import simtest as T


class Faults(T.SimTestCase):
    def fault(self, **spec):
        return self.cj("POST", "/faults", spec)["faults"][0]

    def test_error_per_service(self):
        self.fault(kind="error", service="nova", count=1)
        r = self.nova("GET", "/servers/detail")
        self.assertEqual(r.status, 500)
        self.assertIn("computeFault", r.json)
        self.assertEqual(self.nova("GET", "/servers/detail").status, 200, "count=1: only once")
        self.fault(kind="error", service="github", params={"status": 502}, count=1)
        r = self.gh("GET", "/orgs/ghr-org/actions/runners")
        self.assertEqual(r.status, 502)
        self.assertIn("x-ratelimit-remaining", r.headers)
        self.fault(kind="error", service="glance", count=1)
        self.assertEqual(self.glance("GET", "/v2/images").status, 500)
        self.fault(kind="error", service="neutron", count=1)
        r = self.call("GET", "/network/v2.0/networks", headers={"X-Auth-Token": self.token()})
        self.assertEqual((r.status, list(r.json)), (500, ["NeutronError"]))

    def test_keystone_down(self):
        self.token()
        self.fault(kind="down", service="keystone")
        r = self.call("POST", "/identity/v3/auth/tokens", T.password_auth())
        self.assertEqual(r.status, 503)
        self.assertEqual(self.nova("GET", "/servers/detail").status, 200, "other services still work")
        self.cj("DELETE", "/faults")
        self.assertEqual(self.call("POST", "/identity/v3/auth/tokens", T.password_auth()).status, 201)

    def test_method_and_path_matching(self):
        self.fault(kind="error", service="openstack", method="POST", path=r"/servers$", params={"status": 503})
        self.assertEqual(self.nova("GET", "/servers/detail").status, 200)
        self.assertEqual(self.create_server("x").status, 503)
        self.assertEqual(self.create_server("x").status, 503, "no count: until cleared")
        fid = self.cj("GET", "/faults")["faults"][0]["id"]
        self.cj("DELETE", "/faults/%d" % fid)
        self.assertEqual(self.create_server("x").status, 202)

    def test_rate(self):
        self.fault(kind="error", service="github", path="rate_limit", rate=0.5)
        n = sum(self.gh("GET", "/rate_limit").status == 500 for _ in range(200))
        self.assertTrue(40 < n < 160, n)
        self.cj("DELETE", "/faults")
        self.fault(kind="error", service="github", rate=0.0)
        self.assertTrue(all(self.gh("GET", "/rate_limit").status == 200 for _ in range(20)))

    def test_latency_rule(self):
        self.fault(kind="latency", service="github", params={"ms": 200}, count=1)
        t = time.monotonic()
        self.assertEqual(self.gh("GET", "/rate_limit").status, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.19)

    def test_global_latency_does_not_serialize(self):
        self.cj("POST", "/knobs", {"latency_ms": 400})
        out = []

        def one():
            out.append(self.gh("GET", "/rate_limit").status)
        t = time.monotonic()
        ths = [threading.Thread(target=one) for _ in range(8)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        el = time.monotonic() - t
        self.assertEqual(out, [200] * 8)
        self.assertGreaterEqual(el, 0.39)
        self.assertLess(el, 2.0, "8 requests x 400 ms overlapped (serialized would be 3.2 s)")
        self.cj("POST", "/knobs", {"latency_ms": 1500})
        t = time.monotonic()
        self.control("GET", "/health")
        self.assertLess(time.monotonic() - t, 1.0, "the control API has no latency")

    def test_hang_until_client_gives_up(self):
        self.fault(kind="hang", service="nova", count=1)
        with self.assertRaises((TimeoutError, OSError)):
            self.nova_raw_timeout("/servers/detail", 0.3)
        self.assertEqual(self.nova("GET", "/servers/detail").status, 200)

    def test_hang_released_by_clear(self):
        self.fault(kind="hang", service="github")
        res = []

        def call():
            try:
                res.append(self.gh("GET", "/rate_limit"))
            except (ConnectionError, http.client.HTTPException) as e:
                res.append(e)     # a released hang ends with a reset, never an answer
        th = threading.Thread(target=call)
        th.start()
        T.wait_for(lambda: self.counters()["faults_injected"].get("hang") == 1)
        self.cj("DELETE", "/faults")
        th.join(5)
        self.assertFalse(th.is_alive())
        self.assertIsInstance(res[0], Exception)

    def nova_raw_timeout(self, path, timeout):
        c = http.client.HTTPConnection("127.0.0.1", self.sim.api_srv.server_address[1], timeout=timeout)
        try:
            c.request("GET", "/compute/v2.1" + path, headers=dict(T.NOVA, **{"X-Auth-Token": self.token()}))
            return c.getresponse().read()
        finally:
            c.close()

    def test_reset(self):
        self.token()
        self.fault(kind="reset", service="nova", count=1)
        with self.assertRaises((ConnectionError, http.client.RemoteDisconnected)):
            self.nova("GET", "/servers/detail")
        self.assertEqual(self.nova("GET", "/servers/detail").status, 200)

    def test_invalid_json(self):
        self.fault(kind="invalid_json", service="github", count=1)
        r = self.gh("GET", "/orgs/ghr-org/actions/runners")
        self.assertEqual(r.status, 200)
        with self.assertRaises(ValueError):
            json.loads(r.body)

    def test_github_rate_limits(self):
        self.fault(kind="rate_limit", service="github", count=1)
        r = self.gh("GET", "/orgs/ghr-org/actions/runners")
        self.assertEqual((r.status, r.h("x-ratelimit-remaining")), (403, "0"))
        self.fault(kind="rate_limit", service="github", count=1, params={"status": 429})
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners").status, 429)
        self.fault(kind="secondary_rate_limit", service="github", count=1, params={"retry_after": 7, "status": 429})
        r = self.gh("GET", "/orgs/ghr-org/actions/runners")
        self.assertEqual((r.status, r.h("retry-after")), (429, "7"))
        self.assertIn("secondary rate limit", r.json["message"])
        self.assertNotEqual(r.h("x-ratelimit-remaining"), "0")
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners").status, 200)

    def test_lost_reply_server_exists(self):
        self.token()
        self.fault(kind="lost_reply", service="nova", method="POST", path="/servers$", count=1)
        with self.assertRaises((ConnectionError, http.client.RemoteDisconnected)):
            self.create_server("ghr-lost-1")
        r = self.nova("GET", "/servers/detail?name=%5Eghr-lost-1%24")
        self.assertEqual(len(r.json["servers"]), 1, "the action happened")
        self.fault(kind="lost_reply", service="github", path="generate-jitconfig", count=1,
                   params={"then": "error", "status": 502})
        r = self.gh("POST", "/orgs/ghr-org/actions/runners/generate-jitconfig",
                    {"name": "lost-r", "runner_group_id": 1, "labels": ["a"]})
        self.assertEqual(r.status, 502)
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners?name=lost-r").json["total_count"], 1)
        self.assertEqual(self.counters()["events"]["lost_replies"], 2)

    def test_lost_reply_delay_hides_the_server_for_a_while(self):
        self.token()
        self.fault(kind="lost_reply", service="nova", method="POST", path="/servers$", count=1,
                   params={"then": "error", "status": 500, "delay_ms": 400})
        t0 = time.monotonic()
        self.assertEqual(self.create_server("ghr-late-1").status, 500)
        listed = lambda: self.nova("GET", "/servers/detail?name=%5Eghr-late-1%24").json["servers"]
        self.assertEqual(listed(), [], "not shown yet")
        [s] = [x for x in self.cj("GET", "/state")["servers"] if x["name"] == "ghr-late-1"]
        self.assertEqual(self.nova("GET", "/servers/" + s["id"]).status, 404)
        T.wait_for(listed, timeout=5, what="the delayed server shows")
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)
        self.assertEqual(self.nova("GET", "/servers/" + s["id"]).status, 200)

    def test_vm_error_stuck_and_no_runner(self):
        self.fault(kind="vm_error", service="nova", count=1, params={"code": 500, "message": "boom"})
        e = self.create_server("err").json["server"]["id"]
        self.fault(kind="stuck_build", service="nova", count=1)
        s = self.create_server("stuck").json["server"]["id"]
        jit = self.jit("mute", ["self-hosted"])
        self.fault(kind="runner_no_start", service="nova", count=1)
        m = self.create_server("mute", T.user_data_for(jit["encoded_jit_config"])).json["server"]["id"]
        jit2 = self.jit("loud", ["self-hosted"])
        ok = self.create_server("loud", T.user_data_for(jit2["encoded_jit_config"])).json["server"]["id"]
        T.wait_for(lambda: self.server_status(e) == "ERROR")
        f = self.nova("GET", "/servers/" + e).json["server"]["fault"]
        self.assertEqual((f["code"], f["message"]), (500, "boom"))
        self.assertIn("created", f)
        # "loud" was created last: once its runner is online, the others had their chance
        T.wait_for(lambda: self.gh("GET", "/orgs/ghr-org/actions/runners?name=loud").json["runners"][0]["status"] == "online")
        self.assertEqual(self.server_status(s), "BUILD")
        self.assertEqual(self.server_status(m), "ACTIVE")
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners?name=mute").json["runners"][0]["status"], "offline")
        self.assertEqual(self.server_status(ok), "ACTIVE")

    def test_quota_fault(self):
        self.fault(kind="quota", service="nova", count=1, params={"resource": "cores", "status": 413})
        r = self.create_server("q")
        self.assertEqual(r.status, 413)
        self.assertIn("Quota exceeded for cores", r.json["overLimit"]["message"])
        self.assertEqual(self.create_server("q").status, 202)

    def test_control_refuses_bad_specs(self):
        for spec in ({"kind": "explode"}, {"kind": "error", "service": "mars"}, {"kind": "error", "rate": 2},
                     {"kind": "error", "count": 0}, {"kind": "error", "path": "("}):
            self.assertEqual(self.control("POST", "/faults", spec).status, 400, spec)
        self.assertEqual(self.control("POST", "/knobs", {"nope": 1}).status, 400)
        self.assertEqual(self.control("POST", "/knobs", {"boot_ms": "fast"}).status, 400)


if __name__ == "__main__":
    unittest.main()
