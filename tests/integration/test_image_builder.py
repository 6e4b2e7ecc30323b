"""The image builder end to end: real ghrd and workers against ghr-sim, whose builder
VMs run the rendered builder script (tests/sim/ghrsim/builder.py)."""
import os
import signal
import time
import unittest

from harness import Ghrd, Sim, wait_until
from scaler_common import FAST_KNOBS, pool, scaler_config
from test_openstack_worker import create_body, openstack_worker, password_secret

UBUNTU = "137d3556-828f-4a72-90f8-7ed756aebc93"      # the simulator's ubuntu-22.04
KNOBS = dict(FAST_KNOBS, builder_run_ms=150, snapshot_saving_ms=50, snapshot_active_ms=100)
TAG = "ghr-built"


def image_builder(**over):
    ib = {"interval": "1h", "check_interval": "1s", "build_timeout": "20s", "poll": "100ms", "keep": 2,
          "retry_min": "300ms", "retry_max": "1s",
          "images": [{"name": "runner", "base_image": "ubuntu-22.04", "flavor": "small", "network": "ghr-net",
                      "packages": ["git", "jq"], "tag": TAG}]}
    ib.update(over)
    return ib


def start(sim, min_idle=0, **over):
    sim.post("/knobs", KNOBS)
    cfg = scaler_config([pool(min_idle=min_idle, image="tag:" + TAG)], interval="300ms")
    cfg["image_builder"] = image_builder(**over)
    return Ghrd(cfg, sim=sim)


def images_row(g):
    rc, out = g.ctl("images")
    assert rc == 0, out
    [row] = out["images"]
    return row


def builder_vms(sim):
    return [s for s in sim.get("/state")["servers"]
            if s["name"].startswith("t-builder-runner-") and s["task_state"] != "deleting"]


def built_images(sim):
    return [i for i in sim.get("/state")["images"] if i["name"] == "t-runner"]


def wait_result(g, result, timeout=30, after=None):
    def done():
        row = images_row(g)
        last = row["last_build"]
        return last["result"] == result and last["build"] != after and row
    return wait_until(done, timeout, f"a build ending {result}")


