# SPDX-License-Identifier: Apache-2.0
"""Licenses and reservations: every license value and every reservation field the exporter
serves equals what `scontrol show licenses` / `scontrol show reservations` say, and the
reservations' node-state counts equal the states of their nodes in `scontrol show node`.

Setup (all objects are this module's own): a remote license licres_srv@flexlm (sacctmgr
resource, 20 seats), a job holding matlab:3 and licres_srv@flexlm:2 (run at once with a
negative nice, ahead of the workload's blocked jobs), an active reservation on cn003 and cn004
(drained and down in the workload, so it takes nothing from anyone: IGNORE_JOBS, OVERLAP), an
inactive one tomorrow on cn[001-002],gpu001 and an inactive licenses-only one.
"""
import os
import time

NAME = "licres"
MAX_LABEL_LEN = 128
REMOTE = "licres_srv@flexlm"
RESERVATIONS = {
    "licres_now": ["starttime=now", "duration=2:00:00", "nodes=cn003,cn004", "users=root",
                   "flags=ignore_jobs,overlap"],
    "licres_later": ["starttime=now+1day", "duration=1:00:00", "nodes=cn[001-002],gpu001",
                     "accounts=physics,chemistry", "flags=ignore_jobs,overlap"],
    "licres_lic": ["starttime=now+2days", "duration=30:00", "licenses=ansys:1", "users=root",
                   "flags=any_nodes"],
}


def setup(ctx):
    ctx.run(["sacctmgr", "-i", "add", "resource", "licres_srv", "server=flexlm", "count=20",
             "type=license", "cluster=itest", "percentallowed=100"])
    jobdir = os.path.join(ctx.workdir, "cluster", "jobs")
    out = ctx.run(["sbatch", "--parsable", "--account=physics", f"--chdir={jobdir}",
                   "--output=/dev/null", "--error=/dev/null", "--nice=-100000",
                   f"--licenses=matlab:3,{REMOTE}:2", "--job-name=licres", "--wrap",
                   "sleep 900"]).stdout.strip()
    job = out.split(";")[0]
    for name, args in RESERVATIONS.items():
        ctx.run(["scontrol", "create", "reservation", f"reservationname={name}", *args])

    def running():
        p = ctx.run(["squeue", "-h", "-j", job, "-o", "%T"], check=False)
        return p.stdout.strip() == "RUNNING"
    deadline = time.monotonic() + 45
    while not running() and time.monotonic() < deadline:
        time.sleep(0.5)
    ctx.R.check("licres: setup job holding licenses runs", running(), f"job {job}")


def kv_line(line):
    """One `scontrol -o` line -> {key: value}; values run to the next ' Key='."""
    out, key = {}, None
    for tok in line.split(" "):
        if not tok:
            continue
        k, eq, v = tok.partition("=")
        if eq and k and k[0].isalpha() and all(c.isalnum() or c in "_/:.-" for c in k):
            if k not in out:  # NodeName/CoreIDs repeat per core spec; first wins
                out[k] = v
                key = k
            else:
                key = None
        elif key:
            out[key] += " " + tok
    return out


def slurm_licenses(ctx):
    p = ctx.run(["scontrol", "-o", "show", "licenses"])
    return {d["LicenseName"]: d for d in map(kv_line, p.stdout.splitlines()) if "LicenseName" in d}


def slurm_reservations(ctx):
    env = dict(ctx.env, SLURM_TIME_FORMAT="%s")
    p = ctx.run(["scontrol", "-o", "show", "reservations"], env=env)
    return {d["ReservationName"]: d for d in map(kv_line, p.stdout.splitlines())
            if "ReservationName" in d}


