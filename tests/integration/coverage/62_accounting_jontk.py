# SPDX-License-Identifier: Apache-2.0
"""Accounting per user (--accounting.users) and jontk's accounting names (--compat=jontk), against
sacct run by the test for the same jobs, and the guide's recording rules in a real Prometheus.

Setup submits jobs of both harness users that hold memory long enough for a MaxRSS sample
(JobAcctGatherFrequency=task=2) and burn CPU: a 2-task job and a serial one as root (accounts
physics and chemistry), a serial one as the second user (biology), a failed one and a job of no
time. The check starts its own exporter with --accounting.users --compat=jontk, waits until its
window has passed the jobs' end, and compares every per-user family and every jontk name with
what the test computes from sacct over the exporter's own window (its counting start to the
end of its last window): jobs by state, CPU time used and allocated, memory-seconds of the jobs
with a memory sample, the waste sums. Then a real Prometheus scrapes that exporter: after one
more job ends, the guide's eight rules (the four that do not parse in the valid form given in
docs/metrics.md) return data, and the four as the guide writes them are refused.
"""
import math
import time

NAME = "accounting-jontk"
STATES = "CA,CD,DL,F,NF,OOM,PR,TO,BF"
FINAL = {"COMPLETED": "completed", "FAILED": "failed", "TIMEOUT": "timeout",
         "CANCELLED": "cancelled", "OUT_OF_MEMORY": "out_of_memory", "NODE_FAIL": "node_fail",
         "PREEMPTED": "preempted", "BOOT_FAIL": "boot_fail", "DEADLINE": "deadline"}
FORMAT = ("JobIDRaw,State,Partition,Account,Submit,Eligible,Start,End,ElapsedRaw,AllocTRES,TotalCPU,"
          "MaxRSS,NTasks,User")
FLAGS_OWN = ["--collector.disable-defaults", "--collector.accounting", "--accounting.users",
             "--compat=jontk", "--accounting.since=2h", "--slurm.poll-interval.accounting=2s",
             "--accounting.settle=5s"]  # not the default minute: the waits below; 95_documents has it
# Holds ~40 MB for a few seconds (tail keeps a line without a newline whole) while a loop burns
# CPU: no interpreter needed in the chroot of a newer Slurm.
HOLD = "(head -c 40000000 /dev/zero; sleep 5) | tail >/dev/null & timeout 4 sh -c 'while :; do :; done'; wait"
JOBS = {}


def _env(ctx):
    return dict(ctx.env, SLURM_TIME_FORMAT="%s", LC_ALL="C", TZ="UTC")


def _sbatch(ctx, name, user, account, *args):
    cmd = ["sbatch", "--parsable", f"--chdir={ctx.workdir}", "--output=/dev/null", "--error=/dev/null",
           "--partition=debug", "--time=2", f"--job-name=jontk-{name}", f"--account={account}", *args]
    if user != "root":
        cmd = ctx.base.as_user(ctx.env, user, cmd)
    JOBS[name] = ctx.run(cmd).stdout.strip().split(";")[0]
    return JOBS[name]


def setup(ctx):
    u2 = ctx.base.USER2
    _sbatch(ctx, "two-tasks", "root", "physics", "-n", "2", "--mem-per-cpu=500M",
            f"--wrap=srun -n 2 sh -c \"{HOLD}\"")
    _sbatch(ctx, "serial", "root", "chemistry", "--mem=1G", f"--wrap={HOLD}")
    _sbatch(ctx, "user2", u2, "biology", "--mem=2G", f"--wrap={HOLD}")
    _sbatch(ctx, "user2-fails", u2, "biology", "--wrap=exit 1")
    _sbatch(ctx, "quick", "root", "physics", "--wrap=true")


def _cputime(s):
    """sacct's TotalCPU ([D-][HH:]MM:SS[.mmm]) in seconds."""
    if not s:
        return 0.0
    days = 0
    if "-" in s:
        d, s = s.split("-", 1)
        days = int(d)
    parts = [float(p) for p in s.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0.0)
    return days * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2]


def _tres(tres, key):
    for kv in tres.split(","):
        k, _, v = kv.partition("=")
        if k == key:
            units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
            return float(v[:-1]) * units[v[-1]] if v and v[-1] in units else float(v)
    return 0.0


