"""FerretDB (SQLite backend) on loopback for tests: the MongoDB-compatible server of the
integration tests and benchmarks.  Built once by scripts/ferretdb.sh into the build tree.

    from ferret import Ferret
    with Ferret() as db:
        db.uri            # mongodb://127.0.0.1:PORT/ghr
        db.stop(); db.start()   # same port, same data (a database outage)

Each instance gets fresh data and state directories and kernel-chosen free ports;
start() waits until the port accepts connections (bounded).  Standard library only.

The directories are on tmpfs (/dev/shm) when there is one: this is a throw-away test
database, and SQLite's syncs to a disk only add noise to the timing of the tests and
benchmarks (a write costs about half as much).  Production's MongoDB is untouched.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from harness import SRC, wait_until


def ferretdb_binary():
    """The FerretDB binary, built by scripts/ferretdb.sh if needed (cached in the default
    build tree, so that the sanitizer and fuzz builds share it)."""
    out = subprocess.run(["sh", os.path.join(SRC, "scripts", "ferretdb.sh"), os.path.join(SRC, "build")],
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError("scripts/ferretdb.sh failed:\n" + out.stderr[-2000:])
    path = out.stdout.strip().splitlines()[-1]
    return path if os.path.isabs(path) else os.path.join(SRC, path)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Ferret:
    def __init__(self, db="ghr"):
        self.bin = ferretdb_binary()
        shm = "/dev/shm"
        self.tmp = tempfile.mkdtemp(prefix="ghr-ferret-",
                                    dir=shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None)
        self.data = os.path.join(self.tmp, "data")
        self.state = os.path.join(self.tmp, "state")
        os.makedirs(self.data)
        os.makedirs(self.state)
        self.port = free_port()
        self.db = db
        self.uri = f"mongodb://127.0.0.1:{self.port}/{db}"
        self.proc = None
        self.log_path = os.path.join(self.tmp, "ferretdb.log")
        self.start()

    def start(self):
        debug_port = free_port()
        args = [self.bin, "--handler=sqlite", f"--sqlite-url=file:{self.data}/",
                f"--listen-addr=127.0.0.1:{self.port}", f"--debug-addr=127.0.0.1:{debug_port}",
                f"--state-dir={self.state}", "--telemetry=disable", "--log-level=warn"]
        self._log = open(self.log_path, "a")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=self._log)
        wait_until(self._accepting, 30, f"FerretDB on 127.0.0.1:{self.port} (log {self.log_path})")

    def _accepting(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"FerretDB exited {self.proc.returncode}; see {self.log_path}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None

    def close(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
