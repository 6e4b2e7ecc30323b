"""Privilege separation against a hostile local user and a compromised worker: each
worker its own user (no signal, no secret file across workers), root workers and missing
users refused (exit 78), secret files readable by a worker flagged, a routing id that
no other process can take or keep, a control-socket flood that cannot starve the bus,
and an admin control socket that such a flood cannot take from root and the admins.  Needs root (to switch users); uses users every Debian system has (daemon, bin,
nobody; group nogroup), so nothing is created on the host."""
import grp
import os
import pwd
import select
import signal
import socket
import stat
import subprocess
import threading
import time
import unittest

from harness import (CTL, GHRD, Ghrd, Sim, Zmtp, as_user, as_user_start, as_user_wait,
                     control_flood, reachable_copy, rss_kb, run_as_nobody, wait_until)

ROOT = os.geteuid() == 0
CONTROL_CAP = 16   # connections per control socket (SUP_CTL_MAX_CONNS)


def fakes(n=1, **extra):
    return {"workers": {"fake": dict({"instances": n}, **extra)}}


def open_tmp(g):
    os.chmod(g.tmp, 0o755)   # workers and the hostile users must reach RUN_DIR/* by name


@unittest.skipUnless(ROOT, "needs root to switch users")
class Separation(unittest.TestCase):
    def test_each_worker_its_own_user_cannot_signal_or_read_another(self):
        with Sim() as sim:
            cfg = {"supervisor": {"user": "", "group": "nogroup", "run_workers_as_root": False},
                   "workers": {"github": {"user": "daemon"}, "openstack": {"user": "bin"},
                               "scaler": {"instances": 0}}}
            g = Ghrd(cfg, sim=sim, start=False)
            try:
                open_tmp(g)
                clouds = g.config["openstack"]["clouds_yaml"]
                token = g.config["github"]["auth"]["token_file"]
                for f in (clouds, token):
                    os.chown(f, 0, 0)
                    os.chmod(f, 0o600)
                os.chmod(os.path.dirname(clouds), 0o755)
                g.start()
                rows = {r["name"]: r for r in g.call("sup.workers")[1]["workers"]}
                gh, osk = rows["github"]["pid"], rows["openstack"]["pid"]
                for name, user in (("github", "daemon"), ("openstack", "bin")):
                    with open(f"/proc/{rows[name]['pid']}/status") as f:
                        st = dict(line.split(":", 1) for line in f if ":" in line)
                    self.assertEqual(st["Uid"].split()[0], str(pwd.getpwnam(user).pw_uid))
                    bus = os.stat(rows[name]["bus"])
                    self.assertEqual((bus.st_uid, bus.st_mode & 0o777),
                                     (pwd.getpwnam(user).pw_uid, 0o600))

                def try_all():
                    out = {}
                    for what, act in (("signal", lambda: os.kill(osk, 0)),
                                      ("clouds", lambda: open(clouds).read()),
                                      ("token", lambda: open(token).read()),
                                      ("bus", lambda: socket.socket(socket.AF_UNIX).connect(
                                          rows["openstack"]["bus"]))):
                        try:
                            act()
                            out[what] = "allowed"
                        except PermissionError:
                            out[what] = "denied"
                    return out
                # as the github worker's user and group: nothing of openstack's is reachable
                self.assertEqual(as_user("daemon", "nogroup", try_all),
                                 {"signal": "denied", "clouds": "denied", "token": "denied",
                                  "bus": "denied"})
                self.assertTrue(gh > 0)
                g.stop(expect_clean=False)
            finally:
                g.close()

    def _ghrd_n(self, cfg_over):
        g = Ghrd(cfg_over, start=False)
        try:
            p = subprocess.run([GHRD, "-n", "-f", g.config_path], capture_output=True,
                               text=True, timeout=30)
            s = subprocess.run([GHRD, "-f", g.config_path], capture_output=True, text=True,
                               timeout=30)
            return p, s
        finally:
            g.close()

    def test_missing_user_is_exit_78_at_check_and_start(self):
        p, s = self._ghrd_n(dict(fakes(1), supervisor={"user": "ghr-none-{worker}",
                                                       "group": "nogroup"}))
        for r in (p, s):
            self.assertEqual(r.returncode, 78, r.stderr)
            self.assertIn('workers.fake: user "ghr-none-fake" does not exist', r.stderr)
        p, s = self._ghrd_n(dict(fakes(1), supervisor={"user": "nobody",
                                                       "group": "ghr-no-group"}))
        self.assertEqual((p.returncode, s.returncode), (78, 78), p.stderr)
        self.assertIn('group "ghr-no-group" does not exist', p.stderr)

    def test_root_workers_refused_unless_the_config_says_so(self):
        p, s = self._ghrd_n(dict(fakes(1), supervisor={"run_workers_as_root": False}))
        for r in (p, s):
            self.assertEqual(r.returncode, 78, r.stderr)
            self.assertIn("workers.fake would run as root", r.stderr)
            self.assertIn("supervisor.run_workers_as_root: true", r.stderr)
        with Ghrd(fakes(1)) as g:   # the harness's plain-words consent
            with open(f"/proc/{g.worker('fake')['pid']}/status") as f:
                self.assertIn("Uid:\t0\t", f.read())
            self.assertIn("workers may run as root", g.log())
            g.stop()

    def test_dash_n_warns_about_a_secret_file_a_worker_can_read(self):
        with Sim() as sim:
            g = Ghrd({"supervisor": {"user": "nobody", "group": "nogroup"},
                      "workers": {"scaler": {"instances": 0}}}, sim=sim, start=False)
            try:
                token = g.config["github"]["auth"]["token_file"]
                os.chmod(token, 0o600)
                os.chmod(g.config["openstack"]["clouds_yaml"], 0o600)
                p = subprocess.run([GHRD, "-n", "-f", g.config_path], capture_output=True,
                                   text=True, timeout=30)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertNotIn("warning", p.stderr)
                os.chmod(token, 0o644)   # everyone, so every worker's user
                p = subprocess.run([GHRD, "-n", "-f", g.config_path], capture_output=True,
                                   text=True, timeout=30)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("github.auth.token_file", p.stderr)
                self.assertIn("readable by worker", p.stderr)
                self.assertIn("(with warnings)", p.stdout)
            finally:
                g.close()