def _sacct_jobs(ctx, start, end):
    """The finished allocations of [start, end] as sacct reports them, with their steps' peak."""
    p = ctx.run(["sacct", "--allusers", "--noheader", "--parsable2", "--noconvert", f"--state={STATES}",
                 f"--format={FORMAT}", f"--starttime=uts{start}", f"--endtime=uts{end}"], env=_env(ctx))
    jobs, cur = [], None
    for line in p.stdout.splitlines():
        f = line.split("|")
        if len(f) != 14:
            continue
        if "." in f[0]:
            if cur is not None and f[0].split(".")[0] == cur["id"] and f[11]:
                cur["peak"] = max(cur["peak"], float(f[11]) * (float(f[12]) if f[12] else 1))
            continue
        st = FINAL.get(f[1].split(" ")[0])
        cur = None
        if not st or not f[2]:
            continue  # not final, or slurmdbd has not completed the record yet
        cpus = _tres(f[9], "cpu")
        cur = {"id": f[0], "state": st, "part": f[2], "acct": f[3], "user": f[13],
               "ran": cpus > 0 and f[6].isdigit() and int(f[6]) <= int(f[7]),
               "start": int(f[6]) if f[6].isdigit() else 0,
               "from": int(f[5]) if f[5].isdigit() and f[6].isdigit() and int(f[5]) <= int(f[6]) else
               (int(f[4]) if f[4].isdigit() else 0),
               "el": float(f[8] or 0), "cpus": cpus, "mem": _tres(f[9], "mem"),
               "used": _cputime(f[10]), "peak": -1.0, "end": int(f[7])}
        jobs.append(cur)
    return jobs


def _expected(jobs):
    """What the exporter should serve for these jobs: per (partition, account, user) figures."""
    g = {}
    for j in jobs:
        s = g.setdefault((j["part"], j["acct"], j["user"]), {
            "jobs": {}, "cpu_used": 0.0, "cpu_alloc": 0.0, "mem_used": 0.0, "mem_alloc": 0.0,
            "unmeasured": 0, "cpu_waste": 0.0, "mem_waste": 0.0, "waits": 0, "ran": 0})
        s["jobs"][j["state"]] = s["jobs"].get(j["state"], 0) + 1
        if not j["ran"]:
            continue
        s["ran"] += 1
        alloc = j["el"] * j["cpus"]
        s["cpu_used"] += j["used"]
        s["cpu_alloc"] += alloc
        s["cpu_waste"] += max(0.0, alloc - j["used"])
        s["waits"] += 1 if 0 < j["from"] <= j["start"] else 0
        if j["peak"] >= 0 and j["mem"] > 0:
            s["mem_used"] += j["peak"] * j["el"]
            s["mem_alloc"] += j["mem"] * j["el"]
            s["mem_waste"] += max(0.0, (j["mem"] - j["peak"]) * j["el"])
        else:
            s["unmeasured"] += 1
    return g


