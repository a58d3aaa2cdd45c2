#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""TLS, client certificates, basic auth and HTTP hardening, end to end, with real clients.

Starts the exporter ($EXPORTER, fake Slurm commands from tests/cli/fakebin) with a
--web.config.file, and checks it with curl, gnutls-cli, Python's ssl module and a real
Prometheus ($PROMETHEUS, default /usr/bin/prometheus) scraping over https with basic auth
and client certificates:

  - valid certificate and credentials get metrics; wrong password, unknown user, no
    credentials get 401; unknown users go through bcrypt as known ones do; good
    credentials are cached;
  - missing, untrusted, expired client certificates and ones without an allowed SAN are
    refused in the handshake; TLS 1.0/1.1 are refused (with a positive control that the
    client can speak them); an expired server certificate is refused by clients;
  - a certificate replaced on disk (atomically, and in place, key and certificate not at
    the same moment) is served from the next handshake on, while scrapers (one handshake
    per request, Prometheus with kept-alive connections) loop without one failed scrape;
  - a broken configuration on reload keeps the old one in service and logs file:line;
  - slow clients (stalled handshake, trickled headers) are cut at --web.read-header-timeout
    while others are served; oversized requests get 431/413; a flood of bad passwords
    does not stall a scraper with good (cached) credentials.

