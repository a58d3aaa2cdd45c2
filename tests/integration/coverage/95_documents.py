# SPDX-License-Identifier: Apache-2.0
"""The switching test: every metric name, query, recording rule, alert and scrape configuration
of the five documents people switch from (tests/integration/documents/inventory.py), run in a
real Prometheus that scrapes one exporter of ours, and compared with Slurm's own answer.

One exporter with every compat set the documents need (and --slurm.clusters, for the guide's
`params: cluster:` form); one Prometheus, reloaded once per phase with the scrape jobs of one
site (one document, or two that share a site), with that document's job names, so that names
two documents give different meanings never meet in one query:

  1. rivosinc README + goldentooth write-up: /metrics as `slurm-prod-scraper` and as the
     write-up's `slurm` (file_sd + its instance relabelling), /metrics/goldentooth as
     `slurm-goldentooth`
  2. goldentooth role: /metrics/goldentooth as `slurm`, its three alerts as a rule file
  3. Azure azslurm-exporter: /metrics/azure as `slurm`
  4. jontk integration guide: /metrics/jontk as `slurm-exporter` (honor_labels), Prometheus
     itself as `prometheus`, the guide's recording rules (valid forms) as a rule file
  5. the guide's scrape configurations: /metrics?cluster=NAME as `slurm-cluster-1`, an unknown
     cluster as `slurm-cluster-2`, /metrics/jontk with its metric_relabel_configs

Each phase compares in rounds: Slurm's answer is taken (the commands each item names), a
refresh of the exporter that started after that is waited for, then a Prometheus scrape after
the refresh (and a rule evaluation after the scrape), then every item is queried, then Slurm
is asked again; an item is compared only when Slurm's two answers agree, and again in later
rounds until it passed or mismatched three times at moments Slurm held still (or the phase's
deadline passes, after three rounds at least). Range functions (rate, increase, deriv, predict_linear, subqueries): the
series underneath are compared and the query itself must return data. Finished-job figures are
compared with sacct's jobs that ended up to the exporter's accounting window end (it counts a job
--accounting.settle, here the default minute, after its end), read before the scrape and after
the queries: a round in which a job ended between those two ends does not compare them.

Prints `ok - documents: <doc>: <item>` / `not ok - ...` per item and a note line
`documents: N of M items with data and the right value; K cannot work (listed)`.
"""
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "documents"))
import inventory as INV  # noqa: E402

NAME = "documents"
PHASE_DEADLINE = 150     # seconds of comparison rounds per phase ...
MIN_ROUNDS = 3           # ... but at least this many rounds (a slow chroot's round can take
                         # longer than the deadline), up to three deadlines
SETTLE_DEADLINE = 90     # seconds for the situations of the alerts
NODATA_WAIT = 20         # seconds an item may have no data (range functions need two samples)
# Every scrape job of every phase is in every configuration (those of other phases without
# targets): Prometheus marks a job's series stale when its targets go, but not when the whole job
# leaves the configuration (they would answer queries for five more minutes).
ALL_JOBS = ("slurm-prod-scraper", "slurm", "slurm-goldentooth", "slurm-exporter", "prometheus",
            "slurm-cluster-1", "slurm-cluster-2", "slurm-exporter-relabel")
MIB = 1048576
IGNORE = {"__name__", "job", "instance", "cluster", "exported_cluster", "role", "environment"}
FINAL = {"COMPLETED": "completed", "FAILED": "failed", "TIMEOUT": "timeout", "CANCELLED": "cancelled",
         "OUT_OF_MEMORY": "out_of_memory", "NODE_FAIL": "node_fail", "PREEMPTED": "preempted",
         "BOOT_FAIL": "boot_fail", "DEADLINE": "deadline"}


def rfc3339(s):
    """'2026-12-05T21:33:24.744784195Z' -> Unix time (None for the zero time)."""
    if not s or s.startswith("0001-"):
        return None
    m = re.match(r"(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)(\.\d+)?(Z|[+-]\d\d:\d\d)$", s)
    if not m:
        return None
    import calendar
    t = calendar.timegm(tuple(int(m.group(i)) for i in range(1, 7)) + (0, 0, 0))
    t += float(m.group(7) or 0)
    if m.group(8) != "Z":
        sign = 1 if m.group(8)[0] == "+" else -1
        t -= sign * (int(m.group(8)[1:3]) * 3600 + int(m.group(8)[4:6]) * 60)
    return t


def cpu_seconds(s):
    """sacct's TotalCPU ('[D-][HH:]MM:SS[.mmm]') -> seconds."""
    s = (s or "").strip()
    if not s:
        return 0.0
    days = 0
    if "-" in s:
        d, s = s.split("-", 1)
        days = int(d)
    parts = [float(x) for x in s.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0.0)
    return days * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2]


def size_bytes(s):
    """sacct's MaxRSS / AllocTRES mem= ('1234K', '2000M', '12345' (bytes)) -> bytes."""
    s = (s or "").strip()
    if not s:
        return None
    mult = {"K": 1024, "M": MIB, "G": 1024 * MIB, "T": 1024 * 1024 * MIB}
    if s[-1] in mult:
        return float(s[:-1]) * mult[s[-1]]
    return float(s)


def quantile(q, values):
    """PromQL's quantile(): linear interpolation between ranks."""
    v = sorted(values)
    if not v:
        return None
    rank = q * (len(v) - 1)
    lo = int(math.floor(rank))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (rank - lo)


# ------------------------------------------------------------------------------ Slurm's answer

class Snap:
    """Slurm's answer at one moment: commands run once each and remembered."""

    def __init__(self, D):
        self.D = D
        self.t = time.time()
        self.memo = {}

    def _m(self, key, fn):
        if key not in self.memo:
            self.memo[key] = fn()
        return self.memo[key]

    def out(self, argv, env=None):
        def run():
            p = self.D.ctx.run(list(argv), env=env or self.D.ctx.env, check=False, timeout=60)
            return (p.returncode, p.stdout, p.stderr)
        return self._m(("out",) + tuple(argv), run)

    def prefetch(self, argvs):
        todo = [a for a in dict.fromkeys(tuple(a) for a in argvs) if ("out",) + a not in self.memo]
        if not todo:
            return
        def one(a):
            try:
                r = self.D.ctx.run(list(a), check=False, timeout=60)
                return (r.returncode, r.stdout, r.stderr)
            except subprocess.TimeoutExpired as e:
                return (-1, "", f"timed out: {e}")
        with ThreadPoolExecutor(4) as ex:
            for a, r in zip(todo, ex.map(one, todo)):
                self.memo[("out",) + a] = r

    def stdout(self, argv):
        rc, o, e = self.out(argv)
        if rc != 0:
            raise RuntimeError(f"{' '.join(argv)}: rc {rc}: {(e or o).strip()[-300:]}")
        return o

    def lines(self, argv):
        return sum(1 for l in self.stdout(argv).splitlines() if l.strip())

    def sum_D(self, argv):
        return float(sum(int(x) for x in self.stdout(argv).split()))

    # the JSON view and the expectations of our own families (test_exporter.py's reference code)
    def snap(self):
        return self._m("json", lambda: self.D.base.slurm_snapshot(self.D.ctx.env))

    def e(self):
        return self._m("e", lambda: self.D.base.expectations(self.snap(), self.t)[0])

    def nodes(self):
        return self.snap()["nodes"]

    def jobs(self):
        return self.snap()["jobs"]

    def squeue_rows(self):
        """Every job (array tasks singly) as squeue prints it: (state, user, account, partitions,
        CPUs, memory MiB of tres-alloc: the allocation, or the request while pending)."""
        out = self.stdout(["squeue", "-h", "-a", "-r", "-t", "all",
                           "--Format=State:0|,UserName:0|,Account:0|,Partition:0|,NumCPUs:0|,tres-alloc:0"])
        rows = []
        for line in out.splitlines():
            f = line.split("|")
            if len(f) < 6:
                continue
            mem = 0.0
            for kv in f[5].split(","):
                k, _, v = kv.partition("=")
                if k == "mem" and v:
                    mem = (size_bytes(v if v[-1] in "KMGT" else v + "M") or 0) / MIB
            rows.append((f[0].strip(), f[1], f[2], [p for p in f[3].split(",") if p], float(f[4] or 0), mem))
        return rows

    def partitions(self):
        """The partitions sinfo lists (what Azure iterated)."""
        return sorted({l.strip().rstrip("*") for l in self.stdout(["sinfo", "-h", "-o", "%P"]).splitlines()
                       if l.strip()})

    def sinfo_C(self):
        a, i, o, t = (float(x) for x in self.stdout(["sinfo", "-h", "-o", "%C"]).split()[0].split("/"))
        return {"alloc": a, "idle": i, "other": o, "total": t}

    def sinfo_part_C(self):
        out = {}
        for line in self.stdout(["sinfo", "-a", "-h", "-o", "%R %C"]).splitlines():
            if line.strip():
                p, c = line.split()
                a, i, o, t = (float(x) for x in c.split("/"))
                cur = out.setdefault(p, {"alloc": 0, "idle": 0, "other": 0, "total": 0})
                for k, v in zip(("alloc", "idle", "other", "total"), (a, i, o, t)):
                    cur[k] += v
        return out

    def sinfo_N(self):
        """[(node, partition, state)] of sinfo -a -N."""
        rows = []
        for line in self.stdout(["sinfo", "-a", "-h", "-N", "-o", "%N %R %T"]).splitlines():
            f = line.split()
            if len(f) == 3:
                rows.append(tuple(f))
        return rows

    def reset(self):
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.t - 86400))

    def sacct_argv(self, state, part):
        return (["sacct", "-a", "-S", self.reset(), "-E", "now", "-X", "-n"] + (["-s", state] if state else [])
                + (["-r", part] if part else []))

    def ping(self):
        rc, o, e = self.out(["scontrol", "ping"])
        out = {}
        for m in re.finditer(r"Slurmctld\((\w+)\) at (\S+) is (UP|DOWN)", o):
            out[m.group(2)] = 1.0 if m.group(3) == "UP" else 0.0
        return out

    def dbd_ping(self):
        rc, o, e = self.out(["sacctmgr", "ping"])
        m = re.findall(r"slurmdbd\((\w+)\) at (\S+) is (UP|DOWN)", o)
        return rc, (e or o).strip(), (1.0 if any(x[2] == "UP" for x in m) else 0.0) if m else None

    def reservations(self):
        p = self.stdout(["scontrol", "-o", "show", "reservations"])
        out = {}
        for line in p.splitlines():
            kv = dict(f.split("=", 1) for f in line.split() if "=" in f)
            if "ReservationName" in kv:
                out[kv["ReservationName"]] = kv
        return out

    def proc(self):
        return self._m("proc", self.D.read_proc)

    def acct(self):
        """Finished jobs of the accounting window [exporter's counting start, now], one dict each."""
        def run():
            since = self.D.acct_since
            if since is None:
                return None
            env = dict(self.D.ctx.env, SLURM_TIME_FORMAT="%s", TZ="UTC")
            p = self.D.ctx.run(["sacct", "--allusers", "--noheader", "--parsable2", "--noconvert",
                                "--state=CA,CD,DL,F,NF,OOM,PR,TO,BF",
                                "--format=JobIDRaw,State,Partition,Account,User,Submit,Eligible,Start,End,"
                                "ElapsedRaw,AllocTRES,TotalCPU,MaxRSS,NTasks",
                                f"--starttime=uts{int(since)}", f"--endtime=uts{int(self.t)}"], env=env,
                               check=False, timeout=60)
            if p.returncode != 0:
                raise RuntimeError(f"sacct: rc {p.returncode}: {p.stderr.strip()[-300:]}")
            jobs, steps = {}, {}
            for line in p.stdout.splitlines():
                f = line.split("|")
                if len(f) < 14:
                    continue
                jid = f[0]
                if "." in jid:
                    rss = size_bytes(f[12])
                    if rss is not None:  # a sample of 0 is a sample
                        base_id = jid.split(".")[0]
                        tasks = int(f[13] or 1)
                        cur = steps.get(base_id)
                        if cur is None or rss > cur[0]:
                            steps[base_id] = (rss, rss * tasks)
                    continue
                st = FINAL.get(f[1].split(" ")[0])
                if not st or not f[2]:
                    continue
                tres = dict(x.split("=", 1) for x in f[10].split(",") if "=" in x)

                def num(x):
                    try:
                        return float(x)
                    except ValueError:
                        return None
                start, elig, submit, end = num(f[7]), num(f[6]), num(f[5]), num(f[8])
                jobs[jid] = {"partition": f[2], "account": f[3], "user": f[4], "state": st,
                             "elapsed": float(f[9] or 0), "cpus": float(tres.get("cpu", 0) or 0),
                             "totalcpu": cpu_seconds(f[11]), "mem": size_bytes(tres.get("mem")),
                             "start": start, "eligible": elig, "submit": submit, "end": end}
            for jid, j in jobs.items():
                j["peak"] = steps[jid][1] if jid in steps else None
                # ran: an allocation (cpu=) and a start not after the end, as the accounting
                # collector counts (docs/metrics.md, accounting); elapsed may be 0
                ran = j["start"] is not None and j["cpus"] > 0 and j["end"] is not None and j["start"] <= j["end"]
                j["ran"] = ran
                if ran:
                    e = j["eligible"] if j["eligible"] is not None and j["eligible"] <= j["start"] else j["submit"]
                    j["wait"] = max(0.0, j["start"] - e) if e is not None else None
                else:
                    j["wait"] = None
            return list(jobs.values())
        return self._m("acct", run)


