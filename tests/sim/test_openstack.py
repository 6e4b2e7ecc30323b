"""Keystone, Nova, Glance, Neutron behaviour: auth, validation, pagination, regions."""
import base64
import unittest

import simtest as T

IMG = "5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f"
FLAVOR = "0cacf076-e4c3-4dc9-adcd-29f859adb802"


class Keystone(T.SimTestCase):
    def test_password_and_scopes(self):
        r = self.call("POST", "/identity/v3/auth/tokens", T.password_auth())
        self.assertEqual(r.status, 201)
        tok = r.json["token"]
        self.assertEqual(tok["project"]["id"], T.PROJECT_ID)
        self.assertTrue(tok["expires_at"].endswith("Z"))
        regions = {e["region"] for c in tok["catalog"] for e in c["endpoints"]}
        self.assertEqual(regions, {"RegionOne", "RegionTwo"})
        ifaces = {e["interface"] for c in tok["catalog"] for e in c["endpoints"]}
        self.assertEqual(ifaces, {"public", "internal", "admin"})

    def test_bad_credentials(self):
        for body in (T.password_auth(password="wrong"), T.password_auth(user="nobody"),
                     T.password_auth(project="other")):
            r = self.call("POST", "/identity/v3/auth/tokens", body)
            self.assertEqual(r.status, 401, body)
            self.assertEqual(r.json["error"]["code"], 401)
        r = self.call("POST", "/identity/v3/auth/tokens", {"nope": 1})
        self.assertEqual(r.status, 400)
        r = self.call("POST", "/identity/v3/auth/tokens", "{not json")
        self.assertEqual(r.status, 400)

    def test_application_credential(self):
        body = {"auth": {"identity": {"methods": ["application_credential"], "application_credential": {
            "id": "ghrappcred0000000000000000000001", "secret": "ghr-appcred-secret"}}}}
        r = self.call("POST", "/identity/v3/auth/tokens", body)
        self.assertEqual(r.status, 201)
        self.assertIn("catalog", r.json["token"])
        by_name = {"auth": {"identity": {"methods": ["application_credential"], "application_credential": {
            "name": "ghr-appcred", "secret": "ghr-appcred-secret",
            "user": {"name": "ghr", "domain": {"name": "Default"}}}}}}
        self.assertEqual(self.call("POST", "/identity/v3/auth/tokens", by_name).status, 201)
        body["auth"]["identity"]["application_credential"]["secret"] = "x"
        self.assertEqual(self.call("POST", "/identity/v3/auth/tokens", body).status, 401)

    def test_token_required_and_expiry(self):
        self.assertEqual(self.call("GET", "/compute/v2.1/servers/detail").status, 401)
        r = self.call("GET", "/compute/v2.1/servers/detail", headers={"X-Auth-Token": "bogus"})
        self.assertEqual(r.status, 401)
        self.assertIn("Keystone uri=", r.h("WWW-Authenticate"))
        for path in ("/image/v2/images", "/network/v2.0/networks"):
            self.assertEqual(self.call("GET", path, headers={"X-Auth-Token": "bogus"}).status, 401)
        self.cj("POST", "/knobs", {"keystone_token_lifetime_ms": 150})
        r = self.call("POST", "/identity/v3/auth/tokens", T.password_auth())
        tok = r.h("X-Subject-Token")
        h = dict(T.NOVA, **{"X-Auth-Token": tok})
        self.assertEqual(self.call("GET", "/compute/v2.1/servers/detail", headers=h).status, 200)
        T.wait_for(lambda: self.call("GET", "/compute/v2.1/servers/detail", headers=h).status == 401,
                   what="token expiry")
        # and a new token works again
        self._tok = None
        self.cj("POST", "/knobs", {"keystone_token_lifetime_ms": 3600000})
        self.assertEqual(self.nova("GET", "/servers/detail").status, 200)

    def test_expire_all_tokens_via_control(self):
        self.assertEqual(self.nova("GET", "/servers/detail").status, 200)
        self.cj("POST", "/tokens/expire", {})
        self.assertEqual(self.nova("GET", "/servers/detail").status, 401)


