# SPDX-License-Identifier: Apache-2.0
"""A real Prometheus on loopback for the coverage modules: it scrapes one exporter under one or
more job names (one job per HA exporter it stands for), every second, optionally evaluating
rule files every second. query() and alerts() read its HTTP API."""
import json
import os
import subprocess
import urllib.parse

import sexp


class Prom:
    def __init__(self, prometheus_bin, workdir, name, target_port, jobs, rule_files=(), ready_timeout=30,
                 targets=None):
        """targets: {job name: [port, ...]} scraped instead of target_port under each of jobs."""
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = sexp.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        y = ["global:", "  scrape_interval: 1s", "  scrape_timeout: 1s", "  evaluation_interval: 1s"]
        if rule_files:
            y += ["rule_files:"] + [f"  - {f}" for f in rule_files]
        y.append("scrape_configs:")
        for j, ports in (targets.items() if targets else ((j, [target_port]) for j in jobs)):
            tl = ", ".join(f"'127.0.0.1:{p}'" for p in ports)
            y += [f"  - job_name: {j}", "    static_configs:", f"      - targets: [{tl}]"]
        with open(os.path.join(self.dir, "prometheus.yml"), "w") as f:
            f.write("\n".join(y) + "\n")
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [prometheus_bin, f"--config.file={self.dir}/prometheus.yml",
             f"--web.listen-address=127.0.0.1:{self.port}", f"--storage.tsdb.path={self.dir}/data",
             "--log.level=warn"], stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=sexp.set_pdeathsig)

        def ready():
            if self.proc.poll() is not None:
                raise sexp.WaitTimeout(f"prometheus exited with {self.proc.returncode}; see {self.dir}")
            return sexp.http(self.url + "/-/ready", timeout=2)[0] == 200
        sexp.wait_until("Prometheus to be ready", ready, ready_timeout)

    def api(self, path, params=None):
        """(ok, data, error) of one /api/v1 call."""
        q = "?" + urllib.parse.urlencode(params) if params else ""
        st, _, body = sexp.http(self.url + "/api/v1/" + path + q, timeout=20)
        try:
            doc = json.loads(body)
        except ValueError:
            return False, None, f"HTTP {st}: {body[:200]!r}"
        if st != 200 or doc.get("status") != "success":
            return False, None, doc.get("error", f"HTTP {st}")
        return True, doc["data"], ""

    def query(self, q):
        """(ok, result list, error)"""
        ok, data, err = self.api("query", {"query": q})
        if not ok:
            return False, [], err
        res = data["result"]
        return True, res if isinstance(res, list) else [res], ""

    def query_range(self, q, start, end, step=1):
        """(ok, result list [{metric, values: [[t, "v"], ...]}], error)"""
        ok, data, err = self.api("query_range", {"query": q, "start": f"{start:.3f}", "end": f"{end:.3f}",
                                                 "step": str(step)})
        if not ok:
            return False, [], err
        return True, data["result"], ""

    def alerts(self):
        """The active alerts (pending and firing): a list of {labels, annotations, state, ...}."""
        ok, data, err = self.api("alerts")
        if not ok:
            raise sexp.WaitTimeout(f"GET /api/v1/alerts: {err}")
        return data["alerts"]

    def rules(self):
        """The rule groups as loaded: a list of {name, file, rules: [{name, health, lastError, ...}]}."""
        ok, data, err = self.api("rules")
        if not ok:
            raise sexp.WaitTimeout(f"GET /api/v1/rules: {err}")
        return data["groups"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
