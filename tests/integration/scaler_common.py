"""Helpers shared by the scaler's end-to-end tests (real ghrd + workers + ghr-sim)."""
import os
import signal
import time

from harness import Ghrd, wait_until

# Fast clocks: a runner boots in ~0.2 s and a job takes 0.2 s.
FAST_KNOBS = {"boot_ms": 100, "runner_start_ms": 100, "job_duration_ms": 200, "shutdown_ms": 50,
              "runner_lost_ms": 300}


def pool(name="small", min_idle=2, max_runners=0, labels=None, image="tag:ghr-runner", flavor="small"):
    return {"name": name, "flavor": flavor, "image": image, "network": "ghr-net",
            "labels": labels or [name], "min_idle": min_idle, "max_runners": max_runners}


def scaler_config(pools, manager_id="t", interval="300ms", **reconcile):
    rc = {"interval": interval, "creation_timeout": "5s", "bootstrap_timeout": "5s",
          "create_concurrency": 10, "delete_concurrency": 20}
    rc.update(reconcile)
    return {"manager_id": manager_id, "pools": pools, "reconcile": rc,
            "metrics": {"events_log": ""}}


def start(sim, pools, **kw):
    sim.post("/knobs", FAST_KNOBS)
    return Ghrd(scaler_config(pools, **kw), sim=sim)


def ours(items, prefix):
    return [x for x in items if x["name"].startswith(prefix)]


def sim_view(sim, prefix="t-"):
    st = sim.get("/state")
    servers = [s for s in ours(st["servers"], prefix) if s["task_state"] != "deleting"]
    runners = ours(st["runners"], prefix)
    return servers, runners


def idle_in_sim(sim, prefix, pool_name=None):
    _, runners = sim_view(sim, prefix)
    return [r for r in runners if r["status"] == "online" and not r["busy"]
            and (pool_name is None or r["name"].startswith(prefix + pool_name + "-"))]


def wait_idle(sim, prefix, n, timeout=30, pool_name=None):
    return wait_until(lambda: len(idle_in_sim(sim, prefix, pool_name)) == n, timeout,
                      f"{n} idle runners of {prefix}{pool_name or ''} in the simulator")


def drain(test, g, sim, prefix="t-", timeout=40):
    """Scale every pool to 0 and assert nothing of this manager is left."""
    for p in g.config["pools"]:
        rc, out = g.ctl("scale", p["name"], "0")
        test.assertEqual(rc, 0, out)

    def empty():
        servers, runners = sim_view(sim, prefix)
        return not servers and not runners
    wait_until(empty, timeout, f"no VM and no runner of {prefix} left")
    rep = sim.get("/consistency")
    test.assertEqual(rep["duplicate_vm_names"], {}, rep)
    test.assertEqual(rep["jit_reused"], 0, rep)
    test.assertEqual(rep["jit_invalid"], 0, rep)
    return rep


def worker_pid(g, name):
    return g.worker(name)["pid"]


def kill9(g, name):
    pid = worker_pid(g, name)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: g.worker(name)["state"] == "ready" and g.worker(name)["pid"] != pid, 20,
               f"{name} restarted after kill -9")


def create_requests(sim):
    reqs = sim.get("/counters")["requests"]
    return sum(n for k, v in reqs.items() if k.startswith("nova POST") and k.endswith("/servers")
               for n in v.values())


def settle(seconds):
    """Let the system run (not a wait for a condition: used to show that something
    does NOT happen during a period)."""
    time.sleep(seconds)
