# SPDX-License-Identifier: Apache-2.0
"""--compat=azure: every current-state name of Azure CycleCloud's exporter on /metrics/azure
equals what the command Azure ran for it prints on the real cluster (docs/metrics.md, "azure":
`squeue [-p P] [-t STATE] -h` line counts, `sinfo [-p P] -t STATE -h -o %D`, `sinfo [-p P] -N -h`
line counts, drain + draining + drained); /metrics/azure has one label schema per family,
/metrics has none of its names with its label schema, and promtool reads /metrics/azure.

The sixteen cumulative names (slurm_jobs_total_* and slurm_partition_jobs_total_*) equal the
line counts of Azure's `sacct -a [-r P] -S <reset> -E now [-s STATE] --noheader -X -n`, run here:
for the shared exporter's default "24 hours ago" (sacct refuses that text; its own form of the
same time is now-24hours), and for a second exporter with a fixed reset time (UTC; sacct is run
with TZ=UTC) that also runs the accounting collector with a state file, compared again after a
restart (its backfill of Azure's history; the collector's counters still count each job once).
Setup adds final states to the workload's completed, failed and cancelled jobs: timeout (EndTime
moved to now once running), jobs cancelled while held (never eligible), before their begin time
and while pending in two partitions, and a completed job in batch. Not produced:
out_of_memory (no cgroup memory enforcement: proctrack/linuxproc, task/none), node_fail (every
node runs other modules' jobs), preempted (no preemption configured).

Each command's answer is taken twice, around one scrape of /metrics/azure built from a refresh
that started after the first run; a value is compared only when both runs print the same.
The queue and the nodes change while the workload runs, so each group of commands (the jobs or
the nodes, of the cluster or of one partition) is retried until every value of it has been
compared at a moment when Slurm's answer held still, or a deadline passes."""
import concurrent.futures
import os
import subprocess
import time

NAME = "azure"
# The shared exporter serves /metrics/azure. (--compat is not merged when given twice: the
# last one wins. No other module puts --compat in FLAGS; 90_compat starts its own exporter.)
# Its --compat.azure.reset-time is the default, "24 hours ago".
FLAGS = ["--compat=azure"]

DEADLINE = 300  # seconds for all the comparisons of the current-state names
TOTALS_DEADLINE = 420  # seconds for the cumulative names (both exporters, the restart)
# squeue -t STATE as Azure asked for it: metric suffix = state name given to squeue
JOB_STATES = ("running", "pending", "configuring", "completing", "suspended", "failed")
# sinfo -t NAME as Azure asked for it, and the metric suffix
NODE_STATES = (("alloc", "alloc"), ("idle", "idle"), ("mix", "mixed"), ("comp", "completing"),
               ("maint", "maint"), ("resv", "resv"), ("down", "down"), ("drain", "drain"),
               ("drng", "draining"), ("drained", "drained"), ("fail", "fail"),
               ("powered_down", "powered_down"), ("powering_up", "powering_up"))
DRAIN_PARTS = ("drain", "draining", "drained")


# The cumulative families: metric suffix, the state Azure gave sacct -s (None: no -s)
TOTALS = (("completed", "COMPLETED"), ("failed", "FAILED"), ("timeout", "TIMEOUT"),
          ("node_failed", "NODE_FAIL"), ("cancelled", "CANCELLED"), ("preempted", "PREEMPTED"),
          ("out_of_memory", "OUT_OF_MEMORY"), ("submitted", None))
JOBS = {}       # setup's jobs: name -> id
SETUP_AT = {}   # "t": the time setup began (the second exporter's fixed reset time)


def _sbatch(ctx, name, *args):
    p = ctx.run(["sbatch", "--parsable", f"--chdir={ctx.workdir}", "--output=/dev/null",
                 "--error=/dev/null", "--account=physics", f"--job-name=azure-{name}", *args])
    JOBS[name] = p.stdout.strip().split(";")[0]
    return JOBS[name]


