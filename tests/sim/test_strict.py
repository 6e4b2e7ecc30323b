"""Places where the real services are strict (or behave surprisingly) and the simulator
must be too: content types, Nova's name filter on MySQL, metadata keys, imageRef,
snapshots in progress, JIT bodies, GitHub's secondary limit, server-closed keep-alive."""
import http.client
import json
import socket
import time
from urllib.parse import urlsplit

import simtest as T

GOOD = {"name": "ct", "imageRef": "5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f",
        "flavorRef": "0cacf076-e4c3-4dc9-adcd-29f859adb802", "networks": "none"}


class ContentTypes(T.SimTestCase):
    def test_keystone(self):
        body = json.dumps(T.password_auth())
        for ct, want in (("application/json", 201), ("application/json; charset=UTF-8", 201), (None, 201),
                         ("text/plain", 400), ("application/x-www-form-urlencoded", 400)):
            r = self.call("POST", "/identity/v3/auth/tokens", body, {"Content-Type": ct})
            self.assertEqual(r.status, want, (ct, r))
            if want == 400:
                self.assertIn("Expecting to find application/json in Content-Type header", r.json["error"]["message"])

    def test_nova(self):
        body = json.dumps({"server": GOOD})
        for ct, want in (("application/json", 202), ("application/vnd.openstack.compute+json", 202),
                         ("application/json;charset=utf-8", 202), (None, 202),
                         ("application/x-www-form-urlencoded", 415), ("application/xml", 415)):
            r = self.nova("POST", "/servers", body, {"Content-Type": ct})
            self.assertEqual(r.status, want, (ct, r))
            if want == 415:
                self.assertEqual(r.json, {"badMediaType": {"code": 415, "message":
                                                           "Unrecognized Content-Type provided in request"}})
        # Nova checks the header whatever the method: curl's default POST type on a GET too
        self.assertEqual(self.nova("GET", "/servers", headers={"Content-Type": "application/x-www-form-urlencoded"}).status, 415)

    def test_github_accepts_json_whatever_the_type(self):
        # GitHub parses the body as JSON whatever Content-Type says (its docs' curl examples
        # send -d '{...}', i.e. application/x-www-form-urlencoded): no 415 there.
        body = json.dumps({"name": "ct-1", "runner_group_id": 1, "labels": ["self-hosted"]})
        r = self.call("POST", "/github/orgs/ghr-org/actions/runners/generate-jitconfig", body,
                      T.gh_headers(**{"Content-Type": "application/x-www-form-urlencoded"}))
        self.assertEqual(r.status, 201, r)


