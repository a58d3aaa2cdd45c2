# SPDX-License-Identifier: Apache-2.0
"""fairshare collector: every account and user association sshare shows, with the exporter's
shares, usage, fairshare factor and LevelFS compared with sshare's own answer, and the account
tree. The exporter's values are bracketed by two sshare runs, one before and one after the
exporter's own fetch: a value must equal one of them or lie between them (usage grows when jobs
end; NormUsage, FairShare and LevelFS move when slurmctld recalculates). Normalized shares do not
move and must be exactly equal."""
import math
import time

NAME = "fairshare"
FLAGS = ["--collector.fairshare.users"]

FORMAT = ("Account,User,RawShares,NormShares,RawUsage,NormUsage,EffectvUsage,FairShare,LevelFS,"
          "Partition,Cluster")
VALUES = ["shares_raw", "shares_normalized", "usage_raw", "usage_normalized", "usage_effective",
          "factor", "level"]


def sacctmgr(ctx, *args):
    ctx.run(["sacctmgr", "-i", *args])


def setup(ctx):
    # Two accounts with different shares (as the brief of the issue has them), plus our own
    # branch: a Fairshare=parent account, an account below it, a partition association and a
    # Fairshare=parent user.
    sacctmgr(ctx, "modify", "account", "physics", "set", "fairshare=60")
    sacctmgr(ctx, "modify", "account", "chemistry", "set", "fairshare=30")
    sacctmgr(ctx, "add", "account", "fs_tree", "parent=physics", "fairshare=parent")
    sacctmgr(ctx, "add", "account", "fs_leaf", "parent=fs_tree", "fairshare=5")
    sacctmgr(ctx, "add", "user", "root", "account=fs_leaf")
    sacctmgr(ctx, "add", "user", ctx.base.USER2, "account=fs_leaf", "partition=debug", "fairshare=2")
    sacctmgr(ctx, "add", "user", ctx.base.USER2, "account=fs_tree", "fairshare=parent")
    # usage of our own: a short job in the leaf account
    ctx.run(["sbatch", "-A", "fs_leaf", "-n", "2", "-t", "1", "-o", "/dev/null",
             "--wrap", "sleep 1"], check=False)


def sshare(ctx):
    """{(account, user, partition): {value: float or None}, ...}, {account: parent}."""
    p = ctx.run(["sshare", "--noheader", "--parsable2", "--all", f"--format={FORMAT}"])
    rows, parents, branch = {}, {}, []
    for line in p.stdout.splitlines():
        if not line.strip():
            continue
        f = line.split("|")
        assert len(f) == 11, f"sshare line with {len(f)} fields: {line!r}"
        depth = len(f[0]) - len(f[0].lstrip(" "))
        acct, user = f[0].strip(), f[1]
        vals = {}
        for k, name in enumerate(VALUES):
            s = f[2 + k]
            vals[name] = None if s in ("", "parent", "nan", "-nan") else float(s)
        if not user:
            del branch[depth:]
            parents[acct] = branch[-1] if branch else ""
            branch.append(acct)
            if depth == 0 and f[2] == "":  # the root: its NormShares is never computed
                vals["shares_normalized"] = None
        rows[(acct, user, f[9])] = vals
    return rows, parents


def fetched_at(expo):
    return expo.value("slurm_exporter_dataset_last_success_timestamp_seconds", dataset="fairshare")


