"""The openstack worker against the simulator, driven through build/tests/wtest (one
worker process, bootstrap on fd 3, requests over the real bus).

Covers: both auth types, token renewal before expiry and re-authentication on 401,
catalog region/interface choice, pagination, name filtering, faults (5xx, reset,
hang, invalid JSON), the create whose reply is lost (exactly one VM in the end),
quota exhaustion, ERROR servers with their fault, microversion negotiation, images,
and that neither the password nor a token ever reaches a log line.
"""
import os
import time
import unittest

from harness import LIBEXEC, WTEST, Sim, WorkerDriver

WORKER = os.path.join(LIBEXEC, "openstack")

PASSWORD = "ghr-secret"                 # the simulator's default user
APPCRED_ID = "ghrappcred0000000000000000000001"
APPCRED_SECRET = "ghr-appcred-secret"
FLAVOR, IMAGE, NETWORK = "small", "ubuntu-22.04", "ghr-net"
USER_DATA = "IyEvYmluL3NoCmVjaG8gaGkK"
MANAGER = "itest"


def wait_until(pred, timeout=10.0, interval=0.05):
    """Poll pred() until it is truthy (returned) or timeout (AssertionError)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("condition not met within %.1fs" % timeout)
        time.sleep(interval)


def password_secret(sim, **over):
    auth = {"auth_url": sim.api + "/identity/v3", "username": "ghr", "password": PASSWORD,
            "project_name": "ghr", "user_domain_name": "Default", "project_domain_name": "Default"}
    auth.update(over.pop("auth", {}))
    s = {"auth_type": "password", "auth": auth, "interface": "public", "verify": True}
    s.update(over)
    return s


def appcred_secret(sim, **auth):
    a = {"auth_url": sim.api + "/identity", "application_credential_secret": APPCRED_SECRET}
    a.update(auth)
    return {"auth_type": "v3applicationcredential", "auth": a, "interface": "public", "verify": True}


def openstack_slice(config=None):
    cfg = {"cloud": "sim", "microversion_cap": "2.91", "concurrency": 32, "timeout": 10000,
           "connect_timeout": 2000}
    cfg.update(config or {})
    return {"openstack": cfg, "manager_id": MANAGER}


def openstack_worker(secret, config=None, **kw):
    """A WorkerDriver for the openstack worker: openstack_slice(config), 15 s a request."""
    kw.setdefault("request_timeout_ms", 15000)
    return WorkerDriver("openstack", openstack_slice(config), secret, **kw)


def create_body(name, **over):
    b = {"name": name, "flavor": FLAVOR, "image": IMAGE, "network": NETWORK, "user_data": USER_DATA,
         "metadata": {"ghr-manager": MANAGER, "ghr-pool": "p"}}
    b.update(over)
    return b


@unittest.skipUnless(os.path.exists(WTEST) and os.path.exists(WORKER),
                     "needs %s and %s (make all build/tests/wtest)" % (WTEST, WORKER))
class OpenstackWorkerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim()

    @classmethod
    def tearDownClass(cls):
        cls.sim.close()

    def setUp(self):
        self.sim.ctl("POST", "/reset")
        self.workers = []

    def tearDown(self):
        for w in self.workers:
            w.close()
            log = w.log()
            w.cleanup()
            # under `make check-asan` a memory error or leak fails the test that caused it
            self.assertNotIn("Sanitizer", log)
            self.assertNotIn("runtime error:", log)

    def worker(self, secret=None, **kw):
        w = openstack_worker(secret or password_secret(self.sim), **kw)
        self.workers.append(w)
        return w

    def ok(self, reply):
        self.assertTrue(reply["ok"], reply)
        return reply["body"]

    def err(self, reply, code):
        self.assertFalse(reply["ok"], reply)
        self.assertEqual(reply["error"]["code"], code, reply)
        return reply["error"]["message"]

    # ---- authentication -------------------------------------------------------------

    def test_password_auth_list_keeps_only_this_managers_servers(self):
        self.sim.ctl("POST", "/seed", {"servers": [
            {"name": "itest-p-1", "metadata": {"ghr-manager": MANAGER}},
            {"name": "itest-p-2", "metadata": {"ghr-manager": MANAGER}},
            {"name": "itest-p-3", "metadata": {"ghr-manager": "other"}},
            {"name": "xitest-p-4", "metadata": {"ghr-manager": MANAGER}},
            {"name": "other-5", "metadata": {"ghr-manager": MANAGER}}]})
        w = self.worker()
        servers = self.ok(w.request("os.servers.list", {"prefix": "itest-"}))["servers"]
        self.assertEqual(sorted(s["name"] for s in servers), ["itest-p-1", "itest-p-2"])
        for s in servers:
            self.assertEqual(set(s), {"id", "name", "status", "created", "metadata", "addresses", "fault",
                                      "image_id", "flavor", "task_state"})
        self.assertEqual(self.sim.counters()["events"].get("keystone_tokens_issued"), 1)

    def test_appcred_auth_by_id_and_by_name(self):
        w = self.worker(appcred_secret(self.sim, application_credential_id=APPCRED_ID))
        self.ok(w.request("os.flavors.list"))
        w2 = self.worker(appcred_secret(self.sim, application_credential_name="ghr-appcred",
                                        user_id="2e86def96324488488394a411b22a6e7"))
        self.ok(w2.request("os.flavors.list"))

    def test_wrong_password_is_unauthorized_and_never_logged(self):
        w = self.worker(password_secret(self.sim, auth={"password": "wrong-password-123"}), log_level="debug")
        msg = self.err(w.request("os.servers.list", {"prefix": "itest-"}), "unauthorized")
        self.assertIn("keystone", msg)
        w.close()
        self.assertNotIn("wrong-password-123", w.log())

    def test_token_renewed_before_expiry_without_401(self):
        self.sim.ctl("POST", "/knobs", {"keystone_token_lifetime_ms": 1500, "latency_ms": 300})
        w = self.worker()
        for _ in range(6):   # about 2 s of calls: past the renewal point, twice
            self.ok(w.request("os.quota"))
        ev = self.sim.counters()["events"]
        self.assertGreaterEqual(ev.get("keystone_tokens_issued", 0), 2)
        self.assertEqual(ev.get("keystone_token_refused", 0), 0)

    def test_401_reauthenticates_and_retries_once(self):
        w = self.worker()
        self.ok(w.request("os.quota"))
        self.sim.ctl("POST", "/tokens/expire", {"github": False})
        self.ok(w.request("os.quota"))
        ev = self.sim.counters()["events"]
        self.assertEqual(ev.get("keystone_tokens_issued"), 2)
        self.assertEqual(ev.get("keystone_token_refused"), 1)

    def test_keystone_down_is_unavailable_then_recovers(self):
        self.sim.ctl("POST", "/faults", {"kind": "down", "service": "keystone", "count": 1})
        w = self.worker()
        # the first authentication (at start) meets the fault; calls made during the pause
        # before the next attempt fail at once, saying why; then one succeeds
        wait_until(lambda: self.sim.counters()["faults_injected"].get("down"))
        first = w.request("os.flavors.list")
        if not first["ok"]:
            self.assertEqual(first["error"]["code"], "unavailable", first)
            wait_until(lambda: w.request("os.flavors.list")["ok"], 10, 0.2)

    def keystone_requests(self):
        return self.sim.counters()["requests_by_service"].get("keystone", 0)

    def test_wrong_credentials_back_off(self):
        w = self.worker(password_secret(self.sim, auth={"password": "wrong-password-456"}))
        for _ in range(10):
            self.err(w.request("os.flavors.list"), "unauthorized")
        # one attempt, not ten: the next waits a pause that doubles while failures go on
        self.assertLessEqual(self.keystone_requests(), 2)

    def test_401_while_keystone_is_down_keeps_an_unexpired_token(self):
        # Glance answers 401 when it cannot reach Keystone to check a token it has not
        # cached.  The token is good: Nova must keep working with it.
        w = self.worker()
        self.ok(w.request("os.quota"))
        self.ok(w.request("os.images.list", {"tag": "x"}))
        self.sim.ctl("POST", "/faults", {"kind": "down", "service": "keystone"})
        self.sim.ctl("POST", "/faults", {"kind": "error", "service": "glance", "params": {"status": 401}})
        before = self.keystone_requests()
        self.assertFalse(w.request("os.images.list", {"tag": "x"})["ok"])
        for _ in range(5):
            self.ok(w.request("os.quota"))
            w.request("os.images.list", {"tag": "x"})
        self.assertLessEqual(self.keystone_requests() - before, 2)
        self.assertEqual(self.sim.counters()["events"].get("keystone_tokens_issued"), 1)
        self.sim.ctl("DELETE", "/faults")
        self.ok(w.request("os.images.list", {"tag": "x"}))

    # ---- catalog and microversion ---------------------------------------------------

    def test_region_and_interface_choose_the_endpoint(self):
        w = self.worker(password_secret(self.sim, region_name="RegionTwo", interface="internal"), log_level="debug")
        sid = self.ok(w.request("os.server.create", create_body("itest-r2-1")))["id"]
        [s] = self.sim.servers("itest-r2-1")
        self.assertEqual((s["id"], s["region"]), (sid, "RegionTwo"))
        w.close()
        self.assertIn("/r2/int/compute", w.log())
        w3 = self.worker(password_secret(self.sim, region_name="Atlantis"))
        self.assertIn("no compute endpoint", self.err(w3.request("os.quota"), "internal"))

    def test_microversion_cap_and_server_maximum(self):
        w = self.worker(config={"microversion_cap": "2.60"})
        self.ok(w.request("os.quota"))
        w.close()
        self.assertIn("microversion=2.60", w.log())
        w = self.worker(config={"microversion_cap": "2.99"})
        self.ok(w.request("os.quota"))
        w.close()
        self.assertIn("microversion=2.93", w.log())   # the simulator's maximum
        w = self.worker(config={"microversion_cap": "2.30"})
        self.ok(w.request("os.server.create", create_body("itest-mv-1", network="auto")))   # no networks key
        w = self.worker(config={"microversion_cap": "2.0"})     # a config error: exit 78
        self.assertEqual(w.close(), 78)
        self.assertEqual(w.leftovers(), [], "wtest left its bus socket behind")
        self.assertIn("openstack.microversion_cap: must be a compute microversion from 2.1", w.log())

    # ---- servers --------------------------------------------------------------------

    def test_case_insensitive_name_filter_never_reaches_a_strangers_server(self):
        # Nova on MySQL matches the name filter case-insensitively (and escapes every '|'):
        # "^itest-" also returns ITEST-...  The worker must re-check the exact, case-sensitive
        # prefix and the ghr-manager metadata itself.
        self.sim.ctl("POST", "/seed", {"servers": [
            {"name": "itest-u-ours", "metadata": {"ghr-manager": MANAGER}},
            {"name": "ITEST-U-1", "metadata": {}},
            {"name": "ITEST-U-2", "metadata": {"ghr-manager": MANAGER}},
            {"name": "Itest-u-3"}]})
        ids = {s["name"]: s["id"] for s in self.sim.servers()}
        w = self.worker()
        servers = self.ok(w.request("os.servers.list", {"prefix": "itest-"}))["servers"]
        self.assertEqual([s["name"] for s in servers], ["itest-u-ours"])
        self.assertEqual(self.err(w.request("os.server.delete", {"id": ids["ITEST-U-1"]}), "forbidden").count("not this manager's"), 1)
        self.assertEqual(self.sim.requests("nova DELETE /servers/{id}"), 0)
        self.assertEqual(len(self.sim.servers()), 4)

    def test_create_get_delete_and_conflict(self):
        w = self.worker()
        sid = self.ok(w.request("os.server.create", create_body("itest-p-a")))["id"]
        srv = self.ok(w.request("os.server.get", {"id": sid}))["server"]
        self.assertEqual(srv["name"], "itest-p-a")
        self.assertEqual(srv["metadata"]["ghr-pool"], "p")
        self.assertIn(sid, self.err(w.request("os.server.create", create_body("itest-p-a")), "conflict"))
        self.ok(w.request("os.server.delete", {"id": sid}))
        wait_until(lambda: not self.sim.servers("itest-p-a"))
        self.ok(w.request("os.server.delete", {"id": sid}))           # gone already: success
        self.err(w.request("os.server.get", {"id": sid}), "not_found")
        self.err(w.request("os.server.get", {"id": "../../v3/auth"}), "not_found")
        # names are resolved once for several creates
        for i in range(3):
            self.ok(w.request("os.server.create", create_body("itest-p-c%d" % i)))
        self.assertEqual(self.sim.requests("nova GET /flavors"), 1)
        self.assertEqual(self.sim.requests("neutron GET /v2.0/networks"), 1)

    def test_pool_server_settings_reach_nova(self):
        # key_name, security_groups, availability_zone and a boot volume, as Nova takes them
        w = self.worker()
        body = create_body("itest-p-opts", key_name="ghr-debug", security_groups=["ghr-runners", "default"],
                           availability_zone="az-2", boot_volume_size=30)
        sid = self.ok(w.request("os.server.create", body))["id"]
        self.assertEqual(self.sim.counters()["events"].get("volumes_created"), 1)
        srv = self.ok(w.request("os.server.get", {"id": sid}))["server"]
        self.assertEqual(srv["name"], "itest-p-opts")
        self.ok(w.request("os.server.delete", {"id": sid}))
        wait_until(lambda: self.sim.counters()["events"].get("volumes_deleted") == 1)
        self.assertEqual(self.sim.counters()["events"].get("volumes_left_behind", 0), 0)
        # what Nova refuses comes back as a refusal naming it
        for over, words in (({"security_groups": ["nope"]}, "security_group"),
                            ({"key_name": "nope"}, "key_name"),
                            ({"availability_zone": "nope"}, "availability zone")):
            msg = self.err(w.request("os.server.create", create_body("itest-p-bad", **over)), "bad_request")
            self.assertIn(words, msg)
        self.err(w.request("os.server.create", create_body("itest-p-bad", boot_volume_size=-1)), "bad_request")

    def test_delete_touches_only_this_managers_servers(self):
        seeded = self.sim.ctl("POST", "/seed", {"servers": [
            {"name": "itest-d-ours", "metadata": {"ghr-manager": MANAGER}},
            {"name": "itest-d-theirs", "metadata": {"ghr-manager": "other"}},
            {"name": "itest-d-nobody", "metadata": {}}]})
        ids = {s["name"]: s["id"] for s in self.sim.servers()}
        w = self.worker()
        for name in ("itest-d-theirs", "itest-d-nobody"):
            msg = self.err(w.request("os.server.delete", {"id": ids[name]}), "forbidden")
            self.assertIn("not this manager's", msg)
        self.assertEqual(self.sim.requests("nova DELETE /servers/{id}"), 0)
        self.ok(w.request("os.server.delete", {"id": ids["itest-d-ours"]}))      # unseen: checked with a GET
        wait_until(lambda: not self.sim.servers("itest-d-ours"))
        self.ok(w.request("os.server.delete", {"id": ids["itest-d-ours"]}))      # gone: 404 on the GET is success
        self.assertEqual(sorted(s["name"] for s in self.sim.servers()), ["itest-d-nobody", "itest-d-theirs"])
        # a server seen in our listing is deleted without a GET
        sid = self.ok(w.request("os.server.create", create_body("itest-d-new")))["id"]
        self.ok(w.request("os.servers.list", {"prefix": "itest-"}))
        gets = self.sim.requests("nova GET /servers/{id}")
        self.ok(w.request("os.server.delete", {"id": sid}))
        self.assertEqual(self.sim.requests("nova GET /servers/{id}"), gets)

    def test_flavors_are_found_on_every_page(self):
        self.sim.ctl("POST", "/knobs", {"nova_max_limit": 1})
        w = self.worker()
        names = sorted(f["name"] for f in self.ok(w.request("os.flavors.list"))["flavors"])
        self.assertEqual(names, ["medium", "small"])
        self.ok(w.request("os.server.create", create_body("itest-fl-1", flavor="medium")))
        [s] = self.sim.servers("itest-fl-1")
        self.assertEqual(s["flavor"], "medium")

    def test_image_replaced_under_the_same_name_is_resolved_again(self):
        [old] = self.sim.ctl("POST", "/seed", {"images": [{"name": "itest-img"}]})["images"]
        w = self.worker()
        self.ok(w.request("os.server.create", create_body("itest-i-1", image="itest-img")))
        self.ok(w.request("os.image.delete", {"id": old}))
        [new] = self.sim.ctl("POST", "/seed", {"images": [{"name": "itest-img"}]})["images"]
        self.ok(w.request("os.server.create", create_body("itest-i-2", image="itest-img")))
        [s] = self.sim.servers("itest-i-2")
        self.assertEqual(s["image"], new)
        # one refused POST with the stale id, then one with the new id
        self.assertEqual(self.sim.counters()["requests"]["nova POST /servers"], {"202": 2, "400": 1})

    def test_create_refuses_bad_input(self):
        w = self.worker()
        self.err(w.request("os.server.create", create_body("itest-x", user_data="not base64!")), "bad_request")
        self.err(w.request("os.server.create", create_body("itest-x", flavor="no-such-flavor")), "bad_request")
        self.err(w.request("os.server.create", create_body("itest-x", metadata={"k": 1})), "bad_request")
        self.assertEqual(self.sim.servers(), [])

    def test_network_auto_and_none(self):
        w = self.worker()
        self.ok(w.request("os.server.create", create_body("itest-n-1", network="none")))
        self.ok(w.request("os.server.create", create_body("itest-n-2", network="auto")))
        self.assertEqual(len(self.sim.servers()), 2)

    def lost_reply(self, then, **params):
        self.sim.ctl("DELETE", "/faults")
        params.update({"then": then, "ms": 5000})
        self.sim.ctl("POST", "/faults", {"kind": "lost_reply", "service": "nova", "method": "POST",
                                         "path": "/servers$", "count": 1, "params": params})

    def test_lost_reply_create_makes_exactly_one_vm(self):
        for then in ("reset", "error", "hang"):
            with self.subTest(then=then):
                self.sim.ctl("POST", "/counters/reset")
                self.lost_reply(then)
                w = self.worker(config={"timeout": 1000})
                name = "itest-lost-" + then
                sid = self.ok(w.request("os.server.create", create_body(name), timeout_ms=20000))["id"]
                got = self.sim.servers(name)
                self.assertEqual([s["id"] for s in got], [sid])
                self.assertEqual(self.sim.counters()["events"].get("lost_replies"), 1)
                self.assertEqual(self.sim.requests("nova POST /servers"), 1)

    def test_lost_reply_server_that_shows_late_is_found_not_made_twice(self):
        # nova-api still inside the create: the server shows only after the first look-up
        for then in ("reset", "error", "hang"):
            with self.subTest(then=then):
                self.sim.ctl("POST", "/counters/reset")
                self.lost_reply(then, delay_ms=1800 if then == "hang" else 700)
                w = self.worker(config={"timeout": 1000})
                name = "itest-late-" + then
                sid = self.ok(w.request("os.server.create", create_body(name), timeout_ms=20000))["id"]
                self.assertEqual([s["id"] for s in self.sim.servers(name)], [sid])
                self.assertEqual(self.sim.requests("nova POST /servers"), 1)
                self.assertGreaterEqual(self.sim.requests("nova GET /servers/detail"), 3)  # check + 2 look-ups

    def test_lost_reply_server_that_shows_later_still_is_unknown_not_made_twice(self):
        for then in ("reset", "error", "hang"):
            with self.subTest(then=then):
                self.sim.ctl("POST", "/counters/reset")
                self.lost_reply(then, delay_ms=8000)
                w = self.worker(config={"timeout": 1000})
                name = "itest-later-" + then
                msg = self.err(w.request("os.server.create", create_body(name), timeout_ms=20000), "unavailable")
                self.assertIn("create outcome unknown", msg)
                self.assertEqual(self.sim.requests("nova POST /servers"), 1)
                self.assertEqual(len(self.sim.servers(name)), 1)      # made once, shown later
                # a create retried by the caller finds it once it shows: still one VM
                wait_until(lambda: self.ok(w.request("os.servers.list", {"prefix": name}))["servers"], timeout=15)
                self.err(w.request("os.server.create", create_body(name)), "conflict")
                self.assertEqual(len(self.sim.servers(name)), 1)

    def test_create_5xx_is_not_sent_again(self):
        # a 5xx may come after nova-api recorded the server: never POST again
        self.sim.ctl("POST", "/faults", {"kind": "error", "service": "nova", "method": "POST", "path": "/servers$",
                                         "count": 1, "params": {"status": 503}})
        w = self.worker()
        msg = self.err(w.request("os.server.create", create_body("itest-5xx")), "unavailable")
        self.assertIn("create outcome unknown", msg)
        self.assertEqual(self.sim.servers("itest-5xx"), [])
        self.assertEqual(self.sim.requests("nova POST /servers"), 1)
        self.assertEqual(self.sim.requests("nova GET /servers/detail"), 3)    # check + 2 look-ups

    def test_quota_exhaustion_is_unavailable_with_the_clouds_message(self):
        self.sim.ctl("POST", "/knobs", {"quota_instances": 2})
        w = self.worker()
        self.ok(w.request("os.server.create", create_body("itest-q-1")))
        self.ok(w.request("os.server.create", create_body("itest-q-2")))
        msg = self.err(w.request("os.server.create", create_body("itest-q-3")), "unavailable")
        self.assertIn("Quota exceeded", msg)
        self.assertEqual(self.ok(w.request("os.quota"))["instances"], 0)
        self.sim.ctl("POST", "/knobs", {"quota_instances": 10, "quota_status": 413})
        self.sim.ctl("POST", "/faults", {"kind": "quota", "service": "nova", "count": 1})
        self.err(w.request("os.server.create", create_body("itest-q-4")), "unavailable")

    def test_error_server_reports_its_fault(self):
        self.sim.ctl("POST", "/knobs", {"boot_ms": 50})
        self.sim.ctl("POST", "/faults", {"kind": "vm_error", "service": "nova", "count": 1,
                                         "params": {"message": "No valid host was found."}})
        w = self.worker()
        sid = self.ok(w.request("os.server.create", create_body("itest-err")))["id"]
        wait_until(lambda: [s for s in self.sim.servers("itest-err") if s["status"] == "ERROR"])
        [s] = self.ok(w.request("os.servers.list", {"prefix": "itest-"}))["servers"]
        self.assertEqual((s["id"], s["status"]), (sid, "ERROR"))
        self.assertEqual(s["fault"]["message"], "No valid host was found.")

    def test_pagination_follows_every_page(self):
        self.sim.ctl("POST", "/knobs", {"nova_max_limit": 7})
        self.sim.ctl("POST", "/seed", {"servers": {"count": 25, "name_prefix": "itest-pg-",
                                                   "metadata": {"ghr-manager": MANAGER}}})
        w = self.worker()
        servers = self.ok(w.request("os.servers.list", {"prefix": "itest-"}))["servers"]
        self.assertEqual(len({s["id"] for s in servers}), 25)
        self.assertEqual(self.sim.requests("nova GET /servers/detail"), 4)

    def test_large_fleet_comes_in_chunks_never_partial(self):
        self.sim.ctl("POST", "/seed", {"servers": {"count": 3500, "name_prefix": "itest-big-",
                                                   "metadata": {"ghr-manager": MANAGER, "ghr-pool": "p",
                                                                "ghr-created": "2026-11-23T00:00:00Z"}}})
        w = self.worker()
        msg = self.err(w.request("os.servers.list", {"prefix": "itest-"}), "unavailable")
        self.assertIn("chunked", msg)
        one_listing = self.sim.requests("nova GET /servers/detail")
        self.assertGreater(one_listing, 1)
        ids, parts, marker = [], 0, None
        while parts < 10:
            body = {"prefix": "itest-", "chunked": True}
            if marker:
                body["marker"] = marker
            r = self.ok(w.request("os.servers.list", body))
            parts += 1
            ids += [s["id"] for s in r["servers"]]
            marker = r.get("next")
            if not marker:
                break
        self.assertGreater(parts, 1)
        self.assertEqual(len(ids), 3500)
        self.assertEqual(len(set(ids)), 3500)
        # the parts after the first came from the snapshot: two cloud listings in all
        self.assertEqual(self.sim.requests("nova GET /servers/detail"), 2 * one_listing)
        self.err(w.request("os.servers.list", {"prefix": "itest-", "marker": "no-such-id"}), "conflict")

    def chunked(self, w, marker=None):
        body = {"prefix": "itest-", "chunked": True}
        if marker:
            body["marker"] = marker
        r = self.ok(w.request("os.servers.list", body))
        return [s["id"] for s in r["servers"]], r.get("next")

    def test_two_chunked_listings_at_once_never_mix(self):
        self.sim.ctl("POST", "/seed", {"servers": {"count": 3500, "name_prefix": "itest-two-",
                                                   "metadata": {"ghr-manager": MANAGER, "ghr-pool": "p",
                                                                "ghr-created": "2026-11-23T00:00:00Z"}}})
        w = self.worker()
        a_ids, a_next = self.chunked(w)
        self.assertTrue(a_next)
        # the oldest servers (the last part of a listing) go before a second listing starts
        oldest = [s["id"] for s in self.sim.servers() if s["name"].startswith("itest-two-")][:5]
        self.assertNotIn(oldest[0], a_ids)
        for sid in oldest:
            self.ok(w.request("os.server.delete", {"id": sid}))
        wait_until(lambda: not set(oldest) & {s["id"] for s in self.sim.servers()})
        b_ids, b_next = self.chunked(w)
        self.assertTrue(b_next)
        for _ in range(10):          # the two listings' parts interleaved
            if a_next:
                part, a_next = self.chunked(w, a_next)
                a_ids += part
            if b_next:
                part, b_next = self.chunked(w, b_next)
                b_ids += part
        self.assertFalse(a_next or b_next)
        self.assertEqual(len(set(a_ids)), 3500)       # A: its own snapshot, taken before the deletes
        self.assertEqual(len(a_ids), 3500)
        self.assertEqual(len(set(b_ids)), 3495)
        self.assertEqual(len(b_ids), 3495)
        self.assertFalse(set(oldest) & set(b_ids))

    def test_idempotent_calls_retry_transient_faults(self):
        w = self.worker()
        self.ok(w.request("os.quota"))
        for kind, params in (("error", {"status": 503}), ("reset", {}), ("error", {"status": 502})):
            self.sim.ctl("POST", "/faults", {"kind": kind, "service": "nova", "method": "GET",
                                             "path": "/servers/detail", "count": 2, "params": params})
            self.ok(w.request("os.servers.list", {"prefix": "itest-"}))
        self.sim.ctl("POST", "/faults", {"kind": "error", "service": "nova", "method": "GET",
                                         "path": "/servers/detail", "count": 3, "params": {"status": 500}})
        self.err(w.request("os.servers.list", {"prefix": "itest-"}), "unavailable")

    def test_hang_is_bounded_by_the_timeout(self):
        self.sim.ctl("POST", "/faults", {"kind": "hang", "service": "nova", "path": "/limits", "params": {"ms": 10000}})
        w = self.worker(config={"timeout": 500})
        self.ok(w.request("os.flavors.list"))
        t0 = time.monotonic()
        self.assertIn(w.request("os.quota", timeout_ms=5000)["error"]["code"], ("timeout", "unavailable"))
        self.assertLess(time.monotonic() - t0, 4.0)

    def test_garbage_from_the_cloud_is_an_error_reply_not_a_crash(self):
        w = self.worker()
        for path in ("/servers/detail", "/flavors/detail", "/limits"):
            self.sim.ctl("POST", "/faults", {"kind": "invalid_json", "service": "nova", "path": path, "count": 1})
        for method, body in (("os.servers.list", {"prefix": "itest-"}), ("os.flavors.list", None),
                             ("os.quota", None)):
            e = self.err(w.request(method, body), "internal")
            # what was wrong, not what the parser then missed
            self.assertIn("HTTP 200 reply is truncated JSON", e)
        self.ok(w.request("os.quota"))       # still alive and serving
        self.assertEqual(w.close(), 0)

    def test_truncated_token_reply_is_named_as_such(self):
        self.sim.ctl("POST", "/faults", {"kind": "invalid_json", "service": "keystone",
                                         "path": "/auth/tokens"})
        w = self.worker()
        msg = self.err(w.request("os.flavors.list"), "unavailable")
        self.assertIn("truncated JSON", msg)
        self.assertNotIn("expires_at", msg)
        self.sim.ctl("DELETE", "/faults")
        # an authentication that works once Keystone answers whole
        wait_until(lambda: w.request("os.flavors.list")["ok"], 10)
        self.assertEqual(w.close(), 0)

    # ---- images ---------------------------------------------------------------------

    def test_images_snapshot_tag_get_delete(self):
        self.sim.ctl("POST", "/knobs", {"boot_ms": 10, "builder_run_ms": 10})
        w = self.worker()
        [img] = self.ok(w.request("os.images.list", {"tag": "ghr-runner"}))["images"]
        self.assertEqual(img["properties"]["ghr-runner-version"], "2.330.0")
        self.assertEqual(len(self.ok(w.request("os.images.list", {"name": "ubuntu-22.04"}))["images"]), 1)
        sid = self.ok(w.request("os.server.create", create_body("itest-builder")))["id"]
        wait_until(lambda: [s for s in self.sim.servers("itest-builder") if s["status"] in ("ACTIVE", "SHUTOFF")])
        iid = self.ok(w.request("os.server.snapshot", {"id": sid, "image_name": "itest-img",
                                                    "properties": {"ghr-runner-version": "9.9.9"}}))["image_id"]
        self.ok(w.request("os.image.tag", {"id": iid, "tag": "itest-tag"}))
        got = self.ok(w.request("os.image.get", {"id": iid}))["image"]
        self.assertEqual((got["name"], got["tags"]), ("itest-img", ["itest-tag"]))
        self.ok(w.request("os.image.delete", {"id": iid}))
        self.ok(w.request("os.image.delete", {"id": iid}))   # gone already: success
        self.err(w.request("os.image.get", {"id": iid}), "not_found")

    def test_images_of_this_project_win_over_newer_public_ones(self):
        other = "b2c6d3e6f0a34c0fa1c0b7f1d1e2f3a4"
        [theirs_tag, theirs_name] = self.sim.ctl("POST", "/seed", {"images": [
            {"name": "their-runner", "visibility": "public", "owner": other, "tags": ["ghr-runner"]},
            {"name": "ghr-runner-image", "visibility": "public", "owner": other}]})["images"]
        ours = "5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f"     # the simulator's private ghr-runner-image
        w = self.worker()
        self.assertEqual([i["id"] for i in self.ok(w.request("os.images.list", {"tag": "ghr-runner"}))["images"]], [ours])
        self.assertEqual([i["id"] for i in self.ok(w.request("os.images.list", {"name": "ghr-runner-image"}))["images"]],
                         [ours])
        # a name none of ours has: public images are fine (a base image)
        self.assertEqual(len(self.ok(w.request("os.images.list", {"name": "ubuntu-22.04"}))["images"]), 1)
        for image in ("tag:ghr-runner", "ghr-runner-image"):
            name = "itest-own-%d" % len(image)
            self.ok(w.request("os.server.create", create_body(name, image=image)))
            [s] = self.sim.servers(name)
            self.assertEqual(s["image"], ours, image)
        self.ok(w.request("os.server.create", create_body("itest-own-pub", image="ubuntu-22.04")))
        # a tag only another project uses does not resolve
        self.ok(w.request("os.image.delete", {"id": ours}))
        msg = self.err(w.request("os.server.create", create_body("itest-own-x", image="tag:ghr-runner")), "bad_request")
        self.assertIn("no active image tagged", msg)
        self.assertNotIn(theirs_tag, [s["image"] for s in self.sim.servers()])
        self.assertNotIn(theirs_name, [s["image"] for s in self.sim.servers()])

    # ---- secrets --------------------------------------------------------------------

    def test_password_and_tokens_never_logged(self):
        self.sim.ctl("POST", "/faults", {"kind": "error", "service": "nova", "path": "/limits", "count": 1,
                                         "params": {"status": 500}})
        w = self.worker(log_level="debug")
        self.ok(w.request("os.quota"))
        self.sim.ctl("POST", "/tokens/expire", {"github": False})
        self.ok(w.request("os.servers.list", {"prefix": "itest-"}))
        self.assertEqual(w.close(), 0)
        log = w.log()
        self.assertIn("keystone token obtained", log)
        self.assertNotIn(PASSWORD, log)
        self.assertNotIn("gAAAAA", log)          # every simulator token starts so


if __name__ == "__main__":
    unittest.main()
