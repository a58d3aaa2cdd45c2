#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Three controllers, an exporter on each (--slurm.active-only), a real Prometheus scraping all
three: the failover and give-back as an operator sees them.

Starts `slurm-cluster start --controllers 3 --dbd` in its own directory and on its own ports,
then one exporter per controller with `slurm-cluster ctld-exec K` (host name ctlK: each finds
its controller by host name), all three sharing --slurm.ha-state-dir, plus a fourth, plain
exporter (no --slurm.active-only) as the single-exporter reference. Prometheus scrapes the three
as job `slurm` and the reference as job `single`, every second. The test submits a stream of
short jobs throughout, and:

  - before any failover exactly one exporter (ctl1's) is active and serves the cluster's
    series; the three together run as many Slurm commands (other than scontrol ping) per
    interval as the reference exporter;
  - slurmctld@1 stopped: once the harness says ctl2 is in control, ctl2's exporter serves
    within one poll interval;
  - slurmctld@1 started again: once ctl1 is in control, ctl1's exporter serves again;
  - over the whole run, at every 1 s step of Prometheus's record: how many exporters served
    the cluster's series (duplicates only within one poll interval of a change; none missing
    beyond SlurmctldTimeout plus one poll interval);
  - the counters: the finished jobs counted by the accounting collector and the jobs submitted
    counted from sdiag, summed over the three exporters' increments (Prometheus's counter
    semantics: a drop is a reset), equal what Slurm reports (sacct) for the stream.

Times are compared with the harness's answer (in-control) taken at the moment, never with the
wall clock alone; the measured figures are printed (`# ...`).