def check(ctx):
    R = ctx.R
    # let the setup's job end, so there is usage to compare (it counts at once when a job ends)
    try:
        ctx.wait_until("usage in fs_leaf",
                       lambda: (sshare(ctx)[0].get(("fs_leaf", "", ""), {}).get("usage_raw") or 0) > 0,
                       30, interval=1)
    except ctx.base.Abort:
        R.note("fairshare: the fs_leaf job has not ended within 30 s; usage may all be 0")
    t0 = time.time()
    s1, parents1 = sshare(ctx)
    t_after = time.time()

    def refreshed():
        e = ctx.metrics()
        end = fetched_at(e)
        dur = e.value("slurm_exporter_dataset_fetch_duration_seconds", dataset="fairshare")
        return end is not None and dur is not None and end - dur > t_after

    # a fetch of the exporter that started after the first sshare ended; the exposition taken
    # after it holds that fetch or a later one, and the second sshare runs after that
    ctx.wait_until("a fairshare refresh after sshare", refreshed, 20)
    time.sleep(0.3)
    expo = ctx.metrics()
    s2, parents2 = sshare(ctx)
    t1 = time.time()
    R.check("fairshare: collector succeeds",
            expo.value("slurm_exporter_collector_success", collector="fairshare") == 1, "")
    R.check("fairshare: no parse errors",
            expo.value("slurm_exporter_parse_errors_total", source="fairshare") == 0, "")

    # the tree
    info = {l["account"]: l.get("parent", "") for l, v in expo.get("slurm_account_fairshare_info")}
    R.check("fairshare: account tree (info{account,parent}) equals sshare's indentation",
            info == parents1 or info == parents2, f"exporter {info} sshare {parents2}")
    R.check("fairshare: fs_leaf's parent is fs_tree, fs_tree's physics",
            info.get("fs_leaf") == "fs_tree" and info.get("fs_tree") == "physics", info)

    # every value of every association
    bad, compared, exact_shares = [], 0, 0
    keys = set(s1) | set(s2)
    for key in sorted(keys):
        acct, user, part = key
        a, b = s1.get(key), s2.get(key)
        if a is None or b is None:
            continue  # association added or removed in between
        for name in VALUES:
            if user:
                fam = f"slurm_user_fairshare_{name}"
                labels = {"account": acct, "user": user}
                if part:
                    labels["partition"] = part
            else:
                fam = f"slurm_account_fairshare_{name}"
                labels = {"account": acct}
            got = [v for l, v in expo.get(fam) if l == labels]
            want = (a[name], b[name])
            if want == (None, None):
                if got:
                    bad.append(f"{fam}{labels}={got[0]}, sshare prints none")
                continue
            if not got:
                if None in want:
                    continue  # printed in one run only
                bad.append(f"{fam}{labels} missing, sshare {want}")
                continue
            v = got[0]
            compared += 1
            lo, hi = min(x for x in want if x is not None), max(x for x in want if x is not None)
            if name == "shares_normalized":
                exact_shares += 1
                if v not in want:
                    bad.append(f"{fam}{labels}={v!r}, sshare {want} (must be exact)")
            elif not (v in want or (lo <= v <= hi) or
                      (math.isinf(v) and any(x is not None and math.isinf(x) for x in want))):
                bad.append(f"{fam}{labels}={v!r}, sshare {want}")
    R.check(f"fairshare: {compared} values of {len(keys)} associations equal sshare "
            f"({exact_shares} normalized shares exactly)", not bad and compared > 0, bad[:8])

    # series the exporter has that sshare does not
    extra = []
    for fam_pfx, is_user in (("slurm_account_fairshare_", False), ("slurm_user_fairshare_", True)):
        for name in VALUES:
            for l, _ in expo.get(fam_pfx + name):
                key = (l["account"], l.get("user", "") if is_user else "", l.get("partition", ""))
                if key not in s1 and key not in s2:
                    extra.append((fam_pfx + name, l))
    R.check("fairshare: no series for associations sshare does not show", not extra, extra[:5])

    R.check("fairshare: physics and chemistry have the shares set up (60, 30)",
            expo.value("slurm_account_fairshare_shares_raw", account="physics") == 60 and
            expo.value("slurm_account_fairshare_shares_raw", account="chemistry") == 30, "")
    R.check("fairshare: Fairshare=parent has no raw shares series",
            expo.value("slurm_account_fairshare_shares_raw", account="fs_tree") is None and
            expo.value("slurm_user_fairshare_shares_raw", account="fs_tree", user=ctx.base.USER2) is None
            and expo.value("slurm_account_fairshare_shares_normalized", account="fs_tree")
            is not None, "")
    R.check("fairshare: the partition association has its partition label",
            expo.value("slurm_user_fairshare_shares_raw", account="fs_leaf", user=ctx.base.USER2,
                       partition="debug") == 2, "")
    R.check("fairshare: root account has usage and no shares",
            expo.value("slurm_account_fairshare_usage_raw", account="root") is not None and
            expo.value("slurm_account_fairshare_shares_normalized", account="root") is None, "")
    R.note(f"fairshare: exporter fetch bracketed by sshare runs {t1 - t0:.1f}s apart; root "
           f"RawUsage {expo.value('slurm_account_fairshare_usage_raw', account='root')}")

    # --compat=vpenso: slurm_account_fairshare as 0.20 read `sshare -n -P -o account,fairshare`
    exp2 = ctx.start_exporter("fairshare-vpenso", ["--compat=vpenso", "--collector.disable-defaults",
                                                   "--collector.fairshare"])
    e2 = exp2.metrics()
    p = ctx.run(["sshare", "-n", "-P", "-o", "account,user,fairshare"])
    want = {}
    for line in p.stdout.splitlines():
        if line.startswith("  ") or "|" not in line:
            continue
        acct, user, fs = line.split("|")
        if user:
            continue  # 0.20 let the exporter's own user row overwrite its account; not kept
        try:
            want[acct.strip()] = float(fs)
        except ValueError:
            want[acct.strip()] = 0.0
    got = {l["account"]: v for l, v in e2.get("slurm_account_fairshare")}
    R.check("fairshare: without --collector.fairshare.users no user series, accounts all there",
            not [n for n, _, _ in e2.samples if n.startswith("slurm_user_fairshare_")] and
            {l["account"] for l, _ in e2.get("slurm_account_fairshare_info")} == set(parents2),
            "")
    R.check("fairshare: --compat=vpenso slurm_account_fairshare equals 0.20's reading of sshare",
            got == want and got, f"exporter {got} sshare {want}")