class ImageBuilder(unittest.TestCase):
    def setUp(self):
        self.sim = Sim()
        self.addCleanup(self.sim.close)

    def ghrd(self, **kw):
        g = start(self.sim, **kw)
        self.addCleanup(g.close)
        return g

    def test_build_on_start_then_new_runners_boot_from_it(self):
        g = self.ghrd(min_idle=1)
        row = wait_result(g, "ok")
        new = row["image_id"]
        self.assertEqual(row["last_build"]["image_id"], new)
        self.assertEqual(row["last_build"]["reason"], "no usable image")
        self.assertEqual((row["runner_version"], row["tag"], row["pools"]), ("2.330.0", TAG, ["small"]))
        [img] = built_images(self.sim)
        self.assertEqual((img["id"], img["status"], img["tags"]), (new, "active", [TAG]))
        props = img["properties"]
        self.assertEqual(props["ghr-runner-version"], "2.330.0")
        self.assertEqual(props["ghr-base-image"], UBUNTU)
        self.assertTrue(props["ghr-base-checksum"].startswith("sha512:"), props)
        self.assertTrue(props["ghr-builder-vm"].startswith("t-builder-runner-"), props)
        self.assertIn("ghr-built-at", props)
        wait_until(lambda: not builder_vms(self.sim), 10, "the builder VM deleted")
        # the scaler's runners boot from the new image
        wait_until(lambda: [s for s in self.sim.get("/state")["servers"]
                            if s["name"].startswith("t-small-") and s["image"] == new], 20,
                   "a runner VM booted from the new image")
        self.assertIn("new runners use a new image", g.log())     # the image.built event reached the scaler
        rc, text = g.ctl("metrics", json_out=False)
        self.assertEqual(rc, 0, text)
        self.assertIn('ghr_image_builds_total{image="runner",result="ok"} 1', text)
        self.assertIn('ghr_image_build_failures{image="runner"} 0', text)
        rc, out = g.ctl("images", json_out=False)
        self.assertEqual(rc, 0, out)
        self.assertIn(new, out)
        self.assertIn("no usable image", out)

    def test_github_worker_down_is_a_failed_check_not_a_failed_build(self):
        """With no usable image a build is due, but while the github worker is not ready
        nothing could be asked: checks retry soon, and no build is counted or delayed by
        retry_min (1 h here)."""
        self.sim.post("/knobs", KNOBS)
        cfg = scaler_config([pool(min_idle=0, image="tag:" + TAG)], interval="300ms")
        cfg["image_builder"] = image_builder(retry_min="1h", retry_max="2h")
        cfg["supervisor"] = dict(cfg.get("supervisor", {}), restart_intensity=1)
        cfg.setdefault("workers", {}).setdefault("github", {})["essential"] = False
        g = Ghrd(cfg, sim=self.sim)
        self.addCleanup(g.close)
        first = wait_result(g, "ok")
        # github fails for good: one restart allowed, the second exit marks it failed
        os.kill(g.worker("github")["pid"], signal.SIGKILL)
        wait_until(lambda: g.worker("github")["restarts"] == 1 and g.worker("github")["state"] == "ready",
                   10, "github restarted once")
        os.kill(g.worker("github")["pid"], signal.SIGKILL)
        wait_until(lambda: g.worker("github")["state"] == "failed", 10, "github failed")
        self.sim.delete("/images/" + first["image_id"])
        # (a check in flight at a kill may fail otherwise first: "the worker exited")
        row = wait_until(lambda: (lambda r: r["check_failures"] >= 2 and "worker github is failed: the request "
                                  "could not be sent" in r["check_error"] and r)(images_row(g)), 20,
                         "checks failing while github is down")
        self.assertEqual((row["failures"], row["last_build"]["result"], row["last_build"]["build"]),
                         (0, "ok", first["last_build"]["build"]))
        rc, out = g.ctl("images", json_out=False)
        self.assertRegex(out, r"\d+ checks failed +ok .*asking GitHub for the newest runner: worker github is failed")
        # github back: the next check builds, long before retry_min
        self.assertEqual(g.ctl("restart", "github")[0], 0)
        row = wait_result(g, "ok", after=first["last_build"]["build"])
        self.assertEqual(row["last_build"]["reason"], "no usable image")
        self.assertEqual((row["check_failures"], row["check_error"]), (0, ""))

    def test_checksum_mismatch_keeps_no_image_and_retries_with_backoff(self):
        self.sim.knobs(runner_tarball_corrupt=True)
        g = self.ghrd(check_interval="1h")           # retries come from the backoff alone
        row = wait_result(g, "failed")
        self.assertIn("stage=checksum-mismatch", row["last_build"]["error"])
        self.assertEqual(row["image_id"], "")
        wait_until(lambda: not builder_vms(self.sim), 10, "the failed builder VM deleted")
        self.assertEqual(built_images(self.sim), [])
        self.assertIn("image build failed", g.log())
        # retried, but not in a tight loop: retry_min 300 ms doubling to 1 s
        wait_until(lambda: images_row(g)["failures"] >= 3, 20, "three failed attempts")
        self.assertLess(self.sim.counters()["events"]["builder_vms"], 8)
        rc, text = g.ctl("metrics", json_out=False)
        self.assertRegex(text, r'ghr_image_build_failures\{image="runner"\} [3-9]')
        # the tarball is fine again: the next retry builds
        self.sim.knobs(runner_tarball_corrupt=False)
        wait_result(g, "ok")
        self.assertEqual(images_row(g)["failures"], 0)

    def test_builder_that_never_powers_off_times_out_and_is_removed(self):
        self.sim.knobs(builder_fault="never_poweroff")
        g = self.ghrd(build_timeout="2s", retry_min="1h", retry_max="2h")
        row = wait_result(g, "failed")
        self.assertIn("did not power off within build_timeout", row["last_build"]["error"])
        wait_until(lambda: not builder_vms(self.sim), 10, "the hung builder VM deleted")
        self.assertEqual(built_images(self.sim), [])

    def test_apt_failure_is_visible(self):
        self.sim.knobs(builder_fault="apt_fail")
        g = self.ghrd(retry_min="1h", retry_max="2h")
        row = wait_result(g, "failed")
        self.assertIn("stage=apt", row["last_build"]["error"])
        rc, out = g.ctl("image", "build", "runner", "--wait", json_out=False, timeout_ms=30000)
        self.assertEqual(rc, 1, out)
        self.assertIn("build failed", out)

    def test_kill9_of_the_worker_mid_snapshot_cleans_up_and_rebuilds(self):
        self.sim.knobs(snapshot_active_ms=60000)
        g = self.ghrd()
        wait_until(lambda: [i for i in built_images(self.sim) if i["status"] == "saving"], 20,
                   "a snapshot in progress")
        [old_vm] = builder_vms(self.sim)
        self.sim.knobs(snapshot_active_ms=100)
        pid = g.worker("image-builder")["pid"]
        import os
        import signal
        os.kill(pid, signal.SIGKILL)
        row = wait_result(g, "ok", timeout=40)
        self.assertGreaterEqual(row["debris_removed"], 2, row)      # the VM and the half-made image
        self.assertNotIn(old_vm["id"], [s["id"] for s in self.sim.get("/state")["servers"]])
        wait_until(lambda: not builder_vms(self.sim), 10, "no builder VM left")
        imgs = built_images(self.sim)
        self.assertEqual([(i["id"], i["tags"]) for i in imgs], [(row["image_id"], [TAG])])

    def test_kill9_of_ghrd_mid_build_cleans_up_and_rebuilds(self):
        self.sim.knobs(builder_fault="never_poweroff")
        g = self.ghrd()
        wait_until(lambda: builder_vms(self.sim), 20, "a builder VM")
        [old_vm] = builder_vms(self.sim)
        g.kill()
        wait_until(lambda: not g.worker_pids(), 10, "the workers gone with ghrd")
        self.sim.knobs(builder_fault="")
        g.start()
        row = wait_result(g, "ok", timeout=40)
        self.assertNotIn(old_vm["id"], [s["id"] for s in self.sim.get("/state")["servers"]])
        self.assertEqual(len(built_images(self.sim)), 1)
        wait_until(lambda: not builder_vms(self.sim), 10, "no builder VM left")
        self.assertEqual(row["last_build"]["reason"], "no usable image")

    def test_pruning_keeps_keep_and_never_an_image_in_use(self):
        now = time.time()
        mine = {"ghr-manager": "t", "ghr-image": "runner", "ghr-runner-version": "2.330.0"}
        seeded = self.sim.post("/seed", {"images": [
            {"name": "t-runner", "tags": [TAG], "properties": mine, "created_at_ts": now - 3600 * (k + 1)}
            for k in range(4)] + [
            {"name": "hand-made", "tags": [TAG], "created_at_ts": now - 90000}]})["images"]
        in_use = seeded[3]                      # the oldest of ours: a live runner VM booted from it
        self.sim.post("/seed", {"servers": [{"name": "t-small-0000beef", "status": "ACTIVE", "image": in_use,
                                             "metadata": {"ghr-manager": "t", "ghr-pool": "small"}}]})
        g = self.ghrd(interval="24h")
        row = wait_until(lambda: images_row(g)["step"] == "idle" and images_row(g)["image_id"] and images_row(g),
                         20, "the first check")
        self.assertEqual(row["image_id"], seeded[0])
        self.assertEqual(row["last_build"]["result"], "")      # a fresh image of this runner: no build
        rc, out = g.ctl("image", "build", "runner", "--wait", timeout_ms=30000)
        self.assertEqual(rc, 0, out)
        new = out["builds"][0]["last_build"]["image_id"]
        left = {i["id"] for i in self.sim.get("/state")["images"] if TAG in i["tags"]}
        # keep 2 of ours (the new one and the newest seeded), the one in use, the hand-made one
        self.assertEqual(left, {new, seeded[0], in_use, seeded[4]})

    def test_new_runner_version_triggers_a_build(self):
        g = self.ghrd()
        first = wait_result(g, "ok")
        self.sim.knobs(runner_version="2.331.0")
        row = wait_result(g, "ok", after=first["last_build"]["build"])
        self.assertEqual(row["runner_version"], "2.331.0")
        self.assertIn("runner 2.331.0 released", row["last_build"]["reason"])
        [img] = [i for i in built_images(self.sim) if i["id"] == row["image_id"]]
        self.assertEqual(img["properties"]["ghr-runner-version"], "2.331.0")

    def test_two_builds_asked_at_once_make_one(self):
        self.sim.post("/seed", {"images": [{"name": "t-runner", "tags": [TAG],
                                            "properties": {"ghr-manager": "t", "ghr-image": "runner",
                                                           "ghr-runner-version": "2.330.0"}}]})
        self.sim.knobs(builder_run_ms=1500)
        g = self.ghrd()
        rc1, a = g.ctl("image", "build")
        rc2, b = g.ctl("image", "build", "runner")
        self.assertEqual((rc1, rc2), (0, 0), (a, b))
        states = sorted([a["builds"][0]["state"], b["builds"][0]["state"]])
        self.assertIn(states, (["already running", "started"], ["started", "started"]))
        wait_result(g, "ok")
        self.assertEqual(self.sim.counters()["events"]["builder_vms"], 1)
        rc, out = g.ctl("image", "build", "nope")
        self.assertNotEqual(rc, 0)
        self.assertIn("no image named", out)

    def test_not_started_without_images(self):
        self.sim.post("/knobs", KNOBS)
        g = Ghrd(scaler_config([pool(min_idle=0)]), sim=self.sim)
        self.addCleanup(g.close)
        self.assertNotIn("image-builder", [w["name"] for w in g.status()["workers"] if w.get("pid")])
        rc, out = g.ctl("images")
        self.assertEqual(rc, 1, out)
        # a reload that adds an image starts the image builder, which builds it
        cfg = dict(g.config, image_builder=image_builder())
        cfg["pools"] = [pool(min_idle=0, image="tag:" + TAG)]
        g.write_config(cfg)
        rc, out = g.ctl("reload")
        self.assertEqual(rc, 0, out)
        self.assertIn("image-builder", out["restarted"])
        wait_result(g, "ok")