def setup(ctx):
    """Final states beyond the workload's, before the exporter starts (the timeout job ends
    during check)."""
    SETUP_AT["t"] = int(time.time())
    _sbatch(ctx, "timeout", "--partition=debug", "--time=5", "--wrap=sleep 300")
    _sbatch(ctx, "completed-batch", "--partition=batch", "--time=2", "--wrap=true")
    for name, args in (("held", ["--partition=debug", "--hold"]),
                       ("begin", ["--partition=debug", "--begin=now+1hour"]),
                       ("two-partitions", ["--partition=debug,batch", "--hold"])):
        _sbatch(ctx, f"cancel-{name}", "--time=2", *args, "--wrap=true")
        ctx.run(["scancel", JOBS[f"cancel-{name}"]])


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


def run_all(ctx, cmds, env=None):
    """{key: CompletedProcess} of the commands {key: argv}, run four at a time: a set of Azure's
    commands then takes a fraction of the time, so Slurm holds still across it more often."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futs = {key: pool.submit(ctx.run, argv, env=env or ctx.env, check=False) for key, argv in cmds.items()}
        return {key: f.result() for key, f in futs.items()}


def slurm_answer(ctx, g):
    """{metric: value} for the group's still-pending metrics, by running Azure's commands."""
    out = {}
    todo = {m: argv for m, argv in g.cmds.items()
            if (m in g.pending or (g.drain_total in g.pending and m.rsplit("_", 1)[-1] in DRAIN_PARTS))
            and m not in g.rejected}
    for m, p in run_all(ctx, todo).items():
        argv = todo[m]
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


def _started(m, dataset):
    """When the refresh behind `dataset`'s data started (its last success minus its fetch's
    duration), whatever collector reads it; None without a success."""
    at = m.value("slurm_exporter_dataset_last_success_timestamp_seconds", dataset=dataset)
    took = m.value("slurm_exporter_dataset_fetch_duration_seconds", dataset=dataset)
    return at - took if at and took is not None else None


def azure_at_refresh(ctx, dataset, t0, deadline, exp=None):
    """/metrics/azure built from refreshes of `dataset` (a name or a tuple of names) that
    started at or after t0.

    /metrics is read before and after /metrics/azure: each dataset's last success must be the
    same in both (no newer data reached the expositions meanwhile; /metrics/azure is rebuilt
    after /metrics from the same data) and /metrics/azure must have been built at or after it."""
    Expo = ctx.base.Exposition
    exp = exp or ctx.exporter
    names = (dataset,) if isinstance(dataset, str) else tuple(dataset)
    while time.monotonic() < deadline:
        m1 = exp.metrics()
        st, _, body = exp.get("/metrics/azure")
        m2 = exp.metrics()
        if st == 200:
            az = Expo(body.decode())
            built = az.value("slurm_exporter_last_collect_timestamp_seconds")
            good = built is not None
            for d in names:
                s = _started(m1, d)
                at1 = m1.value("slurm_exporter_dataset_last_success_timestamp_seconds", dataset=d)
                at2 = m2.value("slurm_exporter_dataset_last_success_timestamp_seconds", dataset=d)
                good = good and s is not None and s >= t0 and at1 == at2 and built >= at1
            if good:
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


def sacct_env(ctx):
    """sacct reads a time without a zone in the local zone; the exporter reads it as UTC."""
    return dict(ctx.env, TZ="UTC")


def total_commands(reset, parts):
    """{(metric, partition or None): argv}: Azure's sacct command for each cumulative value."""
    cmds = {}
    for p in [None, *parts]:
        pre = "slurm_partition_jobs_total" if p else "slurm_jobs_total"
        r = ["-r", p] if p else []
        for fam, state in TOTALS:
            s = ["-s", state] if state else []
            cmds[(f"{pre}_{fam}", p)] = ["sacct", "-a", *r, "-S", reset, "-E", "now", *s,
                                         "--noheader", "-X", "-n"]
    return cmds


def sacct_counts(ctx, cmds):
    """{key: count of lines, or an error text} of the sacct commands {key: argv}."""
    return {key: float(lines(p.stdout)) if p.returncode == 0 else f"rc {p.returncode}: {p.stderr.strip()[-200:]}"
            for key, p in run_all(ctx, cmds, sacct_env(ctx)).items()}