def derived_state(state, alloc):
    """The exporter's derived node state (docs/metrics.md, nodes collector) from scontrol's
    State=BASE+FLAG+... and CPUAlloc."""
    parts = state.rstrip("*~#%!$@^-").split("+")
    base, flags = parts[0], set(parts[1:])
    if base == "DOWN":
        return "down"
    if "FAIL" in flags:
        return "fail"
    if "DRAIN" in flags:
        busy = alloc > 0 or base in ("ALLOCATED", "MIXED") or "COMPLETING" in flags
        return "draining" if busy else "drained"
    if "NOT_RESPONDING" in flags:
        return "not_responding"
    for b in ("ERROR", "FUTURE", "UNKNOWN"):
        if base == b:
            return b.lower()
    for f in ("POWERED_DOWN", "POWERING_UP", "POWERING_DOWN"):
        if f in flags:
            return f.lower()
    if "REBOOT_ISSUED" in flags:
        return "rebooting"
    idle = base == "IDLE" and alloc == 0
    if idle and "MAINTENANCE" in flags:
        return "maintenance"
    if idle and "RESERVED" in flags:
        return "reserved"
    if "COMPLETING" in flags:
        return "completing"
    if base in ("ALLOCATED", "MIXED"):
        return base.lower()
    if "PLANNED" in flags:
        return "planned"
    return "idle"


def count(v):
    try:
        n = int(v)
    except (TypeError, ValueError):
        return None
    return None if n < 0 or n >= 4294967294 else n


def label(v):
    return "" if v in (None, "(null)") else v[:MAX_LABEL_LEN]


def license_mismatches(ctx, expo, compat=False):
    bad = []
    lic = slurm_licenses(ctx)
    served = {l["license"]: (l, v) for l, v in expo.get("slurm_license_info")}
    if set(served) != set(lic):
        bad.append(f"licenses served {sorted(served)} != slurm {sorted(lic)}")
    for name, d in lic.items():
        if name in served:
            want = "true" if d.get("Remote") == "yes" else "false"
            if served[name][0].get("remote") != want:
                bad.append(f"{name}: remote {served[name][0].get('remote')} != {want}")
        for fam, key in (("configured", "Total"), ("used", "Used"), ("free", "Free"),
                         ("reserved", "Reserved"), ("last_consumed", "LastConsumed"),
                         ("last_deficit", "LastDeficit")):
            got = expo.value(f"slurm_license_{fam}", license=name)
            want = count(d.get(key))
            if got != want:
                bad.append(f"{name} {fam}: exporter {got} != scontrol {d.get(key)}")
        for fam, key in (("total", "Total"), ("used", "Used"), ("free", "Free"),
                         ("reserved", "Reserved")):
            got = next((v for l, v in expo.get(f"slurm_lic_{fam}") if l.get("name") == name), None)
            if not compat:
                if got is not None:
                    bad.append(f"slurm_lic_{fam} served without --compat=rivosinc")
                continue
            if got != count(d.get(key)):
                bad.append(f"{name} compat slurm_lic_{fam}: {got} != {d.get(key)}")
    return bad, lic


def node_states(ctx, nodelist):
    if nodelist in (None, "(null)", ""):
        return {}
    names = ctx.run(["scontrol", "show", "hostnames", nodelist]).stdout.split()
    counts = {}
    for n in names:
        d = kv_line(ctx.run(["scontrol", "-o", "show", "node", n]).stdout.strip())
        s = derived_state(d.get("State", ""), int(d.get("CPUAlloc", "0") or 0))
        counts[s] = counts.get(s, 0) + 1
    return counts