Certificates are made at run time with certtool (gnutls-bin) in a temporary directory.
Prints "ok - NAME" / "not ok - NAME: DETAILS" per check; exits 1 if any failed.
Only 127.0.0.1 is used; every process started is stopped; every wait is bounded.
"""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sexp  # noqa: E402
import statuspage  # noqa: E402

ROOT = sexp.ROOT
EXPORTER = sexp.EXPORTER
PROMETHEUS = os.environ.get("PROMETHEUS", "/usr/bin/prometheus")
FAKEBIN = sexp.FAKEBIN
FIX = sexp.FIX
USER, PASSWORD = "prometheus", "s3cret-Pass"
R = sexp.Report(limit=1500)
report = R.report
procs = []
set_pdeathsig = sexp.set_pdeathsig
free_port = sexp.free_port


def wait_until(what, fn, limit):
    """Polls fn() every 0.1 s (any exception counts as "not yet"); TimeoutError after limit s."""
    return sexp.wait_until(what, fn, limit, interval=0.1, error=TimeoutError, catch=(Exception,))


# ----------------------------------------------------------------------------- PKI

class PKI:
    """A CA, server and client certificates (good, expired, untrusted, wrong SAN), by certtool."""

    def __init__(self, d):
        self.d = d
        self.serial = 100

    def p(self, name):
        return os.path.join(self.d, name)

    def key(self, name):
        subprocess.run(["certtool", "--generate-privkey", "--key-type=ecdsa", "--outfile", self.p(name)],
                       check=True, capture_output=True, timeout=30)

    def cert(self, name, key, template, ca=None, ca_key=None):
        self.serial += 1
        t = self.p(name + ".tmpl")
        with open(t, "w") as f:
            f.write(template + f"serial = {self.serial}\n")
        if ca:
            args = ["--generate-certificate", "--load-ca-certificate", self.p(ca), "--load-ca-privkey", self.p(ca_key)]
        else:
            args = ["--generate-self-signed"]
        subprocess.run(["certtool", *args, "--load-privkey", self.p(key), "--template", t, "--outfile", self.p(name)],
                       check=True, capture_output=True, timeout=30)

    def make(self):
        for k in ("ca.key", "evil-ca.key", "srv1.key", "srv2.key", "client.key"):
            self.key(k)
        ca = 'cn = "Test Site CA"\nca\ncert_signing_key\nexpiration_days = 3\n'
        self.cert("ca.pem", "ca.key", ca)
        self.cert("evil-ca.pem", "evil-ca.key", ca.replace("Test Site CA", "Untrusted CA"))
        srv = 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\n'
        self.cert("srv1.pem", "srv1.key", srv + "expiration_days = 2\n", "ca.pem", "ca.key")
        self.cert("srv2.pem", "srv2.key", srv + "expiration_days = 2\n", "ca.pem", "ca.key")
        old = 'activation_date = "2020-01-01 00:00:00 UTC"\nexpiration_date = "2020-02-01 00:00:00 UTC"\n'
        self.cert("srv-expired.pem", "srv1.key", srv + old, "ca.pem", "ca.key")
        cli = 'cn = "prometheus"\ndns_name = "prometheus.example"\ntls_www_client\nsigning_key\n'
        self.cert("client.pem", "client.key", cli + "expiration_days = 2\n", "ca.pem", "ca.key")
        self.cert("client-expired.pem", "client.key", cli + old, "ca.pem", "ca.key")
        self.cert("client-untrusted.pem", "client.key", cli + "expiration_days = 2\n", "evil-ca.pem", "evil-ca.key")
        self.cert("client-other-san.pem", "client.key",
                  cli.replace("prometheus.example", "intruder.example") + "expiration_days = 2\n", "ca.pem", "ca.key")

    def der(self, name):
        with open(self.p(name)) as f:
            return ssl.PEM_cert_to_DER_cert(f.read())


def bcrypt(password, cost):
    return sexp.bcrypt(password, cost)


# ----------------------------------------------------------------------------- the exporter

class Exporter(sexp.Exporter):
    """https on fake Slurm commands (a fresh copy of the fixtures in workdir), with web_yml;
    waits until the port accepts connections."""

    def __init__(self, workdir, web_yml, extra=()):
        super().__init__(args=[f"--web.config.file={web_yml}", "--slurm.poll-interval=1s", *extra],
                         fake=sexp.fake_dir(parent=workdir, prefix="fake-"), scheme="https", log_dir=workdir)
        self.logpath = self.log_path
        procs.append(self.proc)
        wait_until("exporter listening", self.listening, 20)


def curl(pki, url, cert="client.pem", key="client.key", user=USER, password=PASSWORD, extra=()):
    """Returns (exit code, HTTP status or 0, headers+body text, seconds)."""
    args = ["curl", "-sS", "--max-time", "10", "--cacert", pki.p("ca.pem"), "-D", "-",
            "-w", "\n%{http_code} %{time_total}"]
    if cert:
        args += ["--cert", pki.p(cert), "--key", pki.p(key)]
    if user is not None:
        args += ["-u", f"{user}:{password}"]
    r = subprocess.run(args + list(extra) + [url], capture_output=True, text=True, timeout=20)
    last = r.stdout.rstrip("\n").rsplit("\n", 1)
    code, secs = (last[-1].split() + ["0", "0"])[:2]
    return r.returncode, int(code), (last[0] if len(last) > 1 else "") + r.stderr, float(secs)


def auth_counter(pki, e, result):
    """slurm_exporter_http_auth_total{result} (curl with the good credentials); None if no 200."""
    rc, code, out, _ = curl(pki, e.url + "/metrics")
    if code != 200:
        return None
    body = out.replace("\r\n", "\n").split("\n\n", 1)[-1]
    return sexp.parse_flat(body).get(f'slurm_exporter_http_auth_total{{result="{result}"}}', 0)


def ssl_ctx(pki, cert="client.pem"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki.p("ca.pem"))
    if cert:
        ctx.load_cert_chain(pki.p(cert), pki.p("client.key"))
    return ctx


AUTH = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


def scrape_once(ctx, port, path="/metrics"):
    """One request on a new connection (a new handshake). Returns (status, served cert DER)."""
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    try:
        c.request("GET", path, headers=AUTH)
        der = c.sock.getpeercert(binary_form=True)
        r = c.getresponse()
        r.read()
        return r.status, der
    finally:
        c.close()


# ----------------------------------------------------------------------------- Prometheus

class Prometheus:
    def __init__(self, workdir, pki, port):
        self.port = free_port()
        self.dir = os.path.join(workdir, "prometheus")
        os.makedirs(self.dir)
        tgt = os.path.join(self.dir, "slurm-controllers.yml")
        with open(tgt, "w") as f:  # the shape of deploy/prometheus/file_sd/slurm-controllers.yml
            f.write(f"- targets: ['127.0.0.1:{port}']\n  labels:\n    cluster: test\n    role: slurmctld\n")
        tls = (f"    tls_config:\n      ca_file: {pki.p('ca.pem')}\n      cert_file: {pki.p('client.pem')}\n"
               f"      key_file: {pki.p('client.key')}\n")
        auth = f"    basic_auth:\n      username: {USER}\n      password: {PASSWORD}\n"
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: good
    scheme: https
{tls}{auth}    static_configs:
      - targets: ['127.0.0.1:{port}']
  - job_name: file_sd
    scheme: https
{tls}{auth}    file_sd_configs:
      - files: ['{tgt}']
  - job_name: badpass
    scheme: https
{tls}    basic_auth:
      username: {USER}
      password: wrong
    static_configs:
      - targets: ['127.0.0.1:{port}']
  - job_name: nocert
    scheme: https
    tls_config:
      ca_file: {pki.p('ca.pem')}
{auth}    static_configs:
      - targets: ['127.0.0.1:{port}']
  - job_name: untrusted
    scheme: https
    tls_config:
      ca_file: {pki.p('ca.pem')}
      cert_file: {pki.p('client-untrusted.pem')}
      key_file: {pki.p('client.key')}
{auth}    static_configs:
      - targets: ['127.0.0.1:{port}']
""")
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.p = subprocess.Popen([PROMETHEUS, f"--config.file={cfg}", f"--web.listen-address=127.0.0.1:{self.port}",
                                   f"--storage.tsdb.path={self.dir}/data", "--log.level=warn"],
                                  stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  preexec_fn=set_pdeathsig)
        procs.append(self.p)
        self.url = f"http://127.0.0.1:{self.port}"

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=5) as r:
            return json.loads(r.read())

    def ready(self):
        if self.p.poll() is not None:
            raise RuntimeError(f"prometheus exited {self.p.returncode}")
        with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
            return r.status == 200

    def targets(self):
        return {t["labels"]["job"]: t for t in self.get("/api/v1/targets")["data"]["activeTargets"]}

    def query(self, q):
        return self.get("/api/v1/query?" + urllib.parse.urlencode({"query": q}))["data"]["result"]

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


