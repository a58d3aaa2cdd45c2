# SPDX-License-Identifier: Apache-2.0
"""Limits collector: a QoS and an account with limits, jobs that hit them, and the exporter's
limit and usage series against Slurm's own answer (sacctmgr for the limits, squeue for the use,
scontrol show assoc_mgr for both); the "about to hit a limit" ratio is 1 for the limits hit.

Setup (own QoS, accounts and jobs only):
  QoS itlim: GrpTRES=cpu=4,mem=8000 GrpJobs=3; three 2-CPU jobs -> two run, one pends
             with QOSGrpCpuLimit (cpu 4 of 4, jobs 2 of 3)
  account itlima: GrpJobs=1; user root in it with MaxSubmitJobs=3; three jobs -> one runs,
             two pend with AssocGrpJobsLimit (jobs 1 of 1, submitted 3 of 3)
"""
import re
import time

NAME = "limits"
FLAGS = ["--slurm.poll-interval.limits=2s"]

QOS = "itlim"
ACCT_Q = "itlimq"  # the QoS jobs' account (no limits of its own)
ACCT_A = "itlima"  # the account with GrpJobs=1
MIB = 1048576
# our limit label -> Slurm's key, for the limits whose use does not move while jobs run
SLURM_KEYS = {"grp_jobs": "GrpJobs", "grp_submit_jobs": "GrpSubmitJobs", "grp_tres": "GrpTRES",
              "max_jobs": "MaxJobs", "max_submit_jobs": "MaxSubmitJobs"}

_jobs = []


def _sacctmgr(ctx, *args):
    return ctx.run(["sacctmgr", "-i"] + list(args), timeout=60)


def _submit(ctx, *args):
    p = ctx.run(["sbatch", "--parsable", "--output=/dev/null", "--error=/dev/null", "--time=10",
                 "--mem=100", "--wrap", "sleep 600"] + list(args))
    jid = p.stdout.strip().split(";")[0]
    _jobs.append(jid)
    return jid


def setup(ctx):
    _sacctmgr(ctx, "add", "qos", QOS, "GrpTRES=cpu=4,mem=8000", "GrpJobs=3")
    _sacctmgr(ctx, "add", "account", f"{ACCT_Q},{ACCT_A}", "Parent=root")
    _sacctmgr(ctx, "modify", "account", "where", f"name={ACCT_A}", "set", "GrpJobs=1")
    _sacctmgr(ctx, "add", "user", "root", f"Account={ACCT_Q}", f"QOS=normal,{QOS}")
    _sacctmgr(ctx, "add", "user", "root", f"Account={ACCT_A}", "MaxSubmitJobs=3")
    # slurmctld learns of the new associations from slurmdbd; wait until it accepts them
    def ready():
        p = ctx.run(["scontrol", "show", "assoc_mgr", "flags=assoc,qos", f"accounts={ACCT_A}"],
                    check=False)
        return "UserName=root(" in p.stdout and f"QOS={QOS}(" in p.stdout
    ctx.wait_until("slurmctld knows the limits' QoS and associations", ready, 30)
    for _ in range(3):
        _submit(ctx, f"--account={ACCT_Q}", f"--qos={QOS}", "--ntasks=2", "--partition=debug")
    for _ in range(3):
        _submit(ctx, f"--account={ACCT_A}", "--ntasks=1", "--partition=debug")


def _squeue(ctx):
    """[(jobid, account, qos, state, reason, cpus, user)] of this module's jobs."""
    p = ctx.run(["squeue", "-h", "-j", ",".join(_jobs), "-o", "%i|%a|%q|%T|%r|%C|%u"])
    rows = []
    for line in p.stdout.splitlines():
        f = line.split("|")
        if len(f) == 7:
            rows.append((f[0], f[1], f[2], f[3], f[4], int(f[5]), f[6]))
    return rows


def _assoc_mgr(ctx):
    """Slurm's own limit(use) pairs: {(record, key, tres): (limit or None, use)}."""
    p = ctx.run(["scontrol", "--oneliner", "show", "assoc_mgr", "flags=assoc,qos"])
    out = {}
    for line in p.stdout.splitlines():
        m = re.match(r"QOS=(\S+?)\(", line)
        if m:
            rec = ("qos", m.group(1))
        else:
            m = re.match(r"ClusterName=\S+ Account=(\S+) UserName=(\S*?)(?:\(\d+\))? Partition=(\S*)",
                         line)
            if not m:
                continue
            rec = ("assoc", m.group(1), m.group(2), m.group(3))
        top = line.split(" Account Limits=")[0]
        for key, val in re.findall(r" (\w+)=(\S*)", top):
            for item in val.split(","):
                t = re.fullmatch(r"([^=]+)=(N|\d+)\(([\d.]+)\)", item)
                if t:
                    out[(rec, key, t.group(1))] = (None if t.group(2) == "N" else float(t.group(2)),
                                                   float(t.group(3)))
                t = re.fullmatch(r"(N|\d+)\(([\d.]+)\)", item)
                if t:
                    out[(rec, key, "")] = (None if t.group(1) == "N" else float(t.group(1)),
                                           float(t.group(2)))
    return out