def reservation_mismatches(ctx, expo):
    bad = []
    res = slurm_reservations(ctx)
    info = {l["reservation"]: l for l, v in expo.get("slurm_reservation_info")}
    if set(info) != set(res):
        bad.append(f"reservations served {sorted(info)} != slurm {sorted(res)}")
    for name, d in res.items():
        l = info.get(name)
        if l is None:
            continue
        want = {"state": d.get("State", "").lower(), "flags": label(d.get("Flags")).lower(),
                "partition": label(d.get("PartitionName")), "users": label(d.get("Users")),
                "accounts": label(d.get("Accounts"))}
        got = {k: l.get(k) for k in want}
        if got != want:
            bad.append(f"{name} info: {got} != {want}")
        active = {"ACTIVE": 1, "INACTIVE": 0}.get(d.get("State"))
        cpus = None
        for t in (d.get("TRES") or "").split(","):
            if t.startswith("cpu="):
                cpus = count(t[4:])
        for fam, want_v in (("active", active),
                            ("start_time_seconds", count(d.get("StartTime")) or None),
                            ("end_time_seconds", count(d.get("EndTime")) or None),
                            ("nodes", count(d.get("NodeCnt"))), ("cores", count(d.get("CoreCnt"))),
                            ("cpus", cpus), ("nodes_unresolved", 0)):
            got_v = expo.value(f"slurm_reservation_{fam}", reservation=name)
            if got_v != want_v:
                bad.append(f"{name} {fam}: exporter {got_v} != scontrol {want_v}")
        want_states = node_states(ctx, d.get("Nodes"))
        got_states = {l["state"]: v for l, v in expo.get("slurm_reservation_nodes_state")
                      if l["reservation"] == name}
        if got_states != want_states:
            bad.append(f"{name} node states: exporter {got_states} != scontrol {want_states}")
    return bad, res


def settle(ctx, fn, timeout=60, exporter=None, **kw):
    """Compares until the exporter (1 s polls) and Slurm agree or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        bad, data = fn(ctx, (exporter or ctx.exporter).metrics(), **kw)
        if not bad or time.monotonic() >= deadline:
            return bad, data
        time.sleep(1)


def check(ctx):
    R = ctx.R
    expo = ctx.metrics()
    R.check("licres: licenses and reservations collectors succeed",
            expo.value("slurm_exporter_collector_success", collector="licenses") == 1
            and expo.value("slurm_exporter_collector_success", collector="reservations") == 1, "")
    bad, lic = settle(ctx, license_mismatches)
    R.check(f"licres: {len(lic)} licenses equal scontrol show licenses (configured, used, "
            "free, reserved, remote, last consumed/deficit)", not bad, "; ".join(bad)[:1500])
    compat = ctx.start_exporter("licres-compat", ["--compat=rivosinc"])
    bad, lic = settle(ctx, license_mismatches, exporter=compat, compat=True)
    R.check(f"licres: --compat=rivosinc serves slurm_lic_* equal to scontrol for {len(lic)} "
            "licenses", not bad, "; ".join(bad)[:1500])
    expo = ctx.metrics()
    R.check("licres: the remote license keeps name@server and is marked remote",
            expo.value("slurm_license_info", license=REMOTE, remote="true") == 1, REMOTE)
    used = expo.value("slurm_license_used", license="matlab")
    R.check("licres: the setup job's matlab:3 and remote :2 are counted as used",
            (used or 0) >= 3 and (expo.value("slurm_license_used", license=REMOTE) or 0) >= 2,
            f"matlab {used}, {REMOTE} {expo.value('slurm_license_used', license=REMOTE)}")
    bad, res = settle(ctx, reservation_mismatches)
    R.check(f"licres: {len(res)} reservations equal scontrol show reservations (state, flags, "
            "partition, users, accounts, times, nodes, cores, cpus, node states)",
            not bad, "; ".join(bad)[:1500])
    mine = {k: v for k, v in res.items() if k in RESERVATIONS}
    R.check("licres: an active and an inactive reservation of this module are served",
            mine.get("licres_now", {}).get("State") == "ACTIVE"
            and mine.get("licres_later", {}).get("State") == "INACTIVE",
            {k: v.get("State") for k, v in mine.items()})
    expo = ctx.metrics()
    states = {l["state"]: v for l, v in expo.get("slurm_reservation_nodes_state")
              if l["reservation"] == "licres_now"}
    R.check("licres: the active reservation's two nodes are counted by state",
            sum(states.values()) == 2, states)
    R.check("licres: a licenses-only reservation has no CPU series and 0 nodes",
            expo.value("slurm_reservation_cpus", reservation="licres_lic") is None
            and expo.value("slurm_reservation_nodes", reservation="licres_lic") == 0, "")
