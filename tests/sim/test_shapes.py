"""The simulator's replies have the shapes of the real services (tests/fixtures/api)."""
import json
import os
import unittest

import simtest as T
from shapecheck import OpenAPI, shape_diff



class OpenStackShapes(T.SimTestCase):
    def assertShape(self, sample_file, ours, ignore=()):
        diff = shape_diff(T.load_api("openstack", sample_file), ours, ignore=ignore)
        self.assertEqual(diff, [], "%s: %s" % (sample_file, diff))

    def active_server(self, name="ghr-demo-small-0a1b2c3d"):
        r = self.create_server(name, user_data="IyEvYmluL3NoCmVjaG8gaGkK")
        self.assertEqual(r.status, 202, r)
        sid = r.json["server"]["id"]
        T.wait_for(lambda: self.server_status(sid) == "ACTIVE", what="ACTIVE")
        return sid, r

    def test_keystone_token(self):
        r = self.call("POST", "/identity/v3/auth/tokens", T.load_api("openstack", "keystone-auth-password-request.json")
                      | {"auth": T.password_auth()["auth"]})
        self.assertEqual(r.status, 201)
        self.assertTrue(r.h("X-Subject-Token"))
        self.assertShape("keystone-token-response.json", r.json)
        types = {c["type"] for c in r.json["token"]["catalog"]}
        self.assertTrue({"compute", "image", "network", "identity"} <= types)

    def test_keystone_request_samples_accepted(self):
        # The captured request bodies, with this simulator's credentials, are accepted as they are.
        body = T.load_api("openstack", "keystone-auth-password-request.json")
        body["auth"]["identity"]["password"]["user"]["password"] = "ghr-secret"
        body["auth"]["scope"]["project"]["name"] = "ghr"
        self.assertEqual(self.call("POST", "/identity/v3/auth/tokens", body).status, 201)
        body = T.load_api("openstack", "keystone-auth-application-credential-request.json")
        body["auth"]["identity"]["application_credential"].update(
            {"id": "ghrappcred0000000000000000000001", "secret": "ghr-appcred-secret"})
        r = self.call("POST", "/identity/v3/auth/tokens", body)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["token"]["methods"], ["application_credential"])

    def test_nova_version_discovery(self):
        r = self.call("GET", "/compute/v2.1/")
        self.assertEqual(r.status, 200)
        self.assertShape("nova-version-discovery-response.json", r.json)
        self.assertEqual(r.json["version"]["version"], T.load_api("openstack", "nova-version-discovery-response.json")["version"]["version"])

    def test_nova_create_get_list(self):
        sample_req = T.load_api("openstack", "nova-server-create-request.json")
        sample_req["server"]["imageRef"] = "5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f"
        r = self.nova("POST", "/servers", sample_req)
        self.assertEqual(r.status, 202, r)
        self.assertShape("nova-server-create-response.json", r.json)
        self.assertTrue(r.h("Location").endswith(r.json["server"]["id"]))
        sid = r.json["server"]["id"]
        T.wait_for(lambda: self.server_status(sid) == "ACTIVE")
        # The captures were made with an admin token: they show the admin-only fields.
        adm = {"X-Auth-Token": self.admin_token()}
        self.assertShape("nova-server-get-response.json", self.nova("GET", "/servers/" + sid, headers=adm).json)
        self.assertShape("nova-servers-detail-response.json", self.nova("GET", "/servers/detail", headers=adm).json)
        flt = self.nova("GET", "/servers/detail?name=%5Eghr-demo-small-&limit=10", headers=adm).json
        self.assertShape("nova-servers-detail-filtered-response.json", flt)

    def test_nova_member_token_hides_admin_fields(self):
        # Nova's default policy: OS-EXT-SRV-ATTR:* and host_status are admin-only, so a
        # member token (what ghr has) gets the capture's shape MINUS exactly those keys.
        sid, _ = self.active_server()
        admin_only = {k for k in T.load_api("openstack", "nova-server-get-response.json")["server"]
                      if k.startswith("OS-EXT-SRV-ATTR:") or k == "host_status"}
        self.assertIn("OS-EXT-SRV-ATTR:host", admin_only)
        self.assertShape("nova-server-get-response.json", self.nova("GET", "/servers/" + sid).json,
                         ignore=tuple(admin_only))
        for path in ("/servers/" + sid, "/servers/detail"):
            r = self.nova("GET", path).json
            srv = r["server"] if "server" in r else r["servers"][0]
            self.assertEqual(admin_only & set(srv), set(), path)
        # from 2.90 the hostname is shown to everyone (and nothing else of OS-EXT-SRV-ATTR)
        srv = self.nova("GET", "/servers/" + sid, headers={"OpenStack-API-Version": "compute 2.90"}).json["server"]
        self.assertEqual({k for k in srv if k.startswith("OS-EXT-SRV-ATTR:")}, {"OS-EXT-SRV-ATTR:hostname"})
        self.assertNotIn("host_status", srv)
        adm = self.nova("GET", "/servers/" + sid, headers={"X-Auth-Token": self.admin_token(),
                                                          "OpenStack-API-Version": "compute 2.90"}).json["server"]
        self.assertTrue(admin_only <= set(adm))

    def admin_token(self):
        r = self.call("POST", "/identity/v3/auth/tokens", T.password_auth(*T.ADMIN))
        self.assertEqual(r.status, 201, r)
        self.assertIn("admin", [x["name"] for x in r.json["token"]["roles"]])
        return r.h("X-Subject-Token")

    def test_nova_errors(self):
        r = self.nova("GET", "/servers/00000000-0000-0000-0000-000000000000")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json, T.load_api("openstack", "nova-error-404-response.json"))
        r = self.nova("GET", "/servers/detail", headers={"OpenStack-API-Version": "compute 2.999"})
        self.assertEqual(r.status, 406)
        self.assertEqual(r.json, T.load_api("openstack", "nova-error-bad-microversion-response.json"))

    def test_nova_create_image_and_glance_snapshot(self):
        sid, _ = self.active_server()
        r = self.nova("POST", "/servers/%s/action" % sid,
                      {"createImage": {"name": "ghr-image-test", "metadata": {"ghr-runner-version": "2.330.0"}}})
        self.assertEqual(r.status, 202, r)
        self.assertShape("nova-server-createImage-response.json", r.json)
        iid = r.json["image_id"]
        show = self.glance("GET", "/v2/images/" + iid)
        self.assertEqual(show.json["status"], "queued")
        self.assertShape("glance-image-show-response.json", show.json)
        self.assertEqual(self.glance("PUT", "/v2/images/%s/tags/ghr-runner" % iid).status, 204)
        lst = self.glance("GET", "/v2/images?tag=ghr-runner&sort=created_at:desc").json
        sample = T.load_api("openstack", "glance-images-by-tag-response.json")
        self.assertEqual(lst["first"], sample["first"])
        self.assertEqual(lst["images"][0]["id"], iid, "newest first")
        self.assertShape("glance-images-by-tag-response.json", {**lst, "images": lst["images"][:1]})

    def test_glance_list(self):
        r = self.glance("GET", "/v2/images?limit=10")
        self.assertEqual(r.json["first"], T.load_api("openstack", "glance-images-list-response.json")["first"])
        active = [i for i in r.json["images"] if i["name"] == "ubuntu-22.04"]
        self.assertShape("glance-images-list-response.json", {**r.json, "images": active})

    def test_flavors(self):
        self.assertShape("nova-flavors-detail-response.json", self.nova("GET", "/flavors/detail").json)

    def test_neutron(self):
        h = {"X-Auth-Token": self.token()}
        r = self.call("GET", "/network/v2.0/networks?name=no-such-net", headers=h)
        self.assertEqual(r.json, T.load_api("openstack", "neutron-networks-list-response.json"))
        r = self.call("GET", "/network/v2.0/networks?name=ghr-net", headers=h)
        self.assertEqual([n["name"] for n in r.json["networks"]], ["ghr-net"])