@unittest.skipUnless(ROOT, "needs root to switch users")
class Hostile(unittest.TestCase):
    def test_bus_id_takeover_by_a_member_of_the_workers_group(self):
        # The workers run as daemon:nogroup; the attacker is nobody:nogroup, a member of
        # the workers' group.  It tries, all the time, to connect to every socket in the
        # run directory under the worker's routing id, while the worker is killed -9.
        cfg = dict(fakes(1), supervisor={"user": "daemon", "group": "nogroup",
                                         "run_workers_as_root": False})
        g = Ghrd(cfg, start=False)
        try:
            open_tmp(g)
            g.start()
            stop = time.monotonic() + 6
            run_dir = g.run_dir

            def attack():
                held, refused = 0, 0
                keep = []
                # others cannot list the run directory (0751): every name a bus socket
                # had or may have, the old shared one included
                names = ["bus"] + [f"w{i}" for i in range(1, 40)]
                while time.monotonic() < stop:
                    for n in names:
                        try:
                            keep.append(Zmtp(os.path.join(run_dir, n), identity=b"fake",
                                             timeout=0.5))
                            held += 1
                        except PermissionError:
                            refused += 1
                        except (OSError, AssertionError):
                            pass   # absent, or not (yet) speaking ZMTP
                    time.sleep(0.01)
                return {"held": held, "refused": refused}

            res = {}
            t = threading.Thread(target=lambda: res.update(as_user("nobody", "nogroup", attack)))
            t.start()
            try:
                for _ in range(2):
                    old = g.worker("fake")["pid"]
                    os.kill(old, signal.SIGKILL)
                    wait_until(lambda: (lambda w: w["pid"] not in (0, old) and
                                        w["state"] == "ready")(g.worker("fake")),
                               5, "the restarted fake ready while the attacker tries")
                self.assertEqual(g.call("fake.echo", {"j": 1}), (0, {"j": 1}))
            finally:
                t.join(15)
            self.assertEqual(res.get("held"), 0, res)
            self.assertGreater(res.get("refused", 0), 0, res)
            g.stop()
        finally:
            g.close()

    def test_control_connections_are_capped(self):
        # A local user opening connection after connection: at 16 ghrd closes every
        # control connection and listens again a moment later, so what it holds for
        # control clients stays bounded; then ghr-ctl works as before.
        with Ghrd(fakes(1)) as g:
            open_tmp(g)
            ctl_path = os.path.join(g.run_dir, "control")

            def hold():
                held, refused, dropped = [], 0, 0
                for _ in range(48):
                    try:
                        held.append(Zmtp(ctl_path, timeout=2))
                    except OSError:
                        refused += 1
                        time.sleep(0.05)
                for z in held:   # the first ones were closed by ghrd
                    try:
                        z.s.settimeout(0.5)
                        if not z.s.recv(1):
                            dropped += 1
                    except OSError:
                        pass
                    z.close()
                return {"held": len(held), "refused": refused, "dropped": dropped}
            res = as_user("nobody", "nogroup", hold)
            self.assertGreaterEqual(res["dropped"], 16, res)
            st = wait_until(lambda: (lambda st: st["control"]["public"]["listening"] and st)(
                g.status()), 10, "the control socket listening again")
            self.assertLess(st["control"]["public"]["connections"], 16)
            self.assertGreaterEqual(st["control"]["public"]["full_events"], 1)
            self.assertEqual(st["control"]["admin"]["full_events"], 0)
            self.assertIn("control socket full", g.log())
            self.assertEqual(g.call("fake.echo", {"j": 2}), (0, {"j": 2}))
            g.stop()

    def test_control_flood_by_a_local_user_starves_nothing(self):
        # Two connections of uid 65534 sending 900 KB frames as fast as ghrd takes them,
        # for a bounded time; heartbeats every 100 ms, a worker silent for 500 ms is
        # killed.  Nothing may be restarted, and ghrd keeps answering.
        seconds = float(os.environ.get("GHR_FLOOD_SECONDS", "8"))
        cfg = dict(fakes(2))
        with Ghrd(cfg) as g:
            open_tmp(g)
            ctl_path = os.path.join(g.run_dir, "control")
            before = sum(w["restarts"] for w in g.status()["workers"])

            res = as_user("nobody", "nogroup", lambda: control_flood(ctl_path, seconds))
            st = g.status()
            restarts = sum(w["restarts"] for w in st["workers"]) - before
            print(f"\n  flood: {res['sent']} frames of 900 KB in {seconds:.0f} s from 2 "
                  f"connections (uid 65534); ghrd peak RSS {rss_kb(g.proc.pid, 'VmHWM') // 1024}"
                  f" MB; worker restarts {restarts}", flush=True)
            self.assertEqual(restarts, 0)
            self.assertGreater(res["sent"], 10)
            self.assertGreater(res["answers"], 0, res)
            self.assertIn("limit of a read-only client", res["sample"])
            self.assertEqual(g.call("fake.echo", {"j": 9}, to="fake.1"), (0, {"j": 9}))
            # undecodable frames are logged at most once a second, not once each
            lines = g.log().count("bad request on the control socket")
            self.assertLessEqual(lines, seconds + 5, lines)
            g.stop()


