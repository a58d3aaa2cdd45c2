# SPDX-License-Identifier: Apache-2.0
"""Accounting collector: finished jobs from slurmdbd, each counted once.

Setup submits jobs that end in every final state the shared harness can produce quickly:
completed (also 3 array tasks), failed (exit 1), cancelled (while running, and while pending),
timeout (EndTime moved to now once running; slurmctld's time-limit check fires within ~30 s)
and deadline (held past its --deadline, or from 24.11 on until it can no longer meet it, then
released). Not produced here: out_of_memory (needs
cgroup memory enforcement; the harness runs proctrack/linuxproc, task/none), node_fail (it needs
a node that can go down, and every node of the shared cluster runs other modules' jobs),
preempted (no preemption configured) and boot_fail (no power saving); the parser tests cover
their lines (tests/fixtures/edge/accounting_odd).

The checks compare the exporter's counters with sacct's own answer for the same window (the
exporter's counting start to the end of its last window), again after several overlapping
refreshes (no double counting), and across restarts of an exporter with a state file (counting
continues, the job that ended while it was down is counted once, a damaged file is ignored).
"""
import os
import time

NAME = "accounting"
# --accounting.settle: 5 s instead of the default minute (four waits below would each take a minute
# longer); 95_documents runs the default
FLAGS = ["--collector.accounting", "--accounting.since=2h", "--accounting.settle=5s"]

STATES = "CA,CD,DL,F,NF,OOM,PR,TO,BF"
FINAL = {"COMPLETED": "completed", "FAILED": "failed", "TIMEOUT": "timeout",
         "CANCELLED": "cancelled", "OUT_OF_MEMORY": "out_of_memory", "NODE_FAIL": "node_fail",
         "PREEMPTED": "preempted", "BOOT_FAIL": "boot_fail", "DEADLINE": "deadline"}
ONLY_ACCOUNTING = ["--collector.disable-defaults", "--collector.accounting", "--accounting.settle=5s"]

JOBS = {}  # name -> job id


def _env(ctx):
    return dict(ctx.env, SLURM_TIME_FORMAT="%s")


def _sbatch(ctx, name, *args):
    p = ctx.run(["sbatch", "--parsable", f"--chdir={ctx.workdir}", "--output=/dev/null",
                 "--error=/dev/null", "--partition=debug", "--time=2", f"--job-name=acct-{name}",
                 *args])
    JOBS[name] = p.stdout.strip().split(";")[0]
    return JOBS[name]


def setup(ctx):
    _sbatch(ctx, "completed", "--account=physics", "--wrap=true")
    _sbatch(ctx, "failed", "--account=chemistry", "--wrap=exit 1")
    _sbatch(ctx, "array", "--account=physics", "--array=1-3", "--wrap=true")
    # busy: its batch step reports CPU time after slurmdbd has stored the job's end (settling)
    _sbatch(ctx, "cancel-running", "--account=physics", "--wrap=while :; do :; done")
    _sbatch(ctx, "timeout", "--account=chemistry", "--wrap=sleep 300")
    _sbatch(ctx, "cancel-pending", "--account=physics", "--hold", "--wrap=true")
    ctx.run(["scancel", JOBS["cancel-pending"]])
    if ctx.base.OLD_JSON:  # 22.05
        _sbatch(ctx, "deadline", "--account=physics", "--hold", "--deadline=now+2", "--wrap=true")
    else:
        # Slurm >= 24.11 refuses a deadline before now + the time limit at submission: one
        # minute's limit, a deadline 62 s away; released (_drive_to_final) seconds later, the
        # job can no longer end in time and gets DEADLINE
        _sbatch(ctx, "deadline", "--account=physics", "--hold", "--time=1", "--deadline=now+62",
                "--wrap=true")


def _squeue_state(ctx, jid):
    p = ctx.run(["squeue", "-h", "-t", "all", "-j", jid, "-o", "%T"], check=False)
    return p.stdout.strip().splitlines()[0] if p.stdout.strip() else ""


def _sacct_state(ctx, jid):
    p = ctx.run(["sacct", "-n", "-P", "-X", "-j", jid, "-o", "State"], env=_env(ctx), check=False)
    return p.stdout.strip().split(" ")[0] if p.stdout.strip() else ""


