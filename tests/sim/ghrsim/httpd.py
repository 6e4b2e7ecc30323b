"""HTTP/1.1 plumbing: a threaded server, a request object, a response object.

Why not plain BaseHTTPRequestHandler usage: we need keep-alive (ghr's libcurl
reuses connections and benchmarks need >1,500 req/s), a reply written in ONE
send (header and body in separate small writes meet Nagle + delayed ACK and cost
40 ms per request), and two fault modes the stdlib cannot express: a connection
reset (RST, via SO_LINGER 0) and a hang (no answer until the client gives up).
"""
import email.utils
import json
import select
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 16 * 1024 * 1024

REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 300: "Multiple Choices",
    301: "Moved Permanently", 302: "Found", 304: "Not Modified", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 409: "Conflict", 411: "Length Required", 413: "Request Entity Too Large",
    414: "URI Too Long", 415: "Unsupported Media Type", 431: "Request Header Fields Too Large", 422: "Unprocessable Entity", 429: "Too Many Requests",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}


class BadJSON(Exception):
    pass


class Request:
    __slots__ = ("method", "target", "path", "query", "headers", "body", "client",
                 "service", "region", "interface", "sub", "route", "params", "ctx", "t0", "_json")

    def __init__(self, method, target, headers, body, client):
        self.method = method
        self.target = target
        parts = urlsplit(target)
        self.path = parts.path
        self.query = parse_qs(parts.query, keep_blank_values=True) if parts.query else {}
        self.headers = headers
        self.body = body
        self.client = client
        self.service = None
        self.region = None
        self.interface = None
        self.sub = None       # path below the service prefix
        self.route = None     # route name, for counters
        self.params = None    # regex groups of the route
        self.ctx = {}         # per-request scratch (auth identity, fault notes)
        self.t0 = time.monotonic()
        self._json = None

    def q(self, name, default=None):
        v = self.query.get(name)
        return v[0] if v else default

    def qall(self, name):
        return self.query.get(name, [])

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def json(self):
        """Parsed body; BadJSON when it is not JSON (each service answers that its own way)."""
        if self._json is None:
            if not self.body:
                raise BadJSON("empty body")
            try:
                self._json = json.loads(self.body)
            except (ValueError, UnicodeDecodeError) as e:
                raise BadJSON(str(e))
        return self._json


class Response:
    __slots__ = ("status", "headers", "body", "action", "hang_ms")

    def __init__(self, status=200, body=b"", headers=None, ctype="application/json"):
        self.status = status
        self.headers = headers if headers is not None else []
        if isinstance(body, str):
            body = body.encode()
        self.body = body
        if ctype and body:
            self.headers.append(("Content-Type", ctype))
        self.action = None     # None, "reset", "hang"
        self.hang_ms = 0

    def header(self, name):
        ln = name.lower()
        for k, v in self.headers:
            if k.lower() == ln:
                return v
        return None

    def set_header(self, name, value):
        ln = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != ln]
        self.headers.append((name, str(value)))


def json_response(status, obj, headers=None):
    if obj is None:
        return Response(status, b"", headers)
    return Response(status, json.dumps(obj, separators=(",", ":")).encode(), headers)


def reset_response():
    r = Response(0)
    r.action = "reset"
    return r


def hang_response(ms):
    r = Response(0)
    r.action = "hang"
    r.hang_ms = ms
    return r


_date_cache = [0, ""]


def http_date():
    t = int(time.time())
    if _date_cache[0] != t:
        _date_cache[0] = t
        _date_cache[1] = email.utils.formatdate(t, usegmt=True)
    return _date_cache[1]


