/* SPDX-License-Identifier: Apache-2.0 */
/* Parser for `sacct --allusers --noheader --parsable2 --noconvert
 * --state=CLI_SACCT_STATES --format=CLI_SACCT_FORMAT -S uts.. -E uts..` with
 * SLURM_TIME_FORMAT=%s: one line per allocation ("1234"), each followed by
 * its steps ("1234.batch", "1234.extern", "1234.0"), '|' between fields.
 * With --accounting.users the format is CLI_SACCT_FORMAT_USERS: the same
 * fields and User last. */
#include "sources/kv.h"
#include "sources/sacct.h"
#include "util/buf.h"

#include <math.h>
#include <string.h>

void cli_sacct_init(struct sacct_parser *p, struct acct_model *m, struct arena *a, bool users)
{
    memset(p, 0, sizeof(*p));
    memset(m, 0, sizeof(*m));
    p->m = m;
    p->a = a;
    p->users = users;
    m->users = users;
    strtab_init(&m->strs, a);
}

static int64_t parse_time(const char *s, size_t n)
{
    uint64_t v;
    if (parse_u64(s, n, &v) < 0 || v > (uint64_t)INT64_MAX)
        return 0; /* Unknown, None */
    return (int64_t)v;
}

/* The state's first word ("CANCELLED by 0" -> CANCELLED); -1 when it is not
 * a final state. */
static int parse_state(const char *s, size_t n)
{
    static const char *const upper[ACCT_STATE_COUNT] = {
#define X(e, str) #e,
        ACCT_STATES(X)
#undef X
    };
    const char *sp = memchr(s, ' ', n);
    if (sp)
        n = (size_t)(sp - s);
    for (int i = 0; i < ACCT_STATE_COUNT; i++)
        if (strlen(upper[i]) == n && memcmp(upper[i], s, n) == 0)
            return i;
    return -1;
}

int cli_sacct_cputime(const char *s, size_t n, double *secs)
{
    uint64_t days = 0;
    const char *dash = memchr(s, '-', n);
    if (dash) {
        if (parse_u64(s, (size_t)(dash - s), &days) < 0 || days > 1000000)
            return -1;
        n -= (size_t)(dash + 1 - s);
        s = dash + 1;
    }
    /* up to three ':'-separated parts; only the last may have a fraction */
    double part[3];
    int np = 0;
    const char *p = s, *end = s + n;
    for (;;) {
        const char *c = memchr(p, ':', (size_t)(end - p));
        const char *e = c ? c : end;
        if (e == p || np == 3)
            return -1;
        if (c) {
            uint64_t u;
            if (parse_u64(p, (size_t)(e - p), &u) < 0 || u > 1000000)
                return -1;
            part[np++] = (double)u;
            p = c + 1;
            continue;
        }
        double v;
        if (parse_double(p, (size_t)(e - p), &v) < 0 || !(v >= 0) || v >= 61)
            return -1;
        part[np++] = v;
        break;
    }
    if (np < 2 || (dash && np != 3))
        return -1;
    double v = (double)days * 86400.0;
    if (np == 3)
        v += part[0] * 3600 + part[1] * 60 + part[2];
    else
        v += part[0] * 60 + part[1];
    *secs = v;
    return 0;
}

/* MaxRSS: bytes with --noconvert; a K/M/G suffix is read too. */
static int parse_rss(const char *s, size_t n, uint64_t *bytes)
{
    if (n && s[n - 1] >= '0' && s[n - 1] <= '9')
        return parse_u64(s, n, bytes);
    return parse_slurm_mem(s, n, bytes);
}

static uint32_t intern(struct acct_model *m, const char *s, size_t n)
{
    return strtab_intern(&m->strs, s, n > MAX_LABEL_LEN ? MAX_LABEL_LEN : n);
}

/* A step line: its peak memory (MaxRSS x NTasks) raises the job's. */
static int step_line(struct sacct_parser *p, const char *f[], const size_t fl[], size_t idlen)
{
    struct acct_model *m = p->m;
    uint64_t id;
    if (parse_u64(f[SA_JOB_ID_RAW], idlen, &id) < 0 || id > UINT32_MAX)
        return -1;
    if (!p->in_job || m->jobs[m->n - 1].job_id != id)
        return 0; /* a step of a job not listed: nothing to add it to */
    if (fl[SA_MAX_RSS] == 0)
        return 0; /* no memory sample */
    uint64_t rss, tasks = 1;
    if (parse_rss(f[SA_MAX_RSS], fl[SA_MAX_RSS], &rss) < 0)
        return -1;
    if (fl[SA_NTASKS] &&
        (parse_u64(f[SA_NTASKS], fl[SA_NTASKS], &tasks) < 0 || tasks == 0 || tasks > 10000000))
        return -1;
    double used = (double)rss * (double)tasks;
    struct acct_job *j = &m->jobs[m->n - 1];
    if (used > j->mem_used)
        j->mem_used = used;
    return 0;
}

