#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile clients against authentication, the rate limit, web configuration reloads and the
trace store, with fake Slurm commands (tests/cli/fakebin) on 127.0.0.1 only:

  - the first trace post of credentials that are not cached yet is stored (it used to be
    answered "400 empty body" after the bcrypt check);
  - a flood of wrong passwords from other addresses neither refuses good credentials that are
    not cached nor makes them wait behind it (counted by status and by
    slurm_exporter_http_auth_total);
  - unauthenticated requests do not spend the rate_limit budget of authenticated clients;
  - a web configuration emptied or truncated while it is rewritten in place does not turn
    basic auth off: the previous configuration stays, the refusal is logged and counted;
  - posts for job ids the queue does not show cannot keep a running job's posts out of the
    trace store.

Every check counts events (statuses, counters); nothing asserts how long anything took, and
every wait has a deadline. Attackers use other loopback source addresses (127.0.0.2-9).
Prints "ok - NAME" / "not ok - NAME: DETAILS" per check; exits 1 if any failed.
Environment: EXPORTER (default build-san/slurm_exporter)."""
import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sexp  # noqa: E402

R = sexp.Report(limit=1500)
report = R.report
JSON = {"Content-Type": "application/json"}
# job 2 runs in the fixture's squeue output
BODY = {"pid": 35642, "cpus": 150.0, "threads": 3, "mem": 1032192, "read_bytes": 20, "write_bytes": 10,
        "username": "root", "hostname": "cn01", "job_id": 2}


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class Exporter(sexp.Exporter):
    """The exporter on a fresh copy of the fixtures (removed by stop()); waits until /-/healthy
    answers 200 or 401 (without credentials, so nothing is cached)."""

    def __init__(self, extra=()):
        super().__init__(args=list(extra), fake=sexp.fake_dir(prefix="se-hostile-"), remove_fake=True,
                         pdeathsig=True)
        if not self.wait_ready(60, path="/-/healthy", codes=(200, 401)):
            raise RuntimeError(f"exporter not up: {self.tail()}")

    def post(self, obj, headers=None, source=None):
        body = obj if isinstance(obj, (bytes, str)) else json.dumps(obj)
        return request(self.port, "POST", "/trace", body=body, headers=dict(JSON, **(headers or {})),
                       source=source)

    def flat(self, headers=None):
        st, _, data = self.req("GET", "/metrics", headers=headers, timeout=30)
        return sexp.parse_flat(data.decode()) if st == 200 else {}


def request(port, method, path, body=None, headers=None, source=None, timeout=30):
    """One request on a new connection, from `source` (a loopback address) when given;
    returns the status, or the name of the exception that ended it."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                   source_address=(source, 0) if source else None)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        r.read()
        return r.status
    except (OSError, http.client.HTTPException) as e:
        return type(e).__name__
    finally:
        c.close()


class Flood:
    """Threads that repeat a request until stopped (or `limit` requests each), counting the
    answers by status. fn(thread index, request number) returns the status."""

    def __init__(self, threads, fn, limit=5000):
        self.counts = {}
        self.n = 0
        self.mu = threading.Lock()
        self.cv = threading.Condition(self.mu)
        self.stop_ev = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i, fn, limit), daemon=True)
                        for i in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self, i, fn, limit):
        for k in range(limit):
            if self.stop_ev.is_set():
                return
            st = fn(i, k)
            with self.cv:
                self.counts[st] = self.counts.get(st, 0) + 1
                self.n += 1
                self.cv.notify_all()

    def wait(self, cond, timeout=60):
        """Waits until cond(counts, n) holds (at most `timeout` s); returns whether it did."""
        with self.cv:
            return self.cv.wait_for(lambda: cond(self.counts, self.n), timeout)

    def wait_more(self, k, timeout=60):
        with self.cv:
            start = self.n
        return self.wait(lambda c, n: n >= start + k, timeout)

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(60)
        return dict(self.counts)


def auth_counts(m):
    return {k: v for k, v in m.items() if k.startswith("slurm_exporter_http_auth_total")}


def auth_count(m, result):
    return m.get(f'slurm_exporter_http_auth_total{{result="{result}"}}', 0)


def stopped_clean(e, what):
    rc, out = e.stop()
    report(f"{what}: exporter stops cleanly (no sanitizer report)", rc == 0 and "Sanitizer" not in out,
           out[-1500:])


