#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end test of slurm_exporter against a real Slurm and a real Prometheus.

It starts a throw-away cluster (tests/harness/slurm-cluster) in its own directory and on its
own ports, puts a known workload on it (tests/harness/workload), starts the exporter, and
compares what the exporter serves with what Slurm itself reports. The expected values are
computed here, independently, from Slurm's JSON (`squeue --json -a`, `sinfo --json`) and
from `scontrol -o show partitions` (22.05 has no JSON form for partitions); on Slurm >= 23.02
the JSON is brought to 22.05's shape first (slurm_snapshot). Then it lints
the exposition with promtool, checks the HTTP surface, lets a real Prometheus scrape the
exporter and answers the admins' questions with one PromQL query each, and finally stops
slurmctld to check that a second exporter (--slurm.max-age=3s) withdraws the jobs series.

Prints one line per check, `ok - NAME` or `not ok - NAME: DETAILS`; exits 1 if any failed.
Python 3 standard library only; run with /usr/bin/python3.

Environment: EXPORTER (default build/slurm_exporter), PROMETHEUS (default /usr/bin/prometheus),
PROMTOOL (default /usr/bin/promtool), IT_KEEP=1 keeps the state directory for debugging,
SLURM_VERSION (22.05, the host's, by default; 24.11 and 26.05 run from a chroot, see
tests/README.md).
Options: --dbd (also start MariaDB + slurmdbd), --nodes N (default 6).
"""
import argparse
import gzip
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sexp  # noqa: E402

REPO = sexp.ROOT
HARNESS = sexp.HARNESS
WORKLOAD = sexp.WORKLOAD
MIB = 1048576
STATE_DIR_PREFIX = "slurm-exporter-it."
SLURM_VERSION = os.environ.get("SLURM_VERSION") or "22.05"
# Slurm 22.05's JSON is what the reference code below reads; newer versions' is converted.
OLD_JSON = SLURM_VERSION == "22.05"
USER2 = os.environ.get("SLURM_CLUSTER_USER2") or "sexp2"  # the harness's second user
POLL = 1.0  # --slurm.poll-interval the exporter runs with

# Families the exporter must serve: name -> (type, label names).
FAMILIES = {
    "slurm_jobs": ("gauge", ("partition", "state")),
    "slurm_jobs_cpus": ("gauge", ("partition", "state")),
    "slurm_jobs_memory_bytes": ("gauge", ("partition", "state")),
    "slurm_jobs_gpus": ("gauge", ("partition", "state")),
    "slurm_jobs_pending": ("gauge", ("partition", "reason")),
    "slurm_jobs_oldest_pending_age_seconds": ("gauge", ("partition",)),
    "slurm_jobs_queue_wait_seconds": ("histogram", ("partition",)),
    "slurm_queue_jobs": ("gauge", ("state",)),
    "slurm_queue_cpus": ("gauge", ("state",)),
    "slurm_queue_memory_bytes": ("gauge", ("state",)),
    "slurm_queue_gpus": ("gauge", ("state",)),
    "slurm_queue_jobs_pending": ("gauge", ("reason",)),
    "slurm_user_jobs": ("gauge", ("user", "state")),
    "slurm_user_cpus": ("gauge", ("user", "state")),
    "slurm_user_memory_bytes": ("gauge", ("user", "state")),
    "slurm_user_gpus": ("gauge", ("user", "state")),
    "slurm_account_jobs": ("gauge", ("account", "state")),
    "slurm_account_cpus": ("gauge", ("account", "state")),
    "slurm_account_memory_bytes": ("gauge", ("account", "state")),
    "slurm_account_gpus": ("gauge", ("account", "state")),
    "slurm_nodes": ("gauge", ("state",)),
    "slurm_nodes_flags": ("gauge", ("flag",)),
    "slurm_partition_nodes": ("gauge", ("partition", "state")),
    "slurm_partition_nodes_flags": ("gauge", ("partition", "flag")),
    "slurm_cpus": ("gauge", ("state",)),
    "slurm_cpus_configured": ("gauge", ()),
    "slurm_memory_configured_bytes": ("gauge", ()),
    "slurm_memory_allocated_bytes": ("gauge", ()),
    "slurm_memory_free_bytes": ("gauge", ()),
    "slurm_cpu_load": ("gauge", ()),
    "slurm_gres_configured": ("gauge", ("gres", "type")),
    "slurm_gres_allocated": ("gauge", ("gres", "type")),
    "slurm_partition_info": ("gauge", None),  # partition, state, default, hidden and more
    "slurm_partition_cpus": ("gauge", ("partition", "state")),
    "slurm_partition_cpus_configured": ("gauge", ("partition",)),
    "slurm_partition_memory_configured_bytes": ("gauge", ("partition",)),
    "slurm_partition_memory_allocated_bytes": ("gauge", ("partition",)),
    "slurm_partition_gres_configured": ("gauge", ("partition", "gres", "type")),
    "slurm_partition_gres_allocated": ("gauge", ("partition", "gres", "type")),
    "slurm_partition_jobs_running": ("gauge", ("partition",)),
    "slurm_partition_jobs_pending": ("gauge", ("partition",)),
    "slurm_partition_max_time_seconds": ("gauge", ("partition",)),
    "slurm_exporter_collector_success": ("gauge", ("collector",)),
    "slurm_exporter_collector_duration_seconds": ("gauge", ("collector",)),
    "slurm_exporter_dataset_age_seconds": ("gauge", ("dataset",)),
    "slurm_exporter_dataset_fetches_total": ("counter", ("dataset", "result")),
    "slurm_exporter_command_duration_seconds": ("gauge", ("command",)),
    "slurm_exporter_command_errors_total": ("counter", ("command",)),
    "slurm_exporter_parse_errors_total": ("counter", ("source",)),
    "slurm_exporter_build_info": ("gauge", None),
    "slurm_exporter_slurm_info": ("gauge", ("version",)),
    "slurm_exporter_http_requests_total": ("counter", ("path", "code")),
    "process_cpu_seconds_total": ("counter", ()),
    "process_resident_memory_bytes": ("gauge", ()),
}
JOBS_FAMILIES = [n for n in FAMILIES
                 if n.startswith(("slurm_jobs", "slurm_queue_", "slurm_user_", "slurm_account_"))]
COLLECTORS = ("jobs", "nodes", "partitions")


# ----------------------------------------------------------------------------- reporting

Report = sexp.Report
R = Report()


class Abort(Exception):
    """A step failed so badly that the checks after it cannot run."""


# ----------------------------------------------------------------------------- exposition parsing

Exposition = sexp.Exposition
parse_value = sexp.parse_value


# ----------------------------------------------------------------------------- processes, HTTP

set_pdeathsig = sexp.set_pdeathsig
free_port = sexp.free_port
port_free = sexp.port_free
http = sexp.http


def run(cmd, env=None, timeout=60, check=True, input_text=None):
    p = subprocess.run(cmd, env=env, input=input_text, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise Abort(f"{' '.join(cmd)} exited {p.returncode}: {(p.stderr or p.stdout).strip()[-1500:]}")
    return p


def wait_until(what, fn, timeout, interval=0.25):
    """Polls fn() until it returns a true value, which is returned; raises Abort on timeout."""
    return sexp.wait_until(what, fn, timeout, interval, error=Abort)


class Exporter(sexp.Exporter):
    """The exporter on the real Slurm (env), polling every POLL s, logging at debug level into
    workdir/NAME.log; wait_ready() and metrics() raise Abort; stop() returns (exit code, seconds)."""

    def __init__(self, binary, workdir, env, name, extra=()):
        # a chroot Slurm's commands are the harness's scripts in SLURM_CLUSTER_BIN
        bin_path = [f"--slurm.bin-path={env['SLURM_CLUSTER_BIN']}"] if env.get("SLURM_CLUSTER_BIN") else []
        super().__init__(binary, args=[f"--slurm.poll-interval={POLL:g}s", "--log.level=debug", *bin_path, *extra],
                         env=env, log_path=os.path.join(workdir, f"{name}.log"), error=Abort, exposition=True)

    def wait_ready(self, timeout=30):
        return super().wait_ready(timeout)

    def stop(self, timeout=10):
        rc, _ = super().stop(timeout)
        return rc, self.stopped_in


# ----------------------------------------------------------------------------- Slurm's own view

def slurm_env(conf, bindir=None):
    """The Slurm client environment; bindir: the chroot's command scripts (first in PATH, and
    the exporter's --slurm.bin-path)."""
    env = dict(os.environ)
    for k in ("SLURM_JWT", "SQUEUE_FORMAT", "SQUEUE_FORMAT2", "SINFO_FORMAT", "SQUEUE_SORT",
              "SINFO_SORT", "SLURM_TIME_FORMAT", "SLURM_CLUSTERS", "SLURM_CLUSTER_BIN"):
        env.pop(k, None)
    env["SLURM_CONF"] = conf
    if bindir:
        env["SLURM_CLUSTER_BIN"] = bindir
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    return env


