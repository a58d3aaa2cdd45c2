# SPDX-License-Identifier: Apache-2.0
"""--compat=azure: every current-state name of Azure CycleCloud's exporter on /metrics/azure
equals what the command Azure ran for it prints on the real cluster (docs/metrics.md, "azure":
`squeue [-p P] [-t STATE] -h` line counts, `sinfo [-p P] -t STATE -h -o %D`, `sinfo [-p P] -N -h`
line counts, drain + draining + drained); /metrics/azure has one label schema per family,
/metrics has none of its names with its label schema, and promtool reads /metrics/azure.

Each command's answer is taken twice, around one scrape of /metrics/azure built from a refresh
that started after the first run; a value is compared only when both runs print the same.
The queue and the nodes change while the workload runs, so each group of commands (the jobs or
the nodes, of the cluster or of one partition) is retried until every value of it has been
compared at a moment when Slurm's answer held still, or a deadline passes."""
import os
import subprocess
import time

NAME = "azure"
# The shared exporter serves /metrics/azure. (--compat is not merged when given twice: the
# last one wins. No other module puts --compat in FLAGS; 90_compat starts its own exporter.)
FLAGS = ["--compat=azure"]

DEADLINE = 300  # seconds for all the comparisons
# squeue -t STATE as Azure asked for it: metric suffix = state name given to squeue
JOB_STATES = ("running", "pending", "configuring", "completing", "suspended", "failed")
# sinfo -t NAME as Azure asked for it, and the metric suffix
NODE_STATES = (("alloc", "alloc"), ("idle", "idle"), ("mix", "mixed"), ("comp", "completing"),
               ("maint", "maint"), ("resv", "resv"), ("down", "down"), ("drain", "drain"),
               ("drng", "draining"), ("drained", "drained"), ("fail", "fail"),
               ("powered_down", "powered_down"), ("powering_up", "powering_up"))
DRAIN_PARTS = ("drain", "draining", "drained")


def lines(text):
    return sum(1 for l in text.splitlines() if l.strip())


def job_commands(part):
    """{metric name: argv} of the jobs figures (of the cluster, or of partition `part`)."""
    p = ["-p", part] if part else []
    pre = "slurm_partition_jobs" if part else "slurm_jobs"
    cmds = {pre: ["squeue", *p, "-h"]}
    for s in JOB_STATES:
        cmds[f"{pre}_{s}"] = ["squeue", *p, "-t", s, "-h"]
    return cmds


def node_commands(part):
    p = ["-p", part] if part else []
    pre = "slurm_partition_nodes" if part else "slurm_nodes"
    cmds = {pre: ["sinfo", *p, "-N", "-h"]}
    for arg, suffix in NODE_STATES:
        cmds[f"{pre}_{suffix}"] = ["sinfo", *p, "-t", arg, "-h", "-o", "%D"]
    return cmds


class Group:
    """One set of commands compared with one dataset's refresh."""

    def __init__(self, what, dataset, part, cmds, drain_total):
        self.what, self.dataset, self.part = what, dataset, part
        self.cmds = cmds                   # {metric: argv}
        self.drain_total = drain_total     # metric name of drain + draining + drained, or None
        self.pending = set(cmds) | ({drain_total} if drain_total else set())
        self.tries = {}                    # metric -> mismatches seen at agreeing moments
        self.bad = {}                      # metric -> last mismatch text
        self.rejected = {}                 # metric -> Slurm's error (command refused)