def _sacctmgr_limits(ctx):
    q = ctx.run(["sacctmgr", "-n", "-P", "show", "qos", QOS, "format=GrpTRES,GrpJobs"]).stdout
    grp_tres, grp_jobs = q.strip().split("|")
    tres = dict(x.split("=") for x in grp_tres.split(",") if x)
    a = ctx.run(["sacctmgr", "-n", "-P", "show", "assoc", f"account={ACCT_A}",
                 "format=User,GrpJobs,MaxSubmit"]).stdout
    acct = {}
    for line in a.splitlines():
        user, gj, ms = line.split("|")
        acct[user] = (gj, ms)
    return tres, int(grp_jobs), acct


def _ratios(expo):
    """PromQL `usage / limit` over the four limit families: {(family, labels): ratio}."""
    out = {}
    for fam in ("slurm_qos", "slurm_qos_user", "slurm_qos_account", "slurm_association"):
        limits = {tuple(sorted(l.items())): v for l, v in expo.get(fam + "_limit")}
        for l, v in expo.get(fam + "_usage"):
            key = tuple(sorted(l.items()))
            lim = limits.get(key)
            if lim is None:
                out[(fam, key)] = "no limit series"
            elif lim > 0:
                out[(fam, key)] = v / lim
    return out


def check(ctx):
    R = ctx.R
    # wait for Slurm to settle: the pending jobs carry the limit reasons
    state = {}

    def settled():
        rows = _squeue(ctx)
        state["rows"] = rows
        reasons = {(r[1], r[4]) for r in rows if r[3] == "PENDING"}
        return (ACCT_Q, "QOSGrpCpuLimit") in reasons and (ACCT_A, "AssocGrpJobsLimit") in reasons
    try:
        ctx.wait_until("jobs pending on QOSGrpCpuLimit and AssocGrpJobsLimit", settled, 60)
    except ctx.base.Abort as e:
        R.fail("limits: Slurm pends the jobs on the limits", f"{e}; squeue: {state.get('rows')}")
        return
    R.ok("limits: Slurm pends one job on QOSGrpCpuLimit and one on AssocGrpJobsLimit")
    rows = state["rows"]
    run_q = [r for r in rows if r[2] == QOS and r[3] == "RUNNING"]
    run_a = [r for r in rows if r[1] == ACCT_A and r[3] == "RUNNING"]
    sub_a = [r for r in rows if r[1] == ACCT_A and r[6] == "root" and r[3] in ("RUNNING", "PENDING")]
    tres, grp_jobs, acct = _sacctmgr_limits(ctx)

    lbl_cpu = dict(qos=QOS, limit="grp_tres", tres="cpu")
    lbl_jobs = dict(qos=QOS, limit="grp_jobs", tres="")
    lbl_ajobs = dict(account=ACCT_A, user="", partition="", limit="grp_jobs", tres="")
    lbl_asub = dict(account=ACCT_A, user="root", partition="", limit="max_submit_jobs", tres="")
    want = {
        ("slurm_qos_limit", "cpu"): float(tres["cpu"]),
        ("slurm_qos_usage", "cpu"): float(sum(r[5] for r in run_q)),
        ("slurm_qos_limit", "jobs"): float(grp_jobs),
        ("slurm_qos_usage", "jobs"): float(len(run_q)),
        ("slurm_association_limit", "jobs"): float(acct[""][0]),
        ("slurm_association_usage", "jobs"): float(len(run_a)),
        ("slurm_association_limit", "submit"): float(acct["root"][1]),
        ("slurm_association_usage", "submit"): float(len(sub_a)),
    }
    labels = {"cpu": lbl_cpu, "jobs": lbl_jobs}
    got = {}

    def pick(expo):
        for (fam, what) in want:
            if fam.startswith("slurm_qos"):
                lbl = labels[what]
            else:
                lbl = lbl_ajobs if what == "jobs" else lbl_asub
            got[(fam, what)] = expo.value(fam, **lbl)
        return got == want
    try:
        ctx.wait_until("exporter's limits match squeue and sacctmgr", lambda: pick(ctx.metrics()), 30)
        R.ok("limits: limit and usage equal sacctmgr's limits and squeue's running/submitted jobs")
    except ctx.base.Abort:
        R.fail("limits: limit and usage equal sacctmgr's limits and squeue's running/submitted jobs",
               f"got {got}, want {want}")
    expo = ctx.metrics()
    R.check("limits: memory limit in bytes (GrpTRES mem=8000 MB)",
            expo.value("slurm_qos_limit", qos=QOS, limit="grp_tres", tres="mem") == 8000 * MIB,
            str(expo.value("slurm_qos_limit", qos=QOS, limit="grp_tres", tres="mem")))

    # every limit and use of this module's records agrees with scontrol show assoc_mgr (the
    # kinds that do not move while the jobs run; other modules' records may change meanwhile)
    am = _assoc_mgr(ctx)
    bad = []
    n = 0
    for fam, mine, keyfn in (
            ("slurm_qos", lambda l: l["qos"] == QOS, lambda l: ("qos", l["qos"])),
            ("slurm_association", lambda l: l["account"] in (ACCT_Q, ACCT_A),
             lambda l: ("assoc", l["account"], l["user"], l["partition"]))):
        for l, lim in expo.get(fam + "_limit"):
            key = SLURM_KEYS.get(l["limit"])
            if not mine(l) or not key:
                continue
            slurm = am.get((keyfn(l), key, l["tres"]))
            mult = MIB if l["tres"] == "mem" else 1
            use = expo.value(fam + "_usage", **l)
            n += 1
            if slurm is None or slurm[0] is None or slurm[0] * mult != lim:
                bad.append(f"{fam} {l}: exporter {lim}, assoc_mgr {slurm}")
            elif use != slurm[1] * mult:
                bad.append(f"{fam} usage {l}: exporter {use}, assoc_mgr {slurm[1]}")
    R.check(f"limits: all {n} limits and uses of the test's QoS and accounts agree with "
            "scontrol show assoc_mgr", n >= 4 and not bad, "; ".join(bad[:5]) or f"{n} compared")

    # "who is about to hit a limit": usage / limit >= 0.9
    ratios = _ratios(expo)
    missing = [k for k, v in ratios.items() if v == "no limit series"]
    R.check("limits: every usage series has a limit series with the same labels", not missing,
            str(missing[:3]))
    hot = {k: v for k, v in ratios.items() if v != "no limit series" and v >= 0.9}

    def key(fam, lbl):
        return (fam, tuple(sorted(lbl.items())))
    R.check("limits: usage/limit is 1 for the QoS CPU limit hit",
            ratios.get(key("slurm_qos", lbl_cpu)) == 1.0, str(ratios.get(key("slurm_qos", lbl_cpu))))
    R.check("limits: usage/limit is 1 for the account GrpJobs limit hit",
            ratios.get(key("slurm_association", lbl_ajobs)) == 1.0,
            str(ratios.get(key("slurm_association", lbl_ajobs))))
    R.check("limits: usage/limit is 1 for the user's MaxSubmitJobs limit hit",
            ratios.get(key("slurm_association", lbl_asub)) == 1.0,
            str(ratios.get(key("slurm_association", lbl_asub))))
    R.check("limits: the QoS GrpJobs limit (2 of 3) is not about to be hit",
            key("slurm_qos", lbl_jobs) not in hot, str(ratios.get(key("slurm_qos", lbl_jobs))))
    R.check("limits: no limit series for unlimited ones (QoS normal)",
            not [l for l, _ in expo.get("slurm_qos_limit") if l.get("qos") == "normal"], "")
    R.check("limits: collector succeeds",
            expo.value("slurm_exporter_collector_success", collector="limits") == 1, "")

    # rivosinc's account limits from a second exporter with --compat=rivosinc
    exp2 = ctx.start_exporter("limits-compat", ["--compat=rivosinc", "--collector.disable-defaults",
                                                "--collector.limits", "--slurm.poll-interval.limits=2s"])
    try:
        def compat_ok():
            e = exp2.metrics()
            return e.value("slurm_account_job_alloc_limit", account=ACCT_A) == float(acct[""][0])
        ctx.wait_until("rivosinc account limit served", compat_ok, 20)
        R.ok("limits: --compat=rivosinc serves slurm_account_job_alloc_limit (GrpJobs) per account")
    except ctx.base.Abort:
        R.fail("limits: --compat=rivosinc serves slurm_account_job_alloc_limit (GrpJobs) per account",
               str(exp2.metrics().get("slurm_account_job_alloc_limit")))
    finally:
        exp2.stop()

    ctx.run(["scancel"] + _jobs, check=False)
    time.sleep(0.1)