# ----------------------------------------------------------------------------- defect: first post dropped

def test_first_post_uncached(d):
    web = os.path.join(d, "web-post.yml")
    users = {"wrapper": "pw1", "curl": "pw2", "scraper": "pw3"}
    sexp.write_file(web, "basic_auth_users:\n" + "".join(f"  {u}: {sexp.bcrypt(p, 4)}\n" for u, p in users.items()))
    e = Exporter(["--trace.enabled", f"--web.config.file={web}"])
    try:
        st = e.post(BODY, headers=basic("wrapper", "pw1"))
        report("trace post, credentials not cached yet (bcrypt on the worker) -> 200", st == 200, st)
        st = e.post(dict(BODY, hostname="cn02"), headers=basic("wrapper", "pw1"))
        report("trace post, the same credentials cached -> 200", st == 200, st)
        st = e.post(dict(BODY, hostname="cn03"), headers=basic("wrapper", "wrong"))
        report("trace post, wrong password -> 401", st == 401, st)
        # curl sends "Expect: 100-continue" for a body over 1 KiB: the body comes after the check
        body = json.dumps(dict(BODY, hostname="cn04", pad="x" * 2000))
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30",
                            "-u", "curl:pw2", "-H", "Content-Type: application/json", "--data-binary", body,
                            f"http://127.0.0.1:{e.port}/trace"], capture_output=True, text=True, timeout=60)
        report("curl trace post (Expect: 100-continue), credentials not cached yet -> 200",
               r.stdout == "200", (r.returncode, r.stdout, r.stderr[-200:]))
        m = e.flat(basic("scraper", "pw3"))
        rej = {k: v for k, v in m.items() if k.startswith("slurm_exporter_trace_posts")}
        report("three posts stored, none counted as malformed",
               m.get("slurm_exporter_trace_posts_total") == 3 and
               m.get('slurm_exporter_trace_posts_rejected_total{reason="malformed"}') == 0 and
               m.get('slurm_exporter_trace_posts_rejected_total{reason="unauthorized"}') == 1, rej)
    finally:
        stopped_clean(e, "first posts")


def test_slow_body_uncached(d):
    """A trace post whose credentials go to bcrypt first and whose body then trickles in is
    closed by the body deadline (--web.read-header-timeout, 2 s here, started again once the
    check is done), not left to --web.write-timeout (10 minutes here); counted as a body
    timeout."""
    web = os.path.join(d, "web-slowbody.yml")
    sexp.write_file(web, "basic_auth_users:\n  wrapper: " + sexp.bcrypt("pw1", 4) + "\n")
    e = Exporter(["--trace.enabled", f"--web.config.file={web}", "--web.read-header-timeout=2s",
                  "--web.write-timeout=10m", "--web.timeout=10m"])
    try:
        head = ("POST /trace HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Authorization: " + basic("wrapper", "pw1")["Authorization"] + "\r\n"
                "Content-Length: 1000\r\n\r\n{\"job_id\":").encode()
        s = socket.create_connection(("127.0.0.1", e.port), timeout=10)
        s.sendall(head)
        closed, sent = False, 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sent < 900 and not closed:
            try:
                s.sendall(b" ")
                sent += 1
            except OSError:
                closed = True
                break
            s.settimeout(0.3)
            try:
                closed = not s.recv(65536)
            except socket.timeout:
                pass
            except OSError:
                closed = True
        s.close()
        report("a trickling trace body behind a bcrypt check is closed by the body deadline",
               closed, f"still open after {sent} bytes")
        m = e.flat(basic("wrapper", "pw1"))
        n = m.get('slurm_exporter_http_timeouts_total{stage="body"}')
        report("counted in slurm_exporter_http_timeouts_total{stage=\"body\"}", n == 1, n)
        st = e.post(BODY, headers=basic("wrapper", "pw1"))
        report("a prompt trace post with the same credentials is still accepted", st == 200, st)
    finally:
        stopped_clean(e, "slow body behind bcrypt")


# ----------------------------------------------------------------------------- defect: bad-password flood

ATTACK_SOURCES = [f"127.0.0.{i}" for i in range(2, 10)]  # 8 addresses x 10 connections each


