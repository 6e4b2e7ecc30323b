"""ghrd against hostile or unlucky conditions: kill -9 of ghrd, a second ghrd, garbage on
the bus and the control socket, a worker that never says hello, an impostor on the bus."""
import json
import os
import signal
import stat
import subprocess
import time
import unittest

from harness import GHRD, Ghrd, Zmtp, pid_alive, wait_until


def fakes(n=2, args=None):
    w = {"instances": n}
    if args:
        w["args"] = args
    return {"workers": {"fake": w}}


def req(method, body=None, id=1, to="ghrd"):
    return json.dumps({"v": 1, "kind": "req", "id": id, "from": "t", "to": to, "method": method,
                       "deadline_ms": int(time.time() * 1000) + 5000, "body": body or {}}).encode()


class Robust(unittest.TestCase):
    def test_kill_9_of_ghrd_leaves_no_worker_behind(self):
        with Ghrd(fakes(3)) as g:
            pids = g.worker_pids()
            self.assertEqual(len(pids), 3)
            g.proc.kill()
            g.proc.wait(5)
            t0 = time.monotonic()
            wait_until(lambda: not any(pid_alive(p) for p in pids), 10, "every worker gone")
            print(f"workers gone {1000 * (time.monotonic() - t0):.0f} ms after kill -9 of ghrd")

    def test_kill_9_of_ghrd_with_a_worker_that_ignores_sigterm(self):
        with Ghrd(fakes(1, ["--ignore-term"])) as g:
            pids = g.worker_pids()
            g.proc.kill()
            g.proc.wait(5)
            wait_until(lambda: not any(pid_alive(p) for p in pids), 10, "the worker gone (fd 3 EOF)")

    def test_second_ghrd_on_the_same_run_dir_refuses(self):
        with Ghrd(fakes(1)) as g:
            p = subprocess.run([GHRD, "-f", g.config_path], capture_output=True, text=True,
                               timeout=10)
            self.assertEqual(p.returncode, 1)
            self.assertIn("another ghrd is running", p.stderr)
            self.assertEqual(g.status()["pid"], g.proc.pid)   # the first one still serves
            g.stop()

    def test_stale_socket_is_replaced(self):
        with Ghrd(fakes(1), start=False) as g:
            os.makedirs(g.run_dir, mode=0o750, exist_ok=True)
            import socket
            for name in ("control", "control.admin"):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(os.path.join(g.run_dir, name))   # bound, never listening: stale
                s.close()
            g.start()
            st = g.status()
            self.assertEqual(st["pid"], g.proc.pid)
            self.assertEqual(st["control_socket"], f"ipc://{g.run_dir}/control.admin")
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(g.run_dir, "control.admin")).st_mode),
                             0o600)
            g.stop()
            for name in ("control", "control.admin"):   # removed at exit
                self.assertFalse(os.path.exists(os.path.join(g.run_dir, name)), name)

    def test_second_ghrd_refuses_while_the_admin_socket_answers(self):
        # the lock file and the public socket gone: the admin socket still says who serves
        with Ghrd(fakes(1)) as g:
            os.unlink(os.path.join(g.run_dir, "ghrd.lock"))
            os.unlink(os.path.join(g.run_dir, "control"))
            p = subprocess.run([GHRD, "-f", g.config_path], capture_output=True, text=True,
                               timeout=10)
            self.assertEqual(p.returncode, 1)
            self.assertIn(f"({g.run_dir}/control.admin answers)", p.stderr)
            self.assertEqual(g.status()["pid"], g.proc.pid)
            g.stop()

    def test_garbage_from_a_worker_is_counted_and_dropped(self):
        with Ghrd(fakes(2, ["--on", "fake.1", "--garbage", "16"])) as g:
            w = wait_until(lambda: (lambda w: w["bad_frames"] >= 14 and w)(g.worker("fake.1")),
                           5, "bad frames counted")
            self.assertEqual(w["state"], "ready")
            self.assertEqual(g.worker("fake.2")["bad_frames"], 0)
            rc, r = g.call("fake.echo", {"j": 1}, to="fake.1")
            self.assertEqual((rc, r), (0, {"j": 1}))
            self.assertIn("bad frame on the bus dropped", g.log())
            g.stop()

    def test_garbage_on_the_control_socket_is_answered(self):
        with Ghrd(fakes(1)) as g:
            z = Zmtp(os.path.join(g.run_dir, "control"))
            try:
                for junk in (b"nonsense", b"{}", b"[1]", b'{"v":1,"kind":"req","id":5}',
                             b"\xff\xfe", req("sup.status")[:-5], b""):
                    z.send(junk)
                    rep = json.loads(z.recv()[0])
                    self.assertEqual(rep["kind"], "rep")
                    self.assertFalse(rep["ok"])
                    self.assertEqual(rep["error"]["code"], "bad_request", junk)
                z.send(b'{"v":1,"kind":"req","id":9,"from":"t"}')
                self.assertEqual(json.loads(z.recv()[0])["id"], 9)
                z.send(b"a", b"b", b"c")       # multi-part: answered, nothing crashes
                rep = json.loads(z.recv()[0])
                self.assertEqual(rep["error"]["code"], "bad_request")
                self.assertIn("one frame; this message had 3", rep["error"]["message"])
                z.send(b"x" * (1536 * 1024))   # over 1 MiB: answered, not decoded
                rep = json.loads(z.recv()[0])
                self.assertIn("over the 1048576-byte limit", rep["error"]["message"])
                z.send(req("sup.version", id=77))
                rep = json.loads(z.recv()[0])
                self.assertEqual((rep["id"], rep["ok"]), (77, True))
            finally:
                z.close()
            # nesting beyond the limit: answered
            z = Zmtp(os.path.join(g.run_dir, "control"))
            try:
                z.send(req("sup.status", body={"a": json.loads("[" * 200 + "]" * 200)}, id=3))
                rep = json.loads(z.recv()[0])
                self.assertEqual(rep["error"]["code"], "bad_request")
            finally:
                z.close()
            # a frame over the receive limit: the connection is dropped, ghrd carries on
            z = Zmtp(os.path.join(g.run_dir, "control"), timeout=2)
            try:
                with self.assertRaises((ConnectionError, OSError)):
                    z.send(b"x" * (2 * 1024 * 1024 + 1))
                    z.recv()
            finally:
                z.close()
            st = g.status()
            self.assertGreaterEqual(st["control_bad_frames"], 10)
            self.assertEqual(g.call("fake.echo", {"j": 4}), (0, {"j": 4}))
            g.stop()

    def test_worker_that_never_says_hello_gets_nothing(self):
        with Ghrd(fakes(2, ["--on", "fake.2", "--no-hello", "--garbage", "3"]),
                  wait_ready=False) as g:
            wait_until(lambda: g.worker("fake.1")["state"] == "ready", 10, "fake.1 ready")
            w = wait_until(lambda: (lambda w: w["bad_frames"] >= 3 and w)(g.worker("fake.2")),
                           5, "fake.2's frames counted as bad")
            self.assertEqual(w["state"], "starting")
            rc, out = g.call("fake.echo", {"j": 1}, to="fake.2")
            self.assertEqual(rc, 1)
            self.assertIn("unavailable", out)
            for _ in range(4):   # round robin only over instances that said hello
                self.assertEqual(g.call("fake.echo", {"j": 2}), (0, {"j": 2}))
            rc, out = g.call("fake.call", {"method": "fake.echo", "to": "fake.2"}, to="fake.1")
            self.assertEqual(rc, 1)
            self.assertIn("unavailable", out)
            g.stop()

    def test_impostor_on_the_bus_is_ignored(self):
        with Ghrd(fakes(1)) as g:
            bus = g.call("sup.workers")[1]["workers"][0]["bus"]
            self.assertTrue(bus.startswith(g.run_dir + "/w"), bus)
            before = g.worker("fake")["bad_frames"]
            z = Zmtp(bus, identity=b"fake.9")   # root may connect; the id is not this socket's
            z.send(json.dumps({"v": 1, "kind": "hello", "from": "fake.9", "token": "00" * 32,
                               "pid": os.getpid()}).encode())
            z.send(req("fake.echo", to="fake"))
            wait_until(lambda: g.worker("fake")["bad_frames"] >= before + 2, 5,
                       "impostor frames counted")
            z.close()
            # posing as the running instance: its frames never count, the real one still works
            z = Zmtp(bus, identity=b"fake")
            z.send(json.dumps({"v": 1, "kind": "hb", "from": "fake", "seq": 1,
                               "state": "ready"}).encode())
            z.close()
            self.assertEqual(g.call("fake.echo", {"j": 3}), (0, {"j": 3}))
            self.assertEqual(g.worker("fake")["state"], "ready")
            g.stop()

    def test_reply_too_large_to_forward_is_answered_internal(self):
        # fake's reply frame is 1 MiB - 10 bytes with ghrd's short "to" ("control");
        # forwarded to a caller whose name is 60 bytes long it no longer fits a frame
        limit = 1024 * 1024
        with Ghrd(fakes(1, ["--echo-fill", str(limit - 10)])) as g:
            z = Zmtp(os.path.join(g.run_dir, "control"), timeout=10)
            try:
                def ask(sender, id):
                    z.send(json.dumps({"v": 1, "kind": "req", "id": id, "from": sender, "to": "fake",
                                       "method": "fake.echo", "deadline_ms":
                                       int(time.time() * 1000) + 5000, "body": {}}).encode())
                    return json.loads(z.recv()[0])
                rep = ask("t", 1)   # a short name: fits, delivered whole
                self.assertTrue(rep["ok"], rep.get("error"))
                self.assertGreater(len(rep["body"]["pad"]), limit - 200)
                rep = ask("c" * 60, 123456789012345)
                self.assertEqual(rep["id"], 123456789012345)
                self.assertFalse(rep["ok"])
                self.assertEqual(rep["error"]["code"], "internal")
                self.assertIn("could not be forwarded", rep["error"]["message"])
            finally:
                z.close()
            self.assertEqual(g.status()["pending"], 0)
            g.stop()

    def test_request_to_a_hung_worker_times_out_at_its_deadline(self):
        cfg = fakes(1, ["--hang-after", "0"])
        cfg["supervisor"] = {"liveness": 100}   # not killed during the test
        with Ghrd(cfg) as g:
            t0 = time.monotonic()
            rc, out = g.call("fake.echo", {"j": 1}, timeout_ms=800)
            took = time.monotonic() - t0
            self.assertEqual(rc, 1, out)        # answered by ghrd, not "unreachable" (69)
            self.assertIn("timeout", out)
            self.assertGreaterEqual(took, 0.7)
            self.assertLess(took, 2.5)
            self.assertEqual(g.status()["pending"], 0)
            g.stop()


if __name__ == "__main__":
    unittest.main()
