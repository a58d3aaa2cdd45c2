/* SPDX-License-Identifier: Apache-2.0 */
/* Parser for `squeue -h -a -r --states=all -O CLI_SQUEUE_FORMAT` with
 * SLURM_TIME_FORMAT=%s: one job (or array task) per line, '|' between
 * fields, Reason last because it is free text. */
#include "sources/cli.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

void cli_jobs_init(struct jobs_parser *p, struct jobs_model *m, struct arena *a)
{
    memset(p, 0, sizeof(*p));
    memset(m, 0, sizeof(*m));
    p->m = m;
    p->a = a;
    strtab_init(&m->strs, a);
}

void cli_jobs_reserve(struct jobs_parser *p, size_t n)
{
    struct jobs_model *m = p->m;
    if (n > m->cap) {
        m->jobs = arena_realloc(p->a, m->jobs, m->cap * sizeof(*m->jobs), n * sizeof(*m->jobs));
        m->cap = n;
    }
}

static uint32_t intern(struct jobs_model *m, const char *s, size_t n)
{
    return strtab_intern(&m->strs, s, n > MAX_LABEL_LEN ? MAX_LABEL_LEN : n);
}

static int64_t parse_time(const char *s, size_t n)
{
    uint64_t v;
    if (parse_u64(s, n, &v) < 0 || v > (uint64_t)INT64_MAX)
        return 0; /* N/A, Unknown, None */
    return (int64_t)v;
}

size_t cli_fold_reason(const char *s, size_t n, const char **out)
{
    static const char resources_desc[] = "Nodes required for job are DOWN, DRAINED";
    if (n == 0) {
        *out = "None";
        return 4;
    }
    if (n >= sizeof(resources_desc) - 1 &&
        memcmp(s, resources_desc, sizeof(resources_desc) - 1) == 0) {
        *out = "Resources";
        return 9;
    }
    size_t k = 0;
    while (k < n && s[k] != ',' && s[k] != ':' && s[k] != '(' && s[k] != ' ')
        k++;
    /* A code is one word, alone or followed by ", detail" / ":detail" /
     * "(detail)"; a word followed by more words is free text. */
    bool ok = k > 0 && k <= 64 && (k == n || s[k] != ' ');
    for (size_t i = 0; ok && i < k; i++) {
        char c = s[i];
        ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }
    if (!ok) {
        *out = "Other";
        return 5;
    }
    *out = s;
    return k;
}

int cli_parse_tres(const char *s, size_t n, uint32_t *cpus, uint64_t *mem, uint32_t *gpus)
{
    uint64_t gpu_untyped = 0, gpu_typed = 0;
    bool have_untyped = false;
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (eq) {
            size_t kl = (size_t)(eq - p);
            const char *v = eq + 1;
            size_t vl = (size_t)(e - v);
            uint64_t u;
            if (kl == 3 && memcmp(p, "cpu", 3) == 0) {
                if (parse_u64(v, vl, &u) < 0 || u > UINT32_MAX)
                    return -1;
                *cpus = (uint32_t)u;
            } else if (kl == 3 && memcmp(p, "mem", 3) == 0) {
                if (parse_slurm_mem(v, vl, mem) < 0)
                    return -1;
            } else if (kl == 8 && memcmp(p, "gres/gpu", 8) == 0) {
                if (parse_u64(v, vl, &gpu_untyped) < 0)
                    return -1;
                have_untyped = true;
            } else if (kl > 9 && memcmp(p, "gres/gpu:", 9) == 0) {
                if (parse_u64(v, vl, &u) < 0)
                    return -1;
                gpu_typed += u;
            }
        }
        p = e + 1;
    }
    uint64_t g = have_untyped ? gpu_untyped : gpu_typed;
    *gpus = g > UINT32_MAX ? UINT32_MAX : (uint32_t)g;
    return 0;
}

uint64_t cli_request_gpus(const char *s, size_t n)
{
    uint64_t total = 0;
    const char *p = s, *end = s + n;
    if (n == 3 && memcmp(s, "N/A", 3) == 0)
        return 0;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end;
        const char *q = p;
        if ((size_t)(e - q) > 5 && (memcmp(q, "gres:", 5) == 0 || memcmp(q, "gres/", 5) == 0))
            q += 5;
        if ((size_t)(e - q) >= 3 && memcmp(q, "gpu", 3) == 0 &&
            (q + 3 == e || q[3] == ':' || q[3] == '=')) {
            const char *num = e;
            while (num > q && num[-1] >= '0' && num[-1] <= '9')
                num--;
            uint64_t v = 1;
            if (num < e && (num[-1] == ':' || num[-1] == '=') && num - 1 > q + 2)
                parse_u64(num, (size_t)(e - num), &v);
            total += v;
        }
        p = e + 1;
    }
    return total;
}