def test_bad_password_flood(d):
    web = os.path.join(d, "web-flood.yml")
    good = {f"good{i}": f"pw-{i}" for i in range(12)}
    users = dict(good, prom="right-password", scraper="pw")
    sexp.write_file(web, "basic_auth_users:\n" + "".join(f"  {u}: {sexp.bcrypt(p, 8)}\n" for u, p in users.items()))
    # room for every attacker connection: --web.max-connections-per-ip stays at its default (10)
    e = Exporter([f"--web.config.file={web}", "--web.max-requests=200"])
    flood = None
    try:
        def attack(i, k):
            # a new wrong password every time: nothing an attacker sends is ever the same
            return request(e.port, "GET", "/-/healthy", headers=basic("prom", f"guess-{i}-{k}"),
                           source=ATTACK_SOURCES[i % len(ATTACK_SOURCES)])
        flood = Flood(10 * len(ATTACK_SOURCES), attack, limit=3000)
        busy = flood.wait(lambda c, n: c.get(429, 0) >= 1 and n >= 200, 120)
        report("the flood of wrong passwords fills the exporter's checks (attackers see 429)", busy, flood.counts)
        codes = {}
        for i, (u, p) in enumerate(good.items()):
            st = request(e.port, "GET", "/metrics", headers=basic(u, p), timeout=60)
            codes[st] = codes.get(st, 0) + 1
            flood.wait_more(20)
        report(f"during the flood, good credentials never seen before are accepted: {codes.get(200, 0)} of "
               f"{len(good)} scrapes 200", codes.get(200, 0) == len(good), codes)
        m = e.flat(basic("scraper", "pw"))
        counts = flood.stop()
        flood = None
        # (resets: a client address over --web.max-connections-per-ip is refused at accept)
        report("no attacker request got 200", 200 not in counts and counts.get(401, 0) >= 1, counts)
        report("authentication outcomes counted: ok (good), bad (flood), refused (429s)",
               auth_count(m, "ok") >= len(good) and auth_count(m, "bad") >= 1 and
               auth_count(m, "refused") >= 1, auth_counts(m))
        # the same wrong password again is refused without bcrypt, and counted so
        before = e.flat(basic("scraper", "pw"))
        sts = [request(e.port, "GET", "/-/healthy", headers=basic("prom", "the-same-guess")) for _ in range(3)]
        after = e.flat(basic("scraper", "pw"))
        report("a wrong password repeated: 401 each time, bcrypt once (bad +1, bad_cached +2)",
               sts == [401] * 3 and auth_count(after, "bad") - auth_count(before, "bad") == 1 and
               auth_count(after, "bad_cached") - auth_count(before, "bad_cached") == 2,
               (sts, auth_counts(before), auth_counts(after)))
    finally:
        if flood:
            flood.stop()
        stopped_clean(e, "bad-password flood")


# ----------------------------------------------------------------------------- bcrypt waits hold slots

def raw_request(port, source, data):
    """A connection from `source` that sends `data` and then reads nothing."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.sendall(data)
    return s


def server_closed(s):
    """True when the exporter has closed (or reset) s; whatever it sent before is read."""
    s.setblocking(False)
    try:
        while True:
            if not s.recv(65536):
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def exporter_holds(pid, clients):
    """How many of the connections whose client ends are `clients` the exporter (pid) still
    holds open, by the socket inodes of its ends in /proc/net/tcp (found while they were
    established: `clients` maps client socket -> inode)."""
    links = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return sum(f"socket:[{ino}]" in links for ino in clients.values())


def server_inodes(port, clients):
    """client socket -> the inode of the exporter's end of its connection (/proc/net/tcp)."""
    ports = {c.getsockname()[1]: c for c in clients}
    out = {}
    with open("/proc/net/tcp") as fh:
        next(fh)
        for line in fh:
            parts = line.split()
            lp, rp = int(parts[1].rsplit(":", 1)[1], 16), int(parts[2].rsplit(":", 1)[1], 16)
            if lp == port and rp in ports:
                out[ports[rp]] = parts[9]
    return out