class Nova(T.SimTestCase):
    def test_microversions(self):
        r = self.nova("GET", "/servers/detail", headers={"OpenStack-API-Version": "compute 2.94"})
        self.assertEqual(r.status, 406)
        r = self.nova("GET", "/servers/detail", headers={"OpenStack-API-Version": "compute 2.x"})
        self.assertEqual(r.status, 400)
        r = self.nova("GET", "/servers/detail", headers={"OpenStack-API-Version": "compute latest"})
        self.assertEqual(r.h("OpenStack-API-Version"), "compute 2.93")
        r = self.nova("GET", "/servers/detail", headers={"OpenStack-API-Version": "compute 2.60"})
        self.assertEqual((r.status, r.h("OpenStack-API-Version"), r.h("X-OpenStack-Nova-API-Version")),
                         (200, "compute 2.60", "2.60"))
        # no header = 2.1: "networks": "none" is not valid there
        h = {"X-Auth-Token": self.token()}
        r = self.call("POST", "/compute/v2.1/servers", {"server": {
            "name": "a", "imageRef": IMG, "flavorRef": FLAVOR, "networks": "none"}}, h)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.h("OpenStack-API-Version"), "compute 2.1")

    def test_create_validation(self):
        good = {"name": "v", "imageRef": IMG, "flavorRef": FLAVOR, "networks": "none"}
        cases = [
            ({"server": dict(good, bogus=1)}, "Additional properties"),
            ({"server": {k: v for k, v in good.items() if k != "flavorRef"}}, "'flavorRef' is a required property"),
            ({"server": {k: v for k, v in good.items() if k != "networks"}}, "'networks' is a required property"),
            ({"server": dict(good, user_data="not base64!")}, "base64"),
            ({"server": dict(good, user_data="QUFB" * 16384)}, "too long"),
            ({"server": dict(good, metadata={"a": 1})}, "is not of type 'string'"),
            ({"server": dict(good, flavorRef="nope")}, "Flavor nope could not be found."),
            ({"server": dict(good, imageRef="nope")}, "is not valid under any of the given schemas"),
            ({"server": dict(good, imageRef="0f0e0d0c-0b0a-4909-8807-060504030201")},
             "Image 0f0e0d0c-0b0a-4909-8807-060504030201 could not be found."),
            # imageRef must be a UUID: a link (which flavorRef may be) is refused
            ({"server": dict(good, imageRef=self.api + "/image/v2/images/5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f")},
             "is not valid under any of the given schemas"),
            ({"server": dict(good, metadata={"bad/key": "v"})}, "Additional properties are not allowed"),
            ({"server": dict(good, metadata={"": "v"})}, "Additional properties are not allowed"),
            ({"server": dict(good, metadata={"k" * 256: "v"})}, "Additional properties are not allowed"),
            ({"server": dict(good, networks=[{"uuid": "nope"}])}, "Network nope could not be found."),
            ({"server": dict(good, networks="some")}, "not valid"),
            ({"server": dict(good, name=" lead")}, "name"),
            ({"server": dict(good, key_name="k")}, "Invalid key_name"),
            ({"server": dict(good, availability_zone="az-9")}, "availability zone is not available"),
            ({"server": dict(good, security_groups=[{"name": "nope"}])},
             "Unable to find security_group with name or id 'nope'"),
            ({"server": dict(good, security_groups=["default"])}, "is not valid"),
            ({"server": dict(good, imageRef="", block_device_mapping_v2=[
                {"boot_index": 0, "uuid": "5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f", "source_type": "image",
                 "destination_type": "volume", "delete_on_termination": True}])},
             "Images with destination_type 'volume' need to have a non-zero size specified"),
            ({"server": dict(good, imageRef="", block_device_mapping_v2=[
                {"boot_index": 0, "uuid": "5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f", "source_type": "image",
                 "destination_type": "volume", "volume_size": 0}])}, "volume_size"),
            ({"server": dict(good, imageRef="", block_device_mapping_v2=[
                {"boot_index": 0, "uuid": "5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f", "source_type": "image",
                 "destination_type": "volume", "volume_size": 20, "size": 20}])},
             "Additional properties are not allowed"),
            ({"server": dict(good, imageRef="", block_device_mapping_v2=[
                {"boot_index": 0, "uuid": "0f0e0d0c-0b0a-4909-8807-060504030201", "source_type": "image",
                 "destination_type": "volume", "volume_size": 20}])}, "failed to get image"),
            ({"server": dict(good, imageRef="")}, "Block Device Mapping is Invalid"),
            ({"srv": good}, "'server' is a required property"),
        ]
        for body, msg in cases:
            r = self.nova("POST", "/servers", body)
            self.assertEqual(r.status, 400, (body, r))
            self.assertIn(msg, r.json["badRequest"]["message"], body)
        # 65535 base64 characters is still fine
        ud = base64.b64encode(b"x" * 49149).decode()
        self.assertLessEqual(len(ud), 65535)
        self.assertEqual(self.nova("POST", "/servers", {"server": dict(good, user_data=ud)}).status, 202)
        # metadata keys: ^[a-zA-Z0-9-_:. ]{1,255}$; flavorRef as a link is fine
        md = {"ghr-manager": "a", "ghr_pool:x.y z": "b", "k" * 255: "c"}
        flav = self.api + "/compute/v2.1/flavors/0cacf076-e4c3-4dc9-adcd-29f859adb802"
        self.assertEqual(self.nova("POST", "/servers", {"server": dict(good, metadata=md, flavorRef=flav)}).status, 202)
        r = self.nova("POST", "/servers", {"server": dict(good, networks=[{"uuid": "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d"}])})
        self.assertEqual(r.status, 202)
        sid = r.json["server"]["id"]
        T.wait_for(lambda: self.server_status(sid) == "ACTIVE")
        self.assertIn("ghr-net", self.nova("GET", "/servers/" + sid).json["server"]["addresses"])
        self.assertEqual(self.nova("POST", "/servers", {"server": dict(good, networks="auto")}).status, 202)
        # what an operator sets per pool: a keypair, security groups (by name or id), a
        # zone, and a boot volume made from the image and deleted with the server
        bfv = dict(good, key_name="ghr-debug", availability_zone="az-2", imageRef="",
                   security_groups=[{"name": "ghr-runners"}, {"name": "5f1e2d3c-4b5a-4697-8887-a6b5c4d3e2f1"}],
                   block_device_mapping_v2=[{"boot_index": 0, "uuid": "5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f",
                                             "source_type": "image", "destination_type": "volume",
                                             "volume_size": 30, "delete_on_termination": True}])
        r = self.nova("POST", "/servers", {"server": bfv})
        self.assertEqual(r.status, 202, r.json)
        sid = r.json["server"]["id"]
        T.wait_for(lambda: self.server_status(sid) == "ACTIVE")
        srv = self.nova("GET", "/servers/" + sid).json["server"]
        self.assertEqual((srv["key_name"], srv["OS-EXT-AZ:availability_zone"], srv["image"]),
                         ("ghr-debug", "az-2", ""))
        self.assertEqual(len(srv["os-extended-volumes:volumes_attached"]), 1)
        self.assertTrue(srv["os-extended-volumes:volumes_attached"][0]["delete_on_termination"])
        self.assertEqual(self.nova("DELETE", "/servers/" + sid).status, 204)
        T.wait_for(lambda: self.cj("GET", "/counters")["events"].get("volumes_deleted") == 1)

    def test_build_to_active_and_delete(self):
        self.cj("POST", "/knobs", {"boot_ms": 150})
        r = self.create_server("lifecycle-1")
        sid = r.json["server"]["id"]
        s = self.nova("GET", "/servers/" + sid).json["server"]
        self.assertEqual((s["status"], s["OS-EXT-STS:vm_state"]), ("BUILD", "building"))
        T.wait_for(lambda: self.server_status(sid) == "ACTIVE")
        self.cj("POST", "/knobs", {"delete_ms": 0})
        self.assertEqual(self.nova("DELETE", "/servers/" + sid).status, 204)
        self.assertEqual(self.nova("GET", "/servers/" + sid).status, 404)
        self.assertEqual(self.nova("DELETE", "/servers/" + sid).status, 404)

    def test_delete_delay_shows_deleting(self):
        # Real Nova: a deleted server stays listed (status unchanged, task_state deleting)
        # and counted against the quota until the compute host is done; a second DELETE
        # meanwhile is harmless (204).
        self.assertEqual(T.config.KNOBS["delete_ms"][0], 500, "default: deletes take a while")
        self.cj("POST", "/knobs", {"delete_ms": 300})
        sid = self.create_server("del-1").json["server"]["id"]
        T.wait_for(lambda: self.server_status(sid) == "ACTIVE")
        self.assertEqual(self.nova("DELETE", "/servers/" + sid).status, 204)
        s = self.nova("GET", "/servers/" + sid).json["server"]
        self.assertEqual((s["status"], s["OS-EXT-STS:task_state"]), ("ACTIVE", "deleting"))
        listed = self.nova("GET", "/servers/detail?name=%5Edel-1%24").json["servers"]
        self.assertEqual([(x["id"], x["OS-EXT-STS:task_state"]) for x in listed], [(sid, "deleting")])
        used = self.nova("GET", "/limits").json["limits"]["absolute"]["totalInstancesUsed"]
        self.assertEqual(used, 1, "still counted against the quota")
        self.assertEqual(self.nova("DELETE", "/servers/" + sid).status, 204, "second delete: harmless")
        T.wait_for(lambda: self.nova("GET", "/servers/" + sid).status == 404)
        self.assertEqual(self.nova("GET", "/limits").json["limits"]["absolute"]["totalInstancesUsed"], 0)
        self.assertEqual(self.nova("GET", "/servers/detail?name=%5Edel-1%24").json["servers"], [])

    def test_list_filter_and_pagination(self):
        self.cj("POST", "/seed", {"servers": {"count": 25, "name_prefix": "ghr-p-small-"}})
        self.cj("POST", "/seed", {"servers": {"count": 5, "name_prefix": "other-"}})
        r = self.nova("GET", "/servers/detail?name=%5Eghr-p-small-&limit=10")
        self.assertEqual(len(r.json["servers"]), 10)
        names = []
        path = "/servers/detail?name=%5Eghr-p-small-&limit=10"
        pages = 0
        while True:
            r = self.nova("GET", path)
            self.assertEqual(r.status, 200, r)
            pages += 1
            names += [s["name"] for s in r.json["servers"]]
            links = r.json.get("servers_links")
            if not links:
                break
            nxt = links[0]["href"]
            self.assertEqual(links[0]["rel"], "next")
            self.assertTrue(nxt.startswith(self.api + "/compute/v2.1/servers/detail?"))
            self.assertIn("name=", nxt)
            path = nxt[len(self.api + "/compute/v2.1"):]
        self.assertEqual(sorted(names), ["ghr-p-small-%05d" % i for i in range(25)])
        self.assertEqual(names[0], "ghr-p-small-00024", "newest first")
        self.assertEqual(pages, 3)
        r = self.nova("GET", "/servers/detail?marker=nope")
        self.assertEqual(r.status, 400)
        self.assertEqual(self.nova("GET", "/servers/detail?limit=-1").status, 400)
        r = self.nova("GET", "/servers/detail?bogus=1")
        self.assertEqual(r.status, 400, "2.75+: unknown query parameter")
        self.assertEqual(self.nova("GET", "/servers/detail?bogus=1",
                                   headers={"OpenStack-API-Version": "compute 2.60"}).status, 200)
        r = self.nova("GET", "/servers?name=other-")
        self.assertEqual(set(r.json["servers"][0]), {"id", "name", "links"})
        self.assertEqual(len(r.json["servers"]), 5)
        self.assertEqual(len(self.nova("GET", "/servers/detail?status=SHUTOFF").json["servers"]), 0)

    def test_name_regex_index_matches_scan(self):
        # "^literal" filters use a sorted-name index when few names match; results and
        # paging must be exactly what a full scan gives.
        self.cj("POST", "/seed", {"servers": {"count": 6, "name_prefix": "ghr-a-"}})
        self.cj("POST", "/seed", {"servers": {"count": 60, "name_prefix": "ghr-b-"}})
        self.cj("POST", "/seed", {"servers": {"count": 3, "name_prefix": "ghr-a-x"}})
        self.cj("POST", "/seed", {"servers": {"count": 2, "name_prefix": "GHR-A-"}})
        everything = [s["name"] for s in self.nova("GET", "/servers?limit=1000").json["servers"]]
        import re as _re
        for pattern in ("^ghr-a-", "^ghr-a-0000[13]$", "^ghr-a-x", "a-0", "^ghr-(a|b)-0000[2]$", "^ghr-a-x*0", "^GHR-A-0"):
            # Nova on MySQL: every '|' escaped, case-insensitive
            want = [n for n in everything if _re.search(pattern.replace("|", "\\|"), n, _re.I)]
            got, path = [], "/servers?limit=2&name=" + pattern.replace("^", "%5E").replace("$", "%24")
            while path:
                r = self.nova("GET", path)
                self.assertEqual(r.status, 200, r)
                got += [x["name"] for x in r.json["servers"]]
                nxt = r.json.get("servers_links")
                path = nxt[0]["href"][len(self.api + "/compute/v2.1"):] if nxt else None
            self.assertEqual(got, want, pattern)

    def test_max_limit(self):
        self.cj("POST", "/knobs", {"nova_max_limit": 7})
        self.cj("POST", "/seed", {"servers": {"count": 9}})
        r = self.nova("GET", "/servers/detail?limit=100")
        self.assertEqual(len(r.json["servers"]), 7)
        self.assertIn("servers_links", r.json)

    def test_flavor_pagination(self):
        self.cj("POST", "/knobs", {"nova_max_limit": 1})
        for path in ("/flavors", "/flavors/detail"):
            r = self.nova("GET", path)
            self.assertEqual(len(r.json["flavors"]), 1)
            href = r.json["flavors_links"][0]["href"]
            self.assertIn("marker=" + r.json["flavors"][0]["id"], href)
            r2 = self.nova("GET", path + "?marker=" + r.json["flavors"][0]["id"])
            self.assertEqual(len(r2.json["flavors"]), 1)
            self.assertNotEqual(r2.json["flavors"][0]["id"], r.json["flavors"][0]["id"])
        self.assertEqual(self.nova("GET", "/flavors?marker=nope").status, 400)

    def test_other_project_invisible(self):
        self.cj("POST", "/seed", {"servers": {"count": 2, "name_prefix": "theirs-"},
                                  "project_id": "b2c6d3e6f0a34c0fa1c0b7f1d1e2f3a4"})
        self.assertEqual(self.nova("GET", "/servers/detail?name=theirs").json["servers"], [])

    def test_limits_and_quota(self):
        lim = self.nova("GET", "/limits").json["limits"]["absolute"]
        for k in ("maxTotalInstances", "totalInstancesUsed", "maxTotalCores", "totalCoresUsed",
                  "maxTotalRAMSize", "totalRAMUsed"):
            self.assertIsInstance(lim[k], int, k)
        self.cj("POST", "/knobs", {"quota_instances": 2})
        self.assertEqual(self.create_server("q1").status, 202)
        self.assertEqual(self.create_server("q2").status, 202)
        lim = self.nova("GET", "/limits").json["limits"]["absolute"]
        self.assertEqual((lim["totalInstancesUsed"], lim["totalCoresUsed"], lim["totalRAMUsed"]), (2, 4, 8192))
        r = self.create_server("q3")
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json["forbidden"]["message"],
                         "Quota exceeded for instances: Requested 1, but already used 2 of 2 instances")
        self.cj("POST", "/knobs", {"quota_status": 413})
        r = self.create_server("q3")
        self.assertEqual(r.status, 413)
        self.assertIn("overLimit", r.json)
        qs = self.nova("GET", "/os-quota-sets/%s/detail" % T.PROJECT_ID).json["quota_set"]
        self.assertEqual(qs["instances"], {"in_use": 2, "limit": 2, "reserved": 0})

    def test_actions(self):
        sid = self.create_server("act-1").json["server"]["id"]
        r = self.nova("POST", "/servers/%s/action" % sid, {"createImage": {"name": "snap"}})
        self.assertEqual(r.status, 409, "BUILD cannot be snapshotted")
        self.assertIn("conflictingRequest", r.json)
        T.wait_for(lambda: self.server_status(sid) == "ACTIVE")
        self.assertEqual(self.nova("POST", "/servers/%s/action" % sid, {"os-stop": None}).status, 202)
        self.assertEqual(self.server_status(sid), "SHUTOFF")
        r = self.nova("POST", "/servers/%s/action" % sid, {"createImage": {"name": "snap"}},
                      headers={"OpenStack-API-Version": "compute 2.44"})
        self.assertEqual((r.status, r.body), (202, b""))
        self.assertIn("/v2/images/", r.h("Location"))
        self.assertEqual(self.nova("POST", "/servers/%s/action" % sid, {"fly": {}}).status, 400)


