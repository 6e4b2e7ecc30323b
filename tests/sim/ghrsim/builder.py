"""A builder VM: a server whose user data is ghr's image-builder script
(scripts/builder-user-data.sh.in).  The simulator runs it the way the script would:

  apt-get install   fails every retry when the knob builder_fault is "apt_fail"
  curl RUNNER_URL   the bytes of the runner release GitHub's downloads list names
                    (github.runner_tarball), altered when runner_tarball_corrupt is set;
                    an unknown URL fails like curl -f
  sha256sum         compared with RUNNER_SHA256; a mismatch fails the build
  the EXIT trap     writes "ghr-build <BUILD_ID> ok runner=<v>" or
                    "ghr-build <BUILD_ID> failed stage=<s> status=<n>" to the console
                    and powers off, builder_run_ms after boot
  builder_fault "never_poweroff": the script hangs, the VM stays ACTIVE, no result line.

Every function here runs with sim.lock held.
"""
import hashlib
import re

from . import github, lifecycle

ASSIGN_RE = re.compile(r"^([A-Z0-9_]+)='((?:[^']|'\\'')*)'$", re.M)
NEEDED = ("BUILD_ID", "RUNNER_VERSION", "RUNNER_URL", "RUNNER_SHA256", "PACKAGES")


def script_values(text):
    """The single-quoted assignments of a builder script, or None if it is not one."""
    vals = {m.group(1): m.group(2).replace("'\\''", "'") for m in ASSIGN_RE.finditer(text)}
    if not all(k in vals for k in NEEDED) or "ghr-build" not in text:
        return None
    return vals


def _download(sim, url):
    name = url.rsplit("/", 1)[-1]
    ver = sim.knobs["runner_version"]
    if not re.match(r"^https://github\.com/actions/runner/releases/download/v%s/" % re.escape(ver), url):
        return None
    data = github.runner_tarball(name)
    if sim.knobs["runner_tarball_corrupt"]:
        data = data + b"tampered"
    return data


def run(sim, s, vals):
    """What the script does; returns (result line or None, power off?)."""
    bid = vals["BUILD_ID"]
    s.console.append("ghr-builder: building image %s (build %s) with runner %s"
                     % (vals.get("IMAGE_NAME", ""), bid, vals["RUNNER_VERSION"]))
    fault = sim.knobs["builder_fault"]
    if fault == "never_poweroff":
        s.console.append("ghr-builder: waiting for the apt lock")
        return None, False
    if fault == "apt_fail":
        s.console.append("E: Failed to fetch http://archive.ubuntu.com/ubuntu/dists/noble/InRelease")
        return "ghr-build %s failed stage=apt status=100" % bid, True
    sim.counters.inc("builder_downloads")
    data = _download(sim, vals["RUNNER_URL"])
    if data is None:
        s.console.append("curl: (22) The requested URL returned error: 404")
        return "ghr-build %s failed stage=download status=22" % bid, True
    got = hashlib.sha256(data).hexdigest()
    if got != vals["RUNNER_SHA256"]:
        s.console.append("ghr-builder: runner tarball checksum mismatch: want %s, got %s" % (vals["RUNNER_SHA256"], got))
        return "ghr-build %s failed stage=checksum-mismatch status=1" % bid, True
    return "ghr-build %s ok runner=%s" % (bid, vals["RUNNER_VERSION"]), True


def start(sim, s, vals):
    sim.counters.inc("builder_vms")
    sim.later(sim.knobs["builder_run_ms"], _finish, sim, s.id, vals)


def _finish(sim, sid, vals):
    s = sim.find_server(sid)
    if s is None or s.deleting or s.status != "ACTIVE":
        return
    line, off = run(sim, s, vals)
    if line:
        s.console.append(line)
    if off:
        s.console.append("reboot: Power down")
        lifecycle.power_off(sim, sid)
