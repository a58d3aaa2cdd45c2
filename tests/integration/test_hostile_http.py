#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile HTTP clients against the exporter on fake Slurm commands (tests/cli/fakebin), on
loopback only, from several source addresses (127.0.0.2, 127.0.0.3, ...: all of 127/8 is
local): clients that close half-way through a head, trickle heads or trace bodies, send
chunked bodies over the limit, odd Accept-Encoding weights, unreadable or conflicting
Content-Length headers. Then attack scenarios: attackers keep at it while a legitimate
client from another address makes a fixed number of requests (scrapes of /metrics, or trace
posts with basic auth); the served and refused counts of both are printed and the client must
be served. Among them the high defects of issue 11 under attack: a dataset refreshed less often
than --slurm.max-age (fairshare) must never be served stale, and the first trace post of
credentials not cached yet must be stored while wrong passwords flood the exporter.

Nothing here asserts how long anything took: checks count events, and waits for a condition
end at a deadline (a deadline far below the exporter's own where the check is that the
exporter acts before its deadline).

Prints `ok - NAME` / `not ok - NAME: DETAILS` per check (and `# ...` notes); exits 1 if any
failed. Environment: EXPORTER (default build-san/slurm_exporter); SCENARIOS (test_attacks runs
only the scenarios whose name contains one of its comma-separated words)."""
import base64
import http.client
import json
import os
import re
import selectors
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sexp  # noqa: E402

R = sexp.Report()
JSON = {"Content-Type": "application/json"}
TRACE_BODY = {"pid": 1, "cpus": 50.0, "threads": 1, "mem": 1024, "read_bytes": 0, "write_bytes": 0,
              "username": "u", "io_wait": 0, "hostname": "h1", "job_id": 2}
HALF_HEAD = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# ----------------------------------------------------------------------------- plumbing

def addr(n):
    """The loopback source address 127.0.0.n."""
    return f"127.0.0.{n}"


def connect(port, src=None, timeout=5):
    """A TCP connection to the exporter, from source address src (default: any)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if src:
            s.bind((src, 0))
        s.connect(("127.0.0.1", port))
    except OSError:
        s.close()
        raise
    return s


def read_all(s, limit=10):
    """Everything the server sends on s until it closes (b"" when it closes at once or
    resets); stops at the `limit` s socket timeout with what came so far."""
    s.settimeout(limit)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, OSError):
        pass
    return out


def closed_by_server(s, limit):
    """True when the server closes (or resets) s within `limit` s; what it sends is dropped."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, min(0.5, deadline - time.monotonic())))
        try:
            if not s.recv(65536):
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def exchange(port, data, src=None, limit=10):
    """Sends data on a new connection and returns all the server answers until it closes."""
    s = connect(port, src)
    try:
        s.sendall(data)
        return read_all(s, limit)
    finally:
        s.close()


def status_of(raw):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(m.group(1)) if m else None


def scrape_from(port, src, path="/metrics", headers=None, timeout=10, method="GET", body=None):
    """One request (a GET unless told) on a fresh connection from source address src: (status,
    headers, body), or (None, {}, b"") when the connection was refused, reset or closed without
    an answer."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(src, 0))
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    except (OSError, http.client.HTTPException):
        return None, {}, b""
    finally:
        c.close()


def close_wait(port):
    """The exporter's TCP sockets on `port` in CLOSE-WAIT: the peer closed, the exporter did
    not (yet). Read from /proc/net/tcp (only the exporter holds sockets with that local port)."""
    n = 0
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                next(fh)
                for line in fh:
                    parts = line.split()
                    if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "08":
                        n += 1
        except OSError:
            pass
    return n


def metric(e, key):
    """A sample of the exporter's own metrics (flat key as written), from a scrape from
    127.0.0.1; None when absent or the scrape failed."""
    return e.metrics().get(key)


class Exporter(sexp.Exporter):
    """The exporter on fake Slurm commands in a directory of its own (removed by stop());
    waits until /-/ready answers (asked with ready_headers). prepare(directory), when given, is
    called with that directory before the exporter starts and returns more flags (it can add
    fixtures there, or a web configuration)."""

    def __init__(self, extra=(), scheme="http", log_dir=None, prepare=None, ready_headers=None):
        fake = sexp.fake_dir(prefix="se-hostile-")
        extra = list(extra) + list(prepare(fake) if prepare else [])
        super().__init__(args=extra, fake=fake, remove_fake=True, scheme=scheme, log_dir=log_dir)
        if scheme == "http":
            self.wait_ready(60, headers=ready_headers)
        else:
            sexp.wait_until("exporter listening", self.listening, 30)

    def finish(self, name):
        rc, log = self.stop()
        R.check(f"{name}: exporter exits 0, no sanitizer report",
                rc == 0 and "Sanitizer" not in log and "runtime error" not in log, f"rc={rc} {log[-600:]}")