# ----------------------------------------------------------------------------- the checks

def web_config(path, pki, extra_tls="", users=None, cert="server.pem", key="server.key"):
    users = users or {USER: bcrypt(PASSWORD, 10)}
    with open(path, "w") as f:
        f.write(f"""# written by test_tls.py
tls_server_config:
  cert_file: {cert}
  key_file: {key}
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.pem
  client_allowed_sans:
    - prometheus.example
{extra_tls}http_server_config:
  headers:
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
""" + "".join(f"  {u}: {h}\n" for u, h in users.items()))


def check_access(pki, e):
    rc, code, out, _ = curl(pki, e.url + "/metrics")
    report("curl: client certificate + basic auth -> 200 with metrics", rc == 0 and code == 200 and
           "slurm_jobs" in out, f"rc={rc} code={code} {out[-300:]}")
    report("security headers on the metrics response (and the configured HSTS)",
           all(h in out for h in ("X-Content-Type-Options: nosniff", "X-Frame-Options: DENY",
                                  "Cache-Control: no-store", "Strict-Transport-Security: max-age=31536000")),
           out[:600])
    rc, code, out, _ = curl(pki, e.url + "/metrics", password="wrong")
    report("wrong password -> 401 with WWW-Authenticate", code == 401 and "WWW-Authenticate: Basic" in out, code)
    rc, code, out, _ = curl(pki, e.url + "/metrics", user="mallory", password="wrong")
    report("unknown user -> 401", code == 401, code)
    rc, code, out, _ = curl(pki, e.url + "/metrics", user=None)
    report("no credentials -> 401", code == 401, code)
    rc, code, out, _ = curl(pki, e.url + "/nope")
    report("unknown path (authenticated) -> 404", code == 404, code)
    rc, code, out, _ = curl(pki, e.url + "/metrics", extra=["-X", "POST", "-d", "x=1"])
    report("POST /metrics -> 405", code == 405, code)

    # the status page at / goes through the same TLS, client certificate and basic auth
    rc, code, out, _ = curl(pki, e.url + "/?q=zz7qq")
    head, _, page = out.replace("\r\n", "\n").partition("\n\n")
    rc2, code2, mout, _ = curl(pki, e.url + "/metrics")
    flat = sexp.parse_flat(mout.replace("\r\n", "\n").split("\n\n", 1)[-1])
    n, bad = statuspage.compare(page, flat)
    report(f"status page over TLS (client certificate + basic auth): 200 HTML, its {n} figures equal /metrics",
           rc == 0 and code == 200 and "Content-Type: text/html" in head and n >= 20 and not bad,
           f"rc={rc} code={code} bad={bad} {head[:300]}")
    report("status page over TLS: strict headers, the configured HSTS, the query string not reflected",
           "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'" in head and
           all(h in head for h in ("X-Content-Type-Options: nosniff", "X-Frame-Options: DENY",
                                   "Referrer-Policy: no-referrer", "Strict-Transport-Security: max-age=31536000"))
           and "zz7qq" not in page, head[:600])
    rc, code, out, _ = curl(pki, e.url + "/", user=None)
    report("status page without credentials -> 401, no page", code == 401 and "Slurm status" not in out, code)
    rc, code, out, _ = curl(pki, e.url + "/", password="wrong")
    report("status page with a wrong password -> 401", code == 401 and "Slurm status" not in out, code)
    rc, code, out, _ = curl(pki, e.url + "/", cert=None)
    report("status page without a client certificate: handshake refused", rc != 0 and code == 0, f"rc={rc} code={code}")
    r = subprocess.run(["curl", "-s", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
                        e.url.replace("https://", "http://") + "/"], capture_output=True, text=True, timeout=20)
    report("status page over plain HTTP to the TLS port: nothing", r.stdout.strip() in ("000", ""), r.stdout)

    # no user enumeration: a wrong password for a known user and any password for an
    # unknown user both pay one bcrypt of the configured cost (the same cost in time is
    # checked in-process by tests/unit/test_auth.c; here the exporter's counters show that
    # every attempt went through bcrypt, and the times are only printed)
    bad0, cached0, ok0 = auth_counter(pki, e, "bad"), auth_counter(pki, e, "cached"), auth_counter(pki, e, "ok")
    known, unknown = [], []
    for i in range(7):
        known.append(curl(pki, e.url + "/-/healthy", password=f"wrong{i}")[3])
        unknown.append(curl(pki, e.url + "/-/healthy", user=f"nobody{i}", password=f"wrong{i}")[3])
    mk, mu = statistics.median(known), statistics.median(unknown)
    R.note(f"median time of a wrong password: known user {mk * 1e3:.0f} ms, unknown {mu * 1e3:.0f} ms")
    bad1 = auth_counter(pki, e, "bad")
    report("unknown users pay bcrypt like known ones (14 attempts, 14 counted as bad)",
           bad0 is not None and bad1 - bad0 == 14, (bad0, bad1))
    good = [curl(pki, e.url + "/-/healthy")[1] for _ in range(5)]
    cached1, ok1 = auth_counter(pki, e, "cached"), auth_counter(pki, e, "ok")
    # (other clients may be scraping with the same, cached, credentials meanwhile: at least)
    report("repeated good credentials are cached (5 requests, none through bcrypt)",
           good == [200] * 5 and None not in (cached0, ok0) and cached1 - cached0 >= 5 and ok1 == ok0,
           (good, cached0, cached1, ok0, ok1))

    # client certificates, enforced in the handshake
    reasons = ('reason="no client certificate"', "The certificate issuer is unknown",
               "The certificate chain uses expired certificate",
               "no SAN of the client certificate is in client_allowed_sans")
    for (name, cert), reason in zip((("missing", None), ("untrusted (other CA)", "client-untrusted.pem"),
                                     ("expired", "client-expired.pem"),
                                     ("without an allowed SAN", "client-other-san.pem")), reasons):
        # refusals are logged at most once a second, other refusals may take that slot: try again
        # until this one's reason is logged (at most 30 s)
        deadline = time.monotonic() + 30
        while True:
            rc, code, out, _ = curl(pki, e.url + "/metrics", cert=cert)
            if sexp.wait_for(lambda: reason in e.logtext(), 1.5, 0.1) or time.monotonic() > deadline:
                break
        report(f"client certificate {name}: handshake refused, no metrics", rc != 0 and code == 0 and
               "slurm_jobs" not in out, f"rc={rc} code={code} {out[-200:]}")
    log = e.logtext()
    report("refused client certificates are logged with the reason",
           all(w in log for w in reasons),
           log[-1200:])

    # protocol versions: the client can speak 1.0/1.1 (positive control), the exporter refuses
    def gnutls(prio):
        r = subprocess.run(["gnutls-cli", "--x509cafile", pki.p("ca.pem"), "--x509certfile", pki.p("client.pem"),
                            "--x509keyfile", pki.p("client.key"), "--priority", prio, "-p", str(e.port), "127.0.0.1"],
                           input="", capture_output=True, text=True, timeout=20)
        return "Handshake was completed" in r.stdout, r.stdout[-300:] + r.stderr[-300:]
    for v in ("TLS1.2", "TLS1.3"):
        ok, out = gnutls(f"NORMAL:-VERS-ALL:+VERS-{v}")
        report(f"gnutls-cli {v}: handshake completes", ok, out)
    for v in ("TLS1.0", "TLS1.1"):
        ok, out = gnutls(f"NORMAL:-VERS-ALL:+VERS-{v}")
        report(f"gnutls-cli {v} only: refused", not ok, out)
    ctl = Exporter(os.path.dirname(e.logpath), legacy_yml(pki))
    try:
        r = subprocess.run(["gnutls-cli", "--x509cafile", pki.p("ca.pem"), "--priority",
                            "NORMAL:-VERS-ALL:+VERS-TLS1.1", "-p", str(ctl.port), "127.0.0.1"],
                           input="", capture_output=True, text=True, timeout=20)
        report("positive control: the same TLS 1.1 client completes against min_version: TLS10",
               "Handshake was completed" in r.stdout, r.stdout[-300:])
    finally:
        ctl.stop()
    rc, code, out, _ = curl(pki, e.url + "/metrics", extra=["--tlsv1.0", "--tls-max", "1.1"])
    report("curl --tls-max 1.1: refused", rc != 0 and code == 0, f"rc={rc} code={code}")
    r = subprocess.run(["curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
                        f"http://127.0.0.1:{e.port}/metrics"], capture_output=True, text=True, timeout=10)
    report("plain HTTP to the TLS port gets nothing", r.stdout.strip() in ("000", ""), r.stdout)