def as_user(env, user, cmd):
    """cmd run as user: runuser on the host, or runuser inside the chroot of a chroot Slurm
    (a command script of the chroot cannot be run by anybody but root)."""
    prefix = [os.path.join(env["SLURM_CLUSTER_BIN"], "in-chroot")] if env.get("SLURM_CLUSTER_BIN") else []
    return prefix + ["runuser", "-u", user, "--"] + list(cmd)


def unwrap(v):
    """Slurm >= 23.02's {"set", "infinite", "number"} -> the number; None when unset or infinite."""
    if isinstance(v, dict) and "number" in v and "set" in v:
        return v["number"] if v["set"] and not v.get("infinite") else None
    return v


def job_as_2205(j):
    """A job of a newer squeue --json with the fields the checks read as 22.05 had them."""
    j = {k: unwrap(v) for k, v in j.items()}
    if isinstance(j.get("job_state"), list):
        j["job_state"] = j["job_state"][0] if j["job_state"] else ""
    return j


def node_as_2205(n):
    """A node of a newer `scontrol show nodes --json` as 22.05's sinfo --json had it: state is
    the base state, the rest of the list are state_flags; free_mem is free_memory, version is
    slurmd_version, feature lists are comma-separated strings."""
    n = {k: unwrap(v) for k, v in n.items()}
    st = n.get("state") or []
    if isinstance(st, list):
        n["state"], n["state_flags"] = (st[0] if st else "UNKNOWN"), st[1:]
    if "free_memory" not in n:
        n["free_memory"] = n.get("free_mem")
    for k in ("features", "active_features"):
        if isinstance(n.get(k), list):
            n[k] = ",".join(n[k])
    if "slurmd_version" not in n:
        n["slurmd_version"] = n.get("version")
    return n


def slurm_json(env, what):
    """Slurm's own JSON view, in 22.05's shape: what = "jobs" (every job, finished ones too)
    or "nodes" (one record per node). 22.05 answers both with squeue/sinfo --json; newer
    squeue leaves finished jobs out unless --states=all, and newer sinfo --json groups nodes
    like sinfo does (its per-node form is scontrol show nodes --json)."""
    if OLD_JSON:
        cmd = ["squeue", "--json", "-a"] if what == "jobs" else ["sinfo", "--json"]
    else:
        cmd = (["squeue", "--json", "-a", "--states=all"] if what == "jobs"
               else ["scontrol", "show", "nodes", "--json"])
    doc = json.loads(run(cmd, env=env, timeout=30).stdout)
    if doc.get("errors"):
        raise Abort(f"Slurm JSON reports errors: {' '.join(cmd)}: {doc.get('errors')}")
    items = doc[what]
    if not OLD_JSON:
        items = [job_as_2205(j) if what == "jobs" else node_as_2205(j) for j in items]
    return items


def slurm_snapshot(env):
    jobs = slurm_json(env, "jobs")
    nodes = slurm_json(env, "nodes")
    parts = run(["scontrol", "-o", "show", "partitions"], env=env, timeout=30).stdout
    return {"jobs": jobs, "nodes": nodes, "parts": parse_scontrol_partitions(parts),
            "time": time.time()}


def parse_scontrol_partitions(text):
    parts = {}
    for line in text.splitlines():
        kv = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "PartitionName" in kv:
            parts[kv["PartitionName"]] = kv
    return parts


def array_task_count(spec):
    """'2-5%2' -> 4, '0-9' -> 10, '1,3,5-7' -> 5, '0-15:4' -> 4."""
    spec = spec.split("%", 1)[0]
    n = 0
    for part in spec.split(","):
        step = 1
        if ":" in part:
            part, s = part.split(":", 1)
            step = int(s)
        if "-" in part:
            a, b = part.split("-", 1)
            n += (int(b) - int(a)) // step + 1
        elif part:
            n += 1
    return n


def tres_value(tres, key):
    """'cpu=4,mem=8000M,gres/gpu=2' and 'gres/gpu' -> 2 (None when absent)."""
    for item in (tres or "").split(","):
        k, _, v = item.partition("=")
        if k == key:
            return float(v)
    return None


def tres_mem_mib(tres):
    for item in (tres or "").split(","):
        k, _, v = item.partition("=")
        if k == "mem" and v:
            mult = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}.get(v[-1], 1)
            return float(v.rstrip("KMGT")) * mult
    return None


def gres_gpu_count(spec):
    """GPUs in a tres_per_* string such as 'gres:gpu:a100:2' or 'gres/gpu=2,gres:foo:1'."""
    total = 0
    for item in (spec or "").split(","):
        item = item.strip()
        for prefix in ("gres:", "gres/"):
            if item.startswith(prefix):
                item = item[len(prefix):]
        item = item.replace("=", ":")
        fields = item.split(":")
        if not fields or fields[0] != "gpu":
            continue
        count = re.match(r"\d+", fields[-1]) if len(fields) > 1 else None
        total += int(count.group(0)) if count else 1
    return total


def job_gpus(j):
    for key in ("tres_alloc_str", "tres_req_str"):
        v = tres_value(j.get(key), "gres/gpu")
        if v is not None:
            return v
    nodes = j.get("node_count") or 1
    tasks = j.get("tasks") or 1
    return (gres_gpu_count(j.get("tres_per_job")) + gres_gpu_count(j.get("tres_per_node")) * nodes
            + gres_gpu_count(j.get("tres_per_task")) * tasks)


def job_memory_mib(j):
    if j.get("memory_per_node") is not None:
        return j["memory_per_node"] * (j.get("node_count") or 0)
    if j.get("memory_per_cpu") is not None:
        return j["memory_per_cpu"] * (j.get("cpus") or 0)
    return tres_mem_mib(j.get("tres_alloc_str")) or tres_mem_mib(j.get("tres_req_str")) or 0


def add(d, key, v):
    d[key] = d.get(key, 0) + v


def expected_jobs(snap, now):
    """Expected values of the jobs collector's families, from `squeue --json -a`."""
    e = {n: {} for n in JOBS_FAMILIES}
    problems = []
    for j in snap["jobs"]:
        tasks = 1
        if j.get("array_task_string") and j.get("array_task_id") is None:
            tasks = array_task_count(j["array_task_string"])
        state = j["job_state"].lower()
        parts = [p for p in j["partition"].split(",") if p]
        cpus = (j.get("cpus") or 0) * tasks
        mem = job_memory_mib(j)
        tres_mem = tres_mem_mib(j.get("tres_alloc_str")) or tres_mem_mib(j.get("tres_req_str"))
        if tres_mem is not None and abs(tres_mem - mem) > 1:
            problems.append(f"job {j['job_id']}: memory {mem} MiB from per-node/per-cpu vs {tres_mem} from TRES")
        mem = mem * MIB * tasks
        gpus = job_gpus(j) * tasks
        for p in parts:
            add(e["slurm_jobs"], (p, state), tasks)
            add(e["slurm_jobs_cpus"], (p, state), cpus)
            add(e["slurm_jobs_memory_bytes"], (p, state), mem)
            add(e["slurm_jobs_gpus"], (p, state), gpus)
            if state == "pending":
                add(e["slurm_jobs_pending"], (p, j["state_reason"]), tasks)
                elig = j.get("eligible_time") or 0
                if 0 < elig <= now:
                    age = now - elig
                    cur = e["slurm_jobs_oldest_pending_age_seconds"].get((p,), 0)
                    e["slurm_jobs_oldest_pending_age_seconds"][(p,)] = max(cur, age)
        # The whole queue: the job once, however many partitions it lists.
        add(e["slurm_queue_jobs"], (state,), tasks)
        add(e["slurm_queue_cpus"], (state,), cpus)
        add(e["slurm_queue_memory_bytes"], (state,), mem)
        add(e["slurm_queue_gpus"], (state,), gpus)
        if state == "pending":
            add(e["slurm_queue_jobs_pending"], (j["state_reason"],), tasks)
        for who, fam in (("user_name", "slurm_user"), ("account", "slurm_account")):
            key = (j[who], state)
            add(e[fam + "_jobs"], key, tasks)
            add(e[fam + "_cpus"], key, cpus)
            add(e[fam + "_memory_bytes"], key, mem)
            add(e[fam + "_gpus"], key, gpus)
    return e, problems


