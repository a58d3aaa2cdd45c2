#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Generate realistic Slurm 22.05 command outputs for benchmarking.

    bench/gen.py --nodes N --jobs M --out DIR [--seed S] [--now EPOCH]

Writes into DIR:
  squeue.out      squeue -h -a -r --states=all -O "JobID:0|,JobArrayID:0|,
                  State:0|,Partition:0|,UserName:0|,Account:0|,QOS:0|,
                  NumCPUs:0|,NumNodes:0|,tres-alloc:0|,SubmitTime:0|,
                  StartTime:0|,EligibleTime:0|,Reason:0"   (SLURM_TIME_FORMAT=%s)
  nodes.out       scontrol -o -d --all show nodes
  partitions.out  scontrol -o --all show partitions
  meta.json       the parameters and a few counts (for the benchmark report)

The shapes follow tests/fixtures/22.05/exporter_{squeue,nodes,partitions}.txt
(captured from a real Slurm 22.05.8). Output is a pure function of
(--nodes, --jobs, --seed, --now): the same arguments give byte-identical files.
Python 3 standard library only.
"""

import argparse
import json
import os
import random
import sys
import time

NOW_DEFAULT = 1795424400  # 2026-11-23T09:00:00Z, near the fixtures' capture time
SLURM_VERSION = "22.05.8"

# --------------------------------------------------------------------------
# helpers


def conv_mem(mb):
    """Slurm's convert_num_unit(..., UNIT_MEGA, NO_VAL, CONVERT_NUM_UNIT_EXACT)
    as used for TRES strings: scale up while no precision (beyond a half) is
    lost. 192000 -> 187.50G, 512000 -> 500G, 16096 -> 16096M."""
    units = "MGTPE"
    twice = int(mb) * 2  # work in halves to keep it integral
    i = 0
    while twice >= 2 * 1024 and twice % 1024 == 0 and i < len(units) - 1:
        twice //= 1024
        i += 1
    if twice % 2 == 0:
        return "%d%s" % (twice // 2, units[i])
    return "%.2f%s" % (twice / 2.0, units[i])


def ranges(nums):
    """[1,2,3,5] -> [(1,3),(5,5)]"""
    out = []
    for n in nums:
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


def idx_list(idxs):
    """GPU index list as scontrol prints it: 0-2,4,6"""
    parts = []
    for a, b in ranges(sorted(idxs)):
        parts.append(str(a) if a == b else "%d-%d" % (a, b))
    return ",".join(parts)


def hostlist(names):
    """Compress node names the way Slurm's hostlist does for a single
    numeric suffix: cn[0001-0010,0012],gpu-a100-r01-n[01-04]."""
    groups = []  # [prefix, width, [nums]] keeping first-seen order
    for name in names:
        j = len(name)
        while j > 0 and name[j - 1].isdigit():
            j -= 1
        prefix, digits = name[:j], name[j:]
        if not digits:
            groups.append([name, 0, None])
            continue
        w = len(digits)
        n = int(digits)
        g = groups[-1] if groups else None
        if g and g[0] == prefix and g[1] == w and g[2] is not None:
            g[2].append(n)
        else:
            groups.append([prefix, w, [n]])
    out = []
    for prefix, w, nums in groups:
        if nums is None:
            out.append(prefix)
            continue
        rs = ranges(sorted(set(nums)))
        if len(rs) == 1 and rs[0][0] == rs[0][1]:
            out.append("%s%0*d" % (prefix, w, rs[0][0]))
            continue
        body = ",".join(
            ("%0*d" % (w, a)) if a == b else ("%0*d-%0*d" % (w, a, w, b)) for a, b in rs
        )
        out.append("%s[%s]" % (prefix, body))
    return ",".join(out)


def alloc_counts(n, weights, fill_order):
    """Split n items over weighted categories: floor(w*n) each, then hand the
    remainder out first to categories that got none (in fill_order, so small
    clusters still show the rare cases), then to the heaviest."""
    total = float(sum(w for _, w in weights))
    counts = {k: int(w / total * n) for k, w in weights}
    left = n - sum(counts.values())
    for k in fill_order:
        if left <= 0:
            break
        if counts[k] == 0:
            counts[k] = 1
            left -= 1
    heavy = sorted(weights, key=lambda kw: -kw[1])
    i = 0
    while left > 0:
        counts[heavy[i % len(heavy)][0]] += 1
        left -= 1
        i += 1
    return counts


# --------------------------------------------------------------------------
# cluster model

OS_STRINGS = [
    "Linux 4.18.0-513.24.1.el8_9.x86_64 #1 SMP Thu Apr 4 18:13:02 UTC 2024 ",
    "Linux 5.14.0-362.24.1.el9_3.x86_64 #1 SMP PREEMPT_DYNAMIC Wed Mar 20 06:57:05 EDT 2024 ",
]

DRAIN_REASONS = [
    "bad DIMM (draining)",
    "NHC: check_fs_mount: /scratch not mounted",
    "GPU XID 79 - fallen off the bus",
    "scheduled maintenance INC0012345",
    "disk replaced",
    "Kill task failed",
    "Low RealMemory (reported:380000 < 100.00% of configured:384000)",
    "reboot ASAP",
    "IB link flapping, ticket #4711",
    "prolog error",
    "batch job complete failure",
    "firmware update",
]
DOWN_REASONS = [
    "Not responding",
    "Node unexpectedly rebooted boot_time=1795300000 last response=1795299000",
    "hardware failure: PSU",
    "NHC: check_hw_eth: eth0 missing",
]
ADMINS = ["root", "slurm", "hpcadmin", "m.jensen"]

# name, weight-share of nodes, etc. are decided in build_nodes()
NODE_STATES = [
    # state, weight, reason kind (None/'drain'/'down'), cpu alloc kind
    ("ALLOCATED", 44, None, "full"),
    ("MIXED", 28, None, "part"),
    ("IDLE", 8, None, "none"),
    ("IDLE+DRAIN", 3, "drain", "none"),
    ("MIXED+DRAIN", 2, "drain", "part"),
    ("ALLOCATED+DRAIN", 1, "drain", "full"),
    ("DOWN+NOT_RESPONDING", 1.5, "down", "none"),
    ("DOWN", 0.5, "down", "none"),
    ("DOWN+DRAIN", 0.5, "drain", "none"),
    ("IDLE+NOT_RESPONDING", 1, None, "none"),
    ("IDLE+POWERED_DOWN", 4, None, "off"),
    ("IDLE+DRAIN+POWERED_DOWN", 0.5, "drain", "off"),
    ("IDLE+POWERING_UP", 0.5, None, "off"),
    ("IDLE+RESERVED", 1.5, None, "none"),
    ("MIXED+RESERVED", 1, None, "part"),
    ("ALLOCATED+COMPLETING", 1, None, "full"),
    ("IDLE+PLANNED", 0.5, None, "none"),
    ("MIXED+COMPLETING", 0.5, None, "part"),
]
STATE_FILL = [
    "IDLE",
    "IDLE+DRAIN",
    "DOWN+NOT_RESPONDING",
    "MIXED+DRAIN",
    "IDLE+NOT_RESPONDING",
    "IDLE+POWERED_DOWN",
    "IDLE+RESERVED",
    "ALLOCATED+COMPLETING",
    "DOWN",
    "ALLOCATED+DRAIN",
    "DOWN+DRAIN",
    "MIXED+RESERVED",
    "IDLE+DRAIN+POWERED_DOWN",
    "IDLE+POWERING_UP",
    "IDLE+PLANNED",
    "MIXED+COMPLETING",
]

# node kinds: sockets, cores/socket, threads/core, memory (MB), features, gres
KINDS = {
    "cpu": dict(sockets=2, cores=16, threads=1, mem=192000, tmp=100000, weight=1,
                feat="cpu,icelake,ib", gres=None),
    "cpu2": dict(sockets=2, cores=32, threads=2, mem=384000, tmp=400000, weight=2,
                 feat="cpu,sapphirerapids,ib,ndr", gres=None),
    "bigmem": dict(sockets=2, cores=48, threads=2, mem=1536000, tmp=1800000, weight=20,
                   feat="bigmem,genoa,ib", gres=None),
    "a100": dict(sockets=2, cores=24, threads=2, mem=512000, tmp=400000, weight=10,
                 feat="gpu,a100,nvlink,ib", gres=("a100", 4, "")),
    "h100": dict(sockets=2, cores=48, threads=2, mem=2048000, tmp=3500000, weight=50,
                 feat="gpu,h100,hgx,nvlink,ib,ndr", gres=("h100", 8, "(S:0-1)")),
}

PARTS = ["debug", "batch", "long", "bigmem", "gpu", "gpu-h100", "preempt", "maint"]


def build_nodes(n, rng):
    """Returns the node list (dicts) in slurm.conf order."""
    n_gpu = max(2 if n >= 2 else 1, int(round(n / 8.0)))
    n_h100 = max(1 if n >= 2 else 0, int(round(n_gpu * 0.4)))
    n_a100 = n_gpu - n_h100
    rest = n - n_gpu
    n_big = max(1 if n >= 5 else 0, int(round(n * 0.05)))
    n_cpu2 = int(round(n * 0.20)) if n >= 20 else 0
    n_cpu = rest - n_big - n_cpu2
    nodes = []
    w = max(3, len(str(n_cpu)))
    for i in range(1, n_cpu + 1):
        nodes.append(dict(name="cn%0*d" % (w, i), kind="cpu"))
    # long, rack-structured names for the newer partitions
    for i in range(n_cpu2):
        rack, slot = divmod(i, 40)
        nodes.append(dict(name="compute-spr-r%03d-c%02d" % (rack + 1, slot + 1), kind="cpu2"))
    for i in range(n_big):
        rack, slot = divmod(i, 16)
        nodes.append(dict(name="hm-genoa-r%02dn%02d" % (rack + 1, slot + 1), kind="bigmem"))
    wg = max(3, len(str(n_a100)))
    for i in range(1, n_a100 + 1):
        nodes.append(dict(name="gpu%0*d" % (wg, i), kind="a100"))
    for i in range(n_h100):
        rack, slot = divmod(i, 4)
        # 4U chassis: slots u03, u07, u11, u15 in each rack
        nodes.append(dict(name="hpc-gpu-h100-sxm5-r%03d-u%02d" % (rack + 1, slot * 4 + 3), kind="h100"))

    # partitions per node (overlapping)
    cpu_nodes = [x for x in nodes if x["kind"] == "cpu"]
    cpu2_nodes = [x for x in nodes if x["kind"] == "cpu2"]
    big_nodes = [x for x in nodes if x["kind"] == "bigmem"]
    a_nodes = [x for x in nodes if x["kind"] == "a100"]
    h_nodes = [x for x in nodes if x["kind"] == "h100"]
    for x in nodes:
        x["parts"] = []
    std = cpu_nodes + cpu2_nodes
    n_debug = max(1, len(std) // 50)
    for x in cpu_nodes[:n_debug]:
        x["parts"].append("debug")
    for x in std:
        x["parts"].append("batch")
    n_long = len(std) // 4
    for x in std[len(std) - n_long:]:
        x["parts"].append("long")
    for x in big_nodes:
        x["parts"].append("bigmem")
    for x in a_nodes + h_nodes:
        x["parts"].append("gpu")
    for x in h_nodes:
        x["parts"].append("gpu-h100")
    for x in big_nodes + a_nodes + h_nodes:
        x["parts"].append("preempt")
    n_maint = max(1, n // 200)
    for x in cpu_nodes[n_debug:n_debug + n_maint] + h_nodes[:1]:
        x["parts"].append("maint")
    for x in nodes:
        x["parts"].sort(key=PARTS.index)

    # states: shuffled deterministic assignment
    counts = alloc_counts(n, [(s, wt) for s, wt, _, _ in NODE_STATES], STATE_FILL)
    states = []
    for s, _, _, _ in NODE_STATES:
        states += [s] * counts[s]
    rng.shuffle(states)
    info = {s: (r, a) for s, _, r, a in NODE_STATES}
    for x, s in zip(nodes, states):
        x["state"] = s
        x["reason_kind"], x["alloc_kind"] = info[s]
    return nodes


def node_line(x, idx, rng, now, gpu_tres=True):
    k = KINDS[x["kind"]]
    cpus = k["sockets"] * k["cores"] * k["threads"]
    mem = k["mem"]
    ak = x["alloc_kind"]
    if ak == "full":
        calloc = cpus
    elif ak == "part":
        calloc = rng.randrange(1, cpus)
    else:
        calloc = 0
    amem = 0
    if calloc:
        amem = min(mem, int(mem * calloc / cpus * rng.uniform(0.3, 1.0)) // 100 * 100 + 0)
        if rng.random() < 0.3:
            amem = calloc * rng.choice([2000, 4000, 4096, 8000])
            amem = min(amem, mem)
    off = ak == "off"
    not_resp = "NOT_RESPONDING" in x["state"]
    if off:
        load = "N/A"
        free = "N/A"
    else:
        load = "%.2f" % (calloc * rng.uniform(0.6, 1.05) + rng.uniform(0.0, 0.3))
        free = str(max(1000, int((mem - amem) * rng.uniform(0.55, 0.98)) - rng.randrange(4000, 12000)))
    gres = k["gres"]
    ngpu_used = 0
    gres_s = "(null)"
    gres_used = "gpu:0"
    cfg_extra = ""
    alloc_extra = ""
    if gres:
        gtype, gcount, sock = gres
        gres_s = "gpu:%s:%d%s" % (gtype, gcount, sock)
        if calloc:
            ngpu_used = gcount if ak == "full" else rng.randrange(1, gcount + 1)
            ngpu_used = min(ngpu_used, gcount)
        if ngpu_used:
            used = sorted(rng.sample(range(gcount), ngpu_used))
            gres_used = "gpu:%s:%d(IDX:%s)" % (gtype, ngpu_used, idx_list(used))
            if gpu_tres:
                alloc_extra = ",gres/gpu=%d,gres/gpu:%s=%d" % (ngpu_used, gtype, ngpu_used)
        else:
            gres_used = "gpu:%s:0(IDX:N/A)" % gtype
        if gpu_tres:
            cfg_extra = ",gres/gpu=%d,gres/gpu:%s=%d" % (gcount, gtype, gcount)
    alloc_tres = ""
    if calloc:
        alloc_tres = "cpu=%d,mem=%s%s" % (calloc, conv_mem(amem), alloc_extra)
    cfg_tres = "cpu=%d,mem=%s,billing=%d%s" % (cpus, conv_mem(mem), cpus, cfg_extra)
    if off:
        boot = "None"
        sstart = "None"
    else:
        boot = str(now - rng.randrange(3600, 90 * 86400))
        sstart = str(int(boot) + rng.randrange(40, 200))
    lastbusy = str(now - (0 if calloc else rng.randrange(60, 86400 * 3)))
    name = x["name"]
    addr = "10.%d.%d.%d" % (10 + idx // 65536, (idx // 256) % 256, idx % 256)
    os_s = OS_STRINGS[0 if x["kind"] in ("cpu", "a100") else 1]
    parts = ",".join(x["parts"]) if x["parts"] else "(null)"
    f = [
        "NodeName=%s Arch=x86_64 CoresPerSocket=%d " % (name, k["cores"]),
        "CPUAlloc=%d CPUEfctv=%d CPUTot=%d CPULoad=%s" % (calloc, cpus, cpus, load),
        "AvailableFeatures=%s" % k["feat"],
        "ActiveFeatures=%s" % k["feat"],
        "Gres=%s" % gres_s,
        "GresDrain=N/A",
        "GresUsed=%s" % gres_used,
        "NodeAddr=%s NodeHostName=%s Port=6818 Version=%s" % (addr, name, SLURM_VERSION),
        "OS=%s" % os_s,
        "RealMemory=%d AllocMem=%d FreeMem=%s Sockets=%d Boards=1" % (mem, amem, free, k["sockets"]),
        "State=%s ThreadsPerCore=%d TmpDisk=%d Weight=%d Owner=N/A MCS_label=N/A"
        % (x["state"], k["threads"], k["tmp"], k["weight"]),
        "Partitions=%s " % parts,
        "BootTime=%s SlurmdStartTime=%s" % (boot, sstart),
        "LastBusyTime=%s" % lastbusy,
        "CfgTRES=%s" % cfg_tres,
        "AllocTRES=%s" % alloc_tres,
        "CapWatts=n/a",
        "CurrentWatts=0 AveWatts=0",
        "ExtSensorsJoules=n/s ExtSensorsWatts=0 ExtSensorsTemp=n/s",
    ]
    rk = x["reason_kind"]
    if rk or (not_resp and rng.random() < 0.5):
        if rk == "down" or (not rk and not_resp):
            reason = rng.choice(DOWN_REASONS)
            who = "slurm" if reason.startswith(("Not responding", "Node unexp")) else rng.choice(ADMINS)
        else:
            reason = rng.choice(DRAIN_REASONS)
            who = rng.choice(ADMINS)
        f.append("Reason=%s [%s@%d]" % (reason, who, now - rng.randrange(300, 30 * 86400)))
    return " ".join(f)


PART_CONF = {
    # name: (default, maxtime, deftime, state, hidden, prio_tier, jobfactor, qos,
    #        allow_qos, oversubscribe, preempt, maxnodes, billing weights)
    "debug": ("NO", "00:30:00", "00:10:00", "UP", "NO", 2, 10, "N/A", "ALL", "NO", "OFF", "4", None),
    "batch": ("YES", "2-00:00:00", "01:00:00", "UP", "NO", 1, 1, "N/A", "ALL", "NO", "OFF", "UNLIMITED", None),
    "long": ("NO", "14-00:00:00", "1-00:00:00", "UP", "NO", 1, 1, "long", "long,normal", "NO", "OFF", "16", None),
    "bigmem": ("NO", "7-00:00:00", "01:00:00", "UP", "NO", 1, 1, "N/A", "ALL", "NO", "OFF", "UNLIMITED",
               "CPU=1.0,Mem=0.125G"),
    "gpu": ("NO", "2-00:00:00", "01:00:00", "UP", "NO", 1, 1, "N/A", "ALL", "NO", "OFF", "UNLIMITED",
            "CPU=1.0,Mem=0.25G,GRES/gpu=16.0"),
    "gpu-h100": ("NO", "2-00:00:00", "01:00:00", "UP", "NO", 1, 5, "gpuh100", "ALL", "NO", "OFF", "UNLIMITED",
                 "CPU=1.0,Mem=0.25G,GRES/gpu=32.0"),
    "preempt": ("NO", "1-00:00:00", "01:00:00", "UP", "NO", 0, 1, "scavenger", "scavenger", "FORCE:4",
                "REQUEUE", "UNLIMITED", None),
    "maint": ("NO", "UNLIMITED", "NONE", "DOWN", "YES", 10, 1, "N/A", "ALL", "EXCLUSIVE", "OFF", "UNLIMITED", None),
}


def partition_lines(nodes, gpu_tres=True):
    out = []
    for p in PARTS:
        members = [x for x in nodes if p in x["parts"]]
        (dflt, maxt, deft, state, hidden, tier, jf, qos, aqos, oversub, pmode, maxn, bw) = PART_CONF[p]
        tcpu = 0
        tmem = 0
        tgpu = 0
        for x in members:
            k = KINDS[x["kind"]]
            tcpu += k["sockets"] * k["cores"] * k["threads"]
            tmem += k["mem"]
            if k["gres"]:
                tgpu += k["gres"][1]
        tres = "cpu=%d,mem=%s,node=%d,billing=%d" % (tcpu, conv_mem(tmem), len(members), tcpu)
        if tgpu and gpu_tres:
            tres += ",gres/gpu=%d" % tgpu
        accounts = "ALL"
        line = (
            "PartitionName=%s AllowGroups=ALL AllowAccounts=%s AllowQos=%s AllocNodes=ALL Default=%s QoS=%s "
            "DefaultTime=%s DisableRootJobs=NO ExclusiveUser=NO GraceTime=%d Hidden=%s MaxNodes=%s MaxTime=%s "
            "MinNodes=0 LLN=NO MaxCPUsPerNode=UNLIMITED Nodes=%s PriorityJobFactor=%d PriorityTier=%d "
            "RootOnly=NO ReqResv=NO OverSubscribe=%s OverTimeLimit=NONE PreemptMode=%s State=%s "
            "TotalCPUs=%d TotalNodes=%d SelectTypeParameters=NONE JobDefaults=%s "
            "DefMemPerNode=UNLIMITED MaxMemPerNode=UNLIMITED TRES=%s"
            % (p, accounts, aqos, dflt, qos, deft, 300 if pmode != "OFF" else 0, hidden, maxn, maxt,
               hostlist([x["name"] for x in members]) if members else "(null)", jf, tier, oversub, pmode,
               state, tcpu, len(members), "DefMemPerGPU=65536" if p.startswith("gpu") else "(null)", tres)
        )
        if bw:
            line += " TRESBillingWeights=%s" % bw
        out.append(line)
    return out


# --------------------------------------------------------------------------
# users, accounts, jobs

FIRST = "abcdefghijklmnoprstvwz"
SURNAMES = [
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "martinez", "lopez",
    "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin", "lee", "thompson", "white",
    "harris", "clark", "lewis", "robinson", "walker", "young", "allen", "king", "wright", "scott",
    "nguyen", "hill", "green", "adams", "baker", "nelson", "carter", "mitchell", "perez", "roberts",
    "mueller", "schmidt", "schneider", "fischer", "weber", "meyer", "wagner", "becker", "schulz", "hoffmann",
    "kowalski", "nowak", "wisniewski", "rossi", "russo", "ferrari", "esposito", "bianchi", "romano", "colombo",
    "tanaka", "suzuki", "takahashi", "watanabe", "ito", "yamamoto", "kim", "park", "chen", "wang",
    "zhang", "li", "liu", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun",
    "dubois", "bernard", "durand", "leroy", "moreau", "laurent", "simon", "michel", "lefebvre", "girard",
    "kumar", "sharma", "singh", "patel", "gupta", "khan", "reddy", "iyer", "nair", "rao",
]
FIELDS = [
    "physics", "chemistry", "biology", "astro", "climate", "cfd", "materials", "genomics", "neuro", "ml",
    "math", "geo", "econ", "hep", "qcd", "bioinf", "pharma", "ocean", "energy", "robotics",
]


def build_users(n_users, n_accounts, rng):
    accounts = []
    for i in range(n_accounts):
        f = FIELDS[i % len(FIELDS)]
        style = i % 4
        if style == 0:
            accounts.append("%s" % f if i < len(FIELDS) else "%s%d" % (f, i // len(FIELDS)))
        elif style == 1:
            accounts.append("proj-%s-%04d" % (f, 1000 + i))
        elif style == 2:
            a = "%s_lab_%s" % (f, SURNAMES[(i * 7) % len(SURNAMES)])
            accounts.append(a if a not in accounts else "%s%d" % (a, i))
        else:
            accounts.append("p%07d" % (2300000 + i * 13))
    seen = set()
    users = []
    i = 0
    while len(users) < n_users:
        s = SURNAMES[rng.randrange(len(SURNAMES))]
        f = FIRST[rng.randrange(len(FIRST))]
        style = rng.random()
        if style < 0.55:
            u = f + s
        elif style < 0.75:
            u = "%s.%s" % (f, s)
        elif style < 0.9:
            u = "%s%s%02d" % (f, s[:6], rng.randrange(100))
        else:
            u = "u%07d" % rng.randrange(10 ** 6, 10 ** 7)
        if u in seen:
            u = "%s%d" % (u, i)
        seen.add(u)
        users.append(u)
        i += 1
    # each user: a primary account, some a second one
    user_accts = {}
    for j, u in enumerate(users):
        a = accounts[rng.randrange(n_accounts)]
        acc = [a]
        if rng.random() < 0.15:
            acc.append(accounts[rng.randrange(n_accounts)])
        user_accts[u] = acc
    # heavy-tailed activity weights (a few users submit most jobs)
    weights = [1.0 / (r + 1) ** 0.9 for r in range(n_users)]
    rng.shuffle(weights)
    return users, user_accts, weights, accounts


JOB_STATES = [
    ("RUNNING", 41.0), ("PENDING", 49.0), ("COMPLETED", 4.5), ("CANCELLED", 1.6), ("FAILED", 1.2),
    ("TIMEOUT", 0.6), ("COMPLETING", 0.6), ("OUT_OF_MEMORY", 0.2), ("CONFIGURING", 0.3),
    ("NODE_FAIL", 0.05), ("PREEMPTED", 0.1), ("SUSPENDED", 0.05), ("REQUEUED", 0.05),
    ("BOOT_FAIL", 0.02), ("DEADLINE", 0.02),
]
END_REASON = {
    "RUNNING": "None", "COMPLETED": "None", "CANCELLED": "None", "COMPLETING": "None",
    "CONFIGURING": "None", "TIMEOUT": "TimeLimit", "OUT_OF_MEMORY": "OutOfMemory",
    "NODE_FAIL": "NodeDown", "PREEMPTED": "None", "SUSPENDED": "None", "REQUEUED": "None",
    "BOOT_FAIL": "None", "DEADLINE": "DeadLine",
}
PENDING_REASONS = [
    ("Priority", 42), ("Resources", 18), ("Dependency", 9), ("JobHeldUser", 4), ("JobHeldAdmin", 0.8),
    ("QOSMaxJobsPerUserLimit", 6), ("ReqNodeNotAvail", 2.5), ("AssocGrpCpuLimit", 3), ("BeginTime", 2),
    ("AssocGrpGRES", 1.5), ("QOSMaxGRESPerUser", 1.5), ("AssocMaxJobsLimit", 1),
    ("QOSGrpCpuLimit", 1), ("PartitionTimeLimit", 0.4), ("DependencyNeverSatisfied", 0.6),
    ("Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions", 2),
    ("launch failed requeued held", 0.2), ("BadConstraints", 0.2), ("Reservation", 0.3),
    ("AssocGrpMemLimit", 0.5), ("QOSMaxWallDurationPerJobLimit", 0.2), ("InvalidAccount", 0.05),
]
PART_WEIGHT = [
    ("batch", 44), ("long", 9), ("debug", 4), ("bigmem", 4), ("gpu", 15), ("gpu-h100", 8), ("preempt", 10),
    ("maint", 0.2),
]
MULTI_PART = ["batch,long", "gpu,preempt", "bigmem,batch", "gpu,gpu-h100", "batch,preempt",
              "debug,batch", "gpu-h100,gpu,preempt"]
QOS_FOR = {
    "batch": [("normal", 80), ("high", 10), ("low", 10)],
    "long": [("long", 90), ("normal", 10)],
    "debug": [("debug", 70), ("normal", 30)],
    "bigmem": [("normal", 85), ("high", 15)],
    "gpu": [("gpu", 75), ("normal", 20), ("high", 5)],
    "gpu-h100": [("gpuh100", 100)],
    "preempt": [("scavenger", 100)],
    "maint": [("normal", 100)],
}


class Picker:
    """Weighted choice with a precomputed cumulative table (fast)."""

    def __init__(self, items):
        self.keys = [k for k, _ in items]
        acc = 0.0
        self.cum = []
        for _, w in items:
            acc += w
            self.cum.append(acc)
        self.total = acc

    def __call__(self, rng):
        import bisect
        return self.keys[bisect.bisect_right(self.cum, rng.random() * self.total)]


def job_shape(part, rng):
    """(cpus, nodes, mem_mb, gpus, gpu_type) for one job in a partition."""
    gtype = None
    gpus = 0
    r = rng.random()
    if part in ("gpu", "gpu-h100"):
        gtype = "h100" if part == "gpu-h100" or rng.random() < 0.3 else "a100"
        per = 8 if gtype == "h100" else 4
        nodes = 1 if rng.random() < 0.85 else rng.choice([2, 4, 8])
        g = per if nodes > 1 else rng.choice([1, 1, 1, 2, 2, 4, per])
        gpus = g * nodes
        cpus = gpus * rng.choice([4, 8, 12, 16])
        mem = gpus * rng.choice([32000, 64000, 65536, 96000])
        return cpus, nodes, mem, gpus, gtype
    if part == "bigmem":
        cpus = rng.choice([8, 16, 32, 48, 96, 192])
        return cpus, 1, rng.choice([256000, 512000, 768000, 1000000, 1536000]), 0, None
    if part == "debug":
        nodes = rng.choice([1, 1, 1, 2])
        cpus = nodes * rng.choice([1, 2, 4, 8, 32])
        return cpus, nodes, cpus * 2000, 0, None
    if r < 0.55:
        cpus = rng.choice([1, 1, 1, 2, 4, 4, 8, 16])
        nodes = 1
    elif r < 0.85:
        cpus = rng.choice([16, 24, 32, 48, 64])
        nodes = 1
    else:
        nodes = rng.choice([2, 2, 4, 4, 8, 16, 32, 64, 128])
        cpus = nodes * rng.choice([32, 64])
    mem = cpus * rng.choice([1000, 2000, 3800, 4000, 4096, 8000])
    return cpus, nodes, mem, 0, None


def tres_str(cpus, nodes, mem, gpus, gtype, part, typed, gpu_tres):
    billing = cpus
    if gpus:
        billing = max(cpus, gpus * (32 if gtype == "h100" else 16))
    elif part == "bigmem":
        billing = max(cpus, int(mem / 1024 * 0.125))
    s = "cpu=%d,mem=%s,node=%d,billing=%d" % (cpus, conv_mem(mem), nodes, billing)
    if gpus and gpu_tres:
        s += ",gres/gpu=%d" % gpus
        if typed:
            s += ",gres/gpu:%s=%d" % (gtype, gpus)
    return s


# squeue -O field names this generator can produce (lower-cased). The exporter
# decides which it asks for; see squeue_format().
SQUEUE_FORMAT_BUILTIN = (
    "JobID:0|,JobArrayID:0|,State:0|,Partition:0|,UserName:0|,Account:0|,QOS:0|,NumCPUs:0|,"
    "NumNodes:0|,tres-alloc:0|,SubmitTime:0|,StartTime:0|,EligibleTime:0|,tres-per-node:0|,"
    "tres-per-job:0|,tres-per-task:0|,NumTasks:0|,Reason:0")
KNOWN_FIELDS = {
    "jobid", "jobarrayid", "arrayjobid", "arraytaskid", "state", "statecompact", "partition", "username",
    "groupname", "account", "qos", "numcpus", "numnodes", "numtasks", "tres-alloc", "tres-per-node",
    "tres-per-job", "tres-per-task", "submittime", "starttime", "eligibletime", "endtime", "timelimit",
    "timeused", "priority", "prioritylong", "name", "nodelist", "minmemory", "reservation", "dependency",
    "reason",
}
STATE_COMPACT = {
    "PENDING": "PD", "RUNNING": "R", "SUSPENDED": "S", "COMPLETING": "CG", "COMPLETED": "CD",
    "CONFIGURING": "CF", "CANCELLED": "CA", "FAILED": "F", "TIMEOUT": "TO", "PREEMPTED": "PR",
    "NODE_FAIL": "NF", "BOOT_FAIL": "BF", "DEADLINE": "DL", "OUT_OF_MEMORY": "OOM", "REQUEUED": "RQ",
}
PART_LIMIT = {"debug": 1800, "batch": 2 * 86400, "long": 14 * 86400, "bigmem": 7 * 86400,
              "gpu": 2 * 86400, "gpu-h100": 2 * 86400, "preempt": 86400, "maint": 3600}
JOB_NAMES = ["run.sh", "job.slurm", "train", "train_llm_70b", "vasp_relax", "gromacs-md", "lammps",
             "nextflow", "snakejob.align", "jupyter", "sys/dashboard/sys/rstudio", "interactive", "wrf",
             "openfoam_case17", "bash", "array_sweep", "cp2k", "alphafold2", "namd", "blast_chunk"]


def squeue_format(src_root=None):
    """The -O list the exporter uses, made as the exporter makes it from the
    SQUEUE_FIELDS list in src/sources/squeue_fields.h when that is there (so
    the benchmark follows the exporter), else the built-in one."""
    root = src_root or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "src", "sources", "squeue_fields.h")
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError:
        return SQUEUE_FORMAT_BUILTIN
    import re
    m = re.search(r"#define\s+SQUEUE_FIELDS\(X, LAST\)((?:.*\\\n)*.*)", text)
    names = re.findall(r"\b(?:X|LAST)\(\s*\w+\s*,\s*\"([^\"]*)\"\s*\)", m.group(1)) if m else []
    if not names:
        return SQUEUE_FORMAT_BUILTIN
    # width 0, '|' after every field but the last (Reason)
    return ",".join([n + ":0|" for n in names[:-1]] + [names[-1] + ":0"])


def parse_format(fmt):
    """'JobID:0|,State:0|,Reason:0' -> (['jobid','state','reason'], separators)"""
    names = []
    for item in fmt.split(","):
        name = item.split(":", 1)[0].strip().lower()
        if name not in KNOWN_FIELDS:
            raise SystemExit("gen.py: squeue field %r is not supported (known: %s)"
                             % (name, ", ".join(sorted(KNOWN_FIELDS))))
        names.append(name)
    return names


def fmt_dur(sec):
    if sec is None:
        return "UNLIMITED"
    d, r = divmod(int(sec), 86400)
    h, r = divmod(r, 3600)
    m, s = divmod(r, 60)
    if d:
        return "%d-%02d:%02d:%02d" % (d, h, m, s)
    if h:
        return "%d:%02d:%02d" % (h, m, s)
    return "%d:%02d" % (m, s)


def build_jobs(n_jobs, users, user_accts, uweights, nodes, rng, now, fields, gpu_tres):
    upick_cum = []
    acc = 0.0
    for w in uweights:
        acc += w
        upick_cum.append(acc)
    import bisect

    def pick_user():
        return users[bisect.bisect_right(upick_cum, rng.random() * acc)]

    want = set(fields)
    state_p = Picker(JOB_STATES)
    reason_p = Picker(PENDING_REASONS)
    part_p = Picker(PART_WEIGHT)
    qos_p = {p: Picker(v) for p, v in QOS_FOR.items()}
    unavail = [x["name"] for x in nodes if "DOWN" in x["state"] or "DRAIN" in x["state"]][:64]

    part_nodes = {}
    part_names = {}
    for x in nodes:
        for p in x["parts"]:
            part_nodes[p] = part_nodes.get(p, 0) + 1
            part_names.setdefault(p, []).append(x["name"])
    jobs = []  # (partition, state, prio, line)
    arrays_made = 0
    next_id = 4200000 + rng.randrange(100000)

    def alloc_id():
        nonlocal next_id
        next_id += 1 + (rng.randrange(6) if rng.random() < 0.2 else 0)
        return next_id

    def between(a, b):
        # a time in [a, b), skewed towards a (most jobs start soon after submit)
        span = max(1, b - a)
        return a + int(span * rng.random() ** 2)

    def one(jobid, arrayid, state, part, user, account, qos, shape, submit, req, name):
        cpus, nn, mem, gpus, gtype = shape
        reason = END_REASON.get(state)
        start = "N/A"
        elig = str(submit)
        p0 = part.split(",")[0]
        limit = min(PART_LIMIT[p0], rng.choice([1800, 3600, 4 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400]))
        if state == "PENDING":
            reason = reason_p(rng)
            if part == "maint":
                reason = "PartitionDown"
            if reason == "ReqNodeNotAvail" and unavail:
                k = rng.randrange(1, min(6, len(unavail)) + 1)
                reason = "ReqNodeNotAvail, UnavailableNodes:%s" % hostlist(sorted(rng.sample(unavail, k)))
            if reason in ("JobHeldUser", "JobHeldAdmin", "Dependency", "DependencyNeverSatisfied",
                          "launch failed requeued held"):
                elig = "N/A"
            elif reason == "BeginTime":
                t = now + rng.randrange(600, 3 * 86400)
                start = elig = str(t)
            elif reason in ("Resources", "Priority") and rng.random() < 0.35:
                start = str(now + rng.randrange(60, 5 * 86400))  # backfill estimate
        elif state == "FAILED":
            reason = rng.choice(["NonZeroExitCode", "NonZeroExitCode", "RaisedSignal:9(Killed)",
                                 "RaisedSignal:6(Aborted)"])
            start = str(between(submit, now))
        elif state in ("RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED"):
            start = str(between(max(submit, now - limit + 60), now))
        else:
            start = str(between(submit, now))
        typed = state != "PENDING" or req[0] == "node" and ":" in req[1]
        tres = tres_str(cpus, nn, mem, gpus, gtype, p0, typed, gpu_tres)
        prio = rng.randrange(1000, 200000)
        v = {
            "jobid": str(jobid), "jobarrayid": arrayid, "state": state, "partition": part, "username": user,
            "account": account, "qos": qos, "numcpus": str(cpus), "numnodes": str(nn), "tres-alloc": tres,
            "submittime": str(submit), "starttime": start, "eligibletime": elig, "reason": reason,
            "tres-per-node": "N/A", "tres-per-job": "N/A", "tres-per-task": "N/A",
        }
        if gpus:
            kind, spec = req[0], req[1]
            v["tres-per-" + kind] = "gres:gpu:" + spec
        if want & {"numtasks"}:
            v["numtasks"] = str(req[2])
        if want & {"arrayjobid", "arraytaskid"}:
            if "_" in arrayid:
                v["arrayjobid"], v["arraytaskid"] = arrayid.split("_", 1)
            else:
                v["arrayjobid"], v["arraytaskid"] = str(jobid), "N/A"
        if want & {"statecompact"}:
            v["statecompact"] = STATE_COMPACT.get(state, state)
        if want & {"groupname"}:
            v["groupname"] = account.split("_")[0]
        if want & {"timelimit", "timeused", "endtime"}:
            v["timelimit"] = fmt_dur(limit)
            st_i = int(start) if start != "N/A" and state != "PENDING" else None
            v["timeused"] = fmt_dur(max(0, now - st_i)) if st_i and state in ("RUNNING", "COMPLETING") else "0:00"
            v["endtime"] = str(st_i + limit) if st_i else ("N/A" if start == "N/A" else str(int(start) + limit))
        if want & {"priority", "prioritylong"}:
            v["priority"] = "%.8f" % (prio / 4294967295.0)
            v["prioritylong"] = str(prio)
        if want & {"name"}:
            v["name"] = name
        if want & {"nodelist"}:
            if state == "PENDING" or state in ("CANCELLED",) and start == "N/A":
                v["nodelist"] = ""
            else:
                names = part_names.get(p0) or ["cn001"]
                i = rng.randrange(len(names))
                v["nodelist"] = hostlist(sorted(set(names[(i + j) % len(names)] for j in range(nn))))
        if want & {"minmemory"}:
            v["minmemory"] = conv_mem(max(1, mem // nn))
        if want & {"reservation", "dependency"}:
            v["reservation"] = "(null)"
            v["dependency"] = "afterok:%d(unfulfilled)" % (jobid - 1) if reason == "Dependency" else "(null)"
        jobs.append((part, state, -prio, "|".join(v[f] for f in fields)))

    while len(jobs) < n_jobs:
        user = pick_user()
        accts = user_accts[user]
        account = accts[0] if len(accts) == 1 or rng.random() < 0.7 else accts[1]
        part = part_p(rng)
        qos = qos_p[part](rng)
        state = state_p(rng)
        if part == "maint":
            state = "PENDING"
        ppart = part
        if state == "PENDING" and part != "maint" and rng.random() < 0.06:
            ppart = rng.choice(MULTI_PART)
            part = ppart.split(",")[0]
            qos = qos_p[part](rng)
        shape = job_shape(part, rng)
        if shape[1] > part_nodes.get(part, 1):  # no more nodes than the partition has
            nn = max(1, part_nodes.get(part, 1))
            per = shape[0] // shape[1]
            shape = (per * nn, nn, shape[2] // shape[1] * nn, shape[3] // shape[1] * nn, shape[4])
        cpus, nn, _, gpus, gtype = shape
        # how the job asked: (tres-per-<kind>, spec, NumTasks)
        if gpus:
            r = rng.random()
            if r < 0.6:
                per_node = gpus // nn
                req = ("node", ("%s:%d" % (gtype, per_node)) if rng.random() < 0.5 else str(per_node), nn)
            elif r < 0.9:
                req = ("job", str(gpus), nn)
            else:
                req = ("task", "1", gpus)
        else:
            req = ("", "", cpus if rng.random() < 0.4 else nn)
        name = rng.choice(JOB_NAMES)
        if state in ("RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED"):
            submit = now - rng.randrange(60, 4 * 86400)
        elif state == "PENDING":
            submit = now - rng.randrange(5, 10 * 86400)
        else:
            submit = now - rng.randrange(120, 2 * 86400)
        left = n_jobs - len(jobs)
        want_array = rng.random() < 0.0025 or (not arrays_made and len(jobs) >= n_jobs // 2)
        if want_array and left >= 4:
            arrays_made += 1
            # a job array: some tasks finished/running (own ids), the rest
            # pending with the array's id (squeue -r prints each task)
            base = alloc_id()
            size = min(left, max(4, n_jobs // 20), rng.choice([4, 10, 20, 50, 100, 200, 500]))
            step = 1 if rng.random() < 0.8 else rng.choice([2, 5, 10])
            nrun = rng.randrange(0, size + 1) if state != "PENDING" else 0
            if state == "PENDING" and rng.random() < 0.5:
                nrun = rng.randrange(0, max(1, size // 4))
            ndone = rng.randrange(0, nrun + 1) // 3 if nrun else 0
            reason_arr = None
            for t in range(size):
                task = t * step
                if t < ndone:
                    st = "COMPLETED" if rng.random() < 0.9 else "FAILED"
                    one(alloc_id(), "%d_%d" % (base, task), st, part, user, account, qos, shape, submit, req, name)
                elif t < nrun:
                    jid = base if t == size - 1 else alloc_id()
                    one(jid, "%d_%d" % (base, task), "RUNNING", part, user, account, qos, shape, submit, req,
                        name)
                else:
                    # pending tasks share one reason and priority (they are one record)
                    if reason_arr is None:
                        reason_arr = rng.getstate()
                    else:
                        rng.setstate(reason_arr)
                    one(base, "%d_%d" % (base, task), "PENDING", ppart, user, account, qos, shape, submit, req,
                        name)
            # move the generator on from the replayed state
            rng.random()
            continue
        jid = alloc_id()
        one(jid, str(jid), state, ppart, user, account, qos, shape, submit, req, name)
    # squeue's default sort for -O without -S: partition, state, priority (desc)
    jobs.sort(key=lambda j: (j[0], j[1], j[2]))
    return [j[3] for j in jobs]


# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, required=True)
    ap.add_argument("--jobs", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20220524)
    ap.add_argument("--now", type=int, default=NOW_DEFAULT, help="epoch all times are relative to")
    ap.add_argument("--users", type=int, default=0, help="default: jobs/50, 5..20000")
    ap.add_argument("--accounts", type=int, default=0, help="default: jobs/500, 3..2000")
    ap.add_argument("--squeue-format", default=None,
                    help="squeue -O list to produce (default: SQUEUE_FIELDS from src/sources/squeue_fields.h, "
                    "else the built-in 22.05 list)")
    ap.add_argument("--no-gpu-tres", action="store_true",
                    help="site without gres/gpu in AccountingStorageTRES: no gres/gpu in any TRES string "
                    "(GPUs only in tres-per-node/job/task and Gres=)")
    a = ap.parse_args()
    if a.nodes < 1 or a.jobs < 0:
        ap.error("--nodes must be >= 1 and --jobs >= 0")
    t0 = time.monotonic()
    n_users = a.users or min(20000, max(5, a.jobs // 50))
    n_accounts = a.accounts or min(2000, max(3, a.jobs // 500))
    n_accounts = min(n_accounts, n_users)

    # independent streams so changing one part does not reshuffle the others
    rng_nodes = random.Random("%d-nodes" % a.seed)
    rng_users = random.Random("%d-users" % a.seed)
    rng_jobs = random.Random("%d-jobs" % a.seed)

    nodes = build_nodes(a.nodes, rng_nodes)
    node_lines = [node_line(x, i, rng_nodes, a.now, not a.no_gpu_tres) for i, x in enumerate(nodes)]
    part_lines = partition_lines(nodes, not a.no_gpu_tres)
    users, user_accts, uweights, accounts = build_users(n_users, n_accounts, rng_users)
    fmt = a.squeue_format or squeue_format()
    fields = parse_format(fmt)
    job_lines = build_jobs(a.jobs, users, user_accts, uweights, nodes, rng_jobs, a.now, fields, not a.no_gpu_tres)

    os.makedirs(a.out, exist_ok=True)
    sizes = {}
    for fname, lines in (("squeue.out", job_lines), ("nodes.out", node_lines), ("partitions.out", part_lines)):
        path = os.path.join(a.out, fname)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="ascii", newline="\n") as fh:
            for ln in lines:
                fh.write(ln)
                fh.write("\n")
        os.replace(tmp, path)
        sizes[fname] = os.path.getsize(path)

    # summary counts (cheap, from the lines themselves)
    fi = {name: i for i, name in enumerate(fields)}
    st = {}
    used_users = set()
    used_accts = set()
    arrays = 0
    multi = 0
    for ln in job_lines:
        f = ln.split("|")
        sv = f[fi["state"]]
        st[sv] = st.get(sv, 0) + 1
        if "username" in fi:
            used_users.add(f[fi["username"]])
        if "account" in fi:
            used_accts.add(f[fi["account"]])
        if "jobarrayid" in fi and "_" in f[fi["jobarrayid"]]:
            arrays += 1
        if "partition" in fi and "," in f[fi["partition"]]:
            multi += 1
    nst = {}
    for x in nodes:
        nst[x["state"]] = nst.get(x["state"], 0) + 1
    meta = dict(
        nodes=a.nodes, jobs=a.jobs, seed=a.seed, now=a.now, generator_version=2, squeue_format=fmt,
        gpu_tres=not a.no_gpu_tres,
        users=len(used_users), accounts=len(used_accts), partitions=len(part_lines),
        gpu_nodes=sum(1 for x in nodes if KINDS[x["kind"]]["gres"]),
        job_states=dict(sorted(st.items())), node_states=dict(sorted(nst.items())),
        array_task_lines=arrays, multi_partition_jobs=multi, bytes=sizes,
        gen_seconds=round(time.monotonic() - t0, 2),
    )
    with open(os.path.join(a.out, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print("%s: %d nodes, %d jobs, %d users, %d accounts; squeue.out %d B, nodes.out %d B, "
          "partitions.out %d B; %.2fs" % (a.out, a.nodes, len(job_lines), len(used_users), len(used_accts),
                                          sizes["squeue.out"], sizes["nodes.out"], sizes["partitions.out"],
                                          meta["gen_seconds"]), file=sys.stderr)


if __name__ == "__main__":
    main()