class GitHubShapes(T.SimTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(os.path.join(T.API_DIR, "github", "openapi-runners.json")) as f:
            cls.oa = OpenAPI(json.load(f))

    def assertSchema(self, value, path, method, status):
        errs = self.oa.check(value, self.oa.response_schema(path, method, status))
        self.assertEqual(errs, [], "%s %s %s" % (method, path, status))

    def test_runner_endpoints(self):
        for scope, tpl in (("/orgs/ghr-org", "/orgs/{org}"), ("/repos/ghr-org/ghr-repo", "/repos/{owner}/{repo}")):
            r = self.gh("POST", scope + "/actions/runners/generate-jitconfig",
                        {"name": "shape-" + scope[1:5], "runner_group_id": 1, "labels": ["self-hosted", "x64", "small"]})
            self.assertEqual(r.status, 201)
            self.assertSchema(r.json, tpl + "/actions/runners/generate-jitconfig", "post", 201)
            rid = r.json["runner"]["id"]
            self.assertSchema(self.gh("GET", scope + "/actions/runners").json, tpl + "/actions/runners", "get", 200)
            self.assertSchema(self.gh("GET", scope + "/actions/runners/%d" % rid).json,
                              tpl + "/actions/runners/{runner_id}", "get", 200)
            self.assertSchema(self.gh("GET", scope + "/actions/runners/%d/labels" % rid).json,
                              tpl + "/actions/runners/{runner_id}/labels", "get", 200)
            self.assertSchema(self.gh("GET", scope + "/actions/runners/downloads").json,
                              tpl + "/actions/runners/downloads", "get", 200)
            for kind in ("registration-token", "remove-token"):
                r = self.gh("POST", scope + "/actions/runners/" + kind)
                self.assertEqual(r.status, 201)
                self.assertSchema(r.json, tpl + "/actions/runners/" + kind, "post", 201)
            r = self.gh("POST", scope + "/actions/runners/generate-jitconfig",
                        {"name": "x", "runner_group_id": "1", "labels": ["a"]})
            self.assertEqual(r.status, 422)
            self.assertSchema(r.json, tpl + "/actions/runners/generate-jitconfig", "post", 422)
            r = self.gh("POST", scope + "/actions/runners/generate-jitconfig",
                        {"name": "shape-" + scope[1:5], "runner_group_id": 1, "labels": ["a"]})
            self.assertEqual(r.status, 409)
            self.assertSchema(r.json, tpl + "/actions/runners/generate-jitconfig", "post", 409)
            r = self.gh("GET", scope + "/actions/runners/999999")
            self.assertEqual(r.status, 404)
            self.assertSchema(r.json, "/orgs/{org}/actions/runners/generate-jitconfig", "post", 404)

    def test_enterprise_same_shapes(self):
        r = self.gh("POST", "/enterprises/ghr-ent/actions/runners/generate-jitconfig",
                    {"name": "ent-1", "runner_group_id": 1, "labels": ["self-hosted"]})
        self.assertEqual(r.status, 201)
        self.assertSchema(r.json, "/orgs/{org}/actions/runners/generate-jitconfig", "post", 201)
        self.assertSchema(self.gh("GET", "/enterprises/ghr-ent/actions/runners").json,
                          "/orgs/{org}/actions/runners", "get", 200)

    def test_runner_groups(self):
        r = self.gh("GET", "/orgs/ghr-org/actions/runner-groups")
        self.assertSchema(r.json, "/orgs/{org}/actions/runner-groups", "get", 200)
        self.assertEqual((r.json["runner_groups"][0]["id"], r.json["runner_groups"][0]["name"]), (1, "Default"))
        self.assertSchema(self.gh("GET", "/orgs/ghr-org/actions/runner-groups/1").json,
                          "/orgs/{org}/actions/runner-groups/{runner_group_id}", "get", 200)

    def test_job_in_every_state(self):
        self.cj("POST", "/knobs", {"job_duration_ms": 300})
        jid = self.cj("POST", "/jobs", {"labels": ["self-hosted", "small"]})["jobs"][0]
        path = "/repos/ghr-org/ghr-repo/actions/jobs/%d" % jid
        seen = set()
        r = self.gh("GET", path)
        self.assertSchema(r.json, "/repos/{owner}/{repo}/actions/jobs/{job_id}", "get", 200)
        seen.add(r.json["status"])
        jit = self.jit("job-runner")["encoded_jit_config"]
        self.create_server("job-runner", T.user_data_for(jit))

        def done():
            j = self.gh("GET", path).json
            self.assertEqual(self.oa.check(j, self.oa.response_schema(
                "/repos/{owner}/{repo}/actions/jobs/{job_id}", "get", 200)), [])
            seen.add(j["status"])
            return j["status"] == "completed"
        T.wait_for(done, what="job completed")
        self.assertEqual(seen, {"queued", "in_progress", "completed"})

    def test_rate_limit(self):
        self.assertSchema(self.gh("GET", "/rate_limit").json, "/rate_limit", "get", 200)

    def test_error_bodies(self):
        r = self.gh("GET", "/orgs/ghr-org/actions/runners", token="nope")
        self.assertEqual(r.status, 401)
        self.assertSchema(r.json, "/app/installations/{installation_id}/access_tokens", "post", 401)
        self.assertEqual(r.json["message"], "Bad credentials")

    def test_webhook_payload_like_samples(self):
        sim = self.sim.sim
        jid = self.cj("POST", "/jobs", {"labels": ["self-hosted"]})["jobs"][0]
        with sim.lock:
            j = sim.jobs[jid]
            ours = sim.webhooks.payload(j, "queued")
        for name in ("workflow_job.queued.1.json", "workflow_job.completed.1.json"):
            sample = T.load_api("webhooks", name)
            self.assertEqual(set(sample["workflow_job"]), set(ours["workflow_job"]), name)
            self.assertEqual(shape_diff(sample["repository"], ours["repository"]), [])
            self.assertTrue(set(sample) <= set(ours), name)
        self.assertEqual(self.oa.check(ours["workflow_job"], self.oa.ref("#/components/schemas/job")), [])


if __name__ == "__main__":
    unittest.main()