void cli_jobs_line(void *pv, const char *line, size_t len)
{
    struct jobs_parser *p = pv;
    struct jobs_model *m = p->m;
    p->st.lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return;
    const char *f[SQ_FIELD_COUNT];
    size_t fl[SQ_FIELD_COUNT];
    const char *s = line, *end = line + len;
    for (int i = 0; i < SQ_FIELD_COUNT - 1; i++) {
        const char *bar = memchr(s, '|', (size_t)(end - s));
        if (!bar) {
            parse_error(&p->st, "squeue: too few fields", line, len);
            return;
        }
        f[i] = s;
        fl[i] = (size_t)(bar - s);
        s = bar + 1;
    }
    f[SQ_FIELD_COUNT - 1] = s;
    fl[SQ_FIELD_COUNT - 1] = (size_t)(end - s);

    struct job j;
    memset(&j, 0, sizeof(j));
    uint64_t u;
    if (parse_u64(f[SQ_JOB_ID], fl[SQ_JOB_ID], &u) < 0 || u > UINT32_MAX) {
        parse_error(&p->st, "squeue: bad JobID", line, len);
        return;
    }
    j.job_id = (uint32_t)u;
    j.key = u;
    const char *us = memchr(f[SQ_JOB_ARRAY_ID], '_', fl[SQ_JOB_ARRAY_ID]);
    if (us) {
        uint64_t aj, task;
        size_t al = (size_t)(us - f[SQ_JOB_ARRAY_ID]);
        if (parse_u64(f[SQ_JOB_ARRAY_ID], al, &aj) == 0 &&
            parse_u64(us + 1, fl[SQ_JOB_ARRAY_ID] - al - 1, &task) == 0 && task < (1u << 24) &&
            aj <= UINT32_MAX) {
            j.key = (1ULL << 63) | (aj << 24) | task;
            j.is_array_task = 1;
        } else {
            /* An unexpanded array record ("10_[2-9%2]"): -r should prevent it. */
            parse_error(&p->st, "squeue: unexpanded array record", line, len);
            return;
        }
    }
    size_t sl = fl[SQ_STATE];
    const char *sp = memchr(f[SQ_STATE], ' ', sl); /* "CANCELLED by 0" on some versions */
    if (sp)
        sl = (size_t)(sp - f[SQ_STATE]);
    int st = job_state_parse(f[SQ_STATE], sl);
    if (st < 0) {
        parse_error(&p->st, "squeue: unknown job state", line, len);
        st = JOB_UNKNOWN;
    }
    j.state = (uint8_t)st;
    j.partition = intern(m, f[SQ_PARTITION], fl[SQ_PARTITION]);
    j.user = intern(m, f[SQ_USER_NAME], fl[SQ_USER_NAME]);
    j.account = intern(m, f[SQ_ACCOUNT], fl[SQ_ACCOUNT]);
    j.qos = intern(m, f[SQ_QOS], fl[SQ_QOS]);
    if (parse_u64(f[SQ_NUM_CPUS], fl[SQ_NUM_CPUS], &u) < 0 || u > UINT32_MAX) {
        parse_error(&p->st, "squeue: bad NumCPUs", line, len);
        return;
    }
    j.cpus = (uint32_t)u;
    if (parse_u64(f[SQ_NUM_NODES], fl[SQ_NUM_NODES], &u) == 0 && u <= UINT32_MAX)
        j.nodes = (uint32_t)u;
    uint32_t tres_cpus = 0;
    if (fl[SQ_TRES_ALLOC] && !(fl[SQ_TRES_ALLOC] == 3 && memcmp(f[SQ_TRES_ALLOC], "N/A", 3) == 0) &&
        cli_parse_tres(f[SQ_TRES_ALLOC], fl[SQ_TRES_ALLOC], &tres_cpus, &j.mem_bytes, &j.gpus) <
            0) {
        parse_error(&p->st, "squeue: bad tres-alloc", line, len);
        return;
    }
    if (tres_cpus && (j.state != JOB_PENDING))
        j.cpus = tres_cpus; /* allocated CPUs win over the request once known */
    j.submit = parse_time(f[SQ_SUBMIT_TIME], fl[SQ_SUBMIT_TIME]);
    j.start = parse_time(f[SQ_START_TIME], fl[SQ_START_TIME]);
    j.eligible = parse_time(f[SQ_ELIGIBLE_TIME], fl[SQ_ELIGIBLE_TIME]);
    if (j.gpus == 0) {
        /* No gres/gpu in the TRES (accounting does not track GPUs): use the
         * request, per node x nodes + per job + per task x tasks. */
        uint64_t tasks = 0;
        parse_u64(f[SQ_NUM_TASKS], fl[SQ_NUM_TASKS], &tasks);
        uint64_t g =
            cli_request_gpus(f[SQ_TRES_PER_NODE], fl[SQ_TRES_PER_NODE]) * (j.nodes ? j.nodes : 1) +
            cli_request_gpus(f[SQ_TRES_PER_JOB], fl[SQ_TRES_PER_JOB]) +
            cli_request_gpus(f[SQ_TRES_PER_TASK], fl[SQ_TRES_PER_TASK]) * tasks;
        j.gpus = g > UINT32_MAX ? UINT32_MAX : (uint32_t)g;
    }
    const char *r;
    size_t rl = cli_fold_reason(f[SQ_REASON], fl[SQ_REASON], &r);
    j.reason = intern(m, r, rl);

    if (m->n == m->cap) {
        size_t nc = m->cap < 1024 ? 1024 : m->cap + m->cap / 2; /* 1 + 1 / 2 is 1 */
        m->jobs = arena_realloc(p->a, m->jobs, m->cap * sizeof(*m->jobs), nc * sizeof(*m->jobs));
        m->cap = nc;
    }
    m->jobs[m->n++] = j;
}

void cli_jobs_finish(struct jobs_parser *p)
{
    struct jobs_model *m = p->m;
    /* Split every distinct partition string once ("a,b" -> [a, b]). */
    uint32_t n0 = m->strs.count;
    struct id_list *tmp = xcalloc(n0, sizeof(*tmp));
    for (size_t i = 0; i < m->n; i++) {
        uint32_t pid = m->jobs[i].partition;
        if (!tmp[pid].ids) {
            const char *s = strtab_get(&m->strs, pid);
            split_list(&m->strs, p->a, s, strlen(s), &tmp[pid]);
        }
    }
    m->part_lists_n = m->strs.count;
    m->part_lists = arena_alloc(p->a, m->part_lists_n * sizeof(struct id_list));
    memset(m->part_lists, 0, m->part_lists_n * sizeof(struct id_list));
    memcpy(m->part_lists, tmp, n0 * sizeof(struct id_list));
    free(tmp);
}
