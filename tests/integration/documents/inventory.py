#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The switching inventory: every metric name, PromQL query, recording rule, alert expression and
scrape configuration of the five documents people switch to this exporter from, each once per
document and verbatim, with what it needs here and how the switching test computes Slurm's
answer to it (tests/integration/coverage/95_documents.py runs every item in a real Prometheus
against a real Slurm).

The documents (named by project, never by where a copy of them lies):

  goldentooth role        the goldentooth cluster's Ansible role goldentooth.setup_slurm_exporter,
                          its documentation: nine names, three dashboard queries, three alerts
  goldentooth write-up    the goldentooth book's chapter "Prometheus Slurm Exporter" on the same
                          role after its switch to rivosinc 1.6.10: the names it shows
  Azure azslurm-exporter  Azure CycleCloud's exporter's README: current-state, partition and
                          cumulative gauges, three example queries
  jontk integration guide the Prometheus integration guide of jontk's slurm-exporter (port
                          9341): recording rules, example queries, scrape configurations
  rivosinc README         rivosinc/prometheus-slurm-exporter's README: its metric list

Each Item says what it needs here (compat set, path, flags), the PromQL the test runs when the
document's own form cannot run (`run`, and `why`), how the test computes Slurm's answer (`slurm`,
and `oracle`, the name of the function in 95_documents.py that computes it), or that it cannot
work and why (`cannot`, and `verify`: how the test checks that claim).

    inventory.py              prints the counts per document and status
    inventory.py --markdown   prints the tables of docs/switching.md
    inventory.py --check F    exits 1 when the tables in file F differ from --markdown's
    inventory.py --update F   writes --markdown's tables into file F (between its markers)

