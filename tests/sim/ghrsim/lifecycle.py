"""What happens inside the cloud and GitHub on their own, over time.

  server created (BUILD) --boot_ms--> ACTIVE (or ERROR / stuck, by fault)
  ACTIVE: user_data decoded; `--jitconfig <blob>` found -> the blob must be a
      JIT config this simulator issued and nobody used yet -> after
      runner_start_ms the GitHub runner made by generate-jitconfig goes online
  online+idle runner <-> queued job with a subset of its labels: the job starts,
      the runner is busy for the job's duration, the job completes, GitHub
      removes the ephemeral runner, shutdown_ms later the VM is SHUTOFF
  VM deleted (or powered off) under a registered runner: runner_lost_ms later
      the runner shows offline; a job it was running fails
  no JIT config but the user_data powers off (image builder): SHUTOFF after builder_run_ms

Every function here runs with sim.lock held.
"""
import base64
import binascii
import json
import re

from . import util

# Base64 charset only: the boot script may quote the blob ('<blob>' or "<blob>").
JIT_RE = re.compile(r"--jitconfig(?:=|\s+)['\"]?([A-Za-z0-9+/=]+)")
POWEROFF_RE = re.compile(r"(^|[\s;&|(])(poweroff|shutdown\s+(-h|-P|now|--poweroff)|systemctl\s+poweroff|halt\s+-p)\b", re.M)
READ_ONLY_LABELS = {"self-hosted", "linux", "x64", "arm64", "arm", "macos", "windows"}


# ---- views shared by the API and the control API ---------------------------------

def runner_view(sim, r):
    v = {"id": r.id, "name": r.name, "os": r.os, "status": r.status, "busy": r.busy,
         "ephemeral": r.ephemeral, "runner_group_id": r.group_id,
         "labels": [{"id": sim.label_id(l), "name": l,
                     "type": "read-only" if l.lower() in READ_ONLY_LABELS else "custom"} for l in r.labels]}
    if r.seen_online:
        v["version"] = r.version
    return v


def job_view(sim, j):
    api = sim.base_url + "/github"
    started = j.started_at if j.started_at else j.created_at
    steps = []
    if j.status == "in_progress":
        steps = [{"name": "Set up job", "status": "in_progress", "conclusion": None, "number": 1,
                  "started_at": util.iso(started), "completed_at": None}]
    elif j.status == "completed" and j.started_at:
        steps = [{"name": "Set up job", "status": "completed", "conclusion": "success", "number": 1,
                  "started_at": util.iso(started), "completed_at": util.iso(started)},
                 {"name": "Run job", "status": "completed", "conclusion": j.conclusion, "number": 2,
                  "started_at": util.iso(started), "completed_at": util.iso(j.completed_at)}]
    return {
        "id": j.id, "run_id": j.run_id,
        "run_url": "%s/repos/%s/actions/runs/%d" % (api, j.repo, j.run_id),
        "run_attempt": j.run_attempt, "node_id": "CR_kwDOsim%d" % j.id, "head_sha": j.head_sha,
        "url": "%s/repos/%s/actions/jobs/%d" % (api, j.repo, j.id),
        "html_url": "https://github.com/%s/actions/runs/%d/job/%d" % (j.repo, j.run_id, j.id),
        "status": j.status, "conclusion": j.conclusion,
        "created_at": util.iso(j.created_at),
        # GitHub fills started_at with created_at while the job waits (see the queued webhook sample).
        "started_at": util.iso(started),
        "completed_at": util.iso(j.completed_at) if j.completed_at else None,
        "name": j.name, "steps": steps,
        "check_run_url": "%s/repos/%s/check-runs/%d" % (api, j.repo, j.id),
        "labels": list(j.labels), "runner_id": j.runner_id, "runner_name": j.runner_name,
        "runner_group_id": j.runner_group_id, "runner_group_name": j.runner_group_name,
        "workflow_name": j.workflow_name, "head_branch": j.head_branch,
    }


# ---- VMs --------------------------------------------------------------------------

def schedule_boot(sim, s):
    sim.later(sim.knobs["boot_ms"], boot, sim, s.id)


