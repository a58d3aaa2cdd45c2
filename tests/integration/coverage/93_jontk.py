# SPDX-License-Identifier: Apache-2.0
"""--compat=jontk: every current-state name of jontk's Prometheus integration guide on
/metrics/jontk equals what Slurm's own commands print on the real cluster (docs/metrics.md,
"jontk"): per partition and per node `sinfo -a -N -O` (CPUs A/I/O/T, memory, allocated memory,
GRES and GRES used, long state), jobs by partition and state `squeue -a -r --states=all`, CPUs of
each reservation `scontrol show reservations`, controllers `scontrol ping`, slurmdbd `sacctmgr
ping`; the collection families count each dataset's refreshes and failures as the exporter's own
fetch counters do; /metrics and /metrics/jontk have one label schema per family, promtool reads
/metrics/jontk, and a real Prometheus scraping /metrics and /metrics/jontk (OpenMetrics) answers
the guide's queries (those that are valid PromQL as written; the documented valid forms of the
others).

Each command's answer is taken twice, around one scrape of /metrics/jontk built from a refresh
that started after the first run; a value is compared only when both runs print the same. The
queue and the nodes change while the workload runs, so each group (the nodes, the jobs, the
reservations) is retried until every value of it has been compared at a moment when Slurm's
answer held still, or a deadline passes."""
import json
import re
import subprocess
import time
import urllib.parse

NAME = "jontk"
DEADLINE = 300  # seconds for all the comparisons
RESERVATION = ("jontk_later", ["starttime=now+1day", "duration=1:00:00", "nodes=cn001",
                               "users=root", "flags=ignore_jobs,overlap"])
SINFO = ["sinfo", "-a", "-N", "-h", "-O",
         "NodeList:0|,PartitionName:0|,StateLong:0|,CPUsState:0|,Memory:0|,AllocMem:0|,Gres:0|,GresUsed:0"]
MIB = 1048576


def setup(ctx):
    # a reservation of this module's own, tomorrow, on a node (slurm_reservation_cpus has a value
    # whatever the other modules do): it takes nothing from anyone (ignore_jobs, overlap)
    ctx.run(["scontrol", "create", "reservation", f"reservationname={RESERVATION[0]}", *RESERVATION[1]],
            check=False)


def gpus(gres):
    """GPUs in a GRES string of sinfo (gpu:a100:4, gpu:a100:2(IDX:0-1), gpu:0, (null)); None
    without a gpu entry."""
    n = None
    for item in re.sub(r"\([^)]*\)", "", gres).split(","):
        parts = item.split(":")
        if parts[0] != "gpu":
            continue
        n = (n or 0) + (int(parts[-1]) if parts[-1].isdigit() else 1)
    return n


def derived(state):
    """Our derived node state for sinfo's long state (docs/metrics.md, nodes collector), or None
    for a state this mapping does not know."""
    s = state.strip().lower()
    suffix = ""
    while s and s[-1] in "*~#%!$@^-":
        suffix, s = s[-1] + suffix, s[:-1]
    if s.startswith("down"):
        return "down"
    if s in ("fail", "failing"):
        return "fail"
    if s in ("drained", "draining"):
        return s
    if "*" in suffix:
        return "not_responding"
    if s in ("error", "future", "unknown"):
        return s
    for ch, st in (("~", "powered_down"), ("#", "powering_up"), ("%", "powering_down"), ("^", "rebooting")):
        if ch in suffix:
            return st
    return {"maint": "maintenance", "reserved": "reserved", "completing": "completing", "allocated": "allocated",
            "mixed": "mixed", "planned": "planned", "idle": "idle", "blocked": "blocked"}.get(s)


