# SPDX-License-Identifier: Apache-2.0
"""The Grafana dashboards (deploy/grafana/dashboards/) against the real Slurm: a real Prometheus
scrapes the shared exporter, and every query of every panel, Grafana's variables replaced
($cluster by ".*", All; $__rate_interval by 1m and by 5m), must be valid PromQL and return data.
A panel whose description contains "Empty when" (docs/dashboards.md) must be valid only.

The exporter runs with every flag the dashboards' allow-list names (FLAGS). Setup adds what the
harness cluster lacks and the dashboards show: a QoS and an account with limits, and a
reservation three days ahead (on one node, overlapping nothing that runs); the check runs a job
and posts trace data for it from two hosts while the queries run.

Prometheus scrapes the exporter under two job names, as it would scrape the exporters of two HA
controllers: the dashboards take max() over the exporters before they sum, so the node, CPU and
running-job totals must equal what the exporter serves once (checked against its exposition).

Prints `ok - dashboards: <dashboard>: <panel>: <query>` per query."""
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "lib"))
import dashq  # noqa: E402
import promsrv  # noqa: E402

NAME = "dashboards"
FLAGS = ["--collector.node", "--collector.accounting", "--accounting.since=2h", "--accounting.settle=5s",
         "--accounting.users", "--collector.fairshare.users", "--trace.enabled", "--slurm.poll-interval.trace=1s"]
QOS = "dashq"
ACCOUNT = "dashacct"
RESERVATION = "dash_later"
DATA_DEADLINE = 180   # seconds for every query to have data (two accounting refreshes, the trace)
INTERVALS = ("1m", "5m")
JOBS = ("slurm-ctl-a", "slurm-ctl-b")   # one exporter scraped twice: two HA exporters of one cluster


def setup(ctx):
    ctx.run(["sacctmgr", "-i", "add", "qos", QOS, "GrpJobs=20", "GrpTRES=cpu=64"], timeout=60)
    ctx.run(["sacctmgr", "-i", "add", "account", ACCOUNT, "Parent=root", "GrpJobs=10", "GrpTRES=cpu=32"],
            timeout=60)
    ctx.run(["scontrol", "create", "reservation", f"reservationname={RESERVATION}", "starttime=now+3days",
             "duration=10:00", "nodes=cn002", "users=root", "flags=ignore_jobs,overlap"])


class Tracer(threading.Thread):
    """Posts trace data for one running job from two hosts every two seconds until stopped."""

    def __init__(self, ctx, job):
        super().__init__(daemon=True)
        self.ctx, self.job = ctx, job
        self.stop_ev = threading.Event()
        self.codes = []
        self.n = 0

    def run(self):
        while not self.stop_ev.is_set():
            self.n += 1
            for host, cpus in (("dashhost1", 90.0), ("dashhost2", 40.0)):
                body = {"pid": 4242, "cpus": cpus, "threads": 3, "mem": 50000000 + self.n * 1000,
                        "read_bytes": 1000 * self.n, "write_bytes": 4000 * self.n, "username": "root",
                        "io_wait": 0, "hostname": host, "job_id": int(self.job)}
                try:
                    st = self.ctx.base.http(self.ctx.exporter.url + "/trace", method="POST",
                                            data=json.dumps(body).encode(),
                                            headers={"Content-Type": "application/json"})[0]
                except OSError as e:
                    st = repr(e)
                self.codes.append(st)
            self.stop_ev.wait(2)


def check(ctx):
    R = ctx.R
    boards = dashq.dashboards()
    p = ctx.run(["sbatch", "--parsable", "--output=/dev/null", "--error=/dev/null", "--time=10", "--ntasks=2",
                 "--mem=200", "--account=physics", "--partition=debug", "--job-name=dash-trace",
                 "--wrap", "sleep 600"])
    job = p.stdout.strip().split(";")[0]
    prom = tracer = None
    try:
        ctx.wait_until("the traced job to run",
                       lambda: ctx.run(["squeue", "-h", "-j", job, "-o", "%T"]).stdout.strip() == "RUNNING", 90)
        tracer = Tracer(ctx, job)
        tracer.start()
        prom = promsrv.Prom(ctx._run.prometheus_bin, ctx.workdir, "prometheus-dashboards", ctx.exporter.port, JOBS)
        ctx.wait_until("both scrape jobs to have scraped the exporter",
                       lambda: len(prom.query("up == 1")[1]) == len(JOBS), 60)
        check_variable(ctx, prom)
        check_queries(ctx, prom, boards)
        check_no_double_count(ctx, prom)
        R.check(f"dashboards: {tracer.n} rounds of trace posts for job {job} were accepted",
                tracer.codes and all(c == 200 for c in tracer.codes),
                sorted(set(map(str, tracer.codes))))
    finally:
        if tracer:
            tracer.stop_ev.set()
            tracer.join(10)
        if prom:
            prom.stop()
        ctx.run(["scancel", job], check=False)


