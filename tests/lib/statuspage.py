# SPDX-License-Identifier: Apache-2.0
"""The status page's figures (tests/cli/test_cli, tests/integration/test_status_browser.py).

Every figure cell of the page carries the series it shows (data-metric: a sample of /metrics as
the exposition writes it, or sum(...)/max(...) over a family's samples) and the exact value
(data-value). figures() reads them from the served HTML or from a browser's DOM dump; compare()
checks each against a flat exposition (sexp.parse_flat) taken at the same moment."""
import html.parser
import re

# Figures that move with the clock between the page and the scrape: compared within this many
# seconds.
CLOCK_SERIES = ("slurm_exporter_dataset_age_seconds", "max(slurm_jobs_oldest_pending_age_seconds)")


class _Cells(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells = []        # (data-metric, data-value, text shown)
        self.version = None
        self._open = None      # the figure being read: [metric, value, text, tag]
        self._in_version = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-metric" in a and "data-value" in a:
            self._open = [a["data-metric"], a["data-value"], "", tag]
        elif a.get("id") == "version":
            self._in_version = True
            self.version = ""

    def handle_endtag(self, tag):
        if self._open and tag == self._open[3]:
            self.cells.append(tuple(self._open[:3]))
            self._open = None
        if self._in_version and tag == "span":
            self._in_version = False

    def handle_data(self, data):
        if self._open:
            self._open[2] += data
        if self._in_version:
            self.version += data


def figures(page):
    """([(series, value as float, text shown)], the Slurm version shown) of a page (str)."""
    p = _Cells()
    p.feed(page)
    p.close()
    return [(m, float(v), t) for m, v, t in p.cells], p.version


def expected(series, flat):
    """The value of series in a flat exposition: a sample, or sum()/max() over the samples of a
    family whose labels start as given; None when no sample matches."""
    m = re.fullmatch(r"(sum|max)\((\w+)(?:\{(.*)\})?\)", series)
    if not m:
        return flat.get(series)
    fn, name, labels = m.groups()
    prefix = name + "{" + (labels or "")
    vals = [v for k, v in flat.items() if k.startswith(prefix) and (labels is None or k[len(prefix)] in ",}")]
    if not vals:
        return None
    return sum(vals) if fn == "sum" else max(vals)


def compare(page, flat, clock_tolerance=3.0):
    """(figures compared, [mismatches]) between a page and a flat exposition."""
    cells, version = figures(page)
    bad = []
    for series, value, _ in cells:
        want = expected(series, flat)
        tol = clock_tolerance if series.startswith(CLOCK_SERIES) else 0.0
        if want is None or abs(want - value) > tol:
            bad.append((series, value, want))
    served = [k for k in flat if k.startswith("slurm_exporter_slurm_info{")]
    if served:
        want = re.search(r'version="([^"]*)"', served[0]).group(1)
        if version != want:
            bad.append(("slurm_exporter_slurm_info", version, want))
    return len(cells) + (1 if served else 0), bad