def test_bcrypt_waits_evictable(d):
    """Every --web.max-requests slot held by requests whose wrong passwords wait for bcrypt
    (4 GETs from one address, 4 trace posts from another): a scraper with good credentials
    still gets in, the exporter taking a waiting check back out of the queue and closing its
    connection at once (libmicrohttpd lets it go then, not after the check would have run);
    the withdrawn checks never run (bad counts only the others) and count as refused."""
    web = os.path.join(d, "web-slots.yml")
    sexp.write_file(web, f"basic_auth_users:\n  prom: {sexp.bcrypt('right', 14)}\n"
                         f"  scraper: {sexp.bcrypt('pw', 4)}\n")
    mon = sexp.free_port()
    e = Exporter(["--trace.enabled", f"--web.config.file={web}", "--web.max-requests=8",
                  f"--web.listen-address=127.0.0.1:{mon}"])
    held, keep = [], []

    def monitor():
        st, _, data = request_full(mon, basic("scraper", "pw"))
        return sexp.parse_flat(data.decode()) if st == 200 else {}
    try:
        # the scraper's credentials are checked once, then cached
        m0 = monitor()
        report("bcrypt waits: the scraper's credentials are accepted", bool(m0), m0)
        bad0, ref0 = auth_count(m0, "bad"), auth_count(m0, "refused")
        for i in range(4):
            held.append(raw_request(e.port, "127.0.0.2", (
                "GET /-/healthy HTTP/1.1\r\nHost: x\r\nAuthorization: " +
                basic("prom", f"guess-a{i}")["Authorization"] + "\r\n\r\n").encode()))
        body = json.dumps(BODY)
        for i in range(4):
            held.append(raw_request(e.port, "127.0.0.3", (
                "POST /trace HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: " +
                basic("prom", f"guess-b{i}")["Authorization"] +
                f"\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode()))

        # all eight checks queued, running or done (each check takes long at cost 14)
        def queued():
            m = monitor()
            n = m.get("slurm_exporter_http_auth_checks_pending")
            return n is not None and n + auth_count(m, "bad") - bad0 == 8 and n >= 3
        ok = sexp.wait_for(queued, 60, interval=0.05)
        report("bcrypt waits: eight wrong passwords wait for their checks", ok, monitor())
        inodes = server_inodes(e.port, held)
        served = []
        for _ in range(2):  # each kept open: the second needs a slot too
            c = http.client.HTTPConnection("127.0.0.1", e.port, timeout=30, source_address=("127.0.0.4", 0))
            keep.append(c)
            try:
                c.request("GET", "/metrics", headers=basic("scraper", "pw"))
                r = c.getresponse()
                r.read()
                served.append(r.status)
            except (OSError, http.client.HTTPException) as ex:
                served.append(type(ex).__name__)
        report("bcrypt waits: a scraper from a third address is served twice", served == [200, 200], served)
        m = monitor()
        ev = m.get('slurm_exporter_http_evictions_total{stage="auth"}')
        report("bcrypt waits: two waiting checks withdrawn (evictions stage auth)", ev == 2,
               {k: v for k, v in m.items() if "evictions" in k})
        closed = [server_closed(s) for s in held]
        gone = sexp.wait_for(lambda: exporter_holds(e.p.pid, {s: inodes.get(s) for s, c in zip(held, closed) if c},
                                                    ) == 0, 30, interval=0.05)
        pend = monitor().get("slurm_exporter_http_auth_checks_pending")
        report("bcrypt waits: one GET and one post closed, and let go by the exporter while other checks "
               "still wait", closed[:4].count(True) == 1 and closed[4:].count(True) == 1 and
               len(inodes) == 8 and gone and pend and pend >= 1, (closed, len(inodes), gone, pend))
        done = sexp.wait_for(lambda: monitor().get("slurm_exporter_http_auth_checks_pending") == 0, 120, interval=0.2)
        m = monitor()
        report("bcrypt waits: the withdrawn checks never ran (bad +6) and count as refused (+2)",
               done and auth_count(m, "bad") - bad0 == 6 and auth_count(m, "refused") - ref0 == 2, auth_counts(m))
    finally:
        for s in held:
            s.close()
        for c in keep:
            c.close()
        stopped_clean(e, "bcrypt waits")


def request_full(port, headers):
    """GET /metrics on a new connection: (status, headers, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", "/metrics", headers=headers)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


# ----------------------------------------------------------------------------- defect: rate limit

def test_rate_limit_unauthenticated(d):
    web = os.path.join(d, "web-rate.yml")
    sexp.write_file(web, f"basic_auth_users:\n  prom: {sexp.bcrypt('pw', 4)}\n"
                         "rate_limit:\n  interval: 200ms\n  burst: 10\n")
    e = Exporter([f"--web.config.file={web}"])
    flood = None
    try:
        flood = Flood(4, lambda i, k: request(e.port, "GET", "/metrics"), limit=5000)
        started = flood.wait(lambda c, n: n >= 60, 60)
        report("unauthenticated flood of /metrics under way", started, flood.counts)
        codes = {}
        for _ in range(6):
            flood.wait_more(15)
            st = request(e.port, "GET", "/metrics", headers=basic("prom", "pw"))
            codes[st] = codes.get(st, 0) + 1
        counts = flood.stop()
        flood = None
        report(f"authenticated scrapes during the flood: {codes.get(200, 0)} of 6 -> 200 (the burst is 10)",
               codes.get(200, 0) == 6, codes)
        report("the unauthenticated requests got 401, never 429 (they spend no budget)",
               set(counts) == {401}, counts)
    finally:
        if flood:
            flood.stop()
        stopped_clean(e, "rate limit")


# ----------------------------------------------------------------------------- defect: truncated web config

def reloads(e):
    m = e.flat(basic("prom", "pw"))
    return (m.get('slurm_exporter_web_config_reloads_total{result="success"}', 0),
            m.get('slurm_exporter_web_config_reloads_total{result="failure"}', 0),
            m.get("slurm_exporter_web_config_last_reload_successful"))


def wait_reload(e, before, timeout=30):
    """Waits until the exporter has tried another load (success or failure); the counters."""
    return sexp.wait_for(lambda: (lambda r: r if r[0] + r[1] > before[0] + before[1] else None)(reloads(e)),
                         timeout, 0.1) or reloads(e)


def test_truncated_web_config(d):
    web = os.path.join(d, "web-reload.yml")
    full = f"http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n" \
           f"basic_auth_users:\n  prom: {sexp.bcrypt('pw', 4)}\n"
    sexp.write_file(web, full)
    e = Exporter([f"--web.config.file={web}"])
    try:
        report("start: /metrics without credentials -> 401", e.get("/metrics")[0] == 401, "")
        variants = [("emptied (0 bytes)", ""),
                    ("blank and comments only", "# being rewritten\n\n"),
                    ("cut after basic_auth_users:", full.split("basic_auth_users:")[0] + "basic_auth_users:\n"),
                    ("cut before basic_auth_users", full.split("basic_auth_users:")[0])]
        for name, text in variants:
            before = reloads(e)
            with open(web, "w") as f:  # in place, as a non-atomic rewrite leaves it for a moment
                f.write(text)
            after = wait_reload(e, before)
            st = e.get("/metrics")[0]
            report(f"web config {name}: refused, still 401 without credentials",
                   after[1] == before[1] + 1 and after[2] == 0 and st == 401, (before, after, st))
            before = reloads(e)
            with open(web, "w") as f:
                f.write(full)
            after = wait_reload(e, before)
            report(f"web config {name}, then complete again: reloaded",
                   after[0] == before[0] + 1 and after[2] == 1 and e.get("/metrics")[0] == 401, (before, after))
        log = e.logtext()
        report("the refusals are logged with the reason",
               log.count("web configuration not reloaded") >= 4 and "empty" in log and
               "basic auth cannot be turned off while running" in log, log[-1500:])
    finally:
        stopped_clean(e, "truncated web config")


# ----------------------------------------------------------------------------- defect: trace store crowding

def test_fake_trace_jobs(d):
    e = Exporter(["--trace.enabled", "--trace.max-jobs=40", "--trace.ttl=10m", "--slurm.poll-interval.jobs=10m",
                  "--slurm.poll-interval.trace=200ms"])
    flood = None
    try:
        def trace_saw_jobs():
            m = e.flat()
            at = lambda ds: m.get(f'slurm_exporter_dataset_last_success_timestamp_seconds{{dataset="{ds}"}}', 0)  # noqa: E731
            return at("jobs") > 0 and at("trace") > at("jobs")
        report("a trace refresh has read the queue", sexp.wait_for(trace_saw_jobs, 60, 0.2), "")
        # job ids no queue has, posted over and over (as a script with made-up ids would)
        flood = Flood(2, lambda i, k: e.post(dict(BODY, job_id=700000 + (k * 2 + i) % 1000, hostname="fake")),
                      limit=20000)
        full = flood.wait(lambda c, n: c.get(429, 0) >= 20, 120)
        report("the made-up job ids fill their share of the store (429s)", full, flood.counts)
        codes = {}
        for h in range(1, 11):
            st = e.post(dict(BODY, hostname=f"cn{h:02d}"))
            codes[st] = codes.get(st, 0) + 1
            flood.wait_more(20)
        report(f"the running job's posts are stored during the flood: {codes.get(200, 0)} of 10 -> 200",
               codes.get(200, 0) == 10, codes)
        m = e.flat()
        counts = flood.stop()
        flood = None
        report("refusals of made-up ids counted as unqueued",
               m.get('slurm_exporter_trace_posts_rejected_total{reason="unqueued"}', 0) >= 20 and
               m.get('slurm_exporter_trace_posts_rejected_total{reason="max_jobs"}', 0) == 0,
               ({k: v for k, v in m.items() if "trace_posts" in k}, counts))
    finally:
        if flood:
            flood.stop()
        stopped_clean(e, "trace store crowding")


# ----------------------------------------------------------------------------- the status page

def test_status_page_auth(d):
    """/ is behind the same basic auth as /metrics: without or with wrong credentials (a guessing
    flood from several addresses) nothing of the page is sent; with them the page, and a hostile
    query string or look-alike paths never reach it."""
    web = os.path.join(d, "web-status.yml")
    sexp.write_file(web, f"basic_auth_users:\n  viewer: {sexp.bcrypt('pw', 6)}\n")
    e = Exporter([f"--web.config.file={web}"])
    good = basic("viewer", "pw")
    flood = None
    try:
        st, h, body = e.req("GET", "/")
        report("status page without credentials: 401 with WWW-Authenticate, no page",
               st == 401 and h.get("WWW-Authenticate", "").startswith("Basic") and b"Slurm status" not in body,
               (st, body[:80]))
        st, _, body = e.req("GET", "/", headers=basic("viewer", "nope"))
        report("status page with a wrong password: 401, no page", st == 401 and b"Slurm status" not in body, st)
        flood = Flood(2 * len(ATTACK_SOURCES),
                      lambda i, k: request(e.port, "GET", "/", headers=basic("viewer", f"g-{i}-{k}"),
                                           source=ATTACK_SOURCES[i % len(ATTACK_SOURCES)]), limit=40)
        flood.wait(lambda c, n: n >= 100, 120)
        sexp.wait_until("exporter ready", lambda: e.req("GET", "/-/ready", headers=good)[0] == 200, 60)
        st, h, body = e.req("GET", "/?q=%3Cimg%20src%3Dx%3Ezz5qq", headers=good, timeout=60)
        page = body.decode(errors="replace")
        counts = flood.stop()
        flood = None
        report("a guessing flood against / got no 200", 200 not in counts and counts.get(401, 0) >= 1, counts)
        report("status page with credentials (during the flood): 200, the figures, the query not reflected",
               st == 200 and "data-value" in page and "zz5qq" not in page and "<img" not in page,
               (st, page[:120]))
        report("status page with credentials: its own Content-Security-Policy",
               h.get("Content-Security-Policy") == "default-src 'none'; style-src 'unsafe-inline'", h)
        looks = {p: e.req("GET", p, headers=good)[0] for p in ("/index.html", "//", "/%2F", "/status")}
        report("paths that look like / are 404 (only / is the page)", set(looks.values()) == {404}, looks)
    finally:
        if flood:
            flood.stop()
        stopped_clean(e, "status page auth")


if __name__ == "__main__":
    work = tempfile.mkdtemp(prefix="se-hostile-auth-")
    tests = [test_first_post_uncached, test_slow_body_uncached, test_bad_password_flood, test_bcrypt_waits_evictable,
             test_rate_limit_unauthenticated, test_status_page_auth,
             test_truncated_web_config, test_fake_trace_jobs]
    only = sys.argv[1:]
    try:
        for t in tests:
            if only and t.__name__ not in only:
                continue
            try:
                t(work)
            except Exception as ex:  # a broken test is one failure, the others still run
                report(f"{t.__name__} raised", False, repr(ex))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if R.failed else 0)