class Headers(dict):
    """Request headers, keys lower-cased.  A plain dict is several times cheaper
    than the email.message object the stdlib builds for every request."""

    def get(self, name, default=None):
        return dict.get(self, name.lower(), default)

    def __getitem__(self, name):
        return dict.__getitem__(self, name.lower())

    def __contains__(self, name):
        return dict.__contains__(self, name.lower())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ghr-sim"
    sys_version = ""
    # A request that started arriving must complete within this many seconds.  How long an
    # idle keep-alive connection is kept, and how many requests it may carry, is the app's
    # conn_limits() (knobs keepalive_idle_ms / max_requests_per_conn on the API port).
    timeout = 120
    nreq = 0

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, fmt, *args):  # the app logs; the stdlib line is noise
        pass

    def handle_one_request(self):
        """Read one request (request line + headers) and dispatch it.

        Replaces BaseHTTPRequestHandler's parsing for speed; keeps its rules:
        HTTP/1.1 keep-alive unless "Connection: close", HTTP/1.0 closes unless
        "Connection: keep-alive", "Expect: 100-continue" answered."""
        idle_ms, max_reqs = self.server.app.conn_limits()
        try:
            self.connection.settimeout(idle_ms / 1000.0 if idle_ms > 0 else self.timeout)
            line = self.rfile.readline(65537)
            self.connection.settimeout(self.timeout)
            if not line:
                self.close_connection = True
                return
            if line in (b"\r\n", b"\n"):
                return      # stray CRLF between keep-alive requests
            if len(line) > 65536:
                self.close_connection = True
                self.request_version = "HTTP/1.1"
                self.command = "GET"
                self._write(Response(414, b"request line too long\n", ctype="text/plain"))
                return
            parts = line.decode("latin-1").split()
            if len(parts) != 3 or not parts[2].startswith("HTTP/"):
                self.close_connection = True
                self.command = "GET"
                self._write(Response(400, b"bad request line\n", ctype="text/plain"))
                return
            self.command, self.path, self.request_version = parts
            self.requestline = line.decode("latin-1").rstrip("\r\n")
            headers = Headers()
            for _ in range(200):
                h = self.rfile.readline(65537)
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode("latin-1").partition(":")
                k = k.strip().lower()
                v = v.strip()
                if k in headers:
                    headers[k] = headers[k] + ", " + v
                else:
                    headers[k] = v
            else:
                self.close_connection = True
                self._write(Response(431, b"too many headers\n", ctype="text/plain"))
                return
            self.headers = headers
            conn = headers.get("connection", "").lower()
            if self.request_version == "HTTP/1.0":
                self.close_connection = conn != "keep-alive"
            else:
                self.close_connection = conn == "close"
            self.nreq += 1
            if max_reqs > 0 and self.nreq >= max_reqs:
                self.close_connection = True      # "Connection: close" on this reply, then close
            if headers.get("expect", "").lower() == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            if self.command not in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"):
                self._write(Response(501, b"unsupported method\n", ctype="text/plain"))
                return
            self._dispatch()
        except (TimeoutError, ConnectionError):
            self.close_connection = True

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(n) if n > 0 else b""

    def _dispatch(self):
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._write(Response(400, b"bad body\n", ctype="text/plain"))
            return
        req = Request(self.command, self.path, self.headers, body, self.client_address)
        try:
            resp = self.server.app(req)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            resp = Response(500, b'{"message":"simulator bug"}')
        if resp.action == "reset":
            self._reset()
            return
        if resp.action == "hang":
            self._hang(resp.hang_ms)
            return
        self._write(resp)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _dispatch

    def _write(self, resp):
        status = resp.status
        out = ["HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, "Unknown"))]
        body = resp.body
        if status in (204, 304) or (100 <= status < 200):
            body = b""
        for k, v in resp.headers:
            out.append("%s: %s\r\n" % (k, v))
        out.append("Date: %s\r\nServer: ghr-sim\r\n" % http_date())
        if status not in (204, 304):
            out.append("Content-Length: %d\r\n" % len(body))
        if self.close_connection:
            out.append("Connection: close\r\n")
        out.append("\r\n")
        data = "".join(out).encode("latin-1")
        if self.command != "HEAD":
            data += body
        try:
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def _reset(self):
        # SO_LINGER with a zero timeout makes close() send RST: the client sees
        # "connection reset by peer", not a clean EOF.
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _hang(self, ms):
        """Say nothing until the client hangs up, the time is over, or the fault is cleared."""
        self.close_connection = True
        app = self.server.app
        gen = app.hang_generation()
        deadline = time.monotonic() + (ms / 1000.0 if ms else 3600.0)
        sock = self.connection
        while time.monotonic() < deadline and app.hang_generation() == gen and not app.stopping:
            try:
                r, _, _ = select.select([sock], [], [], 0.05)
                if r:
                    if not sock.recv(1, socket.MSG_PEEK):
                        break  # client gave up
                    time.sleep(0.05)
            except OSError:
                break
        self._reset()


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, port, app):
        self.app = app
        super().__init__(("127.0.0.1", port), Handler)

    def server_bind(self):
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can
        # take seconds; we only ever bind loopback.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def handle_error(self, request, client_address):
        # A client that vanished mid-request is normal under fault injection.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


def serve(port, app):
    srv = Server(port, app)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    return srv, t