class BaseFromUrl(unittest.TestCase):
    """base_url + base_sha256sums_url: an Ubuntu cloud image from a loopback mirror (the
    simulator's /files), verified, uploaded to Glance once per checksum."""

    def setUp(self):
        self.sim = Sim()
        self.addCleanup(self.sim.close)

    def mirror(self, content, listed=None):
        img = self.sim.post("/files", {"path": "noble/noble-server-cloudimg-amd64.img", "text": content})
        sums = "%s *noble-server-cloudimg-amd64.img\n" % (listed or img["sha256"])
        sums_url = self.sim.post("/files", {"path": "noble/SHA256SUMS",
                                            "text": "%s *other.img\n%s" % ("0" * 64, sums)})["url"]
        return img, sums_url

    def ghrd(self, url, sums_url):
        self.sim.post("/knobs", KNOBS)
        cfg = scaler_config([pool(min_idle=0, image="tag:" + TAG)])
        cfg["image_builder"] = image_builder(retry_min="1h", retry_max="2h", check_interval="1h")
        del cfg["image_builder"]["images"][0]["base_image"]
        cfg["image_builder"]["images"][0].update(base_url=url, base_sha256sums_url=sums_url)
        g = Ghrd(cfg, sim=self.sim)
        self.addCleanup(g.close)
        return g

    def bases(self):
        return [i for i in self.sim.get("/state")["images"] if i["name"] == "t-base-runner"]

    def test_uploaded_once_per_checksum(self):
        img, sums_url = self.mirror("qcow2 image, release 1")
        g = self.ghrd(img["url"], sums_url)
        row = wait_result(g, "ok")
        [base] = self.bases()
        self.assertEqual((base["status"], base["properties"]["ghr-base-sha256"]), ("active", img["sha256"]))
        [built] = [i for i in built_images(self.sim) if i["id"] == row["image_id"]]
        self.assertEqual(built["properties"]["ghr-base-image"], base["id"])
        self.assertEqual(built["properties"]["ghr-base-checksum"], "sha256:" + img["sha256"])
        self.assertEqual(self.sim.counters()["events"]["images_uploaded"], 1)
        # same checksum: the uploaded base is used again
        rc, out = g.ctl("image", "build", "runner", "--wait", timeout_ms=30000)
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.sim.counters()["events"]["images_uploaded"], 1)
        self.assertEqual(self.sim.counters()["events"]["file_downloads"], 1 + 2)   # one image, two SHA256SUMS
        # a new release: uploaded, and the old base deleted
        img2, _ = self.mirror("qcow2 image, release 2")
        rc, out = g.ctl("image", "build", "runner", "--wait", timeout_ms=30000)
        self.assertEqual(rc, 0, out)
        [base2] = self.bases()
        self.assertNotEqual(base2["id"], base["id"])
        self.assertEqual(base2["properties"]["ghr-base-sha256"], img2["sha256"])

    def test_checksum_mismatch_uploads_nothing_and_boots_nothing(self):
        img, sums_url = self.mirror("qcow2 image, tampered", listed="1" * 64)
        g = self.ghrd(img["url"], sums_url)
        row = wait_result(g, "failed")
        self.assertIn("base image checksum mismatch", row["last_build"]["error"])
        self.assertEqual(self.bases(), [])
        self.assertNotIn("builder_vms", self.sim.counters()["events"])
        self.assertEqual(self.sim.counters()["events"].get("images_created", 0), 0)