class Glance(T.SimTestCase):
    def test_snapshot_progress_tags_delete(self):
        sid = self.create_server("snap-src").json["server"]["id"]
        T.wait_for(lambda: self.server_status(sid) == "ACTIVE")
        iid = self.nova("POST", "/servers/%s/action" % sid,
                        {"createImage": {"name": "ghr-image-1", "metadata": {"ghr-runner-version": "2.330.0"}}}).json["image_id"]
        seen = []

        def active():
            st = self.glance("GET", "/v2/images/" + iid).json["status"]
            if not seen or seen[-1] != st:
                seen.append(st)
            return st == "active"
        T.wait_for(active)
        self.assertEqual(seen[-1], "active")
        self.assertTrue(set(seen) <= {"queued", "saving", "active"})
        im = self.glance("GET", "/v2/images/" + iid).json
        self.assertEqual(im["ghr-runner-version"], "2.330.0")
        self.assertEqual(im["instance_uuid"], sid)
        self.assertEqual(self.glance("PUT", "/v2/images/%s/tags/ghr-runner" % iid).status, 204)
        self.assertEqual(self.glance("PUT", "/v2/images/%s/tags/ghr-runner" % iid).status, 204)
        r = self.glance("GET", "/v2/images?tag=ghr-runner&sort=created_at:desc")
        self.assertEqual([i["id"] for i in r.json["images"]][0], iid)
        self.assertEqual(self.glance("DELETE", "/v2/images/%s/tags/ghr-runner" % iid).status, 204)
        self.assertEqual(self.glance("DELETE", "/v2/images/%s/tags/ghr-runner" % iid).status, 404)
        self.assertEqual(self.glance("DELETE", "/v2/images/" + iid).status, 204)
        r = self.glance("DELETE", "/v2/images/" + iid)
        self.assertEqual(r.status, 404)
        self.assertTrue(r.h("Content-Type").startswith("text/html"), "glance errors are HTML")

    def test_list_filters_sort_pagination(self):
        self.cj("POST", "/seed", {"images": [{"name": "img-%d" % i, "tags": ["t"], "visibility": "private"}
                                             for i in range(7)]})
        r = self.glance("GET", "/v2/images?name=img-3")
        self.assertEqual([i["name"] for i in r.json["images"]], ["img-3"])
        r = self.glance("GET", "/v2/images?tag=t&sort=name:asc&limit=3")
        names = [i["name"] for i in r.json["images"]]
        self.assertEqual(names, ["img-0", "img-1", "img-2"])
        collected = list(names)
        nxt = r.json.get("next")
        while nxt:
            self.assertTrue(nxt.startswith("/v2/images?"), "next is relative to the image endpoint")
            r = self.glance("GET", nxt)
            collected += [i["name"] for i in r.json["images"]]
            nxt = r.json.get("next")
        self.assertEqual(collected, ["img-%d" % i for i in range(7)])
        self.assertEqual(self.glance("GET", "/v2/images?sort=bogus:asc").status, 400)
        self.assertEqual(self.glance("GET", "/v2/images?marker=nope").status, 400)
        self.assertEqual(self.glance("GET", "/v2/images?limit=x").status, 400)
        r = self.glance("GET", "/v2/images?ghr-runner-version=2.330.0")
        self.assertEqual([i["name"] for i in r.json["images"]], ["ghr-runner-image"])


class Regions(T.SimTestCase):
    def test_region_two_is_separate(self):
        h = dict(T.NOVA, **{"X-Auth-Token": self.token()})
        r = self.call("POST", "/r2/compute/v2.1/servers", {"server": {
            "name": "in-r2", "imageRef": IMG, "flavorRef": FLAVOR, "networks": "none"}}, h)
        self.assertEqual(r.status, 202, r)
        self.assertTrue(r.json["server"]["links"][0]["href"].startswith(self.api + "/r2/compute/v2.1/"))
        self.assertEqual(self.nova("GET", "/servers/detail?name=in-r2").json["servers"], [])
        r = self.call("GET", "/r2/compute/v2.1/servers/detail?name=in-r2", headers=h)
        self.assertEqual(len(r.json["servers"]), 1)
        # internal interface of region one = region one's state
        r = self.call("GET", "/int/compute/v2.1/servers/detail?name=in-r2", headers=h)
        self.assertEqual(r.json["servers"], [])
        self.assertEqual(self.call("GET", "/r2/image/v2/images", headers=h).status, 200)
        self.assertEqual(self.call("GET", "/r2/network/v2.0/networks", headers=h).status, 200)


if __name__ == "__main__":
    unittest.main()