def boot(sim, sid):
    s = sim.find_server(sid)
    if s is None or s.deleting or s.status != "BUILD":
        return
    if "stuck_build" in s.flags:
        return
    now = util.now()
    if "vm_error" in s.flags:
        set_error(sim, s, s.fault or {"code": 500, "message": "No valid host was found. There are not enough hosts available."})
        return
    s.status, s.vm_state, s.task_state, s.power_state = "ACTIVE", "active", None, 1
    s.launched_at = now
    s.updated = now
    s.host_id = "485d1ffe7cdfa2739deb27802ab863202be001915b4be6faad318109"
    addrs = {}
    for i, net in enumerate(s.networks):
        n = net.get("name", "net")
        addrs.setdefault(n, []).append({
            "version": 4, "addr": "10.%d.%d.%d" % (i, (s.seq >> 8) & 255, s.seq & 255 or 1),
            "OS-EXT-IPS:type": "fixed",
            "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:%02x:%02x:%02x" % (i, (s.seq >> 8) & 255, s.seq & 255)})
    s.addresses = addrs
    sim.counters.inc("servers_active")
    start_guest(sim, s)


def decode_user_data(ud):
    if not ud:
        return ""
    try:
        raw = base64.b64decode(ud)
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("utf-8", "replace")


def parse_jit(blob):
    """The sim's own JIT config (see github.make_jit_config) or None."""
    try:
        pad = "=" * (-len(blob) % 4)
        d = json.loads(base64.b64decode(blob + pad, validate=False))
        if isinstance(d, dict) and util.is_int(d.get("sim_runner_id")) and isinstance(d.get("nonce"), str):
            return d
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    return None


def start_guest(sim, s):
    from . import builder
    text = decode_user_data(s.user_data)
    s.console.append("cloud-init: running modules for final")
    vals = builder.script_values(text)
    if vals is not None:
        s.jit_state = "absent"
        builder.start(sim, s, vals)
        return
    m = JIT_RE.search(text)
    if not m:
        s.jit_state = "absent"
        if POWEROFF_RE.search(text):
            sim.later(sim.knobs["builder_run_ms"], power_off, sim, s.id)
        else:
            sim.counters.inc("vms_without_jit")
        return
    cfg = parse_jit(m.group(1))
    rec = sim.jit.get(cfg["nonce"]) if cfg else None
    if rec is None or rec["runner_id"] != cfg["sim_runner_id"]:
        s.jit_state = "invalid"
        sim.counters.inc("jit_invalid")
        sim.later(sim.knobs["runner_start_ms"], _runner_exit_id, sim, s.id)
        return
    if rec["used_by"] is not None:
        # A JIT config is single use: the second runner never gets a session.
        s.jit_state = "reused"
        sim.counters.inc("jit_reused")
        sim.later(sim.knobs["runner_start_ms"], _runner_exit_id, sim, s.id)
        return
    rec["used_by"] = s.id
    s.jit_state = "valid"
    s.runner_id = rec["runner_id"]
    r = sim.runners.get(rec["runner_id"])
    if r is not None:
        r.vm_id = s.id
    if "runner_no_start" in s.flags:
        return
    sim.later(sim.knobs["runner_start_ms"], runner_online, sim, s.id, rec["runner_id"])


def runner_exits(sim, s):
    """run.sh ended without running a job.  The boot script goes on to its
    post-job step, which (in ghr's template) powers the VM off."""
    sim.counters.inc("runner_exits_without_job")
    if sim.knobs["poweroff_when_runner_exits"] and POWEROFF_RE.search(decode_user_data(s.user_data)):
        sim.later(sim.knobs["shutdown_ms"], power_off, sim, s.id)


def _runner_exit_id(sim, sid):
    s = sim.find_server(sid)
    if s is not None and s.status == "ACTIVE" and not s.deleting:
        runner_exits(sim, s)


def set_error(sim, s, fault):
    s.status, s.vm_state, s.task_state, s.power_state = "ERROR", "error", None, 0
    s.fault = {"code": int(fault.get("code", 500)), "created": util.iso(util.now()),
               "message": fault.get("message", "No valid host was found. ")}
    s.updated = util.now()
    sim.counters.inc("servers_error")
    runner_vm_lost(sim, s)