UNAVAILABLE_FLAGS = {"DRAIN", "FAIL", "NOT_RESPONDING"}


def node_state(n):
    """The exporter's one state per node, by the documented precedence, from sinfo --json."""
    base = n["state"].lower()
    flags = {f.upper() for f in n.get("state_flags") or []}
    if base == "down":
        return "down"
    if "FAIL" in flags:
        return "fail"
    if "DRAIN" in flags:
        busy = (n.get("alloc_cpus") or 0) > 0 or base in ("allocated", "mixed") or "COMPLETING" in flags
        return "draining" if busy else "drained"
    if "NOT_RESPONDING" in flags:
        return "not_responding"
    if base in ("error", "future", "unknown"):
        return base
    for flag in ("POWERED_DOWN", "POWERING_UP", "POWERING_DOWN", "MAINTENANCE", "RESERVED", "COMPLETING"):
        if flag in flags:
            return flag.lower()
    if base in ("allocated", "mixed"):
        return base
    if "PLANNED" in flags:
        return "planned"
    return base


def node_cpus(n):
    total = n["cpus"]
    alloc = n.get("alloc_cpus") or 0
    unavailable = n["state"].lower() == "down" or bool(UNAVAILABLE_FLAGS & {f.upper() for f in n.get("state_flags") or []})
    idle = 0 if unavailable else (total - alloc)
    return {"allocated": alloc, "idle": idle, "other": total - alloc - idle}


def parse_gres(spec):
    """'gpu:a100:4(S:0-1),gpu:a100:2(IDX:0-1)' -> {('gpu','a100'): 6}; 'gpu:0' -> {('gpu',''): 0}."""
    out = {}
    for item in re.split(r",(?![^(]*\))", spec or ""):
        item = re.sub(r"\(.*\)$", "", item.strip())
        if not item or item in ("(null)", "N/A"):
            continue
        fields = item.split(":")
        name = fields[0]
        count = 1
        typ = ""
        if len(fields) >= 2 and fields[-1].isdigit():
            count = int(fields[-1])
            typ = ":".join(fields[1:-1])
        elif len(fields) >= 2:
            typ = ":".join(fields[1:])
        add(out, (name, typ), count)
    return out


def expected_nodes(snap):
    e = {k: {} for k in ("slurm_nodes", "slurm_nodes_flags", "slurm_partition_nodes",
                         "slurm_partition_nodes_flags", "slurm_cpus", "slurm_cpus_configured",
                         "slurm_memory_configured_bytes", "slurm_memory_allocated_bytes",
                         "slurm_memory_free_bytes", "slurm_cpu_load", "slurm_gres_configured",
                         "slurm_gres_allocated")}
    for k in ("slurm_cpus_configured", "slurm_memory_configured_bytes", "slurm_memory_allocated_bytes",
              "slurm_memory_free_bytes", "slurm_cpu_load"):
        e[k][()] = 0
    for n in snap["nodes"]:
        st = node_state(n)
        flags = [f.lower() for f in n.get("state_flags") or []]
        add(e["slurm_nodes"], (st,), 1)
        for f in flags:
            add(e["slurm_nodes_flags"], (f,), 1)
        for p in n.get("partitions") or []:
            add(e["slurm_partition_nodes"], (p, st), 1)
            for f in flags:
                add(e["slurm_partition_nodes_flags"], (p, f), 1)
        for s, v in node_cpus(n).items():
            add(e["slurm_cpus"], (s,), v)
        add(e["slurm_cpus_configured"], (), n["cpus"])
        add(e["slurm_memory_configured_bytes"], (), n["real_memory"] * MIB)
        add(e["slurm_memory_allocated_bytes"], (), (n.get("alloc_memory") or 0) * MIB)
        add(e["slurm_memory_free_bytes"], (), (n.get("free_memory") or 0) * MIB)
        add(e["slurm_cpu_load"], (), (n.get("cpu_load") or 0) / 100.0)
        for k, v in parse_gres(n.get("gres")).items():
            add(e["slurm_gres_configured"], k, v)
        for k, v in parse_gres(n.get("gres_used")).items():
            add(e["slurm_gres_allocated"], k, v)
    return e


def duration_seconds(s):
    """Slurm time limits: 'UNLIMITED'/'INFINITE' -> None, '2-00:00:00', '00:30:00', '30:00', '30'."""
    if s in ("UNLIMITED", "INFINITE", "NONE", "Partition_Limit"):
        return None
    days = 0
    if "-" in s:
        d, s = s.split("-", 1)
        days = int(d)
    f = [int(x) for x in s.split(":")]
    if len(f) == 3:
        secs = f[0] * 3600 + f[1] * 60 + f[2]
    elif len(f) == 2:
        secs = f[0] * 60 + f[1]
    else:
        secs = f[0] * 60
    return days * 86400 + secs


def expected_partitions(snap, jobs_exp):
    e = {k: {} for k in ("slurm_partition_info", "slurm_partition_cpus", "slurm_partition_cpus_configured",
                         "slurm_partition_memory_configured_bytes", "slurm_partition_memory_allocated_bytes",
                         "slurm_partition_gres_configured", "slurm_partition_gres_allocated",
                         "slurm_partition_jobs_running", "slurm_partition_jobs_pending",
                         "slurm_partition_max_time_seconds")}
    yes = {"YES": "true", "NO": "false"}
    for name, kv in snap["parts"].items():
        e["slurm_partition_info"][(name, kv["State"].lower(), yes.get(kv.get("Default"), "?"),
                                   yes.get(kv.get("Hidden"), "?"))] = 1
        mt = duration_seconds(kv.get("MaxTime", "UNLIMITED"))
        if mt is not None:
            e["slurm_partition_max_time_seconds"][(name,)] = mt
        for k in ("slurm_partition_cpus_configured", "slurm_partition_memory_configured_bytes",
                  "slurm_partition_memory_allocated_bytes", "slurm_partition_jobs_running",
                  "slurm_partition_jobs_pending"):
            e[k][(name,)] = 0
    for n in snap["nodes"]:
        for p in n.get("partitions") or []:
            for s, v in node_cpus(n).items():
                add(e["slurm_partition_cpus"], (p, s), v)
            add(e["slurm_partition_cpus_configured"], (p,), n["cpus"])
            add(e["slurm_partition_memory_configured_bytes"], (p,), n["real_memory"] * MIB)
            add(e["slurm_partition_memory_allocated_bytes"], (p,), (n.get("alloc_memory") or 0) * MIB)
            for k, v in parse_gres(n.get("gres")).items():
                add(e["slurm_partition_gres_configured"], (p,) + k, v)
            for k, v in parse_gres(n.get("gres_used")).items():
                add(e["slurm_partition_gres_allocated"], (p,) + k, v)
    for (p, state), v in jobs_exp["slurm_jobs"].items():
        if state == "running":
            add(e["slurm_partition_jobs_running"], (p,), v)
        elif state == "pending":
            add(e["slurm_partition_jobs_pending"], (p,), v)
    return e


def expectations(snap, now):
    jobs, problems = expected_jobs(snap, now)
    e = dict(jobs)
    e.update(expected_nodes(snap))
    e.update(expected_partitions(snap, jobs))
    return e, problems


# ----------------------------------------------------------------------------- comparisons

def fmt(v):
    return f"{v:.6g}" if isinstance(v, float) and not float(v).is_integer() else f"{int(v)}"


def compare(family, expo, exp_a, exp_b, keys, abs_tol=0.0, rel_tol=1e-9, extra_allowed=True):
    """Compares one family with the expectations of two Slurm snapshots (taken before and after
    the scrape): each value must lie between the two. Series missing from the exporter pass only
    when expected to be 0; extra series must be 0 (or, with extra_allowed=False, absent).
    Returns a list of problems."""
    got = {}
    problems = []
    for labels, value in expo.get(family):
        if keys is not None and set(labels) != set(keys):
            problems.append(f"series with labels {sorted(labels)} (expected {list(keys)})")
            continue
        got[tuple(labels.get(k, "") for k in keys)] = value
    for key in sorted(set(exp_a) | set(exp_b) | set(got), key=str):
        a, b = exp_a.get(key, 0), exp_b.get(key, 0)
        lo, hi = min(a, b), max(a, b)
        tol = max(abs_tol, rel_tol * max(abs(lo), abs(hi)))
        label = ",".join(f'{k}="{v}"' for k, v in zip(keys, key))
        if key not in got:
            if hi != 0:
                problems.append(f"{{{label}}} missing (expected {fmt(hi)})")
            continue
        g = got[key]
        if not extra_allowed and key not in exp_a and key not in exp_b:
            problems.append(f"{{{label}}} = {fmt(g)}, expected no such series")
            continue
        if not (lo - tol <= g <= hi + tol):
            want = fmt(lo) if lo == hi else f"{fmt(lo)}..{fmt(hi)}"
            problems.append(f"{{{label}}} = {fmt(g)}, expected {want}")
    return problems


