#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The real-Slurm harness with three controllers: failover and give-back.

Starts `slurm-cluster start --controllers 3 --dbd` in its own directory and on its own ports
(so it can run beside a whole test run), then: ctl1 is in control and every controller answers
ping, each on its own address; a job is submitted; slurmctld@1 is stopped (SIGTERM) and ctl2
must take control (squeue and sinfo work, the job is still known); slurmctld@1 is started
again and must get control back; ctl1 and ctl2 are stopped and ctl3 must take control; with
every controller stopped `in-control` prints nothing and exits 1; all are started again and
ctl1 is in control; `ctld-exec K hostname` prints ctlK; `stop` leaves no process and (for a
chroot version) no mount behind.

Every wait polls with a deadline (SlurmctldTimeout plus a margin for a takeover; Slurm's
CONTROL_TIMEOUT, 30 s, plus a margin for a give-back); the measured times are printed as
information (`# ...`), never asserted.

Prints `ok - NAME` / `not ok - NAME: DETAILS`; exits 1 if any check failed.
Environment: SLURM_VERSION (22.05, the host's, by default; 24.11 and 26.05 run from a chroot),
IT_KEEP=1 keeps the state directory.
"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sexp  # noqa: E402

HARNESS = sexp.HARNESS
SLURM_VERSION = os.environ.get("SLURM_VERSION") or "22.05"
STATE_DIR_PREFIX = "slurm-exporter-ha."
NODES = 4
CONTROLLERS = 3
CONTROL_TIMEOUT = 30  # Slurm's CONTROL_TIMEOUT (src/slurmctld/slurmctld.h): a give-back's bound
R = sexp.Report()


class Abort(Exception):
    pass


def run(cmd, env, timeout=120):
    try:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, 124, e.stdout or "", f"timed out after {timeout}s")


def pick_port_base():
    """A base outside the defaults (17800, 18000, 18200), test_exporter's 17900..19900,
    20400..20999, test_trace_wrapper's 22100.. and 06_twoclusters' 24000..."""
    base = sexp.cluster_port_base(range(26000, 28000, 100), NODES)
    if base is None:
        raise Abort("no free port range for the cluster in 26000..28000")
    return base


