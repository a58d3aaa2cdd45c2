# SPDX-License-Identifier: Apache-2.0
"""--slurm.clusters against the real Slurm: the commands run with -M (Slurm then prints a
"CLUSTER:" line first in some
commands and modes, which the exporter skips as not data), every series carries the cluster label, and the
values equal those of an exporter watching the local cluster without -M."""
import re
import time

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
    time.sleep(2.5)
    local = ctx.metrics()
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
    stable = ("slurm_nodes", "slurm_cpus", "slurm_partition_cpus")
    diffs = []
    for fam in stable:
        a = {tuple(sorted(l.items())): v for l, v in local.get(fam)}
        b = {tuple(sorted((k, x) for k, x in l.items() if k != "cluster")): v for l, v in mc.get(fam)}
        if a != b:
            diffs.append((fam, len(a), len(b)))
    ctx.R.check("multicluster: node, CPU and memory series equal the local exporter's", a and not diffs,
                diffs)