# ----------------------------------------------------------------------------- the test

class Run:
    def __init__(self, args):
        self.args = args
        self.exporter_bin = os.path.abspath(os.environ.get("EXPORTER", os.path.join(REPO, "build", "slurm_exporter")))
        self.prometheus_bin = os.environ.get("PROMETHEUS", "/usr/bin/prometheus")
        self.promtool_bin = os.environ.get("PROMTOOL", "/usr/bin/promtool")
        self.workdir = None
        self.cluster_env = None
        self.env = None
        self.exporters = []
        self.retired = []
        self.prom = None
        self.cluster_started = False

    # -- cluster ----------------------------------------------------------------------------

    def pick_port_base(self, nodes):
        base = sexp.cluster_port_base(range(17900, 19900, 100), nodes)
        if base is None:
            raise Abort("no free port range for the cluster in 17900..19900")
        return base

    def start_cluster(self):
        self.workdir = sexp.run_dir(STATE_DIR_PREFIX, timeout=120)
        base = self.pick_port_base(self.args.nodes)
        self.cluster_env = dict(os.environ, SLURM_CLUSTER_DIR=os.path.join(self.workdir, "cluster"),
                                SLURM_CLUSTER_PORT_BASE=str(base))
        cmd = [HARNESS, "start", "--nodes", str(self.args.nodes)] + (["--dbd"] if self.args.dbd else [])
        t = time.monotonic()
        self.cluster_started = True
        # a chroot Slurm: the first start builds the chroot (minutes; tests/run builds it before)
        p = run(cmd, env=self.cluster_env, timeout=120 if OLD_JSON else 900, check=False)
        took = time.monotonic() - t
        if not R.check("cluster starts", p.returncode == 0, p.stderr.strip()[-1500:]):
            raise Abort("no cluster")
        m = re.search(r"export SLURM_CONF=(\S+)", p.stdout)
        if not m:
            raise Abort(f"harness printed no SLURM_CONF: {p.stdout!r}")
        b = re.search(r"export SLURM_CLUSTER_BIN=(\S+)", p.stdout)
        self.env = slurm_env(m.group(1), b.group(1) if b else None)
        self.cluster_env["SLURM_CONF"] = m.group(1)
        t2 = time.monotonic()
        p = run([WORKLOAD], env=dict(self.cluster_env), timeout=300, check=False)
        if not R.check("workload submitted and settled", p.returncode == 0, (p.stderr + p.stdout).strip()[-1500:]):
            raise Abort("no workload")
        R.note(f"Slurm {SLURM_VERSION}: cluster start {took:.1f}s, workload {time.monotonic() - t2:.1f}s: {p.stdout.strip()}")

    def stop_cluster(self):
        if not self.cluster_started:
            return
        p = subprocess.run([HARNESS, "stop"], env=self.cluster_env, capture_output=True, text=True, timeout=180)
        R.check("cluster stops cleanly", p.returncode == 0, p.stderr.strip()[-800:])

    # -- the workload is what the checks need ------------------------------------------------

    def check_workload(self, snap):
        jobs = snap["jobs"]
        states = {j["job_state"] for j in jobs}
        reasons = {j["state_reason"] for j in jobs if j["job_state"] == "PENDING"}
        problems = []
        for s in ("RUNNING", "PENDING", "COMPLETED", "FAILED", "CANCELLED"):
            if s not in states:
                problems.append(f"no {s} job")
        for r in ("Priority", "Dependency", "BeginTime", "PartitionDown", "JobHeldUser", "JobArrayTaskLimit"):
            if r not in reasons:
                problems.append(f"no job pending for {r}")
        if not reasons & {"Resources", "ReqNodeNotAvail"}:
            problems.append("no job pending for Resources/ReqNodeNotAvail")
        if not any("," in j["partition"] for j in jobs):
            problems.append("no job pending in two partitions")
        if not any(j.get("array_task_string") for j in jobs):
            problems.append("no pending array")
        if len({j["user_name"] for j in jobs}) < 2 or len({j["account"] for j in jobs}) < 2:
            problems.append("fewer than two users or accounts")
        if not any(job_gpus(j) and j["job_state"] == "RUNNING" for j in jobs):
            problems.append("no running GPU job")
        if not any((j.get("node_count") or 0) >= 2 and j["job_state"] == "RUNNING" for j in jobs):
            problems.append("no running multi-node job")
        nstates = {node_state(n) for n in snap["nodes"]}
        for s in ("drained", "down"):
            if s not in nstates:
                problems.append(f"no {s} node")
        R.check("workload has every case the checks need (Slurm JSON)", not problems, "; ".join(problems))

    # -- exporter vs Slurm -------------------------------------------------------------------

    def compare_once(self, exp):
        """One attempt: Slurm snapshot, scrape, Slurm snapshot. Returns (problems by check, expo)."""
        t0 = time.time()
        s1 = slurm_snapshot(self.env)
        expo = self.scrape_after(exp, t0)  # every dataset refreshed after s1 was asked for
        t_scrape = time.time()
        s2 = slurm_snapshot(self.env)
        ea, pa = expectations(s1, t_scrape)
        eb, pb = expectations(s2, t_scrape)
        results = []
        changed = {name for name in ea if ea[name] != eb[name]}
        for problem in sorted(set(pa + pb)):
            results.append(("test data: job memory from per-node/per-cpu equals TRES mem", [problem]))
        for name in FAMILIES:
            if name not in ea or name == "slurm_jobs_queue_wait_seconds":
                continue
            keys = FAMILIES[name][1]
            kw = {}
            if name == "slurm_partition_info":
                keys = ("partition", "state", "default", "hidden")
                problems = self.compare_info(expo, ea[name], eb[name])
                results.append((f"{name} matches Slurm", problems))
                continue
            if name == "slurm_jobs_oldest_pending_age_seconds":
                kw["abs_tol"] = POLL + 3
            if name in ("slurm_memory_free_bytes", "slurm_cpu_load"):
                kw["rel_tol"] = 1e-6
            if name == "slurm_partition_max_time_seconds":
                kw["extra_allowed"] = False  # absent when UNLIMITED
            results.append((f"{name} matches Slurm", compare(name, expo, ea[name], eb[name], keys, **kw)))
        # retrying helps only where Slurm's answer moved during the attempt
        retry = any(p and n.split(" ")[0] in changed for n, p in results)
        return results, expo, s2, retry

    @staticmethod
    def scrape_after(exp, t0, datasets=COLLECTORS, timeout=60):
        """The first scrape whose datasets all come from refreshes that started at or after t0
        (Unix time): its data is newer than any Slurm answer asked for before t0."""
        def fresh():
            m = exp.metrics()
            starts = [sexp.refresh_started(m, d) for d in datasets]
            return m if all(x is not None and x >= t0 for x in starts) else None
        return wait_until(f"a refresh of {', '.join(datasets)} after {t0:.3f}", fresh, timeout, 0.2)

    @staticmethod
    def compare_info(expo, ea, eb):
        problems = []
        got = {}
        for labels, v in expo.get("slurm_partition_info"):
            got[labels.get("partition")] = (labels, v)
        want = {k[0]: k for k in set(ea) | set(eb)}
        for p, key in sorted(want.items()):
            if p not in got:
                problems.append(f"partition {p} missing")
                continue
            labels, v = got[p]
            have = (labels.get("partition"), labels.get("state"), labels.get("default"), labels.get("hidden"))
            if have != key or v != 1:
                problems.append(f"{p}: state/default/hidden = {have[1:]} value {fmt(v)}, expected {key[1:]} value 1")
        for p in set(got) - set(want):
            problems.append(f"unexpected partition {p}")
        return problems

    def check_values(self, exp):
        results = None
        for attempt in range(3):
            results, expo, snap, retry = self.compare_once(exp)
            if all(not p for _, p in results) or not retry:
                break
            R.note(f"attempt {attempt + 1}: Slurm's answer changed while comparing; retrying")
        for name, problems in results:
            R.check(name, not problems, "; ".join(problems))
        # Cross-family invariants the spec states.
        nodes_total = len(snap["nodes"])
        s = sum(v for _, v in expo.get("slurm_nodes"))
        R.check("slurm_nodes sums to the node count", s == nodes_total, f"sum {fmt(s)}, {nodes_total} nodes")
        cpus = sum(v for _, v in expo.get("slurm_cpus"))
        conf = expo.value("slurm_cpus_configured")
        R.check("slurm_cpus sums to slurm_cpus_configured", conf is not None and cpus == conf,
                f"sum {fmt(cpus)}, configured {conf}")
        have = {l.get("state") for l, _ in expo.get("slurm_cpus")}
        multi = [j["job_id"] for j in snap["jobs"] if "," in (j.get("partition") or "")]
        R.check("the workload has a job listing several partitions (what slurm_queue_* count once)",
                bool(multi), "none in squeue's answer")
        queue = sum(v for _, v in expo.get("slurm_queue_jobs"))
        users = sum(v for _, v in expo.get("slurm_user_jobs"))
        R.check("sum(slurm_queue_jobs) equals sum(slurm_user_jobs)", queue == users,
                f"{fmt(queue)} vs {fmt(users)}")
        R.check("slurm_cpus states are allocated|idle|other", have <= {"allocated", "idle", "other"}, f"states {sorted(have)}")
        return expo, snap

    def check_types_and_exporter_metrics(self, expo):
        sexp.record_families(expo)
        problems = []
        for name, (typ, _) in FAMILIES.items():
            family = name[: -len("_total")] if typ == "counter" and name.endswith("_total") and name not in expo.types else name
            t = expo.types.get(family) or expo.types.get(name)
            if t is None:
                problems.append(f"{name}: no TYPE line")
            elif t != typ:
                problems.append(f"{name}: TYPE {t}, expected {typ}")
        R.check("every family of the spec is served with its TYPE", not problems, "; ".join(problems))
        R.check("exposition parses (test's own parser)", not expo.errors, "; ".join(expo.errors[:5]))
        seen, dup = set(), []
        for n, l, _ in expo.samples:
            k = (n, tuple(sorted(l.items())))
            if k in seen:
                dup.append(n)
            seen.add(k)
        R.check("no duplicate series", not dup, f"duplicates: {sorted(set(dup))[:10]}")

        succ = expo.by("slurm_exporter_collector_success", ("collector",))
        R.check("slurm_exporter_collector_success is 1 for jobs, nodes, partitions",
                all(succ.get((c,)) == 1 for c in COLLECTORS), f"got {succ}")
        dur = expo.by("slurm_exporter_collector_duration_seconds", ("collector",))
        R.check("slurm_exporter_collector_duration_seconds for each collector, >= 0",
                all((c,) in dur and dur[(c,)] >= 0 for c in COLLECTORS), f"got {dur}")
        age = expo.by("slurm_exporter_dataset_age_seconds", ("dataset",))
        R.check("slurm_exporter_dataset_age_seconds fresh (<= poll interval + 3 s) for each dataset",
                all((c,) in age and 0 <= age[(c,)] <= POLL + 3 for c in COLLECTORS), f"got {age}")
        fetch = expo.by("slurm_exporter_dataset_fetches_total", ("dataset", "result"))
        R.check("slurm_exporter_dataset_fetches_total{result=\"success\"} > 0 for each dataset",
                all(fetch.get((c, "success"), 0) > 0 for c in COLLECTORS), f"got {fetch}")
        cmd = expo.by("slurm_exporter_command_duration_seconds", ("command",))
        R.check("slurm_exporter_command_duration_seconds has series, all >= 0",
                bool(cmd) and all(v >= 0 for v in cmd.values()), f"got {cmd}")
        errs = expo.by("slurm_exporter_command_errors_total", ("command",))
        R.check("slurm_exporter_command_errors_total is 0 while Slurm is healthy",
                all(v == 0 for v in errs.values()), f"got {errs}")
        perr = expo.by("slurm_exporter_parse_errors_total", ("source",))
        R.check("slurm_exporter_parse_errors_total is 0 on real Slurm output",
                all(v == 0 for v in perr.values()), f"got {perr}")
        bi = expo.get("slurm_exporter_build_info")
        R.check("slurm_exporter_build_info is 1 with a version label",
                len(bi) == 1 and bi[0][1] == 1 and bi[0][0].get("version"), f"got {bi}")
        rss = expo.value("process_resident_memory_bytes")
        cpu = expo.value("process_cpu_seconds_total")
        R.check("process_resident_memory_bytes and process_cpu_seconds_total served",
                rss is not None and rss > 0 and cpu is not None and cpu >= 0, f"rss {rss}, cpu {cpu}")

    def check_slurm_version(self, exp):
        """slurm_exporter_slurm_info is the release `scontrol --version` prints at the same moment
        (the exporter re-reads it every POLL s here), split from Slurm's line by this test."""
        def slurm():
            return run(["scontrol", "--version"], env=self.env, timeout=30).stdout
        out, expo = sexp.same_moment(slurm, exp.metrics, lambda m: sexp.refresh_started(m, "version"),
                                     error=Abort, what="scontrol --version")
        words = out.split()
        want = words[1] if len(words) == 2 else None
        got = expo.get("slurm_exporter_slurm_info")
        R.check(f"slurm_exporter_slurm_info{{version=\"{want}\"}} 1: the release scontrol --version prints "
                f"({out.strip()!r})", want is not None and [(l, v) for l, v in got] == [({"version": want}, 1)],
                f"got {got}")

    def check_histogram(self, expo, name, expected_waits):
        """Histogram structure, and per partition _count/_sum/buckets equal to the given waits."""
        problems = []
        buckets = {}
        for labels, v in expo.get(name + "_bucket"):
            buckets.setdefault(labels.get("partition"), []).append((parse_value(labels["le"]), v))
        counts = expo.by(name + "_count", ("partition",))
        sums = expo.by(name + "_sum", ("partition",))
        for p in set(buckets) | {k[0] for k in counts}:
            bs = sorted(buckets.get(p, []))
            if not bs or bs[-1][0] != math.inf:
                problems.append(f"{p}: no +Inf bucket")
                continue
            if any(b[1] < a[1] for a, b in zip(bs, bs[1:])):
                problems.append(f"{p}: buckets not cumulative")
            if counts.get((p,)) != bs[-1][1]:
                problems.append(f"{p}: _count {counts.get((p,))} != +Inf bucket {bs[-1][1]}")
            waits = expected_waits.get(p, [])
            if counts.get((p,), 0) != len(waits):
                problems.append(f"{p}: _count {fmt(counts.get((p,), 0))}, expected {len(waits)} (jobs started since the exporter started)")
            elif waits:
                if abs(sums.get((p,), 0) - sum(waits)) > 1.0 * len(waits):
                    problems.append(f"{p}: _sum {fmt(sums.get((p,), 0))}, expected {sum(waits)}±{len(waits)}")
                for le, v in bs:
                    want = sum(1 for w in waits if w <= le)
                    # a wait within 1 s of a bound may fall on either side of it
                    loose = sum(1 for w in waits if w <= le + 1)
                    if not want <= v <= loose:
                        problems.append(f"{p}: bucket le={le} has {fmt(v)}, expected {want}")
        for p, waits in expected_waits.items():
            if waits and p not in buckets:
                problems.append(f"{p}: no series, expected {len(waits)} observation(s)")
        return problems

    def check_queue_wait(self, exp):
        """Starts one more job and checks that the queue-wait histogram observes it."""
        expo = exp.metrics()
        problems = self.check_histogram(expo, "slurm_jobs_queue_wait_seconds", {})
        R.check("slurm_jobs_queue_wait_seconds well formed, empty while nothing started", not problems, "; ".join(problems))
        jobdir = os.path.join(self.workdir, "cluster", "jobs")
        p = run(["sbatch", "--parsable", "-J", "late", "-p", "debug", "-A", "physics", "--nice=-10000", "-t", "30",
                 f"--chdir={jobdir}", "--output=/dev/null", "--wrap", "sleep 600"], env=self.env)
        jobid = p.stdout.strip().split(";")[0]

        def started():
            out = run(["squeue", "-h", "-j", jobid, "-o", "%T"], env=self.env).stdout.strip()
            return out == "RUNNING"
        try:
            wait_until(f"job {jobid} to start", started, 40, 0.3)
        except Abort as e:
            R.fail("slurm_jobs_queue_wait_seconds observes a job that starts", str(e))
            return
        # Slurm's starts and the exporter's histogram from the same moment: a scrape of a jobs
        # refresh that began after Slurm was asked (the late job is running by then); asked
        # again (60 s) while another job starting in between makes them differ
        deadline = time.monotonic() + 60
        while True:
            t0 = time.time()
            snap = slurm_snapshot(self.env)
            expo = self.scrape_after(exp, t0, ("jobs",))
            waits = {}
            for j in snap["jobs"]:
                st = j.get("start_time") or 0
                if j["job_state"] != "PENDING" and st >= int(exp.started):
                    origin = j.get("eligible_time") or j.get("submit_time")
                    waits.setdefault(j["partition"], []).append(st - origin)
            problems = self.check_histogram(expo, "slurm_jobs_queue_wait_seconds", waits)
            if not problems or time.monotonic() > deadline:
                break
            time.sleep(1)
        R.check("slurm_jobs_queue_wait_seconds observes the job that started (start - eligible time)",
                not problems, "; ".join(problems) + f" (expected waits {waits})")

    # -- formats and HTTP -----------------------------------------------------------------------

    def check_promtool(self, text):
        if not os.access(self.promtool_bin, os.X_OK):
            R.fail("promtool check metrics", f"{self.promtool_bin} not found")
            return
        p = subprocess.run([self.promtool_bin, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
        out = (p.stdout + p.stderr).strip()
        R.check("promtool check metrics: exit 0, no output", p.returncode == 0 and not out, f"rc {p.returncode}: {out}")

    def check_http(self, exp, plain):
        url = exp.url
        st, h, body = http(url + "/")
        R.check("GET / is 200 HTML linking /metrics",
                st == 200 and h.get("content-type", "").startswith("text/html") and b"/metrics" in body,
                f"status {st}, content-type {h.get('content-type')}, body {body[:80]!r}")
        st, _, _ = http(url + "/-/healthy")
        R.check("GET /-/healthy is 200", st == 200, f"status {st}")
        st, _, _ = http(url + "/-/ready")
        R.check("GET /-/ready is 200", st == 200, f"status {st}")
        st, _, _ = http(url + "/no/such/path")
        R.check("GET of an unknown path is 404", st == 404, f"status {st}")
        st, _, _ = http(url + "/metrics", method="POST", data=b"x=1")
        R.check("POST /metrics is 405", st == 405, f"status {st}")

        st, h, body = exp.scrape()
        ct = h.get("content-type", "")
        R.check("plain GET /metrics is text/plain; version=0.0.4", st == 200 and ct.startswith("text/plain") and "0.0.4" in ct,
                f"status {st}, content-type {ct}")

        st, h, body = exp.scrape({"Accept": "application/openmetrics-text"})
        text = body.decode(errors="replace")
        ct = h.get("content-type", "")
        lines = text.rstrip("\n").split("\n")
        R.check("Accept: application/openmetrics-text gets OpenMetrics ending in # EOF",
                st == 200 and ct.startswith("application/openmetrics-text") and lines[-1] == "# EOF" and text.endswith("\n"),
                f"status {st}, content-type {ct}, last line {lines[-1]!r}")
        om = Exposition(text)
        R.check("OpenMetrics parses (test's own parser)", not om.errors, "; ".join(om.errors[:5]))
        # Sample names are the same in both formats (_total, _info, _bucket ...); only
        # OpenMetrics may add _created samples.
        names_plain = {n for n, _, _ in plain.samples}
        names_om = {n for n, _, _ in om.samples if not n.endswith("_created")}
        R.check("OpenMetrics has the same metrics as the text format", names_plain == names_om,
                f"only text: {sorted(names_plain - names_om)[:10]}, only OpenMetrics: {sorted(names_om - names_plain)[:10]}")
        bad_counters = [f for f, t in om.types.items() if t == "counter" and f.endswith("_total")]
        R.check("OpenMetrics counter families are named without _total", not bad_counters, f"{bad_counters}")

        st, h, body = exp.scrape({"Accept-Encoding": "gzip"})
        ok = st == 200 and h.get("content-encoding") == "gzip"
        detail = f"status {st}, content-encoding {h.get('content-encoding')}"
        if ok:
            try:
                gz = Exposition(gzip.decompress(body).decode())
                names_gz = {n for n, _, _ in gz.samples}
                ok = names_gz == names_plain and not gz.errors
                detail = f"metrics differ: {sorted(names_gz ^ names_plain)[:10]}; parse errors {gz.errors[:3]}"
            except (OSError, EOFError, UnicodeDecodeError) as e:
                ok, detail = False, f"does not decompress: {e}"
        R.check("Accept-Encoding: gzip gets gzip that decompresses to the same families", ok, detail)

        before = exp.metrics_gets
        expo = exp.metrics()
        req = expo.by("slurm_exporter_http_requests_total", ("path", "code"))
        n200 = sum(v for (p, c), v in req.items() if p == "/metrics" and c == "200")
        n404 = sum(v for (p, c), v in req.items() if c == "404")
        n405 = sum(v for (p, c), v in req.items() if c == "405")
        R.check("slurm_exporter_http_requests_total counts /metrics 200s, the 404 and the 405",
                n200 >= before and n404 >= 1 and n405 >= 1,
                f"/metrics 200: {fmt(n200)} (test made {before} before this one), 404: {fmt(n404)}, 405: {fmt(n405)}; series {req}")

    # -- Prometheus ------------------------------------------------------------------------------

    def start_prometheus(self, exp, paths=()):
        """A Prometheus scraping exp's /metrics every second as job "slurm", and each of
        `paths` (a compat set's path, /metrics/NAME) as job "slurm-NAME". Each start gets a
        directory (and a TSDB) of its own."""
        if not os.access(self.prometheus_bin, os.X_OK):
            raise Abort(f"{self.prometheus_bin} not found")
        port = free_port()
        pdir = os.path.join(self.workdir, "prometheus")
        n = 1
        while os.path.exists(pdir):
            n += 1
            pdir = os.path.join(self.workdir, f"prometheus-{n}")
        os.makedirs(pdir)
        cfg = os.path.join(pdir, "prometheus.yml")
        jobs = "".join(f"""  - job_name: slurm-{p.rsplit("/", 1)[-1]}
    metrics_path: {p}
    static_configs:
      - targets: ['127.0.0.1:{exp.port}']
""" for p in paths)
        with open(cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: slurm
    static_configs:
      - targets: ['127.0.0.1:{exp.port}']
{jobs}""")
        self.prom_url = f"http://127.0.0.1:{port}"
        self.prom_log = open(os.path.join(pdir, "prometheus.log"), "wb")
        self.prom = subprocess.Popen(
            [self.prometheus_bin, f"--config.file={cfg}", f"--web.listen-address=127.0.0.1:{port}",
             f"--storage.tsdb.path={pdir}/data", "--log.level=warn"],
            stdout=self.prom_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=set_pdeathsig)

        def ready():
            if self.prom.poll() is not None:
                raise Abort(f"prometheus exited with {self.prom.returncode}")
            return http(self.prom_url + "/-/ready", timeout=2)[0] == 200
        wait_until("Prometheus to be ready", ready, 30)

    def promql(self, q):
        st, _, body = http(self.prom_url + "/api/v1/query?" + urllib.parse.urlencode({"query": q}))
        doc = json.loads(body)
        if st != 200 or doc.get("status") != "success":
            raise ValueError(f"query {q!r}: HTTP {st} {doc.get('error')}")
        return doc["data"]["result"]

    def check_prometheus(self, exp):
        try:
            self.start_prometheus(exp)
            # Prometheus 2.42 applies new targets on a 5 s tick.
            wait_until("up == 1", lambda: any(r["value"][1] == "1" for r in self.promql('up{job="slurm"}')), 40, 0.5)
            R.ok("Prometheus scrapes the exporter: up == 1")
        except Abort as e:
            R.fail("Prometheus scrapes the exporter: up == 1", str(e))
            return
        st, _, body = http(self.prom_url + "/api/v1/targets")
        targets = json.loads(body)["data"]["activeTargets"]
        errs = [t.get("lastError") for t in targets if t.get("lastError")]
        R.check("Prometheus target has no scrape error", not errs, f"{errs}")

        def build_questions():
            """The questions and Slurm's answers to them, from a snapshot taken now."""
            snap = slurm_snapshot(self.env)
            e, _ = expectations(snap, time.time())
            jobs = snap["jobs"]

            def tasks(j):
                if j.get("array_task_string") and j.get("array_task_id") is None:
                    return array_task_count(j["array_task_string"])
                return 1
            running = sum(tasks(j) for j in jobs if j["job_state"] == "RUNNING")
            pending_total = sum(tasks(j) for j in jobs if j["job_state"] == "PENDING")
            gpu_reasons = {r: v for (p, r), v in e["slurm_jobs_pending"].items() if p == "gpu" and v}
            reasons = {r: v for (r,), v in e["slurm_queue_jobs_pending"].items() if v}
            gres_alloc = sum(v for (g, _), v in e["slurm_gres_allocated"].items() if g == "gpu")
            gres_conf = sum(v for (g, _), v in e["slurm_gres_configured"].items() if g == "gpu")
            unavailable = sum(v for (s,), v in e["slurm_nodes"].items() if s in ("down", "drained", "draining", "fail"))
            cpu_frac = e["slurm_cpus"].get(("allocated",), 0) / e["slurm_cpus_configured"][()]
            user_cpu = {}
            for (u, s), v in e["slurm_user_cpus"].items():
                if s == "running":
                    add(user_cpu, u, v)
            top_user = max(user_cpu.items(), key=lambda kv: kv[1])
            acct_pend = {}
            for (a, s), v in e["slurm_account_jobs"].items():
                if s == "pending":
                    add(acct_pend, a, v)
            top_acct = max(acct_pend.items(), key=lambda kv: kv[1])
            down_parts = {k[0] for k in e["slurm_partition_info"] if k[1] == "down"}
            finished = {}
            for (p, s), v in e["slurm_jobs"].items():
                if s in ("completed", "failed", "cancelled"):
                    add(finished, s, v)
            oldest = {p: v for (p,), v in e["slurm_jobs_oldest_pending_age_seconds"].items() if v > 0}
            gpus_pending = {}
            for (p, s), v in e["slurm_jobs_gpus"].items():
                if s == "pending" and v:
                    add(gpus_pending, p, v)
            mem_frac = e["slurm_memory_allocated_bytes"][()] / e["slurm_memory_configured_bytes"][()]
            drained_by_part = {p: 0 for (p, _s) in e["slurm_partition_nodes"]}
            for (p, s), v in e["slurm_partition_nodes"].items():
                if s in ("drained", "draining"):
                    add(drained_by_part, p, v)
            user_gpu = {}
            for (u, s), v in e["slurm_user_gpus"].items():
                if s == "running":
                    add(user_gpu, u, v)
            top_gpu_user = max(user_gpu.items(), key=lambda kv: kv[1])

            # (question, PromQL, label the answer is keyed by (None: a scalar), expected, tolerance)
            questions = [
                ("How many jobs are running?", 'sum(slurm_jobs{state="running"})', None, running, 0),
                ("How many jobs are pending in the whole cluster (each job once)?",
                 'sum(slurm_user_jobs{state="pending"})', None, pending_total, 0),
                ("How many jobs are pending in the whole cluster, from the queue family?",
                 'slurm_queue_jobs{state="pending"}', None, pending_total, 0),
                ("How many jobs does the queue hold, each once?",
                 "sum(slurm_queue_jobs)", None, sum(tasks(j) for j in jobs), 0),
                ("Why are jobs pending, cluster-wide (each job once)?",
                 "sum by (reason) (slurm_queue_jobs_pending) > 0", "reason", reasons, 0),
                ("How many more pending jobs do the partition series count than there are?",
                 'sum(slurm_jobs{state="pending"}) - sum(slurm_queue_jobs{state="pending"})', None,
                 sum(tasks(j) * (len([p for p in j["partition"].split(",") if p]) - 1)
                     for j in jobs if j["job_state"] == "PENDING"), 0),
                ("Why are jobs pending in partition gpu?",
                 'sum by (reason) (slurm_jobs_pending{partition="gpu"}) > 0', "reason", gpu_reasons, 0),
                ("How long has the oldest eligible job waited, per partition?",
                 "max by (partition) (slurm_jobs_oldest_pending_age_seconds) > 0", "partition", oldest, POLL + 4),
                ("What fraction of the GPUs is allocated?",
                 'sum(slurm_gres_allocated{gres="gpu"}) / sum(slurm_gres_configured{gres="gpu"})', None,
                 gres_alloc / gres_conf if gres_conf else None, 1e-9),
                ("How many GPUs do pending jobs ask for, per partition?",
                 'sum by (partition) (slurm_jobs_gpus{state="pending"}) > 0', "partition", gpus_pending, 0),
                ("How many nodes are unavailable (down, drained, draining, failed)?",
                 'sum(slurm_nodes{state=~"down|drained|draining|fail"})', None, unavailable, 0),
                ("What fraction of the CPUs is allocated?",
                 'sum(slurm_cpus{state="allocated"}) / sum(slurm_cpus_configured)', None, cpu_frac, 1e-9),
                ("What fraction of the memory is allocated?",
                 "sum(slurm_memory_allocated_bytes) / sum(slurm_memory_configured_bytes)", None, mem_frac, 1e-9),
                ("Which user holds the most CPUs in running jobs?",
                 'topk(1, sum by (user) (slurm_user_cpus{state="running"}))', "user", {top_user[0]: top_user[1]}, 0),
                ("Which account has the most pending jobs?",
                 'topk(1, sum by (account) (slurm_account_jobs{state="pending"}))', "account", {top_acct[0]: top_acct[1]}, 0),
                ("Which partitions are down?", 'count by (partition) (slurm_partition_info{state="down"})', "partition",
                 {p: 1 for p in down_parts}, 0),
                ("How many finished jobs are still in the queue, by end state?",
                 'sum by (state) (slurm_jobs{state=~"completed|failed|cancelled"}) > 0', "state", finished, 0),
                ("Are all collectors healthy?", "min(slurm_exporter_collector_success)", None, 1, 0),
                ("How many nodes are drained right now, per partition?",
                 'sum by (partition) (slurm_partition_nodes{state=~"drained|draining"})', "partition",
                 drained_by_part, 0),
                ("Which user holds the most GPUs?",
                 'topk(1, sum by (user) (slurm_user_gpus{state="running"}))', "user",
                 {top_gpu_user[0]: top_gpu_user[1]}, 0),
                ("Is the exporter's data fresh (all collectors good, every dataset younger than 3 polls)?",
                 f"(min(slurm_exporter_collector_success) == bool 1) * (max(slurm_exporter_dataset_age_seconds) < bool {3 * POLL + 2})",
                 None, 1, 0),
            ]
            return questions

        def answer(q, label, want, tol):
            """(ok, details) for one question against Prometheus now."""
            try:
                res = wait_until(f"a result for {q}", lambda: self.promql(q), 5, 0.5)
            except Abort as ex:
                return False, str(ex)
            if label is None:
                got = float(res[0]["value"][1]) if len(res) == 1 else None
                return (got is not None and want is not None and abs(got - want) <= tol + 1e-9 * abs(want),
                        f"got {res}, expected {want}")
            got = {r["metric"].get(label, ""): float(r["value"][1]) for r in res}
            ok = set(got) == set(want) and all(abs(got[k] - want[k]) <= tol + 1e-9 * abs(want[k]) for k in want)
            return ok, f"got {got}, expected {want}"

        # Prometheus answers from its last scrape, Slurm from now: a job that starts or ends in
        # between makes them differ until the next scrape. Ask both again until they agree or
        # the deadline passes; the last round is reported.
        deadline = time.monotonic() + 90
        while True:
            results = [(f"PromQL: {question} [{q}]",) + answer(q, label, want, tol)
                       for question, q, label, want, tol in build_questions()]
            if all(ok for _, ok, _ in results) or time.monotonic() > deadline:
                break
            R.note(f"PromQL: {sum(1 for _, ok, _ in results if not ok)} answers differ from Slurm's; asking again")
            time.sleep(2)
        for name, ok, details in results:
            R.check(name, ok, details)

    def stop_prometheus(self):
        if self.prom and self.prom.poll() is None:
            self.prom.terminate()
            try:
                self.prom.wait(15)
            except subprocess.TimeoutExpired:
                self.prom.kill()
                self.prom.wait(5)
        if self.prom:
            self.prom_log.close()

    # -- Slurm going away -------------------------------------------------------------------------

    def check_controller_loss(self, exp_a):
        """Second exporter with --slurm.max-age=3s; then slurmctld is stopped."""
        env = dict(self.env, SQUEUE_FORMAT="%i", SQUEUE_FORMAT2="JobID", SINFO_FORMAT="%N",
                   SQUEUE_SORT="-i", SLURM_TIME_FORMAT="relative")
        exp = Exporter(self.exporter_bin, self.workdir, env, "exporter-max-age", ["--slurm.max-age=3s"])
        self.exporters.append(exp)
        try:
            exp.wait_ready()
        except Abort as e:
            R.fail("second exporter (--slurm.max-age=3s) becomes ready", str(e))
            return
        # The two exporters poll at different moments; a job that ends between their polls makes
        # the two views differ for one interval. Compare until both show the same queue (or give up).
        deadline = time.monotonic() + 60
        while True:
            a, b = exp_a.metrics(), exp.metrics()
            pa = a.by("slurm_jobs", ("partition", "state"))
            pb = b.by("slurm_jobs", ("partition", "state"))
            succ = b.by("slurm_exporter_collector_success", ("collector",))
            same = (pa == pb and all((c,) in succ for c in COLLECTORS)
                    and all(v == 1 for v in succ.values()))
            if same or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        diff = {k: (pb.get(k), pa.get(k)) for k in set(pa) | set(pb) if pa.get(k) != pb.get(k)}
        R.check("exporter ignores SQUEUE_FORMAT/SINFO_FORMAT/SLURM_TIME_FORMAT in its environment",
                same, f"slurm_jobs differ (env-formatted exporter, plain exporter): {diff}; success {succ}")

        p = run([HARNESS, "stop-daemon", "slurmctld"], env=self.cluster_env, check=False)
        if not R.check("slurmctld stopped", p.returncode == 0, p.stderr):
            return
        t0 = time.monotonic()
        last = None

        def withdrawn():
            nonlocal last
            last = exp.metrics()
            return (last.value("slurm_exporter_collector_success", collector="jobs") == 0
                    and not last.get("slurm_jobs"))
        try:
            wait_until("jobs collector failed and slurm_jobs withdrawn", withdrawn, 60, 0.5)
            R.ok(f"controller down: collector_success{{collector=\"jobs\"}} 0 and no slurm_jobs series "
                 f"(after {time.monotonic() - t0:.1f}s)")
        except Abort as e:
            succ = last.by("slurm_exporter_collector_success", ("collector",)) if last else None
            R.fail("controller down: collector_success{collector=\"jobs\"} 0 and no slurm_jobs series",
                   f"{e}; success {succ}, slurm_jobs series {len(last.get('slurm_jobs')) if last else '?'}")
            return
        left = sorted({n for n, _, _ in last.samples if last.family_of(n) in JOBS_FAMILIES and last.family_of(n) != "slurm_jobs_queue_wait_seconds"})
        R.check("controller down: every jobs-collector family withdrawn (older than --slurm.max-age)", not left,
                f"still served: {left}")
        # Their fetches fail when their own commands give up (or their data passes its own max
        # age), not necessarily at the jobs collector's moment: wait for it.
        def others_failed():
            nonlocal last
            last = exp.metrics()
            s = last.by("slurm_exporter_collector_success", ("collector",))
            return s.get(("nodes",)) == 0 and s.get(("partitions",)) == 0
        try:
            wait_until("nodes and partitions collectors failed", others_failed, 90, 0.5)
        except Abort:
            pass
        succ = last.by("slurm_exporter_collector_success", ("collector",))
        R.check("controller down: nodes and partitions collectors fail too",
                succ.get(("nodes",)) == 0 and succ.get(("partitions",)) == 0, f"success {succ}")
        # A controller that does not answer is data: scontrol ping prints it DOWN (and exits 1
        # when none answers); the controllers collector serves 0 and succeeds.
        def ctld_down():
            nonlocal last
            last = exp.metrics()
            ups = last.get("slurm_controller_up")
            return ups and all(v == 0 for _, v in ups)
        try:
            wait_until("slurm_controller_up 0", ctld_down, 60, 0.5)
        except Abort:
            pass
        ups = last.get("slurm_controller_up")
        R.check("controller down: slurm_controller_up 0 on every controller, controllers collector succeeds",
                ups and all(v == 0 for _, v in ups) and
                last.value("slurm_exporter_collector_success", collector="controllers") == 1 and
                not any(v for _, v in last.get("slurm_controller_in_control")),
                f"up {ups}, success {last.value('slurm_exporter_collector_success', collector='controllers')}")
        age = last.value("slurm_exporter_dataset_age_seconds", dataset="jobs")
        R.check("controller down: slurm_exporter_dataset_age_seconds{dataset=\"jobs\"} keeps growing (> 3)",
                age is not None and age > 3, f"age {age}")
        # The data goes stale at --slurm.max-age (3 s); the failed fetch itself is counted when
        # squeue gives up on the dead controller (its connect timeout, about 10 s).
        errs = None

        def fetch_failed():
            nonlocal errs
            errs = exp.metrics().value("slurm_exporter_dataset_fetches_total", dataset="jobs", result="error")
            return errs is not None and errs > 0
        try:
            wait_until("a failed jobs fetch to be counted", fetch_failed, 60, 0.5)
            R.ok("controller down: slurm_exporter_dataset_fetches_total{dataset=\"jobs\",result=\"error\"} > 0 "
                 f"(after {time.monotonic() - t0:.1f}s)")
        except Abort:
            R.fail("controller down: slurm_exporter_dataset_fetches_total{dataset=\"jobs\",result=\"error\"} > 0",
                   f"got {errs}")
        st = [http(exp.url + p)[0] for p in ("/metrics", "/-/healthy")]
        R.check("controller down: /metrics and /-/healthy still 200", st == [200, 200], f"statuses {st}")

    # -- the whole run -------------------------------------------------------------------------

    def main(self):
        if not R.check("exporter binary present", os.access(self.exporter_bin, os.X_OK),
                       f"{self.exporter_bin} not found or not executable (run make)"):
            return
        self.start_cluster()
        snap = slurm_snapshot(self.env)
        self.check_workload(snap)

        exp = Exporter(self.exporter_bin, self.workdir, self.env, "exporter")
        self.exporters.append(exp)
        try:
            t = time.monotonic()
            exp.wait_ready(30)
            R.ok(f"exporter ready: /-/ready 200 after {time.monotonic() - t:.1f}s")
        except Abort as e:
            R.fail("exporter ready: /-/ready 200 within 30 s", str(e))
            raise
        expo, _ = self.check_values(exp)
        self.check_types_and_exporter_metrics(expo)
        self.check_slurm_version(exp)
        self.check_promtool(expo.text)
        self.check_http(exp, expo)
        self.check_queue_wait(exp)
        self.check_prometheus(exp)
        self.stop_prometheus()
        self.check_controller_loss(exp)

    def retire(self, exp):
        """Stops one exporter of self.exporters and checks how it ended: exit 0 on SIGTERM, no
        sanitizer report in its log."""
        rc, took = exp.stop(60)  # SIGKILL only after 60 s: a loaded machine shuts down slowly
        R.check(f"{os.path.basename(exp.log_path)[:-4]} exits 0 on SIGTERM",
                rc == 0, f"exit code {rc} after {took:.1f}s; log tail: {exp.tail(8)}")
        with open(exp.log_path, "rb") as f:
            log = f.read().decode(errors="replace")
        bad = [l for l in log.splitlines() if re.search(r"Sanitizer|runtime error:|SUMMARY:", l)]
        R.check(f"{os.path.basename(exp.log_path)[:-4]} log has no sanitizer report", not bad, " | ".join(bad[:5]))
        self.exporters.remove(exp)
        self.retired.append(exp)

    def cleanup(self):
        self.stop_prometheus()
        for exp in list(self.exporters):
            self.retire(exp)
        self.stop_cluster()
        if R.failed:
            for exp in self.retired:
                R.note(f"last lines of {exp.log_path}:")
                R.note(exp.tail(12))
        keep = os.environ.get("IT_KEEP") == "1"
        if self.workdir and not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        elif self.workdir:
            R.note(f"state kept in {self.workdir}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dbd", action="store_true", help="also start MariaDB + slurmdbd")
    ap.add_argument("--nodes", type=int, default=6)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("not ok - runs as root: the Slurm cluster needs root", flush=True)
        return 1

    def on_signal(sig, _frame):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)
    t0 = time.monotonic()
    r = Run(args)
    try:
        r.main()
    except Abort as e:
        R.fail("test aborted", str(e))
    except KeyboardInterrupt as e:
        R.fail("test interrupted", str(e))
    except Exception as e:  # noqa: BLE001 - reported as a failed check, cleanup still runs
        import traceback
        R.fail("test crashed", f"{type(e).__name__}: {e}")
        traceback.print_exc()
    finally:
        try:
            r.cleanup()
        except Exception as e:  # noqa: BLE001
            R.fail("cleanup", f"{type(e).__name__}: {e}")
    print(f"# {R.passed} passed, {len(R.failed)} failed in {time.monotonic() - t0:.1f}s", flush=True)
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