class NovaStrict(T.SimTestCase):
    def names(self, q, **hdr):
        r = self.nova("GET", "/servers?name=" + q, headers=hdr or None)
        self.assertEqual(r.status, 200, r)
        return sorted(s["name"] for s in r.json["servers"])

    def test_name_filter_like_mysql(self):
        self.cj("POST", "/seed", {"servers": [{"name": "ghr-up-1"}, {"name": "GHR-UP-2"}, {"name": "a|b"},
                                              {"name": "a"}, {"name": "b"}]})
        self.assertEqual(T.config.KNOBS["nova_db"][0], "mysql")
        self.assertEqual(self.names("%5Eghr-up-"), ["GHR-UP-2", "ghr-up-1"], "MySQL REGEXP is case-insensitive")
        self.assertEqual(self.names("%5Ea%7Cb%24"), ["a|b"], "every | is escaped: no alternation")
        self.assertEqual(self.names("%5Eghr-up-1%24%7C%5Eb%24"), [])
        r = self.nova("GET", "/servers?name=%5Bunclosed")
        self.assertEqual(r.status, 500, "a regex the database cannot compile")
        self.assertIn("computeFault", r.json)
        self.cj("POST", "/knobs", {"nova_db": "sqlite"})
        self.assertEqual(self.names("%5Eghr-up-"), ["ghr-up-1"], "SQLite: Python re.search, case-sensitive")
        self.assertEqual(self.names("%5Ea%7Cb%24"), ["a|b"])
        self.assertEqual(self.control("POST", "/knobs", {"nova_db": "postgres"}).status, 400)

    def test_status_filter_and_deleted_marker(self):
        self.cj("POST", "/seed", {"servers": {"count": 4, "name_prefix": "m-"}})
        self.assertEqual(self.nova("GET", "/servers?status=bogus").status, 400, "2.38+: invalid status -> 400")
        r = self.nova("GET", "/servers?status=bogus", headers={"OpenStack-API-Version": "compute 2.37"})
        self.assertEqual((r.status, r.json["servers"]), (200, []))
        page = self.nova("GET", "/servers?limit=2").json["servers"]
        self.cj("POST", "/knobs", {"delete_ms": 0})
        self.assertEqual(self.nova("DELETE", "/servers/" + page[-1]["id"]).status, 204)
        r = self.nova("GET", "/servers?limit=2&marker=" + page[-1]["id"])
        self.assertEqual(r.status, 200, "Nova finds a deleted marker (read_deleted=yes)")
        self.assertEqual([s["name"] for s in r.json["servers"]], ["m-00001", "m-00000"])

    def test_metadata_keys_and_image_ref(self):
        for md in ({"a/b": "x"}, {"": "x"}, {"é": "x"}, {"k" * 256: "x"}):
            r = self.nova("POST", "/servers", {"server": dict(GOOD, metadata=md)})
            self.assertEqual(r.status, 400, md)
        r = self.nova("POST", "/servers", {"server": dict(GOOD, metadata={"ghr-manager": "a", "x_y:z. w": "v"})})
        self.assertEqual(r.status, 202, r)
        for ref in ("ghr-runner-image", "http://x/images/5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f", 5):
            r = self.nova("POST", "/servers", {"server": dict(GOOD, imageRef=ref)})
            self.assertEqual(r.status, 400, ref)
            self.assertIn("imageRef", r.json["badRequest"]["message"])
        r = self.nova("POST", "/servers", {"server": dict(GOOD, imageRef="")})
        self.assertEqual(r.status, 400, "'' passes the schema, then wants a volume")
        self.assertIn("Block Device Mapping", r.json["badRequest"]["message"])

    def test_snapshot_in_progress_and_snapshot_error(self):
        sid = self.create_server("snap").json["server"]["id"]
        T.wait_for(lambda: self.server_status(sid) == "ACTIVE")
        act = "/servers/%s/action" % sid
        r = self.nova("POST", act, {"createImage": {"name": "one"}})
        self.assertEqual(r.status, 202, r)
        iid = r.json["image_id"]
        self.assertEqual(self.nova("GET", "/servers/" + sid).json["server"]["OS-EXT-STS:task_state"], "image_snapshot")
        r = self.nova("POST", act, {"createImage": {"name": "two"}})
        self.assertEqual(r.status, 409, r)
        self.assertIn("task_state image_", r.json["conflictingRequest"]["message"])
        T.wait_for(lambda: self.glance("GET", "/v2/images/" + iid).json["status"] == "active")
        self.assertIsNone(self.nova("GET", "/servers/" + sid).json["server"]["OS-EXT-STS:task_state"])
        self.cj("POST", "/faults", {"kind": "snapshot_error", "service": "nova", "path": "/action$", "count": 1})
        r = self.nova("POST", act, {"createImage": {"name": "three"}})
        self.assertEqual(r.status, 202, r)
        T.wait_for(lambda: self.glance("GET", "/v2/images/" + r.json["image_id"]).json["status"] == "killed")
        self.assertIsNone(self.nova("GET", "/servers/" + sid).json["server"]["OS-EXT-STS:task_state"])
        self.assertEqual(self.nova("POST", act, {"createImage": {"name": "four"}}).status, 202)


