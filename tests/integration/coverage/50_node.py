# SPDX-License-Identifier: Apache-2.0
"""The node collector: every node's series against Slurm's own answer (sinfo --json, or
scontrol show nodes --json from 23.02 on, and scontrol -o show node, run here), the drain reason's since-time against the [user@time] Slurm
prints, and --compat=vpenso's per-node families against sinfo -N -O (what vpenso 0.20 ran)."""
import re
import time

NAME = "node"
FLAGS = ["--collector.node"]
MIB = 1048576


def slurm_nodes(ctx):
    """{node: sinfo --json record (22.05's shape, see slurm_json)} plus CPUEfctv and the
    Reason's [user@time] from scontrol."""
    nodes = {n["name"]: n for n in ctx.base.slurm_json(ctx.env, "nodes")}
    env = dict(ctx.env, SLURM_TIME_FORMAT="%s")
    out = ctx.run(["scontrol", "-o", "show", "node"], env=env, timeout=30).stdout
    for line in out.splitlines():
        m = re.match(r"NodeName=(\S+)", line)
        if not m or m.group(1) not in nodes:
            continue
        n = nodes[m.group(1)]
        e = re.search(r"\bCPUEfctv=(\d+)", line)
        n["_cpus_efctv"] = int(e.group(1)) if e else n["cpus"]
        r = re.search(r"\bReason=(.*?) \[([^@\]]*)@(\d+)\]", line)
        n["_reason_bracket"] = (r.group(1), r.group(2), int(r.group(3))) if r else None
    return nodes


def known(v):
    return v is not None and 0 <= v < 2**31


def expected(ctx, nodes):
    """{family: {label tuple: value}} for the families compared exactly."""
    b = ctx.base
    e = {k: {} for k in ("slurm_node_info", "slurm_node_state", "slurm_node_flag",
                         "slurm_node_cpus_configured", "slurm_node_cpus_allocated",
                         "slurm_node_memory_configured_bytes", "slurm_node_memory_allocated_bytes",
                         "slurm_node_gres_configured", "slurm_node_gres_allocated",
                         "slurm_node_feature", "slurm_node_reason_info",
                         "slurm_node_reason_since_timestamp_seconds",
                         "slurm_node_boot_timestamp_seconds",
                         "slurm_node_slurmd_start_timestamp_seconds")}
    for name, n in nodes.items():
        active = n.get("active_features") or ""
        e["slurm_node_info"][(name, n.get("architecture") or "", n.get("operating_system") or "",
                              n.get("slurmd_version") or "", ",".join(n.get("partitions") or []),
                              active, n.get("features") or "")] = 1
        e["slurm_node_state"][(name, b.node_state(n))] = 1
        for f in n.get("state_flags") or []:
            e["slurm_node_flag"][(name, f.lower())] = 1
        e["slurm_node_cpus_configured"][(name,)] = n["_cpus_efctv"]
        e["slurm_node_cpus_allocated"][(name,)] = n.get("alloc_cpus") or 0
        e["slurm_node_memory_configured_bytes"][(name,)] = n["real_memory"] * MIB
        e["slurm_node_memory_allocated_bytes"][(name,)] = (n.get("alloc_memory") or 0) * MIB
        for (g, t), v in b.parse_gres(n.get("gres")).items():
            e["slurm_node_gres_configured"][(name, g, t)] = v
        for (g, t), v in b.parse_gres(n.get("gres_used")).items():
            if (name, g, t) in e["slurm_node_gres_configured"] or v:
                e["slurm_node_gres_allocated"][(name, g, t)] = v
        for f in dict.fromkeys(x for x in active.split(",") if x):
            e["slurm_node_feature"][(name, f)] = 1
        if n.get("reason"):
            e["slurm_node_reason_info"][(name, n["reason"], n.get("reason_set_by_user") or "")] = 1
            if n.get("reason_changed_at"):
                e["slurm_node_reason_since_timestamp_seconds"][(name,)] = n["reason_changed_at"]
        if n.get("boot_time"):
            e["slurm_node_boot_timestamp_seconds"][(name,)] = n["boot_time"]
        if n.get("slurmd_start_time"):
            e["slurm_node_slurmd_start_timestamp_seconds"][(name,)] = n["slurmd_start_time"]
    return e