Items not about the exporter (Prometheus's own metrics) carry counted=False: they are listed and
run, but not counted among the documents' items.
"""
import sys

DOCS = (
    ("goldentooth role", "the goldentooth Ansible role `goldentooth.setup_slurm_exporter` (its "
     "documentation): nine metric names, three dashboard queries, three recommended alerts, a "
     "Prometheus targets check"),
    ("goldentooth write-up", "the goldentooth write-up \"Prometheus Slurm Exporter\" (the same role after "
     "its switch to rivosinc 1.6.10): the names it shows, its scrape job"),
    ("Azure azslurm-exporter", "Azure CycleCloud's `azslurm-exporter` README: current-state gauges, "
     "partition gauges, cumulative counters since a reset time, meta metrics, example queries"),
    ("jontk integration guide", "the Prometheus integration guide of jontk's slurm-exporter (port "
     "9341): recording rules, example queries, health queries, scrape configurations"),
    ("rivosinc README", "rivosinc/prometheus-slurm-exporter's README: its metric list"),
)

ACCT = ("--collector.accounting", "--accounting.users")


class Item:
    def __init__(self, doc, kind, text, **kw):
        self.doc = doc
        self.kind = kind          # name, query, record, alert, config, prometheus
        self.text = text          # verbatim
        self.rule = kw.pop("rule", None)        # the recording rule's or alert's name
        self.path = kw.pop("path")
        self.compat = kw.pop("compat", None)
        self.flags = tuple(kw.pop("flags", ()))
        self.job = kw.pop("job")                # the Prometheus job of the test that scrapes path
        self.run = kw.pop("run", None)          # PromQL the test runs instead of text
        self.why = kw.pop("why", None)          # why `run` (a valid form of an invalid one)
        # what Prometheus does with the form as written: "rejected" (parse error), ("empty", names)
        # (no series although every name in it has data), ("histogram", name) (a histogram's name:
        # no series of that name, its _bucket series have data); configurations: promtool's verdict
        self.written = kw.pop("written", None)
        self.test_run = kw.pop("test_run", None)  # what the test runs for a test-only reason
        self.test_why = kw.pop("test_why", None)
        self.site = kw.pop("site", False)       # cluster="production" names the site's cluster
        self.oracle = kw.pop("oracle", None)
        self.args = kw.pop("args", {})
        self.key = tuple(kw.pop("key", ()))     # label names that identify a series
        self.under = kw.pop("under", None)      # range functions: the selector compared
        self.slurm = kw.pop("slurm", None)      # how Slurm's answer is computed, in words
        self.cannot = kw.pop("cannot", None)    # why it cannot work
        self.verify = kw.pop("verify", None)    # how the test checks that claim
        self.counted = kw.pop("counted", True)
        self.absent_ok = kw.pop("absent_ok", False)  # no series is the right answer
        self.min_slurm = kw.pop("min_slurm", None)   # older Slurm: cannot work (verified)
        self.alert = kw.pop("alert", None)      # (op, threshold) of an alert
        self.yaml = kw.pop("yaml", None)        # a configuration as the document writes it
        self.note = kw.pop("note", None)
        self.tol = kw.pop("tol", 1e-9)          # relative tolerance of the comparison
        if kw:
            raise TypeError(f"unknown item fields {sorted(kw)}")

    @property
    def label(self):
        """How the report names the item (one line)."""
        t = " ".join(self.text.split())
        if self.kind in ("record", "alert"):
            return f"{self.kind} {self.rule}: {t}"
        return t

    @property
    def status(self):
        if self.cannot:
            return "cannot work"
        if self.run:
            return "valid form"
        return "as written"

    def promql(self, cluster):
        """The PromQL the test sends (None for a configuration item)."""
        if self.kind == "config":
            return None
        q = self.test_run or self.run or self.text
        if q and self.site:
            q = q.replace('cluster="production"', f'cluster="{cluster}"')
        return q


ITEMS = []


def _add(doc, kind, text, base, **kw):
    d = dict(base)
    d.update(kw)
    ITEMS.append(Item(doc, kind, text, **d))


# ------------------------------------------------------------------------------ goldentooth role
G = "goldentooth role"
GT = dict(path="/metrics/goldentooth", compat="goldentooth", job="slurm")
_add(G, "name", "slurm_jobs_pending", GT, oracle="jobs_pending_once", note="also its query \"Job queue length\"",
     slurm="lines of `squeue -h -a -r -t PENDING` (each job once, array tasks singly)")
_add(G, "name", "slurm_jobs_running", GT, oracle="jobs_in_state", args={"state": "RUNNING"},
     slurm="jobs whose `squeue -a -r -t all` state is RUNNING")
_add(G, "name", "slurm_nodes_alloc", GT, oracle="sinfo_node_prefix", args={"prefix": "alloc"},
     slurm="nodes whose `sinfo -a -N -o %T` state begins with `alloc`")
_add(G, "name", "slurm_nodes_idle", GT, oracle="sinfo_node_prefix", args={"prefix": "idle"},
     slurm="nodes whose `sinfo -a -N -o %T` state begins with `idle`")
_add(G, "name", "slurm_nodes_down", GT, oracle="nodes_base_down",
     slurm="nodes whose base state is DOWN (`scontrol show nodes`, any flags)")
_add(G, "name", "slurm_cpus_total", GT, oracle="node_sum", args={"field": "cpus"},
     slurm="sum of the nodes' CPUs (`scontrol show nodes` CPUTot/CPUEfctv)")
_add(G, "name", "slurm_cpus_alloc", GT, oracle="node_sum", args={"field": "alloc_cpus"},
     slurm="sum of the nodes' CPUAlloc")
_add(G, "name", "slurm_memory_total", GT, oracle="node_sum", args={"field": "real_memory"},
     slurm="sum of the nodes' RealMemory (MB)")
_add(G, "name", "slurm_memory_alloc", GT, oracle="node_sum", args={"field": "alloc_memory"},
     slurm="sum of the nodes' AllocMem (MB)")
_add(G, "query", "slurm_cpus_alloc / slurm_cpus_total * 100", GT, oracle="cpu_alloc_ratio",
     args={"scale": 100}, slurm="100 × CPUAlloc / CPUTot summed over the nodes")
_add(G, "query", "slurm_nodes_up / (slurm_nodes_up + slurm_nodes_down) * 100", GT, oracle="nodes_up_percent",
     slurm="100 × nodes not DOWN / all nodes (`scontrol show nodes`)")
_add(G, "alert", "slurm_jobs_pending > 50", GT, rule="SlurmHighPendingJobs", oracle="jobs_pending_once",
     alert=(">", 50), slurm="fires while `squeue -h -a -r -t PENDING` has more than 50 lines (the test "
     "submits a held array to get there, then cancels it)")
_add(G, "alert", "slurm_nodes_down > 0", GT, rule="SlurmNodesDown", oracle="nodes_base_down", alert=(">", 0),
     slurm="fires while a node's base state is DOWN (the workload's cn004; the test resumes every down "
     "node inside a reservation, then sets them down again)")
_add(G, "alert", "slurm_cpus_alloc / slurm_cpus_total > 0.9", GT, rule="SlurmLowResources",
     oracle="cpu_alloc_ratio", alert=(">", 0.9),
     slurm="fires while CPUAlloc / CPUTot > 0.9 (the test fills every node inside a reservation, then "
     "cancels the fill)")
_add(G, "config", ".data.activeTargets[] | select(.job==\\\"slurm\\\")", GT, oracle="target_up",
     slurm="the Prometheus targets API lists job slurm healthy (the role's \"Check Prometheus targets\")")

# ------------------------------------------------------------------------------ goldentooth write-up
W = "goldentooth write-up"
WR = dict(path="/metrics", compat="rivosinc", job="slurm")
WG = dict(path="/metrics/goldentooth", compat="goldentooth", job="slurm-goldentooth")
_add(W, "name", "slurm_cpus_total", WR, oracle="sinfo_cpus", args={"field": "total"},
     slurm="the total of `sinfo -h -o %C`")
_add(W, "name", "slurm_cpus_idle", WR, oracle="sinfo_cpus", args={"field": "idle"},
     slurm="the idle field of `sinfo -h -o %C`")
_add(W, "name", "slurm_cpus_per_state{state=\"idle\"}", WR, oracle="cpus_per_state", key=("state",),
     args={"state": "idle"}, slurm="all CPUs of the nodes whose derived state is idle")
_add(W, "name", "slurm_node_count_per_state{state=\"idle\"}", WR, oracle="nodes_per_state", key=("state",),
     args={"state": "idle"}, slurm="nodes whose derived state is idle")
_add(W, "name", "slurm_mem_real", WR, oracle="node_sum", args={"field": "real_memory", "scale": 1e6},
     slurm="sum of RealMemory × 1e6 (rivosinc's unit)")
_add(W, "name", "slurm_mem_alloc", WR, oracle="node_sum", args={"field": "alloc_memory", "scale": 1e6},
     slurm="sum of AllocMem × 1e6")
_add(W, "name", "slurm_mem_free", WR, oracle="node_sum", args={"field": "free_memory", "scale": 1e6},
     slurm="sum of FreeMem × 1e6")
_add(W, "name", "slurm_jobs_pending", WG, oracle="jobs_pending_once",
     note="not a rivosinc name: the write-up lists it, rivosinc never served it",
     slurm="lines of `squeue -h -a -r -t PENDING`")
_add(W, "name", "slurm_jobs_running", WG, oracle="jobs_in_state", args={"state": "RUNNING"},
     note="not a rivosinc name", slurm="jobs whose squeue state is RUNNING")
_add(W, "name", "slurm_job_scrape_duration", WR, oracle="self_duration", args={"dataset": "jobs"},
     slurm="no Slurm answer: equals the exporter's own `slurm_exporter_dataset_fetch_duration_seconds"
     "{dataset=\"jobs\"}` × 1000 of the same scrape")
_add(W, "name", "slurm_cpu_load", WR, oracle="node_sum", args={"field": "cpu_load", "scale": 0.01}, tol=1e-6,
     slurm="sum of the nodes' CPULoad")
_add(W, "name", "slurm_node_scrape_duration", WR, oracle="self_duration", args={"dataset": "nodes"},
     slurm="no Slurm answer: the nodes dataset's fetch duration × 1000, same scrape")
_add(W, "config", "job_name 'slurm' with file_sd targets and the relabelling of instance", WR,
     oracle="target_up", args={"instance": "host"},
     slurm="the target (from a file_sd file as the role writes it) is up, instance is the controller's name",
     yaml="""scrape_configs:
  - job_name: 'slurm'
    file_sd_configs:
      - files:
          - "/etc/prometheus/file_sd/slurm_targets.yaml"
    relabel_configs:
      - source_labels: [instance]
        target_label: instance
        regex: '([^:]+):\\d+'
        replacement: '${1}'
""")

# ------------------------------------------------------------------------------ Azure
A = "Azure azslurm-exporter"
AZ = dict(path="/metrics/azure", compat="azure", job="slurm")
AZT = dict(AZ, note="cumulative: the reset time is Azure's default, "
           "\"24 hours ago\"")
_JOB_STATES = (("running", "RUNNING"), ("pending", "PENDING"), ("configuring", "CONFIGURING"),
               ("completing", "COMPLETING"), ("suspended", "SUSPENDED"), ("failed", "FAILED"))
_add(A, "name", "slurm_jobs", AZ, oracle="cmd_lines", args={"argv": ["squeue", "-h"]},
     slurm="lines of `squeue -h`")
for _s, _S in _JOB_STATES:
    _add(A, "name", f"slurm_jobs_{_s}", AZ, oracle="cmd_lines", args={"argv": ["squeue", "-t", _S, "-h"]},
         slurm=f"lines of `squeue -t {_S} -h`")
_add(A, "name", "slurm_nodes", AZ, oracle="cmd_lines", args={"argv": ["sinfo", "-N", "-h"]},
     slurm="lines of `sinfo -N -h`")
_NODE_STATES = (("alloc", "alloc"), ("idle", "idle"), ("mixed", "mix"), ("down", "down"),
                ("drain", "drain"), ("draining", "drng"), ("drained", "drained"))
for _s, _t in _NODE_STATES:
    _add(A, "name", f"slurm_nodes_{_s}", AZ, oracle="cmd_D", args={"argv": ["sinfo", "-t", _t, "-h", "-o", "%D"]},
         slurm=f"sum of `sinfo -t {_t} -h -o '%D'`")
_add(A, "name", "slurm_nodes_drain_total", AZ, oracle="cmd_D", args={"sum": ["drain", "drng", "drained"]},
     slurm="drain + drng + drained of `sinfo -t STATE -h -o '%D'` (Azure's sum)")
for _s, _t in (("maint", "maint"), ("fail", "fail"), ("powered_down", "powered_down"),
               ("powering_up", "powering_up")):
    _add(A, "name", f"slurm_nodes_{_s}", AZ, oracle="cmd_D", args={"argv": ["sinfo", "-t", _t, "-h", "-o", "%D"]},
         slurm=f"sum of `sinfo -t {_t} -h -o '%D'`")
_SACCT = (("submitted", None), ("completed", "COMPLETED"), ("failed", "FAILED"), ("timeout", "TIMEOUT"),
          ("node_failed", "NODE_FAIL"), ("cancelled", "CANCELLED"), ("preempted", "PREEMPTED"),
          ("out_of_memory", "OUT_OF_MEMORY"))
for _s, _S in _SACCT:
    _add(A, "name", f"slurm_jobs_total_{_s}", AZT, oracle="sacct_lines", args={"state": _S},
         slurm="lines of `sacct -a -S <now − 24 h> -E now -X -n" + (f" -s {_S}`" if _S else "`"))
_add(A, "name", "slurm_partition_jobs", AZ, oracle="cmd_lines", key=("partition",),
     args={"argv": ["squeue", "-p", "{P}", "-h"]}, slurm="lines of `squeue -p P -h`, each partition")
for _s, _S in _JOB_STATES:
    _add(A, "name", f"slurm_partition_jobs_{_s}", AZ, oracle="cmd_lines", key=("partition",),
         args={"argv": ["squeue", "-p", "{P}", "-t", _S, "-h"]}, slurm=f"lines of `squeue -p P -t {_S} -h`")
_add(A, "name", "slurm_partition_nodes", AZ, oracle="cmd_lines", key=("partition",),
     args={"argv": ["sinfo", "-p", "{P}", "-N", "-h"]}, slurm="lines of `sinfo -p P -N -h`")
for _s, _t in _NODE_STATES[:4]:
    _add(A, "name", f"slurm_partition_nodes_{_s}", AZ, oracle="cmd_D", key=("partition",),
         args={"argv": ["sinfo", "-p", "{P}", "-t", _t, "-h", "-o", "%D"]},
         slurm=f"sum of `sinfo -p P -t {_t} -h -o '%D'`")
_add(A, "name", "slurm_partition_nodes_drain_total", AZ, oracle="cmd_D", key=("partition",),
     args={"sum": ["drain", "drng", "drained"]}, slurm="drain + drng + drained with `sinfo -p P`")
for _s, _S in _SACCT:
    _add(A, "name", f"slurm_partition_jobs_total_{_s}", AZT, oracle="sacct_lines", key=("partition",),
         args={"state": _S}, slurm="lines of `sacct -a -S <now − 24 h> -E now -X -n -r P" + (f" -s {_S}`" if _S else "`"))
_add(A, "name", "slurm_exporter_collect_duration_seconds", AZ, oracle="plausible_seconds",
     slurm="no Slurm answer: a duration between 0 and 10 s")
_add(A, "name", "slurm_exporter_last_collect_timestamp_seconds", AZ, oracle="build_time",
     slurm="no Slurm answer: a Unix time between the exporter's start and the scrape")
_add(A, "name", "slurm_exporter_errors_total", AZ, oracle="absent_while_healthy", absent_ok=True,
     slurm="no series while every dataset the set needs has data (Azure wrote it only after an error): "
     "checked absent while the exporter's collectors all succeed")
_add(A, "query", "slurm_partition_jobs_running{partition=\"hpc\"}", AZ, oracle="cmd_lines", key=("partition",),
     args={"argv": ["squeue", "-p", "{P}", "-t", "RUNNING", "-h"], "partitions": ["hpc"]},
     slurm="lines of `squeue -p hpc -t RUNNING -h` (the test creates partitions hpc and htc and runs a job "
     "in each, as the README's own verification does)")
_add(A, "query", "sum(slurm_partition_jobs_total_completed)", AZT, oracle="sacct_lines",
     args={"state": "COMPLETED", "sum_partitions": True},
     slurm="sum over the partitions of the lines of `sacct -a -S <now − 24 h> -E now -X -n -s COMPLETED -r P`")
_add(A, "query", "slurm_partition_jobs_running{partition=~\"hpc|htc\"}", AZ, oracle="cmd_lines", key=("partition",),
     args={"argv": ["squeue", "-p", "{P}", "-t", "RUNNING", "-h"], "partitions": ["hpc", "htc"]},
     slurm="lines of `squeue -p P -t RUNNING -h` for hpc and htc")
_add(A, "config", "job_name 'slurm' on <scheduler>:9500", AZ, oracle="target_up",
     slurm="the target is up (port 9341, metrics_path /metrics/azure)",
     yaml="""scrape_configs:
  - job_name: 'slurm'
    static_configs:
      - targets: ['<scheduler-node-ip>:9500']
""")

# ------------------------------------------------------------------------------ jontk integration guide
J = "jontk integration guide"
JK = dict(path="/metrics/jontk", compat="jontk", job="slurm-exporter")
JA = dict(JK, flags=ACCT)
_GROUP = "sum by ({by}) ({inner})"
_add(J, "record", "sum(slurm_partition_cpus_allocated) by (cluster) / \nsum(slurm_partition_cpus_total) by (cluster)",
     JK, rule="slurm:cluster_cpu_utilization_ratio", oracle="partition_ratio", key=("cluster",),
     args={"num": "cpus_alloc", "den": "cpus_total"},
     slurm="Σ over partitions of `sinfo -p P -o %C` allocated / Σ of its total")
_add(J, "record", "sum(slurm_partition_memory_allocated_bytes) by (cluster) / \n"
     "sum(slurm_partition_memory_total_bytes) by (cluster)", JK, rule="slurm:cluster_memory_utilization_ratio",
     oracle="partition_ratio", key=("cluster",), args={"num": "mem_alloc", "den": "mem_total"},
     slurm="Σ over partitions of their nodes' AllocMem / Σ of their RealMemory")
_add(J, "record", "sum(slurm_partition_nodes_idle) by (cluster) / \nsum(slurm_partition_nodes_total) by (cluster)",
     JK, rule="slurm:cluster_node_availability_ratio", oracle="partition_ratio", key=("cluster",),
     args={"num": "nodes_idle", "den": "nodes_total"},
     slurm="Σ over partitions of nodes `sinfo -p P -N -o %T` calls idle / Σ of their nodes")
_add(J, "record", "sum(slurm_jobs_pending) by (cluster, partition)", JK, rule="slurm:partition_queue_depth",
     oracle="jobs_pending_by_partition", key=("partition",),
     slurm="pending jobs per partition (`squeue -a -r -t PD`; a job listing several partitions counts in each)")
_add(J, "record", "avg(slurm_job_cpu_efficiency_ratio) by (cluster, partition)", JA,
     rule="slurm:partition_efficiency_ratio", oracle="acct_avg_by", key=("partition",),
     args={"name": "slurm_job_cpu_efficiency_ratio", "by": ["partition"]},
     slurm="per series of slurm_job_cpu_efficiency_ratio: Σ TotalCPU / Σ ElapsedRaw × CPUs of its finished "
     "jobs (`sacct`), averaged per partition")
_add(J, "record", "increase(slurm_account_cpu_hours_used_total[24h]) by (cluster, user, account)", JA,
     rule="slurm:user_cpu_hours_24h", written="rejected", run="sum by (cluster, user, account) (increase(slurm_account_cpu_hours_used_total[24h]))",
     why="`by` follows an aggregation only; Prometheus rejects it after increase()",
     oracle="acct_series", under="slurm_account_cpu_hours_used_total", key=("*",),
     args={"name": "slurm_account_cpu_hours_used_total"},
     slurm="range function: the series underneath equal Σ TotalCPU / 3600 of the finished jobs (`sacct`)")
_add(J, "record", "rate(slurm_jobs_completed_total[1h]) by (cluster, account)", JA,
     rule="slurm:account_job_completion_rate_1h", written="rejected", run="sum by (cluster, account) (rate(slurm_jobs_completed_total[1h]))",
     why="`by` follows an aggregation only", oracle="acct_series", under="slurm_jobs_completed_total",
     key=("*",), args={"name": "slurm_jobs_completed_total"},
     slurm="range function: the series underneath equal the COMPLETED jobs of `sacct`")
_add(J, "record", "histogram_quantile(0.95, \n  rate(slurm_job_wait_time_seconds_bucket[5m])\n) by (cluster, partition)",
     JA, rule="slurm:job_wait_time_p95_5m", written="rejected",
     run="histogram_quantile(0.95, sum by (cluster, partition, le) (rate(slurm_job_wait_time_seconds_bucket[5m])))",
     why="`by` follows an aggregation only; the buckets are summed by (cluster, partition, le) first",
     oracle="acct_series", under="slurm_job_wait_time_seconds_bucket", key=("*",),
     args={"name": "slurm_job_wait_time_seconds_bucket"},
     slurm="range function: each bucket underneath equals the finished jobs with start − eligible ≤ le")
_add(J, "record", "rate(slurm_jobs_failed_total[1h]) by (cluster, partition, user)", JA,
     rule="slurm:job_failure_rate_1h", written="rejected", run="sum by (cluster, partition, user) (rate(slurm_jobs_failed_total[1h]))",
     why="`by` follows an aggregation only", oracle="acct_series", under="slurm_jobs_failed_total", key=("*",),
     args={"name": "slurm_jobs_failed_total"},
     slurm="range function: the series underneath equal the FAILED jobs of `sacct`")
_add(J, "record", "sum(rate(slurm_job_waste_cpu_hours[1h])) by (cluster)", JA,
     rule="slurm:cluster_cpu_waste_rate_1h", oracle="acct_series", under="slurm_job_waste_cpu_hours",
     key=("*",), args={"name": "slurm_job_waste_cpu_hours"},
     slurm="range function: the series underneath equal Σ (ElapsedRaw × CPUs − TotalCPU) / 3600 (`sacct`)")
_add(J, "record", "sum(rate(slurm_job_waste_memory_gb_hours[1h])) by (cluster, partition)", JA,
     rule="slurm:partition_memory_waste_rate_1h", oracle="acct_series", under="slurm_job_waste_memory_gb_hours",
     key=("*",), args={"name": "slurm_job_waste_memory_gb_hours"},
     slurm="range function: the series underneath equal Σ (AllocTRES mem − peak) × ElapsedRaw / 3600 / 1e9 of "
     "the jobs with both (`sacct`, peak = largest step MaxRSS × its tasks)")
_add(J, "record", "avg_over_time(\n  (slurm_node_cpus_allocated / slurm_node_cpus_total)[5m:]\n) by (cluster, node)",
     JK, rule="slurm:node_utilization_5m", written="rejected",
     run="avg by (cluster, node) (avg_over_time((slurm_node_cpus_allocated / slurm_node_cpus_total)[5m:]))",
     why="`by` follows an aggregation only", oracle="node_ratio", under="slurm_node_cpus_allocated / slurm_node_cpus_total",
     key=("node",), args={"num": "alloc_cpus", "den": "cpus"},
     slurm="range function: CPUAlloc / CPUTot of each node underneath (`scontrol show nodes`)")
_add(J, "record", "sum(slurm_jobs_total) by (cluster, partition, state)", JK, rule="slurm:job_states_by_partition",
     oracle="jobs_by_partition_state", key=("partition", "state"),
     slurm="jobs of `squeue -a -r -t all` per partition and lower-case state")
_add(J, "query", "(slurm_partition_cpus_allocated / slurm_partition_cpus_total) * 100", JK, oracle="partition_ratio",
     key=("partition",), args={"num": "cpus_alloc", "den": "cpus_total", "scale": 100, "per": True},
     slurm="100 × allocated / total of `sinfo -p P -o %C`, per partition")
_add(J, "query", "avg_over_time(\n  (slurm_partition_memory_allocated_bytes / slurm_partition_memory_total_bytes)[24h:1h]\n) * 100",
     JK, oracle="partition_ratio", key=("partition",), args={"num": "mem_alloc", "den": "mem_total", "per": True},
     under="slurm_partition_memory_allocated_bytes / slurm_partition_memory_total_bytes",
     test_run="avg_over_time(\n  (slurm_partition_memory_allocated_bytes / slurm_partition_memory_total_bytes)[24h:1s]\n) * 100",
     test_why="a 1 h subquery step evaluates at whole hours; the test's Prometheus holds minutes of data, so "
     "the test runs the same expression with a 1 s step",
     slurm="range function: AllocMem / RealMemory of each partition's nodes underneath")
_add(J, "query", "sum(slurm_nodes_total) by (cluster, state)", JK, oracle="nodes_by_state", key=("state",),
     slurm="nodes per derived state (`scontrol show nodes`)")
_add(J, "query", "sum(slurm_node_gpus_allocated) / sum(slurm_node_gpus_total) * 100", JK, oracle="gpu_percent",
     slurm="100 × GPUs in GresUsed / GPUs in Gres, over the nodes")
_add(J, "query", "rate(slurm_jobs_completed_total[1h]) * 3600", JA, oracle="acct_series",
     under="slurm_jobs_completed_total", key=("*",), args={"name": "slurm_jobs_completed_total"},
     slurm="range function: the series underneath equal the COMPLETED jobs of `sacct`")
_add(J, "query", "avg(slurm_job_wait_time_seconds) by (partition) / 60", JA,
     run="sum by (partition) (slurm_job_wait_time_seconds_sum) / sum by (partition) (slurm_job_wait_time_seconds_count) / 60",
     written=("histogram", "slurm_job_wait_time_seconds"),
     why="slurm_job_wait_time_seconds is a histogram (the guide's own recording rule takes its _bucket "
     "series), which has no series of that name: as written the query is empty; the mean wait is "
     "_sum / _count", oracle="acct_wait_mean", key=("partition",),
     slurm="Σ (start − eligible) / jobs of the finished jobs of `sacct`, per partition, in minutes")
_add(J, "query", "histogram_quantile(0.95, slurm_job_cpu_efficiency_ratio)", JA,
     run="quantile(0.95, slurm_job_cpu_efficiency_ratio)", written=("empty", ["slurm_job_cpu_efficiency_ratio"]),
     why="slurm_job_cpu_efficiency_ratio is a gauge (the guide averages it with avg()); "
     "histogram_quantile needs le buckets and returns nothing for it", oracle="acct_quantile",
     args={"name": "slurm_job_cpu_efficiency_ratio", "q": 0.95},
     slurm="the 0.95 quantile of the efficiencies Σ TotalCPU / Σ ElapsedRaw × CPUs of each series (`sacct`)")
_add(J, "query", "topk(10, sum(slurm_job_cpu_hours_total) by (user))", JA, oracle="acct_sum_by", key=("user",),
     args={"name": "slurm_job_cpu_hours_total", "by": ["user"], "topk": 10},
     slurm="Σ ElapsedRaw × CPUs / 3600 of the finished jobs per user (`sacct`), the 10 largest")
_add(J, "query", "up{job=\"slurm-exporter\"}", JK, oracle="constant", args={"value": 1},
     slurm="1: the scrape of /metrics/jontk succeeds")
_add(J, "query", "slurm_controller_up", JK, oracle="controllers_up", key=("controller",),
     slurm="1 when `scontrol ping` says the controller is UP (with `--slurm.clusters=NAME`, which the test "
     "runs for the guide's `params: cluster:` form, one series per cluster, controller=NAME)")
_add(J, "query", "slurm_database_up", JK, oracle="database_up", min_slurm="24.05.5",
     slurm="1 when `sacctmgr ping` says UP (Slurm 24.05.5 and later; before, sacctmgr has no ping and "
     "the name has no series: checked)")
_add(J, "query", "rate(slurm_exporter_collect_duration_seconds_count[5m]) - \n"
     "rate(slurm_exporter_collect_errors_total[5m])", JK, oracle="self_collect_errors",
     under="slurm_exporter_collect_errors_total",
     slurm="no Slurm answer: the query has data and the errors underneath equal the failed refreshes the "
     "exporter counts on /metrics (`slurm_exporter_dataset_fetches_total{result=\"error\"}`)")
_add(J, "query", "predict_linear(\n  slurm:cluster_cpu_utilization_ratio[7d], \n  86400 * 30  # 30 days\n)", JK,
     oracle="partition_ratio", under="slurm:cluster_cpu_utilization_ratio", key=("cluster",),
     args={"num": "cpus_alloc", "den": "cpus_total"},
     slurm="range function over the recording rule: the rule's series underneath equal Slurm's ratio")
_add(J, "query", "(slurm_reservation_cpus / slurm_cluster_cpus_total) * 100", JK,
     run="(slurm_reservation_cpus / on (cluster) group_left slurm_cluster_cpus_total) * 100",
     written=("empty", ["slurm_reservation_cpus", "slurm_cluster_cpus_total"]),
     why="slurm_reservation_cpus has a reservation label that slurm_cluster_cpus_total has not: "
     "one-to-one matching finds no pair and the query as written is empty", oracle="reservation_percent",
     key=("reservation",), slurm="100 × TRES cpu= of each reservation (`scontrol show reservations`) / all CPUs")
_add(J, "query", "deriv(slurm:partition_queue_depth[1h])", JK, oracle="jobs_pending_by_partition",
     under="slurm:partition_queue_depth", key=("partition",),
     slurm="range function over the recording rule: pending jobs per partition underneath")
_add(J, "query", "avg_over_time(\n  (slurm_partition_cpus_allocated / slurm_partition_cpus_total)[7d:1h]\n) by "
     "(hour(timestamp()))", JK, cannot="`by` takes label names, not an expression such as hour(timestamp()), and "
     "follows an aggregation only; PromQL cannot group samples by the hour of the day they were taken in",
     verify="rejected")
_add(J, "query", "slurm:cluster_cpu_utilization_ratio", JK, oracle="partition_ratio", key=("cluster",),
     args={"num": "cpus_alloc", "den": "cpus_total"}, slurm="as the recording rule")
_add(J, "query", "slurm_jobs_total{cluster=\"production\", partition=~\"compute|gpu\"}", JK, site=True,
     oracle="jobs_by_partition_state", key=("partition", "state"), args={"partitions": ["compute", "gpu"]},
     slurm="jobs per partition and state of `squeue -a -r -t all` for compute and gpu (cluster: the site's "
     "cluster name, the test cluster's here)")
_add(J, "query", "rate(slurm_jobs_completed_total[5m])", JA, oracle="acct_series",
     under="slurm_jobs_completed_total", key=("*",), args={"name": "slurm_jobs_completed_total"},
     slurm="range function: the series underneath equal the COMPLETED jobs of `sacct`")
_add(J, "query", "slurm_job_wait_time_seconds[1h]", JA, run="slurm_job_wait_time_seconds_bucket[1h]",
     written=("histogram", "slurm_job_wait_time_seconds"),
     why="slurm_job_wait_time_seconds is a histogram: its series are _bucket, _sum and _count",
     oracle="acct_series", under="slurm_job_wait_time_seconds_bucket", key=("*",),
     args={"name": "slurm_job_wait_time_seconds_bucket"},
     slurm="range selector: the last sample of each bucket equals the finished jobs with start − eligible ≤ le")
_add(J, "config", "job_name 'slurm-exporter' with external_labels (basic setup)", JK, oracle="target_up",
     run="the same job without external_labels (they belong in `global:`, where they label only what leaves "
     "Prometheus) and with metrics_path /metrics/jontk",
     why="Prometheus refuses the file: `field external_labels not found in type config.ScrapeConfig`",
     slurm="the target is up", yaml="""global:
  scrape_interval: 30s
  evaluation_interval: 30s

scrape_configs:
  - job_name: 'slurm-exporter'
    static_configs:
      - targets: ['localhost:9341']
    scrape_interval: 30s
    scrape_timeout: 25s
    metrics_path: /metrics
    honor_labels: true
    
    # Optional: Add external labels
    external_labels:
      cluster: 'production'
      datacenter: 'dc1'
""")
_add(J, "config", "multi-cluster jobs with params: cluster: [NAME]", dict(JK, path="/metrics", compat=None,
     job="slurm-cluster-1"), oracle="multicluster",
     run="the same jobs without external_labels; slurm-cluster-1 asks for the test cluster's name",
     why="Prometheus refuses the file (external_labels in a scrape job)",
     slurm="`/metrics?cluster=NAME` of an exporter started with `--slurm.clusters=NAME`: up, every series "
     "has cluster=NAME, slurm_controller_up equals `scontrol ping`; a cluster the exporter does not watch "
     "(the guide's cluster2 here) is refused with 400, so that job is down",
     yaml="""scrape_configs:
  - job_name: 'slurm-cluster-1'
    static_configs:
      - targets: ['cluster1-exporter:9341']
    params:
      cluster: ['cluster1']
    external_labels:
      cluster: 'cluster1'
      datacenter: 'dc1'
  
  - job_name: 'slurm-cluster-2'
    static_configs:
      - targets: ['cluster2-exporter:9341']
    params:
      cluster: ['cluster2']
    external_labels:
      cluster: 'cluster2'
      datacenter: 'dc2'
""")
_add(J, "config", "metric_relabel_configs renaming slurm_node_cpus_total to slurm_node_cpu_cores_total",
     dict(JK, job="slurm-exporter-relabel"), oracle="node_field", key=("node",), args={"field": "cpus"},
     under="slurm_node_cpu_cores_total",
     slurm="slurm_node_cpu_cores_total{environment=\"production\"} equals each node's CPUTot",
     yaml="""scrape_configs:
  - job_name: 'slurm-exporter'
    static_configs:
      - targets: ['localhost:9341']
    
    metric_relabel_configs:
      # Drop high-cardinality metrics in test environments
      - source_labels: [__name__]
        regex: 'slurm_job_step_.*'
        action: drop
        target_label: '__tmp_drop'
      
      # Rename metrics for consistency
      - source_labels: [__name__]
        regex: 'slurm_node_cpus_total'
        replacement: 'slurm_node_cpu_cores_total'
        target_label: __name__
      
      # Add environment label
      - target_label: environment
        replacement: 'production'
""")
_add(J, "config", "federation match[]: {job=~\"slurm-.*\"}", JK, oracle="federate",
     args={"match": "{job=~\"slurm-.*\"}"},
     slurm="no Slurm answer: /federate returns every series Prometheus holds for the slurm-* jobs "
     "(as many as scrape_samples_post_metric_relabeling says)")
_PROM = dict(path="/metrics", job="prometheus", counted=False)
_add(J, "prometheus", "rate(prometheus_tsdb_samples_appended_total[5m])", _PROM,
     cannot="no such metric in Prometheus 2.42 (it is prometheus_tsdb_head_samples_appended_total)",
     verify="missing_name")
_add(J, "prometheus", "histogram_quantile(0.95, rate(prometheus_http_request_duration_seconds_bucket[5m]))", _PROM,
     oracle="has_data", slurm="not about the exporter: returns data")
_add(J, "prometheus", "prometheus_tsdb_size_bytes / 1024 / 1024 / 1024  # GB", _PROM,
     cannot="no such metric in Prometheus 2.42 (the on-disk size is prometheus_tsdb_storage_blocks_bytes)",
     verify="missing_name")
_add(J, "prometheus", "increase(prometheus_tsdb_wal_corruptions_total[1h])", _PROM, oracle="has_data",
     slurm="not about the exporter: returns data")
_add(J, "prometheus", "topk(10,count by (__name__)({__name__=~\".%2B\"}))", _PROM, oracle="has_data",
     test_run="topk(10,count by (__name__)({__name__=~\".+\"}))",
     test_why="the guide's curl URL-encodes `+` as `%2B`; Prometheus decodes it",
     slurm="not about the exporter: returns data")

# ------------------------------------------------------------------------------ rivosinc README
RV = "rivosinc README"
RI = dict(path="/metrics", compat="rivosinc", job="slurm-prod-scraper")
RT = dict(RI, flags=("--trace.enabled",))
_PROC = "no Slurm answer: the exporter process's /proc/PID read before and after the scrape"
for _n, _o, _s in (
        ("process_cpu_seconds_total", "proc_cpu", "utime + stime, between the two reads"),
        ("process_max_fds", "proc_max_fds", "the soft `Max open files` of /proc/PID/limits"),
        ("process_open_fds", "proc_open_fds", "entries of /proc/PID/fd, within 5 of the two reads"),
        ("process_resident_memory_bytes", "proc_rss", "resident pages × page size, within 25 % of the reads"),
        ("process_start_time_seconds", "proc_start", "boot time + start ticks of /proc/PID/stat, within 1 s"),
        ("process_virtual_memory_bytes", "proc_vsize", "the virtual size of /proc/PID/stat, within 10 % of the reads"),
        ("process_virtual_memory_max_bytes", "proc_vmax", "the soft `Max address space` (unlimited: 2^64 − 1)")):
    _add(RV, "name", _n, RI, oracle=_o, slurm=f"{_PROC}: {_s}")
_add(RV, "name", "promhttp_metric_handler_requests_in_flight", RI, oracle="in_flight",
     slurm="no Slurm answer: at least 1 (the scrape itself), at most the clients that scrape /metrics")
_add(RV, "name", "promhttp_metric_handler_requests_total", RI, oracle="requests_total", key=("code",),
     slurm="no Slurm answer: code 200 at least 1 and at most the /metrics requests Prometheus and the test "
     "made; 500 and 503 are 0")
_add(RV, "name", "slurm_account_cpu_alloc", RI, oracle="jobs_sum", key=("account",),
     args={"who": "account", "what": "cpus"},
     slurm="NumCPUs of the account's jobs, every state of `squeue -a -r -t all` (a job that never started: its request)")
_add(RV, "name", "slurm_account_job_state_total", RI, oracle="jobs_count", key=("account", "state"),
     args={"who": "account"}, slurm="jobs per account and upper-case state (`squeue -a -r -t all`)")
_add(RV, "name", "slurm_account_mem_alloc", RI, oracle="jobs_sum", key=("account",),
     args={"who": "account", "what": "mem"}, slurm="tres-alloc `mem=` of the account's jobs (`squeue`), MB × 1e6")
_add(RV, "name", "slurm_cpu_load", RI, oracle="node_sum", args={"field": "cpu_load", "scale": 0.01}, tol=1e-6,
     slurm="sum of the nodes' CPULoad")
_add(RV, "name", "slurm_cpus_idle", RI, oracle="sinfo_cpus", args={"field": "idle"},
     slurm="the idle field of `sinfo -h -o %C`")
_add(RV, "name", "slurm_cpus_per_state", RI, oracle="cpus_per_state", key=("state",),
     slurm="all CPUs of the nodes in each derived node state")
_add(RV, "name", "slurm_cpus_total", RI, oracle="sinfo_cpus", args={"field": "total"},
     slurm="the total of `sinfo -h -o %C`")
_add(RV, "name", "slurm_job_scrape_duration", RI, oracle="self_duration", args={"dataset": "jobs"},
     slurm="no Slurm answer: the jobs dataset's fetch duration × 1000, same scrape")
_add(RV, "name", "slurm_job_scrape_error", RI, oracle="self_errors", args={"dataset": "jobs"},
     slurm="no Slurm answer: the jobs dataset's failed refreshes (`slurm_exporter_dataset_fetches_total`), same scrape")
_add(RV, "name", "slurm_mem_alloc", RI, oracle="node_sum", args={"field": "alloc_memory", "scale": 1e6},
     slurm="sum of AllocMem × 1e6")
_add(RV, "name", "slurm_mem_free", RI, oracle="node_sum", args={"field": "free_memory", "scale": 1e6},
     slurm="sum of FreeMem × 1e6")
_add(RV, "name", "slurm_mem_real", RI, oracle="node_sum", args={"field": "real_memory", "scale": 1e6},
     slurm="sum of RealMemory × 1e6")
_add(RV, "name", "slurm_node_scrape_duration", RI, oracle="self_duration", args={"dataset": "nodes"},
     slurm="no Slurm answer: the nodes dataset's fetch duration × 1000, same scrape")
_add(RV, "name", "slurm_node_scrape_error", RI, oracle="self_errors", args={"dataset": "nodes"},
     slurm="no Slurm answer: the nodes dataset's failed refreshes, same scrape")
_add(RV, "name", "slurm_partition_alloc_cpus", RI, oracle="partition_node_sum", key=("partition", "state"),
     args={"field": "alloc_cpus"}, slurm="CPUAlloc of the partition's nodes per derived node state")
_add(RV, "name", "slurm_partition_alloc_mem", RI, oracle="partition_node_sum", key=("partition", "state"),
     args={"field": "alloc_memory", "scale": 1e6}, slurm="AllocMem × 1e6 of the partition's nodes per derived state")
_add(RV, "name", "slurm_partition_cpu_load", RI, oracle="partition_node_sum", key=("partition",),
     args={"field": "cpu_load", "scale": 0.01}, tol=1e-6, slurm="CPULoad of the partition's nodes")
_add(RV, "name", "slurm_partition_idle_cpus", RI, oracle="sinfo_partition_cpus", key=("partition",),
     args={"field": "idle"}, slurm="the idle field of `sinfo -h -o '%R %C'`")
_add(RV, "name", "slurm_partition_job_state_total", RI, oracle="jobs_by_partition_state", key=("partition", "state"),
     args={"upper": True}, slurm="jobs per partition and upper-case state (a job listing several counts in each)")
_add(RV, "name", "slurm_partition_real_mem", RI, oracle="partition_node_sum", key=("partition",),
     args={"field": "real_memory", "scale": 1e6}, slurm="RealMemory × 1e6 of the partition's nodes")
_add(RV, "name", "slurm_partition_total_cpus", RI, oracle="sinfo_partition_cpus", key=("partition",),
     args={"field": "total"}, slurm="the total field of `sinfo -h -o '%R %C'`")
_add(RV, "name", "slurm_partition_weight", RI, oracle="partition_node_sum", key=("partition",),
     args={"field": "weight"}, slurm="the Weight of the partition's nodes, summed")
_add(RV, "name", "slurm_user_cpu_alloc", RI, oracle="jobs_sum", key=("username", "state"),
     args={"who": "user", "what": "cpus", "state": True},
     slurm="NumCPUs of the user's jobs (`squeue -a -r -t all`) per upper-case state")
_add(RV, "name", "slurm_user_mem_alloc", RI, oracle="jobs_sum", key=("username", "state"),
     args={"who": "user", "what": "mem", "state": True},
     slurm="tres-alloc `mem=` (MB × 1e6) of the user's jobs (`squeue`) per state")
_add(RV, "name", "slurm_user_state_total", RI, oracle="jobs_count", key=("username", "state"),
     args={"who": "user"}, slurm="jobs per user and upper-case state")
_add(RV, "name", "slurm_node_count_per_state", RI, oracle="nodes_per_state", key=("state",),
     slurm="nodes per derived node state")
_TR = "of the trace the test posts for a running job (`squeue -t R`), every round"
for _n, _f in (("slurm_proc_cpu_usage", "cpus"), ("slurm_proc_mem_usage", "mem"), ("slurm_proc_pid", "pid"),
               ("slurm_proc_read_bytes", "read_bytes"), ("slurm_proc_threadcount", "threads"),
               ("slurm_proc_write_bytes", "write_bytes")):
    _add(RV, "name", _n, RT, oracle="trace_posted", key=("jobid",), args={"field": _f},
         slurm=f"the posted `{_f}` {_TR}")
_add(RV, "name", "slurm_job_cpu_alloc", RT, oracle="trace_alloc", key=("jobid",), args={"what": "cpus"},
     slurm="CPUs of the traced running job (`squeue`)")
_add(RV, "name", "slurm_job_mem_alloc", RT, oracle="trace_alloc", key=("jobid",), args={"what": "mem"},
     slurm="memory of the traced running job, MB × 1e6 (`squeue`)")
_add(RV, "name", "slurm_job_count_per_state", RI, oracle="jobs_count", key=("state",), args={"who": None},
     slurm="jobs per upper-case state, each once (`squeue -a -r -t all`)")
_add(RV, "config", "job_name 'slurm-prod-scraper' (scrape_interval 30s, scrape_timeout 30s)", RI, oracle="target_up",
     slurm="the target is up (port 9341 instead of 9092)",
     yaml="""scrape_configs:
  - job_name: 'slurm-prod-scraper'
    scrape_interval: 30s # For the best experience, this should be at least 2x POLL_LIMIT
    scrape_timeout: 30s
    static_configs:
        - targets: ['path.to.exporter:9092']
""")


# ------------------------------------------------------------------------------ views

def by_doc():
    out = {d: [] for d, _ in DOCS}
    for it in ITEMS:
        out[it.doc].append(it)
    return out


def needs(it):
    """What the item needs here, in words."""
    if it.kind == "prometheus":
        return "Prometheus's own metrics (not the exporter)"
    flags = [f"--compat={it.compat}"] if it.compat else []
    flags += [f for f in it.flags]
    where = f"`{it.path}`"
    return (", ".join(f"`{f}`" for f in flags) + " on " if flags else "on ") + where


def markdown():
    """The tables of docs/switching.md: one per document."""
    out = []
    for doc, what in DOCS:
        items = by_doc()[doc]
        out.append(f"### {doc}\n")
        out.append(f"{what[0].upper()}{what[1:]}. {len([i for i in items if i.counted])} items"
                   + (f" (and {len([i for i in items if not i.counted])} about Prometheus itself, not counted)"
                      if any(not i.counted for i in items) else "") + ".\n")
        out.append("| item | status | needs | Slurm's answer / reason |")
        out.append("|---|---|---|---|")
        for it in items:
            text = it.label.replace("|", "\\|")
            if it.cannot:
                st = "cannot work"
                ans = it.cannot
            elif it.run:
                st = f"valid form: `{' '.join(it.run.split())}`" if it.kind != "config" else f"valid form: {it.run}"
                ans = f"{it.why}. {it.slurm}"
            else:
                st = "as written"
                ans = it.slurm or ""
            if it.test_run:
                ans += f" (the test runs `{' '.join(it.test_run.split())}`: {it.test_why})"
            if it.min_slurm:
                st += f"; Slurm ≥ {it.min_slurm}"
            if it.note:
                ans += f" ({it.note})"
            if not it.counted:
                st += " (not counted)"
            out.append(f"| `{text}` | {st.replace('|', chr(92) + '|')} | {needs(it)} | "
                       f"{ans.replace('|', chr(92) + '|')} |")
        out.append("")
    return "\n".join(out)


def counts():
    lines = []
    total = {}
    for doc, _ in DOCS:
        c = {}
        for it in by_doc()[doc]:
            if it.counted:
                c[it.status] = c.get(it.status, 0) + 1
                total[it.status] = total.get(it.status, 0) + 1
        lines.append(f"{doc}: {sum(c.values())} items: " + ", ".join(f"{v} {k}" for k, v in sorted(c.items())))
    lines.append(f"all: {sum(total.values())} items: " + ", ".join(f"{v} {k}" for k, v in sorted(total.items()))
                 + f"; {len([i for i in ITEMS if not i.counted])} about Prometheus itself, not counted")
    return "\n".join(lines)


BEGIN = "<!-- tables: tests/integration/documents/inventory.py --markdown -->"
END = "<!-- end of tables -->"


def main(argv):
    if len(argv) > 1 and argv[1] == "--markdown":
        print(markdown())
        return 0
    if len(argv) > 2 and argv[1] == "--update":
        with open(argv[2]) as f:
            text = f.read()
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        with open(argv[2], "w") as f:
            f.write(f"{head}{BEGIN}\n\n{markdown().strip()}\n\n{END}{tail}")
        return 0
    if len(argv) > 2 and argv[1] == "--check":
        with open(argv[2]) as f:
            text = f.read()
        if BEGIN not in text or END not in text:
            print(f"{argv[2]}: no {BEGIN} ... {END} section")
            return 1
        have = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
        if have != markdown().strip():
            print(f"{argv[2]}: the tables differ from the inventory; regenerate them with "
                  f"tests/integration/documents/inventory.py --markdown")
            return 1
        print(f"{argv[2]}: tables match the inventory ({len(ITEMS)} items)")
        return 0
    print(counts())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