def run(name, fn):
    """Runs one test function; an exception in it is one failure, the others still run."""
    try:
        fn()
    except Exception as ex:  # noqa: BLE001
        R.fail(f"{name} raised", repr(ex))


# ----------------------------------------------------------------------------- 3: slots

def test_closed_peers():
    """Clients that send half a head and close at once: the exporter closes their sockets at
    once (before, in epoll mode, they stayed in CLOSE-WAIT until the head deadline, holding
    their slots). The deadlines here are 5 minutes, so only the close itself can free them."""
    e = Exporter(["--web.read-header-timeout=5m", "--web.timeout=5m"])
    try:
        for n in range(2, 6):
            for _ in range(10):
                s = connect(e.port, addr(n))
                s.sendall(HALF_HEAD)
                s.close()
        left = sexp.wait_for(lambda: close_wait(e.port) == 0, timeout=30)
        R.check("40 half heads closed at once from 4 addresses: no exporter socket left in CLOSE-WAIT",
                left, f"{close_wait(e.port)} sockets in CLOSE-WAIT after 30 s")
        served = sum(scrape_from(e.port, addr(9), timeout=5)[0] == 200 for _ in range(5))
        R.check("then a scraper from a fifth address is served (5 of 5)", served == 5, f"{served} of 5")
    finally:
        e.finish("closed peers")


def accept_queue(port):
    """Connections waiting in the exporter's listen queue on `port` (the rx_queue of the
    listening socket in /proc/net/tcp), None when no such socket is found."""
    with open("/proc/net/tcp") as fh:
        next(fh)
        for line in fh:
            parts = line.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "0A":
                return int(parts[4].split(":")[1], 16)
    return None


def fill_slots(port, addrs, per_addr, opening):
    """Opens per_addr connections from each address, each sending `opening` and then nothing,
    and returns them once the exporter has accepted them all (its listen queue is empty;
    raises after 30 s)."""
    held = []
    for a in addrs:
        for _ in range(per_addr):
            s = connect(port, a)
            s.sendall(opening)
            held.append(s)
    sexp.wait_until("the exporter to accept every connection", lambda: accept_queue(port) == 0, 30, 0.05)
    return held


def test_slow_heads():
    """All --web.max-requests slots held by 4 addresses (10 each, the per-address limit)
    sending half a head and nothing more: a scraper from a fifth address is still served,
    the exporter closing an unfinished connection of a busiest address for it."""
    e = Exporter(["--web.read-header-timeout=5m", "--web.timeout=5m"])
    held = []
    try:
        held = fill_slots(e.port, [addr(n) for n in range(2, 6)], 10, HALF_HEAD)
        served = sum(scrape_from(e.port, addr(9), timeout=5)[0] == 200 for _ in range(10))
        R.check("40 slow heads from 4 addresses: a scraper from a fifth is served 10 of 10", served == 10,
                f"{served} of 10")
        cut = sum(closed_by_server(s, 0.05) for s in held)
        ev = metric(e, 'slurm_exporter_http_evictions_total{stage="header"}')
        R.check("the room was made by closing slow heads (counted in slurm_exporter_http_evictions_total)",
                cut >= 1 and ev is not None and ev >= 1, f"{cut} attacker connections closed, evictions {ev}")
    finally:
        for s in held:
            s.close()
        e.finish("slow heads")


def send_queues(port, src):
    """The send queues (bytes) of the exporter's sockets on `port` connected to address src,
    from /proc/net/tcp."""
    want = "".join(f"{int(x):02X}" for x in reversed(src.split(".")))
    out = []
    with open("/proc/net/tcp") as fh:
        next(fh)
        for line in fh:
            parts = line.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[2].split(":")[0] == want:
                out.append(int(parts[4].split(":")[0], 16))
    return out