KEYS = {
    "slurm_node_info": ("node", "arch", "os", "version", "partitions", "features", "available_features"),
    "slurm_node_state": ("node", "state"),
    "slurm_node_flag": ("node", "flag"),
    "slurm_node_gres_configured": ("node", "gres", "type"),
    "slurm_node_gres_allocated": ("node", "gres", "type"),
    "slurm_node_feature": ("node", "feature"),
    "slurm_node_reason_info": ("node", "reason", "user"),
}


def diff(expo, exp):
    problems = []
    for fam, want in exp.items():
        got = expo.by(fam, KEYS.get(fam, ("node",)))
        if got != want:
            missing = {k: v for k, v in want.items() if got.get(k) != v}
            extra = {k: v for k, v in got.items() if k not in want}
            problems.append(f"{fam}: want {dict(list(missing.items())[:4])} extra {dict(list(extra.items())[:4])}")
    return problems


def compare_until_equal(ctx, what, expect_fn, expo_fn, timeout=60):
    """Slurm and the exporter each give a snapshot at a slightly different time: retry until they
    agree (the workload is settled, so they must), report the last difference otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        nodes = slurm_nodes(ctx)
        problems = diff(expo_fn(), expect_fn(nodes))
        if not problems or time.monotonic() > deadline:
            ctx.R.check(what, not problems, "; ".join(problems)[:1500])
            return nodes
        time.sleep(1)


def moving_values(nodes, expo):
    """The differences in load, free memory and last-busy time between Slurm's nodes and expo."""
    now = time.time()
    load = expo.by("slurm_node_cpu_load", ("node",))
    free = expo.by("slurm_node_memory_free_bytes", ("node",))
    busy = expo.by("slurm_node_last_busy_timestamp_seconds", ("node",))
    bad = []
    for name, n in nodes.items():
        if known(n.get("cpu_load")) != ((name,) in load):
            bad.append(f"{name}: load presence")
        elif (name,) in load and abs(load[(name,)] - n["cpu_load"] / 100.0) > max(2.0, 0.5 * load[(name,)]):
            bad.append(f"{name}: load {load[(name,)]} vs {n['cpu_load'] / 100.0}")
        if known(n.get("free_memory")) != ((name,) in free):
            bad.append(f"{name}: free memory presence")
        elif (name,) in free and abs(free[(name,)] - n["free_memory"] * MIB) > 0.2 * n["free_memory"] * MIB + 64 * MIB:
            bad.append(f"{name}: free {free[(name,)]} vs {n['free_memory'] * MIB}")
        if n.get("last_busy") and not ((name,) in busy and 0 < busy[(name,)] <= now + 5):
            bad.append(f"{name}: last busy {busy.get((name,))}")
    return bad