def _drive_to_final(ctx):
    """Moves the running jobs to their final states; waits until sacct has them all."""
    done = set()

    def step():
        if "deadline" not in done:
            ctx.run(["scontrol", "release", JOBS["deadline"]], check=False)
            done.add("deadline")
        if "cancel" not in done and _squeue_state(ctx, JOBS["cancel-running"]) == "RUNNING":
            ctx.run(["scancel", JOBS["cancel-running"]])
            done.add("cancel")
        if "timeout" not in done and _squeue_state(ctx, JOBS["timeout"]) == "RUNNING":
            # Slurm refuses an end time not after the start ("Invalid time specified") when the
            # job started this very second: the next step (1 s later) tries again
            if ctx.run(["scontrol", "update", f"jobid={JOBS['timeout']}", "EndTime=now"],
                       check=False).returncode == 0:
                done.add("timeout")
        states = {n: _sacct_state(ctx, j) for n, j in JOBS.items() if n != "array"}
        return all(s in FINAL for s in states.values()) and states
    time.sleep(3)  # the deadline passes while the job is held
    return ctx.wait_until("the accounting jobs to end", step, 150, interval=1)


def _sacct_window(ctx, start, end):
    """{(partition, account, state): jobs}, allocated CPU-seconds, max end, for [start, end]."""
    p = ctx.run(["sacct", "--allusers", "--noheader", "--parsable2", "-X", f"--state={STATES}",
                 f"--starttime=uts{start}", f"--endtime=uts{end}",
                 "--format=JobIDRaw,State,Partition,Account,CPUTimeRAW,End"], env=_env(ctx))
    counts, cpu, last = {}, 0.0, 0
    for line in p.stdout.splitlines():
        f = line.split("|")
        st = FINAL.get(f[1].split(" ")[0])
        if not st:
            continue
        key = (f[2], f[3], st)
        counts[key] = counts.get(key, 0) + 1
        cpu += float(f[4] or 0)
        last = max(last, int(f[5]))
    return counts, cpu, last


def _sacct_used(ctx, start, end):
    """TotalCPU seconds of the finished jobs of [start, end]: the job lines, which sum their
    steps (with -X sacct reads no steps and prints 0)."""
    p = ctx.run(["sacct", "--allusers", "--noheader", "--parsable2", f"--state={STATES}",
                 f"--starttime=uts{start}", f"--endtime=uts{end}", "--format=JobIDRaw,State,TotalCPU"],
                env=_env(ctx))
    used = 0.0
    for line in p.stdout.splitlines():
        f = line.split("|")
        if len(f) != 3 or "." in f[0] or f[1].split(" ")[0] not in FINAL:
            continue
        t, _, frac = f[2].partition(".")
        days, _, hms = t.rpartition("-")
        parts = [float(x) for x in hms.split(":")]
        while len(parts) < 3:
            parts.insert(0, 0.0)
        used += (float(days or 0) * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2]
                 + (float("0." + frac) if frac else 0.0))
    return used


def _exporter_view(expo):
    counts = {k: v for k, v in expo.by("slurm_accounting_jobs_total",
                                       ("partition", "account", "state")).items() if v}
    cpu = sum(v for _, v in expo.get("slurm_accounting_cpu_allocated_seconds_total"))
    floor = expo.value("slurm_accounting_counting_since_timestamp_seconds")
    end = expo.value("slurm_accounting_window_end_timestamp_seconds")
    return counts, cpu, floor, end


def _compare(ctx, exp, what, attempts=5):
    """The exporter's counters equal sacct's for the exporter's own window."""
    got = want = None
    for _ in range(attempts):
        expo = exp.metrics()
        counts, cpu, floor, end = _exporter_view(expo)
        if floor is None or end is None:
            time.sleep(1)
            continue
        want, want_cpu, _ = _sacct_window(ctx, int(floor), int(end))
        want_used = _sacct_used(ctx, int(floor), int(end))
        used = sum(v for _, v in expo.get("slurm_accounting_cpu_used_seconds_total"))
        got = (counts, cpu, used)
        if counts == want and abs(cpu - want_cpu) < 1e-6 and abs(used - want_used) < 0.0015:
            return expo, counts
        want = (want, want_cpu, want_used)
        time.sleep(1)
    ctx.R.fail(f"{NAME}: {what}", f"exporter (counts, CPU allocated, TotalCPU) {got} vs sacct {want}")
    return None, None


def _wait_read(ctx, exp, t_end):
    """Waits until the exporter's window has passed t_end."""
    def read():
        v = exp.metrics().value("slurm_accounting_window_end_timestamp_seconds")
        return v is not None and v >= t_end + 1
    ctx.wait_until("the exporter's window to pass the jobs' end", read, 30)