def _close(a, b):
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _differences(expo, want):
    """Where the exporter's per-user and jontk series differ from the expected figures."""
    bad = []
    lab = lambda k: {"partition": k[0], "account": k[1], "user": k[2]}  # noqa: E731

    def cmp(what, got, exp):
        if not _close(got, exp):
            bad.append(f"{what}: exporter {got}, sacct {exp}")
    for k, s in want.items():
        for st in FINAL.values():
            cmp(f"user_jobs{k}{st}", expo.value("slurm_accounting_user_jobs_total", **lab(k), state=st),
                s["jobs"].get(st, 0))
        for fam, key in (("cpu_used_seconds", "cpu_used"), ("cpu_allocated_seconds", "cpu_alloc"),
                         ("memory_used_byte_seconds", "mem_used"),
                         ("memory_allocated_byte_seconds", "mem_alloc"),
                         ("memory_unmeasured_jobs", "unmeasured")):
            cmp(f"user_{fam}{k}", expo.value(f"slurm_accounting_user_{fam}_total", **lab(k)), s[key])
        cmp(f"jobs_completed{k}", expo.value("slurm_jobs_completed_total", **lab(k)),
            s["jobs"].get("completed", 0))
        cmp(f"jobs_failed{k}", expo.value("slurm_jobs_failed_total", **lab(k)), s["jobs"].get("failed", 0))
        cmp(f"job_cpu_hours{k}", expo.value("slurm_job_cpu_hours_total", **lab(k)), s["cpu_alloc"] / 3600)
        cmp(f"waste_cpu{k}", expo.value("slurm_job_waste_cpu_hours", **lab(k)), s["cpu_waste"] / 3600)
        cmp(f"waste_mem{k}", expo.value("slurm_job_waste_memory_gb_hours", **lab(k)), s["mem_waste"] / 1e9 / 3600)
    by_au, by_p = {}, {}
    for (p, a, u), s in want.items():
        by_au[(a, u)] = by_au.get((a, u), 0.0) + s["cpu_used"]
        pp = by_p.setdefault(p, [0.0, 0.0, 0, 0])
        pp[0] += s["cpu_used"]
        pp[1] += s["cpu_alloc"]
        pp[2] += s["waits"]
        pp[3] += s["ran"]
    for (a, u), v in by_au.items():
        cmp(f"account_cpu_hours_used({a},{u})",
            expo.value("slurm_account_cpu_hours_used_total", account=a, user=u), v / 3600)
    for p, (used, alloc, waits, ran) in by_p.items():
        if alloc > 0:
            cmp(f"cpu_efficiency({p})", expo.value("slurm_job_cpu_efficiency_ratio", partition=p), used / alloc)
        wc = expo.value("slurm_job_wait_time_seconds_count", partition=p)
        if ran:
            cmp(f"wait_count({p})", wc, waits)
        elif wc is not None:
            # no job of this partition (field) ran: no histogram, as the run-time ones (a job
            # cancelled while pending in two partitions is stored with Partition "debug,batch"
            # on Slurm 24.11 and later; it names no partition a job waited in)
            bad.append(f"wait_count({p}): exporter {wc}, but no job of it ran")
    n_user = sum(1 for _ in expo.get("slurm_accounting_user_cpu_used_seconds_total"))
    if n_user != len(want):
        bad.append(f"{n_user} per-user series, sacct has {len(want)} partition/account/user sets")
    return bad


def _final(ctx, jid):
    p = ctx.run(["sacct", "-n", "-P", "-X", "-j", jid, "-o", "State,Partition"], env=_env(ctx), check=False)
    f = p.stdout.strip().split("|")
    return len(f) == 2 and f[0].split(" ")[0] in FINAL and f[1] != ""


def _wait_read(ctx, exp, t_end):
    ctx.wait_until("the exporter's window to pass the jobs' end", lambda: (
        exp.metrics().value("slurm_accounting_window_end_timestamp_seconds") or 0) >= t_end + 1, 60)


def _compare(ctx, exp, what):
    """Compares until the exporter and sacct agree on the same window (a job that slurmdbd
    records while the two are read shows up in one only), at most 5 rounds."""
    bad, expo = ["no round"], None
    for _ in range(5):
        expo = exp.metrics()
        floor = expo.value("slurm_accounting_counting_since_timestamp_seconds")
        end = expo.value("slurm_accounting_window_end_timestamp_seconds")
        if floor is None or end is None:
            time.sleep(1)
            continue
        want = _expected(_sacct_jobs(ctx, int(floor), int(end)))
        bad = _differences(expo, want)
        if not bad:
            ctx.R.ok(f"{NAME}: {what} ({len(want)} partition/account/user sets, "
                     f"users {sorted({k[2] for k in want})})")
            return expo, want
        time.sleep(1)
    ctx.R.fail(f"{NAME}: {what}", "; ".join(bad[:6]))
    return expo, None


# The guide's rules: (name, as the guide writes it, the form Prometheus takes or None)
RULES = [
    ("user_cpu_hours_24h", "increase(slurm_account_cpu_hours_used_total[24h]) by (cluster, user, account)",
     "sum by (cluster, user, account) (increase(slurm_account_cpu_hours_used_total[24h]))"),
    ("account_job_completion_rate_1h", "rate(slurm_jobs_completed_total[1h]) by (cluster, account)",
     "sum by (cluster, account) (rate(slurm_jobs_completed_total[1h]))"),
    ("job_failure_rate_1h", "rate(slurm_jobs_failed_total[1h]) by (cluster, partition, user)",
     "sum by (cluster, partition, user) (rate(slurm_jobs_failed_total[1h]))"),
    ("job_wait_time_p95_5m",
     "histogram_quantile(0.95, rate(slurm_job_wait_time_seconds_bucket[5m])) by (cluster, partition)",
     "histogram_quantile(0.95, sum by (cluster, partition, le) (rate(slurm_job_wait_time_seconds_bucket[5m])))"),
    ("cluster_cpu_waste_rate_1h", "sum(rate(slurm_job_waste_cpu_hours[1h])) by (cluster)", None),
    ("partition_memory_waste_rate_1h", "sum(rate(slurm_job_waste_memory_gb_hours[1h])) by (cluster, partition)",
     None),
    ("partition_efficiency_ratio", "avg(slurm_job_cpu_efficiency_ratio) by (cluster, partition)", None),
    ("top_users", "topk(10, sum(slurm_job_cpu_hours_total) by (user))", None),
]


