"""Builder VMs running ghr's image-builder script, and Nova's console log."""
import base64
import hashlib
import os
import re
import time
import unittest

import simtest as T

TEMPLATE = os.path.join(T.REPO, "scripts", "builder-user-data.sh.in")


def render(**values):
    """The builder script as the image builder renders it: each @NAME@ a single-quoted value."""
    with open(TEMPLATE) as f:
        text = f.read()

    def sub(m):
        v = values[m.group(1)]
        return "'" + v.replace("'", "'\\''") + "'"
    return re.sub(r"@([A-Z_]+)@", sub, text)


class Builder(T.SimTestCase):
    def release(self, arch="x64"):
        r = self.gh("GET", "/orgs/ghr-org/actions/runners/downloads")
        self.assertEqual(r.status, 200, r)
        [d] = [d for d in r.json if d["os"] == "linux" and d["architecture"] == arch]
        return d

    def boot_builder(self, build_id="0badcafe", sha=None):
        d = self.release()
        script = render(BUILD_ID=build_id, IMAGE_NAME="runner", RUNNER_VERSION="2.330.0",
                        RUNNER_URL=d["download_url"], RUNNER_CHECKSUM=sha or d["sha256_checksum"],
                        PACKAGES="git jq", APROXY="false")
        ud = base64.b64encode(script.encode()).decode()
        return self.create_server("t-builder-runner-" + build_id, user_data=ud).json["server"]["id"]

    def console(self, sid, length=None):
        r = self.nova("POST", "/servers/%s/action" % sid, {"os-getConsoleOutput": {"length": length}})
        self.assertEqual(r.status, 200, r)
        return r.json["output"]

    def test_script_that_checks_out_reports_ok_and_powers_off(self):
        sid = self.boot_builder()
        T.wait_for(lambda: self.server_status(sid) == "SHUTOFF")
        out = self.console(sid)
        self.assertIn("ghr-build 0badcafe ok runner=2.330.0\n", out)
        self.assertEqual(self.console(sid, 1), "reboot: Power down\n")
        self.assertEqual(self.counters()["events"]["builder_downloads"], 1)

    def test_checksum_mismatch_fails_the_build(self):
        self.cj("POST", "/knobs", {"runner_tarball_corrupt": True})
        sid = self.boot_builder()
        T.wait_for(lambda: self.server_status(sid) == "SHUTOFF")
        self.assertIn("ghr-build 0badcafe failed stage=checksum-mismatch status=1", self.console(sid))
        self.assertNotIn(" ok ", self.console(sid))

    def test_wrong_expected_checksum_fails_too(self):
        sid = self.boot_builder(sha="0" * 64)
        T.wait_for(lambda: self.server_status(sid) == "SHUTOFF")
        self.assertIn("failed stage=checksum-mismatch", self.console(sid))

    def test_apt_failure(self):
        self.cj("POST", "/knobs", {"builder_fault": "apt_fail"})
        sid = self.boot_builder()
        T.wait_for(lambda: self.server_status(sid) == "SHUTOFF")
        self.assertIn("ghr-build 0badcafe failed stage=apt status=100", self.console(sid))

    def test_never_powering_off(self):
        self.cj("POST", "/knobs", {"builder_fault": "never_poweroff"})
        sid = self.boot_builder()
        T.wait_for(lambda: self.server_status(sid) == "ACTIVE")
        T.wait_for(lambda: "waiting for the apt lock" in self.console(sid))
        time.sleep(0.2)     # several builder_run_ms: nothing more happens
        self.assertEqual(self.server_status(sid), "ACTIVE")
        self.assertNotIn("ghr-build 0badcafe ", self.console(sid))

    def test_console_request_shapes(self):
        sid = self.create_server("plain").json["server"]["id"]
        r = self.nova("POST", "/servers/%s/action" % sid, {"os-getConsoleOutput": {}})
        self.assertEqual(r.status, 409, "no console before the VM exists")
        T.wait_for(lambda: self.server_status(sid) == "ACTIVE")
        self.assertEqual(self.console(sid, "1"), "cloud-init: running modules for final\n")
        self.assertEqual(self.console(sid, 0), "")
        for bad in ({"length": -2}, {"length": "x"}, {"length": 1.5}, {"lines": 3}):
            r = self.nova("POST", "/servers/%s/action" % sid, {"os-getConsoleOutput": bad})
            self.assertEqual(r.status, 400, bad)
            self.assertIn("badRequest", r.json)


class BaseImages(T.SimTestCase):
    """A base image from the loopback mirror into Glance: create, then upload the data."""

    def test_file_mirror(self):
        r = self.cj("POST", "/files", {"path": "noble/SHA256SUMS", "text": "abc *x.img\n"})
        self.assertTrue(r["url"].endswith("/files/noble/SHA256SUMS"))
        got = T.request(self.api, "GET", "/files/noble/SHA256SUMS")
        self.assertEqual((got.status, got.body), (200, b"abc *x.img\n"))
        self.assertEqual(T.request(self.api, "GET", "/files/noble/nope").status, 404)
        self.assertEqual(self.control("POST", "/files", {"path": "../etc/passwd", "text": "x"}).status, 400)

    def test_create_then_upload(self):
        r = self.glance("POST", "/v2/images", {"name": "t-base-runner", "disk_format": "qcow2",
                                               "container_format": "bare", "visibility": "private",
                                               "ghr-base-sha256": "ab"})
        self.assertEqual(r.status, 201, r)
        im = r.json
        self.assertEqual((im["status"], im["size"], im["checksum"], im["ghr-base-sha256"]), ("queued", None, None, "ab"))
        self.assertTrue(r.h("Location").endswith("/v2/images/" + im["id"]))
        path = "/v2/images/%s/file" % im["id"]
        self.assertEqual(self.glance("PUT", path, b"data", {"Content-Type": "text/plain"}).status, 415)
        self.assertEqual(self.glance("PUT", path, b"qcow2 data", {"Content-Type": "application/octet-stream"}).status, 204)
        im = self.glance("GET", "/v2/images/" + im["id"]).json
        self.assertEqual((im["status"], im["size"]), ("active", 10))
        self.assertEqual(im["checksum"], hashlib.md5(b"qcow2 data").hexdigest())
        self.assertEqual((im["os_hash_algo"], im["os_hash_value"]), ("sha512", hashlib.sha512(b"qcow2 data").hexdigest()))
        r = self.glance("PUT", path, b"again", {"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 409, "an active image takes no second upload")

    def test_create_refusals(self):
        for body, status in (({"name": "x", "status": "active"}, 403), ({"name": "x", "disk_format": "exe"}, 400),
                             ({"name": "x", "visibility": "public"}, 403), ({"name": "x", "k": 1}, 400),
                             ([1], 400)):
            self.assertEqual(self.glance("POST", "/v2/images", body).status, status, body)
        iid = self.glance("POST", "/v2/images", {"name": "noformat"}).json["id"]
        r = self.glance("PUT", "/v2/images/%s/file" % iid, b"x", {"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 400, "formats must be set before the data")


if __name__ == "__main__":
    unittest.main()
