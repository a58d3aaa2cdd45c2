#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Fake outputs of the other datasets' commands for bench/run, scaled from the 22.05
recordings in tests/fixtures/22.05 (so every line has a shape the parsers met on a real
Slurm): sdiag, sshare (accounts; and with --all, users too), scontrol show assoc_mgr (an association per user and
account, QoS), scontrol show licenses, scontrol show reservations, sacct (finished jobs of
one refresh window, with their steps).

    bench/gen_extra.py --out DIR --accounts N --users N --finished N --nodes N
"""
import argparse
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures", "22.05")


def read(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read().splitlines()


def write(out, name, lines):
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--finished", type=int, default=1000)
    ap.add_argument("--nodes", type=int, default=10000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    # sdiag: the recording, with RPC statistics for many users
    sd = read("exporter_scheduler.txt")
    users_at = next((i for i, l in enumerate(sd) if l.startswith("Remote Procedure Call statistics by user")), None)
    if users_at is not None:
        tmpl = next(l for l in sd[users_at + 1:] if "count:" in l)
        extra = [re.sub(r"^\s*\S+", "\tuser%05d" % i, tmpl.replace("\t", " ", 1)) for i in range(min(a.users, 4000))]
        sd = sd[:users_at + 1] + extra + sd[users_at + 1:]
    write(a.out, "sdiag.out", sd)

    # sshare: root, then every account (the exporter's default asks for accounts only)
    fs = read("exporter_fairshare.txt")
    acct = next(l for l in fs if l.startswith(" ") and "||" in l and l.split("|")[1] == "")
    lines = [fs[0]]
    for i in range(a.accounts):
        lines.append(re.sub(r"^ [^|]+", " acct%04d" % i, acct))
    write(a.out, "sshare.out", lines)
    # sshare --all (--collector.fairshare.users): each account followed by its users, a user in
    # the account assoc_mgr below gives it
    fsu = read("exporter_fairshare_users.txt")
    user = next(l for l in fsu if l.startswith("  ") and l.split("|")[1] not in ("", "root"))
    lines = [fsu[0]]
    per_acct = {}
    for u in range(a.users):
        per_acct.setdefault(u % max(1, a.accounts), []).append(u)
    for i in range(a.accounts):
        lines.append(re.sub(r"^ [^|]+", " acct%04d" % i, acct))
        for u in per_acct.get(i, []):
            lines.append(re.sub(r"^  [^|]+\|[^|]+", "  acct%04d|user%05d" % (i, u), user))
    write(a.out, "sshare_users.out", lines)

    # assoc_mgr: an account association per account, a user association per user, QoS
    lm = read("exporter_limits.txt")
    acct_l = next(l for l in lm if "Account=physics UserName= " in l)
    user_l = next(l for l in lm if "Account=physics UserName=root(0)" in l)
    qos = [l for l in lm if l.startswith("QOS=")]
    lines = lm[:3]
    for i in range(a.accounts):
        lines.append(acct_l.replace("Account=physics", "Account=acct%04d" % i))
    for u in range(a.users):
        lines.append(user_l.replace("Account=physics", "Account=acct%04d" % (u % max(1, a.accounts)))
                     .replace("UserName=root(0)", "UserName=user%05d(%d)" % (u, 10000 + u)))
    lines.append("QOS Records")
    for i in range(20):
        for q in qos:
            lines.append(re.sub(r"^QOS=\w+\((\d+)\)", "QOS=q%02d_\\1(%d)" % (i, 100 + i), q))
    write(a.out, "assoc_mgr.out", lines)

    # licenses and reservations
    lic = read("exporter_licenses.txt")
    write(a.out, "licenses.out", [re.sub(r"LicenseName=([^ @]+)", "LicenseName=\\1_%02d" % i, l)
                                  for i in range(20) for l in lic if l.strip()])
    rv = [l for l in read("exporter_reservations.txt") if l.startswith("ReservationName=")]
    lines = []
    for i in range(100):
        l = rv[i % len(rv)]
        lo = (i * 40) % max(1, a.nodes - 40) + 1
        l = re.sub(r"ReservationName=\S+", "ReservationName=resv%03d" % i, l)
        l = re.sub(r" Nodes=\S+", " Nodes=cn[%05d-%05d]" % (lo, lo + 31), l)
        lines.append(re.sub(r" NodeCnt=\d+", " NodeCnt=32", l))
    write(a.out, "reservations.out", lines)

    # sacct: the recorded jobs (allocation line and its steps) repeated with new ids
    sa = read("exporter_accounting.txt")
    jobs = []
    for l in sa:
        jid = l.split("|", 1)[0]
        if "." not in jid:
            jobs.append([l])
        elif jobs:
            jobs[-1].append(l)
    lines = []
    for i in range(a.finished):
        for l in jobs[i % len(jobs)]:
            jid, rest = l.split("|", 1)
            step = jid.split(".", 1)[1] if "." in jid else None
            new = str(100000 + i) + ("." + step if step else "")
            lines.append(new + "|" + rest)
    write(a.out, "sacct.out", lines)


if __name__ == "__main__":
    main()