def power_off(sim, sid):
    s = sim.find_server(sid)
    if s is None or s.deleting or s.status != "ACTIVE":
        return
    s.status, s.vm_state, s.task_state, s.power_state = "SHUTOFF", "stopped", None, 4
    s.updated = util.now()
    sim.counters.inc("servers_shutoff")
    runner_vm_lost(sim, s)


def runner_vm_lost(sim, s):
    """The runner process inside s is gone; GitHub notices after runner_lost_ms."""
    if s.runner_id is not None and s.runner_id in sim.runners:
        sim.later(sim.knobs["runner_lost_ms"], runner_lost, sim, s.runner_id, s.id)


def runner_lost(sim, rid, sid):
    r = sim.runners.get(rid)
    if r is None or r.vm_id != sid:
        return
    s = sim.find_server(sid)
    if s is not None and s.status == "ACTIVE" and not s.deleting:
        return   # came back (os-start)?  then it is not lost
    r.status = "offline"
    sim.idle.pop(r.id, None)
    if r.busy and r.job_id is not None:
        job_done(sim, r.job_id, "failure", runner_gone=False)
        r.busy = False
        r.job_id = None
    sim.counters.inc("runners_lost")


def server_removed(sim, s):
    sim.counters.inc("servers_gone")
    runner_vm_lost(sim, s)


# ---- runners -----------------------------------------------------------------------

def runner_online(sim, sid, rid):
    s = sim.find_server(sid)
    if s is None or s.deleting or s.status != "ACTIVE":
        return
    r = sim.runners.get(rid)
    if r is None:
        # Deleted from GitHub before its VM came up: the runner cannot connect.
        sim.counters.inc("runner_start_failed")
        runner_exits(sim, s)
        return
    r.status = "online"
    r.os = "linux"
    r.version = sim.knobs["runner_version"]
    r.seen_online = True
    sim.counters.inc("runners_online")
    make_idle(sim, r)


def make_idle(sim, r):
    sim.idle[r.id] = r
    for jid in sim.queue:
        j = sim.jobs[jid]
        if eligible(sim, r, j):
            assign(sim, j, r)
            return


def remove_runner(sim, r):
    sim.runners.pop(r.id, None)
    sc = sim.scopes.get(r.scope)
    if sc is not None:
        sc.runners.pop(r.id, None)
        sc.changed()
        if sc.names.get(r.name.lower()) == r.id:
            del sc.names[r.name.lower()]
    sim.idle.pop(r.id, None)


def runner_deleted_by_api(sim, r):
    remove_runner(sim, r)
    sim.counters.inc("runners_deleted")
    s = sim.find_server(r.vm_id) if r.vm_id else None
    if s is not None and s.status == "ACTIVE" and not s.deleting and r.seen_online:
        runner_exits(sim, s)      # the listener learns it was removed and exits


def set_offline(sim, r, ms):
    """Control API: GitHub shows the runner offline for ms (it keeps its VM)."""
    r.status = "offline"
    sim.idle.pop(r.id, None)
    sim.later(ms, _back_online, sim, r.id)


def _back_online(sim, rid):
    r = sim.runners.get(rid)
    if r is None or r.status != "offline" or not r.seen_online:
        return
    s = sim.find_server(r.vm_id) if r.vm_id else None
    if s is None or s.status != "ACTIVE" or s.deleting:
        return
    r.status = "online"
    if not r.busy:
        make_idle(sim, r)


# ---- jobs --------------------------------------------------------------------------

def eligible(sim, r, j):
    if r.busy or r.status != "online":
        return False
    sc = sim.scopes.get(r.scope)
    if sc is None:
        return False
    repo = j.repo.lower()
    if sc.kind == "repo" and sc.name.lower() != repo:
        return False
    if sc.kind == "org" and sc.name.lower() != repo.split("/", 1)[0]:
        return False
    # A JIT runner has exactly the labels it was registered with: GitHub adds none
    # (no implicit self-hosted), so a job asking self-hosted waits for a runner that has it.
    have = {l.lower() for l in r.labels}
    for l in j.labels:
        if l.lower() not in have:
            return False
    return True


