# SPDX-License-Identifier: Apache-2.0
"""The Grafana dashboards of deploy/grafana/dashboards/ as the tests read them: their panels and
queries, Grafana's variables replaced, the metric and label names each query uses, and the names
docs/metrics.md documents with their labels. Used by tests/cli/dashboards (static checks and
PromQL syntax against an empty Prometheus) and tests/integration/coverage/96_dashboards.py (every
query against a Prometheus scraping the exporter on a real Slurm). Standard library only."""
import fnmatch
import json
import os
import re

ROOT = os.environ.get("SE_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASH_DIR = os.path.join(ROOT, "deploy", "grafana", "dashboards")
METRICS_MD = os.path.join(ROOT, "docs", "metrics.md")
DASHBOARDS_MD = os.path.join(ROOT, "docs", "dashboards.md")

# A panel whose description contains this may return no series (docs/dashboards.md).
EMPTY_MARKER = "Empty when"
# Series Prometheus writes itself for every target (not the exporter's): allowed in queries.
PROMETHEUS_OWN = {"up": {"instance", "job"}, "scrape_duration_seconds": {"instance", "job"},
                  "scrape_samples_scraped": {"instance", "job"}}
# Labels any series may carry besides its documented ones: the cluster (--slurm.clusters or a
# target label), and the target labels Prometheus adds.
ANY_LABELS = {"cluster", "instance", "job"}
# Names served without a cluster label even with --slurm.clusters (the exporter's process, HTTP,
# exposition and trace store, Prometheus' own): a query of these alone need not select $cluster.
NO_CLUSTER = {"slurm_exporter_build_info", "slurm_exporter_exposition_series",
              "slurm_exporter_exposition_build_duration_seconds", "slurm_exporter_exposition_builds_total",
              "slurm_exporter_http_requests_total", "slurm_exporter_trace_posts_total",
              "slurm_exporter_trace_posts_rejected_total", "slurm_exporter_trace_entries",
              "slurm_exporter_trace_jobs", "slurm_exporter_trace_store_bytes", "slurm_exporter_trace_expired_total",
              "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_max_fds",
              *PROMETHEUS_OWN}
# Grafana's interval variables, as the checks set them.
INTERVALS = {"__rate_interval": "1m", "__interval": "1m", "interval": "1m", "__range": "5m"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
            "offset", "inf", "nan", "atan2"}


def dashboards():
    """[(file name, parsed JSON)] in name order."""
    out = []
    for fn in sorted(os.listdir(DASH_DIR)):
        if fn.endswith(".json"):
            with open(os.path.join(DASH_DIR, fn), encoding="utf-8") as f:
                out.append((fn, json.load(f)))
    return out


def panels(dash):
    """Every panel, those inside rows too."""
    out = []
    for p in dash.get("panels", []):
        out.append(p)
        out.extend(p.get("panels", []) or [])
    return out


def queries(dash):
    """[(panel, target expr)] of every panel with targets."""
    return [(p, t["expr"]) for p in panels(dash) for t in p.get("targets", []) if t.get("expr", "").strip()]


def substitute(expr, cluster=".*", intervals=None):
    """The query Grafana would send: $cluster -> `cluster` (a regex; ".*" is All, which also
    matches series without the label), the interval variables -> `intervals`, $datasource never
    appears in a query. Raises ValueError on any other variable."""
    iv = dict(INTERVALS, **(intervals or {}))

    def one(m):
        name = m.group(1) or m.group(2)
        if name == "cluster":
            return cluster
        if name in iv:
            return iv[name]
        raise ValueError(f"unknown variable ${name}")
    return re.sub(r"\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)", one, expr)


def _strip_strings(expr):
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)


def analyse(expr):
    """(metric names, {metric: matcher label names}, grouping label names) of a PromQL query."""
    e = _strip_strings(expr)
    grouping = set()
    for m in re.finditer(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", e):
        grouping.update(x.strip() for x in m.group(1).split(",") if x.strip())
    e2 = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    matchers = {}
    names = set()
    for m in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{([^}]*)\}", e2):
        labels = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", m.group(2)))
        if m.group(1) and m.group(1) not in KEYWORDS:
            matchers.setdefault(m.group(1), set()).update(labels)
        elif labels - {"__name__"}:
            matchers.setdefault("", set()).update(labels)
    e3 = re.sub(r"\{[^}]*\}", " ", e2)
    e3 = re.sub(r"\[[^\]]*\]", " ", e3)
    for m in re.finditer(r"(?<![A-Za-z0-9_:.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?", e3):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in KEYWORDS:
            continue
        names.add(word)
    return names, matchers, grouping


def documented():
    """{name: {"labels": set, "section": heading, "row": table row}} of docs/metrics.md's tables
    (a histogram's _bucket, _sum and _count included); compatibility names are left out, the
    dashboards use the exporter's own."""
    out = {}
    heading = ""
    label_col = None
    with open(METRICS_MD, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in lines:
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            label_col = None
            continue
        if not line.startswith("|"):
            label_col = None if not line.strip() else label_col
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == "metric":
            label_col = cells.index("labels") if "labels" in cells else None
            types_col = cells.index("type") if "type" in cells else None
            continue
        if label_col is None or set(cells[0]) <= set("-: "):
            continue
        if re.search(r"ompat|vpenso|rivosinc|azure|goldentooth|jontk", heading, re.I):
            continue
        labels = set(re.findall(r"[a-z_]+", cells[label_col])) if label_col < len(cells) else set()
        mtype = cells[types_col] if types_col is not None and types_col < len(cells) else ""
        for name in re.findall(r"`([a-z_:][a-z0-9_:]*)`", cells[0]):
            rec = {"labels": labels, "section": heading, "row": line}
            out[name] = rec
            if mtype.startswith("histogram"):
                out[name + "_bucket"] = dict(rec, labels=labels | {"le"})
                out[name + "_sum"] = rec
                out[name + "_count"] = rec
    return out


def needs_flag_in_docs(name, rec):
    """The flag docs/metrics.md says a name needs, or None when it is served by default."""
    sec, row = rec["section"], rec["row"]
    if sec.startswith("Fairshare") and name.startswith("slurm_user_fairshare_"):
        return "--collector.fairshare.users"  # the table says it on its first such row
    for flag in ("--collector.fairshare.users", "--accounting.users"):
        if f"only with `{flag}`" in row or f"`{flag}`:" in row:
            return flag
    m = re.search(r"\(`(--collector\.[a-z_]+)`, off by default\)", sec)
    if m:
        return m.group(1)
    if "--trace.enabled" in sec:
        return "--trace.enabled"
    return None


def allow_list():
    """[(glob, flag)] of the table under "## Names that need a flag" in docs/dashboards.md."""
    out = []
    inside = False
    with open(DASHBOARDS_MD, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                inside = line.strip() == "## Names that need a flag"
                continue
            if inside and line.startswith("|"):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                globs = re.findall(r"`([a-z_*]+)`", cells[0])
                flags = re.findall(r"`(--[a-z.-]+)`", cells[1]) if len(cells) > 1 else []
                for g in globs:
                    for fl in flags:
                        out.append((g, fl))
    return out


def flags_for(name, allow):
    return {fl for g, fl in allow if fnmatch.fnmatchcase(name, g)}
