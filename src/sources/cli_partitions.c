/* SPDX-License-Identifier: Apache-2.0 */
/* Parser for `scontrol -o --all show partitions`: one partition per line.
 * Slurm 26.05 prints Exclusive=NO|USER|NODE|TOPO instead of ExclusiveUser=
 * and ExclusiveTopo= (src/api/partition_info.c). */
#include "sources/cli.h"
#include "sources/kv.h"
#include "util/buf.h"

#include <ctype.h>
#include <string.h>

#define MAX_PAIRS 96

void cli_partitions_init(struct partitions_parser *p, struct partitions_model *m, struct arena *a)
{
    memset(p, 0, sizeof(*p));
    memset(m, 0, sizeof(*m));
    p->m = m;
    p->a = a;
    strtab_init(&m->strs, a);
}

static uint32_t lower_id(struct strtab *t, const struct kv *kv)
{
    if (!kv)
        return 0;
    char tmp[64];
    size_t n = kv->vlen < sizeof(tmp) ? kv->vlen : sizeof(tmp);
    for (size_t i = 0; i < n; i++)
        tmp[i] = (char)tolower((unsigned char)kv->val[i]);
    return strtab_intern(t, tmp, n);
}

static int64_t get_num(const struct kv *kv)
{
    uint64_t v;
    if (!kv || parse_u64(kv->val, kv->vlen, &v) < 0 || v > INT64_MAX)
        return -1; /* UNLIMITED, N/A */
    return (int64_t)v;
}

static int64_t get_dur(const struct kv *kv)
{
    int64_t v;
    if (!kv || parse_slurm_duration(kv->val, kv->vlen, &v) < 0)
        return -1;
    return v;
}

void cli_partitions_line(void *pv, const char *line, size_t len)
{
    struct partitions_parser *p = pv;
    struct partitions_model *m = p->m;
    p->st.lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return;
    if (len >= 14 && memcmp(line, "No partitions ", 14) == 0)
        return;
    struct kv kv[MAX_PAIRS];
    size_t n = kv_split(line, len, kv, MAX_PAIRS);
    const struct kv *name = kv_find(kv, n, "PartitionName");
    const struct kv *state = kv_find(kv, n, "State");
    if (!name || !name->vlen || !state) {
        parse_error(&p->st, "scontrol partitions: no PartitionName/State", line, len);
        return;
    }
    struct partition pt;
    memset(&pt, 0, sizeof(pt));
    pt.name =
        strtab_intern(&m->strs, name->val, name->vlen > MAX_LABEL_LEN ? MAX_LABEL_LEN : name->vlen);
    pt.state = lower_id(&m->strs, state);
    const struct kv *d = kv_find(kv, n, "Default"), *h = kv_find(kv, n, "Hidden");
    pt.is_default = d && d->vlen == 3 && memcmp(d->val, "YES", 3) == 0;
    pt.hidden = h && h->vlen == 3 && memcmp(h->val, "YES", 3) == 0;
    pt.max_time = get_dur(kv_find(kv, n, "MaxTime"));
    pt.default_time = get_dur(kv_find(kv, n, "DefaultTime"));
    pt.max_nodes = get_num(kv_find(kv, n, "MaxNodes"));
    pt.min_nodes = get_num(kv_find(kv, n, "MinNodes"));
    pt.priority_tier = get_num(kv_find(kv, n, "PriorityTier"));
    pt.priority_job_factor = get_num(kv_find(kv, n, "PriorityJobFactor"));
    int64_t v = get_num(kv_find(kv, n, "TotalCPUs"));
    pt.total_cpus = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
    v = get_num(kv_find(kv, n, "TotalNodes"));
    pt.total_nodes = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
    /* 26.05 prints a node-exclusive partition (slurm.conf OverSubscribe=
     * EXCLUSIVE) as "Exclusive=NODE ... OverSubscribe=NO" where earlier
     * versions printed "OverSubscribe=EXCLUSIVE" (and ExclusiveUser=/
     * ExclusiveTopo=, not read): the label keeps the earlier value. */
    const struct kv *ex = kv_find(kv, n, "Exclusive");
    if (ex && ex->vlen == 4 && memcmp(ex->val, "NODE", 4) == 0)
        pt.oversubscribe = strtab_intern(&m->strs, "exclusive", 9);
    else
        pt.oversubscribe = lower_id(&m->strs, kv_find(kv, n, "OverSubscribe"));
    pt.preempt_mode = lower_id(&m->strs, kv_find(kv, n, "PreemptMode"));
    const struct kv *q = kv_find(kv, n, "QoS");
    pt.qos =
        q ? strtab_intern(&m->strs, q->val, q->vlen > MAX_LABEL_LEN ? MAX_LABEL_LEN : q->vlen) : 0;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        struct partition *np = arena_alloc(p->a, m->cap * sizeof(*np));
        if (m->n)
            memcpy(np, m->parts, m->n * sizeof(*np));
        m->parts = np; /* old copy stays in the arena; partitions are few */
    }
    m->parts[m->n++] = pt;
}
