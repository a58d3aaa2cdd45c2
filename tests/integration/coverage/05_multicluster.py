# SPDX-License-Identifier: Apache-2.0
"""--slurm.clusters against the real Slurm: the commands run with -M (Slurm then prints a
"CLUSTER:" line first in some
commands and modes, which the exporter skips as not data), every series carries the cluster label, and the
values equal those of an exporter watching the local cluster without -M."""
import re

NAME = "multicluster"


def check(ctx):
    p = ctx.run(["scontrol", "show", "config"])
    m = re.search(r"^ClusterName\s*=\s*(\S+)", p.stdout, re.M)
    if not ctx.R.check("multicluster: ClusterName from scontrol show config", m, p.stdout[:200]):
        return
    name = m.group(1)
    for cmd in (["squeue", "-M", name, "-o", "%i"], ["scontrol", "-M", name, "show", "partitions"]):
        q = ctx.run(cmd, check=False)
        ctx.R.note(f"{' '.join(cmd)}: first line {q.stdout.splitlines()[:1]}")
    exp = ctx.start_exporter("exporter-multicluster", [f"--slurm.clusters={name}"])

    def succeeded():
        x = exp.metrics()
        return x if all(x.value("slurm_exporter_collector_success", collector=c, cluster=name) == 1
                        for c in ("jobs", "nodes", "partitions")) else None
    try:
        mc = ctx.wait_until(f"the collectors to succeed with -M {name}", succeeded, 30)
    except ctx.base.Abort:
        mc = exp.metrics()
    for c in ("jobs", "nodes", "partitions"):
        ctx.R.check(f"multicluster: {c} collector succeeds with -M {name}",
                    mc.value("slurm_exporter_collector_success", collector=c, cluster=name) == 1,
                    exp.tail(5))
    series = [(n, l) for n, l, _ in mc.samples if n.startswith("slurm_") and
              not n.startswith("slurm_exporter_")]
    ctx.R.check("multicluster: every Slurm series has cluster=" + name,
                series and all(l.get("cluster") == name for _, l in series),
                [s for s in series if s[1].get("cluster") != name][:3])
    # The two exporters refresh at different moments and allocations change as jobs start and
    # end: compare until both show the same (a real difference stays until the deadline).
    stable = ("slurm_nodes", "slurm_cpus", "slurm_partition_cpus")
    last = {}

    def same():
        local, mc = ctx.metrics(), exp.metrics()
        diffs = []
        for fam in stable:
            a = {tuple(sorted(l.items())): v for l, v in local.get(fam)}
            b = {tuple(sorted((k, x) for k, x in l.items() if k != "cluster")): v for l, v in mc.get(fam)}
            if a != b:
                diffs.append((fam, len(a), len(b)))
            last["a"] = a
        last["diffs"] = diffs
        return not diffs
    try:
        ctx.wait_until("equal node, CPU and memory series", same, 60, 0.5)
    except ctx.base.Abort:
        pass
    ctx.R.check("multicluster: node, CPU and memory series equal the local exporter's",
                last.get("a") and not last.get("diffs"), last.get("diffs"))
