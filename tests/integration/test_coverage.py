#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end test of the collectors beyond the core three, against a real Slurm (22.05, or
24.11 or 26.05 from a chroot: SLURM_VERSION, see tests/README.md) with
slurmdbd (MariaDB) and accounting, and a real Prometheus.

One throw-away cluster (tests/harness/slurm-cluster start --dbd) is shared by every check
module in tests/integration/coverage/ (each a collector or a feature: scheduler, fairshare,
limits, licenses, reservations, node, accounting, compat, trace, ...). A module may define:

  NAME                 short name used in check names
  FLAGS                exporter flags it needs (all modules' flags are combined)
  setup(ctx)           create its situations on the cluster (runs before the exporter starts)
  check(ctx)           compare what the exporter serves with Slurm's own answer

Modules run in file-name order; a module that raises is reported as one failed check and the
others still run. ctx: ctx.R (report: ok/fail/check/note), ctx.env (Slurm client environment),
ctx.cluster_env, ctx.workdir, ctx.run(cmd, ...), ctx.exporter (base.Exporter, started with
every module's FLAGS), ctx.metrics() (a fresh base.Exposition), ctx.wait_until(what, fn,
timeout), ctx.exporter_bin, ctx.start_exporter(name, extra_flags) for a second exporter
(stopped, and its exit and log checked, when the module's check returns), ctx.base
(test_exporter module: Exposition, http, run, Abort, ...).

Prints `ok - NAME` / `not ok - NAME: DETAILS` per check; exits 1 if any failed.
Environment: EXPORTER, PROMETHEUS, PROMTOOL as test_exporter.py; IT_KEEP=1 keeps the state;
COVERAGE_ONLY=a,b runs only those modules.
"""
import importlib.util
import os
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_exporter as base  # noqa: E402

R = base.R


def load_modules():
    only = {x for x in os.environ.get("COVERAGE_ONLY", "").split(",") if x}
    mods = []
    d = os.path.join(HERE, "coverage")
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".py") or fn.startswith("_"):
            continue
        name = fn[:-3]
        if only and name not in only and name.split("_", 1)[-1] not in only:
            continue
        spec = importlib.util.spec_from_file_location(f"coverage_{name}", os.path.join(d, fn))
        m = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m)
        mods.append(m)
    return mods


class Ctx:
    def __init__(self, run_):
        self._run = run_
        self.R = R
        self.base = base
        self.env = run_.env
        self.cluster_env = run_.cluster_env
        self.workdir = run_.workdir
        self.exporter_bin = run_.exporter_bin
        self.exporter = None

    def run(self, cmd, **kw):
        kw.setdefault("env", self.env)
        return base.run(cmd, **kw)

    def metrics(self):
        return self.exporter.metrics()

    def wait_until(self, what, fn, timeout, interval=0.25):
        return base.wait_until(what, fn, timeout, interval)

    def start_exporter(self, name, extra=()):
        exp = base.Exporter(self.exporter_bin, self.workdir, self.env, name, extra)
        self._run.exporters.append(exp)
        exp.wait_ready(30)
        return exp


class CoverageRun(base.Run):
    def main(self):
        if not R.check("exporter binary present", os.access(self.exporter_bin, os.X_OK),
                       f"{self.exporter_bin} not found or not executable (run make)"):
            return
        mods = load_modules()
        self.start_cluster()
        ctx = Ctx(self)
        for m in mods:
            if hasattr(m, "setup"):
                try:
                    m.setup(ctx)
                except Exception as e:  # noqa: BLE001 - one failed check, the rest run
                    R.fail(f"{getattr(m, 'NAME', m.__name__)}: setup", f"{type(e).__name__}: {e}")
                    traceback.print_exc()
        flags = []
        for m in mods:
            for f in getattr(m, "FLAGS", ()):
                if f not in flags:
                    flags.append(f)
        exp = base.Exporter(self.exporter_bin, self.workdir, self.env, "exporter", flags)
        self.exporters.append(exp)
        exp.wait_ready(30)
        R.ok(f"exporter ready with {' '.join(flags)}")
        ctx.exporter = exp
        for m in mods:
            if not hasattr(m, "check"):
                continue
            t = time.monotonic()
            before = list(self.exporters)
            try:
                m.check(ctx)
            except Exception as e:  # noqa: BLE001
                R.fail(f"{getattr(m, 'NAME', m.__name__)}: checks", f"{type(e).__name__}: {e}")
                traceback.print_exc()
            # the module's own exporters stop with it: each polls Slurm every second, and left
            # running they would load slurmctld, slurmdbd and the machine under later modules
            for e in [e for e in self.exporters if e not in before]:
                self.retire(e)
            R.note(f"{getattr(m, 'NAME', m.__name__)}: {time.monotonic() - t:.1f}s")
        base.sexp.record_families(exp.metrics())


def main():
    if os.geteuid() != 0:
        print("not ok - runs as root: the Slurm cluster needs root", flush=True)
        return 1

    def on_signal(sig, _frame):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)

    class Args:
        dbd = True
        nodes = 6
    t0 = time.monotonic()
    r = CoverageRun(Args())
    try:
        r.main()
    except base.Abort as e:
        R.fail("test aborted", str(e))
    except KeyboardInterrupt as e:
        R.fail("test interrupted", str(e))
    except Exception as e:  # noqa: BLE001
        R.fail("test crashed", f"{type(e).__name__}: {e}")
        traceback.print_exc()
    finally:
        try:
            r.cleanup()
        except Exception as e:  # noqa: BLE001
            R.fail("cleanup", f"{type(e).__name__}: {e}")
    print(f"# {R.passed} passed, {len(R.failed)} failed in {time.monotonic() - t0:.1f}s", flush=True)
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
