# SPDX-License-Identifier: Apache-2.0
"""Two real clusters sharing one slurmdbd (a Slurm multi-cluster setup): a second cluster
"itest2" joins the test cluster's slurmdbd and munge key (slurm-cluster start --join); one
exporter with --slurm.clusters=itest,itest2 serves both, each series labelled with its
cluster and equal to what each cluster's own commands report; stopping the second cluster's
slurmctld fails that cluster only."""
import os
import subprocess
import time

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


def check(ctx):
    R = ctx.R
    try:
        if not STATE.get("started"):
            return
        exp = ctx.start_exporter("exporter-twoclusters", ["--slurm.clusters=itest,itest2"])
        time.sleep(2.5)
        m = exp.metrics()
        for c in ("itest", "itest2"):
            want = len(sinfo_nodes(ctx, c))
            got = sum(v for l, v in m.get("slurm_nodes") if l.get("cluster") == c)
            R.check(f"twoclusters: slurm_nodes of {c} sum to sinfo -M {c}'s {want} nodes", got == want,
                    f"exporter {got}")
            R.check(f"twoclusters: collectors succeed for {c}",
                    all(m.value("slurm_exporter_collector_success", collector=k, cluster=c) == 1
                        for k in ("jobs", "nodes", "partitions")), "")
        out = ctx.run(["squeue", "-M", "itest", "-h", "-r", "-t", "R", "-o", "%i"]).stdout
        running = len([x for x in out.split("\n") if x.strip() and not x.startswith("CLUSTER")])
        got = sum(v for l, v in m.get("slurm_jobs") if l.get("cluster") == "itest" and l.get("state") == "running")
        R.check("twoclusters: running jobs of itest equal squeue -M itest", got == running, f"{got} vs {running}")
        got2 = sum(v for l, v in m.get("slurm_jobs") if l.get("cluster") == "itest2")
        R.check("twoclusters: itest2 has no jobs (none were submitted there)", got2 == 0, got2)
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
