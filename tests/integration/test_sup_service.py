"""ghrd as a service: sd_notify, reload (SIGHUP and ghr-ctl), control-socket rights,
config checking (-n), and secrets kept out of argv and the environment."""
import copy
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import (CTL, GHRD, LIBEXEC, SIM_PAT, Ghrd, Sim, pid_alive, reachable_copy,
                     run_as_nobody, wait_until)


def fakes(n=1, args=None):
    w = {"instances": n}
    if args is not None:
        w["args"] = args
    return {"workers": {"fake": w}}


class Notify(unittest.TestCase):
    def test_ready_status_watchdog_stopping(self):
        tmp = tempfile.mkdtemp(prefix="ghr-notify-")
        path = os.path.join(tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(0.2)
        got = []

        def drain():
            end = time.monotonic() + 0.3   # watchdog pets keep coming: bound the read
            try:
                while time.monotonic() < end:
                    got.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
            return got

        env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"}
        try:
            with Ghrd(fakes(2), env=env) as g:
                wait_until(lambda: "READY=1" in drain(), 15, "READY=1")
                wait_until(lambda: drain().count("WATCHDOG=1") >= 3, 15, "watchdog pets")
                self.assertTrue(any(m.startswith("STATUS=2/2 workers ready") for m in got), got)
                g.stop()
                wait_until(lambda: "STOPPING=1" in drain(), 10, "STOPPING=1")
        finally:
            sock.close()
            os.unlink(path)
            os.rmdir(tmp)

    def notify_socket(self):
        tmp = tempfile.mkdtemp(prefix="ghr-notify-")
        path = os.path.join(tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.setblocking(False)

        def cleanup():
            sock.close()
            os.unlink(path)
            os.rmdir(tmp)
        self.addCleanup(cleanup)
        msgs = []

        def drain():
            try:
                while True:
                    msgs.append(sock.recv(4096).decode())
            except BlockingIOError:
                pass
            return msgs
        return path, drain

    def test_no_ready_before_every_worker_is_ready(self):
        path, drain = self.notify_socket()
        with Ghrd(fakes(2, ["--on", "fake.2", "--ready-delay", "3000"]),
                  env={"NOTIFY_SOCKET": path}, wait_ready=False) as g:
            wait_until(lambda: g.worker("fake.1")["state"] == "ready", 15, "fake.1 ready")
            drain()
            # fake.2 is still starting after the drain, so every datagram drained was sent
            # while it was not ready: READY=1 among them would be premature
            self.assertEqual(g.worker("fake.2")["state"], "starting")
            self.assertNotIn("READY=1", msgs_so_far := list(drain()))
            self.assertTrue(any(m.startswith("STATUS=1/2") for m in msgs_so_far), msgs_so_far)
            wait_until(lambda: "READY=1" in drain(), 6, "READY=1 once fake.2 is ready")
            self.assertEqual(g.worker("fake.2")["state"], "ready")
            g.stop()

    def test_ready_when_the_last_worker_fails_instead(self):
        path, drain = self.notify_socket()
        # fake.2 never gets ready: it exits 78 (not restarted, not essential) at 300 ms
        args = ["--on", "fake.2", "--ready-delay", "100000", "--exit", "78", "--exit-after", "300"]
        with Ghrd(fakes(2, args), env={"NOTIFY_SOCKET": path}, wait_ready=False) as g:
            wait_until(lambda: g.worker("fake.1")["state"] == "ready", 15, "fake.1 ready")
            wait_until(lambda: g.worker("fake.2")["state"] == "failed", 15, "fake.2 failed")
            wait_until(lambda: "READY=1" in drain(), 10, "READY=1 after the failure")
            self.assertEqual(drain().count("READY=1"), 1)
            g.stop()


class Reload(unittest.TestCase):
    def test_sighup_restarts_only_changed_workers(self):
        cfg = {"workers": {"fake": {"instances": 2, "args": ["--on", "fake.2", "--ready-delay", "1"]}}}
        with Ghrd(cfg) as g:
            before = {w["name"]: w["pid"] for w in g.status()["workers"]}
            g.write_config()                       # same config: nothing restarts
            g.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "config reloaded" in g.log(), 15, "reload logged")
            self.assertEqual({w["name"]: w["pid"] for w in g.status()["workers"]}, before)
            new = copy.deepcopy(g.config)          # args change: every fake restarts
            new["workers"]["fake"]["args"] = ["--ready-delay", "2"]
            g.write_config(new)
            rc, r = g.ctl("reload")
            self.assertEqual(rc, 0, r)
            self.assertEqual(sorted(r["restarted"]), ["fake.1", "fake.2"])
            wait_until(lambda: all(w["state"] == "ready" and w["pid"] != before[w["name"]]
                                   for w in g.status()["workers"]), 10, "fakes restarted")
            g.stop()

    def test_reload_adds_and_removes_instances(self):
        with Ghrd(fakes(1)) as g:
            new = copy.deepcopy(g.config)
            new["workers"]["fake"]["instances"] = 3
            g.write_config(new)
            rc, r = g.ctl("reload")
            self.assertEqual(rc, 0, r)
            wait_until(lambda: sorted(w["name"] for w in g.status()["workers"]
                                      if w["state"] == "ready") == ["fake.1", "fake.2", "fake.3"],
                       10, "three fakes")
            new["workers"]["fake"]["instances"] = 0
            g.write_config(new)
            self.assertEqual(g.ctl("reload")[0], 0)
            wait_until(lambda: g.status()["workers"] == [], 10, "no fake left")
            g.stop()

    def test_bad_config_is_refused_and_the_old_one_kept(self):
        with Ghrd(fakes(1)) as g:
            pid = g.worker("fake")["pid"]
            with open(g.config_path, "a") as f:
                f.write("no_such_key: 1\n")
            rc, out = g.ctl("reload")
            self.assertEqual(rc, 1)
            self.assertIn("no_such_key", out)
            g.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "reload refused" in g.log(), 15, "SIGHUP reload refused")
            self.assertEqual(g.worker("fake")["pid"], pid)
            g.stop()


