# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the Python test programs (tests/cli, tests/deploy, tests/integration).

A test program is run as `/usr/bin/python3 tests/.../prog`; it finds this module with

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "<..>", "lib"))
    import sexp

What is here: the TAP-style report ("ok - NAME" / "not ok - NAME: DETAILS"), free ports,
bounded waits, the exposition parsers (a full one and a flat {"name{labels}": value} one),
HTTP requests, fake Slurm command directories, certtool and bcrypt, and one Exporter class
that starts the exporter under test and talks to it. Python 3 standard library only.
"""
import ctypes
import http.client as httpclient
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.environ.get("SE_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKEBIN = os.path.join(ROOT, "tests", "cli", "fakebin")
FIX = os.path.join(ROOT, "tests", "fixtures", "22.05")
HARNESS = os.path.join(ROOT, "tests", "harness", "slurm-cluster")
WORKLOAD = os.path.join(ROOT, "tests", "harness", "workload")
EXPORTER = os.environ.get("EXPORTER", os.path.join(ROOT, "build-san", "slurm_exporter"))
# The fixture files a fake Slurm directory starts with: fixture name -> name fakebin reads.
FAKE_FILES = (("exporter_squeue.txt", "squeue.txt"), ("exporter_nodes.txt", "nodes.txt"),
              ("exporter_partitions.txt", "partitions.txt"),
              (os.path.join("..", "versions", "22.05.txt"), "version.txt"))


# ----------------------------------------------------------------------------- reporting

class Report:
    """One line per check; `limit` caps the details (None: no cap). Details are put on one
    line so that they can never read as a check line of their own."""

    def __init__(self, limit=1500):
        self.limit = limit
        self.failed = []
        self.passed = 0

    @property
    def failures(self):
        return len(self.failed)

    def ok(self, name):
        self.passed += 1
        print(f"ok - {name}", flush=True)

    def fail(self, name, details):
        self.failed.append(name)
        details = " ".join(str(details).split("\n"))
        if self.limit is not None and len(details) > self.limit:
            details = details[:self.limit] + " ..."
        print(f"not ok - {name}: {details}", flush=True)

    def check(self, name, cond, details=""):
        if cond:
            self.ok(name)
        else:
            self.fail(name, details or "failed")
        return cond

    def report(self, name, ok, why=""):
        """check() with the details of a passing check ignored (the older programs' form)."""
        return self.check(name, ok, why)

    def note(self, text):
        for line in str(text).splitlines():
            print(f"# {line}", flush=True)


# ----------------------------------------------------------------------------- processes, ports

def set_pdeathsig():
    """Child processes die with the test (SIGKILL when the parent exits)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def free_port(host="127.0.0.1"):
    """A port the kernel just handed out (and that is closed again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_free(port, host="0.0.0.0"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def cluster_port_base(bases, nodes, host="0.0.0.0"):
    """The first base of `bases` whose ports a harness cluster of `nodes` nodes takes (base+6,
    +17, +19 and base+4200+i per node) are all free; None when no base's are."""
    for base in bases:
        ports = [base + 6, base + 17, base + 19] + [base + 4200 + i for i in range(1, nodes + 1)]
        if all(port_free(p, host) for p in ports):
            return base
    return None


# ----------------------------------------------------------------------------- harness runs


def reap_stale_runs(prefix, timeout=180):
    """State directories (`prefix` under the temporary directory) of earlier runs that were
    killed: their clusters stopped, the directories removed. A directory whose owner.pid is
    alive belongs to a run still going and is left alone."""
    tmp = tempfile.gettempdir()
    for d in os.listdir(tmp):
        if not d.startswith(prefix):
            continue
        path = os.path.join(tmp, d)
        try:
            with open(os.path.join(path, "owner.pid")) as f:
                os.kill(int(f.read().strip()), 0)
            continue  # its test is still running
        except (OSError, ValueError):
            pass
        cluster = os.path.join(path, "cluster")
        if os.path.exists(os.path.join(cluster, ".slurm-cluster")):
            subprocess.run([HARNESS, "stop"], env=dict(os.environ, SLURM_CLUSTER_DIR=cluster),
                           capture_output=True, timeout=timeout)
        if not os.path.exists(os.path.join(cluster, "run", "pids")):
            shutil.rmtree(path, ignore_errors=True)


def run_dir(prefix, timeout=180):
    """A new state directory for this run (stale ones reaped first), owned by this process
    (owner.pid) and searchable by all (munged wants its socket's directories so)."""
    reap_stale_runs(prefix, timeout)
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    with open(os.path.join(d, "owner.pid"), "w") as f:
        f.write(str(os.getpid()))
    return d


def write_file(path, text, mode=None):
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


def certtool(*args, cwd=None, stdin=None):
    subprocess.run(["certtool", *args], check=True, capture_output=True, input=stdin, text=True,
                   timeout=30, cwd=cwd)


def bcrypt(password, cost=5):
    """A $2y$ bcrypt hash by libcrypt (what --web.config.file's basic_auth_users takes)."""
    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt_gensalt.restype = ctypes.c_char_p
    lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return lib.crypt(password.encode(), lib.crypt_gensalt(b"$2y$", cost, None, 0)).decode()


def fake_dir(parent=None, prefix="se-fake-", mode=None):
    """A directory for tests/cli/fakebin (FAKE_DIR) with the 22.05 jobs, nodes and partitions and
    scontrol --version's line."""
    d = tempfile.mkdtemp(prefix=prefix, dir=parent)
    for a, b in FAKE_FILES:
        shutil.copy(os.path.join(FIX, a), os.path.join(d, b))
    if mode is not None:
        os.chmod(d, mode)
    return d


# ----------------------------------------------------------------------------- waiting

class WaitTimeout(Exception):
    """A bounded wait ran out."""


def wait_until(what, fn, timeout, interval=0.25, error=WaitTimeout,
               catch=(OSError, urllib.error.URLError, ValueError, httpclient.HTTPException)):
    """Polls fn() until it returns a true value, which is returned. An exception in `catch`
    counts as "not yet". Raises `error` when `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
        except catch as e:
            last = e
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise error(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last!r})" if last else ""))


def wait_for(fn, timeout=10, interval=0.1):
    """Polls fn() until it returns a true value, for at most `timeout` seconds; returns the last
    value either way (the caller asserts on it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    return fn()


# ----------------------------------------------------------------------------- exposition parsing

class ParseError(ValueError):
    pass


def parse_flat(text):
    """{'name{labels as written}': value} for every sample line (comments skipped). Lines end at
    "\n" only, as the text format's do (str.splitlines would also end one at a label value's
    \r, \x1c..\x1e, \x85 or \u2028). A line that is not `key value` raises ParseError naming
    it and the text around it."""
    out = {}
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line or line.startswith("#"):
            continue
        key, _, val = line.rpartition(" ")
        try:
            out[key] = float(val)
        except ValueError:
            around = "\n".join(lines[max(0, i - 2):i + 3])
            raise ParseError(f"line {i + 1} of {len(lines)} ({len(text)} characters) is not `key value`: "
                             f"{line[:300]!r}; around it: {around[:1200]!r}") from None
    return out


def _unescape(s, label):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "n":
                out.append("\n")
            elif n == "\\":
                out.append("\\")
            elif n == '"' and label:
                out.append('"')
            else:
                out.append("\\" + n)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def _parse_labels(s, pos):
    """Parses `{a="x",b="y"}` starting at s[pos] == '{'; returns (dict, position after '}')."""
    labels = {}
    pos += 1
    while True:
        while pos < len(s) and s[pos] in " ,":
            pos += 1
        if pos >= len(s):
            raise ValueError("unterminated label set")
        if s[pos] == "}":
            return labels, pos + 1
        m = _NAME.match(s, pos)
        if not m:
            raise ValueError(f"bad label name at {pos}")
        name = m.group(0)
        pos = m.end()
        if s[pos:pos + 2] != '="':
            raise ValueError(f"expected =\" after label {name}")
        pos += 2
        start = pos
        while pos < len(s) and s[pos] != '"':
            pos += 2 if s[pos] == "\\" else 1
        if pos >= len(s):
            raise ValueError("unterminated label value")
        if name in labels:
            raise ValueError(f"duplicate label {name}")
        labels[name] = _unescape(s[start:pos], True)
        pos += 1


def parse_value(v):
    if v in ("+Inf", "Inf"):
        return math.inf
    if v == "-Inf":
        return -math.inf
    return float(v)  # NaN included


class Exposition:
    """A parsed text 0.0.4 or OpenMetrics exposition."""

    def __init__(self, text):
        self.text = text
        self.types = {}
        self.helps = {}
        self.samples = []  # (name, labels dict, value)
        self.errors = []
        for lineno, line in enumerate(text.split("\n"), 1):
            if not line:
                continue
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 4 and parts[1] == "TYPE":
                    self.types[parts[2]] = parts[3]
                elif len(parts) >= 3 and parts[1] == "HELP":
                    self.helps[parts[2]] = parts[3] if len(parts) > 3 else ""
                continue
            try:
                m = _METRIC.match(line)
                if not m:
                    raise ValueError("bad metric name")
                name, pos = m.group(0), m.end()
                labels = {}
                if pos < len(line) and line[pos] == "{":
                    labels, pos = _parse_labels(line, pos)
                rest = line[pos:].split()
                if not rest or len(rest) > 2:
                    raise ValueError("expected value [timestamp]")
                self.samples.append((name, labels, parse_value(rest[0])))
            except ValueError as e:
                self.errors.append(f"line {lineno}: {e}: {line[:120]}")

    def family_of(self, sample_name):
        if sample_name in self.types:
            return sample_name
        for suffix in ("_bucket", "_count", "_sum", "_total", "_created", "_info"):
            if sample_name.endswith(suffix) and sample_name[: -len(suffix)] in self.types:
                return sample_name[: -len(suffix)]
        return sample_name

    def served(self):
        """The families with at least one sample."""
        return sorted({self.family_of(n) for n, _, _ in self.samples})

    def get(self, name):
        """Samples of exactly this sample name: list of (labels, value)."""
        return [(l, v) for n, l, v in self.samples if n == name]

    def by(self, name, keys):
        """{tuple(label values in `keys` order): value} for the samples called `name`."""
        out = {}
        for labels, value in self.get(name):
            out[tuple(labels.get(k, "") for k in keys)] = value
        return out

    def value(self, name, **labels):
        for l, v in self.get(name):
            if all(l.get(k) == want for k, want in labels.items()):
                return v
        return None


# ----------------------------------------------------------------------------- HTTP

def http(url, method="GET", headers=None, timeout=10, data=None):
    """Returns (status, headers dict (lower-case names), body bytes); no exception for 4xx/5xx."""
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


# ----------------------------------------------------------------------------- the exporter

class Exporter:
    """The exporter under test on 127.0.0.1:<free port>.

    binary     the executable (default $EXPORTER)
    args       its flags after --web.listen-address (and --slurm.bin-path with `fake`)
    fake       a FAKE_DIR for tests/cli/fakebin (True: a new one from the fixtures, removed
               by stop() when `remove_fake`); None: real Slurm commands
    env        the environment (default os.environ), env_extra added to it
    log_path   where its output goes (default <log_dir or fake or $TMPDIR>/exporter-<port>.log)
    scheme     "http" or "https" (only for .url)
    pdeathsig  the exporter dies with the test
    error      the exception wait_ready() and metrics() raise (None: they report by value)
    exposition metrics() returns an Exposition (else the flat dict of parse_flat)
    """

    def __init__(self, binary=None, args=(), fake=None, env=None, env_extra=None, log_path=None, log_dir=None,
                 scheme="http", pdeathsig=True, error=None, exposition=False, remove_fake=False):
        self.binary = binary or EXPORTER
        self.port = free_port()
        if fake is True:
            fake, remove_fake = fake_dir(), True
        self.fake = fake
        self.remove_fake = remove_fake
        self.scheme = scheme
        self.error = error
        self.exposition = exposition
        env = dict(os.environ if env is None else env)
        if fake:
            env["FAKE_DIR"] = fake
        env.update(env_extra or {})
        self.log_path = log_path or os.path.join(log_dir or fake or tempfile.gettempdir(),
                                                 f"exporter-{self.port}.log")
        self.cmd = [self.binary, f"--web.listen-address=127.0.0.1:{self.port}"]
        if fake:
            self.cmd.append(f"--slurm.bin-path={FAKEBIN}")
        self.cmd += list(args)
        self.log = open(self.log_path, "w+b")
        self.started = time.time()
        self.stopped_in = None
        self.metrics_gets = 0
        self.proc = subprocess.Popen(self.cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=set_pdeathsig if pdeathsig else None)

    p = property(lambda self: self.proc)

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    # -- requests
    def req(self, method, path, body=None, headers=None, conn=None, timeout=10):
        """One plain-HTTP request (on `conn` when given); (status, headers dict, body bytes)."""
        c = conn or httpclient.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
        finally:
            if not conn:
                c.close()
        return r.status, dict(r.getheaders()), data

    def get(self, path="/metrics", headers=None, method="GET", body=None, timeout=5):
        return self.req(method, path, body=body, headers=headers, timeout=timeout)

    def scrape(self, headers=None):
        """GET /metrics through urllib: (status, lower-case headers, body)."""
        status, hdrs, body = http(self.url + "/metrics", headers=headers or {})
        if status == 200:
            self.metrics_gets += 1
        return status, hdrs, body

    def metrics(self, headers=None):
        st, hdrs, data = self.req("GET", "/metrics", headers=headers)
        if st == 200:
            self.metrics_gets += 1
            if self.exposition:
                return Exposition(data.decode())
            try:
                return parse_flat(data.decode())
            except ParseError as e:  # kept for a look: the body beside the log, as received
                path = f"{self.log_path}.body-{self.metrics_gets}"
                with open(path, "wb") as f:
                    f.write(data)
                raise ParseError(f"{e} (Content-Length {hdrs.get('Content-Length')}, {len(data)} bytes "
                                 f"read, kept in {path})") from None
        if self.error:
            raise self.error(f"GET /metrics returned {st}")
        return Exposition("") if self.exposition else {}

    # -- waiting
    def listening(self):
        """True once the port accepts a connection; raises if the exporter exited."""
        if self.proc.poll() is not None:
            raise (self.error or RuntimeError)(f"exporter exited {self.proc.returncode}: {self.tail()}")
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def wait_ready(self, limit=60, path="/-/ready", codes=(200,), headers=None):
        """Waits for `path` to answer one of `codes`; False (or self.error) when it does not
        within `limit` seconds or the exporter exits."""
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"exporter exited with {self.proc.returncode}: {self.tail()}")
            return self.req("GET", path, headers=headers, timeout=2)[0] in codes
        try:
            return wait_until(f"{path} to answer {'/'.join(map(str, codes))}", ready, limit, 0.1)
        except (WaitTimeout, RuntimeError) as e:
            if self.error:
                raise self.error(str(e)) from None
            return False

    # -- the process
    def rss(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def logtext(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def tail(self, n=15):
        return "\n".join(self.logtext().splitlines()[-n:])

    def stop(self, timeout=10):
        """SIGTERM, SIGKILL after `timeout` s; returns (exit code, log text). stopped_in is the
        seconds it took (0 when it had exited already)."""
        if self.proc.poll() is None:
            t = time.monotonic()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.stopped_in = time.monotonic() - t
        elif self.stopped_in is None:
            self.stopped_in = 0.0
        if not self.log.closed:
            self.log.close()
        out = self.logtext()
        if self.remove_fake and self.fake:
            shutil.rmtree(self.fake, ignore_errors=True)
        return self.proc.returncode, out


# ----------------------------------------------------------------------------- same-moment checks

def refresh_started(m, dataset, collector=None, **labels):
    """Unix time the refresh behind `dataset`'s data in exposition m started (its last success
    minus the fetch's duration); None unless `collector` (default: the dataset's name) succeeds."""
    ok = m.value("slurm_exporter_collector_success", collector=collector or dataset, **labels)
    at = m.value("slurm_exporter_dataset_last_success_timestamp_seconds", dataset=dataset, **labels)
    took = m.value("slurm_exporter_dataset_fetch_duration_seconds", dataset=dataset, **labels)
    if ok != 1 or not at or took is None:
        return None
    return at - took


def same_moment(slurm, scrape, started, timeout=120, error=WaitTimeout, what="Slurm's answer"):
    """Slurm's answer and an exposition built from a refresh at the same moment.

    Repeats: t0 = now; a = slurm(); wait for a scrape whose refresh started at or after t0
    (started(exposition) >= t0); b = slurm(). When a == b nothing changed from before the
    exporter's refresh to after it, so the exporter saw a as well: returns (a, exposition).
    Gives up after `timeout` seconds (raises `error`), never asserts how long anything took."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        t0 = time.time()
        a = slurm()

        def fresh():
            m = scrape()
            s = started(m)
            return m if s is not None and s >= t0 else None
        m = wait_until(f"a refresh after the query for {what}", fresh,
                       max(1.0, deadline - time.monotonic()), 0.2, error=error)
        b = slurm()
        if a == b:
            return a, m
        seen.append((a, b))
        if time.monotonic() >= deadline:
            raise error(f"{what} changed across every refresh for {timeout}s; last: {seen[-1]}")


def slurm_left_out(expo):
    """The families that Slurm's own answer behind `expo` (the same scrape) did not have the
    figure for: sdiag prints "Cycles per minute" only when its statistics are more than 60 s
    old ("sdiag output at" minus "Data since"; a restart, midnight or sdiag --reset starts
    them again)."""
    out = []
    at = expo.value("slurm_scheduler_stats_timestamp_seconds")
    since = expo.value("slurm_scheduler_stats_reset_timestamp_seconds")
    if at is not None and since is not None and at - since <= 60:
        out.append("slurm_scheduler_cycles_per_minute")
    return out


def record_families(expo):
    """Writes the families `expo` serves, one per line, to $FAMILIES_OUT when it is set
    (tests/run compares those of each Slurm version with 22.05's), and to $FAMILIES_OUT.excused
    those Slurm itself left out of that answer (slurm_left_out), which are not missing."""
    path = os.environ.get("FAMILIES_OUT")
    if path:
        for name, items in ((path, expo.served()), (path + ".excused", slurm_left_out(expo))):
            with open(name + ".tmp", "w") as fh:
                fh.write("".join(f + "\n" for f in items))
            os.replace(name + ".tmp", name)


def compat_sets():
    """The families of each --compat set, read from src/compat_sets.def (what the set's path
    <telemetry path>/<set> serves): {set: {name: owner}}, the set in lower case, the name as a
    query names it (a counter's with _total), owner a collector name or "build" / "scrape"."""
    out = {}
    with open(os.path.join(ROOT, "src", "compat_sets.def")) as f:
        for line in f:
            m = re.match(r'\s*([FBS])\((\w+),\s*(?:(\w+),\s*)?"([a-z_:]+)"\)', line)
            if not m:
                continue
            kind, cset, owner, name = m.groups()
            owner = owner if kind == "F" else ("build" if kind == "B" else "scrape")
            out.setdefault(cset.lower(), {})[name] = owner
    return out