def slurm_answer(ctx, g):
    """{metric: value} for the group's still-pending metrics, by running Azure's commands."""
    out = {}
    for m, argv in g.cmds.items():
        if m not in g.pending and not (g.drain_total in g.pending and m.rsplit("_", 1)[-1] in DRAIN_PARTS):
            continue
        if m in g.rejected:
            continue
        p = ctx.run(argv, check=False)
        if p.returncode != 0:
            g.rejected[m] = f"{' '.join(argv)}: rc {p.returncode}: {(p.stderr or p.stdout).strip()[-300:]}"
            g.pending.discard(m)
            continue
        if "-o" in argv:  # %D: one number, no line when no node is in that state
            out[m] = float(sum(int(x) for x in p.stdout.split()))
        else:
            out[m] = float(lines(p.stdout))
    if g.drain_total:
        pre = g.drain_total[: -len("_drain_total")]
        parts = [f"{pre}_{s}" for s in DRAIN_PARTS]
        if all(x in out for x in parts):
            out[g.drain_total] = sum(out[x] for x in parts)
    return out


def azure_at_refresh(ctx, dataset, t0, deadline):
    """/metrics/azure built from a refresh of `dataset` that started at or after t0.

    /metrics is read before and after /metrics/azure: the dataset's last success must be the
    same in both (no newer data reached the expositions meanwhile; /metrics/azure is rebuilt
    after /metrics from the same data) and /metrics/azure must have been built at or after it."""
    sexp = ctx.base.sexp
    Expo = ctx.base.Exposition
    exp = ctx.exporter
    while time.monotonic() < deadline:
        m1 = exp.metrics()
        st, _, body = exp.get("/metrics/azure")
        m2 = exp.metrics()
        if st == 200:
            az = Expo(body.decode())
            s = sexp.refresh_started(m1, dataset)
            at1 = m1.value("slurm_exporter_dataset_last_success_timestamp_seconds", dataset=dataset)
            at2 = m2.value("slurm_exporter_dataset_last_success_timestamp_seconds", dataset=dataset)
            built = az.value("slurm_exporter_last_collect_timestamp_seconds")
            if s is not None and s >= t0 and at1 == at2 and built is not None and built >= at1:
                return az
        time.sleep(0.2)
    return None


def one_round(ctx, g, deadline):
    t0 = time.time()
    a = slurm_answer(ctx, g)
    az = azure_at_refresh(ctx, g.dataset, t0, deadline)
    if az is None:
        return False
    b = slurm_answer(ctx, g)
    for m in sorted(g.pending):
        if m not in a or a.get(m) != b.get(m):
            continue  # Slurm's answer changed across the scrape: not this time
        got = az.value(m, partition=g.part) if g.part else az.value(m)
        if got == a[m]:
            g.pending.discard(m)
            continue
        g.tries[m] = g.tries.get(m, 0) + 1
        g.bad[m] = f"exporter {got}, Slurm {a[m]:g}"
        if g.tries[m] >= 3:  # mismatched at three moments Slurm held still: settled, wrong
            g.pending.discard(m)
    return True


def partitions(ctx):
    return sorted({l.strip().rstrip("*") for l in ctx.run(["sinfo", "-h", "-o", "%P"]).stdout.splitlines()
                   if l.strip()})


