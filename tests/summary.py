#!/usr/bin/env python3
"""Add up the per-suite results in a `make check` log and print one closing line.

Each suite prints its own `NAME: N passed, N failed[, N skipped]` line (the unit runner,
tests/integration/run.py, tests/scripts/check.sh); Python's unittest prints `Ran N tests`
followed by `OK` or `FAILED (failures=F, errors=E, skipped=S)`.  The total is printed as
`check: N passed, N failed, N skipped`."""
import re
import sys

def main(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    passed = failed = skipped = 0
    suites = 0
    for m in re.finditer(r"^[.\s]*([\w-]+): (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$", text, re.M):
        if m.group(1) == "check":
            continue
        suites += 1
        passed += int(m.group(2))
        failed += int(m.group(3))
        skipped += int(m.group(4) or 0)
    # Suites run in parallel, so a line may start after another suite's progress dots.
    for m in re.finditer(r"^Ran (\d+) tests? in [\d.]+s\n\n(OK|FAILED)(?: \(([^)]*)\))?", text, re.M):
        suites += 1
        ran = int(m.group(1))
        detail = dict(kv.split("=") for kv in (m.group(3) or "").split(", ") if "=" in kv)
        f = int(detail.get("failures", 0)) + int(detail.get("errors", 0))
        s = int(detail.get("skipped", 0))
        failed += f
        skipped += s
        passed += ran - f - s
    print(f"check: {passed} passed, {failed} failed, {skipped} skipped ({suites} suites)")
    return 1 if failed or suites == 0 else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
