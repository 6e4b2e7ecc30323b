"""Log rotation: after a SIGHUP, ghrd and every worker write to a new log.file."""
import grp
import os
import pwd
import shutil
import signal
import tempfile
import unittest

from harness import Ghrd, read_text, wait_until


class LogRotate(unittest.TestCase):
    def test_workers_reopen_after_ghrd_sighup(self):
        with Ghrd({"workers": {"fake": {"instances": 2}}}) as g:
            wait_until(lambda: "fake.2" in g.log(), 10, "worker lines in the log")
            pids = [w["pid"] for w in g.status()["workers"]]
            rotated = g.log_path + ".1"
            os.rename(g.log_path, rotated)           # what logrotate does (no copytruncate)
            g.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: read_text(g.log_path).count("log file reopened") >= 2, 10,
                       "both workers writing the new file")
            new = read_text(g.log_path)
            for name in ("fake.1", "fake.2"):
                self.assertTrue(any(name in ln and "log file reopened" in ln
                                    for ln in new.splitlines()), new)
            self.assertIn("SIGHUP", read_text(rotated))   # ghrd's last line before reopening
            # still the same processes: a SIGHUP is no restart
            self.assertEqual(sorted(pids), sorted(w["pid"] for w in g.status()["workers"]))

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_workers_running_as_another_user_share_ghrds_log_file(self):
        """ghrd (root) creates log.file; workers append to it after dropping to
        supervisor.user/group, also to the file ghrd creates anew after a rotation."""
        nobody = pwd.getpwnam("nobody")
        group = grp.getgrgid(nobody.pw_gid).gr_name
        gid = nobody.pw_gid
        logdir = tempfile.mkdtemp(prefix="ghr-logdir-")
        self.addCleanup(shutil.rmtree, logdir, True)
        os.chown(logdir, 0, gid)
        os.chmod(logdir, 0o770)          # like /var/log/ghr: root and the workers' group
        path = os.path.join(logdir, "ghr.log")
        cfg = {"supervisor": {"user": "nobody", "group": group},
               "log": {"file": path}, "workers": {"fake": {"instances": 1}}}
        g = Ghrd(cfg, start=False)
        self.addCleanup(g.close)
        os.chmod(g.tmp, 0o755)           # the workers must reach their RUN_DIR/w* as nobody
        g.start()
        wait_until(lambda: "worker=fake" in read_text(path), 10, "the worker's lines in ghrd's log file")
        st = os.stat(path)
        self.assertEqual((st.st_gid, st.st_mode & 0o777), (gid, 0o660))
        os.rename(path, path + ".1")
        g.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "log file reopened" in read_text(path), 10,
                   "the worker writing the file ghrd created anew")
        self.assertEqual(os.stat(path).st_gid, gid)
        g.stop()


if __name__ == "__main__":
    unittest.main()