def hold_connections(path, stop_file, seconds, hold=2 * CONTROL_CAP):
    """Keep `hold` connections to the control socket at path, connecting again as soon as
    ghrd closes them, until stop_file exists (at most `seconds`), as a local user keeping
    everyone else out would: no handshake, nothing sent, just connections.  Returns
    {opened, closed, refused}."""
    end = time.monotonic() + seconds
    held, opened, closed, refused = [], 0, 0, 0
    while time.monotonic() < end and not os.path.exists(stop_file):
        if len(held) < hold:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                s.setblocking(False)
                held.append(s)
                opened += 1
            except OSError:                  # not listening for the moment
                s.close()
                refused += 1
                time.sleep(0.005)            # pace the retries; not a wait for anything
        else:
            select.select(held, [], [], 0.1)   # until ghrd closes some (or greets)
        alive = []
        for c in held:
            try:
                gone = c.recv(4096) == b""   # ghrd's greeting is read and dropped
            except BlockingIOError:
                gone = False
            except OSError:
                gone = True
            if gone:
                closed += 1
                c.close()
            else:
                alive.append(c)
        held = alive
    for c in held:
        c.close()
    return {"opened": opened, "closed": closed, "refused": refused}


@unittest.skipUnless(ROOT, "needs root to switch users")
class AdminSocket(unittest.TestCase):
    CALLS = 20

    def ctl_as_nobody(self, g, *args):
        return run_as_nobody(reachable_copy(CTL), "-r", g.run_dir, "-t", "5000", "--json", *args)

    def test_operators_get_in_while_a_local_user_floods_the_public_socket(self):
        # nobody opens connection after connection to the public socket, so ghrd keeps
        # closing them all at the cap; root's ghr-ctl, which picks the admin socket,
        # reads and changes things every time meanwhile.
        with Ghrd(fakes(1)) as g:
            open_tmp(g)
            admin = os.path.join(g.run_dir, "control.admin")
            st = os.stat(admin)
            self.assertTrue(stat.S_ISSOCK(st.st_mode))
            self.assertEqual((oct(stat.S_IMODE(st.st_mode)), st.st_uid), (oct(0o600), 0))
            stop_file = os.path.join(g.tmp, "stop-flood")
            public = os.path.join(g.run_dir, "control")
            flood = as_user_start("nobody", "nogroup",
                                  lambda: hold_connections(public, stop_file, 120))
            try:
                def full_events():
                    return g.status()["control"]["public"]["full_events"]
                first = wait_until(full_events, 20, "the flood filling the public socket")
                calls, ok, paused, seen = 0, 0, 0, first
                for i in range(self.CALLS):
                    # each round after a fresh cap event: the flood is on right now
                    seen = wait_until(lambda: (lambda n: n > seen and n)(full_events()), 20,
                                      "the flood filling the public socket again")
                    rc, st = g.ctl("status")
                    calls += 1
                    self.assertEqual(rc, 0, st)
                    self.assertEqual(st["control_socket"], f"ipc://{admin}")
                    paused += not st["control"]["public"]["listening"]
                    rc, out = g.ctl("log-level", "debug" if i % 2 else "info", "ghrd",
                                    json_out=False)
                    calls += 1
                    self.assertEqual(rc, 0, out)
                    self.assertIn("applied to: ghrd", out)
                    ok += 2
                last = g.status()
            finally:
                open(stop_file, "w").close()
                res = as_user_wait(flood)
            full = last["control"]["public"]["full_events"] - first
            print(f"\n  during the flood: {ok}/{calls} ghr-ctl calls of root answered over the admin "
                  f"socket ({paused} status calls while the public socket was closed); nobody "
                  f"opened {res['opened']} connections, ghrd closed {res['closed']}; "
                  f"public socket full {full} times meanwhile, admin socket "
                  f"{last['control']['admin']['full_events']} times", flush=True)
            self.assertEqual(ok, 2 * self.CALLS)
            self.assertGreaterEqual(full, self.CALLS, last["control"])
            self.assertGreaterEqual(res["closed"], self.CALLS * CONTROL_CAP, res)
            self.assertEqual(last["control"]["admin"]["full_events"], 0)
            g.stop()

    def test_admin_group_may_open_it_and_a_reload_moves_it(self):
        # supervisor.admin_group: the socket is 0660 and that group's, so its members get
        # in (nobody, whose group is nogroup here); a reload that names another group
        # gives the socket to that one, and nobody is back on the public socket.
        with Ghrd(dict(fakes(1), supervisor={"admin_group": "nogroup"})) as g:
            open_tmp(g)
            admin = os.path.join(g.run_dir, "control.admin")
            st = os.stat(admin)
            self.assertEqual((oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid),
                             (oct(0o660), 0, grp.getgrnam("nogroup").gr_gid))
            rc, out = self.ctl_as_nobody(g, "status")
            self.assertEqual(rc, 0, out)
            self.assertIn(f'"control_socket": "ipc://{admin}"', out)
            rc, out = self.ctl_as_nobody(g, "log-level", "debug", "ghrd")
            self.assertEqual(rc, 0, out)
            g.config["supervisor"]["admin_group"] = grp.getgrgid(0).gr_name
            g.write_config()
            rc, out = g.ctl("reload")
            self.assertEqual(rc, 0, out)
            st = os.stat(admin)
            self.assertEqual((oct(stat.S_IMODE(st.st_mode)), st.st_gid), (oct(0o660), 0))
            rc, out = self.ctl_as_nobody(g, "status")
            self.assertEqual(rc, 0, out)
            self.assertIn(f'"control_socket": "ipc://{g.run_dir}/control"', out)
            g.stop()

    def test_nobody_is_refused_the_admin_socket_and_uses_the_public_one(self):
        with Ghrd(fakes(1)) as g:
            open_tmp(g)
            admin = os.path.join(g.run_dir, "control.admin")

            def try_admin():
                try:
                    Zmtp(admin, timeout=2)
                    return "connected"
                except PermissionError as e:
                    return f"refused: {e.strerror}"
            self.assertEqual(as_user("nobody", "nogroup", try_admin), "refused: Permission denied")
            rc, out = run_as_nobody(reachable_copy(CTL), "-s", admin, "status")
            self.assertEqual(rc, 69, out)
            self.assertIn(f"cannot connect to {admin}: Permission denied", out)
            rc, st = self.ctl_as_nobody(g, "status")
            self.assertEqual(rc, 0, st)
            self.assertIn(f'"control_socket": "ipc://{g.run_dir}/control"', st)
            rc, out = self.ctl_as_nobody(g, "log-level", "debug")   # rights are per request
            self.assertEqual(rc, 1, out)
            self.assertIn("forbidden", out)
            g.stop()


if __name__ == "__main__":
    unittest.main()