void cli_sacct_line(void *pv, const char *line, size_t len)
{
    struct sacct_parser *p = pv;
    struct acct_model *m = p->m;
    p->st.lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return;
    const char *f[SA_FIELD_COUNT_USERS];
    size_t fl[SA_FIELD_COUNT_USERS];
    size_t want = p->users ? (size_t)SA_FIELD_COUNT_USERS : (size_t)SA_FIELD_COUNT;
    size_t nf = split_fields(line, len, '|', f, fl, want);
    if (nf > want) {
        parse_error(&p->st, "too many fields", line, len);
        return;
    }
    if (nf != want) {
        parse_error(&p->st, "wrong number of fields", line, len);
        return;
    }
    const char *dot = memchr(f[SA_JOB_ID_RAW], '.', fl[SA_JOB_ID_RAW]);
    if (dot) {
        if (step_line(p, f, fl, (size_t)(dot - f[SA_JOB_ID_RAW])) < 0) {
            parse_error(&p->st, "bad step line", line, len);
            return;
        }
        return;
    }
    p->in_job = false;
    struct acct_job j;
    memset(&j, 0, sizeof(j));
    uint64_t id;
    if (parse_u64(f[SA_JOB_ID_RAW], fl[SA_JOB_ID_RAW], &id) < 0 || id == 0 || id > UINT32_MAX) {
        parse_error(&p->st, "bad JobIDRaw", line, len);
        return;
    }
    j.job_id = (uint32_t)id;
    int st = parse_state(f[SA_STATE], fl[SA_STATE]);
    if (st < 0) {
        /* sacct selected it by a final state; a record in another known
         * state (RUNNING, REQUEUED, ...) is not counted. */
        const char *sp = memchr(f[SA_STATE], ' ', fl[SA_STATE]);
        if (job_state_parse(f[SA_STATE], sp ? (size_t)(sp - f[SA_STATE]) : fl[SA_STATE]) < 0) {
            parse_error(&p->st, "unknown job state", line, len);
            return;
        }
        return;
    }
    j.state = (uint8_t)st;
    j.end = parse_time(f[SA_END], fl[SA_END]);
    if (j.end <= 0) {
        parse_error(&p->st, "finished job without an end time", line, len);
        return;
    }
    j.submit = parse_time(f[SA_SUBMIT], fl[SA_SUBMIT]);
    j.eligible = parse_time(f[SA_ELIGIBLE], fl[SA_ELIGIBLE]);
    j.start = parse_time(f[SA_START], fl[SA_START]);
    uint64_t el = 0;
    if (fl[SA_ELAPSED_RAW] && (parse_u64(f[SA_ELAPSED_RAW], fl[SA_ELAPSED_RAW], &el) < 0 ||
                               el > (uint64_t)INT32_MAX * 16)) {
        parse_error(&p->st, "bad ElapsedRaw", line, len);
        return;
    }
    j.elapsed = (int64_t)el;
    uint32_t gpus;
    if (cli_parse_tres(f[SA_ALLOC_TRES], fl[SA_ALLOC_TRES], &j.cpus, &j.mem_alloc, &gpus) < 0) {
        parse_error(&p->st, "bad AllocTRES", line, len);
        return;
    }
    if (fl[SA_TOTAL_CPU] && cli_sacct_cputime(f[SA_TOTAL_CPU], fl[SA_TOTAL_CPU], &j.cpu_used) < 0) {
        parse_error(&p->st, "bad TotalCPU", line, len);
        return;
    }
    if (fl[SA_PARTITION] == 0) {
        /* slurmdbd made this record from the completion message alone; the
         * start message completes it soon after. A later (overlapping)
         * window reads it again. */
        m->incomplete++;
        return;
    }
    j.mem_used = -1;
    j.ran = j.cpus > 0 && j.start > 0 && j.start <= j.end;
    j.partition = intern(m, f[SA_PARTITION], fl[SA_PARTITION]);
    j.account = intern(m, f[SA_ACCOUNT], fl[SA_ACCOUNT]);
    j.user = p->users ? intern(m, f[SA_USER], fl[SA_USER]) : ACCT_NO_USER;
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        m->jobs = arena_realloc(p->a, m->jobs, m->cap * sizeof(*m->jobs), nc * sizeof(*m->jobs));
        m->cap = nc;
    }
    m->jobs[m->n++] = j;
    p->in_job = true;
}
