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
    check_formats(ctx)


def check_formats(ctx):
    """With counters in the exposition (scheduler, accounting) the OpenMetrics body differs from
    the text one and is kept gzipped only: a plain and a gzipped OpenMetrics scrape must carry the
    same families and samples (the live self-metrics section aside)."""
    import gzip
    url = ctx.exporter.url + "/metrics"
    om = {"Accept": "application/openmetrics-text;version=1.0.0"}

    def data(b):
        return [l for l in b.decode().splitlines()
                if not l.startswith(("slurm_exporter_", "process_", "# HELP slurm_exporter",
                                     "# TYPE slurm_exporter", "# HELP process", "# TYPE process"))]
    last = {}

    def same():
        # two scrapes, each of whatever refresh is current: a refresh between them changes the
        # data, so take pairs until one pair comes from the same refresh (or the time is up)
        _, _, plain = ctx.base.http(url, headers=om)
        _, h2, gz = ctx.base.http(url, headers=dict(om, **{"Accept-Encoding": "gzip"}))
        unz = gzip.decompress(gz) if h2.get("content-encoding") == "gzip" else gz
        last.update(h2=h2, plain=plain, unz=unz)
        return h2.get("content-encoding") == "gzip" and data(plain) == data(unz)
    try:
        ctx.wait_until("a plain and a gzipped scrape of the same refresh", same, 30, 0.2)
    except ctx.base.Abort:
        pass
    h2, plain, unz = last["h2"], last["plain"], last["unz"]
    ctx.R.check("smoke: plain and gzipped OpenMetrics bodies carry the same data",
                h2.get("content-encoding") == "gzip" and data(plain) == data(unz) and
                plain.endswith(b"# EOF\n") and b"counter" in plain, "")