def _node_state(D, n):
    return D.base.node_state(n)


def _gpus(D, spec):
    return sum(v for (g, _), v in D.base.parse_gres(spec).items() if g == "gpu")


def _parts_of(n):
    return [p for p in (n.get("partitions") or []) if p]


# Each oracle: fn(D, S, item, labelsets) -> {key tuple: value}; labelsets (the label sets of the
# series Prometheus returned) is None while the answer is being fetched before the scrape.
ORACLES = {}


def oracle(fn):
    ORACLES[fn.__name__] = fn
    return fn


@oracle
def jobs_pending_once(D, S, it, ls):
    return {(): float(S.lines(["squeue", "-h", "-a", "-r", "-t", "PENDING"]))}


@oracle
def jobs_in_state(D, S, it, ls):
    out = S.stdout(["squeue", "-h", "-a", "-r", "-t", "all", "-o", "%T"])
    return {(): float(sum(1 for l in out.split() if l == it.args["state"]))}


@oracle
def sinfo_node_prefix(D, S, it, ls):
    st = {n: s for n, _p, s in S.sinfo_N()}
    return {(): float(sum(1 for s in st.values() if s.startswith(it.args["prefix"])))}


@oracle
def nodes_base_down(D, S, it, ls):
    return {(): float(sum(1 for n in S.nodes() if n["state"].lower() == "down"))}


@oracle
def node_sum(D, S, it, ls):
    return {(): sum(float(n.get(it.args["field"]) or 0) for n in S.nodes()) * it.args.get("scale", 1)}


@oracle
def cpu_alloc_ratio(D, S, it, ls):
    a = sum(n.get("alloc_cpus") or 0 for n in S.nodes())
    t = sum(n["cpus"] for n in S.nodes())
    return {(): a / t * it.args.get("scale", 1)}


@oracle
def nodes_up_percent(D, S, it, ls):
    n = len(S.nodes())
    down = sum(1 for x in S.nodes() if x["state"].lower() == "down")
    return {(): (n - down) / n * 100}


@oracle
def sinfo_cpus(D, S, it, ls):
    return {(): S.sinfo_C()[it.args["field"]]}


@oracle
def sinfo_partition_cpus(D, S, it, ls):
    return {(p,): v[it.args["field"]] for p, v in S.sinfo_part_C().items()}


@oracle
def cpus_per_state(D, S, it, ls):
    out = {}
    for n in S.nodes():
        k = (_node_state(D, n),)
        out[k] = out.get(k, 0) + n["cpus"]
    return {k: float(v) for k, v in out.items() if "state" not in it.args or k[0] == it.args["state"]}


@oracle
def nodes_per_state(D, S, it, ls):
    out = {}
    for n in S.nodes():
        k = (_node_state(D, n),)
        out[k] = out.get(k, 0) + 1
    return {k: float(v) for k, v in out.items() if "state" not in it.args or k[0] == it.args["state"]}


@oracle
def nodes_by_state(D, S, it, ls):
    return {k: float(v) for k, v in S.e()["slurm_nodes"].items()}


@oracle
def partition_node_sum(D, S, it, ls):
    out = {}
    for n in S.nodes():
        for p in _parts_of(n):
            k = (p, _node_state(D, n)) if len(it.key) == 2 else (p,)
            out[k] = out.get(k, 0) + float(n.get(it.args["field"]) or 0) * it.args.get("scale", 1)
    return out


@oracle
def node_ratio(D, S, it, ls):
    return {(n["name"],): float(n.get(it.args["num"]) or 0) / n[it.args["den"]] for n in S.nodes() if n[it.args["den"]]}


@oracle
def node_field(D, S, it, ls):
    return {(n["name"],): float(n.get(it.args["field"]) or 0) for n in S.nodes()}


@oracle
def gpu_percent(D, S, it, ls):
    used = sum(_gpus(D, n.get("gres_used")) for n in S.nodes())
    total = sum(_gpus(D, n.get("gres")) for n in S.nodes())
    return {(): used / total * 100}


def _partition_figures(D, S):
    """Per partition: CPUs (sinfo -p P %C), memory (scontrol nodes), nodes (sinfo -N %T)."""
    f = {}
    for p, c in S.sinfo_part_C().items():
        d = f.setdefault(p, {})
        d["cpus_alloc"], d["cpus_total"] = c["alloc"], c["total"]
    for n in S.nodes():
        for p in _parts_of(n):
            d = f.setdefault(p, {})
            d["mem_alloc"] = d.get("mem_alloc", 0) + float(n.get("alloc_memory") or 0) * MIB
            d["mem_total"] = d.get("mem_total", 0) + float(n["real_memory"]) * MIB
    for _n, p, st in S.sinfo_N():
        d = f.setdefault(p, {})
        d["nodes_total"] = d.get("nodes_total", 0) + 1
        d["nodes_idle"] = d.get("nodes_idle", 0) + (1 if st == "idle" else 0)
    return f


@oracle
def partition_ratio(D, S, it, ls):
    f = _partition_figures(D, S)
    num, den, scale = it.args["num"], it.args["den"], it.args.get("scale", 1)
    if it.args.get("per"):
        return {(p,): d.get(num, 0) / d[den] * scale for p, d in f.items() if d.get(den)}
    return {(D.cluster,): sum(d.get(num, 0) for d in f.values()) / sum(d.get(den, 0) for d in f.values()) * scale}


@oracle
def jobs_pending_by_partition(D, S, it, ls):
    out = {}
    for (p, _r), v in S.e()["slurm_jobs_pending"].items():
        out[(p,)] = out.get((p,), 0) + v
    return out


@oracle
def jobs_by_partition_state(D, S, it, ls):
    parts = it.args.get("partitions")
    up = it.args.get("upper")
    return {(p, s.upper() if up else s): float(v) for (p, s), v in S.e()["slurm_jobs"].items()
            if parts is None or p in parts}


@oracle
def jobs_count(D, S, it, ls):
    e = S.e()
    who = it.args.get("who")
    fam = {"account": "slurm_account_jobs", "user": "slurm_user_jobs", None: "slurm_queue_jobs"}[who]
    return {k[:-1] + (k[-1].upper(),): float(v) for k, v in e[fam].items()}


@oracle
def jobs_sum(D, S, it, ls):
    # squeue's NumCPUs and tres-alloc (rivosinc's CLI mode read squeue's %C): a job that ended
    # without starting keeps its request there (the JSON view says 0 CPUs for it)
    out = {}
    for st, user, acct, _parts, cpus, mem in S.squeue_rows():
        w = user if it.args["who"] == "user" else acct
        k = (w, st.upper()) if it.args.get("state") else (w,)
        out[k] = out.get(k, 0) + (mem * 1e6 if it.args["what"] == "mem" else cpus)
    return out


@oracle
def cmd_lines(D, S, it, ls):
    argv = it.args["argv"]
    if "{P}" not in argv:
        return {(): float(S.lines(argv))}
    parts = it.args.get("partitions") or S.partitions()
    return {(p,): float(S.lines([p if a == "{P}" else a for a in argv])) for p in parts}