def legacy_yml(pki):
    p = pki.p("legacy.yml")
    with open(p, "w") as f:
        f.write("tls_server_config:\n  cert_file: srv1.pem\n  key_file: srv1.key\n  min_version: TLS10\n")
    return p


def check_expired_server(pki, workdir):
    p = pki.p("expired.yml")
    with open(p, "w") as f:
        f.write("tls_server_config:\n  cert_file: srv-expired.pem\n  key_file: srv1.key\n")
    e = Exporter(workdir, p)
    try:
        rc, code, out, _ = curl(pki, e.url + "/-/healthy", cert=None, user=None)
        report("expired server certificate: curl refuses it (exit 60)", rc == 60 and code == 0 and
               "expired" in out.lower(), f"rc={rc} {out[-200:]}")
        report("expired server certificate: the exporter warns at load",
               "the served certificate has expired" in e.logtext(), e.logtext()[-300:])
    finally:
        e.stop()


def install(pki, src_cert, src_key, mode):
    """Puts a certificate and key in place as server.pem/server.key: 'atomic' renames
    (key first: for a moment the pair does not match), 'inplace' rewrites the files
    (same inode, truncated then written, certificate first)."""
    if mode == "atomic":
        for src, dst in ((src_key, "server.key"), (src_cert, "server.pem")):
            shutil.copy(pki.p(src), pki.p(dst + ".new"))
            os.rename(pki.p(dst + ".new"), pki.p(dst))
            time.sleep(0.3)
    else:
        for src, dst in ((src_cert, "server.pem"), (src_key, "server.key")):
            with open(pki.p(src), "rb") as s, open(pki.p(dst), "r+b") as d:
                data = s.read()
                d.truncate(0)
                d.flush()
                time.sleep(0.1)  # a reader may see the empty file
                d.write(data)
            time.sleep(0.3)