Prints `ok - NAME` / `not ok - NAME: DETAILS`; exits 1 if any check failed.
Environment: EXPORTER (the binary), SLURM_VERSION (22.05 by default; 24.11, 26.05 from a
chroot), PROMETHEUS (default /usr/bin/prometheus), IT_KEEP=1 keeps the state directory.
"""
import os
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import promsrv  # noqa: E402
import sexp  # noqa: E402

HARNESS = sexp.HARNESS
EXPORTER = os.environ.get("EXPORTER") or sexp.EXPORTER
PROMETHEUS = os.environ.get("PROMETHEUS") or "/usr/bin/prometheus"
SLURM_VERSION = os.environ.get("SLURM_VERSION") or "22.05"
STATE_DIR_PREFIX = "slurm-exporter-hait."
NODES = 4
POLL = 5  # every dataset but the ping
PING = 2  # the controllers dataset (who is in control)
SETTLE = 2  # --accounting.settle
CONTROL_TIMEOUT = 30  # Slurm's bound for a give-back (src/slurmctld/slurmctld.h)
STREAM = "ha-stream"  # the stream jobs' name
R = sexp.Report()
# the families whose series only the serving exporter has (a duplicate is a double count)
CLUSTER_FAMILIES = ("slurm_nodes", "slurm_jobs", "slurm_controller_up", "slurm_partition_nodes")


class Abort(Exception):
    pass


def run(cmd, env, timeout=120):
    try:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, 124, e.stdout or "", f"timed out after {timeout}s")


def pick_port_base():
    """Outside the defaults, test_exporter's 17900..19900, test_ha_harness's 26000..27900 and
    06_twoclusters' 24000..; each version from its own third of the range, so two versions'
    runs side by side do not race."""
    first = {"22.05": 20000, "24.11": 20600, "26.05": 21200}.get(SLURM_VERSION, 20000)
    base = sexp.cluster_port_base(list(range(first, 22000, 100)) + list(range(20000, first, 100)), NODES)
    if base is None:
        raise Abort("no free port range in 20000..21900")
    return base


def increments(values):
    """What Prometheus's increase() adds up over raw samples, without its extrapolation: every
    rise, and after a drop (a counter reset) the new value."""
    total, prev = 0.0, None
    for v in values:
        if prev is not None:
            total += v - prev if v >= prev else v
        prev = v
    return total


def spans(steps, pred):
    """Lengths (in steps) of the runs of consecutive steps where pred(value) holds."""
    out, n = [], 0
    for v in steps:
        if pred(v):
            n += 1
        elif n:
            out.append(n)
            n = 0
    if n:
        out.append(n)
    return out


class HATest:
    def __init__(self):
        self.workdir = None
        self.exporters = {}
        self.prom = None
        self.stream_stop = threading.Event()
        self.stream_go = threading.Event()  # clear: the stream pauses (see pause())
        self.stream_idle = threading.Event()
        self.stream_thread = None
        self.submitted = 0
        self.primed = 0
        self.submit_failed = 0

    # -- the cluster ---------------------------------------------------------------------------

    def harness(self, *args, timeout=180):
        return run([HARNESS, *args], env=self.cluster_env, timeout=timeout)

    def start_cluster(self):
        self.workdir = sexp.run_dir(STATE_DIR_PREFIX)
        self.cluster_dir = os.path.join(self.workdir, "cluster")
        self.cluster_env = dict(os.environ, SLURM_CLUSTER_DIR=self.cluster_dir,
                                SLURM_CLUSTER_PORT_BASE=str(pick_port_base()), SLURM_VERSION=SLURM_VERSION)
        p = self.harness("start", "--controllers", "3", "--nodes", str(NODES), "--dbd", timeout=900)
        if not R.check("cluster with three controllers starts", p.returncode == 0, p.stderr.strip()[-1500:]):
            raise Abort("no cluster")
        conf = re.search(r"export SLURM_CONF=(\S+)", p.stdout).group(1)
        b = re.search(r"export SLURM_CLUSTER_BIN=(\S+)", p.stdout)
        self.bin = b.group(1) if b else None
        self.env = dict(self.cluster_env, SLURM_CONF=conf)
        if self.bin:
            self.env["PATH"] = self.bin + os.pathsep + self.env.get("PATH", "/usr/bin:/bin")
        with open(conf) as f:
            m = re.search(r"^SlurmctldTimeout=(\d+)", f.read(), re.M)
        self.ctld_timeout = int(m.group(1)) if m else 120

    def in_control(self):
        p = self.harness("in-control", timeout=60)
        return p.stdout.strip() if p.returncode == 0 else None

    def wait_in_control(self, name, limit):
        got = sexp.wait_for(lambda: self.in_control() == name, limit, 0.5)
        return got, time.time()

    # -- exporters and Prometheus ------------------------------------------------------------

    def exporter(self, k, ha=True):
        """The exporter on controller k (ctld-exec: host name ctlK), or the plain reference."""
        flags = [f"--slurm.poll-interval={POLL}s", f"--slurm.poll-interval.controllers={PING}s",
                 "--collector.accounting", f"--accounting.settle={SETTLE}s", "--log.level=debug"]
        if self.bin:
            flags.append(f"--slurm.bin-path={self.bin}")
        name = f"ctl{k}" if ha else "single"
        if ha:
            flags += ["--slurm.active-only", f"--slurm.takeover-after={self.ctld_timeout}s",
                      f"--slurm.ha-state-dir={self.shared}"]
            wrapper = os.path.join(self.workdir, f"exporter-ctl{k}")
            sexp.write_file(wrapper, f'#!/bin/sh\nexport SLURM_CLUSTER_DIR="{self.cluster_dir}"\n'
                                     f'exec "{HARNESS}" ctld-exec {k} "{EXPORTER}" "$@"\n', 0o755)
            binary = wrapper
        else:
            flags.append(f"--accounting.state-file={os.path.join(self.workdir, 'single.state')}")
            binary = EXPORTER
        e = sexp.Exporter(binary, args=flags, env=self.env, log_path=os.path.join(self.workdir, f"{name}.log"),
                          exposition=False)
        self.exporters[name] = e
        return e

    def start_exporters(self):
        self.shared = os.path.join(self.workdir, "ha-state")
        os.mkdir(self.shared)
        for k in (1, 2, 3):
            self.exporter(k)
        self.exporter(0, ha=False)
        for name, e in self.exporters.items():
            if not R.check(f"exporter {name} ready", e.wait_ready(90), e.tail()):
                raise Abort("an exporter is not ready")
        self.prom = promsrv.Prom(PROMETHEUS, self.workdir, "prom", None, (), targets={
            "slurm": [self.exporters[f"ctl{k}"].port for k in (1, 2, 3)],
            "single": [self.exporters["single"].port]})
        self.inst = {f"ctl{k}": f"127.0.0.1:{self.exporters[f'ctl{k}'].port}" for k in (1, 2, 3)}

    def m(self, name):
        return self.exporters[name].metrics()

    def serving(self, name):
        """The exporter serves the cluster's series (slurm_nodes)."""
        try:
            return any(k.startswith("slurm_nodes{") for k in self.m(name))
        except Exception:
            return False

    def q(self, query):
        ok, res, err = self.prom.query(query)
        if not ok:
            raise Abort(f"query {query}: {err}")
        return res

    # -- the job stream ------------------------------------------------------------------------

    def stream(self):
        """Short jobs, one every ~1.5 s, whichever controller is in control (a submission that
        fails while none is, is counted as failed, not as submitted)."""
        while not self.stream_stop.is_set():
            if not self.stream_go.is_set():
                self.stream_idle.set()
                self.stream_go.wait(1)
                continue
            self.stream_idle.clear()
            p = run(["sbatch", "-J", STREAM, "-p", "debug", "-A", "physics", "-o", "/dev/null", "--wrap", "sleep 1"],
                    env=self.env, timeout=60)
            if p.returncode == 0:
                self.submitted += 1
            else:
                self.submit_failed += 1
            self.stream_stop.wait(1.5)

    def slurm_stream_jobs(self):
        """Slurm's own record of the stream: {state: count} of its jobs (sacct)."""
        p = run(["sacct", "-X", "-n", "-P", "-a", "--name", STREAM, "-S", "now-2hours", "-o", "JobID,State"],
                env=self.env, timeout=60)
        states = {}
        for line in p.stdout.splitlines():
            parts = line.split("|")
            if len(parts) == 2 and parts[0].isdigit():
                st = parts[1].split()[0]
                states[st] = states.get(st, 0) + 1
        return states

    def pause(self):
        """Stops the stream and waits until every job it submitted is in the exporters'
        sdiag totals (their current values summed: the active one's own, the others' frozen):
        the jobs submitted just before a controller stops would otherwise be in the statistics
        of a slurmctld that dies before any exporter polls them again, which no exporter, one
        or three, can count (sdiag's counters are not saved)."""
        self.stream_go.clear()
        self.stream_idle.wait(90)

        last = {}

        def seen():
            for n in ("ctl1", "ctl2", "ctl3"):
                last[n] = self.m(n).get("slurm_scheduler_jobs_submitted_total")
            return sum(v or 0 for v in last.values()) >= self.submitted
        if sexp.wait_for(seen, 4 * POLL + 30, 0.5):
            return True
        key = 'slurm_exporter_dataset_fetches_total{dataset="scheduler",result="success"}'
        fetched = {n: self.m(n).get(key) for n in last}
        R.note(f"sdiag totals {last} for {self.submitted} jobs submitted; sdiag fetches: {fetched}")
        return False

    def resume(self):
        self.stream_go.set()

    # -- the run -------------------------------------------------------------------------------

    def run(self):
        self.start_cluster()
        self.start_exporters()
        T, iv = self.ctld_timeout, POLL
        # 1. before any failover: ctl1's exporter alone serves
        ok = sexp.wait_for(lambda: self.serving("ctl1") and not self.serving("ctl2") and not self.serving("ctl3"),
                           60, 0.5)
        act = {n: self.m(n).get("slurm_exporter_active") for n in ("ctl1", "ctl2", "ctl3")}
        R.check("before failover: ctl1 in control, only ctl1's exporter active and serving",
                ok and self.in_control() == "ctl1" and act == {"ctl1": 1, "ctl2": 0, "ctl3": 0}, act)
        m1 = self.m("ctl1")
        R.check("the exporters find their controllers by host name",
                m1.get('slurm_exporter_controller_info{controller="ctl1",in_control="ctl1"}') == 1,
                {k: v for k, v in m1.items() if "controller_info" in k})
        # Slurm commands other than the ping: the three HA exporters against the reference,
        # over a minute of Prometheus's record
        fetches = 'sum by (dataset) (increase(slurm_exporter_dataset_fetches_total{job="%s",dataset!="controllers"}[60s]))'
        minute = 'min(count_over_time(up{job=~"slurm|single"}[60s]))'
        R.check("a minute of Prometheus's record of all four exporters",
                sexp.wait_for(lambda: float((self.q(minute) or [{"value": [0, "0"]}])[0]["value"][1]) >= 60,
                              120, 1), self.q(minute))
        ha = {r["metric"]["dataset"]: float(r["value"][1]) for r in self.q(fetches % "slurm")}
        single = {r["metric"]["dataset"]: float(r["value"][1]) for r in self.q(fetches % "single")}
        pings = {r["metric"]["job"]: float(r["value"][1]) for r in self.q(
            'sum by (job) (increase(slurm_exporter_dataset_fetches_total{dataset="controllers"}[60s]))')}
        R.note(f"Slurm commands per minute but pings: three active-only exporters {sum(ha.values()):.1f}, "
               f"one plain exporter {sum(single.values()):.1f}; scontrol ping per minute: "
               f"{pings.get('slurm', 0):.1f} (three, every {PING}s each) vs {pings.get('single', 0):.1f}")
        R.check("RPCs: the three exporters run the commands of one (per dataset, within one refresh)",
                set(ha) == set(single) and all(abs(ha[d] - single[d]) <= 1.5 for d in ha), (ha, single))

        # one job first: the accounting collector's series for it exist (at 0 on the standbys)
        # before the window opens; a series' first sample is never counted by increase()
        self.stream_thread = threading.Thread(target=self.stream, daemon=True)
        self.stream_thread.start()
        self.resume()
        sexp.wait_for(lambda: self.submitted >= 1, 60, 0.2)
        self.stream_go.clear()
        self.stream_idle.wait(60)
        self.primed = self.submitted
        key = 'slurm_accounting_jobs_total{partition="debug",account="physics",state="completed"}'

        def primed():
            return all(self.m(n).get(key) is not None for n in self.exporters)
        R.check("the first job is counted and its accounting series served by every exporter (0 on standbys)",
                sexp.wait_for(primed, 120, 1), {n: self.m(n).get(key) for n in self.exporters})
        # the stream goes on; the counters' window opens here
        t_start = time.time()
        self.resume()
        sexp.wait_for(lambda: self.submitted >= 5, 60, 0.5)

        # 2. failover: slurmctld@1 stops, ctl2 takes control, ctl2's exporter serves; the
        # stream goes on as soon as ctl2 is in control, before its exporter has polled
        R.check("before the failover: the exporters' sdiag totals hold every job submitted", self.pause(),
                self.submitted)
        p = self.harness("stop-daemon", "slurmctld@1")
        t_stop = time.time()
        R.check("slurmctld@1 stopped", p.returncode == 0, p.stderr[-500:])
        got, t_ctl2 = self.wait_in_control("ctl2", T + 60)
        self.resume()
        R.check("ctl2 takes control", got, self.in_control())
        ok = sexp.wait_for(lambda: self.serving("ctl2"), T + 2 * iv + 30, 0.25)
        t_serve2 = time.time()
        R.note(f"failover: ctl2 in control {t_ctl2 - t_stop:.1f}s after slurmctld@1 stopped; its exporter "
               f"served {t_serve2 - t_ctl2:+.1f}s after that (SlurmctldTimeout {T}s, poll interval {iv}s)")
        R.check(f"failover: ctl2's exporter serves within one poll interval ({iv}s) of ctl2 taking control",
                ok and t_serve2 - t_ctl2 <= iv + PING + 1, round(t_serve2 - t_ctl2, 1))
        sexp.wait_for(lambda: not self.serving("ctl1"), iv + 30, 0.25)
        R.check("failover: ctl1's exporter stands by", self.m("ctl1").get("slurm_exporter_active") == 0
                and not self.serving("ctl1"), self.m("ctl1").get("slurm_exporter_active"))
        sexp.wait_for(lambda: self.submitted >= 15, 90, 0.5)

        # 3. give-back: slurmctld@1 starts, takes control back, ctl1's exporter serves
        R.check("before the give-back: the exporters' sdiag totals hold every job submitted", self.pause(),
                self.submitted)
        p = self.harness("start-daemon", "slurmctld@1", timeout=300)
        t_start1 = time.time()
        R.check("slurmctld@1 started again", p.returncode == 0, p.stderr[-500:])
        got, t_ctl1 = self.wait_in_control("ctl1", CONTROL_TIMEOUT + 60)
        self.resume()
        R.check("ctl1 takes control back", got, self.in_control())
        ok = sexp.wait_for(lambda: self.serving("ctl1"), 2 * iv + 30, 0.25)
        t_serve1 = time.time()
        R.note(f"give-back: ctl1 in control {t_ctl1 - t_start1:.1f}s after slurmctld@1 started; its exporter "
               f"served {t_serve1 - t_ctl1:+.1f}s after that")
        R.check(f"give-back: ctl1's exporter serves within one poll interval ({iv}s) of ctl1 taking control",
                ok and t_serve1 - t_ctl1 <= iv + PING + 1, round(t_serve1 - t_ctl1, 1))
        sexp.wait_for(lambda: not self.serving("ctl2"), 120, 0.5)
        R.check("give-back: ctl2's exporter stands by again", not self.serving("ctl2")
                and self.m("ctl2").get("slurm_exporter_active") == 0, "")
        sexp.wait_for(lambda: self.submitted >= 25, 90, 0.5)

        # 4. the stream ends; every job ends and is counted (settle + a refresh), as Prometheus
        # recorded it: the judgement waits for the record to reach Slurm's count, then compares
        self.pause()
        self.stream_stop.set()
        self.stream_thread.join(90)
        sexp.wait_for(lambda: not run(["squeue", "-h", "-n", STREAM], env=self.env).stdout.strip(), 120, 1)
        truth = self.slurm_stream_jobs()
        n = sum(truth.values())

        def recorded():
            t = time.time()
            return (self.counter_increments('slurm_accounting_jobs_total{job="slurm"}', t_start, t) >= n and
                    self.counter_increments('slurm_accounting_jobs_total{job="single"}', t_start, t) >= n and
                    self.counter_increments('slurm_scheduler_jobs_submitted_total{job="slurm"}', t_start, t) >=
                    self.submitted - self.primed)
        sexp.wait_for(recorded, 120, 2)
        t_end = time.time()
        self.judge(t_start, t_end, truth)
        R.note(f"stream: {self.submitted} jobs submitted, {self.submit_failed} submissions refused while no "
               f"controller was in control; Slurm's record: {truth}")

    def judge(self, t0, t1, truth):
        """The record of the whole run, step by step, and the counters' increments."""
        ok, res, err = self.prom.query_range(
            'count(count by (instance) ({job="slurm",__name__=~"%s"}))' % "|".join(CLUSTER_FAMILIES),
            t0, t1, 1)
        by_t = {int(float(t)): int(float(v)) for r in res for t, v in r["values"]}
        steps = [by_t.get(t, 0) for t in range(int(t0) + 1, int(t1))]
        dups, gaps = spans(steps, lambda v: v > 1), spans(steps, lambda v: v == 0)
        T, iv = self.ctld_timeout, POLL
        R.note(f"record of {len(steps)} s: several exporters serving in runs of {dups or [0]} s, none in runs of "
               f"{gaps or [0]} s")
        R.check(f"never two exporters serving for longer than one poll interval ({iv}s) plus a scrape",
                ok and max(dups or [0]) <= iv + 1, (dups, err))
        R.check(f"never no exporter serving for longer than SlurmctldTimeout + one interval ({T + iv}s)",
                ok and max(gaps or [0]) <= T + iv + 1, (gaps, err))
        # duplicates family by family, series by series, as an operator's sum() would meet them
        worst = {}
        for f in CLUSTER_FAMILIES:
            ok, res, err = self.prom.query_range(f'max(count without (instance) ({f}{{job="slurm"}}))', t0, t1, 1)
            worst[f] = max((int(float(v)) for r in res for _, v in r["values"]), default=0)
        R.check("each series of the cluster's families: at most 2 copies at any step (a handover), never 3",
                all(1 <= w <= 2 for w in worst.values()), worst)
        # counters: increments summed over the three exporters, against Slurm
        n_jobs = sum(truth.values()) - self.primed
        got = self.counter_increments('slurm_accounting_jobs_total{job="slurm"}', t0, t1)
        ref = self.counter_increments('slurm_accounting_jobs_total{job="single"}', t0, t1)
        R.note(f"accounting: finished jobs counted over the run: three exporters {got:g}, reference {ref:g}, "
               f"Slurm (sacct) {n_jobs}")
        R.check("accounting: the three exporters' increments add up to Slurm's finished jobs, no jump, none "
                "twice", got == n_jobs, (got, n_jobs, truth))
        R.check("accounting: the single reference exporter counts the same", ref == n_jobs, (ref, n_jobs))
        # sdiag counts the submissions Slurm accepted: sbatch printed a job id for each (sacct may
        # lack some: on 26.05 the jobs a backup ran while in control did not reach slurmdbd here)
        accepted = self.submitted - self.primed
        sub = self.counter_increments('slurm_scheduler_jobs_submitted_total{job="slurm"}', t0, t1)
        sub1 = self.counter_increments('slurm_scheduler_jobs_submitted_total{job="single"}', t0, t1)
        per = {n: self.counter_increments(f'slurm_scheduler_jobs_submitted_total{{instance="{i}"}}', t0, t1)
               for n, i in self.inst.items()}
        R.note(f"scheduler: jobs submitted over the run, summed over the three exporters: {sub:g} ({per}); "
               f"the reference exporter {sub1:g} (one exporter misses what a slurmctld counted after its last "
               f"poll of it); the stream: {accepted} jobs accepted")
        if not R.check("scheduler: sdiag's jobs submitted, summed over the three exporters, equal the jobs Slurm "
                       "accepted", sub == accepted, (sub, accepted)):
            self.dump('slurm_scheduler_jobs_submitted_total|slurm_scheduler_jobs_since_reset'
                      '|slurm_scheduler_stats_reset_timestamp_seconds|slurm_exporter_active', t0, t1)
        ok, res, _ = self.prom.query(f'sum(increase(slurm_accounting_jobs_total{{job="slurm"}}[{int(t1 - t0)}s]))')
        R.note(f"PromQL sum(increase(slurm_accounting_jobs_total[{int(t1 - t0)}s])) over the three: "
               f"{float(res[0]['value'][1]) if ok and res else 'none'} (extrapolated)")

    def dump(self, names, t0, t1):
        """Each series of the families `names` (a regex) over the run: its changes (time, value)."""
        ok, res, _ = self.prom.query_range('{__name__=~"%s",event=~"submitted|"}' % names, t0, t1, 1)
        for r in res:
            vals = [(round(float(t) - t0), float(v)) for t, v in r["values"]]
            ch = [vals[0]] + [vals[i] for i in range(1, len(vals)) if vals[i][1] != vals[i - 1][1]]
            R.note(f"  {r['metric'].get('__name__')} {r['metric'].get('instance')} {r['metric'].get('job')}: {ch[:20]}")

    def counter_increments(self, selector, t0, t1):
        """Sum over every series (and instance) of its increments in [t0, t1], from raw samples."""
        ok, res, err = self.prom.query_range(selector, t0, t1, 1)
        if not ok:
            raise Abort(f"query_range {selector}: {err}")
        return sum(increments([float(v) for _, v in r["values"]]) for r in res)

    def stop(self):
        self.stream_stop.set()
        if self.stream_thread:
            self.stream_thread.join(90)
        if self.prom:
            self.prom.stop()
        for name, e in self.exporters.items():
            rc, _ = e.stop()
            log = e.logtext()
            R.check(f"exporter {name} exits cleanly (no sanitizer report)", rc == 0 and "Sanitizer" not in log,
                    log[-600:])
        if self.workdir and os.path.exists(os.path.join(self.cluster_dir, ".slurm-cluster")):
            p = self.harness("stop", timeout=300)
            R.check("cluster stops cleanly", p.returncode == 0, p.stderr[-800:])
        if self.workdir and not os.environ.get("IT_KEEP"):
            shutil.rmtree(self.workdir, ignore_errors=True)


def main():
    t = HATest()
    try:
        t.run()
    except Abort as ex:
        R.fail("aborted", str(ex))
    except Exception as ex:  # a crashed test is a failed test
        R.fail("crashed", repr(ex))
    finally:
        t.stop()
    sys.exit(1 if R.failures else 0)


if __name__ == "__main__":
    main()