class OpenstackCalls(unittest.TestCase):
    """The openstack worker's calls for the image builder, alone on the bus."""

    def test_console_tail_and_refusals(self):
        sim = Sim()
        self.addCleanup(sim.close)
        sim.knobs(boot_ms=10)
        w = openstack_worker(password_secret(sim))
        self.addCleanup(w.close)
        r = w.request("os.server.create", create_body("itest-console"))
        self.assertTrue(r["ok"], r)
        sid = r["body"]["id"]
        wait_until(lambda: [s for s in sim.servers("itest-console") if s["status"] == "ACTIVE"], 10, "ACTIVE")
        r = w.request("os.server.console", {"id": sid, "length": 5})
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["body"]["output"], "cloud-init: running modules for final\n")
        for bad in ({"id": sid, "length": 0}, {"id": sid, "length": 10001}, {"id": ""}):
            r = w.request("os.server.console", bad)
            self.assertEqual(r["error"]["code"], "bad_request", (bad, r))
        r = w.request("os.server.console", {"id": "00000000-0000-4000-8000-000000000000"})
        self.assertEqual(r["error"]["code"], "not_found", r)

    def test_base_image_calls_refuse_what_they_cannot_use(self):
        sim = Sim()
        self.addCleanup(sim.close)
        img = sim.post("/files", {"path": "b/base.img", "text": "base"})
        sums = sim.post("/files", {"path": "b/SHA256SUMS", "text": "%s *base.img\n" % img["sha256"]})
        w = openstack_worker(password_secret(sim))
        self.addCleanup(w.close)
        r = w.request("os.image.sha256sums", {"url": sums["url"], "file": "base.img"})
        self.assertEqual(r["body"], {"sha256": img["sha256"]})
        for body, code in (({"url": sums["url"], "file": "other.img"}, "not_found"),
                           ({"url": sums["url"] + "x", "file": "base.img"}, "not_found"),
                           ({"url": "file:///etc/passwd", "file": "passwd"}, "bad_request"),
                           ({"url": sums["url"], "file": "../base.img"}, "bad_request")):
            r = w.request("os.image.sha256sums", body)
            self.assertEqual(r["error"]["code"], code, (body, r))
        for body, code in (({"name": "x", "url": img["url"], "sha256": "nothex"}, "bad_request"),
                           ({"name": "x", "url": img["url"] + "x", "sha256": img["sha256"]}, "not_found"),
                           ({"name": "x", "url": img["url"], "sha256": "0" * 64}, "conflict")):
            r = w.request("os.image.import", body)
            self.assertEqual(r["error"]["code"], code, (body, r))
        self.assertEqual(sim.counters()["events"].get("images_created", 0), 0)
        r = w.request("os.image.import", {"name": "x", "url": img["url"], "sha256": img["sha256"],
                                          "properties": {"k": "v"}})
        self.assertTrue(r["ok"], r)
        got = w.request("os.image.get", {"id": r["body"]["image_id"]})["body"]["image"]
        self.assertEqual((got["status"], got["properties"]["k"]), ("active", "v"))


if __name__ == "__main__":
    unittest.main()