class Scraper(threading.Thread):
    """Scrapes in a loop, one handshake per request; records failures and served certs."""

    def __init__(self, pki, port):
        super().__init__(daemon=True)
        self.ctx = ssl_ctx(pki)
        self.port = port
        self.stop_ev = threading.Event()
        self.ok = 0
        self.failed = []
        self.certs = set()

    def run(self):
        while not self.stop_ev.is_set():
            try:
                st, der = scrape_once(self.ctx, self.port)
                if st == 200:
                    self.ok += 1
                    self.certs.add(der)
                else:
                    self.failed.append(st)
            except Exception as ex:  # every failure counts
                self.failed.append(repr(ex))
            time.sleep(0.02)


def check_renewal(pki, e, prom):
    ctx = ssl_ctx(pki)
    scrapers = [Scraper(pki, e.port) for _ in range(2)]
    for s in scrapers:
        s.start()
    t0 = time.time()
    time.sleep(1.5)
    # 1: atomic renames, key before certificate (a moment of mismatch on disk)
    install(pki, "srv2.pem", "srv2.key", "atomic")
    st, der = scrape_once(ctx, e.port)
    report("renewed certificate (renamed into place) is served on the next handshake",
           st == 200 and der == pki.der("srv2.pem"), st)
    time.sleep(1.5)
    # 2: rewritten in place, certificate before key
    install(pki, "srv1.pem", "srv1.key", "inplace")
    st, der = scrape_once(ctx, e.port)
    report("renewed certificate (rewritten in place) is served on the next handshake",
           st == 200 and der == pki.der("srv1.pem"), st)
    time.sleep(1.5)
    # 3: SIGHUP
    shutil.copy(pki.p("srv2.key"), pki.p("server.key.new"))
    shutil.copy(pki.p("srv2.pem"), pki.p("server.pem.new"))
    os.rename(pki.p("server.key.new"), pki.p("server.key"))
    os.rename(pki.p("server.pem.new"), pki.p("server.pem"))
    e.p.send_signal(signal.SIGHUP)
    time.sleep(1.0)
    st, der = scrape_once(ctx, e.port)
    report("after SIGHUP the new certificate is served", st == 200 and der == pki.der("srv2.pem"), st)
    # 4: a broken configuration keeps the old one in service
    web = pki.p("web.yml")
    good = open(web).read()
    with open(web, "w") as f:
        f.write(good.replace("client_auth_type:", "client_auth_typo:"))
    time.sleep(2.0)
    st, _ = scrape_once(ctx, e.port)
    log = e.logtext()
    report("a broken web configuration on reload: logged with file:line, old one still served",
           st == 200 and f"{web}:5: unknown key" in log, (st, log[-400:]))
    with open(web, "w") as f:
        f.write(good)
    time.sleep(2.0)
    for s in scrapers:
        s.stop_ev.set()
    for s in scrapers:
        s.join(15)
    n_ok = sum(s.ok for s in scrapers)
    fails = [f for s in scrapers for f in s.failed]
    seen = set().union(*(s.certs for s in scrapers))
    report(f"{n_ok} scrapes (one handshake each) during three renewals and a bad reload: none failed",
           n_ok > 50 and not fails, fails[:5])
    report("the scrapers saw both certificates", {pki.der("srv1.pem"), pki.der("srv2.pem")} <= seen, len(seen))
    # Prometheus (kept-alive connections) over the same window
    span = int(time.time() - t0) + 2
    try:
        r = prom.query(f'min_over_time(up{{job="good"}}[{span}s])')
        c = prom.query(f'count_over_time(up{{job="good"}}[{span}s])')
        mn = float(r[0]["value"][1]) if r else None
        cnt = float(c[0]["value"][1]) if c else 0
        report(f"Prometheus scraped {cnt:.0f} times during the renewals, up stayed 1", mn == 1.0 and cnt >= span / 2,
               (r, c))
    except Exception as ex:
        report("Prometheus during the renewals", False, repr(ex))