def nodes_answer(ctx):
    """{series: value} of the node and partition names from one sinfo run, and the states it
    could not map (their nodes_total series are not compared)."""
    out, unknown = {}, set()
    seen = {}
    for line in ctx.run(SINFO).stdout.splitlines():
        f = [x.strip() for x in line.split("|")]
        if len(f) < 8 or not f[0]:
            continue
        node, part, state, cpus, mem, amem, gres, gused = f[:8]
        a, _i, _o, t = (int(x) for x in cpus.split("/"))
        st = derived(state)
        if st is None:
            unknown.add(state)

        def add(k, v):
            out[k] = out.get(k, 0) + v
        add(f'slurm_partition_nodes_total{{partition="{part}"}}', 1)
        add(f'slurm_partition_nodes_idle{{partition="{part}"}}', 1 if st == "idle" else 0)
        add(f'slurm_partition_cpus_allocated{{partition="{part}"}}', a)
        add(f'slurm_partition_cpus_total{{partition="{part}"}}', t)
        add(f'slurm_partition_memory_total_bytes{{partition="{part}"}}', int(mem) * MIB)
        add(f'slurm_partition_memory_allocated_bytes{{partition="{part}"}}', int(amem) * MIB)
        seen[node] = (st, a, t, gpus(gres), gpus(gused))
    for node, (st, a, t, gt, gu) in seen.items():
        out[f'slurm_node_cpus_allocated{{node="{node}"}}'] = a
        out[f'slurm_node_cpus_total{{node="{node}"}}'] = t
        if gt:
            out[f'slurm_node_gpus_total{{node="{node}"}}'] = gt
            out[f'slurm_node_gpus_allocated{{node="{node}"}}'] = gu or 0
        if st:
            k = f'slurm_nodes_total{{state="{st}"}}'
            out[k] = out.get(k, 0) + 1
    out["slurm_cluster_cpus_total"] = sum(v[2] for v in seen.values())
    return out, unknown


def jobs_answer(ctx):
    """slurm_jobs_total{partition,state} from squeue: a job listed under each partition it names."""
    out = {}
    for line in ctx.run(["squeue", "-a", "-h", "-r", "--states=all", "-o", "%P|%T"]).stdout.splitlines():
        if "|" not in line:
            continue
        p, s = line.strip().split("|", 1)
        for q in p.split(","):
            k = f'slurm_jobs_total{{partition="{q}",state="{s.lower()}"}}'
            out[k] = out.get(k, 0) + 1
    return out


def reservations_answer(ctx):
    out = {}
    for line in ctx.run(["scontrol", "-o", "show", "reservations"]).stdout.splitlines():
        m, c = re.search(r"ReservationName=(\S+)", line), re.search(r"TRES=\S*?\bcpu=(\d+)", line)
        if m and c:
            out[f'slurm_reservation_cpus{{reservation="{m.group(1)}"}}'] = int(c.group(1))
    return out


class Group:
    """One set of Slurm commands compared with one dataset's refresh: done when one scrape taken
    while Slurm's answer held still equals it in every series, wrong after three such scrapes
    that differ."""

    def __init__(self, what, dataset, families, answer):
        self.what, self.dataset, self.families, self.answer = what, dataset, families, answer
        self.equal = None    # the series compared, once all equal
        self.diffs = []      # {series: (exporter, Slurm)} of each still moment that differed

    def finished(self):
        return self.equal is not None or len(self.diffs) >= 3


def flat(expo):
    """{'name{labels}': value} of a base.Exposition, labels in their written order."""
    return {n + ("{" + ",".join(f'{k}="{v}"' for k, v in l.items()) + "}" if l else ""): v
            for n, l, v in expo.samples}


def jontk_at_refresh(ctx, exp, dataset, t0, deadline):
    """/metrics/jontk built from a refresh of `dataset` that started at or after t0: /metrics is
    read before and after it, the dataset's last success is the same in both (no newer data
    reached the expositions meanwhile; both are built from the same data) and started after t0."""
    sexp = ctx.base.sexp
    while time.monotonic() < deadline:
        m1 = exp.metrics()
        st, _, body = exp.get("/metrics/jontk")
        m2 = exp.metrics()
        s = sexp.refresh_started(m1, dataset)
        at1 = m1.value("slurm_exporter_dataset_last_success_timestamp_seconds", dataset=dataset)
        at2 = m2.value("slurm_exporter_dataset_last_success_timestamp_seconds", dataset=dataset)
        if st == 200 and s is not None and s >= t0 and at1 == at2:
            return ctx.base.Exposition(body.decode())
        time.sleep(0.2)
    return None


