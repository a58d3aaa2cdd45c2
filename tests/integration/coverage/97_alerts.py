# SPDX-License-Identifier: Apache-2.0
"""The alerting rules of deploy/prometheus/rules/ end to end: a real Prometheus loads the alert
and recording rule files (every `for:` shortened to FOR, evaluation every second) and scrapes the
shared exporter under two job names, as it would the exporters of two HA controllers. The module
then changes the real cluster and watches the matching alerts go pending, then firing, once
each (not once per exporter), and clear again when the cluster is set right:

  fill       every CPU of every node taken while jobs pend: SlurmLowResources (goldentooth's)
             and SlurmCpusNearlyExhausted; the value of SlurmLowResources equals sinfo's
             allocated / total CPUs
  nodes      one idle node drained, another set DOWN: SlurmPartitionNodesDrained and
             SlurmPartitionNodesDown for each partition the node is in (scontrol's Partitions=),
             SlurmNodesDown (goldentooth's) with the value 1
  controller slurmctld stopped, then started again (it recovers its state): SlurmctldDown for
             the controller and role the exporter reported up, and SlurmctldAllDown

Before each scenario none of its alerts is active; while the exporter is scraped, the up alerts
never are. "Pending first" is read from Prometheus's own ALERTS series (alertstate="pending"
before firing), so it does not depend on when the test looks. The module runs last: it resumes
the workload's drained and down nodes (a reservation on every node keeps the pending jobs where
they are) and sets them back afterwards."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "lib"))
import promsrv  # noqa: E402

NAME = "alerts"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
RULES = os.path.join(ROOT, "deploy", "prometheus", "rules")
FOR = "10s"
JOBS = ("slurm-ctl-a", "slurm-ctl-b")
RESERVATION = "alerts_all"
DEADLINE = 180   # seconds for an alert to fire or clear (slurmctld, exporter refresh, scrape, FOR)
SCENARIO_ALERTS = ("SlurmLowResources", "SlurmCpusNearlyExhausted", "SlurmPartitionNodesDrained",
                   "SlurmPartitionNodesDown", "SlurmNodesDown", "SlurmctldDown", "SlurmctldAllDown")
NEVER = ("SlurmExporterDown", "SlurmExporterAllDown")


def rule_files(ctx):
    """The rule files as shipped, but every `for:` set to FOR; (paths, alert count, record count)."""
    out, nalert, nrecord = [], 0, 0
    d = os.path.join(ctx.workdir, "alert-rules")
    os.makedirs(d, exist_ok=True)
    for fn in sorted(os.listdir(RULES)):
        if not fn.endswith(".yml"):
            continue
        with open(os.path.join(RULES, fn)) as f:
            text = f.read()
        nalert += len(re.findall(r"^\s*- alert:", text, re.M))
        nrecord += len(re.findall(r"^\s*- record:", text, re.M))
        text = re.sub(r"^(\s*)for: \S+$", rf"\1for: {FOR}", text, flags=re.M)
        p = os.path.join(d, fn)
        with open(p, "w") as f:
            f.write(text)
        out.append(p)
    return out, nalert, nrecord


def nodes(ctx):
    """{node: key/value dict of scontrol -o show node}"""
    res = {}
    for line in ctx.run(["scontrol", "-o", "show", "nodes"]).stdout.splitlines():
        kv = dict(f.split("=", 1) for f in line.split() if "=" in f)
        kv["_reason"] = (re.search(r" Reason=(.*?)(?: \[|$)", line) or [None, ""])[1]
        res[kv["NodeName"]] = kv
    return res


class Watch:
    """Reads the alerts of one Prometheus; wait(name, labels, state) and cleared(name)."""

    def __init__(self, ctx, prom):
        self.ctx, self.prom = ctx, prom
        self.last = []

    def active(self, name, labels=None):
        self.last = self.prom.alerts()
        return [a for a in self.last if a["labels"].get("alertname") == name
                and all(a["labels"].get(k) == v for k, v in (labels or {}).items())]

    def fired(self, scenario, name, labels, since):
        """Waits until the alert with these labels fires; checks it was pending first, is there
        once, and its annotations expanded. Returns the firing alert or None."""
        R = self.ctx.R
        what = f"alerts: {scenario}: {name}{fmt(labels)} goes pending, then firing"
        try:
            self.ctx.wait_until(f"{name} to fire", lambda: any(a["state"] == "firing" for a in self.active(name, labels)),
                                DEADLINE, 0.5)
        except self.ctx.base.Abort:
            R.fail(what, f"not firing after {DEADLINE}s; active alerts: {summary(self.last)}")
            return None
        sel = ",".join([f'alertname="{name}"', 'alertstate="pending"'] + [f'{k}="{v}"' for k, v in labels.items()])
        window = int(time.monotonic() - since) + 5
        ok, res, err = self.prom.query(f"max_over_time(ALERTS{{{sel}}}[{window}s])")
        R.check(what, ok and res, f"no ALERTS{{{sel}}} sample in the last {window}s: {err or res}")
        mine = self.active(name, labels)
        R.check(f"alerts: {scenario}: {name}{fmt(labels)} is one alert with the exporter scraped by two jobs",
                len(mine) == 1, summary(mine))
        a = mine[0] if mine else {}
        ann = a.get("annotations", {})
        R.check(f"alerts: {scenario}: {name}: summary and description expanded",
                ann.get("summary") and ann.get("description")
                and not any(w in ann["summary"] + ann["description"] for w in ("<no value>", "error expanding")),
                ann)
        return a or None

    def cleared(self, scenario, name, labels=None):
        try:
            self.ctx.wait_until(f"{name} to clear", lambda: not self.active(name, labels), DEADLINE, 0.5)
            self.ctx.R.ok(f"alerts: {scenario}: {name}{fmt(labels)} clears when set right")
        except self.ctx.base.Abort:
            self.ctx.R.fail(f"alerts: {scenario}: {name}{fmt(labels)} clears when set right",
                            f"still active after {DEADLINE}s: {summary(self.active(name, labels))}")

    def quiet(self, scenario, names):
        """None of names is active (waits for the effects of what came before to clear)."""
        def none():
            return not [a for a in self.prom.alerts() if a["labels"].get("alertname") in names]
        try:
            self.ctx.wait_until("the scenario's alerts to be inactive", none, DEADLINE, 0.5)
            self.ctx.R.ok(f"alerts: {scenario}: before it, none of {', '.join(names)} is active")
            return True
        except self.ctx.base.Abort:
            self.ctx.R.fail(f"alerts: {scenario}: before it, none of {', '.join(names)} is active",
                            summary([a for a in self.prom.alerts() if a["labels"].get("alertname") in names]))
            return False


def fmt(labels):
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else ""


def summary(alerts):
    return [(a["labels"].get("alertname"), {k: v for k, v in a["labels"].items()
                                            if k not in ("alertname", "severity")}, a["state"], a.get("value"))
            for a in alerts]


def check(ctx):
    R = ctx.R
    paths, nalert, nrecord = rule_files(ctx)
    prom = promsrv.Prom(ctx._run.prometheus_bin, ctx.workdir, "prometheus-alerts", ctx.exporter.port, JOBS,
                        rule_files=paths)
    restore = []
    try:
        check_loaded(ctx, prom, nalert, nrecord)
        w = Watch(ctx, prom)
        prepare(ctx, restore)
        fill(ctx, w)
        broken_nodes(ctx, w)
        controller(ctx, w)
        never = [a for a in prom.alerts() if a["labels"].get("alertname") in NEVER]
        R.check("alerts: the exporter was scraped throughout: no exporter-down alert active", not never,
                summary(never))
    finally:
        for f in reversed(restore):
            try:
                f()
            except Exception as e:  # noqa: BLE001 - restore the rest
                R.note(f"alerts: restoring: {type(e).__name__}: {e}")
        prom.stop()


def check_loaded(ctx, prom, nalert, nrecord):
    """Every rule of the files loaded and evaluated without error."""
    got = {}

    def evaluated():
        groups = prom.rules()
        rules = [r for g in groups for r in g["rules"]]
        got.update(alert=sum(1 for r in rules if r["type"] == "alerting"),
                   record=sum(1 for r in rules if r["type"] == "recording"),
                   bad=[(r["name"], r["health"], r.get("lastError")) for r in rules if r["health"] != "ok"])
        return got["alert"] == nalert and got["record"] == nrecord and not got["bad"]
    try:
        ctx.wait_until("every rule to be evaluated", evaluated, 60, 0.5)
        ctx.R.ok(f"alerts: Prometheus loaded {nalert} alerting and {nrecord} recording rules (for: {FOR}); every "
                 "one evaluates without error")
    except ctx.base.Abort:
        ctx.R.fail("alerts: Prometheus loads every rule and evaluates it without error",
                   f"want {nalert} alerting, {nrecord} recording; got {got}")


def prepare(ctx, restore):
    """A reservation on every node (pending jobs stay pending, the fill jobs use it); the nodes the
    workload drained or set down resumed, to be set back at the end."""
    run = ctx.run
    run(["scontrol", "create", "reservation", f"reservationname={RESERVATION}", "starttime=now",
         "duration=60:00", "nodes=ALL", "users=root", "flags=ignore_jobs,overlap"])
    restore.append(lambda: run(["scontrol", "delete", f"reservationname={RESERVATION}"], check=False))
    for n, kv in sorted(nodes(ctx).items()):
        st = kv.get("State", "")
        base = st.split("+")[0].rstrip("*~#%!$@^-")
        if base == "DOWN" or "DRAIN" in st:
            state = "down" if base == "DOWN" else "drain"
            run(["scontrol", "update", f"nodename={n}", "state=resume"])
            restore.append(lambda n=n, state=state, reason=kv["_reason"]: run(
                ["scontrol", "update", f"nodename={n}", f"state={state}", f"reason={reason or 'restored'}"]))

    def responding():
        return all("NOT_RESPONDING" not in kv.get("State", "") and "*" not in kv.get("State", "")
                   and not kv.get("State", "").startswith("DOWN") for kv in nodes(ctx).values())
    ctx.wait_until("every resumed node to answer", responding, 60, 0.5)


def fill(ctx, w):
    """Every free CPU taken (inside the reservation) while jobs pend."""
    R, run = ctx.R, ctx.run
    names = ("SlurmLowResources", "SlurmCpusNearlyExhausted")
    if not w.quiet("fill", names):
        return
    since = time.monotonic()
    made = []
    try:
        for n, kv in sorted(nodes(ctx).items()):
            free = int(kv.get("CPUEfctv", kv["CPUTot"])) - int(kv.get("CPUAlloc", 0))
            parts = [p for p in kv.get("Partitions", "").split(",") if p and p != "maint"]
            if free > 0 and parts:
                out = run(["sbatch", "--parsable", "--output=/dev/null", "--error=/dev/null", "-p", parts[0],
                           f"--reservation={RESERVATION}", "-w", n, "-N1", "-n1", f"-c{free}", "--mem=1", "-t", "10",
                           "--job-name=alerts-fill", "--wrap", "sleep 600"]).stdout
                made.append(out.strip().split(";")[0])
        # and one job that pends (outside the reservation every node is reserved)
        out = run(["sbatch", "--parsable", "--output=/dev/null", "--error=/dev/null", "-p", "debug", "-t", "10",
                   "--job-name=alerts-pend", "--wrap", "sleep 600"]).stdout
        made.append(out.strip().split(";")[0])

        def all_taken():
            a, i, o, t = (int(x) for x in run(["sinfo", "-h", "-o", "%C"]).stdout.strip().split("/"))
            return i == 0 and a > 0
        ctx.wait_until("every CPU to be allocated", all_taken, 90, 0.5)
        low = w.fired("fill", "SlurmLowResources", {}, since)
        w.fired("fill", "SlurmCpusNearlyExhausted", {}, since)
        if low:
            # the alert's value (allocated / configured CPUs) is sinfo's, read when it was stable
            seen = {}

            def same():
                a1, _, _, t1 = (int(x) for x in run(["sinfo", "-h", "-o", "%C"]).stdout.strip().split("/"))
                v = next((float(a["value"]) for a in w.active("SlurmLowResources")), None)
                a2, _, _, t2 = (int(x) for x in run(["sinfo", "-h", "-o", "%C"]).stdout.strip().split("/"))
                seen.update(alert=v, sinfo=(a1, t1, a2, t2))
                return (a1, t1) == (a2, t2) and v is not None and abs(v - a1 / t1) < 1e-9
            try:
                ctx.wait_until("the alert's value to equal sinfo's", same, 30, 1)
                R.ok(f"alerts: fill: SlurmLowResources's value {seen['alert']:g} is sinfo's allocated/total CPUs "
                     f"({seen['sinfo'][0]}/{seen['sinfo'][1]})")
            except ctx.base.Abort:
                R.fail("alerts: fill: SlurmLowResources's value is sinfo's allocated/total CPUs", seen)
    finally:
        if made:
            run(["scancel"] + made, check=False)
    for n in names:
        w.cleared("fill", n)


def broken_nodes(ctx, w):
    """One idle CPU node drained, another set DOWN; both resumed."""
    R, run = ctx.R, ctx.run
    names = ("SlurmPartitionNodesDrained", "SlurmPartitionNodesDown", "SlurmNodesDown")
    if not w.quiet("nodes", names):
        return
    ns = nodes(ctx)
    idle = [n for n, kv in sorted(ns.items()) if n.startswith("cn") and kv.get("State", "").split("+")[0] == "IDLE"
            and "DRAIN" not in kv.get("State", "") and int(kv.get("CPUAlloc", 0)) == 0]
    if len(idle) < 2:
        R.fail("alerts: nodes: two idle CPU nodes to drain and down", {n: kv.get("State") for n, kv in ns.items()})
        return
    drained, down = idle[0], idle[1]
    since = time.monotonic()
    try:
        run(["scontrol", "update", f"nodename={drained}", "state=drain", "reason=alert test"])
        run(["scontrol", "update", f"nodename={down}", "state=down", "reason=alert test"])
        for part in ns[drained]["Partitions"].split(","):
            w.fired("nodes", "SlurmPartitionNodesDrained", {"partition": part, "state": "drained"}, since)
        for part in ns[down]["Partitions"].split(","):
            w.fired("nodes", "SlurmPartitionNodesDown", {"partition": part, "state": "down"}, since)
        a = w.fired("nodes", "SlurmNodesDown", {}, since)
        if a:
            R.check("alerts: nodes: SlurmNodesDown's value is the one node set DOWN", float(a["value"]) == 1,
                    a.get("value"))
        extra = sorted({a["labels"].get("partition") for a in w.active("SlurmPartitionNodesDrained")}
                       - set(ns[drained]["Partitions"].split(",")))
        R.check(f"alerts: nodes: SlurmPartitionNodesDrained only for {drained}'s partitions "
                f"({ns[drained]['Partitions']})", not extra, extra)
    finally:
        run(["scontrol", "update", f"nodename={drained},{down}", "state=resume"], check=False)
    for n in names:
        w.cleared("nodes", n)


def controller(ctx, w):
    """slurmctld stopped, then started again."""
    R = ctx.R
    names = ("SlurmctldDown", "SlurmctldAllDown")
    if not w.quiet("controller", names):
        return
    ups = ctx.metrics().get("slurm_controller_up")
    if not R.check("alerts: controller: the exporter reports a controller up", ups and all(v == 1 for _, v in ups),
                   ups):
        return
    queued = set(ctx.run(["squeue", "-h", "-t", "pending", "-o", "%i"]).stdout.split())
    since = time.monotonic()
    p = ctx.run([ctx.base.HARNESS, "stop-daemon", "slurmctld"], env=ctx.cluster_env, check=False, timeout=120)
    if not R.check("alerts: controller: slurmctld stopped", p.returncode == 0, p.stderr[-500:]):
        return
    try:
        for labels, _ in ups:
            w.fired("controller", "SlurmctldDown", {k: labels[k] for k in ("controller", "role")}, since)
        w.fired("controller", "SlurmctldAllDown", {}, since)
    finally:
        p = ctx.run([ctx.base.HARNESS, "start-daemon", "slurmctld"], env=ctx.cluster_env, check=False, timeout=180)
        if R.check("alerts: controller: slurmctld started again", p.returncode == 0, p.stderr[-800:]):
            after = set(ctx.run(["squeue", "-h", "-o", "%i"]).stdout.split())
            R.check(f"alerts: controller: slurmctld recovered its queue ({len(queued)} pending jobs still there)",
                    queued <= after, sorted(queued - after))
    for n in names:
        w.cleared("controller", n)