def check_prometheus(prom):
    try:
        wait_until("Prometheus ready", prom.ready, 40)

        def settled():
            t = prom.targets()
            return t if all(j in t and t[j]["health"] in ("up", "down") for j in
                            ("good", "file_sd", "badpass", "nocert", "untrusted")) else None
        t = wait_until("all targets scraped", settled, 40)
        t = wait_until("good target up", lambda: (lambda x: x if x["good"]["health"] == "up" and
                                                   x["file_sd"]["health"] == "up" else None)(prom.targets()), 20)
    except Exception as ex:
        report("Prometheus scrapes the exporter", False, repr(ex))
        return False
    try:  # a scrape that timed out on a loaded machine says so instead of 401: wait for the next
        t = wait_until("the wrong-password target's 401", lambda: (lambda x: x if "401" in x["badpass"].get(
            "lastError", "") else None)(prom.targets()), 60)
    except TimeoutError:
        t = prom.targets()
    report("Prometheus over https with client certificate and basic auth: up", t["good"]["health"] == "up",
           t["good"].get("lastError"))
    report("Prometheus file_sd target (cluster/role labels) over https: up",
           t["file_sd"]["health"] == "up" and t["file_sd"]["labels"].get("role") == "slurmctld", t["file_sd"])
    report("Prometheus with a wrong password: down, 401", t["badpass"]["health"] == "down" and
           "401" in t["badpass"].get("lastError", ""), t["badpass"].get("lastError"))
    report("Prometheus without a client certificate: down (handshake refused)", t["nocert"]["health"] == "down",
           t["nocert"].get("lastError"))
    report("Prometheus with an untrusted client certificate: down", t["untrusted"]["health"] == "down",
           t["untrusted"].get("lastError"))
    try:
        v = prom.query('slurm_exporter_tls_certificate_not_after_timestamp_seconds{job="good"} - time()')
        report("certificate expiry metric scraped (about two days ahead)",
               v and 86400 < float(v[0]["value"][1]) < 3 * 86400, v)
    except Exception as ex:
        report("certificate expiry metric scraped", False, repr(ex))
    return True