def compare_totals(ctx, what, exp, reset, parts, deadline):
    """Every cumulative value of `exp`'s /metrics/azure equals Azure's sacct command at a moment
    when two runs of the commands around one scrape (built from jobs and accounting refreshes
    that started after the first run) agree. Returns the last sacct answer."""
    R = ctx.R
    cmds = total_commands(reset, parts)
    pending, tries, bad, answer = set(cmds), {}, {}, {}
    rounds, started = 0, time.monotonic()
    while pending and time.monotonic() < deadline:
        rounds += 1
        t0 = time.time()
        a = sacct_counts(ctx, {k: cmds[k] for k in pending})
        az = azure_at_refresh(ctx, ("jobs", "accounting"), t0, deadline, exp)
        if az is None:
            break
        b = sacct_counts(ctx, {k: cmds[k] for k in pending})
        if az.value("slurm_exporter_azure_totals_ready") != 1:
            continue
        for key in sorted(pending, key=str):
            if a[key] != b[key] or isinstance(a[key], str):
                if isinstance(a[key], str):
                    bad[key], tries[key] = a[key], 3
                    pending.discard(key)
                continue  # Slurm's answer changed across the scrape: not this time
            answer[key] = a[key]
            m, part = key
            got = az.value(m, partition=part) if part else az.value(m)
            if got == a[key]:
                pending.discard(key)
                continue
            tries[key] = tries.get(key, 0) + 1
            bad[key] = f"exporter {got}, sacct {a[key]:g}"
            if tries[key] >= 3:  # mismatched at three moments Slurm held still: settled, wrong
                pending.discard(key)
    wrong = {f"{m}{{{p}}}" if p else m: bad[(m, p)] for (m, p) in bad if tries.get((m, p), 0) >= 3}
    R.note(f"azure: {what}: {rounds} rounds in {time.monotonic() - started:.1f}s")
    R.check(f"azure: {what}: the {len(cmds)} cumulative values equal Azure's sacct commands",
            not wrong and not pending,
            f"wrong {wrong}; never compared (sacct's answer changed across every scrape): "
            f"{sorted(f'{m}{{{p}}}' if p else m for m, p in pending)}; {rounds} rounds")
    for (m, p), why in sorted(bad.items(), key=str):
        if tries.get((m, p), 0) < 3:
            R.note(f"azure: {what}: {m}{{{p}}} differed once and then agreed: {why}")
    return answer


def drive_timeout(ctx, deadline):
    """Moves setup's long job's end time to now once it has run for two seconds (the fixed reset
    time below falls between its start and its end): slurmctld's time-limit check ends it
    TIMEOUT within about 30 s. Waits until sacct has it."""
    jid = JOBS.get("timeout")
    if not jid:
        return False
    moved = {}

    def step():
        if "t" not in moved:
            p = ctx.run(["squeue", "-h", "-j", jid, "-o", "%T %S"], env=dict(ctx.env, SLURM_TIME_FORMAT="%s"),
                        check=False)
            f = p.stdout.split()
            if (len(f) == 2 and f[0] == "RUNNING" and f[1].isdigit() and time.time() >= int(f[1]) + 2
                    and ctx.run(["scontrol", "update", f"jobid={jid}", "EndTime=now"], check=False).returncode == 0):
                moved["t"] = True
        p = ctx.run(["sacct", "-n", "-P", "-X", "-j", jid, "-o", "State"], check=False)
        return p.stdout.strip() == "TIMEOUT"
    try:
        return ctx.wait_until("setup's job to time out", step, max(10, deadline - time.monotonic()), 1)
    except ctx.base.Abort:
        return False