class ConfigCheck(unittest.TestCase):
    def run_n(self, cfg_text):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(cfg_text)
        try:
            return subprocess.run([GHRD, "-n", "-f", f.name], capture_output=True, text=True,
                                  timeout=10)
        finally:
            os.unlink(f.name)

    def assertLocated(self, stderr, text, what, line_has):
        """stderr is "ghrd: FILE:LINE:COL: what...", and LINE of text holds line_has."""
        m = re.search(r":(\d+):(\d+): " + re.escape(what), stderr)
        self.assertIsNotNone(m, stderr)
        self.assertIn(line_has, text.splitlines()[int(m.group(1)) - 1], stderr)

    def test_dash_n(self):
        g = Ghrd(fakes(1), start=False)
        try:
            p = subprocess.run([GHRD, "-n", "-f", g.config_path], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(g.config_path) as f:
                text = f.read()
            bad = text.replace("fake:", "nosuchworker:")
            p = self.run_n(bad)
            self.assertEqual(p.returncode, 78)
            self.assertLocated(p.stderr, bad, "workers.nosuchworker: no such worker", "nosuchworker:")
            bad = text.replace(f"{LIBEXEC}", "/nonexistent")
            p = self.run_n(bad)
            self.assertEqual(p.returncode, 78)
            self.assertIn("cannot execute /nonexistent/fake", p.stderr)
            self.assertLocated(p.stderr, bad, "supervisor.libexec_dir: ", "/nonexistent")
            p = subprocess.run([GHRD, "-n", "-f", "/nonexistent.yaml"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 78)
            p = subprocess.run([GHRD, "-x"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 2)
            for opt in ("--help", "-h"):
                p = subprocess.run([GHRD, opt], capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("--check", p.stdout)
            p = subprocess.run([GHRD, "--check", "--config", g.config_path], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
        finally:
            g.close()

    def test_no_pools_is_a_warning(self):
        g = Ghrd({"workers": {"scaler": {"instances": 1}}}, start=False)
        try:
            p = subprocess.run([GHRD, "-n", "-f", g.config_path], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("warning: pools: none configured", p.stderr)
            with open(g.config_path, "a") as f:
                f.write("pools:\n  - {name: a, flavor: f, image: i, network: n, labels: [x]}\n")
            p = subprocess.run([GHRD, "-n", "-f", g.config_path], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn("warning", p.stderr)
        finally:
            g.close()

    def test_singleton_workers_refuse_more_instances(self):
        for name in ("github", "openstack", "scaler"):
            g = Ghrd({"workers": {name: {"instances": 2}}}, start=False)
            try:
                p = subprocess.run([GHRD, "-n", "-f", g.config_path], capture_output=True,
                                   text=True)
                self.assertEqual(p.returncode, 78, p.stderr)
                self.assertIn(f"workers.{name}.instances: 2 is out of range (0 to 1", p.stderr)
            finally:
                g.close()

    def test_missing_token_file_is_a_config_error(self):
        g = Ghrd({"workers": {"github": {"instances": 1}}}, start=False)
        try:
            os.unlink(os.path.join(g.tmp, "github-token"))
            p = subprocess.run([GHRD, "-n", "-f", g.config_path], capture_output=True, text=True)
            self.assertEqual(p.returncode, 78)
            with open(g.config_path) as f:
                self.assertLocated(p.stderr, f.read(), "github.auth.token_file: ", "token_file:")
        finally:
            g.close()


class Rights(unittest.TestCase):
    """Anyone local may read; root and the admin group may change things.  The run
    directory sits in /tmp (like /run: world-searchable), created by ghrd itself, so what
    is tested is exactly the permissions ghrd sets — the test changes none."""

    def as_nobody(self, g, *args):
        return run_as_nobody(reachable_copy(CTL), "-r", g.run_dir, "--json", *args)

    def ghrd(self, cfg):
        run_dir = os.path.join("/tmp", f"ghr-rights-{os.getpid()}-{time.monotonic_ns()}")
        self.addCleanup(shutil.rmtree, run_dir, ignore_errors=True)
        return Ghrd(dict(cfg, run_dir=run_dir))

    @unittest.skipUnless(os.geteuid() == 0, "needs root to switch users")
    def test_reader_may_read_but_not_mutate(self):
        with self.ghrd(fakes(1)) as g:
            rc, out = self.as_nobody(g, "status")
            self.assertEqual(rc, 0, out)
            rc, out = self.as_nobody(g, "restart", "fake")
            self.assertEqual(rc, 1)
            self.assertIn("forbidden", out)
            self.assertIn("sup.restart", out)
            self.assertIn("only root may: supervisor.admin_group is not set", out)
            # live-API listings (rate-limit budget) are for admins only
            rc, out = self.as_nobody(g, "call", "github.runners.list", "{}")
            self.assertEqual(rc, 1)
            self.assertIn("forbidden", out)
            # nor through the test worker, which calls anything as itself
            rc, out = self.as_nobody(g, "call", "fake.call", '{"method": "sup.restart", "body": {"worker": "fake"}}')
            self.assertEqual(rc, 1, out)
            self.assertIn("forbidden", out)
            # each worker's bus socket stays closed to others
            bus = g.call("sup.workers")[1]["workers"][0]["bus"]
            self.assertEqual(os.stat(bus).st_mode & 0o077, 0)
            g.stop()

    @unittest.skipUnless(os.geteuid() == 0, "needs root to switch users")
    def test_forbidden_names_the_group_that_may(self):
        import grp
        group = grp.getgrgid(0).gr_name          # a group nobody is not in
        with self.ghrd(dict(fakes(1), supervisor={"admin_group": group})) as g:
            rc, out = self.as_nobody(g, "restart", "fake")
            self.assertEqual(rc, 1, out)
            self.assertIn('forbidden', out)
            self.assertIn(f'root and members of group "{group}" may', out)
            g.stop()

    @unittest.skipUnless(os.geteuid() == 0, "needs root to switch users")
    def test_admin_group_may_mutate_and_follows_reload(self):
        import grp
        group = grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
        with self.ghrd(dict(fakes(1), supervisor={"admin_group": group})) as g:
            rc, out = self.as_nobody(g, "restart", "fake")
            self.assertEqual(rc, 0, out)
            new = copy.deepcopy(g.config)
            del new["supervisor"]["admin_group"]
            g.write_config(new)
            g.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "config reloaded" in g.log(), 15, "reload logged")
            rc, out = self.as_nobody(g, "restart", "fake")
            self.assertEqual(rc, 1, out)
            self.assertIn("forbidden", out)
            self.assertIn("only root may", out)
            g.stop()


class Privileges(unittest.TestCase):
    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_workers_run_as_the_configured_user_undumpable(self):
        import grp
        nobody = pwd.getpwnam("nobody")
        group = grp.getgrgid(nobody.pw_gid).gr_name
        g = Ghrd(dict(fakes(2), supervisor={"user": "nobody", "group": group}), start=False)
        try:
            os.chmod(g.tmp, 0o755)   # the workers must reach their RUN_DIR/w* as nobody
            g.start()
            for w in g.status()["workers"]:
                with open(f"/proc/{w['pid']}/status") as f:
                    st = dict(line.split(":", 1) for line in f if ":" in line)
                self.assertEqual(st["Uid"].split()[:3], [str(nobody.pw_uid)] * 3, w["name"])
                self.assertEqual(st["Gid"].split()[:3], [str(nobody.pw_gid)] * 3, w["name"])
                self.assertEqual(st["NoNewPrivs"].strip(), "1")
                self.assertEqual(st["Groups"].strip(), str(nobody.pw_gid))
            self.assertEqual(oct(os.stat(g.run_dir).st_mode & 0o777), "0o751")
            for row in g.call("sup.workers")[1]["workers"]:   # its own socket, its user's
                st = os.stat(row["bus"])
                self.assertEqual((st.st_uid, st.st_mode & 0o777), (nobody.pw_uid, 0o600))
            for w in g.status()["workers"]:   # undumpable: its /proc files belong to root
                self.assertEqual(os.stat(f"/proc/{w['pid']}/status").st_uid, 0, w["name"])
            self.assertEqual(g.call("fake.echo", {"j": 5}), (0, {"j": 5}))
            g.stop()
        finally:
            g.close()

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_parent_death_signal_survives_the_privilege_drop(self):
        # A hung worker does not watch fd 3; only PR_SET_PDEATHSIG can end it when ghrd
        # dies, and the kernel clears that on the uid change unless set again.
        import grp
        nobody = pwd.getpwnam("nobody")
        group = grp.getgrgid(nobody.pw_gid).gr_name
        cfg = dict(fakes(1, ["--hang-after", "0"]), supervisor={"user": "nobody", "group": group,
                                                                "liveness": 100})
        g = Ghrd(cfg, start=False)
        try:
            os.chmod(g.tmp, 0o755)   # the workers must reach their RUN_DIR/w* as nobody
            g.start()
            pid = g.worker("fake")["pid"]
            wait_until(lambda: 'msg="hanging (test mode)"' in g.log(), 15, "the worker hung")
            g.proc.kill()
            g.proc.wait(5)
            wait_until(lambda: not pid_alive(pid), 10, "the hung worker gone after kill -9 of ghrd")
        finally:
            g.close()


class Secrets(unittest.TestCase):
    @unittest.skipUnless(os.path.exists(os.path.join(LIBEXEC, "github")) and
                         os.path.exists(os.path.join(LIBEXEC, "openstack")), "workers not built")
    def test_secrets_not_in_argv_or_environment(self):
        with Sim() as sim:
            cfg = {"workers": {"scaler": {"instances": 0}, "fake": {"instances": 1}}}
            with Ghrd(cfg, sim=sim, wait_ready=False) as g:
                pids = wait_until(lambda: len(g.worker_pids()) >= 3 and g.worker_pids(), 10,
                                  "three workers started")
                secrets = [SIM_PAT.encode(), b"ghr-secret"]
                for pid in pids:
                    for what in ("cmdline", "environ"):
                        with open(f"/proc/{pid}/{what}", "rb") as f:
                            data = f.read()
                        for s in secrets:
                            self.assertNotIn(s, data, f"{s!r} in /proc/{pid}/{what}")
                for s in secrets:
                    self.assertNotIn(s.decode(), g.log())
                g.stop(expect_clean=False)


if __name__ == "__main__":
    unittest.main()
