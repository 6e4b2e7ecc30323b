"""Defaults and the knob table.

Knobs are the numbers (and a few strings) a running simulator can change through
the control API (POST /knobs).  They live in ONE table here; the README documents
each of them and a test checks that none is missing there.

Everything else (identities, fixtures) comes from the config file, merged over
DEFAULTS below.  Ids are fixed strings rather than random so that a test can
hard-code them and two runs of the simulator look the same.
"""
import copy
import json
import os

# name: (default, description)
KNOBS = {
    # -- time: every delay is in milliseconds so a test can run a day of CI in a minute
    "latency_ms": (0, "added before every API reply (not the control API); benchmarks use it"),
    "latency_jitter_ms": (0, "uniform random extra latency 0..N added to latency_ms"),
    "boot_ms": (300, "server BUILD -> ACTIVE"),
    "runner_start_ms": (300, "server ACTIVE -> its JIT runner shows online in GitHub"),
    "job_duration_ms": (1000, "default time a job keeps its runner busy"),
    "shutdown_ms": (100, "job completed -> VM SHUTOFF (the post-job step powering off)"),
    "delete_ms": (500, "DELETE server -> server gone; meanwhile it is still listed with task_state 'deleting' "
                       "(status unchanged) and still counts against the quota, as in real Nova"),
    "builder_run_ms": (300, "server without a JIT config whose user_data powers off: ACTIVE -> SHUTOFF"),
    "snapshot_saving_ms": (100, "createImage: image queued -> saving"),
    "snapshot_active_ms": (300, "createImage: image saving -> active"),
    "runner_lost_ms": (1000, "VM gone -> its GitHub runner shows offline (a busy one fails its job)"),
    "keystone_token_lifetime_ms": (3600000, "Keystone token lifetime"),
    "installation_token_lifetime_ms": (3600000, "GitHub App installation token lifetime"),
    "installation_token_clock_skew_ms": (0, "added to the expires_at GitHub reports (not to the real validity): "
                                            "a negative value is a client clock running ahead"),
    "registration_token_lifetime_ms": (3600000, "registration/remove token lifetime"),
    # -- GitHub rate limits
    "rate_limit_core": (5000, "primary rate limit budget (resource core) per identity per window"),
    "rate_limit_registration": (10000, "budget of resource actions_runner_registration (jitconfig, registration-token)"),
    "rate_limit_window_ms": (3600000, "length of a rate-limit window; budgets refill at x-ratelimit-reset"),
    "rate_limit_status": (403, "status of a primary rate-limit refusal: 403 or 429"),
    "secondary_write_per_min": (0, "GitHub secondary limit on content-creating requests (POST/PUT/PATCH/DELETE) "
                                   "per identity per rolling minute (GitHub documents 80; 0 = off)"),
    # -- jobs
    "job_arrival_per_min": (0, "steady arrival rate of jobs (0 = only jobs queued through the control API)"),
    "job_arrival_labels": (["self-hosted"], "labels of jobs made by the steady arrival"),
    "job_arrival_repo": ("ghr-org/ghr-repo", "repository of jobs made by the steady arrival"),
    "job_conclusion": ("success", "conclusion of a job that ran to its end"),
    # -- runners / VMs
    "runner_version": ("2.330.0", "version reported by online runners and runner downloads"),
    "runner_tarball_corrupt": (False, "the runner tarball a VM downloads does not match the sha256_checksum GitHub "
                                      "publishes (a tampered or broken download)"),
    "builder_fault": ("", "how a builder VM running ghr's builder script ends: '' (as the script says), "
                          "'apt_fail' (apt-get fails every retry), 'never_poweroff' (hangs, stays ACTIVE)"),
    "jit_pad_bytes": (4700, "padding inside encoded_jit_config so it is as large as a real one (~6.6 KB, 2025)"),
    "poweroff_when_runner_exits": (True, "run.sh ending without a job (JIT refused, runner deleted) powers the VM off "
                                         "after shutdown_ms, if its user_data runs poweroff/shutdown (ghr's template does)"),
    # -- OpenStack limits
    "nova_max_limit": (1000, "largest page Nova returns (osapi_max_limit)"),
    "nova_db": ("mysql", "Nova's database, for the servers name filter: 'mysql' (case-insensitive REGEXP) or "
                         "'sqlite' (case-sensitive Python re.search); both escape every '|'"),
    "glance_default_limit": (25, "Glance page size when no limit is given"),
    "glance_max_limit": (1000, "largest page Glance returns"),
    "quota_instances": (10000, "Nova quota: instances per project (-1 unlimited)"),
    "quota_cores": (100000, "Nova quota: vCPUs per project (-1 unlimited)"),
    "quota_ram_mb": (100000000, "Nova quota: RAM MB per project (-1 unlimited)"),
    "quota_status": (403, "status of a quota refusal: 403 (forbidden, current Nova) or 413 (overLimit)"),
    # -- webhooks
    "webhook_url": ("", "where workflow_job deliveries go ('' = no deliveries)"),
    "webhook_secret": ("ghr-webhook-secret", "HMAC key of X-Hub-Signature-256"),
    "webhook_timeout_ms": (5000, "how long a delivery waits for the receiver"),
    # -- HTTP connections
    "keepalive_idle_ms": (5000, "the API server closes a keep-alive connection idle this long (like a real front end)"),
    "max_requests_per_conn": (100, "the API server closes a keep-alive connection after this many requests "
                                   "(Connection: close on the last reply; 0 = unlimited)"),
}


