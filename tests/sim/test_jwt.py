"""GitHub App: RS256 JWT verified with the stdlib RSA code, installation tokens."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import simtest as T
from ghrsim import jwtrsa

OPENSSL = shutil.which("openssl")


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


@unittest.skipUnless(OPENSSL, "openssl CLI not installed")
class AppTokens(T.SimTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="ghr-sim-jwt-")
        cls.key = os.path.join(cls.tmp, "app.pem")
        cls.other = os.path.join(cls.tmp, "other.pem")
        for k in (cls.key, cls.other):
            subprocess.run([OPENSSL, "genrsa", "-out", k, "2048"], check=True, capture_output=True)
        cls.pub = subprocess.run([OPENSSL, "rsa", "-in", cls.key, "-pubout"], check=True,
                                 capture_output=True, text=True).stdout
        cls.pub_pkcs1 = subprocess.run([OPENSSL, "rsa", "-in", cls.key, "-RSAPublicKey_out"], check=True,
                                       capture_output=True, text=True).stdout

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.cj("POST", "/github", {"app": {"public_key_pem": self.pub}})

    def sign(self, claims, key=None, header=None):
        head = b64url(json.dumps(header or {"alg": "RS256", "typ": "JWT"}).encode())
        body = b64url(json.dumps(claims).encode())
        sig = subprocess.run([OPENSSL, "dgst", "-sha256", "-sign", key or self.key],
                             input=(head + "." + body).encode(), check=True, capture_output=True).stdout
        return head + "." + body + "." + b64url(sig)

    def claims(self, **kw):
        now = int(time.time())
        c = {"iat": now - 60, "exp": now + 540, "iss": "Iv1.ghrsim0000000001"}
        c.update(kw)
        return c

    def access(self, jwt, inst=4242):
        return self.gh("POST", "/app/installations/%d/access_tokens" % inst, token=jwt)

    def test_key_parsing(self):
        n1, e1 = jwtrsa.load_pem(self.pub)
        n2, e2 = jwtrsa.load_pem(self.pub_pkcs1)
        with open(self.key) as f:
            n3, e3 = jwtrsa.load_pem(f.read())
        self.assertEqual((n1, e1), (n2, e2))
        self.assertEqual((n1, e1), (n3, e3))
        self.assertEqual(e1, 65537)
        self.assertEqual(n1.bit_length(), 2048)

    def test_token_exchange_and_use(self):
        r = self.access(self.sign(self.claims()))
        self.assertEqual(r.status, 201, r)
        tok = r.json["token"]
        self.assertTrue(tok.startswith("ghs_"))
        self.assertTrue(r.json["expires_at"].endswith("Z"))
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners", token=tok).status, 200)
        # iss may also be the numeric app id
        self.assertEqual(self.access(self.sign(self.claims(iss=12345))).status, 201)
        inst = self.gh("GET", "/orgs/ghr-org/installation", token=self.sign(self.claims()))
        self.assertEqual((inst.status, inst.json["id"]), (200, 4242))

    def test_refusals(self):
        cases = {
            "wrong key": self.sign(self.claims(), key=self.other),
            "expired": self.sign(self.claims(iat=int(time.time()) - 700, exp=int(time.time()) - 100)),
            "exp too far": self.sign(self.claims(exp=int(time.time()) + 1200)),
            "iat in the future": self.sign(self.claims(iat=int(time.time()) + 120)),
            "wrong iss": self.sign(self.claims(iss="someone-else")),
            "alg none": self.sign(self.claims(), header={"alg": "none"}),
        }
        good = self.sign(self.claims())
        h, b, s = good.split(".")
        cases["tampered"] = h + "." + b64url(json.dumps(self.claims(iss=999)).encode()) + "." + s
        cases["garbage"] = "not.a.jwt"
        for what, jwt in cases.items():
            r = self.access(jwt)
            self.assertEqual(r.status, 401, what)
            self.assertIn("message", r.json)
        self.assertEqual(self.access(good, inst=1).status, 404)
        # a PAT is not a JWT, and a JWT is not a token
        self.assertEqual(self.access(T.PAT).status, 401)
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners", token=good).status, 401)

    def test_installation_token_expires(self):
        self.cj("POST", "/knobs", {"installation_token_lifetime_ms": 200})
        tok = self.access(self.sign(self.claims())).json["token"]
        self.assertEqual(self.gh("GET", "/orgs/ghr-org/actions/runners", token=tok).status, 200)
        T.wait_for(lambda: self.gh("GET", "/orgs/ghr-org/actions/runners", token=tok).status == 401,
                   what="installation token expiry")
        self.assertEqual(self.access(self.sign(self.claims())).status, 201, "renewal works")


class RsaUnit(unittest.TestCase):
    def test_verify_rejects_wrong_lengths(self):
        n = (1 << 2047) + 12345
        self.assertFalse(jwtrsa.rsa_pkcs1v15_sha256_verify(n, 65537, b"x", b"\x01" * 10))
        self.assertFalse(jwtrsa.rsa_pkcs1v15_sha256_verify(n, 65537, b"x", b"\xff" * 256))

    def test_bad_pem(self):
        for pem in ("", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"):
            with self.assertRaises(ValueError):
                jwtrsa.load_pem(pem)


if __name__ == "__main__":
    unittest.main()