def check(ctx):
    R = ctx.R
    states = _drive_to_final(ctx)
    R.check(f"{NAME}: the harness produced completed, failed, cancelled, timeout and deadline",
            {s.split(" ")[0] for s in states.values()} >= {"COMPLETED", "FAILED", "CANCELLED",
                                                           "TIMEOUT", "DEADLINE"}, states)
    _, _, last = _sacct_window(ctx, int(time.time()) - 7200, int(time.time()))
    exp = ctx.exporter
    _wait_read(ctx, exp, last)

    expo, counts = _compare(ctx, exp, "counts by partition, account and state equal sacct's")
    if counts is not None:
        R.ok(f"{NAME}: counts by partition, account and state, CPU time allocated and used "
             f"(TotalCPU) equal sacct's "
             f"({sum(counts.values()):g} jobs, {len(counts)} series)")
        R.check(f"{NAME}: every produced state is counted",
                {k[2] for k in counts} >= {"completed", "failed", "cancelled", "timeout", "deadline"},
                sorted({k[2] for k in counts}))
        hist = expo.value("slurm_accounting_job_run_seconds_count", partition="debug")
        R.check(f"{NAME}: run-time histogram observed the debug jobs that ran", hist and hist > 0, hist)

    # several more refreshes, each window re-reading the last 2 minutes: nothing counted twice.
    # A job that ends now is in the overlap of the refresh after the one that counts it (the
    # jobs above may have ended longer than the overlap ago on a slow machine: then no window
    # reads any of them again).
    before = exp.metrics().value("slurm_accounting_records_total", result="duplicate") or 0
    jid = _sbatch(ctx, "overlap", "--account=physics", "--wrap=true")
    ctx.wait_until("the overlap job to end", lambda: _sacct_state(ctx, jid) == "COMPLETED", 90, interval=1)
    _, _, last_o = _sacct_window(ctx, int(time.time()) - 600, int(time.time()))
    _wait_read(ctx, exp, last_o)
    try:  # an overlapping refresh has run once a record was read again (the check below says so)
        ctx.wait_until("an overlapping accounting refresh", lambda: (exp.metrics().value(
            "slurm_accounting_records_total", result="duplicate") or 0) > before, 120, 0.5)
    except ctx.base.Abort:
        pass
    _, counts2 = _compare(ctx, exp, "still equal to sacct after several overlapping refreshes")
    after = exp.metrics().value("slurm_accounting_records_total", result="duplicate") or 0
    if counts2 is not None:
        R.check(f"{NAME}: overlapping refreshes re-read jobs and did not count them again",
                after > before, f"duplicates {before} -> {after}")

    # restarts with a state file
    path = os.path.join(ctx.workdir, "accounting.state")
    a = ctx.start_exporter("acct-state-1", ONLY_ACCOUNTING + [
        f"--accounting.state-file={path}", "--accounting.since=2h"])
    _wait_read(ctx, a, last)
    expo_a, counts_a = _compare(ctx, a, "state-file exporter counts equal sacct's")
    a.stop()
    R.check(f"{NAME}: state file written", os.path.getsize(path) > 0 if os.path.exists(path) else False,
            path)
    if counts_a is None:
        return
    floor_a = expo_a.value("slurm_accounting_counting_since_timestamp_seconds")
    # a job ends while no exporter runs
    jid = _sbatch(ctx, "while-down", "--account=chemistry", "--wrap=true")
    ctx.wait_until("the job run while the exporter is down to end",
                   lambda: _sacct_state(ctx, jid) == "COMPLETED", 90, interval=1)
    _, _, last2 = _sacct_window(ctx, int(time.time()) - 600, int(time.time()))
    b = ctx.start_exporter("acct-state-2", ONLY_ACCOUNTING + [f"--accounting.state-file={path}"])
    _wait_read(ctx, b, last2)
    expo_b, counts_b = _compare(ctx, b, "after a restart with the state file counts equal sacct's")
    if counts_b is not None:
        floor_b = expo_b.value("slurm_accounting_counting_since_timestamp_seconds")
        n_a, n_b = sum(counts_a.values()), sum(counts_b.values())
        key = ("debug", "chemistry", "completed")
        R.check(f"{NAME}: a restart with the state file keeps the counting start and counts the job "
                f"that ended while it was down ({n_a:g} -> {n_b:g} jobs, equal to sacct's)",
                floor_b == floor_a and n_b >= n_a + 1 and counts_b.get(key, 0) >= counts_a.get(key, 0) + 1,
                f"floor {floor_a} -> {floor_b}, jobs {n_a} -> {n_b}")
    b.stop()

    # a damaged state file is ignored: the exporter starts and counts from its start
    with open(path, "r+b") as f:
        f.truncate(max(1, os.path.getsize(path) // 2))
    t0 = time.time()
    c = ctx.start_exporter("acct-state-bad", ONLY_ACCOUNTING + [f"--accounting.state-file={path}"])
    since = c.metrics().value("slurm_accounting_counting_since_timestamp_seconds")
    c.stop()
    with open(c.log_path, "rb") as f:
        log = f.read().decode(errors="replace")
    R.check(f"{NAME}: a damaged state file is logged and ignored (counting starts at start-up)",
            since is not None and since >= t0 - 2 and "state file ignored" in log,
            f"since {since}, t0 {t0:.0f}")
