#!/usr/bin/env python3
"""Benchmark of the common core (proto codec, redaction, logging, config loading).

Compiles tests/bench/bench_core.c against the core sources, runs it, and lets it
append its figures as JSON lines to build/bench/results.jsonl."""
import os
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("GHR_BUILD", os.path.join(SRC, "build"))


def main():
    out_dir = os.path.join(BUILD, "bench")
    os.makedirs(out_dir, exist_ok=True)
    exe = os.path.join(out_dir, "bench_core")
    # Link against the library every ghr binary uses, so new core files need no edit here.
    lib = os.path.join(BUILD, "libghr.a")
    if not os.path.exists(lib):
        subprocess.run(["make", "--no-print-directory", "BUILD=" + BUILD, lib], cwd=SRC, check=True, timeout=600)
    cmd = [os.environ.get("CC", "cc"), "-std=c11", "-D_GNU_SOURCE", "-O2", "-I.", "-o", exe,
           "tests/bench/bench_core.c", lib, "-ljansson", "-lyaml", "-lzmq", "-lcurl", "-lcrypto", "-lm"]
    subprocess.run(cmd, cwd=SRC, check=True, timeout=300)
    env = dict(os.environ, GHR_SRCDIR=SRC)
    r = subprocess.run([exe, os.path.join(out_dir, "results.jsonl")], cwd=SRC, env=env, timeout=120)
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