def _D_argv(state, part):
    return ["sinfo"] + (["-p", part] if part else []) + ["-t", state, "-h", "-o", "%D"]


@oracle
def cmd_D(D, S, it, ls):
    def one(part):
        if "sum" in it.args:
            return sum(S.sum_D(_D_argv(s, part)) for s in it.args["sum"])
        return S.sum_D([part if a == "{P}" else a for a in it.args["argv"]])
    if it.key == ("partition",):
        return {(p,): one(p) for p in S.partitions()}
    return {(): one(None)}


@oracle
def sacct_lines(D, S, it, ls):
    st = it.args["state"]
    if it.key == ("partition",) or it.args.get("sum_partitions"):
        per = {(p,): float(S.lines(S.sacct_argv(st, p))) for p in S.partitions()}
        return {(): sum(per.values())} if it.args.get("sum_partitions") else per
    return {(): float(S.lines(S.sacct_argv(st, None)))}


@oracle
def controllers_up(D, S, it, ls):
    # the exporter runs with --slurm.clusters=NAME (the guide's params form needs it): one series
    # per cluster, controller=NAME, 1 when its controller answers (docs/metrics.md, controllers)
    return {(D.cluster,): 1.0 if any(S.ping().values()) else 0.0}


@oracle
def database_up(D, S, it, ls):
    rc, _msg, v = S.dbd_ping()
    return {(): v} if v is not None else {}


@oracle
def reservation_percent(D, S, it, ls):
    total = sum(n["cpus"] for n in S.nodes())
    out = {}
    for r, kv in S.reservations().items():
        m = re.search(r"(?:^|,)cpu=(\d+)", kv.get("TRES", ""))
        if m:
            out[(r,)] = int(m.group(1)) / total * 100
    return out


@oracle
def constant(D, S, it, ls):
    return {(): float(it.args["value"])}


@oracle
def trace_posted(D, S, it, ls):
    if not D.trace_body:
        return {}
    return {(str(D.trace_body["job_id"]),): float(D.trace_body[it.args["field"]])}


@oracle
def trace_alloc(D, S, it, ls):
    if not D.trace_body:
        return {}
    for j in S.jobs():
        if str(j["job_id"]) == str(D.trace_body["job_id"]) and j["job_state"] == "RUNNING":
            if it.args["what"] == "cpus":
                return {(str(j["job_id"]),): float(j["cpus"])}
            return {(str(j["job_id"]),): float(D.base.job_memory_mib(j)) * 1e6}
    return {}


def _settled(D, S):
    """sacct's finished jobs that the exporter has counted: those that ended up to its window's
    end (a job is counted --accounting.settle after its end, docs/metrics.md, Settling)."""
    jobs = S.acct()
    if jobs is None or D.acct_end is None:
        return None
    return [j for j in jobs if j["end"] is not None and j["end"] <= D.acct_end]


# accounting: the value a series with labels L has, from sacct's finished jobs matching L
def _acct_value(name, jobs, labels):
    sel = [j for j in jobs if all(labels.get(k) in (None, j[k]) for k in ("partition", "account", "user"))]
    ran = [j for j in sel if j["ran"]]
    if name == "slurm_account_cpu_hours_used_total":
        return sum(j["totalcpu"] for j in ran) / 3600
    if name == "slurm_jobs_completed_total":
        return float(sum(1 for j in sel if j["state"] == "completed"))
    if name == "slurm_jobs_failed_total":
        return float(sum(1 for j in sel if j["state"] == "failed"))
    if name == "slurm_job_waste_cpu_hours":
        # per job max(0, allocated - used): a waste never goes down (docs/metrics.md, jontk)
        return sum(max(0.0, j["elapsed"] * j["cpus"] - j["totalcpu"]) for j in ran) / 3600
    if name == "slurm_job_waste_memory_gb_hours":
        return sum(max(0.0, (j["mem"] - j["peak"]) * j["elapsed"]) for j in ran
                   if j["mem"] and j["peak"] is not None) / 3600 / 1e9
    if name == "slurm_job_cpu_hours_total":
        return sum(j["elapsed"] * j["cpus"] for j in ran) / 3600
    if name == "slurm_job_wait_time_seconds_bucket":
        le = float(labels.get("le", "+Inf").replace("+Inf", "inf"))
        return float(sum(1 for j in sel if j["wait"] is not None and j["wait"] <= le))
    if name == "slurm_job_cpu_efficiency_ratio":
        den = sum(j["elapsed"] * j["cpus"] for j in ran)
        return sum(j["totalcpu"] for j in ran) / den if den else None
    raise KeyError(name)


def _key_star(labels):
    return tuple(sorted((k, v) for k, v in labels.items() if k not in IGNORE))


@oracle
def acct_series(D, S, it, ls):
    jobs = _settled(D, S)
    if jobs is None or ls is None:
        return {}
    out = {}
    for labels in ls:
        v = _acct_value(it.args["name"], jobs, labels)
        if v is not None:
            out[_key_star(labels)] = v
    return out


@oracle
def acct_avg_by(D, S, it, ls):
    jobs = _settled(D, S)
    under = D.underlying(it.args["name"], it.job)
    if jobs is None or under is None:
        return {}
    groups = {}
    for labels in under:
        v = _acct_value(it.args["name"], jobs, labels)
        if v is not None:
            groups.setdefault(tuple(labels.get(k, "") for k in it.args["by"]), []).append(v)
    return {k: sum(v) / len(v) for k, v in groups.items()}


@oracle
def acct_sum_by(D, S, it, ls):
    jobs = _settled(D, S)
    under = D.underlying(it.args["name"], it.job)
    if jobs is None or under is None:
        return {}
    groups = {}
    for labels in under:
        k = tuple(labels.get(x, "") for x in it.args["by"])
        groups[k] = groups.get(k, 0) + _acct_value(it.args["name"], jobs, labels)
    if it.args.get("topk"):
        groups = dict(sorted(groups.items(), key=lambda kv: -kv[1])[: it.args["topk"]])
    return groups


@oracle
def acct_quantile(D, S, it, ls):
    jobs = _settled(D, S)
    under = D.underlying(it.args["name"], it.job)
    if jobs is None or under is None:
        return {}
    vals = [v for v in (_acct_value(it.args["name"], jobs, l) for l in under) if v is not None]
    q = quantile(it.args["q"], vals)
    return {(): q} if q is not None else {}


@oracle
def acct_wait_mean(D, S, it, ls):
    jobs = _settled(D, S)
    if jobs is None:
        return {}
    per = {}
    for j in jobs:
        if j["wait"] is not None:
            s, n = per.get((j["partition"],), (0.0, 0))
            per[(j["partition"],)] = (s + j["wait"], n + 1)
    return {k: s / n / 60 for k, (s, n) in per.items() if n}


# the exporter process: (value at the first read, value at the second read) are compared as a range
@oracle
def proc_cpu(D, S, it, ls):
    return {(): S.proc()["cpu"]}


@oracle
def proc_max_fds(D, S, it, ls):
    return {(): S.proc()["max_fds"]}


@oracle
def proc_open_fds(D, S, it, ls):
    return {(): S.proc()["fds"]}


@oracle
def proc_rss(D, S, it, ls):
    return {(): S.proc()["rss"]}


@oracle
def proc_start(D, S, it, ls):
    return {(): S.proc()["start"]}


@oracle
def proc_vsize(D, S, it, ls):
    return {(): S.proc()["vsize"]}


@oracle
def proc_vmax(D, S, it, ls):
    return {(): S.proc()["vmax"]}


# slack of the range comparisons: (absolute, relative)
BRACKET = {"proc_cpu": (0.02, 0), "proc_open_fds": (5, 0), "proc_rss": (0, 0.25), "proc_vsize": (0, 0.10),
           "proc_start": (1, 0)}


# ------------------------------------------------------------------------------ the test

