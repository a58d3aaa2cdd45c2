# SPDX-License-Identifier: Apache-2.0
"""Scheduler collector (sdiag): the exporter's values against sdiag run around them, and its
counters across `sdiag --reset` (they must not go down, and must count what came after)."""
import re
import time

NAME = "scheduler"
FLAGS = ["--slurm.poll-interval.scheduler=2s"]


def sdiag(ctx, *args):
    p = ctx.run(["sdiag", *args])
    text = p.stdout

    def num(rx):
        m = re.search(rx, text, re.M)
        return int(m.group(1)) if m else None

    rpc = {}
    section = None
    for line in text.splitlines():
        if line.startswith("Remote Procedure Call statistics by message type"):
            section = "type"
        elif line.startswith("Remote Procedure Call statistics by user"):
            section = "user"
        elif not line.startswith("\t"):
            section = None if line.strip() else section
        elif section:
            m = re.match(r"\s*(\S+)\s+\(\s*\d+\)\s+count:(\d+)\s+ave_time:\d+\s+total_time:(\d+)", line)
            if m:
                rpc[(section, m.group(1))] = (int(m.group(2)), int(m.group(3)))
    return {
        "now": num(r"^sdiag output at .*\((\d+)\)$"),
        "since": num(r"^Data since .*\((\d+)\)$"),
        "threads": num(r"^Server thread count:\s*(-?\d+)"),
        "submitted": num(r"^Jobs submitted:\s*(-?\d+)"),
        "cycles": num(r"^\tTotal cycles:\s*(\d+)"),  # the first one: main scheduler
        "rpc": rpc,
    }


def fresh_metrics(ctx, after):
    """The exposition once it shows an sdiag answer given after `after` (slurmctld's clock)."""
    def ok():
        e = ctx.metrics()
        ts = e.value("slurm_scheduler_stats_timestamp_seconds")
        return e if ts is not None and ts > after else None
    return ctx.wait_until("a scheduler refresh after sdiag", ok, 30)


def check(ctx):
    R = ctx.R
    expo = ctx.metrics()
    R.check("scheduler: collector success", expo.value("slurm_exporter_collector_success",
                                                         collector="scheduler") == 1, "")

    # Values bracketed by sdiag before and after the exporter's refresh.
    before = sdiag(ctx)
    e = fresh_metrics(ctx, before["now"])
    after = sdiag(ctx)
    same_period = before["since"] == after["since"]
    threads = e.value("slurm_scheduler_threads")
    R.check("scheduler: server thread count plausible (1..256)",
            threads is not None and 1 <= threads <= 256, threads)
    sub = e.value("slurm_scheduler_jobs_submitted_total")
    R.check("scheduler: jobs submitted between sdiag before and after",
            not same_period or (sub is not None and before["submitted"] <= sub <= after["submitted"]),
            (before["submitted"], sub, after["submitted"]))
    cyc = e.value("slurm_scheduler_cycles_total")
    R.check("scheduler: main cycles between sdiag before and after",
            not same_period or (cyc is not None and before["cycles"] <= cyc <= after["cycles"]),
            (before["cycles"], cyc, after["cycles"]))
    R.check("scheduler: stats reset timestamp is sdiag's Data since",
            not same_period or e.value("slurm_scheduler_stats_reset_timestamp_seconds") == after["since"],
            (e.value("slurm_scheduler_stats_reset_timestamp_seconds"), after["since"]))
    key = ("type", "REQUEST_JOB_INFO")
    calls = e.value("slurm_rpc_type_calls_total", type="REQUEST_JOB_INFO")
    R.check("scheduler: REQUEST_JOB_INFO calls between sdiag before and after",
            key in before["rpc"] and calls is not None
            and before["rpc"][key][0] <= calls <= after["rpc"][key][0],
            (before["rpc"].get(key), calls, after["rpc"].get(key)))
    secs = e.value("slurm_rpc_type_time_seconds_total", type="REQUEST_JOB_INFO")
    R.check("scheduler: REQUEST_JOB_INFO time in seconds between sdiag before and after",
            secs is not None and before["rpc"][key][1] / 1e6 <= secs <= after["rpc"][key][1] / 1e6,
            (before["rpc"].get(key), secs, after["rpc"].get(key)))
    ukey = ("user", "root")
    ucalls = e.value("slurm_rpc_user_calls_total", user="root")
    R.check("scheduler: root's RPC calls between sdiag before and after",
            ukey in before["rpc"] and ucalls is not None
            and before["rpc"][ukey][0] <= ucalls <= after["rpc"][ukey][0],
            (before["rpc"].get(ukey), ucalls, after["rpc"].get(ukey)))
    R.check("scheduler: counters typed counter, cycle times in seconds",
            e.types.get("slurm_scheduler_jobs_submitted_total") == "counter"
            and e.types.get("slurm_rpc_type_calls_total") == "counter"
            and e.value("slurm_scheduler_cycle_last_seconds") is not None
            and e.value("slurm_scheduler_cycle_last_seconds") < 60, "")

    # sdiag --reset (as root): Slurm's counters start from 0, ours must not go down.
    e1 = ctx.metrics()
    old = {
        "sub": e1.value("slurm_scheduler_jobs_submitted_total"),
        "cyc": e1.value("slurm_scheduler_cycles_total"),
        "calls": e1.value("slurm_rpc_type_calls_total", type="REQUEST_JOB_INFO"),
        "root": e1.value("slurm_rpc_user_calls_total", user="root"),
        "since": e1.value("slurm_scheduler_stats_reset_timestamp_seconds"),
    }
    time.sleep(1.1)  # "Data since" has a resolution of one second
    ctx.run(["sdiag", "--reset"])
    ctx.run(["sbatch", "--parsable", "--account=physics", "--partition=debug", "--time=1",
             "--output=/dev/null", "--error=/dev/null", "--chdir=/tmp", "--wrap=true"])
    reset = sdiag(ctx)
    R.check("scheduler: sdiag --reset cleared Slurm's counters",
            reset["since"] != old["since"] and reset["submitted"] >= 1, reset)
    e2 = fresh_metrics(ctx, reset["now"])
    new = {
        "sub": e2.value("slurm_scheduler_jobs_submitted_total"),
        "cyc": e2.value("slurm_scheduler_cycles_total"),
        "calls": e2.value("slurm_rpc_type_calls_total", type="REQUEST_JOB_INFO"),
        "root": e2.value("slurm_rpc_user_calls_total", user="root"),
        "since": e2.value("slurm_scheduler_stats_reset_timestamp_seconds"),
    }
    R.check("scheduler: exporter saw the new Data since", new["since"] == reset["since"],
            (new["since"], reset["since"]))
    R.check("scheduler: no counter went down across sdiag --reset",
            all(new[k] is not None and old[k] is not None and new[k] >= old[k]
                for k in ("sub", "cyc", "calls", "root")), (old, new))
    R.check("scheduler: the job submitted after the reset is counted on top",
            new["sub"] is not None and new["sub"] >= old["sub"] + reset["submitted"] >= old["sub"] + 1,
            (old["sub"], reset["submitted"], new["sub"]))
    rk = reset["rpc"].get(("user", "root"), (0, 0))[0]
    R.check("scheduler: root's RPCs after the reset are counted on top",
            new["root"] is not None and new["root"] >= old["root"] + rk, (old["root"], rk, new["root"]))
