"""Signed workflow_job deliveries: headers, signature, order of actions, drop/duplicate/redeliver."""
import hashlib
import hmac
import json
import re
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import simtest as T


class Receiver:
    """A webhook endpoint on loopback that records what it gets."""

    def __init__(self, status=200):
        self.got = []
        self.status = status
        rec = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                rec.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(rec.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass
        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/webhook" % self.srv.server_address[1]

    def actions(self, job_id=None):
        out = []
        for h, b in self.got:
            p = json.loads(b)
            if job_id is None or p["workflow_job"]["id"] == job_id:
                out.append(p["action"])
        return out

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class Webhooks(T.SimTestCase):
    def setUp(self):
        super().setUp()
        self.rx = Receiver()
        self.cj("POST", "/knobs", {"webhook_url": self.rx.url, "webhook_secret": "s3cret"})

    def tearDown(self):
        self.rx.close()

    def run_job(self, name="wh-1"):
        jit = self.jit(name, ["self-hosted"])
        self.create_server(name, T.user_data_for(jit["encoded_jit_config"]))
        return self.cj("POST", "/jobs", {"labels": ["self-hosted"]})["jobs"][0]

    def test_signed_deliveries_through_the_job(self):
        jid = self.run_job()
        T.wait_for(lambda: sorted(self.rx.actions(jid)) == ["completed", "in_progress", "queued"], what="3 deliveries")
        for headers, body in self.rx.got:
            self.assertEqual(headers["x-github-event"], "workflow_job")
            self.assertRegex(headers["x-github-delivery"], r"^[0-9a-f-]{36}$")
            want = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
            self.assertTrue(hmac.compare_digest(headers["x-hub-signature-256"], want))
            self.assertEqual(headers["content-type"], "application/json")
            self.assertTrue(headers["user-agent"].startswith("GitHub-Hookshot/"))
            p = json.loads(body)
            self.assertEqual(p["repository"]["full_name"], "ghr-org/ghr-repo")
            self.assertEqual(p["workflow_job"]["url"], "%s/github/repos/ghr-org/ghr-repo/actions/jobs/%d" % (self.api, jid))
            self.assertEqual(p["workflow_job"]["status"], p["action"])
            if p["action"] != "queued":
                self.assertEqual(p["workflow_job"]["runner_name"], "wh-1")
        T.wait_for(lambda: all(d["status"] == "OK" for d in self.cj("GET", "/webhooks")["deliveries"]))

    def test_drop_then_redeliver(self):
        self.cj("POST", "/faults", {"kind": "drop", "service": "webhook", "path": "queued", "count": 1})
        jid = self.cj("POST", "/jobs", {"labels": ["nobody-has-this"]})["jobs"][0]
        ds = self.cj("GET", "/webhooks")["deliveries"]
        self.assertEqual([(d["action"], d["status_code"], d["status"]) for d in ds], [("queued", 0, "timed out")])
        self.assertEqual(self.rx.got, [])
        # the ghr way: GitHub's deliveries API
        api = self.gh("GET", "/orgs/ghr-org/hooks/1/deliveries").json
        self.assertEqual(api[0]["id"], ds[0]["id"])
        self.assertEqual(self.gh("POST", "/orgs/ghr-org/hooks/1/deliveries/%d/attempts" % ds[0]["id"]).status, 202)
        T.wait_for(lambda: self.rx.actions(jid) == ["queued"])
        self.assertEqual(self.rx.got[0][0]["x-github-delivery"], ds[0]["guid"])
        ds = self.cj("GET", "/webhooks")["deliveries"]
        self.assertTrue(ds[0]["redelivery"])
        full = self.gh("GET", "/orgs/ghr-org/hooks/1/deliveries/%d" % ds[1]["id"]).json
        self.assertEqual(full["request"]["payload"]["workflow_job"]["id"], jid)
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/hooks/2/deliveries").status, 404)
        # and the control way
        self.cj("POST", "/webhooks/%d/redeliver" % ds[1]["id"])
        T.wait_for(lambda: len(self.rx.got) == 2)

    def test_duplicate_and_failure_status(self):
        self.cj("POST", "/faults", {"kind": "duplicate", "service": "webhook", "count": 1})
        jid = self.cj("POST", "/jobs", {"labels": ["nobody-has-this"]})["jobs"][0]
        T.wait_for(lambda: self.rx.actions(jid) == ["queued", "queued"])
        self.assertEqual(self.rx.got[0][0]["x-github-delivery"], self.rx.got[1][0]["x-github-delivery"])
        self.rx.status = 500
        self.cj("POST", "/jobs", {"labels": ["nobody-has-this"]})
        T.wait_for(lambda: self.cj("GET", "/webhooks?status=failure")["deliveries"])
        d = self.cj("GET", "/webhooks?status=failure")["deliveries"][0]
        self.assertEqual((d["status_code"], d["status"]), (500, "Invalid HTTP Response: 500"))

    def test_deliveries_pagination(self):
        for _ in range(5):
            self.cj("POST", "/jobs", {"labels": ["nobody-has-this"]})
        r = self.gh("GET", "/orgs/ghr-org/hooks/1/deliveries?per_page=2")
        ids = [d["id"] for d in r.json]
        while True:
            m = re.search(r'<([^>]+)>; rel="next"', r.h("Link") or "")
            if not m:
                break
            r = self.call("GET", m.group(1)[len(self.api):], headers=T.gh_headers())
            ids += [d["id"] for d in r.json]
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertEqual(len(ids), 5)


if __name__ == "__main__":
    unittest.main()