class Documents:
    def __init__(self, ctx):
        self.ctx = ctx
        self.R = ctx.R
        self.base = ctx.base
        self.sexp = ctx.base.sexp
        self.run_ = ctx._run
        self.exp = None
        self.prom = None
        self.prom_url = None
        self.pdir = None
        self.cluster = None
        self.acct_since = None
        self.acct_end = None  # the exporter's accounting window end in this round (at the latest)
        self.acct_lo = None   # ... and at the earliest
        self._special_last = {}  # item -> detail of its last round that could not compare
        self.trace_body = None
        self.jobs_made = []
        self.partitions_made = []
        self.reservations_made = []
        self.results = {}          # item -> (state, detail); state: ok, fail, cannot
        self.phase_error = {}      # docs of a phase that failed -> why
        self.missing_flags = set()
        self.phase_jobs = []       # the jobs of the current phase
        self.host = socket.gethostname()
        self._under_cache = {}
        self.slurm_version = None

    # -- Prometheus -----------------------------------------------------------------------
    def q(self, query, t=None):
        """(status, resultType, result, error) of an instant query."""
        params = {"query": query}
        if t is not None:
            params["time"] = f"{t:.3f}"
        st, _, body = self.sexp.http(self.prom_url + "/api/v1/query?" + urllib.parse.urlencode(params), timeout=20)
        try:
            doc = json.loads(body)
        except ValueError:
            return st, None, [], body[:200]
        if st != 200 or doc.get("status") != "success":
            return st, None, [], doc.get("error", "")
        return st, doc["data"]["resultType"], doc["data"]["result"], ""

    def api(self, path):
        st, _, body = self.sexp.http(self.prom_url + path, timeout=20)
        if st != 200:
            raise RuntimeError(f"{path}: HTTP {st}")
        return json.loads(body)["data"]

    def prom_metric(self, name):
        st, _, body = self.sexp.http(self.prom_url + "/metrics", timeout=10)
        for line in body.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    def start_prometheus(self):
        port = self.sexp.free_port()
        self.pdir = os.path.join(self.ctx.workdir, "prometheus-documents")
        os.makedirs(self.pdir, exist_ok=True)
        self.prom_url = f"http://127.0.0.1:{port}"
        self.prom_port = port
        self.write_config([], [])
        self.prom_log = open(os.path.join(self.pdir, "prometheus.log"), "wb")
        self.prom = subprocess.Popen(
            [self.run_.prometheus_bin, f"--config.file={self.pdir}/prometheus.yml",
             f"--web.listen-address=127.0.0.1:{port}", f"--storage.tsdb.path={self.pdir}/data",
             "--log.level=warn"], stdout=self.prom_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=self.sexp.set_pdeathsig)

        def ready():
            if self.prom.poll() is not None:
                raise self.base.Abort(f"prometheus exited with {self.prom.returncode}")
            return self.sexp.http(self.prom_url + "/-/ready", timeout=2)[0] == 200
        self.ctx.wait_until("Prometheus to be ready", ready, 30)

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

    def write_config(self, jobs, rule_files):
        y = ["global:", "  scrape_interval: 1s", "  scrape_timeout: 1s", "  evaluation_interval: 1s"]
        if rule_files:
            y.append("rule_files:")
            y += [f"  - {f}" for f in rule_files]
        y.append("scrape_configs:")
        for j in jobs:
            y.append(j["yaml"].rstrip())
        with open(os.path.join(self.pdir, "prometheus.yml"), "w") as f:
            f.write("\n".join(y) + "\n")

    def reload(self, phase, jobs, rule_files):
        """Loads the phase's jobs and rule files; waits until the targets are scraped and the series of
        the other phases' targets are gone."""
        names = [j["name"] for j in jobs]
        idle = [{"name": n, "yaml": f"  - job_name: '{n}'\n    static_configs: []\n"} for n in ALL_JOBS
                if n not in names]
        # the rules come second, once the other phases' series are gone (they would be evaluated)
        self.write_config(jobs + idle, [])
        t = time.time()
        self.prom.send_signal(signal.SIGHUP)
        self.phase_jobs = [j["name"] for j in jobs]
        self.wait_reloaded(phase, t)


        def scraped():
            got = {}
            for tg in self.api("/api/v1/targets?state=active")["activeTargets"]:
                ls = rfc3339(tg.get("lastScrape"))
                got.setdefault(tg["scrapePool"], []).append(ls is not None and ls > t)
            return all(p in got and all(got[p]) for p in self.phase_jobs) and set(got) == set(self.phase_jobs)
        self.ctx.wait_until(f"every target of phase {phase} scraped", scraped, 60, 0.25)
        others = '{job=~".+", job!~"%s"}' % "|".join(self.phase_jobs)  # job names: [a-z0-9-] only

        def gone():
            st, _t, res, _e = self.q(f"count({others})")
            return st == 200 and not res
        self.ctx.wait_until(f"the series of the jobs before phase {phase} to go stale", gone, 60, 0.5)
        if rule_files:
            self.write_config(jobs + idle, rule_files)
            t = time.time()
            self.prom.send_signal(signal.SIGHUP)
            self.wait_reloaded(phase, t)

    def wait_reloaded(self, phase, t):
        def reloaded():
            ok = self.prom_metric("prometheus_config_last_reload_successful")
            at = self.prom_metric("prometheus_config_last_reload_success_timestamp_seconds")
            if ok == 0:
                with open(os.path.join(self.pdir, "prometheus.log")) as f:
                    log = f.read()[-600:]
                raise RuntimeError(f"Prometheus refused the configuration of phase {phase}; log: {log}")
            return ok == 1 and at is not None and at >= t - 1
        self.ctx.wait_until(f"Prometheus to load the configuration of phase {phase}", reloaded, 30, 0.2)

    def targets(self):
        return [tg for tg in self.api("/api/v1/targets?state=active")["activeTargets"]
                if tg["scrapePool"] in self.phase_jobs]

    # -- the exporter ---------------------------------------------------------------------
    def read_proc(self):
        pid = self.exp.proc.pid
        tick = os.sysconf("SC_CLK_TCK")
        page = os.sysconf("SC_PAGE_SIZE")
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
        fields = st[st.rindex(")") + 2:].split()
        utime, stime, start, vsize = int(fields[11]), int(fields[12]), int(fields[19]), int(fields[20])
        with open("/proc/stat") as f:
            btime = next(int(l.split()[1]) for l in f if l.startswith("btime "))
        with open(f"/proc/{pid}/statm") as f:
            rss = int(f.read().split()[1]) * page
        limits = {}
        with open(f"/proc/{pid}/limits") as f:
            for line in f:
                m = re.match(r"(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)", line)
                if m:
                    limits[m.group(1)] = m.group(2)
        vmax = limits.get("Max address space", "unlimited")
        return {"cpu": (utime + stime) / tick, "start": btime + start / tick, "vsize": float(vsize),
                "rss": float(rss), "fds": float(len(os.listdir(f"/proc/{pid}/fd"))),
                "max_fds": float(limits.get("Max open files", "nan")),
                "vmax": 18446744073709551615.0 if vmax == "unlimited" else float(vmax)}

    def metrics(self):
        return self.exp.metrics()

    def wait_refresh(self, t0, datasets):
        """Waits until every dataset's refresh started at or after t0 (on /metrics)."""
        def fresh():
            m = self.exp.metrics()
            return all((self.sexp.refresh_started(m, ds, cluster=self.cluster) or 0) >= t0 for ds in datasets)
        self.ctx.wait_until(f"a refresh of {', '.join(datasets)} after the question", fresh, 60, 0.2)

    def wait_scraped(self, t1, rules):
        """Waits until every target of the phase was scraped after t1, and the rules evaluated after that."""
        last = {}

        def scraped():
            ts = self.targets()
            times = [rfc3339(tg.get("lastScrape")) or 0 for tg in ts]
            last["scrape"] = max(times) if times else 0
            return ts and all(x > t1 for x in times)
        self.ctx.wait_until("a Prometheus scrape after the refresh", scraped, 30, 0.2)
        if rules:
            def evaluated():
                groups = self.api("/api/v1/rules")["groups"]
                return groups and all((rfc3339(g.get("lastEvaluation")) or 0) > last["scrape"] for g in groups)
            self.ctx.wait_until("a rule evaluation after the scrape", evaluated, 30, 0.2)

    def underlying(self, name, job):
        """Label sets of the series of `name` (of job `job`) Prometheus holds now."""
        key = (name, job, self._round)
        if key not in self._under_cache:
            st, _t, res, err = self.q(name)
            self._under_cache[key] = None if st != 200 else [r["metric"] for r in res
                                                             if r["metric"].get("job", job) == job]
        return self._under_cache[key]

    # -- comparing ------------------------------------------------------------------------
    def keyed(self, it, res):
        """{key: value} of a query result (the item's job only), and the other jobs' series."""
        got, other, labelsets = {}, [], []
        for r in res:
            m = r["metric"]
            if "job" in m and it.job and m["job"] != it.job:
                other.append(m.get("job"))
                continue
            v = float((r.get("value") or r.get("values", [[0, "nan"]])[-1])[1])
            labelsets.append(m)
            k = _key_star(m) if it.key == ("*",) else tuple(m.get(x, "") for x in it.key)
            got[k] = v
        return got, other, labelsets

    @staticmethod
    def differ(got, want, tol, bracket=None, want_b=None):
        problems = []
        for k in sorted(set(got) | set(want), key=str):
            g = got.get(k)
            w = want.get(k, 0.0)
            if bracket:
                a, b = w, (want_b or {}).get(k, w)
                lo, hi = min(a, b), max(a, b)
                ab, rel = bracket
                lo, hi = lo * (1 - rel) - ab, hi * (1 + rel) + ab
                if g is None or not lo <= g <= hi:
                    problems.append(f"{k or ''} = {g}, expected {a:g}..{b:g}")
                continue
            if g is None:
                if w != 0:
                    problems.append(f"{k or '()'} missing, expected {w:g}")
                continue
            if w is None or not (abs(g - w) <= 1e-9 + tol * abs(w) or (math.isnan(g) and math.isnan(w))):
                problems.append(f"{k or '()'} = {g:g}, expected {w if w is None else f'{w:g}'}")
        return problems

    # -- checks of claims -------------------------------------------------------------------
    def written_claim(self, it):
        """For an item whose valid form the test runs: the claim about the form as written holds.
        Returns (ok, detail)."""
        if it.kind == "config":
            return self.config_claim(it)
        st, _t, res, err = self.q(it.text)
        if it.written == "rejected":
            return (st == 400 and "parse error" in err, f"Prometheus answered {st} {err or res[:1]} to the form "
                    "as written")
        kind, names = it.written
        if kind == "histogram":
            _s, _t, plain, _e = self.q(f'{{__name__="{names}"}}')
            _s, _t, buckets, _e = self.q(f'count({names}_bucket)')
            return (st == 200 and not res and not plain and bool(buckets),
                    f"the form as written answered {st} with {len(res)} series; {names} has {len(plain)} series, "
                    f"{names}_bucket {buckets[0]['value'][1] if buckets else 0}")
        # a valid query that finds nothing while every name in it has data
        have = {}
        for n in names:
            _s, _t, r, _e = self.q(f"count({n})")
            have[n] = float(r[0]["value"][1]) if r else 0
        return (st == 200 and not res and all(have.values()),
                f"the form as written answered {st} with {len(res)} series; series of its names: {have}")

    def config_claim(self, it):
        """A configuration as the document writes it: promtool accepts it, or refuses it as `why` says."""
        if not it.yaml:
            return True, ""
        path = os.path.join(self.pdir, f"as-written-{abs(hash(it.text)) % 10 ** 8}.yml")
        with open(path, "w") as f:
            f.write(it.yaml)
        p = subprocess.run([self.run_.promtool_bin, "check", "config", path], capture_output=True, text=True,
                           timeout=60)
        out = (p.stdout + p.stderr).strip()
        if it.run:
            return (p.returncode != 0 and "external_labels not found" in out, f"promtool: rc {p.returncode}: "
                    f"{' '.join(out.split())[:300]}")
        return p.returncode == 0, f"promtool: rc {p.returncode}: {' '.join(out.split())[:300]}"

    def cannot_claim(self, it):
        if it.verify == "rejected":
            st, _t, res, err = self.q(it.text)
            return st == 400 and "parse error" in err, f"Prometheus answered {st}: {err}"
        if it.verify == "missing_name":
            name = re.search(r"prometheus_[a-z_]+", it.text).group(0)
            st, _t, res, err = self.q(f'count({{__name__="{name}"}})')
            st2, _t2, res2, _e2 = self.q(it.text)
            st3, _t3, res3, _e3 = self.q('up{job="prometheus"}')
            up = bool(res3) and res3[0]["value"][1] == "1"
            return (up and st == 200 and not res and st2 == 200 and not res2,
                    f"Prometheus scrapes itself ({up}) and has no {name} ({len(res)} series); the query answered "
                    f"{st2} with {len(res2)} series")
        return False, f"unknown verification {it.verify}"

    # -- one item's check (non-Slurm ones) --------------------------------------------------
    def special(self, it, res):
        """Checks that are not a comparison with Slurm's answer: (ok, detail), or None for "not
        yet" (ask again in the next round)."""
        o = it.oracle
        got, other, _ls = self.keyed(it, res)
        if o == "has_data":
            return bool(res), f"{len(res)} series" if res else "no data"
        if o == "target_up":
            ts = [tg for tg in self.targets() if tg["scrapePool"] == it.job]
            ok = bool(ts) and all(tg["health"] == "up" for tg in ts)
            det = [(tg["labels"].get("instance"), tg["health"], tg.get("lastError")) for tg in ts]
            if ok and it.args.get("instance") == "host":
                ok = all(tg["labels"].get("instance") == self.host for tg in ts)
            claim_ok, claim = self.config_claim(it)
            return ok and claim_ok, f"targets {det}; as written: {claim}"
        if o in ("plausible_seconds", "build_time", "in_flight", "requests_total") and not got:
            return False, "no data"
        if o == "plausible_seconds":
            return bool(got) and all(0 <= v <= 10 for v in got.values()), f"{got}"
        if o == "build_time":
            tnow = time.time()
            return bool(got) and all(self.exp_started - 1 <= v <= tnow + 1 for v in got.values()), \
                f"{got}, exporter started {self.exp_started:.0f}, now {tnow:.0f}"
        if o == "absent_while_healthy":
            m = self.exp.metrics()
            bad = [(l.get("collector"), v) for l, v in m.get("slurm_exporter_collector_success")
                   if l.get("collector") in ("jobs", "nodes", "partitions", "compat_azure") and v != 1]
            return (not res and not bad, f"{len(res)} series; collectors not succeeding: {bad}")
        if o == "self_duration":
            ds = it.args["dataset"]
            st, _t, r2, _e = self.q(f'({it.text}) - on (job, instance, cluster) 1000 * '
                                    f'slurm_exporter_dataset_fetch_duration_seconds{{dataset="{ds}",job="{it.job}"}}')
            diffs = [float(x["value"][1]) for x in r2 if x["metric"].get("job") == it.job]
            if not got or not diffs:
                return False, f"no data: {got}, difference {diffs}"
            ok = all(abs(d) < 1e-6 for d in diffs)
            return (ok if ok else None), f"{got}; minus 1000 × the fetch duration of the same scrape: {diffs}"
        if o == "self_errors":
            ds = it.args["dataset"]
            st, _t, r2, _e = self.q(f'({it.text}) - on (job, instance, cluster) sum by (job, instance, cluster) '
                                    f'(slurm_exporter_dataset_fetches_total{{dataset="{ds}",result="error",'
                                    f'job="{it.job}"}})')
            diffs = [float(x["value"][1]) for x in r2 if x["metric"].get("job") == it.job]
            if not got or not diffs:
                return False, f"no data: {got}, difference {diffs}"
            ok = all(abs(d) < 1e-9 for d in diffs)
            return (ok if ok else None), f"{got}; minus the failed refreshes of the same scrape: {diffs}"
        if o == "in_flight":
            scrapers = len([j for j in self.phase_jobs if j in ("slurm", "slurm-prod-scraper")]) + 1
            return bool(got) and all(1 <= v <= scrapers for v in got.values()), f"{got} (at most {scrapers})"
        if o == "requests_total":
            st, _t, r2, _e = self.q('sum(count_over_time(up{job=~"slurm|slurm-prod-scraper"}[1h]))')
            made = (float(r2[0]["value"][1]) if r2 else 0) + self.exp.metrics_gets + 2
            ok = (1 <= got.get(("200",), 0) <= made and got.get(("500",)) == 0 and got.get(("503",)) == 0)
            return ok, f"{got}; /metrics requests made so far: at most {made:g}"
        if o == "self_collect_errors":
            st, _t, r2, _e = self.q(it.under)
            under, _o, _l = self.keyed(it, r2)
            m = self.exp.metrics()
            errs = sum(v for l, v in m.get("slurm_exporter_dataset_fetches_total") if l.get("result") == "error")
            vals = [float(r["value"][1]) for r in res if r["metric"].get("job", it.job) == it.job]
            if not vals or not under:
                return False, f"no data: query {vals}; errors underneath {under}"
            ok = all(not math.isnan(v) for v in vals) and all(v == errs for v in under.values())
            return (ok if ok else None), f"query {vals}; errors underneath {under}, failed refreshes on /metrics {errs:g}"
        if o == "multicluster":
            return self.check_multicluster(it)
        if o == "federate":
            return self.check_federate(it)
        raise KeyError(o)

    def check_multicluster(self, it):
        claim_ok, claim = self.config_claim(it)
        ts = {tg["scrapePool"]: tg for tg in self.targets()}
        one, two = ts.get("slurm-cluster-1"), ts.get("slurm-cluster-2")
        # every Slurm series (not the exporter's own) carries the cluster label (docs/metrics.md)
        slurm = '__name__=~"slurm_.*", __name__!~"slurm_exporter_.*"'
        st, _t, other, _e = self.q('count({job="slurm-cluster-1", %s, cluster!="%s"})' % (slurm, self.cluster))
        st, _t, n, _e = self.q('count({job="slurm-cluster-1", %s})' % slurm)
        a = controllers_up(self, Snap(self), it, None)
        st, _t, r, _e = self.q('slurm_controller_up{job="slurm-cluster-1"}')
        b = controllers_up(self, Snap(self), it, None)
        got = {(x["metric"].get("controller"),): float(x["value"][1]) for x in r}
        ok = (claim_ok and one and one["health"] == "up" and not other and n and float(n[0]["value"][1]) > 0
              and two and two["health"] == "down" and "400" in (two.get("lastError") or "") and a == b and got == a)
        return (ok if ok or a != b else False,
                f"cluster-1 {one and one['health']}, series {n and n[0]['value'][1]}, without cluster={self.cluster}: "
                f"{other and other[0]['value'][1]}; slurm_controller_up {got} vs scontrol ping {a}; cluster-2 "
                f"{two and (two['health'], two.get('lastError'))}; as written: {claim}")

    def check_federate(self, it):
        st, _, body = self.sexp.http(self.prom_url + "/federate?" + urllib.parse.urlencode({"match[]": it.args["match"]}),
                                     timeout=20)
        lines = [l for l in body.decode().splitlines() if l and not l.startswith("#")]
        st2, _t, r, _e = self.q('sum(scrape_samples_post_metric_relabeling{job=~"slurm-.*"}) + '
                                '5 * count(up{job=~"slurm-.*"})')
        want = float(r[0]["value"][1]) if r else None
        ok = st == 200 and want is not None and len(lines) == want and want > 5
        return (ok if ok else None), f"/federate: {st}, {len(lines)} series; Prometheus holds {want}"

    # -- the rounds of a phase ----------------------------------------------------------------
    def item_query(self, it):
        q = it.promql(self.cluster)
        return self.q(q) if q else (200, None, [], "")

    def phase(self, name, items, datasets, rules, extra=None):
        """Compares the phase's items in rounds; records each item's outcome."""
        state = {}  # item -> {"tries", "last"}
        todo = []
        for it in items:
            if it.cannot:
                ok, det = self.cannot_claim(it)
                self.results[it] = ("cannot" if ok else "fail", det)
                continue
            if it.min_slurm and self.version_lt(it.min_slurm):
                ok, det = self.old_slurm_claim(it)
                self.results[it] = ("cannot" if ok else "fail", det)
                continue
            missing = [f for f in it.flags if f in self.missing_flags]
            if missing:
                self.results[it] = ("fail", f"the exporter has no flag {' '.join(missing)}")
                continue
            todo.append(it)
            state[it] = {"tries": 0, "last": "never compared"}
        deadline = time.monotonic() + PHASE_DEADLINE
        rounds = 0
        self._round = 0
        hard = deadline + 2 * PHASE_DEADLINE
        while todo and (time.monotonic() < deadline or (rounds < MIN_ROUNDS and time.monotonic() < hard)):
            rounds += 1
            self._round = rounds
            if extra:
                extra()
            t0 = time.time()
            Sa = Snap(self)
            Sa.prefetch(self.prefetch_argvs(Sa, todo))
            wa0 = {}
            for it in todo:
                if it.oracle in ORACLES:
                    try:
                        wa0[it] = ORACLES[it.oracle](self, Sa, it, None)
                    except Exception as e:  # noqa: BLE001 - reported with the item
                        wa0[it] = e
            try:
                self.wait_refresh(t0, datasets)
                e_pre = self.acct_window_end()
                self.wait_scraped(time.time(), rules)
            except self.base.Abort as e:
                self.R.note(f"documents: {name}: round {rounds}: {e}")
                continue
            answers = {it: self.item_query(it) for it in todo}
            unders = {it: self.q(it.under) for it in todo if it.under}
            # the accounting window Prometheus scraped ended between e_pre (read before the scrape)
            # and e_post (after the queries): with the test's 1 s refreshes it moves every second,
            # so the accounting items compare when no job ended in between (judge)
            e_post = self.acct_window_end()
            ok_w = e_pre is not None and e_post is not None and e_pre <= e_post
            self.acct_lo, self.acct_end = (e_pre, e_post) if ok_w else (None, None)
            Sb = Snap(self)
            Sb.prefetch(self.prefetch_argvs(Sb, todo))
            still = []
            for it in todo:
                verdict = self.judge(it, Sa, Sb, answers[it], unders.get(it), wa0.get(it))
                if verdict is None:
                    still.append(it)
                    continue
                ok, det, settled = verdict
                state[it]["last"] = det
                if ok:
                    self.results[it] = ("ok", det)
                elif det.startswith("no data"):
                    first = state[it].setdefault("nodata", time.monotonic())
                    if time.monotonic() - first > NODATA_WAIT:
                        self.results[it] = ("fail", det)
                    else:
                        still.append(it)
                elif settled:
                    state[it]["tries"] += 1
                    if state[it]["tries"] >= 3:
                        self.results[it] = ("fail", det)
                    else:
                        still.append(it)
                else:
                    still.append(it)
            todo = still
        for it in todo:
            if state[it]["last"] == "never compared" and it in self._special_last:
                state[it]["last"] = f"never comparable, last: {self._special_last[it]}"
            self.results[it] = ("fail", f"{state[it]['last']} (after {rounds} rounds, "
                                        f"{time.monotonic() - deadline + PHASE_DEADLINE:.0f}s)")
        self.R.note(f"documents: {name}: {rounds} rounds, {time.monotonic() - deadline + PHASE_DEADLINE:.0f}s")

    def acct_window_end(self):
        return self.exp.metrics().value("slurm_accounting_window_end_timestamp_seconds", cluster=self.cluster)

    def prefetch_argvs(self, S, items):
        argvs = []
        for it in items:
            if it.oracle in ("cmd_lines", "cmd_D", "sacct_lines"):
                parts = None
                if it.key == ("partition",) or it.args.get("sum_partitions"):
                    parts = it.args.get("partitions") or S.partitions()
                for p in (parts or [None]):
                    if it.oracle == "cmd_lines":
                        argvs.append([p if a == "{P}" else a for a in it.args["argv"]])
                    elif it.oracle == "cmd_D" and "sum" in it.args:
                        argvs += [_D_argv(s, p) for s in it.args["sum"]]
                    elif it.oracle == "cmd_D":
                        argvs.append([p if a == "{P}" else a for a in it.args["argv"]])
                    else:
                        argvs.append(S.sacct_argv(it.args["state"], p))
        return argvs

    def judge(self, it, Sa, Sb, ans, under, wa0):
        """(ok, detail, settled) or None (not comparable this round)."""
        st, rtype, res, err = ans
        if it.kind != "config" and st != 200:
            return False, f"Prometheus answered {st}: {err}", True
        claim_ok, claim = (True, "")
        if it.kind == "config" and it.oracle in ORACLES:
            claim_ok, claim = self.config_claim(it)
            claim = f"; as written: {claim}"
        elif it.run and it.kind != "config":
            claim_ok, claim = self.written_claim(it)
            claim = f"; as written: {claim}"
        if it.oracle not in ORACLES:
            r = self.special(it, res)
            if r is None or r[0] is None:  # (None, detail): not comparable this round
                if r is not None:
                    self._special_last[it] = r[1]
                return None
            ok, det = r
            return ok and claim_ok, det + claim, not det.startswith("no data")
        if isinstance(wa0, Exception):
            return False, f"Slurm's answer failed: {wa0}", True
        if (it.oracle or "").startswith("acct_"):
            if self.acct_end is None:
                return None
            if any(j["end"] is not None and self.acct_lo < j["end"] <= self.acct_end for j in Sb.acct() or []):
                return None  # a job ended where the scraped window's end may lie
        got, other, labelsets = self.keyed(it, res)
        if it.under:
            ust, _ut, ures, uerr = under
            if ust != 200:
                return False, f"Prometheus answered {ust} to {it.under}: {uerr}", True
            if it.kind == "config":
                res = ures
            data = [r for r in res if r["metric"].get("job", it.job) == it.job]
            vals = [float((r.get("value") or r["values"][-1])[1]) for r in data]
            got, other, labelsets = self.keyed(it, ures)
            if not data or not got:
                return False, f"no data: the query {len(data)} series, {it.under} {len(got)} series{claim}", False
            if any(math.isinf(v) for v in vals):
                return False, f"the query returned {vals[:5]}", True
        if not got:
            if it.absent_ok:
                return claim_ok, "no series, as expected" + claim, True
            why = f" (other jobs' series: {sorted(set(other))})" if other else ""
            try:
                why += f"; Slurm: {self.fmt(ORACLES[it.oracle](self, Sa, it, []))}"
            except Exception as e:  # noqa: BLE001
                why += f"; Slurm's answer failed: {e}"
            return False, f"no data{why}{claim}", False
        try:
            wa = ORACLES[it.oracle](self, Sa, it, labelsets)
            wb = ORACLES[it.oracle](self, Sb, it, labelsets)
        except Exception as e:  # noqa: BLE001
            return False, f"Slurm's answer failed: {type(e).__name__}: {e}", True
        if it.oracle in BRACKET:
            probs = self.differ(got, wa, it.tol, BRACKET[it.oracle], wb)
            det = f"{self.fmt(got)} vs {self.fmt(wa)}..{self.fmt(wb)}"
            return not probs and claim_ok, (det if not probs else f"{'; '.join(probs[:6])}") + claim, True
        if wa != wb:
            return None
        probs = self.differ(got, wa, it.tol)
        if other:
            claim += f"; other jobs' series left out: {sorted(set(other))}"
        if probs:
            return False, f"{'; '.join(probs[:6])} (Slurm {self.fmt(wa)}){claim}", True
        return claim_ok, f"{self.fmt(got)}{claim}", True

    @staticmethod
    def fmt(d):
        items = sorted(d.items(), key=str)
        s = ", ".join(f"{'/'.join(str(x) if not isinstance(x, tuple) else '='.join(x) for x in k) or 'value'}"
                      f" {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in items[:8])
        return "{" + s + (", ..." if len(items) > 8 else "") + "}"

    def version_lt(self, want):
        def t(v):
            return tuple(int(x) for x in re.findall(r"\d+", v)[:3])
        return self.slurm_version is not None and t(self.slurm_version) < t(want)

    def old_slurm_claim(self, it):
        """A name that needs a newer Slurm: sacctmgr has no ping, and the exporter serves no series."""
        S = Snap(self)
        rc, msg, v = S.dbd_ping()
        st, _t, res, _e = self.item_query(it)
        got, _o, _l = self.keyed(it, res)
        name = it.text.strip()
        served = self.exp.metrics().get(name)
        return (rc != 0 and v is None and not got and not served,
                f"Slurm {self.slurm_version}: `sacctmgr ping` rc {rc} ({msg[:120]}); {len(got)} series in "
                f"Prometheus, {len(served)} on /metrics")

    # -- the trace rivosinc's names need ----------------------------------------------------
    def post_trace(self):
        rows = [l.split() for l in self.ctx.run(["squeue", "-h", "-t", "R", "-o", "%i %u", "--sort=i"],
                                                 check=False).stdout.splitlines()]
        rows = [r for r in rows if len(r) == 2 and r[0].isdigit()]
        if not rows:
            self.trace_body = None
            return
        out = rows[0]
        if not self.trace_body or str(self.trace_body["job_id"]) != out[0]:
            self.trace_body = {"job_id": int(out[0]), "pid": 4242, "cpus": 150.0, "threads": 3,
                               "mem": 209715200, "read_bytes": 10, "write_bytes": 20, "username": out[1],
                               "hostname": "cn001"}
        st = self.sexp.http(self.exp.url + "/trace", method="POST", data=json.dumps(self.trace_body).encode(),
                            headers={"Content-Type": "application/json"})[0]
        if st != 200:
            self.R.note(f"documents: the trace post answered {st}")

    # -- the sites -------------------------------------------------------------------------
    def job_yaml(self, name, path, extra=""):
        return {"name": name, "yaml": f"""  - job_name: '{name}'
    metrics_path: {path}
    static_configs:
      - targets: ['127.0.0.1:{self.exp.port}']
{extra}"""}

    def rule_file(self, name, groups_yaml):
        path = os.path.join(self.pdir, name)
        with open(path, "w") as f:
            f.write(groups_yaml)
        p = subprocess.run([self.run_.promtool_bin, "check", "rules", path], capture_output=True, text=True,
                           timeout=60)
        return path, p

    def check_rules_loaded(self, doc, path, promtool, names):
        def loaded():
            groups = self.api("/api/v1/rules")["groups"]
            have = {r["name"]: r.get("health") for g in groups if g["file"] == path for r in g["rules"]}
            return (set(have) == set(names) and all(h == "ok" for h in have.values())) and have
        try:
            self.ctx.wait_until(f"Prometheus to load {path}", loaded, 30, 0.25)
            ok = True
        except self.base.Abort:
            ok = False
        groups = self.api("/api/v1/rules")["groups"]
        have = {r["name"]: (r.get("health"), r.get("lastError")) for g in groups if g["file"] == path
                for r in g["rules"]}
        self.R.check(f"documents: {doc}: the rule file loads ({len(names)} rules, promtool check rules and "
                     "Prometheus's rules API)", ok and promtool.returncode == 0,
                     f"promtool rc {promtool.returncode}: {(promtool.stdout + promtool.stderr).strip()[-400:]}; "
                     f"Prometheus has {have}")

    # -- the goldentooth role's alerts --------------------------------------------------------
    def alert_states(self):
        """{alert name: [(state, value)]} of the goldentooth rule group."""
        out = {}
        for g in self.api("/api/v1/rules")["groups"]:
            for r in g["rules"]:
                if r.get("type") == "alerting":
                    out[r["name"]] = [(a["state"], float(a["value"])) for a in r.get("alerts", [])
                                      if a["labels"].get("job", "slurm") == "slurm"]
        return out

    def alert_round(self, alerts, what):
        """Slurm's values before and after one scrape + evaluation; each alert fires exactly when its
        expression's value passes its threshold, with that value. {alert item: (ok, detail)} or None."""
        t0 = time.time()
        Sa = Snap(self)
        wa = {it: ORACLES[it.oracle](self, Sa, it, None)[()] for it in alerts}
        self.wait_refresh(t0, ("jobs", "nodes"))
        self.wait_scraped(time.time(), True)
        states = self.alert_states()
        Sb = Snap(self)
        wb = {it: ORACLES[it.oracle](self, Sb, it, None)[()] for it in alerts}
        if wa != wb:
            return None
        out = {}
        for it in alerts:
            v = wa[it]
            op, thr = it.alert
            fire = v > thr if op == ">" else v < thr
            got = states.get(it.rule, [])
            if fire:
                ok = len(got) == 1 and got[0][0] == "firing" and abs(got[0][1] - v) <= 1e-9 * max(1, abs(v))
            else:
                ok = not got
            out[it] = (ok, f"{what}: Slurm {v:g} ({'fires' if fire else 'silent'}), Prometheus {got or 'no alert'}")
        return out

    def alerts_stage(self, alerts):
        """The alerts as the workload left things, in a situation where each flips, and restored."""
        log = {it: [] for it in alerts}
        seen = {it: set() for it in alerts}

        def settle(what):
            deadline = time.monotonic() + SETTLE_DEADLINE
            last = None
            while time.monotonic() < deadline:
                r = self.alert_round(alerts, what)
                if r is None:
                    continue
                last = r
                if all(ok for ok, _ in r.values()):
                    break
            for it in alerts:
                ok, det = last[it] if last else (False, f"{what}: Slurm's answer never held still")
                log[it].append((ok, det))
                if ok:
                    seen[it].add("firing" if "fires" in det else "silent")
        settle("as the workload left it")
        restore = []
        try:
            self.alert_situation(restore)
            settle("situation (a held array, every node resumed and filled inside a reservation)")
        except Exception as e:  # noqa: BLE001
            for it in alerts:
                log[it].append((False, f"the situation could not be made: {type(e).__name__}: {e}"))
        finally:
            for fn in reversed(restore):
                try:
                    fn()
                except Exception as e:  # noqa: BLE001
                    self.R.note(f"documents: restoring after the alerts: {type(e).__name__}: {e}")
        settle("restored")
        for it in alerts:
            self.R.note(f"documents: {it.rule}: " + " | ".join(d for _, d in log[it]))
            ok = all(o for o, _ in log[it]) and seen[it] == {"firing", "silent"}
            self.results[it] = ("ok" if ok else "fail", " | ".join(d for _, d in log[it])
                                + ("" if seen[it] == {"firing", "silent"} else f"; states seen: {sorted(seen[it])}"))

    def alert_situation(self, restore):
        """More than 50 pending jobs, no node down, more than 90 % of the CPUs allocated."""
        run = self.ctx.run
        # a reservation on every node keeps the workload's pending jobs where they are; counted
        # after it (a job that started between the count and the reservation left the count one
        # short: 50, not 52, on 24.11), with a margin of four
        run(["scontrol", "create", "reservation", "reservationname=docs_fill", "starttime=now", "duration=30:00",
             "nodes=ALL", "users=root", "flags=ignore_jobs,overlap"])
        self.reservations_made.append("docs_fill")
        restore.append(lambda: run(["scontrol", "delete", "reservationname=docs_fill"], check=False))
        pend = Snap(self).lines(["squeue", "-h", "-a", "-r", "-t", "PENDING"])
        extra = max(1, 55 - pend)
        jobdir = os.path.join(self.ctx.workdir, "cluster", "jobs")
        common = ["sbatch", "--parsable", f"--chdir={jobdir}", "--output=/dev/null", "--error=/dev/null",
                  "--account=physics"]
        arr = run(common + ["-p", "debug", "-t", "10", "--hold", f"--array=0-{extra - 1}", "--job-name=docs-pending",
                            "--wrap", "sleep 600"]).stdout.strip().split(";")[0]
        self.jobs_made.append(arr)
        restore.append(lambda: run(["scancel", arr], check=False))
        nodes = {}
        for line in run(["scontrol", "-o", "show", "nodes"]).stdout.splitlines():
            kv = dict(f.split("=", 1) for f in line.split() if "=" in f)
            nodes[kv["NodeName"]] = (kv.get("State", ""), (re.search(r" Reason=(.*?)(?: \[|$)", line) or [None, ""])[1])
        for n, (st, reason) in sorted(nodes.items()):
            base = st.split("+")[0].rstrip("*~#%!$@^-")
            if base == "DOWN" or "DRAIN" in st:
                state = "down" if base == "DOWN" else "drain"
                run(["scontrol", "update", f"nodename={n}", "state=resume"])
                restore.append(lambda n=n, state=state, reason=reason: run(
                    ["scontrol", "update", f"nodename={n}", f"state={state}", f"reason={reason or 'restored'}"]))

        def fill():
            jobs = []
            for line in run(["scontrol", "-o", "show", "nodes"]).stdout.splitlines():
                kv = dict(f.split("=", 1) for f in line.split() if "=" in f)
                if "NOT_RESPONDING" in kv.get("State", "") or "*" in kv.get("State", ""):
                    return None
                free = int(kv.get("CPUEfctv", kv["CPUTot"])) - int(kv.get("CPUAlloc", 0))
                parts = [p for p in kv.get("Partitions", "").split(",") if p and p != "maint"]
                if free > 0 and parts:
                    jobs.append((kv["NodeName"], parts[0], free))
            return jobs or [("", "", 0)]
        todo = self.ctx.wait_until("every resumed node to answer", fill, 60, 0.5)
        made = []
        for node, part, free in todo:
            if not node:
                continue
            j = run(common + ["-p", part, "--reservation=docs_fill", "-w", node, "-N1", "-n1", f"-c{free}",
                              "--mem=1", "-t", "10", "--job-name=docs-fill", "--wrap", "sleep 600"]).stdout
            made.append(j.strip().split(";")[0])
        self.jobs_made += made
        if made:
            restore.append(lambda: run(["scancel"] + made, check=False))

        def running():
            out = run(["squeue", "-h", "-j", ",".join(made), "-o", "%T"], check=False).stdout.split()
            return len(out) == len(made) and all(s == "RUNNING" for s in out)
        if made:
            self.ctx.wait_until("the fill jobs to run", running, 90, 0.5)

    # -- the whole test ---------------------------------------------------------------------
    def setup_cluster(self):
        """Partitions hpc and htc with a running job each (Azure's queries and its own verification);
        a reservation (the guide's slurm_reservation_cpus)."""
        run = self.ctx.run
        # on the nodes the workload's jobs run on (cn001, cn002): the goldentooth write-up's idle
        # names need an idle node, and the workload leaves cn005 idle
        nodes = "cn001,cn002"
        for p in ("hpc", "htc"):
            run(["scontrol", "create", f"partitionname={p}", f"nodes={nodes}", "maxtime=INFINITE", "state=up"])
            self.partitions_made.append(p)
        jobdir = os.path.join(self.ctx.workdir, "cluster", "jobs")
        made = []
        for p in ("hpc", "htc"):
            out = run(["sbatch", "--parsable", f"--chdir={jobdir}", "--output=/dev/null", "--error=/dev/null",
                       "--account=physics", "-p", p, "-w", "cn001", "-n", "1", "-t", "30", "--nice=-100000",
                       "--job-name=docs-" + p, "--wrap", "sleep 900"]).stdout.strip().split(";")[0]
            made.append(out)
        self.jobs_made += made
        run(["scontrol", "create", "reservation", "reservationname=docs_later", "starttime=now+1day",
             "duration=1:00:00", "nodes=cn002", "users=root", "flags=ignore_jobs,overlap"])
        self.reservations_made.append("docs_later")

        def running():
            out = run(["squeue", "-h", "-j", ",".join(made), "-o", "%T"], check=False).stdout.split()
            return len(out) == 2 and all(s == "RUNNING" for s in out)
        try:
            self.ctx.wait_until("the hpc and htc jobs to run", running, 60, 0.5)
        except self.base.Abort as e:
            self.R.note(f"documents: {e}")

    def teardown_cluster(self):
        run = self.ctx.run
        if self.jobs_made:
            run(["scancel"] + self.jobs_made, check=False)
        for r in self.reservations_made:
            run(["scontrol", "delete", f"reservationname={r}"], check=False)
        for p in self.partitions_made:
            def gone(p=p):
                return not run(["squeue", "-h", "-p", p, "-o", "%i"], check=False).stdout.strip()
            try:
                self.ctx.wait_until(f"partition {p} to be empty", gone, 30, 0.5)
            except self.base.Abort:
                pass
            run(["scontrol", "delete", f"partitionname={p}"], check=False)

    def exporter_flags(self, items):
        compat = []
        flags = []
        for it in items:
            if it.compat and it.compat not in compat:
                compat.append(it.compat)
            for f in it.flags:
                if f not in flags:
                    flags.append(f)
        helptext = subprocess.run([self.ctx.exporter_bin, "--help"], capture_output=True, text=True,
                                  timeout=30).stdout
        use = [f"--compat={','.join(compat)}", f"--slurm.clusters={self.cluster}", "--accounting.since=2h"]
        for f in flags:
            if re.search(r"(?<![\w.-])" + re.escape(f.split("=")[0]) + r"(?![\w.-])", helptext):
                use.append(f)
            else:
                self.missing_flags.add(f)
        return use

    def run(self):
        R = self.R
        p = self.ctx.run(["scontrol", "show", "config"])
        m = re.search(r"^ClusterName\s*=\s*(\S+)", p.stdout, re.M)
        v = re.search(r"^SLURM_VERSION\s*=\s*(\S+)", p.stdout, re.M)
        self.cluster = m.group(1)
        self.slurm_version = v.group(1) if v else None
        unknown = sorted({it.oracle for it in INV.ITEMS if it.oracle and it.oracle not in ORACLES}
                         - {"has_data", "target_up", "plausible_seconds", "build_time", "absent_while_healthy",
                            "self_duration", "self_errors", "in_flight", "requests_total", "self_collect_errors",
                            "multicluster", "federate"})
        if not R.check("documents: every oracle the inventory names exists", not unknown, unknown):
            return
        self.setup_cluster()
        flags = self.exporter_flags(INV.ITEMS)
        self.exp = self.ctx.start_exporter("exporter-documents", flags)
        self.exp_started = self.read_proc()["start"]
        R.note(f"documents: exporter flags {' '.join(flags)}; missing here: {sorted(self.missing_flags) or 'none'}")
        m = self.exp.metrics()
        self.acct_since = m.value("slurm_accounting_counting_since_timestamp_seconds", cluster=self.cluster)
        self.start_prometheus()
        try:
            self.phases()
        finally:
            self.stop_prometheus()
            self.teardown_cluster()
        self.report()

    def items(self, docs, jobs):
        return [it for it in INV.ITEMS if it.doc in docs and it.job in jobs]

    def phases(self):
        """The five phases; one that fails fails its items that have no outcome yet, the next runs."""
        for name, docs, fn in (
                ("rivosinc README and goldentooth write-up", ("rivosinc README", "goldentooth write-up"),
                 self.phase_rivosinc),
                ("goldentooth role", ("goldentooth role",), self.phase_goldentooth),
                ("Azure azslurm-exporter", ("Azure azslurm-exporter",), self.phase_azure),
                ("jontk integration guide", ("jontk integration guide",), self.phase_jontk),
                ("jontk integration guide: scrape configurations", ("jontk integration guide",),
                 self.phase_configs)):
            try:
                fn(name)
            except Exception as e:  # noqa: BLE001 - its items fail, the other phases run
                import traceback
                traceback.print_exc()
                self.R.note(f"documents: phase {name} failed: {type(e).__name__}: {e}")
                self.phase_error[docs] = f"phase {name} failed: {type(e).__name__}: {e}"

    CORE = ("jobs", "nodes", "partitions")

    def phase_rivosinc(self, name):
        """rivosinc README and the goldentooth write-up (whose exporter was rivosinc 1.6.10)."""
        sd = os.path.join(self.pdir, "slurm_targets.yaml")
        with open(sd, "w") as f:
            f.write(f"""- targets:
  - "127.0.0.1:{self.exp.port}"
  labels:
    job: 'slurm'
    instance: '{self.host}'
    cluster: '{self.cluster}'
    role: 'slurm-controller'
""")
        jobs = [self.job_yaml("slurm-prod-scraper", "/metrics"),
                {"name": "slurm", "yaml": f"""  - job_name: 'slurm'
    file_sd_configs:
      - files:
          - "{sd}"
    relabel_configs:
      - source_labels: [instance]
        target_label: instance
        regex: '([^:]+):\\d+'
        replacement: '${{1}}'
"""},
                self.job_yaml("slurm-goldentooth", "/metrics/goldentooth")]
        self.reload(name, jobs, [])
        restore = []
        try:
            self.make_idle_node(restore)
            items = self.items(("rivosinc README", "goldentooth write-up"), [j["name"] for j in jobs])
            self.phase(name, items, self.CORE + ("trace",), False, extra=self.post_trace)
        finally:
            for fn in reversed(restore):
                try:
                    fn()
                except Exception as e:  # noqa: BLE001 - the next one is still set back
                    self.R.note(f"documents: setting back after the write-up: {type(e).__name__}: {e}")

    def make_idle_node(self, restore):
        """The goldentooth write-up shows `{state="idle"}` series: when no node is idle, a node the
        workload set down or drained is resumed for the phase and set back afterwards (an active
        reservation holding it, such as another module's, lets go of it meanwhile: a reserved idle
        node is `reserved`, not `idle`). No pending job of the workload can start on it."""
        S = Snap(self)
        states = {n["name"]: _node_state(self, n) for n in S.nodes()}
        self.R.note("documents: nodes: " + " ".join(f"{n}={s}" for n, s in sorted(states.items())))
        if "idle" in states.values():
            return
        run = self.ctx.run
        holders = {}  # node -> [(reservation, its node list)]
        for r, kv in S.reservations().items():
            if kv.get("State") == "ACTIVE" and kv.get("Nodes") not in (None, "", "(null)"):
                names = run(["scontrol", "show", "hostnames", kv["Nodes"]], check=False).stdout.split()
                for n in names:
                    holders.setdefault(n, []).append((r, names))
        for line in run(["scontrol", "-o", "show", "nodes"]).stdout.splitlines():
            kv = dict(f.split("=", 1) for f in line.split() if "=" in f)
            n, st = kv["NodeName"], kv.get("State", "")
            if kv.get("CPUAlloc", "0") != "0" or not (st.startswith("DOWN") or "DRAIN" in st):
                continue
            if any(len(names) < 2 for _r, names in holders.get(n, [])):
                continue  # the reservation's only node
            for r, names in holders.get(n, []):
                run(["scontrol", "update", f"reservationname={r}", "nodes=" + ",".join(x for x in names if x != n)])
                restore.append(lambda r=r, names=names: run(
                    ["scontrol", "update", f"reservationname={r}", "nodes=" + ",".join(names)]))
            reason = (re.search(r" Reason=(.*?)(?: \[|$)", line) or [None, "restored"])[1]
            state = "down" if st.startswith("DOWN") else "drain"
            run(["scontrol", "update", f"nodename={n}", "state=resume"])
            restore.append(lambda n=n, state=state, reason=reason: run(
                ["scontrol", "update", f"nodename={n}", f"state={state}", f"reason={reason}"]))

            def idle(n=n):
                return any(x == n and s == "idle" for x, _p, s in Snap(self).sinfo_N())
            try:
                self.ctx.wait_until(f"{n} to be idle", idle, 60, 0.5)
                self.R.note(f"documents: {n} resumed for the write-up's idle series ({st}, reason {reason!r}"
                            + (f", let go by {[r for r, _ in holders[n]]}" if n in holders else "") + ")")
                return
            except self.base.Abort as e:
                self.R.note(f"documents: {e}")
        self.R.note("documents: no idle node, and none could be made idle")

    def phase_goldentooth(self, name):
        """The goldentooth role, with its alerts."""
        alerts = [it for it in INV.ITEMS if it.doc == "goldentooth role" and it.kind == "alert"]
        rules = "groups:\n  - name: goldentooth\n    rules:\n" + "".join(
            f"      - alert: {it.rule}\n        expr: {it.text}\n" for it in alerts)
        path, promtool = self.rule_file("goldentooth-alerts.yml", rules)
        self.reload(name, [self.job_yaml("slurm", "/metrics/goldentooth")], [path])
        self.check_rules_loaded("goldentooth role", path, promtool, [it.rule for it in alerts])
        items = [it for it in self.items(("goldentooth role",), ["slurm"]) if it.kind != "alert"]
        self.phase(name, items, self.CORE, True)
        self.alerts_stage(alerts)

    def phase_azure(self, name):
        self.reload(name, [self.job_yaml("slurm", "/metrics/azure")], [])
        datasets = self.CORE + (("accounting",) if "--collector.accounting" not in self.missing_flags else ())
        self.phase(name, self.items(("Azure azslurm-exporter",), ["slurm"]), datasets, False)

    def phase_jontk(self, name):
        """/metrics/jontk with the guide's recording rules (their valid forms), Prometheus itself."""
        recs = [it for it in INV.ITEMS if it.doc == "jontk integration guide" and it.kind == "record"]
        agg = ("slurm:node_util", "slurm:job_states")  # the guide's second group, slurm.aggregates
        groups = {"slurm.rules": [r for r in recs if not r.rule.startswith(agg)],
                  "slurm.aggregates": [r for r in recs if r.rule.startswith(agg)]}
        text = "groups:\n"
        for g, rs in groups.items():
            text += f"  - name: {g}\n    interval: 1s\n    rules:\n"
            for r in rs:
                expr = " ".join((r.run or r.text).split())
                text += f"      - record: {r.rule}\n        expr: {json.dumps(expr)}\n"
        path, promtool = self.rule_file("jontk-recording.yml", text)
        jobs = [self.job_yaml("slurm-exporter", "/metrics/jontk", "    honor_labels: true\n"),
                {"name": "prometheus", "yaml": f"""  - job_name: 'prometheus'
    static_configs:
      - targets: ['127.0.0.1:{self.prom_port}']
"""}]
        self.reload(name, jobs, [path])
        self.check_rules_loaded("jontk integration guide", path, promtool, [r.rule for r in recs])
        datasets = self.CORE + ("reservations", "controllers") + (
            ("accounting",) if "--collector.accounting" not in self.missing_flags else ())
        self.phase(name, self.items(("jontk integration guide",), ["slurm-exporter", "prometheus"]), datasets, True)

    def phase_configs(self, name):
        """The guide's scrape configurations: params cluster, and its metric_relabel_configs."""
        relabel = next(it for it in INV.ITEMS if it.job == "slurm-exporter-relabel")
        mr = relabel.yaml.split("metric_relabel_configs:", 1)[1]
        jobs = [self.job_yaml("slurm-cluster-1", "/metrics", f"    params:\n      cluster: ['{self.cluster}']\n"),
                self.job_yaml("slurm-cluster-2", "/metrics", "    params:\n      cluster: ['cluster2']\n"),
                self.job_yaml("slurm-exporter-relabel", "/metrics/jontk", "    metric_relabel_configs:" + mr)]
        self.reload(name, jobs, [])
        self.phase(name, self.items(("jontk integration guide",), ["slurm-cluster-1", "slurm-exporter-relabel"]),
                   self.CORE + ("controllers",), False)

    def report(self):
        R = self.R
        n_ok = n_cannot = n_all = 0
        cannot, uncounted, per_doc = [], [], []
        for doc, _ in INV.DOCS:
            d_ok = d_cannot = d_all = 0
            for it in INV.ITEMS:
                if it.doc != doc:
                    continue
                err = next((e for d, e in self.phase_error.items() if doc in d), "not run")
                state, det = self.results.get(it, ("fail", err))
                name = f"documents: {doc}: {it.label}"
                if len(name) > 200:
                    name = name[:197] + "..."
                counted = " (not counted)" if not it.counted else ""
                if state == "ok":
                    R.ok(name + counted)
                elif state == "cannot":
                    R.ok(f"{name}: cannot work, as claimed: {it.cannot or det}{counted}")
                    (cannot if it.counted else uncounted).append(f"{doc}: {it.label}")
                else:
                    R.fail(name + counted, det)
                if it.counted:
                    d_all += 1
                    d_ok += state == "ok"
                    d_cannot += state == "cannot"
            per_doc.append(f"{doc} {d_ok}/{d_all} ({d_cannot} cannot work)")
            n_ok, n_cannot, n_all = n_ok + d_ok, n_cannot + d_cannot, n_all + d_all
        R.note("documents: per document: " + "; ".join(per_doc))
        if uncounted:
            R.note("documents: not counted (about Prometheus itself), cannot work: " + "; ".join(uncounted))
        R.note(f"documents: {n_ok} of {n_all} items with data and the right value; {n_cannot} cannot work "
               f"(listed in docs/switching.md): {'; '.join(cannot)}")


def check(ctx):
    Documents(ctx).run()