def queue_job(sim, spec):
    from .state import Job
    j = Job()
    now = util.now()
    j.id = next(sim.job_seq)
    j.run_id = next(sim.run_seq)
    j.repo = spec.get("repo") or sim.cfg["github"]["repos"][0]
    j.labels = list(spec.get("labels") or ["self-hosted"])
    j.name = spec.get("name", "build")
    j.workflow_name = spec.get("workflow_name", "CI")
    j.head_branch = spec.get("head_branch", "main")
    j.head_sha = spec.get("head_sha") or (util.hex32() + util.hex32())[:40]
    j.status = "queued"
    j.conclusion = None
    j.created_at = now
    j.started_at = None
    j.completed_at = None
    j.queued_m = util.mono()
    j.started_m = None
    j.completed_m = None
    j.runner_id = j.runner_name = j.runner_group_id = j.runner_group_name = None
    d = spec.get("duration_ms")
    j.duration_ms = sim.knobs["job_duration_ms"] if d is None else d
    j.conclusion_wanted = spec.get("conclusion") or sim.knobs["job_conclusion"]
    j.deleted = False
    j.run_attempt = 1
    sim.jobs[j.id] = j
    sim.queue[j.id] = True
    sim.counters.inc("jobs_queued")
    if sim.webhooks is not None:
        sim.webhooks.job_event(j, "queued")
    for r in sim.idle.values():
        if eligible(sim, r, j):
            assign(sim, j, r)
            break
    return j


def assign(sim, j, r):
    sim.queue.pop(j.id, None)
    sim.idle.pop(r.id, None)
    r.busy = True
    r.job_id = j.id
    j.status = "in_progress"
    j.started_at = util.now()
    j.started_m = util.mono()
    j.runner_id = r.id
    j.runner_name = r.name
    j.runner_group_id = r.group_id
    j.runner_group_name = sim.groups.get(r.group_id, {}).get("name", "Default")
    sim.queue_waits_ms.append((j.started_m - j.queued_m) * 1000.0)
    sim.counters.inc("jobs_started")
    if sim.webhooks is not None:
        sim.webhooks.job_event(j, "in_progress")
    sim.later(j.duration_ms, job_done, sim, j.id, None, True)


def job_done(sim, jid, conclusion=None, runner_gone=True):
    j = sim.jobs.get(jid)
    if j is None or j.status == "completed":
        return
    was_queued = j.status == "queued"
    sim.queue.pop(jid, None)
    j.status = "completed"
    j.conclusion = conclusion or j.conclusion_wanted
    j.completed_at = util.now()
    j.completed_m = util.mono()
    sim.counters.inc("jobs_completed")
    if was_queued:
        sim.counters.inc("jobs_cancelled")
    if sim.webhooks is not None:
        sim.webhooks.job_event(j, "completed")
    if not runner_gone or j.runner_id is None:
        return
    r = sim.runners.get(j.runner_id)
    if r is None:
        return
    # Ephemeral: GitHub unregisters the runner once its job is done; the
    # post-job step powers the VM off.
    remove_runner(sim, r)
    sim.counters.inc("runners_finished")
    if r.vm_id:
        sim.later(sim.knobs["shutdown_ms"], power_off, sim, r.vm_id)


def start_arrivals(sim):
    sim.arrival_gen += 1
    rate = sim.knobs["job_arrival_per_min"]
    if rate and rate > 0:
        sim.later(60000.0 / rate, _arrival_tick, sim, sim.arrival_gen)


def _arrival_tick(sim, gen):
    if gen != sim.arrival_gen:
        return
    queue_job(sim, {"labels": sim.knobs["job_arrival_labels"], "repo": sim.knobs["job_arrival_repo"]})
    rate = sim.knobs["job_arrival_per_min"]
    if rate and rate > 0:
        sim.later(60000.0 / rate, _arrival_tick, sim, gen)