def check(ctx):
    R = ctx.R
    expo = ctx.metrics()
    R.check("node: collector succeeds",
            expo.value("slurm_exporter_collector_success", collector="node") == 1, "")
    nodes = compare_until_equal(ctx, "node: every node's series equal sinfo --json / scontrol",
                                lambda ns: expected(ctx, ns), ctx.metrics)
    expo = ctx.metrics()

    # The workload's situations are there, with their reasons.
    R.check("node: cn003 drained with its reason",
            expo.value("slurm_node_state", node="cn003", state="drained") == 1
            and expo.value("slurm_node_reason_info", node="cn003", reason="disk replaced") == 1
            and expo.value("slurm_node_flag", node="cn003", flag="drain") == 1, "")
    R.check("node: cn004 down with its reason",
            expo.value("slurm_node_state", node="cn004", state="down") == 1
            and expo.value("slurm_node_reason_info", node="cn004", reason="no heartbeat") == 1, "")
    gpu = [k for k, v in expo.by("slurm_node_gres_allocated", ("node", "gres", "type")).items()
           if k[1] == "gpu" and v > 0]
    R.check("node: a GPU node shows allocated GPUs", bool(gpu), "")
    gpu_nodes = [l["node"] for l, v in expo.get("slurm_node_feature") if l.get("feature") == "gpu"]
    R.check("node: GPU nodes carry the gpu feature", bool(gpu_nodes), "")

    # The since-time is the time in Slurm's "[user@time]".
    for name in ("cn003", "cn004"):
        br = nodes.get(name, {}).get("_reason_bracket")
        got = expo.value("slurm_node_reason_since_timestamp_seconds", node=name)
        R.check(f"node: {name} reason since-time equals scontrol's [user@time]",
                br is not None and got == br[2] and
                expo.value("slurm_node_reason_info", node=name, user=br[1]) == 1,
                f"scontrol {br}, exporter {got}")

    # Values that move on their own (slurmd reports load and free memory at its pings): present
    # exactly when Slurm knows them, and close. Slurm's answer and the exporter's last refresh
    # may straddle a ping, so compare again until they agree (each comparison takes Slurm's
    # answer first, then scrapes), and report the last difference otherwise.
    deadline = time.monotonic() + 60
    while True:
        bad = moving_values(slurm_nodes(ctx), ctx.metrics())
        if not bad or time.monotonic() > deadline:
            break
        time.sleep(1)
    R.check("node: load, free memory and last-busy time present when Slurm knows them, and close",
            not bad, "; ".join(bad)[:800])
    R.check("node: one state series per node",
            len(expo.get("slurm_node_state")) == len(nodes) == len(expo.get("slurm_node_info")),
            f"{len(expo.get('slurm_node_state'))} states, {len(nodes)} nodes")
    check_compat(ctx)


def sinfo_vpenso(ctx):
    """What vpenso 0.20 read: sinfo -N -O NodeList,AllocMem,Memory,CPUsState,StateLong (full
    widths here), one line per node and partition."""
    out = ctx.run(["sinfo", "-h", "-N", "-O", "NodeList:0|,AllocMem:0|,Memory:0|,CPUsState:0|,StateLong:0"],
                  timeout=30).stdout
    e = {f: {} for f in ("slurm_node_cpu_alloc", "slurm_node_cpu_idle", "slurm_node_cpu_other",
                         "slurm_node_cpu_total", "slurm_node_mem_alloc", "slurm_node_mem_total")}
    for line in set(out.splitlines()):
        f = [x.strip() for x in line.split("|")]
        if len(f) < 5:
            continue
        node, amem, mem, cpus, status = f[:5]
        a, i, o, t = (int(x) for x in cpus.split("/"))
        k = (node, status)
        e["slurm_node_cpu_alloc"][k] = a
        e["slurm_node_cpu_idle"][k] = i
        e["slurm_node_cpu_other"][k] = o
        e["slurm_node_cpu_total"][k] = t
        e["slurm_node_mem_alloc"][k] = int(amem)
        e["slurm_node_mem_total"][k] = int(mem)
    return e


def check_compat(ctx):
    exp = ctx.start_exporter("node-vpenso", ["--collector.node", "--compat=vpenso"])

    def scrape():
        return exp.metrics()

    deadline = time.monotonic() + 60
    while True:
        want = sinfo_vpenso(ctx)
        expo = scrape()
        problems = []
        for fam, w in want.items():
            got = expo.by(fam, ("node", "status"))
            if got != w:
                problems.append(f"{fam}: exporter {dict(list(got.items())[:6])} sinfo {dict(list(w.items())[:6])}")
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(1)
    ctx.R.check("node: --compat=vpenso per-node families equal sinfo -N -O (status = StateLong)",
                not problems and want["slurm_node_cpu_total"], "; ".join(problems)[:1500])
    ctx.R.check("node: compat families absent without --compat",
                not ctx.metrics().get("slurm_node_cpu_alloc"), "")
