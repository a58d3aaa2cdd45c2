# SPDX-License-Identifier: Apache-2.0
"""The shared cluster has accounting: slurmdbd answers and the exporter's core collectors work."""
NAME = "smoke"


def check(ctx):
    p = ctx.run(["sacctmgr", "-n", "-P", "show", "cluster", "format=cluster"], check=False)
    ctx.R.check("smoke: slurmdbd answers sacctmgr", p.returncode == 0 and p.stdout.strip(),
                p.stderr.strip()[-300:])
    expo = ctx.metrics()
    ctx.R.check("smoke: core collectors succeed with accounting on",
                all(expo.value("slurm_exporter_collector_success", collector=c) == 1
                    for c in ("jobs", "nodes", "partitions")), "")
