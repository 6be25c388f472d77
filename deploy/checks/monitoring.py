"""Checks the alerting rules and the dashboard against what the service exports:
every metric they name must be recorded somewhere in src/ (`counter!`, `gauge!`,
`histogram!`), so a renamed metric cannot leave an alert silently empty. Also the
rules file's structure (for machines without promtool) and the dashboard's.

    monitoring.py --src SRC --rules RULES --dashboard DASHBOARD [--dashboard-rules OUT]

--dashboard-rules writes the dashboard's queries as a rules file, so that
`promtool check rules` parses them as it parses the alerts.
"""

import argparse
import glob
import json
import os
import re
import sys

import yaml

# Series that Prometheus makes itself.
PROMETHEUS_OWN = {"up"}

KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan"}

# Grafana's variables, as a query would be sent.
GRAFANA = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "$pod": ".*"}


def exported(src):
    """Metric names recorded in the source; a histogram also exports _bucket, _sum, _count."""
    names = set()
    for path in glob.glob(os.path.join(src, "**", "*.rs"), recursive=True):
        text = open(path, encoding="utf-8").read()
        for kind, name in re.findall(r"metrics::(counter|gauge|histogram)!\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"", text):
            names.add(name)
            if kind == "histogram":
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def metric_names(expr):
    """The metric names a PromQL expression selects."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\{?\w+\}?", " ", e)
    e = re.sub(r"\b\d+(ms|s|m|h|d|w|y)\b", " ", e)
    e = re.sub(r"\b\d+(\.\d+)?([eE][+-]?\d+)?\b", " ", e)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        if e[match.end():].lstrip().startswith("(") or match.group(0).lower() in KEYWORDS:
            continue
        names.add(match.group(0))
    return names


def check_rules(path, errors):
    """The structure promtool would check, for machines without it; returns the rules."""
    with open(path, encoding="utf-8") as f:
        document = yaml.safe_load(f)
    rules = []
    groups = document.get("groups") if isinstance(document, dict) else None
    if not groups:
        errors.append(f"{path}: no rule groups")
        return rules
    seen = set()
    for group in groups:
        name = group.get("name")
        if not name or name in seen:
            errors.append(f"{path}: a group without a name, or a name used twice ({name})")
        seen.add(name)
        for rule in group.get("rules") or []:
            what = rule.get("alert") or rule.get("record")
            if bool(rule.get("alert")) == bool(rule.get("record")):
                errors.append(f"{path}: group {name}: a rule is an alert or a recording rule, not both or neither")
            if not str(rule.get("expr", "")).strip():
                errors.append(f"{path}: {what}: no expression")
            if rule.get("alert"):
                if rule.get("labels", {}).get("severity") not in ("critical", "warning"):
                    errors.append(f"{path}: {what}: severity must be critical or warning")
                if not rule.get("annotations", {}).get("summary"):
                    errors.append(f"{path}: {what}: no summary")
            rules.append(rule)
    return rules


def dashboard_queries(path, errors):
    with open(path, encoding="utf-8") as f:
        dashboard = json.load(f)
    queries = []
    ids = set()
    for panel in dashboard.get("panels", []):
        if panel.get("id") in ids:
            errors.append(f"{path}: panel id {panel.get('id')} used twice")
        ids.add(panel.get("id"))
        for target in panel.get("targets", []):
            if not target.get("expr", "").strip():
                errors.append(f"{path}: panel {panel.get('title')!r} has a query without an expression")
            queries.append((panel.get("title"), target.get("expr", "")))
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        found = re.fullmatch(r"label_values\((.*),\s*\w+\)", query or "")
        if found:
            queries.append((f"variable {variable['name']}", found.group(1)))
    return queries


def as_sent(expr):
    for variable, value in GRAFANA.items():
        expr = expr.replace(variable, value)
    return expr


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", required=True)
    parser.add_argument("--rules", required=True)
    parser.add_argument("--dashboard", required=True)
    parser.add_argument("--dashboard-rules")
    args = parser.parse_args()
    errors = []
    available = exported(args.src) | PROMETHEUS_OWN
    rules = check_rules(args.rules, errors)
    available |= {r["record"] for r in rules if r.get("record")}
    for rule in rules:
        for name in sorted(metric_names(str(rule.get("expr", ""))) - available):
            errors.append(f"{args.rules}: {rule.get('alert') or rule.get('record')} uses {name}, which nothing exports")
    queries = dashboard_queries(args.dashboard, errors)
    for title, expr in queries:
        for name in sorted(metric_names(expr) - available):
            errors.append(f"{args.dashboard}: panel {title!r} uses {name}, which nothing exports")
    if args.dashboard_rules:
        as_rules = [{"record": f"dashboard:query_{i}", "expr": as_sent(expr)} for i, (_, expr) in enumerate(queries)]
        with open(args.dashboard_rules, "w", encoding="utf-8") as f:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": as_rules}]}, f, sort_keys=False)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"{len(rules)} rules and {len(queries)} dashboard queries over {len(available)} known series")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