def compare_groups(ctx, exp, groups, deadline):
    """Rounds until every group is finished or the deadline passes; returns the rounds run."""
    rounds = 0
    while not all(g.finished() for g in groups) and time.monotonic() < deadline:
        for g in groups:
            if g.finished() or time.monotonic() >= deadline:
                continue
            t0 = time.time()
            a = g.answer()
            jk = jontk_at_refresh(ctx, exp, g.dataset, t0, deadline)
            if jk is None:
                break
            b = g.answer()
            rounds += 1
            if a != b:
                continue  # Slurm's answer changed across the scrape: not this time
            got = {k: v for k, v in flat(jk).items() if k.split("{")[0] in g.families}
            keys = set(a) | set(got)  # a series Slurm has no line for is 0 (jobs of no state)
            diff = {k: (got.get(k), a.get(k, 0)) for k in keys if got.get(k) != a.get(k, 0)}
            if diff:
                g.diffs.append(diff)
            else:
                g.equal = sorted(keys)
    return rounds


def check(ctx):
    R = ctx.R
    base = ctx.base
    exp = ctx.start_exporter("exporter-jontk", ["--compat=jontk"])
    deadline = time.monotonic() + DEADLINE

    # one label schema per family on both paths, promtool reads /metrics/jontk
    bodies = {}
    for path in ("/metrics", "/metrics/jontk"):
        st, _, body = exp.get(path)
        bodies[path] = body.decode() if st == 200 else ""
        R.check(f"jontk: {path} answers 200", st == 200, st)
        expo = base.Exposition(bodies[path])
        schemas = {}
        for n, l, _ in expo.samples:  # a histogram's buckets have le beside its labels
            schemas.setdefault(expo.family_of(n), set()).add(tuple(sorted(k for k in l if k != "le")))
        two = {n: sorted(s) for n, s in schemas.items() if len(s) > 1}
        R.check(f"jontk: each {path} family has one label schema", not two, two)
        types = [l.split()[2] for l in bodies[path].splitlines() if l.startswith("# TYPE ")]
        R.check(f"jontk: no family written twice in {path}", len(types) == len(set(types)),
                sorted({t for t in types if types.count(t) > 1}))
    promtool = ctx._run.promtool_bin
    p = subprocess.run([promtool, "check", "metrics"], input=bodies["/metrics/jontk"], capture_output=True,
                       text=True, timeout=60)
    out = (p.stdout + p.stderr).strip()
    R.check("jontk: promtool check metrics reads /metrics/jontk", p.returncode in (0, 1, 3)
            and "error while linting" not in out, f"rc {p.returncode}: {out[:800]}")
    if out:
        R.note("jontk: promtool findings: " + " | ".join(out.splitlines()[:12]))

    # every current-state name against Slurm's commands
    unknown = set()

    def nodes():
        a, u = nodes_answer(ctx)
        unknown.update(u)
        if unknown:  # a state not mapped: slurm_nodes_total is not compared
            node_fams.discard("slurm_nodes_total")
            a = {k: v for k, v in a.items() if not k.startswith("slurm_nodes_total")}
        return a
    node_fams = {"slurm_partition_nodes_total", "slurm_partition_nodes_idle", "slurm_partition_cpus_allocated",
                 "slurm_partition_cpus_total", "slurm_partition_memory_total_bytes",
                 "slurm_partition_memory_allocated_bytes", "slurm_node_cpus_allocated", "slurm_node_cpus_total",
                 "slurm_node_gpus_total", "slurm_node_gpus_allocated", "slurm_nodes_total",
                 "slurm_cluster_cpus_total"}
    groups = [Group("nodes and partitions (sinfo -a -N -O)", "nodes", node_fams, nodes),
              Group("jobs by partition and state (squeue -a -r --states=all)", "jobs", {"slurm_jobs_total"},
                    lambda: jobs_answer(ctx)),
              Group("reservation CPUs (scontrol show reservations)", "reservations", {"slurm_reservation_cpus"},
                    lambda: reservations_answer(ctx))]
    rounds = compare_groups(ctx, exp, groups, deadline)
    if unknown:
        R.note(f"jontk: node states not mapped to ours: {sorted(unknown)}; slurm_nodes_total not compared")
    for g in groups:
        names = sorted({k.split("{")[0] for k in g.equal or ()})
        R.check(f"jontk: {g.what}: every series equals Slurm's at a moment it held still"
                + (f" ({len(g.equal)} series of {names})" if g.equal else ""),
                g.equal is not None and set(names) == g.families,
                f"differences (exporter, Slurm) at {len(g.diffs)} still moments, the last: "
                f"{dict(list(g.diffs[-1].items())[:8]) if g.diffs else None}; {rounds} rounds; "
                f"families {sorted(g.families - set(names))} not seen")
        if g.equal is not None and g.diffs:
            R.note(f"jontk: {g.what}: differed at {len(g.diffs)} still moments before agreeing: "
                   f"{dict(list(g.diffs[-1].items())[:4])}")
    R.check("jontk: the module's reservation is compared",
            any(RESERVATION[0] in k for k in groups[2].equal or ()), groups[2].equal)

    # controllers and slurmdbd: scontrol ping and sacctmgr ping
    expo = exp.metrics()
    want = {}
    for line in ctx.run(["scontrol", "ping"], check=False).stdout.splitlines():
        m = re.match(r"Slurmctld\((\w+)\) at (\S+) is (UP|DOWN)", line.strip())
        if m:
            want[m.group(2)] = 1 if m.group(3) == "UP" else 0
    got = {l["controller"]: v for l, v in expo.get("slurm_controller_up")}
    R.check("jontk: slurm_controller_up equals scontrol ping", want and got == want, f"exporter {got}, Slurm {want}")
    p = ctx.run(["sacctmgr", "ping"], check=False)
    dbd = [m.group(1) for m in re.finditer(r"slurmdbd\(\w+\) at \S+ is (UP|DOWN)", p.stdout)]
    up = expo.value("slurm_database_up")
    if dbd:
        R.check("jontk: slurm_database_up equals sacctmgr ping", up == (1 if "UP" in dbd else 0), f"{up} vs {dbd}")
    else:
        R.check("jontk: no slurm_database_up where sacctmgr has no ping (before Slurm 24.05.5)", up is None,
                f"{up}; sacctmgr: {(p.stdout + p.stderr).strip()[:200]}")

    # collections: _count = the dataset's refreshes, _total = its failed ones (one exposition:
    # a refresh ending between the build and the scrape makes them differ: ask again)
    last = {}

    def counted():
        m = exp.metrics()
        cnt = {l["collector"]: v for l, v in m.get("slurm_exporter_collect_duration_seconds_count")}
        err = {l["collector"]: v for l, v in m.get("slurm_exporter_collect_errors_total")}
        ok = {l["dataset"]: v for l, v in m.get("slurm_exporter_dataset_fetches_total") if l["result"] == "success"}
        bad = {l["dataset"]: v for l, v in m.get("slurm_exporter_dataset_fetches_total") if l["result"] == "error"}
        last.update(cnt=cnt, err=err, ok=ok, bad=bad)
        return cnt and set(cnt) == set(err) == set(ok) and all(cnt[d] == ok[d] + bad[d] and err[d] == bad[d]
                                                              for d in cnt)
    try:
        ctx.wait_until("collection counts equal the fetch counters in one scrape", counted, 60, 0.5)
        R.ok(f"jontk: slurm_exporter_collect_duration_seconds_count and _errors_total are each dataset's "
             f"refreshes and failed ones ({len(last['cnt'])} datasets)")
    except base.Abort:
        R.fail("jontk: slurm_exporter_collect_duration_seconds_count and _errors_total are each dataset's "
               "refreshes and failed ones", str(last))

    # the guide's queries in a real Prometheus scraping /metrics and /metrics/jontk
    run = ctx._run
    try:
        run.start_prometheus(exp, paths=("/metrics/jontk",))
        ctx.wait_until("Prometheus scrapes both paths", lambda: sorted(
            r["metric"]["job"] for r in run.promql("up == 1")) == ["slurm", "slurm-jontk"], 40, 0.5)
    except Exception as e:  # noqa: BLE001
        R.fail("jontk: Prometheus scrapes /metrics and /metrics/jontk", str(e))
        run.stop_prometheus()
        return
    st, _, body = base.http(run.prom_url + "/api/v1/targets")
    errs = [(t["labels"]["job"], t.get("lastError")) for t in json.loads(body)["data"]["activeTargets"]
            if t.get("lastError")]
    R.check("jontk: Prometheus scrapes /metrics and /metrics/jontk without error (OpenMetrics)", not errs, errs)
    has_data = [
        "sum(slurm_partition_cpus_allocated) by (cluster) / sum(slurm_partition_cpus_total) by (cluster)",
        "sum(slurm_partition_memory_allocated_bytes) by (cluster) / sum(slurm_partition_memory_total_bytes) by (cluster)",
        "sum(slurm_partition_nodes_idle) by (cluster) / sum(slurm_partition_nodes_total) by (cluster)",
        "sum(slurm_jobs_pending) by (cluster, partition)",
        "(slurm_partition_cpus_allocated / slurm_partition_cpus_total) * 100",
        "sum(slurm_nodes_total) by (cluster, state)",
        "sum(slurm_node_gpus_allocated) / sum(slurm_node_gpus_total) * 100",
        "slurm_controller_up",
        "rate(slurm_exporter_collect_duration_seconds_count[5m]) - rate(slurm_exporter_collect_errors_total[5m])",
        "sum(slurm_jobs_total) by (cluster, partition, state)",
        # the documented valid forms of two queries that do not work as the guide writes them
        "avg by (cluster, node) (avg_over_time((slurm_node_cpus_allocated / slurm_node_cpus_total)[5m:]))",
        "slurm_reservation_cpus / ignoring(reservation) group_left slurm_cluster_cpus_total * 100",
    ]
    valid = [  # valid PromQL; no data here (a day's history, a cluster label, Slurm 24.05.5+)
        "avg_over_time((slurm_partition_memory_allocated_bytes / slurm_partition_memory_total_bytes)[24h:1h]) * 100",
        'slurm_jobs_total{cluster="production", partition=~"compute|gpu"}',
        "slurm_database_up",
        "(slurm_reservation_cpus / slurm_cluster_cpus_total) * 100",
    ]
    invalid = [  # as the guide writes them: `by` after a function that is not an aggregation
        "avg_over_time((slurm_node_cpus_allocated / slurm_node_cpus_total)[5m:]) by (cluster, node)",
        "avg_over_time((slurm_partition_cpus_allocated / slurm_partition_cpus_total)[7d:1h]) by (hour(timestamp()))",
    ]
    res = {}

    def query(q):
        st, _, body = base.http(run.prom_url + "/api/v1/query?query=" + urllib.parse.quote(q))
        doc = json.loads(body)
        return st, doc.get("data", {}).get("result")

    rate = [q for q in has_data if q.startswith("rate(slurm_exporter_collect")][0]

    def rate_collectors():
        return {r["metric"]["collector"] for r in res[rate][1] or []
                if r["metric"].get("job") == "slurm-jontk" and "collector" in r["metric"]}

    def answered():
        for q in has_data + valid + invalid:
            res[q] = query(q)
        # the rate needs two scrapes of the jontk job itself (another job's series are data too)
        return (all(res[q][0] == 200 and res[q][1] for q in has_data)
                and rate_collectors() == set(last.get("cnt", {})))
    try:
        ctx.wait_until("every guide query with data answered", answered, 60, 1)
    except base.Abort:
        pass
    R.check(f"jontk: {len(has_data)} guide queries have data in Prometheus",
            all(res[q][0] == 200 and res[q][1] for q in has_data),
            [(q, res[q][0]) for q in has_data if not (res[q][0] == 200 and res[q][1])])
    R.check(f"jontk: {len(valid)} more guide queries are valid PromQL", all(res[q][0] == 200 for q in valid),
            [(q, res[q][0]) for q in valid if res[q][0] != 200])
    R.check("jontk: the guide's reservation ratio as written matches no series (labelled / unlabelled)",
            res[valid[-1]][0] == 200 and not res[valid[-1]][1], res[valid[-1]])
    R.check(f"jontk: {len(invalid)} guide queries are refused as written (documented)",
            all(res[q][0] == 400 for q in invalid), [(q, res[q][0]) for q in invalid])
    ratio = rate_collectors()
    R.check("jontk: the collection success rate has a series per dataset (labels match on both sides)",
            ratio and ratio == set(last.get("cnt", {})), f"{sorted(ratio)} vs {sorted(last.get('cnt', {}))}")
    run.stop_prometheus()
