# SPDX-License-Identifier: Apache-2.0
"""Job trace posts against the real Slurm: a running job traced from two hosts shows both hosts
next to its allocated CPUs and memory as squeue reports them; a host that stops posting is gone
after --trace.ttl; once the job is cancelled its series disappear."""
import json
import time

NAME = "trace"
TTL = 15
FLAGS = ["--trace.enabled", f"--trace.ttl={TTL}s", "--slurm.poll-interval.trace=1s",
         "--slurm.poll-interval.jobs=5s"]
_job = {}


def setup(ctx):
    p = ctx.run(["sbatch", "--parsable", "--output=/dev/null", "--error=/dev/null", "--time=10",
                 "--ntasks=2", "--mem=300", "--account=physics", "--wrap", "sleep 600"])
    _job["id"] = p.stdout.strip().split(";")[0]


def _post(ctx, host, cpus, mem):
    body = {"pid": 4242, "cpus": cpus, "threads": 2, "mem": mem, "read_bytes": 10, "write_bytes": 20,
            "username": "root", "io_wait": 0, "hostname": host, "job_id": int(_job["id"])}
    return ctx.base.http(ctx.exporter.url + "/trace", method="POST", data=json.dumps(body).encode(),
                         headers={"Content-Type": "application/json"})[0]


def _series(expo, name, host):
    return expo.value(name, job_id=_job["id"], host=host)


def check(ctx):
    R = ctx.R
    jid = _job["id"]
    ctx.wait_until("the trace job runs",
                   lambda: ctx.run(["squeue", "-h", "-j", jid, "-o", "%T"]).stdout.strip() == "RUNNING", 60)
    q = ctx.run(["squeue", "-h", "-j", jid, "-O", "NumCPUs:0|,tres-alloc:0"]).stdout.strip()
    cpus = int(q.split("|")[0])
    tres = dict(kv.split("=", 1) for kv in q.split("|")[1].split(",") if "=" in kv)
    mem = tres.get("mem", "")
    mem_bytes = int(float(mem[:-1]) * {"M": 2**20, "G": 2**30}[mem[-1]]) if mem else None

    codes = [_post(ctx, "tracehost1", 150.0, 1000000), _post(ctx, "tracehost2", 50.0, 2000000),
             _post(ctx, "ttlhost", 10.0, 3000)]
    ttl_posted = time.monotonic()
    R.check("trace: posts for a running job from three hosts -> 200", codes == [200, 200, 200], codes)

    def both():
        e = ctx.metrics()
        ok = (_series(e, "slurm_job_trace_cpu_usage", "tracehost1") == 1.5 and
              _series(e, "slurm_job_trace_cpu_usage", "tracehost2") == 0.5 and
              # ttlhost too: the TTL check below takes its absence for "gone"
              _series(e, "slurm_job_trace_last_update_timestamp_seconds", "ttlhost") is not None and
              e.value("slurm_job_allocated_cpus", job_id=jid) is not None)
        return e if ok else None
    try:
        e = ctx.wait_until("both hosts of the traced job", both, 30)
        R.ok("trace: every host of the job is served (cpu percent / 100 = CPUs)")
        R.check(f"trace: slurm_job_allocated_cpus equals squeue's NumCPUs ({cpus})",
                e.value("slurm_job_allocated_cpus", job_id=jid) == cpus,
                e.value("slurm_job_allocated_cpus", job_id=jid))
        R.check(f"trace: slurm_job_allocated_memory_bytes equals squeue's tres-alloc mem ({mem})",
                e.value("slurm_job_allocated_memory_bytes", job_id=jid) == mem_bytes,
                e.value("slurm_job_allocated_memory_bytes", job_id=jid))
        R.check("trace: memory per host as posted",
                _series(e, "slurm_job_trace_memory_bytes", "tracehost2") == 2000000, "")
    except ctx.base.Abort as ex:
        R.fail("trace: every host of the job is served", str(ex))

    # keep two hosts posting; ttlhost stops and must be gone after the TTL
    t0 = time.monotonic()
    gone = False
    while time.monotonic() - t0 < TTL + 60:
        _post(ctx, "tracehost1", 150.0, 1000000)
        _post(ctx, "tracehost2", 50.0, 2000000)
        e = ctx.metrics()
        if _series(e, "slurm_job_trace_last_update_timestamp_seconds", "ttlhost") is None:
            gone = True
            break
        time.sleep(1)
    waited = time.monotonic() - ttl_posted
    R.check(f"trace: a host silent for --trace.ttl ({TTL}s) is gone after {waited:.0f}s, the others stay",
            gone and waited >= TTL and _series(e, "slurm_job_trace_cpu_usage", "tracehost1") == 1.5,
            f"gone={gone} after {waited:.0f}s")

    ctx.run(["scancel", jid], check=False)

    def cleared():
        e = ctx.metrics()
        left = [n for n, l, _ in e.samples if n.startswith("slurm_job_") and l.get("job_id") == jid]
        return e if not left else None
    try:
        ctx.wait_until("the cancelled job's trace series to go", cleared, 40)
        # The series go with the jobs refresh that shows the job ended; the store drops (and
        # counts) the entries at the next trace refresh (1 s here).
        ended = {}

        def counted():
            e = ctx.metrics()
            ended["n"] = e.value("slurm_exporter_trace_expired_total", cause="job_ended") or 0
            ended["all"] = {l.get("cause"): v for n, l, v in e.samples if n == "slurm_exporter_trace_expired_total"}
            return ended["n"] >= 2 and not [n for n, l, _ in e.samples
                                             if n.startswith("slurm_job_") and l.get("job_id") == jid]
        try:
            # (a deadline for a loaded machine: the trace refresh needs fresh jobs data of
            # every cluster before it drops anything)
            ctx.wait_until("both hosts counted as job_ended", counted, 60)
            R.ok("trace: the cancelled job's series are gone and counted as job_ended")
        except ctx.base.Abort:
            R.fail("trace: the cancelled job's series are gone and counted as job_ended",
                   f"slurm_exporter_trace_expired_total{{cause=\"job_ended\"}} = {ended.get('n')}, "
                   f"by cause {ended.get('all')}")
    except ctx.base.Abort as ex:
        R.fail("trace: the cancelled job's series are gone", str(ex))