def server_inodes(port, clients):
    """The socket inodes of the exporter's ends (local port `port`) of the connections whose
    client ends are the sockets `clients`, from /proc/net/tcp."""
    want = {c.getsockname()[1] for c in clients}
    out = set()
    with open("/proc/net/tcp") as fh:
        next(fh)
        for line in fh:
            parts = line.split()
            # inode 0: a socket the exporter has closed (its unsent data still going)
            if int(parts[1].rsplit(":", 1)[1], 16) == port and int(parts[2].rsplit(":", 1)[1], 16) in want \
                    and parts[9] != "0":
                out.add(parts[9])
    return out


def exporter_connections(port):
    """The connections the exporter still holds on `port` (its accepted sockets, whatever their
    state; not the listener), from /proc/net/tcp."""
    n = 0
    with open("/proc/net/tcp") as fh:
        next(fh)
        for line in fh:
            parts = line.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] != "0A" and parts[9] != "0":
                n += 1
    return n


def open_inodes(pid, inodes):
    """Which of the socket `inodes` process pid still holds open."""
    held = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            held.add(link[8:-1])
    return held


def test_busy_slots_refuse():
    """When every slot is answering a request (here: responses the clients do not read), a new
    connection is refused rather than closing one of them. (--web.timeout and
    --web.write-timeout are long here: a response that stops moving is rightly closed at them,
    10 s and 2m by default, and the queues may take longer than 10 s to stop moving on a busy
    machine.)"""
    e = Exporter(["--web.max-requests=4", "--web.max-connections-per-ip=4", "--web.timeout=10m",
                  "--web.write-timeout=10m"])
    held = []
    try:
        # the readiness check's connection, closed by its client, may still take a slot until
        # the exporter reads its end: the four below are to have all four
        sexp.wait_until("the exporter to close the readiness check's connection",
                        lambda: exporter_connections(e.port) == 0, 30, 0.05)
        # pipelined requests for far more than a socket's buffers hold, which nobody reads
        head = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 200
        for _ in range(4):
            s = connect(e.port, addr(2))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(head)
            held.append(s)
        # Until their send queues stop moving: while one still fills, it goes idle between two
        # pipelined requests (a response handed whole to the kernel is complete), and an idle
        # connection may rightly be closed for a new one.
        last = [None]

        def blocked():
            q = send_queues(e.port, addr(2))
            same, last[0] = q == last[0], q
            return len(q) == 4 and all(q) and same
        stuck = sexp.wait_for(blocked, 60, interval=0.25)
        queues = send_queues(e.port, addr(2))
        mine = server_inodes(e.port, held)
        st = [scrape_from(e.port, addr(3), timeout=5)[0] for _ in range(3)]
        for s in held:
            s.close()
        held = []
        # The exporter notices the closed connections in its own time; a scrape sent before it
        # has would find every slot still taken and rightly close one of them for itself.
        sexp.wait_until("the exporter to close the held connections", lambda: not open_inodes(e.p.pid, mine), 30,
                        0.05)
        m = e.metrics()
        evk = [k for k in m if k.startswith("slurm_exporter_http_evictions_total")]
        ev = sum(m[k] for k in evk)
        R.check("slots all answering requests: a new connection is refused, none of them is closed",
                stuck and len(mine) == 4 and st == [None] * 3 and len(evk) == 4 and ev == 0,
                f"responses stuck: {stuck}, queues {queues} ({len(mine)} open in the exporter), new: {st}, "
                f"evictions: {ev} in {evk}")
    finally:
        for s in held:
            s.close()
        e.finish("busy slots")


# ----------------------------------------------------------------------------- 4: slow bodies

def test_slow_body():
    """A trace post whose body stalls, and one that trickles a byte every 0.3 s, are closed at
    --web.read-header-timeout (2 s here) counted from the end of the head, not after
    --web.write-timeout or --web.timeout (10 minutes here); counted as body timeouts."""
    e = Exporter(["--trace.enabled", "--web.read-header-timeout=2s", "--web.write-timeout=10m",
                  "--web.timeout=10m"])
    try:
        head = (b"POST /trace HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{\"job_id\":")
        stalled = connect(e.port, addr(2))
        stalled.sendall(head)
        R.check("a stalled trace body is closed by the body deadline", closed_by_server(stalled, 30),
                "still open after 30 s")
        stalled.close()
        trickle = connect(e.port, addr(3))
        trickle.sendall(head)
        closed, sent = False, 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sent < 900:
            try:
                trickle.sendall(b" ")
                sent += 1
            except OSError:
                closed = True
                break
            if closed_by_server(trickle, 0.3):
                closed = True
                break
        trickle.close()
        R.check("a trickling trace body is closed by the body deadline despite steady activity",
                closed, f"still open after {sent} bytes")
        n = metric(e, 'slurm_exporter_http_timeouts_total{stage="body"}')
        R.check("both counted in slurm_exporter_http_timeouts_total{stage=\"body\"}", n == 2, n)
        st, _, _ = e.req("POST", "/trace", body=json.dumps(TRACE_BODY), headers=JSON)
        R.check("a prompt trace post is still accepted", st == 200, st)
    finally:
        e.finish("slow body")