def check_totals(ctx, parts):
    R = ctx.R
    deadline = time.monotonic() + TOTALS_DEADLINE
    t = time.monotonic()
    R.check("azure: setup's job ends TIMEOUT", drive_timeout(ctx, deadline), JOBS)
    R.note(f"azure: the timeout job ended in sacct after {time.monotonic() - t:.1f}s")
    p = ctx.run(["sacct", "-a", "-S", "24 hours ago", "-E", "now", "-X", "-n"], check=False)
    R.note(f"azure: sacct -S '24 hours ago' (Azure's default as it passed it): rc {p.returncode}: "
           f"{(p.stderr or p.stdout).strip()[:120]}")
    # the shared exporter: "24 hours ago", which sacct reads as now-24hours
    got = compare_totals(ctx, "24 hours ago", ctx.exporter, "now-24hours", parts, deadline)
    present = sorted(m[len("slurm_jobs_total_"):] for (m, p), v in got.items()
                     if not p and v and not m.endswith("submitted"))
    R.note(f"azure: final states present in the window: {present}; cluster-wide counts "
           f"{ {m[len('slurm_jobs_total_'):]: v for (m, p), v in sorted(got.items(), key=str) if not p} }")
    R.check("azure: completed, failed, cancelled and timeout jobs are in the window",
            {"completed", "failed", "cancelled", "timeout"} <= set(present), present)

    # a second exporter: a fixed reset time, the accounting collector with a state file; then
    # restarted on that file. The reset time is a second after setup's timeout job started (so
    # after the workload's jobs ended): that job ended after it, but the queue cannot show that
    # (it started before), so only the accounting history read since the reset time has it
    p = ctx.run(["sacct", "-n", "-P", "-X", "-j", JOBS.get("timeout", "0"), "-o", "Start"],
                env=dict(ctx.env, SLURM_TIME_FORMAT="%s"), check=False)
    started = p.stdout.strip()
    t = int(started) + 1 if started.isdigit() else SETUP_AT["t"]
    reset = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    state = os.path.join(ctx.workdir, "azure-accounting.state")
    # a short overlap: the restarted exporter's first window starts after the jobs that ended
    # since the reset time, so only its reading of Azure's history before it (backfill) finds them
    flags = ["--collector.disable-defaults", "--compat=azure", f"--compat.azure.reset-time={reset}",
             "--collector.accounting", f"--accounting.state-file={state}", "--accounting.overlap=5s"]
    fixed = ctx.start_exporter("azure-fixed", flags)
    try:
        got2 = compare_totals(ctx, f"fixed reset time {reset}", fixed, reset, parts, deadline)
        # each window was compared with sacct's own answer for it above; that proves the reset
        # time is honoured only if the two windows' answers differ. (Which counts differ depends
        # on the jobs other modules finish meanwhile: the workload's jobs ended before the reset
        # time, other modules' may end after it, so no single count is sure to be lower.)
        R.check("azure: the fixed reset time's window is another one (its counts differ from the "
                "24-hour window's, each equal to sacct's)",
                bool(got2) and bool(got) and any(got2.get(k) != v for k, v in got.items() if not k[1]),
                {"fixed": {m: v for (m, p), v in got2.items() if not p},
                 "24 hours": {m: v for (m, p), v in got.items() if not p}})
    finally:
        fixed.stop()
    again = ctx.start_exporter("azure-fixed-restarted", flags)
    try:
        compare_totals(ctx, f"fixed reset time {reset}, restarted on its state file", again, reset, parts,
                       deadline)
        R.check("azure: restarted on the state file, the accounting collector counts each job once",
                *native_once(ctx, again, deadline))
    finally:
        again.stop()


def native_once(ctx, exp, deadline):
    """The accounting collector's counters equal sacct's finished jobs of its own window
    ([counting since, window end]) at a moment sacct holds still (as 60_accounting checks)."""
    last = None
    while time.monotonic() < deadline:
        m = exp.metrics()
        floor = m.value("slurm_accounting_counting_since_timestamp_seconds")
        end = m.value("slurm_accounting_window_end_timestamp_seconds")
        n = sum(v for _, v in m.get("slurm_accounting_jobs_total"))
        if floor is None or end is None:
            time.sleep(0.5)
            continue
        argv = ["sacct", "--allusers", "--noheader", "--parsable2", "-X",
                "--state=CA,CD,DL,F,NF,OOM,PR,TO,BF", f"--starttime=uts{int(floor)}",
                f"--endtime=uts{int(end)}", "--format=JobIDRaw,State"]
        want = lines(ctx.run(argv, check=False).stdout)
        m2 = exp.metrics()
        if m2.value("slurm_accounting_window_end_timestamp_seconds") != end:
            continue  # a refresh between: again
        last = (n, want, floor, end)
        if n == want:
            return True, last
        time.sleep(0.5)
    return False, last


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
    rounds, started = 0, time.monotonic()
    while any(g.pending for g in groups) and time.monotonic() < deadline:
        for g in groups:
            if g.pending and time.monotonic() < deadline:
                one_round(ctx, g, deadline)
                rounds += 1
    R.note(f"azure: current-state names: {rounds} rounds in {time.monotonic() - started:.1f}s")
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

    check_totals(ctx, parts)

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
