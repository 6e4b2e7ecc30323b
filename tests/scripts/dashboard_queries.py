#!/usr/bin/env python3
"""The queries of a Grafana dashboard, and the ghr metric names they (or alerting rules) use.

  dashboard_queries.py rules DASHBOARD.json   a rules file with one recording rule per
                                              query (template variables made concrete), for
                                              `promtool check rules`
  dashboard_queries.py names FILE...          the ghr_* metric names used in dashboards
                                              (.json) and rule files (.yaml), one a line
"""
import json
import re
import sys

NAME = re.compile(r"\bghr_[a-z0-9_]+\b")


def queries(path):
    with open(path) as f:
        dash = json.load(f)
    for panel in dash.get("panels", []):
        for t in panel.get("targets", []):
            if t.get("expr"):
                yield panel.get("title", ""), t["expr"]


def concrete(expr):
    return expr.replace("$pool", ".*").replace("${pool}", ".*")


def rule_exprs(path):
    text = open(path).read()
    return re.findall(r"^\s*expr:\s*(?:\|\s*\n((?:\s{10,}.*\n?)+)|(.*))$", text, re.M)


def names(paths):
    found = set()
    for p in paths:
        if p.endswith(".json"):
            for _, e in queries(p):
                found |= set(NAME.findall(e))
        else:
            for block, line in rule_exprs(p):
                found |= set(NAME.findall(block or line))
    return sorted(found)


def main(argv):
    if len(argv) >= 3 and argv[1] == "rules":
        print("groups:\n  - name: dashboard\n    rules:")
        for i, (title, e) in enumerate(queries(argv[2])):
            print(f"      - record: ghr_dashboard_query_{i}\n        expr: {json.dumps(concrete(e))}")
        return 0
    if len(argv) >= 3 and argv[1] == "names":
        print("\n".join(names(argv[2:])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