def check_variable(ctx, prom):
    """The cluster variable's query, label_values(slurm_exporter_collector_success, cluster), as
    Grafana asks it: /api/v1/label/cluster/values for that metric. Without --slurm.clusters there
    is no value and All (".*") is what the queries get."""
    q = "/api/v1/label/cluster/values?" + urllib.parse.urlencode({"match[]": "slurm_exporter_collector_success"})
    st, _, body = ctx.base.sexp.http(prom.url + q, timeout=20)
    ok = st == 200 and json.loads(body).get("status") == "success"
    vals = json.loads(body).get("data") if ok else body[:200]
    ok_series = prom.query("count(slurm_exporter_collector_success)")[1]
    ctx.R.check(f"dashboards: variable cluster: label_values(slurm_exporter_collector_success, cluster) "
                f"answers ({len(vals) if ok else 0} values: {vals}); the metric has series",
                ok and ok_series, f"HTTP {st}: {vals}")


def check_queries(ctx, prom, boards):
    pending = []
    for fn, d in boards:
        for p, expr in dashq.queries(d):
            pending.append((d["title"], p, expr))
    outcome = {}
    deadline = time.monotonic() + DATA_DEADLINE
    first = True
    while True:
        left = []
        for title, p, expr in pending:
            key = (title, p["id"], expr)
            marker = dashq.EMPTY_MARKER in p.get("description", "")
            results = []
            for iv in INTERVALS:
                q = dashq.substitute(expr, cluster=".*", intervals={"__rate_interval": iv, "__interval": iv})
                ok, res, err = prom.query(q)
                results.append((iv, ok, len(res), err))
            parsed = all(ok for _, ok, _, _ in results)
            data = all(n > 0 for _, _, n, _ in results)
            outcome[key] = (parsed, data, marker, results)
            if not parsed or (not data and not marker):
                left.append((title, p, expr))
        if not left or time.monotonic() >= deadline:
            break
        if first:
            ctx.R.note(f"dashboards: {len(left)} of {len(pending)} queries without data yet; waiting up to "
                       f"{DATA_DEADLINE}s")
            first = False
        pending = left
        time.sleep(5)
    n_empty_ok = 0
    for (title, _pid, expr), (parsed, data, marker, results) in outcome.items():
        panel = next(p for _fn, d in boards if d["title"] == title for p in dashq.panels(d) if p["id"] == _pid)
        name = f"dashboards: {title}: {panel['title']}: {expr}"
        if not parsed:
            ctx.R.fail(name, "; ".join(f"{iv}: {err}" for iv, ok, _, err in results if not ok))
        elif data:
            ctx.R.ok(name)
        elif marker:
            n_empty_ok += 1
            ctx.R.ok(name + " (valid; no data, allowed: " + panel["description"].split(dashq.EMPTY_MARKER, 1)[1]
                     .split(".")[0].strip() + ")")
        else:
            ctx.R.fail(name, "no data: " + ", ".join(f"{iv}: {n} series" for iv, _, n, _ in results))
    ctx.R.note(f"dashboards: {len(outcome)} queries; {sum(1 for v in outcome.values() if v[0] and v[1])} with data, "
               f"{n_empty_ok} empty in panels marked \"{dashq.EMPTY_MARKER}\"")


def check_no_double_count(ctx, prom):
    """Totals of the overview dashboard against the exporter's own exposition, with the exporter
    scraped by two jobs (two HA exporters): the max() over exporters keeps them single."""
    overview = dict(dashboards_by_title())["Slurm / Cluster overview"]
    want = {"Nodes": lambda e: sum(v for n, l, v in e.samples if n == "slurm_nodes"),
            "Running jobs": lambda e: e.value("slurm_queue_jobs", state="running"),
            "Controllers answering": lambda e: sum(v for n, l, v in e.samples if n == "slurm_controller_up")}
    for title, fn in want.items():
        p = next(p for p in dashq.panels(overview) if p.get("title") == title)
        q = dashq.substitute(p["targets"][0]["expr"])
        got = {}

        def same():
            # the exposition before and after the query agree: the query saw that value
            a = fn(ctx.metrics())
            ok, res, _ = prom.query(q)
            b = fn(ctx.metrics())
            v = float(res[0]["value"][1]) if ok and res else None
            got.update(a=a, b=b, v=v)
            return a == b and v == a
        try:
            ctx.wait_until(f"{title} to agree", same, 30, 1)
            ctx.R.ok(f"dashboards: overview '{title}' with the exporter scraped twice equals the exporter's "
                     f"own figure ({got['v']:g}), not twice it")
        except ctx.base.Abort:
            ctx.R.fail(f"dashboards: overview '{title}' with the exporter scraped twice equals the exporter's "
                       "own figure", f"query {got.get('v')}, exporter {got.get('a')} / {got.get('b')}")


def dashboards_by_title():
    return [(d["title"], d) for _fn, d in dashq.dashboards()]
