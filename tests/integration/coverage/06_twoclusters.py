# SPDX-License-Identifier: Apache-2.0
"""Two real clusters sharing one slurmdbd (a Slurm multi-cluster setup): a second cluster
"itest2" joins the test cluster's slurmdbd and munge key (slurm-cluster start --join); one
exporter with --slurm.clusters=itest,itest2 serves both, each series labelled with its
cluster and equal to what each cluster's own commands report; trace posts for a job of the
second cluster are served under that cluster, next to its allocation there, until the job ends;
stopping the second cluster's slurmctld fails that cluster only."""
import json
import os
import subprocess

NAME = "twoclusters"
STATE = {}


def setup(ctx):
    base = None
    for b in range(24000, 26000, 100):
        if all(ctx.base.port_free(p) for p in [b + 17] + [b + 4200 + i for i in range(1, 3)]):
            base = b
            break
    d = os.path.join(ctx.workdir, "cluster2")
    env = dict(ctx.cluster_env, SLURM_CLUSTER_DIR=d, SLURM_CLUSTER_PORT_BASE=str(base),
               SLURM_CLUSTER_NAME="itest2")
    env.pop("SLURM_CONF", None)
    STATE["env"] = env
    p = subprocess.run([ctx.base.HARNESS, "start", "--join", ctx.cluster_env["SLURM_CLUSTER_DIR"],
                        "--nodes", "2"], env=env, capture_output=True, text=True, timeout=120)
    STATE["started"] = True
    ctx.R.check("twoclusters: a second cluster joins the slurmdbd", p.returncode == 0, p.stderr[-600:])


def sinfo_nodes(ctx, cluster):
    out = ctx.run(["sinfo", "-M", cluster, "-h", "-N", "-o", "%N %T"]).stdout
    # -N lists a node once per partition: count names once
    return sorted({l.split()[0] for l in out.splitlines() if l.strip() and not l.startswith("CLUSTER")})


def trace_second_cluster(ctx, exp):
    """A job of itest2 traced through the one exporter: its entry must be served under itest2
    with itest2's allocation (the first cluster's queue does not have the job), and go when the
    job ends."""
    R = ctx.R
    # As the second user: both clusters number their jobs from 1 and run them on nodes of the
    # same names (one machine), so the posted user is what tells itest2's job from itest's job
    # of that id.
    p = ctx.run(ctx.base.as_user(ctx.env, ctx.base.USER2, [
        "sbatch", "-M", "itest2", "--parsable", "--chdir=/tmp", "--output=/dev/null",
        "--error=/dev/null", "--account=biology", "--time=10", "--ntasks=1", "--wrap", "sleep 300"]))
    jid = p.stdout.strip().split(";")[0]
    if not R.check("twoclusters: a job submitted to itest2", p.returncode == 0 and jid.isdigit(),
                   p.stderr[-300:]):
        return

    def squeue2(fmt):
        out = ctx.run(["squeue", "-M", "itest2", "-h", "-j", jid, "-O", fmt]).stdout
        return "".join(l for l in out.splitlines() if not l.startswith("CLUSTER")).strip()
    try:
        ctx.wait_until("the itest2 job runs", lambda: squeue2("State:0") == "RUNNING", 60)
        cpus = int(squeue2("NumCPUs:0"))
        host = squeue2("NodeList:0")

        def post():
            body = {"job_id": int(jid), "pid": 99, "cpus": 150.0, "threads": 3, "mem": 5000000,
                    "read_bytes": 1, "write_bytes": 2, "username": ctx.base.USER2, "hostname": host}
            return ctx.base.http(exp.url + "/trace", method="POST", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})[0]
        R.check("twoclusters: a trace post for the itest2 job -> 200", post() == 200, "")

        last = {}

        def served():
            m = exp.metrics()
            last["trace"] = [(l, v) for l, v in m.get("slurm_job_trace_cpu_usage")]
            last["alloc"] = [(l, v) for l, v in m.get("slurm_job_allocated_cpus")]
            ok = (m.value("slurm_job_trace_cpu_usage", job_id=jid, cluster="itest2") == 1.5 and
                  m.value("slurm_job_allocated_cpus", job_id=jid, cluster="itest2") == cpus)
            return m if ok else None
        try:
            m = ctx.wait_until("the itest2 trace served", served, 20)
        except ctx.base.Abort as ex:
            raise ctx.base.Abort(f"{ex}; job {jid}, {cpus} CPUs; served: {last}") from None
        R.ok(f"twoclusters: the itest2 job's trace is served under cluster itest2 beside its {cpus} "
             "allocated CPUs (squeue -M itest2)")
        R.check("twoclusters: and not under itest",
                m.value("slurm_job_trace_cpu_usage", job_id=jid, cluster="itest") is None,
                f"job {jid} on {host}: trace {[l for l, _ in m.get('slurm_job_trace_cpu_usage')]}; itest's job "
                f"{jid}: {ctx.run(['squeue', '-M', 'itest', '-h', '-j', jid, '-o', '%u %T %N'], check=False).stdout!r}")
        # several refreshes of both clusters' queues (and so of the trace store)
        def fetches(m):
            return [m.value("slurm_exporter_dataset_fetches_total", dataset="jobs", result="success", cluster=c) or 0
                    for c in ("itest", "itest2")]
        start = fetches(exp.metrics())
        ctx.wait_until("three more jobs refreshes of both clusters",
                       lambda: all(b >= a + 3 for a, b in zip(start, fetches(exp.metrics()))), 60, 0.3)
        post()
        m = exp.metrics()
        R.check("twoclusters: the itest2 trace stays across refreshes (itest's queue does not drop it)",
                m.value("slurm_job_trace_cpu_usage", job_id=jid, cluster="itest2") == 1.5 and
                m.value("slurm_exporter_trace_expired_total", cause="job_ended") in (None, 0), "")
        ctx.run(["scancel", "-M", "itest2", jid])
        ctx.wait_until("the ended itest2 job's trace dropped",
                       lambda: exp.metrics().value("slurm_exporter_trace_expired_total", cause="job_ended") == 1
                       and exp.metrics().value("slurm_job_trace_cpu_usage", job_id=jid, cluster="itest2") is None,
                       30)
        R.ok("twoclusters: once the itest2 job is cancelled its trace is dropped (job_ended)")
    except ctx.base.Abort as ex:
        R.fail("twoclusters: tracing a job of the second cluster", str(ex))