class GitHubStrict(T.SimTestCase):
    def test_jit_blank_name_or_label(self):
        path = "/orgs/ghr-org/actions/runners/generate-jitconfig"
        for body in ({"name": "", "runner_group_id": 1, "labels": ["x"]},
                     {"name": "  ", "runner_group_id": 1, "labels": ["x"]},
                     {"name": "n", "runner_group_id": 1, "labels": ["x", ""]}):
            r = self.gh("POST", path, body)
            self.assertEqual(r.status, 422, (body, r))
            self.assertTrue(r.json["message"].startswith("Invalid request."))

    def test_jit_config_is_as_large_as_a_real_one(self):
        n = len(self.jit("big-1")["encoded_jit_config"])
        self.assertTrue(6000 <= n <= 7500, n)

    def test_secondary_write_limit(self):
        self.cj("POST", "/knobs", {"secondary_write_per_min": 3})
        path = "/orgs/ghr-org/actions/runners/generate-jitconfig"
        for i in range(3):
            self.assertEqual(self.gh("POST", path, {"name": "w%d" % i, "runner_group_id": 1, "labels": ["a"]}).status, 201)
        r = self.gh("POST", path, {"name": "w9", "runner_group_id": 1, "labels": ["a"]})
        self.assertEqual(r.status, 403, r)
        self.assertIn("secondary rate limit", r.json["message"])
        self.assertIsNone(r.h("retry-after"), "GitHub often sends none: wait at least a minute")
        self.assertNotEqual(r.h("x-ratelimit-remaining"), "0", "not the primary limit")
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners").status, 200, "reads are not limited")
        self.assertEqual(self.counters()["events"]["github_secondary_limited"], 1)

    def test_secondary_fault_without_retry_after(self):
        self.cj("POST", "/faults", {"kind": "secondary_rate_limit", "service": "github", "count": 2,
                                    "params": {"retry_after": None}})
        r = self.gh("GET", "/orgs/ghr-org/actions/runners")
        self.assertEqual(r.status, 403)
        self.assertIsNone(r.h("retry-after"))
        self.cj("DELETE", "/faults")
        self.cj("POST", "/faults", {"kind": "secondary_rate_limit", "service": "github", "count": 1})
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners").h("retry-after"), "60")

    def test_weak_etag_comparison(self):
        r = self.gh("GET", "/orgs/ghr-org/actions/runners")
        etag = r.h("etag")
        self.assertTrue(etag.startswith('W/"'))
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners", **{"If-None-Match": etag}).status, 304)
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners", **{"If-None-Match": etag[2:]}).status, 304)
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners",
                                 **{"If-None-Match": '"other", ' + etag[2:]}).status, 304)


class KeepAlive(T.SimTestCase):
    def conn(self):
        u = urlsplit(self.api)
        return http.client.HTTPConnection(u.hostname, u.port, timeout=5)

    def test_max_requests_per_conn(self):
        self.assertEqual(T.config.KNOBS["max_requests_per_conn"][0], 100)
        self.cj("POST", "/knobs", {"max_requests_per_conn": 3})
        c = self.conn()
        socks = []
        for i in range(3):
            c.request("GET", "/compute/v2.1/")
            r = c.getresponse()
            r.read()
            socks.append(c.sock)
            self.assertEqual(r.getheader("Connection"), "close" if i == 2 else None)
        self.assertIsNone(c.sock, "the server closed it after the 3rd request")
        c.close()

    def test_idle_connection_closed(self):
        self.assertEqual(T.config.KNOBS["keepalive_idle_ms"][0], 5000)
        self.cj("POST", "/knobs", {"keepalive_idle_ms": 100})
        u = urlsplit(self.api)
        s = socket.create_connection((u.hostname, u.port), timeout=5)
        s.sendall(b"GET /compute/v2.1/ HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        time.sleep(0.3)
        s.settimeout(2)
        rest = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        s.close()
        self.assertIn(b"200 OK", data)       # then EOF: the server hung up on the idle connection


class Tokens(T.SimTestCase):
    def test_keystone_token_length(self):
        tok = self.token()
        self.assertTrue(220 <= len(tok) <= 260, len(tok))
