"""HTTP/1.1 plumbing: keep-alive, chunked bodies, Expect: 100-continue, HTTP/1.0, junk."""
import json
import socket
import unittest

import simtest as T


class Http(T.SimTestCase):
    def raw(self, data, read_until_close=True):
        s = socket.create_connection(("127.0.0.1", self.sim.api_srv.server_address[1]), timeout=5)
        try:
            s.sendall(data)
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                if not read_until_close and b"\r\n\r\n" in out:
                    break
            return out
        finally:
            s.close()

    def test_keep_alive_two_requests_one_connection(self):
        req = (b"GET /github/rate_limit HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n"
               b"GET /github/rate_limit HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\nConnection: close\r\n\r\n")
        out = self.raw(req)
        self.assertEqual(out.count(b"HTTP/1.1 200 OK"), 2)

    def test_http10_closes(self):
        out = self.raw(b"GET /github/rate_limit HTTP/1.0\r\nUser-Agent: t\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200"))
        self.assertIn(b"Connection: close", out)

    def test_chunked_and_expect(self):
        body = json.dumps(T.password_auth()).encode()
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        out = self.raw(b"POST /identity/v3/auth/tokens HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       b"Content-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n" + chunked)
        self.assertTrue(out.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201"), out[:80])

    def test_junk(self):
        self.assertTrue(self.raw(b"HELLO\r\n\r\n").startswith(b"HTTP/1.1 400"))
        self.assertTrue(self.raw(b"BREW /x HTTP/1.1\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 501"))
        r = self.call("GET", "/nowhere")
        self.assertEqual(r.status, 404)
        r = self.call("PUT", "/compute/v2.1/servers/detail", headers={"X-Auth-Token": self.token()})
        self.assertEqual(r.status, 405)
        c = self.counters()
        self.assertIn("none GET unmatched", c["requests"])


if __name__ == "__main__":
    unittest.main()
