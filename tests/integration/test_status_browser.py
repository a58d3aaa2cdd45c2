#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The status page in a real browser: headless Chromium (Debian's `chromium`) loads / from an
exporter on fake Slurm commands (tests/cli/fakebin, the 22.05 fixtures), dumps the DOM it built
and takes a screenshot. Checks: every figure the browser shows equals the exporter's /metrics
value scraped at the same moment (tests/lib/statuspage.py), the text shown agrees with the exact
value, the page's own Content-Security-Policy blocks nothing the page uses, the screenshot is a
PNG of the window's size. Prints one "ok - name" / "not ok - name: why" line per check.

    EXPORTER=build-san/slurm_exporter tests/integration/test_status_browser.py [--screenshot FILE]

--screenshot FILE also keeps the screenshot there (docs/img/status-page.png is made this way)."""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sexp  # noqa: E402
import statuspage  # noqa: E402

R = sexp.Report(limit=2000)
report = R.report
WINDOW = (1100, 1800)


def chromium_binary():
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


def chromium(binary, profile, *args, timeout=90):
    """Runs headless Chromium with a throw-away profile; (exit code, stdout, stderr)."""
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def png_size(path):
    """(width, height) from a PNG's IHDR, or None when the file is not a PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def shown_matches(series, value, text):
    """The text a cell shows agrees with its exact value: counts as the integer, bytes in binary
    units to one decimal, seconds as a duration whose first unit is right, timestamps as UTC."""
    text = text.strip()
    if "timestamp" in series:
        return text == time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(value)))
    if "bytes" in series:
        m = re.fullmatch(r"([0-9.]+) (B|KiB|MiB|GiB|TiB|PiB|EiB)", text)
        if not m:
            return False
        k = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"].index(m.group(2))
        return abs(float(m.group(1)) - value / 1024 ** k) <= 0.05 + 1e-9
    if "seconds" in series:
        m = re.match(r"(\d+)([smhd])", text)
        if not m:
            return False
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
        return int(m.group(1)) == int(round(value)) // unit
    return text == f"{value:.0f}"


def main():
    keep = None
    if sys.argv[1:2] == ["--screenshot"] and len(sys.argv) > 2:
        keep = sys.argv[2]
    binary = chromium_binary()
    report("chromium installed (scripts/install-deps)", binary is not None, "no chromium on PATH")
    if not binary:
        return
    work = tempfile.mkdtemp(prefix="se-browser-")
    # refreshes far apart: the page and the scrape see the same data (only ages move)
    e = sexp.Exporter(args=["--slurm.poll-interval=10m"], fake=True, remove_fake=True, log_dir=work)
    try:
        report("exporter ready", bool(e.wait_ready(60)), e.tail() if hasattr(e, "tail") else "")
        url = e.url + "/"
        rc, dom, err = chromium(binary, os.path.join(work, "p1"), "--dump-dom", url)
        flat = e.metrics()
        report("chromium --dump-dom loads the page", rc == 0 and "Slurm status" in dom, f"rc={rc} {err[-300:]}")
        n, bad = statuspage.compare(dom, flat)
        report(f"the browser's DOM: its {n} figures equal /metrics at the same moment", n >= 20 and not bad, bad)
        cells, version = statuspage.figures(dom)
        wrong = [(s, v, t) for s, v, t in cells if not shown_matches(s, v, t)]
        report("the text of each figure agrees with its exact value", cells and not wrong, wrong[:5])
        report("the browser shows the Slurm version of slurm_exporter_slurm_info", version == "22.05.8", version)
        report("the browser built the charts (inline SVG polylines)",
               len(re.findall(r"<polyline", dom)) >= 5 and "<svg" in dom, "")
        csp = [l for l in err.splitlines() if "Content Security Policy" in l or "Refused to" in l]
        report("no Content-Security-Policy violation reported by the browser", not csp, csp[:3])

        shot = os.path.join(work, "status-page.png")
        rc, _, err = chromium(binary, os.path.join(work, "p2"), f"--screenshot={shot}",
                              f"--window-size={WINDOW[0]},{WINDOW[1]}", url)
        size = png_size(shot) if os.path.exists(shot) else None
        report("chromium --screenshot: a PNG of the window's size",
               rc == 0 and size == WINDOW and os.path.getsize(shot) > 20000, f"rc={rc} size={size} {err[-300:]}")
        if keep and size:
            shutil.copy(shot, keep)
    finally:
        rc, log = e.stop()
        report("exporter: clean exit, no sanitizer report", rc == 0 and "Sanitizer" not in log, log[-300:])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as ex:  # a crashed test is a failed test
        report("status page browser test", False, repr(ex))
    sys.exit(1 if R.failed else 0)