def _prometheus(ctx, exp):
    R, run = ctx.R, ctx._run
    try:
        run.start_prometheus(exp)
        ctx.wait_until("Prometheus scrapes the exporter", lambda: any(
            r["value"][1] == "1" for r in run.promql('up{job="slurm"}')), 40, 0.5)
    except Exception as e:  # noqa: BLE001
        R.fail(f"{NAME}: Prometheus scrapes the exporter", str(e))
        return
    try:
        # one more job after the first scrapes, so that the rates and increases have a rise
        before = exp.metrics().value("slurm_accounting_records_total", result="counted") or 0
        jid = _sbatch(ctx, "under-prometheus", "root", "physics", f"--wrap={HOLD}")
        ctx.wait_until("the last job to end", lambda: _final(ctx, jid), 120, 1)
        ctx.wait_until("the exporter to count it", lambda: (
            exp.metrics().value("slurm_accounting_records_total", result="counted") or 0) > before, 60, 0.5)
        time.sleep(3)  # a few scrapes of the new values (scrape interval 1 s)
        got, empty, refused = {}, [], []
        for name, guide, valid in RULES:
            res = run.promql(valid or guide)
            got[name] = len(res)
            if not res:
                empty.append(name)
            if valid:
                try:
                    run.promql(guide)
                except ValueError:
                    refused.append(name)
        R.check(f"{NAME}: the guide's eight rules return data in Prometheus (four in their valid form)",
                not empty, f"no result: {empty}; series: {got}")
        R.check(f"{NAME}: Prometheus refuses the four rules as the guide writes them (by after a function)",
                len(refused) == 4, refused)
        rate = run.promql('sum(rate(slurm_jobs_completed_total{account="physics",user="root"}[1h]))')
        R.check(f"{NAME}: the completion rate of the job that ended under Prometheus is above 0",
                rate and float(rate[0]["value"][1]) > 0, rate)
    finally:
        run.stop_prometheus()


def check(ctx):
    R = ctx.R
    ctx.wait_until("the jontk module's jobs to end in slurmdbd",
                   lambda: all(_final(ctx, j) for j in JOBS.values()), 150, 1)
    ends = [int(ctx.run(["sacct", "-n", "-P", "-X", "-j", j, "-o", "End"], env=_env(ctx)).stdout.strip())
            for j in JOBS.values()]
    exp = ctx.start_exporter("exporter-acct-jontk", FLAGS_OWN)
    _wait_read(ctx, exp, max(ends))
    expo, want = _compare(ctx, exp, "per-user families and jontk's names equal sacct's figures for the "
                                    "exporter's window")
    if want is not None:
        users = {k[2] for k in want}
        R.check(f"{NAME}: jobs of both harness users were counted, each in its own series",
                {"root", ctx.base.USER2} <= users, sorted(users))
        measured = sum(s["mem_alloc"] > 0 for s in want.values())
        R.check(f"{NAME}: memory was sampled for some of them (the comparison covers memory-seconds)",
                measured > 0, {k: s["mem_used"] for k, s in want.items()})
        R.check(f"{NAME}: no job left out of the per-user counters",
                expo.value("slurm_accounting_user_dropped_jobs_total") == 0,
                expo.value("slurm_accounting_user_dropped_jobs_total"))
        helps = [l.split()[2] for l in expo.text.splitlines() if l.startswith("# HELP ")]
        R.check(f"{NAME}: each family written once", len(helps) == len(set(helps)),
                sorted({h for h in helps if helps.count(h) > 1}))
    _prometheus(ctx, exp)
    exp.stop()
