/* SPDX-License-Identifier: Apache-2.0 */
/* --compat=goldentooth: the metric names the goldentooth Ansible role
 * (setup_slurm_exporter) documents, its alerts and dashboard queries use
 * (slurm_jobs_pending > 50, slurm_nodes_down > 0, slurm_cpus_alloc /
 * slurm_cpus_total, slurm_nodes_up / (slurm_nodes_up + slurm_nodes_down)).
 * Every family is one unlabelled gauge for the cluster:
 *
 *  - jobs: every job once (array tasks singly), whatever partitions it
 *    lists, by its exact state: the same counts as our
 *    slurm_queue_jobs{state="pending"} and {state="running"};
 *  - nodes: every node once, by the sinfo-like state vpenso counted
 *    (compat_vpenso_node_bucket): alloc (all CPUs allocated), idle, down
 *    (base state DOWN whatever its flags: DOWN+DRAIN and down* too);
 *    slurm_nodes_up is every other node, so up + down is every node;
 *  - CPUs and memory: totals over every node; memory in Slurm's MB
 *    (RealMemory, AllocMem: MiB, 1048576 bytes).
 *
 * slurm_jobs_pending and slurm_nodes_down collide with our and vpenso's
 * names of other labels or meanings, so this collector is served on
 * <telemetry path>/goldentooth only (exposition.c). */
#include "collectors/collector.h"

#include <string.h>

static void goldentooth_jobs(const struct view *v, struct render *r)
{
    const struct jobs_model *m = view_jobs(v);
    if (!m)
        return;
    double pending = 0, running = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->jobs[i].state == JOB_PENDING)
            pending += 1;
        else if (m->jobs[i].state == JOB_RUNNING)
            running += 1;
    }
    render_gauge1(r, "slurm_jobs_pending",
                  "goldentooth compat: pending jobs in the queue, each counted once (array tasks "
                  "singly).",
                  pending);
    render_gauge1(r, "slurm_jobs_running",
                  "goldentooth compat: running jobs, each counted once (array tasks singly).",
                  running);
}

static void goldentooth_nodes(const struct view *v, struct render *r)
{
    const struct nodes_model *m = view_nodes(v);
    if (!m)
        return;
    double alloc = 0, idle = 0, down = 0, cpus_total = 0, cpus_alloc = 0;
    double mem_total = 0, mem_alloc = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct node *nd = &m->nodes[i];
        const char *b = compat_vpenso_node_bucket(nd);
        if (b && strcmp(b, "alloc") == 0)
            alloc += 1;
        else if (b && strcmp(b, "idle") == 0)
            idle += 1;
        else if (b && strcmp(b, "down") == 0)
            down += 1;
        cpus_total += nd->cpus_total;
        cpus_alloc += nd->cpus_alloc;
        mem_total += (double)nd->mem_total;
        mem_alloc += (double)nd->mem_alloc;
    }
    const double mib = 1048576.0;
    render_gauge1(r, "slurm_nodes_alloc",
                  "goldentooth compat: allocated nodes (sinfo state alloc; mixed nodes are not).",
                  alloc);
    render_gauge1(r, "slurm_nodes_idle", "goldentooth compat: idle nodes (sinfo state idle).",
                  idle);
    render_gauge1(
        r, "slurm_nodes_down",
        "goldentooth compat: down nodes (base state DOWN, whatever their flags, DOWN+DRAIN "
        "too).",
        down);
    render_gauge1(
        r, "slurm_nodes_up",
        "goldentooth compat: nodes that are not down (every node minus slurm_nodes_down).",
        (double)m->n - down);
    render_gauge1(r, "slurm_cpus_total", "goldentooth compat: CPUs of every node.", cpus_total);
    render_gauge1(r, "slurm_cpus_alloc", "goldentooth compat: allocated CPUs of every node.",
                  cpus_alloc);
    render_gauge1(r, "slurm_memory_total",
                  "goldentooth compat: memory of every node (RealMemory) in Slurm's MB (MiB).",
                  mem_total / mib);
    render_gauge1(
        r, "slurm_memory_alloc",
        "goldentooth compat: allocated memory of every node (AllocMem) in Slurm's MB (MiB).",
        mem_alloc / mib);
}

void collect_compat_goldentooth(const struct view *v, struct render *r, struct collect_out *o)
{
    (void)o;
    /* Only in the exposition of <telemetry path>/goldentooth, which sets the
     * bit (never in one with our own names: they collide). */
    if (!(v->compat & COMPAT_GOLDENTOOTH))
        return;
    goldentooth_jobs(v, r);
    goldentooth_nodes(v, r);
}
