# SPDX-License-Identifier: Apache-2.0
"""--compat=vpenso,rivosinc: every metric name of vpenso 0.20 and rivosinc 1.x exists with their
label names (tests/fixtures/dashboards/compat-names.txt), every query of Grafana dashboard 4323
(tests/fixtures/dashboards/vpenso-4323.promql) has data in a real Prometheus scraping the
exporter, and the main vpenso figures equal Slurm's own (sinfo %C, squeue)."""
import json
import os
import re
import time
import urllib.parse

NAME = "compat"
FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   "fixtures", "dashboards")


def names():
    out = []
    with open(os.path.join(FIX, "compat-names.txt")) as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            labels = () if parts[2] == "-" else tuple(sorted(parts[2].split(",")))
            out.append((parts[0], parts[1], labels, len(parts) > 3 and parts[3] == "?"))
    return out


def check(ctx):
    R = ctx.R
    # its own exporter: the other modules check that the shared one serves no compat names
    exp = ctx.start_exporter("exporter-compat", ["--compat=vpenso,rivosinc", "--trace.enabled",
                                                 "--slurm.poll-interval.trace=1s"])
    # a trace of a running job, so rivosinc's tracing names have something to show
    out = ctx.run(["squeue", "-h", "-t", "R", "-o", "%i %u"]).stdout.split()
    if len(out) >= 2:
        body = {"job_id": int(out[0].split("_")[0]) if out[0].isdigit() else int(out[0].split("_")[0]),
                "pid": 4242, "cpus": 150.0, "threads": 3, "mem": 209715200, "read_bytes": 10,
                "write_bytes": 20, "username": out[1], "hostname": "cn001"}
        st = ctx.base.http(exp.url + "/trace", method="POST", data=json.dumps(body).encode(),
                           headers={"Content-Type": "application/json"})[0]
        R.check("compat: a trace post for a running job is accepted", st == 200, st)
    time.sleep(2.5)
    # sdiag prints the backfill means only after the first backfill cycle (every 30 s by
    # default): on a freshly started cluster wait for it
    try:
        ctx.wait_until("a backfill cycle", lambda: exp.metrics().get("slurm_scheduler_backfill_mean_cycle")
                       and exp.metrics().get("slurm_scheduler_cycle_per_minute"), 75, 1)
    except Exception as e:  # noqa: BLE001 - the checks below report what is missing
        R.note(f"compat: {e}")
    expo = exp.metrics()
    seen = {}
    for n, l, _ in expo.samples:
        seen.setdefault(n, set()).add(tuple(sorted(k for k in l if k != "cluster")))
    missing, wrong, absent_optional = [], [], []
    for mode, name, labels, optional in names():
        if name not in seen:
            (absent_optional if optional else missing).append(f"{mode}:{name}")
            continue
        if seen[name] != {labels}:
            wrong.append((name, sorted(seen[name]), labels))
    R.check("compat: every vpenso and rivosinc name is served", not missing, missing)
    R.check("compat: each compat name has that exporter's label names", not wrong, wrong[:5])
    if absent_optional:
        R.note("compat: served only with data, none now: " + " ".join(absent_optional))
    helps = [l.split()[2] for l in expo.text.splitlines() if l.startswith("# HELP ")]
    dup = sorted({h for h in helps if helps.count(h) > 1})
    R.check("compat: each family written once with both compat modes on", not dup, dup)

    # vpenso's figures against Slurm's own, both from the same moment (sexp.same_moment: sinfo
    # before and after one nodes refresh of the exporter, equal): sinfo %C is
    # "allocated/idle/other/total" CPUs.
    sexp = ctx.base.sexp

    def sinfo_view():
        cpus = tuple(float(x) for x in ctx.run(["sinfo", "-h", "-o", "%C"]).stdout.split()[0].split("/"))
        nstate = {}
        for line in ctx.run(["sinfo", "-h", "-N", "-o", "%N %T"]).stdout.split("\n"):
            if line.strip():
                node, st = line.split()
                nstate[node] = st
        return cpus, nstate
    try:
        ((a, i, o, t), nstate), expo = sexp.same_moment(
            sinfo_view, exp.metrics, lambda x: sexp.refresh_started(x, "nodes"), 120, ctx.base.Abort, "sinfo")
    except ctx.base.Abort as e:
        R.fail("compat: sinfo and the exporter from the same moment", str(e))
        return
    got = tuple(expo.value(n) for n in ("slurm_cpus_alloc", "slurm_cpus_idle", "slurm_cpus_other",
                                        "slurm_cpus_total"))
    R.check("compat: slurm_cpus_{alloc,idle,other,total} equal sinfo %C", got == (a, i, o, t),
            f"exporter {got}, sinfo {(a, i, o, t)}")
    # rivosinc's slurm_cpus_per_state holds all the CPUs of each state's nodes (its
    # fetchNodeTotalCpuMetrics), so it sums to the CPU total.
    per_state = sum(v for n, _l, v in expo.samples if n == "slurm_cpus_per_state")
    R.check("compat: slurm_cpus_per_state sums to sinfo's CPU total", per_state == t,
            f"exporter {per_state}, sinfo {t}")
    drain = sum(1 for s in nstate.values() if s.startswith("drain"))
    down = sum(1 for s in nstate.values() if s.startswith("down"))
    R.check("compat: slurm_nodes_drain and slurm_nodes_down equal sinfo's node states",
            (expo.value("slurm_nodes_drain"), expo.value("slurm_nodes_down")) == (drain, down),
            f"exporter {(expo.value('slurm_nodes_drain'), expo.value('slurm_nodes_down'))}, sinfo {(drain, down)}")
    try:
        ids, expo = sexp.same_moment(
            lambda: sorted(x for x in ctx.run(["squeue", "-h", "-r", "-t", "R", "-o", "%i"]).stdout.split() if x),
            exp.metrics, lambda x: sexp.refresh_started(x, "jobs"), 120, ctx.base.Abort, "squeue")
    except ctx.base.Abort as e:
        R.fail("compat: squeue and the exporter from the same moment", str(e))
        return
    running = len(ids)
    R.check("compat: slurm_queue_running equals squeue's running jobs",
            expo.value("slurm_queue_running") == running, f"{expo.value('slurm_queue_running')} vs {running}")

    # rivosinc's slurm_partition_weight: the sum of the Weight= of each partition's nodes.
    want_w = {}
    for line in ctx.run(["scontrol", "-o", "--all", "show", "nodes"]).stdout.splitlines():
        kv = dict(f.split("=", 1) for f in line.split() if "=" in f)
        for p in filter(None, kv.get("Partitions", "").split(",")):
            want_w[p] = want_w.get(p, 0) + int(kv.get("Weight", "0"))
    got_w = {l["partition"]: v for n, l, v in expo.samples if n == "slurm_partition_weight"}
    R.check("compat: slurm_partition_weight equals the sum of scontrol's node Weight per partition",
            bool(want_w) and got_w == want_w, f"exporter {got_w}, scontrol {want_w}")

    # Dashboard 4323's queries in a real Prometheus.
    run = ctx._run
    try:
        run.start_prometheus(exp)
        ctx.wait_until("Prometheus scrapes the exporter", lambda: any(
            r["value"][1] == "1" for r in run.promql('up{job="slurm"}')), 40, 0.5)
    except Exception as e:  # noqa: BLE001
        R.fail("compat: Prometheus scrapes the exporter with --compat", str(e))
        return
    st, _, body = ctx.base.http(run.prom_url + "/api/v1/targets")
    errs = [t.get("lastError") for t in json.loads(body)["data"]["activeTargets"] if t.get("lastError")]
    R.check("compat: Prometheus scrapes the --compat exposition without error", not errs, errs)
    exprs = []
    with open(os.path.join(FIX, "vpenso-4323.promql")) as f:
        exprs = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    last = {}

    def answered():
        # Prometheus answers from its last scrape; a scrape that timed out on a loaded machine
        # leaves series out until the next one: ask again until every query has data (60 s)
        empty, bad = [], []
        for e in exprs:
            st, _, body = ctx.base.http(run.prom_url + "/api/v1/query?query=" + urllib.parse.quote(e))
            if st != 200:
                bad.append((e, st))
                continue
            if not json.loads(body)["data"]["result"]:
                empty.append(e)
        last.update(empty=empty, bad=bad)
        return not empty and not bad
    try:
        ctx.wait_until("every dashboard query answered", answered, 60, 1)
    except ctx.base.Abort:
        pass
    empty, bad = last["empty"], last["bad"]
    R.check(f"compat: all {len(exprs)} queries of dashboard 4323 are valid PromQL", not bad, bad[:5])
    why = ""
    if empty:  # what the exporter serves for them now, and how Prometheus's scrapes went
        now = exp.metrics()
        served = {e: [v for n, _, v in now.samples if n == e] for e in empty if re.fullmatch(r"[a-z_:]+", e)}
        stats = {}
        for q in ("scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
                  "prometheus_target_scrapes_sample_duplicate_timestamp_total",
                  "prometheus_target_scrapes_sample_out_of_order_total"):
            st, _, body = ctx.base.http(run.prom_url + "/api/v1/query?query=" + urllib.parse.quote(q))
            if st == 200:
                stats[q] = [r["value"][1] for r in json.loads(body)["data"]["result"]]
        st, _, body = ctx.base.http(run.prom_url + "/api/v1/targets")
        errs = [t.get("lastError") for t in json.loads(body)["data"]["activeTargets"]] if st == 200 else st
        why = f"; exporter serves {served}; Prometheus {stats}, last errors {errs}"
    R.check(f"compat: all {len(exprs)} queries of dashboard 4323 have data", not empty, f"{empty[:8]}{why}")
    run.stop_prometheus()