def default_knobs():
    return {k: copy.deepcopy(v[0]) for k, v in KNOBS.items()}


# Fixed ids so that tests can name them.
PROJECT_ID = "7936cdd3891c4dd1b5bb531aed384228"
USER_ID = "2e86def96324488488394a411b22a6e7"
ADMIN_ID = "9a0c1e2f3b4d4e5f8a6b7c8d9e0f1a2b"

DEFAULTS = {
    "keystone": {
        "domains": [{"id": "default", "name": "Default"}],
        "projects": [
            {"id": PROJECT_ID, "name": "ghr", "domain_id": "default"},
            {"id": "b2c6d3e6f0a34c0fa1c0b7f1d1e2f3a4", "name": "other", "domain_id": "default"},
        ],
        "users": [
            {"id": USER_ID, "name": "ghr", "password": "ghr-secret",
             "domain_id": "default", "default_project_id": PROJECT_ID,
             "roles": ["member", "reader"]},
            # An admin of the same project: Nova shows it the admin-only server fields.
            {"id": ADMIN_ID, "name": "ghr-admin", "password": "ghr-admin-secret",
             "domain_id": "default", "default_project_id": PROJECT_ID,
             "roles": ["admin", "member", "reader"]},
        ],
        "application_credentials": [
            {"id": "ghrappcred0000000000000000000001", "name": "ghr-appcred",
             "secret": "ghr-appcred-secret", "user_id": USER_ID, "project_id": PROJECT_ID},
        ],
    },
    "regions": ["RegionOne", "RegionTwo"],
    "flavors": [
        {"id": "0cacf076-e4c3-4dc9-adcd-29f859adb802", "name": "small", "vcpus": 2, "ram": 4096, "disk": 20},
        {"id": "1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5", "name": "medium", "vcpus": 4, "ram": 8192, "disk": 40},
    ],
    "images": [
        # owner_specified.* are what the openstack client stores on upload (see the captures).
        {"id": "137d3556-828f-4a72-90f8-7ed756aebc93", "name": "ubuntu-22.04", "status": "active",
         "visibility": "public", "tags": ["ghr-base"],
         "properties": {"owner_specified.openstack.md5": "", "owner_specified.openstack.sha256": "",
                        "owner_specified.openstack.object": "images/ubuntu-22.04"}},
        {"id": "5c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f", "name": "ghr-runner-image", "status": "active",
         "visibility": "private", "tags": ["ghr-runner"],
         "properties": {"ghr-runner-version": "2.330.0", "image_type": "snapshot"}},
    ],
    "networks": [
        {"id": "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d", "name": "ghr-net", "shared": False},
    ],
    # What POST /servers may name: keypairs (key_name), security groups (by name or id),
    # availability zones.
    "keypairs": ["ghr-debug"],
    "security_groups": [{"id": "5f1e2d3c-4b5a-4697-8887-a6b5c4d3e2f1", "name": "default"},
                        {"id": "6a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "name": "ghr-runners"}],
    "availability_zones": ["nova", "az-2"],
    "github": {
        "pats": ["ghp_simtoken0000000000000000000000000000"],
        "orgs": ["ghr-org"],
        "repos": ["ghr-org/ghr-repo"],
        "enterprises": ["ghr-ent"],
        "runner_groups": [{"id": 1, "name": "Default", "default": True}],
        "app": {"app_id": 12345, "client_id": "Iv1.ghrsim0000000001", "slug": "ghr-sim-app",
                "installation_id": 4242, "account": "ghr-org",
                "public_key_path": None, "public_key_pem": None},
        "hook_id": 1,
    },
    "knobs": {},
}


def _merge(base, over):
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


def load(path=None, overrides=None):
    """Return the effective config: DEFAULTS, then the file, then overrides."""
    cfg = copy.deepcopy(DEFAULTS)
    if path:
        with open(path) as f:
            _merge(cfg, json.load(f))
    if overrides:
        _merge(cfg, overrides)
    env = os.environ.get("GHR_SIM_KNOBS")
    if env:     # e.g. GHR_SIM_KNOBS='{"delete_ms": 0}': knobs for every simulator a harness starts
        _merge(cfg, {"knobs": json.loads(env)})
    unknown = set(cfg.get("knobs", {})) - set(KNOBS)
    if unknown:
        raise ValueError("unknown knobs: %s" % ", ".join(sorted(unknown)))
    app = cfg["github"]["app"]
    if app.get("public_key_path") and not app.get("public_key_pem"):
        with open(app["public_key_path"]) as f:
            app["public_key_pem"] = f.read()
    return cfg
