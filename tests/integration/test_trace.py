#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Job trace posts (--trace.enabled) against the exporter with fake Slurm commands
(tests/cli/fakebin): good posts from rivosinc's wrapper body, oversized, malformed,
wrongly typed, unauthenticated and flood posts are answered and counted while /metrics keeps
being served and memory stays bounded; entries expire after --trace.ttl.

Prints `ok - NAME` / `not ok - NAME: DETAILS` per check; exits 1 if any failed.
Environment: EXPORTER (default build-san/slurm_exporter)."""
import base64
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sexp  # noqa: E402

ROOT = sexp.ROOT
EXPORTER = sexp.EXPORTER
FAKEBIN = sexp.FAKEBIN
FIX = sexp.FIX
JSON = {"Content-Type": "application/json"}
# rivosinc/prometheus-slurm-exporter fixtures/trace_info_body.json, job 2 (running in the fixture)
BODY = {"pid": 35642, "cpus": 150.0, "threads": 3, "mem": 1032192, "read_bytes": 20, "write_bytes": 10,
        "username": "abdh", "io_wait": 0, "hostname": "somehost", "job_id": 2}


R = sexp.Report(limit=None)
report = R.report
free_port = sexp.free_port
bcrypt = sexp.bcrypt
parse = sexp.parse_flat
wait_for = sexp.wait_for
certtool = sexp.certtool


class Exporter(sexp.Exporter):
    """The exporter on fake Slurm commands in a directory of its own (removed by stop()), the
    trace dataset refreshed every 200 ms; waits until /-/healthy answers (200, or 401 behind
    basic auth)."""

    def __init__(self, extra=(), running=()):
        # a sanitized build: a small quarantine, so RSS shows what is really held
        asan = ":".join(x for x in (os.environ.get("ASAN_OPTIONS", ""), "quarantine_size_mb=1") if x)
        fake = sexp.fake_dir(prefix="se-trace-")
        if running:
            # more running jobs in the fake squeue's answer, as copies of job 2
            sq = os.path.join(fake, "squeue.txt")
            line = next(x for x in open(sq) if x.startswith("2|2|RUNNING|"))
            with open(sq, "a") as f:
                for j in running:
                    f.write(f"{j}|{j}|" + line.split("|", 2)[2])
        super().__init__(args=["--slurm.poll-interval.trace=200ms", *extra],
                         fake=fake, remove_fake=True,
                         env_extra={"ASAN_OPTIONS": asan}, pdeathsig=False)
        self.wait_ready(20, path="/-/healthy", codes=(200, 401), headers=extra_auth(extra))

    def post(self, obj, headers=None, conn=None):
        body = obj if isinstance(obj, (bytes, str)) else json.dumps(obj)
        return self.req("POST", "/trace", body=body, headers=dict(JSON, **(headers or {})), conn=conn)


def extra_auth(extra):
    return {}


def rejected(m, reason):
    return m.get(f'slurm_exporter_trace_posts_rejected_total{{reason="{reason}"}}', 0)


def test_posts():
    # the TTL is long enough that nothing expires while a slow machine floods the store; the
    # jobs (the allocations of the fixture's squeue) are read once, so the flood's job ids, which
    # no queue has, go by TTL and not as job_ended
    running = range(10001, 10061)  # 60 more running jobs in the queue
    e = Exporter(["--trace.enabled", "--trace.max-jobs=40", "--trace.ttl=30s", "--compat=rivosinc",
                  "--slurm.poll-interval.jobs=10m"], running=running)
    try:
        st, _, body = e.post(BODY)
        report("rivosinc wrapper body -> 200", st == 200, (st, body))
        st, _, _ = e.post(dict(BODY, hostname="otherhost", cpus=50, job_id="2"))
        report("second host of the job, job_id as a string -> 200", st == 200, st)
        key = 'slurm_job_trace_cpu_usage{job_id="2",host="%s",user="abdh"}'
        m = wait_for(lambda: (lambda m: m if key % "otherhost" in m and
                              'slurm_job_allocated_cpus{job_id="2"}' in m else None)(e.metrics()), 60)
        report("both hosts of the job are served (cpu percent / 100)",
               m.get(key % "somehost") == 1.5 and m.get(key % "otherhost") == 0.5, {k: v for k, v in m.items() if "trace_cpu" in k})
        report("allocated CPUs and memory from squeue beside the trace",
               m.get('slurm_job_allocated_cpus{job_id="2"}') == 2 and
               m.get('slurm_job_allocated_memory_bytes{job_id="2"}') == 4000 * 1048576, "")
        report("rivosinc names: slurm_proc_cpu_usage summed over hosts, slurm_job_mem_alloc in 1e6 MB",
               m.get('slurm_proc_cpu_usage{jobid="2",username="abdh"}') == 200 and
               m.get('slurm_job_mem_alloc{jobid="2"}') == 4000e6, "")

        # malformed and out of range: 400 with a one-line reason
        for name, body in [("truncated JSON", '{"job_id": 2, "hostname": "h"'),
                           ("not an object", "[1, 2]"), ("empty body", ""),
                           ("duplicate key", '{"job_id": 2, "job_id": 3, "hostname": "h"}'),
                           ("no hostname", '{"job_id": 2}')]:
            st, _, msg = e.post(body)
            report(f"{name} -> 400 with a one-line reason", st == 400 and msg.count(b"\n") == 1 and len(msg) > 5,
                   (st, msg))
        for name, obj in [("negative cpus", dict(BODY, cpus=-1)), ("job_id 0", dict(BODY, job_id=0)),
                          ("mem a string", dict(BODY, mem="lots")),
                          ("hostname of 200 bytes", dict(BODY, hostname="h" * 200)),
                          ("control character in username", dict(BODY, username="a\u0007b"))]:
            st, _, msg = e.post(obj)
            report(f"{name} -> 400 naming the field", st == 400 and msg.count(b"\n") == 1, (st, msg))
        st, _, _ = e.req("POST", "/trace", body=json.dumps(BODY), headers={"Content-Type": "text/plain"})
        report("Content-Type text/plain -> 415", st == 415, st)
        st, h, _ = e.req("GET", "/trace")
        report("GET /trace -> 405 with Allow: POST", st == 405 and h.get("Allow") == "POST", (st, h))
        st, _, _ = e.req("POST", "/metrics", body="{}", headers=JSON)
        report("POST /metrics still -> 405", st == 405, st)
        # oversized: declared, and streamed in chunks without a length
        st, _, _ = e.post(json.dumps(dict(BODY, pad="x" * 5000)))
        report("body over --trace.max-body (Content-Length) -> 413", st == 413, st)
        try:
            c = http.client.HTTPConnection("127.0.0.1", e.port, timeout=10)
            c.request("POST", "/trace", body=(b" " * 1000 for _ in range(2000)), headers=JSON,
                      encode_chunked=True)
            st = c.getresponse().status
        except (OSError, http.client.HTTPException):
            st = "closed"
        report("chunked body over the limit -> 413 or the connection closed, not read whole",
               st in (413, "closed"), st)
        # (a refusal is counted when its connection is done, which may come after the answer)
        want = {"malformed": 5, "invalid_value": 5, "content_type": 1, "method": 1, "too_large": 2}
        m = wait_for(lambda: (lambda m: m if all(rejected(m, k) == v for k, v in want.items()) else None)(
            e.metrics()), 10) or e.metrics()
        report("refusals counted by reason (malformed, invalid_value, content_type, method, too_large)",
               all(rejected(m, k) == v for k, v in want.items()), {k: v for k, v in m.items() if "rejected" in k})
        report("accepted posts counted", m.get("slurm_exporter_trace_posts_total") == 2, "")

        # flood: many distinct job ids. The running ones fill --trace.max-jobs (40 with job 2),
        # the rest of them get 429 (max_jobs); ids no queue has get a share of their own (a
        # quarter of the limit: 10), then 429 (unqueued). Memory stays bounded.
        scrapes = []
        stop = threading.Event()

        def scraper():
            while not stop.is_set():
                try:
                    scrapes.append(e.req("GET", "/metrics")[0])
                except OSError as ex:
                    scrapes.append(str(ex))
                time.sleep(0.02)
        t = threading.Thread(target=scraper)
        t.start()
        codes = {}
        c = http.client.HTTPConnection("127.0.0.1", e.port, timeout=10)
        t0 = time.time()
        n = 6000
        ids = list(running) + list(range(20000, 20000 + n - len(running)))
        rss0 = bytes0 = 0
        for k, j in enumerate(ids):
            st = e.post(dict(BODY, job_id=j, hostname=f"flood{j}" + "x" * 100), conn=c)[0]
            codes[st] = codes.get(st, 0) + 1
            if k == 1000:  # the store is full and the first 1000 posts are in
                rss0 = e.rss()
                bytes0 = e.metrics().get("slurm_exporter_trace_store_bytes")
        dt = time.time() - t0
        c.close()
        stop.set()
        t.join()
        rss1 = e.rss()
        m = e.metrics()
        bytes1 = m.get("slurm_exporter_trace_store_bytes")
        report(f"flood of {n} new jobs in {dt:.1f}s: 39 running and 10 other jobs stored, the rest 429 ({codes})",
               codes.get(200) == 49 and codes.get(429) == n - 49, codes)
        report("flood refusals counted: max_jobs (running jobs), unqueued (the others)",
               rejected(m, "max_jobs") == len(running) - 39 and rejected(m, "unqueued") == n - len(running) - 10,
               (rejected(m, "max_jobs"), rejected(m, "unqueued")))
        report(f"store memory unchanged over the last {n - 1001} refused posts ({bytes0} -> {bytes1} bytes)",
               bytes0 and bytes1 == bytes0, (bytes0, bytes1))
        # RSS under ASan moves by a few MB with the scrapes and threads' caches: a coarse bound
        report(f"RSS about flat over them ({rss0 / 1e6:.1f} MB -> {rss1 / 1e6:.1f} MB)",
               rss1 - rss0 < 6e6, (rss0, rss1))
        ok_scrapes = sum(1 for s in scrapes if s == 200)
        report(f"/metrics kept serving during the flood ({ok_scrapes} of {len(scrapes)} scrapes 200)",
               len(scrapes) >= 5 and ok_scrapes == len(scrapes), scrapes[:5])
        report("store gauge at the limit (40 running jobs and the share of 10 others)",
               m.get("slurm_exporter_trace_jobs") == 50, m.get("slurm_exporter_trace_jobs"))

        # TTL: without posts, everything is gone after --trace.ttl
        m = wait_for(lambda: (lambda m: m if m.get("slurm_exporter_trace_entries") == 0 else None)(e.metrics()), 120)
        report("entries expire after --trace.ttl", m.get("slurm_exporter_trace_entries") == 0 and
               m.get('slurm_exporter_trace_expired_total{cause="ttl"}', 0) >= 51, m.get("slurm_exporter_trace_entries"))
        m = wait_for(lambda: (lambda m: m if not any(k.startswith("slurm_job_trace_cpu_usage{") for k in m) else None)(e.metrics()), 5)
        report("expired entries' series are gone", m and not any(k.startswith("slurm_job_trace_") and "{" in k for k in m), "")
        st, _, _ = e.post(BODY)
        report("after expiry there is room again", st == 200, st)
    finally:
        rc, out = e.stop()
        report("exporter stops cleanly after the posts (no sanitizer report)", rc == 0 and "Sanitizer" not in out,
               out[-2000:])


def test_disabled():
    e = Exporter([])
    try:
        st, _, _ = e.post(BODY)
        report("without --trace.enabled: POST /trace -> 404", st == 404, st)
        m = e.metrics()
        report("without --trace.enabled: no trace dataset or self-metrics",
               not any("trace" in k for k in m), [k for k in m if "trace" in k][:3])
    finally:
        e.stop()


def test_auth():
    d = tempfile.mkdtemp(prefix="se-trace-web-")
    web = os.path.join(d, "web.yml")
    with open(web, "w") as f:
        f.write(f"basic_auth_users:\n  wrapper: {bcrypt('pw')}\n")
    good = {"Authorization": "Basic " + base64.b64encode(b"wrapper:pw").decode()}
    bad = {"Authorization": "Basic " + base64.b64encode(b"wrapper:nope").decode()}
    e = Exporter(["--trace.enabled", f"--web.config.file={web}"])
    try:
        wait_for(lambda: e.req("GET", "/-/healthy", headers=good)[0] == 200)
        st, h, _ = e.post(BODY)
        report("web config basic auth: post without credentials -> 401", st == 401 and "WWW-Authenticate" in h, st)
        st, _, _ = e.post(BODY, headers=bad)
        report("web config basic auth: wrong password (bcrypt on the worker) -> 401", st == 401, st)
        st, _, _ = e.post(BODY, headers=good)
        report("web config basic auth: good credentials -> 200", st == 200, st)
        st, _, _ = e.post(BODY, headers=good)
        report("web config basic auth: cached credentials -> 200", st == 200, st)
        m = e.metrics(headers=good)
        report("unauthenticated posts counted",
               rejected(m, "unauthorized") == 2 and m.get("slurm_exporter_trace_posts_total") == 2,
               {k: v for k, v in m.items() if "trace_posts" in k})
    finally:
        e.stop()
        shutil.rmtree(d, ignore_errors=True)


def make_pki(d):
    """A CA, a server certificate for 127.0.0.1, a client certificate, and a second CA that
    signed nothing the exporter trusts."""
    def tmpl(name, text):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    for k in ("ca", "srv", "cli", "ca2"):
        certtool("--generate-privkey", "--key-type=ecdsa", "--outfile", os.path.join(d, k + ".key"))
    for ca in ("ca", "ca2"):
        tmpl(ca + ".tmpl", f'cn = "trace test {ca}"\nca\ncert_signing_key\nexpiration_days = 2\n')
        certtool("--generate-self-signed", "--load-privkey", os.path.join(d, ca + ".key"), "--template",
                 os.path.join(d, ca + ".tmpl"), "--outfile", os.path.join(d, ca + ".pem"))
    tmpl("srv.tmpl", 'cn = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\n'
         'expiration_days = 2\n')
    tmpl("cli.tmpl", 'cn = "node-wrapper"\ntls_www_client\nsigning_key\nexpiration_days = 2\n')
    for k in ("srv", "cli"):
        certtool("--generate-certificate", "--load-privkey", os.path.join(d, k + ".key"),
                 "--load-ca-certificate", os.path.join(d, "ca.pem"), "--load-ca-privkey",
                 os.path.join(d, "ca.key"), "--template", os.path.join(d, k + ".tmpl"),
                 "--outfile", os.path.join(d, k + ".pem"))


def test_wrapper_https():
    """The job wrapper posting to an exporter that serves https only and requires a client
    certificate and basic auth, as a site would deploy it."""
    import ssl
    wrapper = os.environ.get("TRACE_WRAPPER", os.path.join(ROOT, "build-san", "slurm_exporter_trace"))
    d = sexp.fake_dir(prefix="se-trace-tls-")
    make_pki(d)
    P = lambda n: os.path.join(d, n)  # noqa: E731
    with open(P("web.yml"), "w") as f:
        f.write(f"tls_server_config:\n  cert_file: {P('srv.pem')}\n  key_file: {P('srv.key')}\n"
                f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {P('ca.pem')}\n"
                f"basic_auth_users:\n  wrapper: {bcrypt('pw')}\n")
    with open(P("pw"), "w") as f:
        f.write("pw\n")
    port = free_port()
    log = open(P("exporter.log"), "w+")
    p = subprocess.Popen([EXPORTER, f"--web.listen-address=127.0.0.1:{port}", f"--slurm.bin-path={FAKEBIN}",
                          f"--web.config.file={P('web.yml')}", "--trace.enabled"],
                         stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, FAKE_DIR=d))
    ctx = ssl.create_default_context(cafile=P("ca.pem"))
    ctx.load_cert_chain(P("cli.pem"), P("cli.key"))
    auth = {"Authorization": "Basic " + base64.b64encode(b"wrapper:pw").decode()}

    def posts():
        try:
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
            c.request("GET", "/metrics", headers=auth)
            r = c.getresponse()
            body = r.read().decode()
            c.close()
            return parse(body).get("slurm_exporter_trace_posts_total", 0) if r.status == 200 else None
        except (OSError, http.client.HTTPException):
            return None

    def wrap(*extra, url=None, cmd=("sleep", "1")):
        env = dict(os.environ, SLURM_JOB_ID="2")
        return subprocess.run([wrapper, "--url", url or f"https://127.0.0.1:{port}/trace", "--interval", "300ms",
                               "--user", "wrapper", "--password-file", P("pw"), *extra, "--", *cmd],
                              env=env, capture_output=True, text=True, timeout=90)
    try:
        wait_for(lambda: posts() is not None)
        before = posts()
        # the job runs until two of its posts were accepted (at most 60 s), however slow the machine
        stop = P("job-may-end")
        waiter = threading.Thread(target=lambda: (wait_for(lambda: (posts() or 0) - before >= 2, 60),
                                                  open(stop, "w").close()))
        waiter.start()
        r = wrap("--cacert", P("ca.pem"), "--cert", P("cli.pem"), "--key", P("cli.key"),
                 cmd=("sh", "-c", f"for i in $(seq 600); do [ -e {stop} ] && exit 0; sleep 0.1; done"))
        waiter.join()
        after = posts()
        report("wrapper over https with a client certificate and basic auth: posts accepted",
               r.returncode == 0 and after is not None and after - before >= 2,
               f"rc={r.returncode} posts {before} -> {after}; {r.stderr[-300:]}")
        cases = [
            ("no client certificate", ("--cacert", P("ca.pem"))),
            ("server certificate from an untrusted CA", ("--cacert", P("ca2.pem"), "--cert", P("cli.pem"),
                                                         "--key", P("cli.key"))),
            ("system trust only (the site CA is not in it)", ("--cert", P("cli.pem"), "--key", P("cli.key"))),
        ]
        for name, extra in cases:
            b = posts()
            r = wrap(*extra)
            a = posts()
            report(f"wrapper over https, {name}: nothing accepted, the job still exits 0, the failure logged",
                   r.returncode == 0 and a == b and "failed" in r.stderr, f"rc={r.returncode} posts {b} -> {a}; "
                   f"{r.stderr[-300:]}")
        r = wrap("--cacert", P("ca.pem"), "--cert", P("cli.pem"), "--key", P("cli.key"),
                 url=f"https://localhost:{port}/trace")
        report("wrapper over https: a host name the certificate does not carry is refused",
               r.returncode == 0 and "certificate" in r.stderr, r.stderr[-300:])
        r = wrap("--cacert", P("nonexistent.pem"))
        report("wrapper: an unreadable --cacert is a usage error (125) before the command runs",
               r.returncode == 125 and "nonexistent.pem" in r.stderr, (r.returncode, r.stderr[-200:]))
        r = wrap("--cert", P("cli.pem"), "--cacert", P("ca.pem"))
        report("wrapper: --cert without --key is a usage error (125)", r.returncode == 125, r.returncode)
        r = wrap("--cacert", P("ca.pem"), url=f"http://127.0.0.1:{port}/trace")
        report("wrapper: TLS options with an http:// URL are a usage error (125)", r.returncode == 125, r.returncode)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.seek(0)
        out = log.read()
        report("https exporter stops cleanly (no sanitizer report)", p.returncode == 0 and "Sanitizer" not in out,
               out[-400:])
        log.close()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    for t in (test_posts, test_disabled, test_auth, test_wrapper_https):
        try:
            t()
        except Exception as ex:  # a broken test is one failure, the others still run
            report(f"{t.__name__} raised", False, repr(ex))
    sys.exit(1 if R.failed else 0)