def check(ctx):
    R = ctx.R
    try:
        if not STATE.get("started"):
            return
        exp = ctx.start_exporter("exporter-twoclusters", ["--slurm.clusters=itest,itest2", "--trace.enabled"])
        sexp = ctx.base.sexp

        def all_succeed(c):
            return lambda m: all(m.value("slurm_exporter_collector_success", collector=k, cluster=c) == 1
                                 for k in ("jobs", "nodes", "partitions"))
        for c in ("itest", "itest2"):
            want = len(sinfo_nodes(ctx, c))
            try:
                m = ctx.wait_until(f"{c}'s collectors to succeed", lambda: (lambda x: x if all_succeed(c)(x) else None)(
                    exp.metrics()), 30)
                R.ok(f"twoclusters: collectors succeed for {c}")
            except ctx.base.Abort as e:
                R.fail(f"twoclusters: collectors succeed for {c}", str(e))
                m = exp.metrics()
            got = sum(v for l, v in m.get("slurm_nodes") if l.get("cluster") == c)
            R.check(f"twoclusters: slurm_nodes of {c} sum to sinfo -M {c}'s {want} nodes", got == want,
                    f"exporter {got}")

        # squeue and the exporter's view of itest's queue from the same moment: every job's state
        # the same just before the exporter's jobs refresh started and after the scrape
        def queue():
            out = ctx.run(["squeue", "-M", "itest", "-h", "-r", "-t", "all", "-o", "%i %T %P"]).stdout
            return sorted(tuple(x.split()) for x in out.splitlines() if x.strip() and not x.startswith("CLUSTER"))
        try:
            q, m = sexp.same_moment(queue, exp.metrics,
                                    lambda x: sexp.refresh_started(x, "jobs", cluster="itest"),
                                    timeout=120, error=ctx.base.Abort, what="itest's queue")
            running = sum(1 for _, st, _ in q if st == "RUNNING")
            got = sum(v for l, v in m.get("slurm_jobs") if l.get("cluster") == "itest" and l.get("state") == "running")
            by_part = {}
            for _, st, part in q:
                if st == "RUNNING":
                    by_part[part] = by_part.get(part, 0) + 1
            got_part = {l["partition"]: v for l, v in m.get("slurm_jobs")
                        if l.get("cluster") == "itest" and l.get("state") == "running" and v}
            R.check("twoclusters: running jobs of itest equal squeue -M itest (same refresh)", got == running,
                    f"{got} vs {running}; by partition: exporter {got_part}, squeue {by_part}")
        except ctx.base.Abort as e:
            R.fail("twoclusters: running jobs of itest equal squeue -M itest (same refresh)", str(e))
        got2 = sum(v for l, v in m.get("slurm_jobs") if l.get("cluster") == "itest2")
        R.check("twoclusters: itest2 has no jobs (none were submitted there)", got2 == 0, got2)
        trace_second_cluster(ctx, exp)
        # One cluster down: its collectors fail, the other keeps serving.
        p = subprocess.run([ctx.base.HARNESS, "stop-daemon", "slurmctld"], env=STATE["env"],
                           capture_output=True, text=True, timeout=60)
        R.check("twoclusters: itest2's slurmctld stopped", p.returncode == 0, p.stderr[-300:])

        def failed():
            x = exp.metrics()
            return (x.value("slurm_exporter_collector_success", collector="nodes", cluster="itest2") == 0
                    and x.value("slurm_exporter_collector_success", collector="nodes", cluster="itest") == 1)
        try:
            ctx.wait_until("itest2 failing alone", failed, 40, 0.5)
            R.ok("twoclusters: with itest2's controller down only itest2's collectors fail")
        except Exception as e:  # noqa: BLE001
            R.fail("twoclusters: with itest2's controller down only itest2's collectors fail", str(e))
    finally:
        if STATE.get("started"):
            subprocess.run([ctx.base.HARNESS, "stop"], env=STATE["env"], capture_output=True, timeout=120)
