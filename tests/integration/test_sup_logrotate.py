"""Log rotation: after a SIGHUP, ghrd and every worker write to a new log.file."""
import os
import signal
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


if __name__ == "__main__":
    unittest.main()
