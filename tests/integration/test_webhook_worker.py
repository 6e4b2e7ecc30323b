"""The webhook worker against bad input of every kind: nothing stored, the right status,
and it keeps serving; duplicates, out-of-order deliveries, labels fitting no pool.  And
its start: a TLS key that stays root's only, an address in use retried."""
import grp
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest
import urllib.request

from ferret import Ferret
from harness import Sim, wait_until
from reactive_common import (counts, get, job_payload, jobs, post, reactive_pool, sign,
                             start_reactive)


class WebhookWorker(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = Ferret()
        cls.sim = Sim()
        # One consumer (it serves `ghr-ctl jobs`); the simulator knows none of these jobs,
        # so each one the consumer claims is done at once ("GitHub no longer knows").
        cls.g = start_reactive(cls.sim, cls.db, [reactive_pool("rx", labels=["rx", "gpu"])],
                               consumers=1, sim_webhook=False, webhook={"max_body": 4096})

    @classmethod
    def tearDownClass(cls):
        cls.g.close()
        cls.sim.stop()
        cls.db.close()

    def show(self, job_id):
        return self.g.ctl("jobs", "show", str(job_id))

    def status(self):
        rc, st = self.g.call("webhook.status")
        self.assertEqual(rc, 0, st)
        return st

    def test_bad_input_rejected_and_nothing_stored(self):
        url = self.g.webhook_url
        body = json.dumps(job_payload(1001)).encode()
        cases = [
            ("forged", dict(body=body, signature=sign(body, "wrong-secret")), 401),
            ("unsigned", dict(body=body, signature=None), 401),
            ("malformed sig", dict(body=body, signature="sha256=zz"), 401),
            ("malformed json", dict(body=b'{"action": "queued", ', signature=sign(b'{"action": "queued", ')), 400),
            ("not a job", dict(body=b'{"action": "queued"}', signature=sign(b'{"action": "queued"}')), 400),
            ("foreign repo", dict(body=json.dumps(job_payload(1002, repo="other-org/x")).encode()), 400),
            ("oversized", dict(body=json.dumps(dict(job_payload(1003), pad="x" * 5000)).encode()), 413),
        ]
        for name, kw, want in cases:
            code, out = post(url, **kw)
            self.assertEqual(code, want, f"{name}: {out}")
        code, _ = post(url, body, event="push")
        self.assertEqual(code, 202)
        code, _ = post(url, b'{"zen": "hi"}', event="ping")
        self.assertEqual(code, 200)
        code, out = post(url, body, event=None)
        self.assertEqual(code, 400, out)
        st = self.status()
        self.assertEqual(st["counters"]["unauthorized"], 3, st)
        self.assertEqual(st["counters"]["foreign"], 1, st)
        self.assertGreaterEqual(st["counters"]["malformed"], 2, st)
        self.assertEqual(st["counters"]["other_events"], 1, st)
        self.assertEqual(st["counters"]["accepted"], 0, st)
        for job_id in (1001, 1002, 1003):
            rc, out = self.show(job_id)
            self.assertEqual(rc, 1, out)
            self.assertIn("no job", out)
        # and it still serves
        code, out = get(self.g.health_url)
        self.assertEqual(code, 200, out)
        self.assertEqual(self.g.worker("webhook")["restarts"], 0)

    def test_duplicates_one_job_and_out_of_order(self):
        url = self.g.webhook_url
        body = json.dumps(job_payload(2001, labels=["self-hosted", "GPU"])).encode()
        for i in range(5):
            code, out = post(url, body, delivery="same-guid")
            self.assertEqual(code, 200, out)
        # a redelivery by GitHub carries a new delivery id: still one job
        code, _ = post(url, body, delivery="redelivered")
        self.assertEqual(code, 200)
        rc, out = wait_until(lambda: (lambda r: r[0] == 0 and r)(self.show(2001)), 20, "job 2001 stored")
        self.assertEqual(out["job"]["pool"], "rx")
        self.assertEqual(out["job"]["labels"], ["self-hosted", "gpu"])
        self.assertEqual(out["job"]["deliveries"], ["same-guid"])
        # one job: claimed once, finished once
        out = wait_until(lambda: (lambda r: r[1]["job"]["status"] == "done" and r[1])(self.show(2001)), 20,
                         "job 2001 done")
        self.assertIn("no longer knows", out["job"]["reason"])
        self.assertGreaterEqual(out["job"]["attempt"], 1)
        wait_until(lambda: counts(self.g) == {}, 20, "no live job left")

    def test_labels_fitting_no_pool_dead_with_reason(self):
        body = json.dumps(job_payload(3001, labels=["self-hosted", "arm64", "huge"])).encode()
        code, _ = post(self.g.webhook_url, body, delivery="d-3001")
        self.assertEqual(code, 200)
        rc, out = wait_until(lambda: (lambda r: r[0] == 0 and r)(self.show(3001)), 20, "job 3001 stored")
        self.assertEqual(out["job"]["status"], "dead")
        self.assertIn("fit no reactive pool", out["job"]["reason"])
        dead = wait_until(lambda: [d for d in jobs(self.g)["dead"] if d["id"] == 3001], 10, "3001 listed dead")
        self.assertIn('"huge"', dead[0]["reason"])

    def test_completed_before_queued_not_resurrected(self):
        url = self.g.webhook_url
        done = json.dumps(job_payload(4001, action="completed", runner_name="elsewhere")).encode()
        code, _ = post(url, done, delivery="d-4001-c")
        self.assertEqual(code, 200)
        # waiting is recorded but is no job yet
        code, _ = post(url, json.dumps(job_payload(4002, action="waiting")).encode(), delivery="d-4002-w")
        self.assertEqual(code, 200)
        wait_until(lambda: self.status()["spooled"] == 0, 20, "spool drained")
        rc, out = self.show(4002)
        self.assertEqual(rc, 1, out)
        # the late queued is recorded as done at once: nothing is claimed or spawned for it
        code, _ = post(url, json.dumps(job_payload(4001)).encode(), delivery="d-4001-q")
        self.assertEqual(code, 200)
        rc, out = wait_until(lambda: (lambda r: r[0] == 0 and r)(self.show(4001)), 20, "job 4001 stored")
        self.assertEqual(out["job"]["status"], "done")
        self.assertIn("completed before its queued delivery", out["job"]["reason"])
        self.assertEqual(out["job"]["attempt"], 0)


class WebhookStart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = Ferret()
        cls.sim = Sim()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.db.close()

    @unittest.skipUnless(os.geteuid() == 0, "needs root to switch users")
    def test_tls_key_root_only_handed_over_by_ghrd(self):
        """The worker runs as another user; its TLS key is root:root 0600, read by ghrd
        and handed over with its secret (the certificate stays a plain file)."""
        nobody = pwd.getpwnam("nobody")
        group = grp.getgrgid(nobody.pw_gid).gr_name
        tmp = tempfile.mkdtemp(prefix="ghr-tls-")
        self.addCleanup(shutil.rmtree, tmp, True)
        key, cert = os.path.join(tmp, "tls.key"), os.path.join(tmp, "tls.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
        os.chown(key, 0, 0)
        os.chmod(key, 0o600)
        os.chmod(cert, 0o644)
        spool = os.path.join(tmp, "spool")
        os.mkdir(spool, 0o700)
        os.chown(spool, nobody.pw_uid, nobody.pw_gid)
        os.chmod(tmp, 0o755)
        g = start_reactive(self.sim, self.db, [reactive_pool("rx")], consumers=0, sim_webhook=False,
                           webhook={"tls_cert_file": cert, "tls_key_file": key, "spool_dir": spool},
                           config={"supervisor": {"user": "nobody", "group": group}}, wait_ready=False)
        self.addCleanup(g.close)
        os.chmod(g.tmp, 0o755)           # the workers must reach their RUN_DIR/w* as nobody
        g.wait_ready(30)
        ctx = ssl.create_default_context(cafile=cert)
        ctx.check_hostname = False
        url = g.health_url.replace("http://", "https://")
        with urllib.request.urlopen(url, timeout=5, context=ctx) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(json.loads(r.read())["store"], "up")
        with open(key) as f:
            pem = f.read()
        self.assertNotIn(pem.splitlines()[1], g.log())
        self.assertRegex(g.log(), r"webhook listening.* tls=on")
        self.assertEqual(g.worker("webhook")["restarts"], 0)

    def test_address_in_use_is_retried(self):
        """Another process holds webhook.listen for a while: the worker exits 1 and is
        restarted with backoff, not failed, and serves once the address is free."""
        holder = socket.socket()
        self.addCleanup(holder.close)
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        g = start_reactive(self.sim, self.db, [reactive_pool("rx")], consumers=0, sim_webhook=False,
                           webhook={"listen": f"127.0.0.1:{port}"}, wait_ready=False)
        self.addCleanup(g.close)
        wait_until(lambda: g.worker("webhook")["restarts"] >= 1, 20, "the webhook worker restarted")
        self.assertIn("address in use", g.log())
        self.assertNotEqual(g.worker("webhook")["state"], "failed")
        holder.close()
        wait_until(lambda: g.worker("webhook")["state"] == "ready", 20, "the webhook worker serving")
        code, out = get(f"http://127.0.0.1:{port}/health")
        self.assertEqual(code, 200, out)


if __name__ == "__main__":
    unittest.main()


class SpoolFull(unittest.TestCase):
    def test_store_down_spool_full_503_then_drained(self):
        with Ferret() as db, Sim() as sim, \
                start_reactive(sim, db, [reactive_pool("rx")], consumers=1, sim_webhook=False,
                               webhook={"spool_max": 3}) as g:
            wait_until(lambda: get(g.health_url)[1].get("store") == "up", 20, "store up")
            db.stop()
            for i in range(3):
                code, out = post(g.webhook_url, json.dumps(job_payload(7000 + i)).encode(), delivery=f"s-{i}")
                self.assertEqual(code, 200, out)
            code, out = post(g.webhook_url, json.dumps(job_payload(7003)).encode(), delivery="s-3")
            self.assertEqual(code, 503, out)
            self.assertIn("spool full", out["error"])

            def health_503():
                code, h = get(g.health_url)
                return code == 503 and h
            h = wait_until(health_503, 30, "/health 503 while the store is down and the spool full")
            self.assertEqual(h["store"], "down")
            self.assertTrue(h.get("reason"), h)
            db.start()
            def drained():
                code, h = get(g.health_url)
                return code == 200 and h["spooled"] == 0
            wait_until(drained, 60, "spool drained into the store")
            rc, out = g.ctl("jobs", "show", "7002")
            self.assertEqual(rc, 0, out)
            rc, out = g.ctl("jobs", "show", "7003")
            self.assertEqual(rc, 1, out)          # answered 503: GitHub redelivers it, nothing stored
            self.assertEqual(g.worker("webhook")["restarts"], 0)