def stalled_tls_client(port):
    """Sends a ClientHello and nothing more. Returns the socket."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = ctx.wrap_bio(inb, outb)
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(outb.read())
    return s


def closed_within(s, limit):
    """Seconds until the server closes s (reading and discarding), or None."""
    t0 = time.time()
    s.settimeout(0.5)
    while time.time() - t0 < limit:
        try:
            if not s.recv(65536):
                return time.time() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.time() - t0
    return None


def check_slow_clients(pki, workdir):
    web = pki.p("slow.yml")
    web_config(web, pki, cert="srv1.pem", key="srv1.key")
    e = Exporter(workdir, web, ["--web.read-header-timeout=2s", "--web.timeout=10s",
                                "--web.max-connections-per-ip=20"])
    ctx = ssl_ctx(pki)
    try:
        wait_until("exporter answers", lambda: scrape_once(ctx, e.port)[0] == 200, 15)
        stalled = [stalled_tls_client(e.port) for _ in range(4)]
        # a TLS client that trickles its request head, one byte at a time, forever
        trickle = ctx.wrap_socket(socket.create_connection(("127.0.0.1", e.port)), server_hostname="127.0.0.1")
        stop = threading.Event()
        trickle_closed = []

        def trickler():
            head = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 10000
            for i in range(len(head)):
                if stop.is_set():
                    return
                try:
                    trickle.send(head[i:i + 1])
                except OSError:
                    trickle_closed.append(time.time())
                    return
                time.sleep(0.2)
        t_start = time.time()
        th = threading.Thread(target=trickler, daemon=True)
        th.start()
        times = []
        for _ in range(5):
            t0 = time.time()
            st, _ = scrape_once(ctx, e.port)
            times.append((st, round(time.time() - t0, 3)))
        report("stalled handshakes and a trickling client do not delay another scrape",
               all(st == 200 and dt < 1.0 for st, dt in times), times)
        closed = [closed_within(s, 6) for s in stalled]
        report("stalled TLS handshakes are closed at --web.read-header-timeout (2s)",
               all(c is not None and c < 5 for c in closed), closed)
        th.join(8)
        stop.set()
        report("a client trickling its headers is cut at the deadline despite steady activity",
               bool(trickle_closed) and trickle_closed[0] - t_start < 6, trickle_closed and trickle_closed[0] - t_start)
        for s in stalled:
            s.close()
        trickle.close()
        # oversized request heads and bodies
        c = http.client.HTTPSConnection("127.0.0.1", e.port, context=ctx, timeout=10)
        c.request("GET", "/metrics", headers=dict(AUTH, **{"X-Big": "b" * 9000}))
        st1 = c.getresponse().status
        c.close()
        c = http.client.HTTPSConnection("127.0.0.1", e.port, context=ctx, timeout=10)
        c.request("GET", "/metrics", body=b"x" * 5000, headers=AUTH)
        st2 = c.getresponse().status
        c.close()
        try:
            c = http.client.HTTPSConnection("127.0.0.1", e.port, context=ctx, timeout=10)
            c.request("GET", "/metrics", headers=dict(AUTH, **{"X-Huge": "h" * 60000}))
            st3 = c.getresponse().status
        except (ConnectionError, http.client.HTTPException, OSError) as ex:
            st3 = repr(ex)
        finally:
            c.close()
        report("oversized head -> 431, body on GET -> 413, huge head refused",
               st1 == 431 and st2 == 413 and st3 != 200, (st1, st2, st3))
        report("the exporter still serves after slow and oversized clients", scrape_once(ctx, e.port)[0] == 200)
        # a flood of wrong passwords (bcrypt, off the HTTP threads) does not stall a cached scraper
        bad = {"Authorization": "Basic " + base64.b64encode(f"{USER}:nope".encode()).decode()}
        results = []

        def flood():
            try:
                c2 = http.client.HTTPSConnection("127.0.0.1", e.port, context=ctx, timeout=20)
                c2.request("GET", "/metrics", headers=bad)
                results.append(c2.getresponse().status)
                c2.close()
            except Exception as ex:
                results.append(repr(ex))
        ths = [threading.Thread(target=flood, daemon=True) for _ in range(8)]
        for t in ths:
            t.start()
        lat = []
        for _ in range(5):
            t0 = time.time()
            st, _ = scrape_once(ctx, e.port)
            lat.append((st, round(time.time() - t0, 3)))
        for t in ths:
            t.join(30)
        report("during a flood of wrong passwords a scraper with cached credentials is served promptly",
               all(st == 200 and dt < 0.5 for st, dt in lat), lat)
        report("the flood gets 401 (or 429 when the queue is full)", results and all(r in (401, 429) for r in results),
               results)
        m = http.client.HTTPSConnection("127.0.0.1", e.port, context=ctx, timeout=10)
        m.request("GET", "/metrics", headers=AUTH)
        body = m.getresponse().read().decode()
        m.close()
        hdr = re.search(r'slurm_exporter_http_timeouts_total\{stage="header"\} (\d+)', body)
        report("header timeouts are counted in slurm_exporter_http_timeouts_total",
               hdr is not None and int(hdr.group(1)) >= 5, hdr.group(0) if hdr else body[-300:])
    finally:
        rc, log = e.stop()
    report("slow-client exporter: clean exit, no sanitizer report",
           rc == 0 and "Sanitizer" not in log and "runtime error" not in log, f"rc={rc} {log[-400:]}")


def main():
    workdir = tempfile.mkdtemp(prefix="se-tls-")
    pki = PKI(workdir)
    prom = None
    e = None
    try:
        pki.make()
        shutil.copy(pki.p("srv1.pem"), pki.p("server.pem"))
        shutil.copy(pki.p("srv1.key"), pki.p("server.key"))
        web_config(pki.p("web.yml"), pki)
        e = Exporter(workdir, pki.p("web.yml"))
        if os.access(PROMETHEUS, os.X_OK):
            prom = Prometheus(workdir, pki, e.port)  # starts while the curl checks run
        else:
            report("Prometheus available", False, f"{PROMETHEUS} not found")
        wait_until("first refresh", lambda: curl(pki, e.url + "/-/ready")[1] == 200, 20)
        check_access(pki, e)
        check_expired_server(pki, workdir)
        if prom and check_prometheus(prom):
            check_renewal(pki, e, prom)
        rc, log = e.stop()
        report("TLS exporter: clean exit 0, no sanitizer report",
               rc == 0 and "Sanitizer" not in log and "runtime error" not in log, f"rc={rc} {log[-500:]}")
        check_slow_clients(pki, workdir)
    except Exception as ex:  # a crashed test is a failed test
        import traceback
        report("test_tls", False, traceback.format_exc())
    finally:
        if prom:
            prom.stop()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if os.environ.get("IT_KEEP"):
            print(f"# kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"# {R.failures} failed")
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
