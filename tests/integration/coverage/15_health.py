# SPDX-License-Identifier: Apache-2.0
"""Slurm's own health: every controller `scontrol ping` lists is served by slurm_controller_up
with its value (UP 1, DOWN 0) and role, slurm_controller_in_control marks the first one UP,
slurm_controller_local the one named as this host; slurm_database_up equals what `sacctmgr
ping` says, and is absent where sacctmgr has no ping (Slurm before 24.05.5). Slurm is asked
before and after the scrape; the comparison is made only when both answers agree (a daemon
that changes state in between is retried)."""
import re
import socket
import time

NAME = "health"
FLAGS = ["--slurm.poll-interval.controllers=3s", "--slurm.poll-interval.slurmdbd=3s"]
LINE = re.compile(r"^(Slurmctld|slurmdbd)\((primary|backup\d*)\) at (\S+) is (UP|DOWN)$")


def pings(ctx, cmd):
    p = ctx.run(cmd, check=False)
    rows = [LINE.match(l) for l in p.stdout.splitlines()]
    return p.returncode, p.stderr, [(m.group(3), m.group(2), m.group(4) == "UP") for m in rows if m]


def ctld_role(role, n):
    return "backup1" if role == "backup" else role


def host_is(host, me):
    if not host or not me:
        return False
    if host.lower() in ("localhost", me.lower()):
        return True
    hs, ms = host.split(".")[0].lower(), me.split(".")[0].lower()
    return hs == ms and ("." not in host or "." not in me)


def fresh_scrape(ctx, t0):
    """A scrape whose controllers and slurmdbd data were fetched after t0."""
    last = {}

    def fresh():
        e = ctx.metrics()
        last["e"] = e
        return all((e.value("slurm_exporter_dataset_last_success_timestamp_seconds", dataset=d) or 0) > t0
                   for d in ("controllers", "slurmdbd"))
    try:
        ctx.wait_until("controllers and slurmdbd refreshed", fresh, 30, 0.5)
    except ctx.base.Abort:
        pass
    return last["e"]


def check(ctx):
    for attempt in range(5):
        rc1, _, c1 = pings(ctx, ["scontrol", "ping"])
        drc1, derr1, d1 = pings(ctx, ["sacctmgr", "ping"])
        t0 = time.time()
        expo = fresh_scrape(ctx, t0)
        _, _, c2 = pings(ctx, ["scontrol", "ping"])
        _, _, d2 = pings(ctx, ["sacctmgr", "ping"])
        if c1 == c2 and d1 == d2:
            break
        time.sleep(2)
    ctx.R.check("health: scontrol ping lists the controllers", c1, f"rc={rc1}")
    ctx.R.check("health: controllers and slurmdbd collectors succeed",
                expo.value("slurm_exporter_collector_success", collector="controllers") == 1 and
                expo.value("slurm_exporter_collector_success", collector="slurmdbd") == 1, "")
    served = {(l.get("controller"), l.get("role")): v for l, v in expo.get("slurm_controller_up")}
    want = {(h, ctld_role(r, len(c1))): (1 if up else 0) for h, r, up in c1}
    ctx.R.check("health: slurm_controller_up equals scontrol ping, controller by controller",
                served == want, f"exporter {served} scontrol {want}")
    first_up = next((i for i, (_, _, up) in enumerate(c1) if up), None)
    ic = {(l.get("controller"), l.get("role")): v for l, v in expo.get("slurm_controller_in_control")}
    want_ic = {(h, ctld_role(r, len(c1))): (1 if i == first_up else 0) for i, (h, r, _) in enumerate(c1)}
    ctx.R.check("health: slurm_controller_in_control is 1 on the first controller UP only",
                ic == want_ic, f"exporter {ic} want {want_ic}")
    me = socket.gethostname()
    loc = {(l.get("controller"), l.get("role")): v for l, v in expo.get("slurm_controller_local")}
    want_loc = {(h, ctld_role(r, len(c1))): (1 if host_is(h, me) else 0) for h, r, _ in c1}
    ctx.R.check("health: slurm_controller_local marks the controller named as this host",
                loc == want_loc, f"exporter {loc} want {want_loc} (host {me})")
    db = expo.get("slurm_database_up")
    if not d1 and "invalid keyword" in derr1:
        ctx.R.check("health: sacctmgr without ping (Slurm < 24.05.5): no slurm_database_up series",
                    not db, f"{db}")
        return
    ctx.R.check("health: sacctmgr ping lists slurmdbd", d1, f"rc={drc1} stderr={derr1[-200:]}")
    want_db = 1 if any(up for _, _, up in d1) else 0
    ctx.R.check("health: slurm_database_up equals sacctmgr ping",
                len(db) == 1 and db[0][1] == want_db, f"exporter {db} sacctmgr {d1}")
    per = {(l.get("slurmdbd"), l.get("role")): v for l, v in expo.get("slurm_slurmdbd_up")}
    want_per = {(h, r): (1 if up else 0) for h, r, up in d1}
    ctx.R.check("health: slurm_slurmdbd_up equals sacctmgr ping, daemon by daemon",
                per == want_per, f"exporter {per} sacctmgr {want_per}")