def check(ctx):
    R = ctx.R
    exp = ctx.exporter
    Expo = ctx.base.Exposition
    deadline = time.monotonic() + DEADLINE

    def azure():
        st, _, body = exp.get("/metrics/azure")
        return Expo(body.decode()) if st == 200 else None

    # the partitions: those sinfo -h -o %P lists (not the hidden ones)
    last = {}

    def same_parts():
        want = partitions(ctx)
        az = azure()
        got = sorted({l.get("partition") for l, _ in az.get("slurm_partition_jobs")}) if az else None
        gotn = sorted({l.get("partition") for l, _ in az.get("slurm_partition_nodes")}) if az else None
        last.update(want=want, got=got, gotn=gotn)
        return want and got == want and gotn == want
    try:
        ctx.wait_until("the partitions of /metrics/azure", same_parts, 60, 1)
        R.ok("azure: slurm_partition_jobs and slurm_partition_nodes have the partitions sinfo -h -o %P lists")
    except ctx.base.Abort:
        R.fail("azure: slurm_partition_jobs and slurm_partition_nodes have the partitions sinfo -h -o %P lists",
               f"sinfo {last.get('want')}, jobs {last.get('got')}, nodes {last.get('gotn')}")
    parts = last.get("want") or []

    groups = [Group("jobs", "jobs", None, job_commands(None), None),
              Group("nodes", "nodes", None, node_commands(None), "slurm_nodes_drain_total")]
    for p in parts:
        groups.append(Group(f"jobs of partition {p}", "jobs", p, job_commands(p), None))
        groups.append(Group(f"nodes of partition {p}", "nodes", p, node_commands(p),
                            "slurm_partition_nodes_drain_total"))
    rounds = 0
    while any(g.pending for g in groups) and time.monotonic() < deadline:
        for g in groups:
            if g.pending and time.monotonic() < deadline:
                one_round(ctx, g, deadline)
                rounds += 1
    for g in groups:
        where = f" (partition {g.part})" if g.part else ""
        wrong = {m: g.bad[m] for m in g.bad if m not in g.pending and g.tries.get(m, 0) >= 3}
        names = sorted(set(g.cmds) | ({g.drain_total} if g.drain_total else set()))
        R.check(f"azure: {g.what}: {len(names)} names equal Azure's commands{where}", not wrong and not g.pending,
                f"wrong {wrong}; never compared (Slurm's answer changed across every scrape for "
                f"{DEADLINE}s): {sorted(g.pending)}; {rounds} rounds")
        for m, why in sorted(g.rejected.items()):
            R.note(f"azure: {m}{where}: Slurm refused Azure's command: {why}")
        for m in sorted(g.bad):
            if m not in wrong:
                R.note(f"azure: {m}{where} differed once and then agreed: {g.bad[m]}")

    az = azure()
    if az is None:
        R.fail("azure: /metrics/azure answers 200", "")
        return
    # one label schema per family
    schemas = {}
    for n, l, _ in az.samples:
        schemas.setdefault(n, set()).add(tuple(sorted(l)))
    two = {n: sorted(s) for n, s in schemas.items() if len(s) > 1}
    R.check("azure: each /metrics/azure family has one label schema", not two, two)
    R.check("azure: /metrics/azure writes its meta families",
            az.value("slurm_exporter_collect_duration_seconds") is not None
            and az.value("slurm_exporter_last_collect_timestamp_seconds") is not None,
            sorted(schemas)[:10])
    # /metrics: the azure collector does not leak into it. Two of our own names are azure's with
    # its labels (slurm_partition_jobs_running and _pending{partition}: ours count array tasks
    # singly, docs/metrics.md); they are served without --compat=azure too, so compare with an
    # exporter without it.
    main = exp.metrics()
    plain = ctx.start_exporter("azure-plain", [])
    own = {n for n, _, _ in plain.metrics().samples}
    plain.stop()
    clash = {}
    for n, l, _ in main.samples:
        key = tuple(sorted(k for k in l if k != "cluster"))
        want = {tuple(k for k in s if k != "cluster") for s in schemas.get(n, ())}
        if key in want and n not in own:
            clash.setdefault(n, key)
    R.check("azure: nothing of the azure set on /metrics (names only azure writes, with its labels)", not clash,
            clash)

    # promtool reads it: exit 0, or lint findings (3; 1 in older promtools), never a parse error
    promtool = ctx._run.promtool_bin
    if not os.access(promtool, os.X_OK):
        R.fail("azure: promtool check metrics reads /metrics/azure", f"{promtool} not found")
        return
    p = subprocess.run([promtool, "check", "metrics"], input=az.text, capture_output=True, text=True,
                       timeout=60)
    out = (p.stdout + p.stderr).strip()
    R.check("azure: promtool check metrics reads /metrics/azure",
            p.returncode in (0, 1, 3) and "error while linting" not in out,
            f"rc {p.returncode}: {out[:800]}")
    if out:
        R.note("azure: promtool findings: " + " | ".join(out.splitlines()[:10]))