class HA:
    def __init__(self):
        self.workdir = None
        self.env = None
        self.cdir = None
        self.base = None
        self.started = False

    def h(self, *args, timeout=180):
        return run([HARNESS, *args], self.env, timeout)

    def in_control(self):
        p = self.h("in-control", timeout=60)
        return p.returncode, p.stdout.strip()

    def wait_control(self, want, limit):
        """Seconds until in-control says exactly `want`; None when it does not within `limit`."""
        t = time.monotonic()
        try:
            sexp.wait_until(f"{want} in control", lambda: self.in_control() == (0, want), limit, 0.25)
        except sexp.WaitTimeout:
            return None
        return time.monotonic() - t

    def slurm(self, *cmd, timeout=60):
        return run(list(cmd), self.env, timeout)

    def start(self):
        self.workdir = sexp.run_dir(STATE_DIR_PREFIX)
        self.cdir = os.path.join(self.workdir, "cluster")
        self.base = pick_port_base()
        self.env = dict(os.environ, SLURM_CLUSTER_DIR=self.cdir, SLURM_CLUSTER_PORT_BASE=str(self.base),
                        SLURM_VERSION=SLURM_VERSION)
        for k in ("SLURM_CONF", "SLURM_CLUSTER_CONTROLLERS"):
            self.env.pop(k, None)
        t = time.monotonic()
        self.started = True
        p = self.h("start", "--controllers", str(CONTROLLERS), "--dbd", "--nodes", str(NODES), timeout=900)
        took = time.monotonic() - t
        if not R.check(f"Slurm {SLURM_VERSION}: a cluster with {CONTROLLERS} controllers and slurmdbd starts",
                       p.returncode == 0, p.stderr.strip()[-1500:]):
            raise Abort("no cluster")
        for line in p.stdout.splitlines():
            m = re.match(r"export (SLURM_CONF|SLURM_CLUSTER_BIN)=(\S+)", line)
            if m:
                self.env[m.group(1)] = m.group(2)
        if "SLURM_CLUSTER_BIN" in self.env:
            self.env["PATH"] = self.env["SLURM_CLUSTER_BIN"] + os.pathsep + self.env["PATH"]
        R.note(f"cluster start {took:.1f}s in {self.cdir}, port base {self.base}")

    def conf_value(self, key):
        with open(self.env["SLURM_CONF"]) as f:
            for line in f:
                if line.startswith(key + "="):
                    return line.split("=", 1)[1].strip()
        return None

    def pinged(self):
        """{ctlK: True when `scontrol ping` says it is UP}."""
        p = self.slurm("scontrol", "ping")
        return {m.group(1): m.group(2) == "UP" for m in re.finditer(r" at (ctl\d+) is (\w+)", p.stdout)}

    def job_known(self, job):
        p = self.slurm("squeue", "-h", "-j", job, "-o", "%i %T")
        return p.returncode == 0 and p.stdout.split()[:1] == [job], (p.returncode, p.stdout.strip(), p.stderr.strip())

    def after_takeover(self, who, job):
        """squeue and sinfo work (through the cluster's slurm.conf, which lists every controller)
        and the job is known, while `who` stays in control."""
        known, why = self.job_known(job)
        R.check(f"{who} in control: squeue knows job {job}", known, why)
        p = self.slurm("sinfo", "-h", "-N", "-o", "%N")
        nodes = set(p.stdout.split())
        R.check(f"{who} in control: sinfo lists the {NODES} nodes", p.returncode == 0 and len(nodes) == NODES,
                (p.returncode, sorted(nodes), p.stderr.strip()))
        R.check(f"{who} still in control after those", self.in_control() == (0, who), self.in_control())

    def processes_of_cluster(self):
        """Processes whose command line or working directory names the state directory."""
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                continue
            if self.cdir in cmd or cwd.startswith(self.cdir):
                out.append(f"{pid}: {cmd[:120]}")
        return out

    def run_checks(self):
        timeout = int(self.conf_value("SlurmctldTimeout") or 120)
        takeover_limit = timeout * 3 + 30
        giveback_limit = CONTROL_TIMEOUT + timeout + 60
        R.note(f"SlurmctldTimeout={timeout}; deadlines: takeover {takeover_limit}s, give-back {giveback_limit}s")

        R.check("ctl1 is in control after start", self.in_control() == (0, "ctl1"), self.in_control())
        pings = self.pinged()
        R.check("every controller answers ping", pings == {f"ctl{k}": True for k in range(1, CONTROLLERS + 1)}, pings)
        port = int(self.conf_value("SlurmctldPort"))
        p = run(["ss", "-Htln", f"sport = :{port}"], self.env, 30)
        addrs = sorted(line.split()[3].rsplit(":", 1)[0] for line in p.stdout.splitlines() if line.strip())
        R.check("each controller listens on its own address (NoCtldInAddrAny)",
                addrs == ["127.0.0.1", "127.0.0.12", "127.0.0.13"], addrs)
        st = self.h("status")
        R.check("status reports each controller, ctl1 in control and the others standby",
                st.returncode == 0
                and re.search(r"^slurmctld@1 ctl1 .*in control", st.stdout, re.M)
                and all(re.search(rf"^slurmctld@{k} ctl{k} .*standby", st.stdout, re.M)
                        for k in range(2, CONTROLLERS + 1)), st.stdout + st.stderr)

        p = self.slurm("sbatch", "--parsable", "-o", "/dev/null", "--wrap", "sleep 900")
        job = p.stdout.strip().split(";")[0]
        if not R.check("a job is submitted", p.returncode == 0 and job.isdigit(), (p.stdout, p.stderr)):
            raise Abort("no job")

        # ctl1 stops: ctl2 takes control
        t = time.monotonic()
        p = self.h("stop-daemon", "slurmctld@1")
        R.check("stop-daemon slurmctld@1", p.returncode == 0, p.stderr.strip())
        took = self.wait_control("ctl2", takeover_limit)
        if R.check("ctl1 stopped: ctl2 takes control", took is not None, self.in_control()):
            R.note(f"takeover by ctl2: {time.monotonic() - t:.1f}s after stop-daemon slurmctld@1 was called")
            self.after_takeover("ctl2", job)

        # ctl1 starts again: ctl2 gives control back
        t = time.monotonic()
        p = self.h("start-daemon", "slurmctld@1")
        R.check("start-daemon slurmctld@1", p.returncode == 0, p.stderr.strip())
        took = self.wait_control("ctl1", giveback_limit)
        if R.check("ctl1 started again: ctl2 gives control back to ctl1", took is not None, self.in_control()):
            R.note(f"give-back to ctl1: {time.monotonic() - t:.1f}s after start-daemon slurmctld@1 was called")
            known, why = self.job_known(job)
            R.check(f"ctl1 back in control: squeue knows job {job}", known, why)

        # ctl1 and ctl2 stop: ctl3 takes control
        t = time.monotonic()
        p1 = self.h("stop-daemon", "slurmctld@1")
        p2 = self.h("stop-daemon", "slurmctld@2")
        R.check("stop-daemon slurmctld@1 and slurmctld@2", p1.returncode == 0 and p2.returncode == 0,
                p1.stderr.strip() + p2.stderr.strip())
        took = self.wait_control("ctl3", takeover_limit)
        if R.check("ctl1 and ctl2 stopped: ctl3 takes control", took is not None, self.in_control()):
            R.note(f"takeover by ctl3: {time.monotonic() - t:.1f}s after both were stopped")
            self.after_takeover("ctl3", job)

        # no controller at all
        p = self.h("stop-daemon", "slurmctld")
        R.check("stop-daemon slurmctld stops every controller", p.returncode == 0, p.stderr.strip())
        rc, out = self.in_control()
        R.check("no controller running: in-control prints nothing and exits 1", (rc, out) == (1, ""), (rc, out))

        # restore: all start again, ctl1 ends up in control
        t = time.monotonic()
        p = self.h("start-daemon", "slurmctld")
        R.check("start-daemon slurmctld starts every controller", p.returncode == 0, p.stderr.strip())
        took = self.wait_control("ctl1", giveback_limit)
        if R.check("all started again: ctl1 in control", took is not None, self.in_control()):
            R.note(f"ctl1 in control {time.monotonic() - t:.1f}s after start-daemon slurmctld was called")
        all_up = {f"ctl{k}": True for k in range(1, CONTROLLERS + 1)}
        pings = sexp.wait_for(lambda: self.pinged() == all_up, timeout=giveback_limit, interval=0.5)
        R.check("every controller answers ping again", pings, self.pinged())
        known, why = self.job_known(job)
        R.check(f"squeue still knows job {job}", known, why)
        st = self.h("status")
        R.check("status: every recorded daemon is alive", st.returncode == 0, st.stdout + st.stderr)

        for k in range(1, CONTROLLERS + 1):
            p = self.h("ctld-exec", str(k), "hostname")
            R.check(f"ctld-exec {k} hostname prints ctl{k}", p.returncode == 0 and p.stdout.strip() == f"ctl{k}",
                    (p.returncode, p.stdout, p.stderr))
        p = self.h("ctld-exec", "2", "sh", "-c", 'echo "$SLURM_CONF"; getent hosts ctl2')
        R.check("ctld-exec sets SLURM_CONF and resolves ctl2 to 127.0.0.12",
                p.returncode == 0 and p.stdout.split()[:2] == [self.env["SLURM_CONF"], "127.0.0.12"], p.stdout)

    def stop(self):
        if not self.started:
            return
        p = self.h("stop")
        R.check("cluster stops cleanly", p.returncode == 0, p.stderr.strip()[-800:])
        left = self.processes_of_cluster()
        R.check("stop leaves no process of the cluster running", not left, left)
        mounts = [m for m in run(["findmnt", "-rn", "-o", "TARGET"], self.env, 30).stdout.splitlines()
                  if m.endswith(self.cdir) or (self.cdir + "/") in m]
        R.check("stop leaves no mount of the cluster's directory", not mounts, mounts)
        if os.environ.get("IT_KEEP") == "1":
            R.note(f"kept {self.workdir}")
        else:
            self.h("clean")
            shutil.rmtree(self.workdir, ignore_errors=True)


def main():
    if os.geteuid() != 0:
        print("not ok - must run as root (the harness starts munged, slurmd and namespaces)")
        return 1
    ha = HA()
    try:
        ha.start()
        ha.run_checks()
    except Abort as e:
        R.fail("aborted", str(e))
    finally:
        ha.stop()
    print(f"# {R.passed} passed, {R.failures} failed", flush=True)
    return 1 if R.failures else 0


if __name__ == "__main__":
    sys.exit(main())