# ----------------------------------------------------------------------------- 14: chunked 413

def chunked_post(port, pieces, piece_size):
    """POST /trace with a chunked body of `pieces` chunks of piece_size bytes; the status, or
    None when the connection closed without an answer."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        c.request("POST", "/trace", body=(b" " * piece_size for _ in range(pieces)), headers=JSON,
                  encode_chunked=True)
        return c.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        c.close()


def test_chunked_over_limit():
    e = Exporter(["--trace.enabled"])  # --trace.max-body 4 KiB
    try:
        st = chunked_post(e.port, 3, 4096)
        R.check("chunked trace body of 12 KiB (limit 4 KiB) -> 413 response", st == 413, st)
        m = e.metrics()
        R.check("counted once as 413 and once as too_large",
                m.get('slurm_exporter_http_requests_total{path="/trace",code="413"}') == 1 and
                m.get('slurm_exporter_trace_posts_rejected_total{reason="too_large"}') == 1,
                {k: v for k, v in m.items() if "413" in k or "too_large" in k})
        st = chunked_post(e.port, 1024, 1024)
        m = e.metrics()
        R.check("chunked body of 1 MiB: closed unanswered past the drain cap, not counted as a 413 response",
                st is None and m.get('slurm_exporter_http_requests_total{path="/trace",code="413"}') == 1 and
                m.get('slurm_exporter_trace_posts_rejected_total{reason="too_large"}') == 2,
                (st, {k: v for k, v in m.items() if "413" in k or "too_large" in k}))
        body = json.dumps(TRACE_BODY).encode()
        c = http.client.HTTPConnection("127.0.0.1", e.port, timeout=20)
        c.request("POST", "/trace", body=iter([body[:20], body[20:]]), headers=JSON, encode_chunked=True)
        st = c.getresponse().status
        c.close()
        R.check("a chunked trace body under the limit is accepted", st == 200, st)
    finally:
        e.finish("chunked")


# ----------------------------------------------------------------------------- 17: Accept-Encoding

def test_accept_encoding():
    e = Exporter()
    try:
        cases = [("gzip;Q=0", False), ("gzip; q=0", False), ("gzip ;\tQ = 0", False), ("gzip;q=0.000", False),
                 ("gzip;q=0, *", False), ("gzip;q=1.5", False), ("gzip;q=0.0001", False), ("gzip;q=abc", False),
                 ("GZIP;Q=0.001", True), ("gzip;q=1.000", True), ("gzip ; q=0.5 , br", True), ("*", True),
                 ("*;q=0", False), ("identity", False), ('gzip;foo="a,b;q=0";q=1', True)]
        got = {}
        for ae, want in cases:
            st, h, _ = e.get("/metrics", headers={"Accept-Encoding": ae})
            got[ae] = (st, h.get("Content-Encoding"))
        bad = {ae: g for (ae, want), g in zip(cases, got.values()) if g != (200, "gzip" if want else None)}
        R.check("Accept-Encoding weights per RFC 9110 (q case-insensitive, whitespace, 0..1 with 3 decimals)",
                not bad, bad)
    finally:
        e.finish("accept-encoding")


# ----------------------------------------------------------------------------- 18: Content-Length

def test_content_length():
    e = Exporter(["--trace.enabled"])
    try:
        def one(req):
            raw = exchange(e.port, req)
            return status_of(raw), raw.count(b"HTTP/1.")
        cases = [
            ("GET, Content-Length: abc", b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
            ("GET, Content-Length over 2^64",
             b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            ("POST /trace, Content-Length: -1",
             b"POST /trace HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n"),
            ("POST /trace, Content-Length: 2 and 5",
             b"POST /trace HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
             b"Content-Length: 5\r\n\r\n{}"),
            ("POST /trace, Content-Length: 5 and 2",
             b"POST /trace HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
             b"Content-Length: 2\r\n\r\n{}"),
            ("POST /trace, Content-Length with Transfer-Encoding",
             b"POST /trace HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            ("POST /trace, Transfer-Encoding: gzip",
             b"POST /trace HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Transfer-Encoding: gzip\r\n\r\n"),
        ]
        got = {name: one(req) for name, req in cases}
        bad = {k: v for k, v in got.items() if v != (400, 1)}
        R.check("unreadable, conflicting or ambiguous body framing -> one 400 response, one head", not bad, got)
        st, n = one(b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n"
                    b"Connection: close\r\n\r\n")
        R.check("two equal Content-Length: 0 headers on a GET are served", (st, n) == (200, 1), (st, n))
        m = e.metrics()
        R.check("the 400s are counted by path, as sent (2 on /metrics, 5 on /trace, the latter also as "
                "malformed trace posts)",
                m.get('slurm_exporter_http_requests_total{path="/metrics",code="400"}') == 2 and
                m.get('slurm_exporter_http_requests_total{path="/trace",code="400"}') == 5 and
                m.get('slurm_exporter_trace_posts_rejected_total{reason="malformed"}') == 5,
                {k: v for k, v in m.items() if 'code="4' in k or "rejected" in k})
    finally:
        e.finish("content-length")


def test_content_length_tls():
    """The same unreadable Content-Length over TLS: one 400 response through the session."""
    d = tempfile.mkdtemp(prefix="se-hostile-tls-")
    e = None
    try:
        sexp.certtool("--generate-privkey", "--key-type=ecdsa", "--outfile", os.path.join(d, "k.pem"))
        sexp.write_file(os.path.join(d, "t.tmpl"), 'cn = "localhost"\nip_address = "127.0.0.1"\n'
                        'tls_www_server\nsigning_key\nexpiration_days = 2\nserial = 7\n')
        sexp.certtool("--generate-self-signed", "--load-privkey", "k.pem", "--template", "t.tmpl",
                      "--outfile", "c.pem", cwd=d)
        web = os.path.join(d, "web.yml")
        sexp.write_file(web, "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n")
        e = Exporter([f"--web.config.file={web}"], scheme="https", log_dir=d)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(os.path.join(d, "c.pem"))

        def tls_exchange(req):
            s = ctx.wrap_socket(connect(e.port), server_hostname="127.0.0.1")
            try:
                s.sendall(req)
                return read_all(s, 10)
            finally:
                s.close()
        ok = sexp.wait_for(lambda: status_of(tls_exchange(b"GET /-/ready HTTP/1.1\r\nHost: x\r\n"
                                                          b"Connection: close\r\n\r\n")) == 200, 60)
        raw = tls_exchange(b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        R.check("TLS: unreadable Content-Length -> one 400 response, one head",
                ok and status_of(raw) == 400 and raw.count(b"HTTP/1.") == 1, raw[:300])
    finally:
        if e:
            e.finish("content-length over TLS")
        shutil.rmtree(d, ignore_errors=True)


# ----------------------------------------------------------------------------- attack scenarios

class Attacker:
    """One kind of hostile client, run in a thread of its own until `stop` is set. Subclasses
    implement attack(port, stop) and count in self.stats: opened (connections made), served
    (an HTTP answer came back), refused (closed, reset or refused by the exporter without an
    answer); those that read the answers count them by status in self.codes. self.ready is set
    once the attack is under way (the scenario's legitimate client starts then)."""

    def __init__(self, name, addrs):
        self.name = name
        self.addrs = list(addrs)
        self.stats = {"opened": 0, "served": 0, "refused": 0}
        self.codes = {}
        self.ready = threading.Event()
        self.error = None

    def run(self, port, stop):
        try:
            self.attack(port, stop)
        except Exception as ex:  # noqa: BLE001 (reported by the scenario)
            self.error = repr(ex)
        finally:
            self.ready.set()

    def attack(self, port, stop):
        raise NotImplementedError


class HalfHeadClosers(Attacker):
    """Rounds of `per_addr` connections from each address that send half a head and close at
    once, a round every `pace` s: no socket is kept open by the attacker."""

    def __init__(self, addrs, per_addr=10, pace=0.25):
        super().__init__("connect-send-close", addrs)
        self.per_addr, self.pace = per_addr, pace

    def attack(self, port, stop):
        while not stop.is_set():
            for a in self.addrs:
                for _ in range(self.per_addr):
                    try:
                        s = connect(port, a, timeout=2)
                    except OSError:
                        self.stats["refused"] += 1
                        continue
                    self.stats["opened"] += 1
                    try:
                        s.sendall(HALF_HEAD)
                    except OSError:
                        self.stats["refused"] += 1
                    s.close()
            self.ready.set()
            stop.wait(self.pace)


class SlowClients(Attacker):
    """Keeps `per_addr` connections open from each address, each having sent `opening` and
    then one byte of `drip` a second; a connection the exporter closes (or answers) is counted
    and opened again, at most `reopen` a tick of 0.1 s."""

    def __init__(self, name, addrs, opening, drip=b"a", per_addr=10, reopen=10):
        super().__init__(name, addrs)
        self.opening, self.drip, self.per_addr, self.reopen = opening, drip, per_addr, reopen

    def attack(self, port, stop):
        sel = selectors.DefaultSelector()
        pending = [a for a in self.addrs for _ in range(self.per_addr)]
        last_drip = time.monotonic()
        sel_addr = {}

        def drop(s, answered):
            self.stats["served" if answered else "refused"] += 1
            sel.unregister(s)
            pending.append(sel_addr.pop(s))
            s.close()
        try:
            while not stop.is_set():
                for a in pending[:self.reopen if self.ready.is_set() else len(pending)]:
                    pending.remove(a)
                    try:
                        s = connect(port, a, timeout=2)
                        s.sendall(self.opening)
                    except OSError:
                        self.stats["refused"] += 1
                        pending.append(a)
                        continue
                    self.stats["opened"] += 1
                    s.setblocking(False)
                    sel.register(s, selectors.EVENT_READ)
                    sel_addr[s] = a
                self.ready.set()
                for key, _ in sel.select(timeout=0.1):
                    s = key.fileobj
                    try:
                        data = s.recv(4096)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    drop(s, bool(data))
                if time.monotonic() - last_drip >= 1:
                    last_drip = time.monotonic()
                    for s in list(sel_addr):
                        try:
                            s.send(self.drip)
                        except BlockingIOError:
                            pass
                        except OSError:
                            drop(s, False)
        finally:
            for s in sel_addr:
                s.close()
            sel.close()


class WrongPasswords(Attacker):
    """`per_addr` clients from each address, each repeating GET `path` with a configured user's
    name and a new wrong password every time (so that none is refused from the memory of wrong
    credentials: each costs a bcrypt check), as fast as the answers come."""

    def __init__(self, addrs, user, per_addr=6, path="/metrics"):
        super().__init__("wrong passwords", addrs)
        self.user, self.per_addr, self.path = user, per_addr, path
        self.mu = threading.Lock()

    def one(self, port, stop, a, j):
        k = 0
        while not stop.is_set():
            k += 1
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(a, 0))
            try:
                c.connect()
            except OSError:
                with self.mu:
                    self.stats["refused"] += 1
                c.close()
                stop.wait(0.01)
                continue
            try:
                c.request("GET", self.path, headers=basic(self.user, f"guess-{a}-{j}-{k}"))
                r = c.getresponse()
                r.read()
                st = r.status
            except (OSError, http.client.HTTPException):
                st = None
            finally:
                c.close()
            with self.mu:
                self.stats["opened"] += 1
                self.stats["served" if st else "refused"] += 1
                if st:
                    self.codes[st] = self.codes.get(st, 0) + 1
                if self.stats["opened"] >= len(self.addrs) * self.per_addr:
                    self.ready.set()

    def attack(self, port, stop):
        threads = [threading.Thread(target=self.one, args=(port, stop, a, j), daemon=True)
                   for a in self.addrs for j in range(self.per_addr)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def slow_heads(addrs):
    return SlowClients("slow headers", addrs, HALF_HEAD + b"X-Slow: ", b"a")


def slow_bodies(addrs):
    head = (b"POST /trace HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 4000\r\n\r\n{\"pad\":\"")
    return SlowClients("slow trace bodies", addrs, head, b"x")


def scraped_metrics(status, headers, body):
    """The default judgement of a legitimate scrape: 200 with the jobs family in it."""
    return status == 200 and b"slurm_jobs" in body


class Scenario:
    """An attack scenario: the exporter's flags (args, and those prepare(directory) returns:
    see Exporter), the attackers (a function returning fresh Attacker objects), and the
    legitimate client: `scrapes` requests from address `legit`, each judged by
    served(status, headers, body), at least `min_served` of them served. The i-th request
    (from 0) is client(port, source address, i, timeout) -> (status, headers, body); by
    default a GET of `path`. headers: credentials for the harness's own requests (readiness,
    check). check(exporter, attackers, the client's answers by status), when given, returns
    more checks to report after the attack: (name, ok, details) each. Scenarios are listed in
    SCENARIOS."""

    def __init__(self, name, attackers, args=(), scrapes=20, min_served=0.9, legit=addr(200),
                 path="/metrics", served=scraped_metrics, pace=0.1, timeout=5, client=None, prepare=None,
                 headers=None, check=None):
        self.name, self.attackers, self.args = name, attackers, list(args)
        self.scrapes, self.min_served, self.legit = scrapes, min_served, legit
        self.path, self.served, self.pace, self.timeout = path, served, pace, timeout
        self.client = client or (lambda port, src, i, timeout: scrape_from(port, src, path, timeout=timeout))
        self.prepare, self.headers, self.check = prepare, headers, check


def run_attack(sc, exporter=None):
    """Runs scenario sc: starts the exporter (unless given), its attackers, waits until each is
    under way (at most 30 s), then lets the legitimate client make its requests (one at a time,
    each on a new connection with a `timeout` s timeout, `pace` s apart) while the attack goes on.
    Prints the served/refused counts of the client (and its answers by status) and of each
    attacker; checks that the client was served often enough and that the exporter survived.
    Returns (served, refused, attackers)."""
    e = exporter or Exporter(sc.args, prepare=sc.prepare, ready_headers=sc.headers)
    stop = threading.Event()
    attackers = sc.attackers()
    threads = [threading.Thread(target=a.run, args=(e.port, stop), daemon=True) for a in attackers]
    served = refused = 0
    codes = {}
    try:
        for t in threads:
            t.start()
        for a in attackers:
            a.ready.wait(30)
        for i in range(sc.scrapes):
            st, h, body = sc.client(e.port, sc.legit, i, sc.timeout)
            codes[st] = codes.get(st, 0) + 1
            if sc.served(st, h, body):
                served += 1
            else:
                refused += 1
            if i + 1 < sc.scrapes:
                stop.wait(sc.pace)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    R.note(f"attack '{sc.name}': legitimate client from {sc.legit}: served {served}, refused {refused} "
           f"of {sc.scrapes} (answers by status: {codes})")
    for a in attackers:
        R.note(f"attack '{sc.name}': attacker {a.name} from {a.addrs[0]}..{a.addrs[-1]}: "
               f"opened {a.stats['opened']}, served {a.stats['served']}, refused {a.stats['refused']}"
               + (f" (answers by status: {a.codes})" if a.codes else "") + (f", error {a.error}" if a.error else ""))
    R.check(f"attack '{sc.name}': the legitimate client is served ({served} of {sc.scrapes}, "
            f"at least {sc.min_served:.0%})", served >= sc.min_served * sc.scrapes,
            f"served {served}, refused {refused}, answers by status {codes}")
    R.check(f"attack '{sc.name}': every attacker ran", all(a.stats["opened"] and not a.error for a in attackers),
            [(a.name, a.stats, a.error) for a in attackers])
    for name, ok, details in (sc.check(e, attackers, codes) if sc.check else []):
        R.check(f"attack '{sc.name}': {name}", ok, details)
    if not exporter:
        e.finish(f"attack '{sc.name}'")
    return served, refused, attackers


def A(first, n):
    """n loopback addresses from 127.0.0.first."""
    return [addr(i) for i in range(first, first + n)]


# -- fairshare refreshed less often than --slurm.max-age (issue 11, high)

FAIRSHARE_OK = b'\nslurm_exporter_collector_success{collector="fairshare"} 1\n'


def fairshare_fixture(d):
    """Gives the fake sshare its output (the fixture's fairshare tree)."""
    shutil.copy(os.path.join(sexp.FIX, "exporter_fairshare.txt"), os.path.join(d, "sshare.txt"))
    return []


def fresh_fairshare(status, headers, body):
    """A scrape is served when it is 200 with fairshare's collector succeeding and its
    series present (the account tree, which the fixture always has)."""
    return status == 200 and FAIRSHARE_OK in body and b"\nslurm_account_fairshare_info{" in body


# -- trace posts with basic auth during a wrong-password flood (issue 11, high)

TRACE_USERS = {f"wrapper{i}": f"pw-{i}" for i in range(10)}  # never used before the scenario's posts
HARNESS_USER = ("scraper", "pw-scraper")  # the harness's own requests (readiness, counters)


def auth_web_config(d):
    """A web configuration with basic auth for TRACE_USERS, HARNESS_USER and "prom" (whose
    password the flood guesses); bcrypt cost 8, as the other flood tests use."""
    users = dict(TRACE_USERS, prom="right-password")
    users[HARNESS_USER[0]] = HARNESS_USER[1]
    web = os.path.join(d, "web.yml")
    sexp.write_file(web, "basic_auth_users:\n" + "".join(f"  {u}: {sexp.bcrypt(p, 8)}\n" for u, p in users.items()))
    return [f"--web.config.file={web}"]


def trace_post(port, src, i, timeout):
    """The i-th post of the trace wrapper: a sample of running job 2; posts 2k and 2k+1 are
    made by user wrapper<k>, so every other post is of credentials not cached yet."""
    user = f"wrapper{i // 2}"
    body = json.dumps(dict(TRACE_BODY, hostname=f"cn{i:02d}", pid=1000 + i))
    return scrape_from(port, src, "/trace", headers=dict(JSON, **basic(user, TRACE_USERS[user])), timeout=timeout,
                       method="POST", body=body)


def stored(status, headers, body):
    """A trace post is served when it is answered 2xx (200 "ok": the sample is stored)."""
    return status is not None and 200 <= status < 300


def flood_checks(e, attackers, client_codes):
    """No wrong password got in; the posts answered 200 are the posts the exporter counts."""
    codes = {}
    for a in attackers:
        for st, n in a.codes.items():
            codes[st] = codes.get(st, 0) + n
    st, _, data = e.req("GET", "/metrics", headers=basic(*HARNESS_USER), timeout=30)
    posts = sexp.parse_flat(data.decode()).get("slurm_exporter_trace_posts_total") if st == 200 else None
    return [("no wrong password was answered 200, some were answered 401",
             200 not in codes and codes.get(401, 0) >= 1, codes),
            ("the posts answered 200 are counted in slurm_exporter_trace_posts_total",
             posts == client_codes.get(200, 0), (st, posts, client_codes))]


SCENARIOS = [
    Scenario("connect-send-close from 4 addresses", lambda: [HalfHeadClosers(A(2, 4))]),
    Scenario("slow headers from 8 addresses", lambda: [slow_heads(A(10, 8))]),
    Scenario("slow trace bodies from 8 addresses", lambda: [slow_bodies(A(20, 8))], args=["--trace.enabled"]),
    Scenario("all three from 20 addresses",
             lambda: [HalfHeadClosers(A(2, 4)), slow_heads(A(10, 8)), slow_bodies(A(20, 8))],
             args=["--trace.enabled"]),
    # fairshare every 6 s against a max age of 2 s; the other datasets every second, so the
    # exposition is rebuilt often (where a build judges staleness only when some refresh ends,
    # fairshare older than the max age shows then). 30 scrapes 0.3 s apart span more than one
    # fairshare refresh; every one must carry fairshare.
    Scenario("fairshare refreshed less often than --slurm.max-age, all three from 20 addresses",
             lambda: [HalfHeadClosers(A(2, 4)), slow_heads(A(10, 8)), slow_bodies(A(20, 8))],
             args=["--trace.enabled", "--slurm.poll-interval=1s", "--slurm.poll-interval.fairshare=6s",
                   "--slurm.max-age=2s"],
             prepare=fairshare_fixture, served=fresh_fairshare, scrapes=30, pace=0.3, min_served=1.0),
    # 10 users post twice each, the first post of each with credentials never used before
    Scenario("trace posts with basic auth, wrong passwords from 4 addresses and slow headers from 8",
             lambda: [WrongPasswords(A(30, 4), "prom"), slow_heads(A(10, 8))],
             args=["--trace.enabled"], prepare=auth_web_config, headers=basic(*HARNESS_USER),
             client=trace_post, served=stored, scrapes=2 * len(TRACE_USERS), min_served=1.0, timeout=10,
             check=flood_checks),
]


def test_attacks():
    words = [w for w in os.environ.get("SCENARIOS", "").split(",") if w]
    for sc in SCENARIOS:
        if words and not any(w in sc.name for w in words):
            continue
        run(f"attack '{sc.name}'", lambda sc=sc: run_attack(sc))


TESTS = [test_closed_peers, test_slow_heads, test_busy_slots_refuse, test_slow_body, test_chunked_over_limit,
         test_accept_encoding, test_content_length, test_content_length_tls, test_attacks]

if __name__ == "__main__":
    only = sys.argv[1:]
    for t in TESTS:
        if not only or t.__name__ in only:
            run(t.__name__, t)
    sys.exit(1 if R.failed else 0)
