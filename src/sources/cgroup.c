/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup source (see cgroup.h for the layout): a command-less dataset
 * whose read hook walks Slurm's cgroup hierarchy on a compute node. Files
 * are small and read whole (capped); directories and files that vanish
 * while walking are normal (jobs end) and skipped. */
#include "sources/cgroup.h"
#include "model.h"
#include "sources/source.h"
#include "util/buf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- pure parsers ---------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int cgroup_parse_keyed(const char *buf, size_t len, const char *key, uint64_t *out)
{
    size_t kl = strlen(key);
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && buf[e] != '\n')
            e++;
        /* line buf[i..e): "key value" */
        if (e - i > kl && memcmp(buf + i, key, kl) == 0 && buf[i + kl] == ' ') {
            size_t v = i + kl;
            while (v < e && is_space(buf[v]))
                v++;
            size_t ve = e;
            while (ve > v && is_space(buf[ve - 1]))
                ve--;
            return parse_u64(buf + v, ve - v, out);
        }
        i = e + 1;
    }
    return -1;
}

int cgroup_parse_io_stat(const char *buf, size_t len, uint64_t *rbytes, uint64_t *wbytes)
{
    uint64_t r = 0, w = 0;
    int devices = 0;
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && buf[e] != '\n')
            e++;
        size_t t = i;
        bool first = true, dev_ok = false;
        while (t < e) {
            while (t < e && is_space(buf[t]))
                t++;
            size_t te = t;
            while (te < e && !is_space(buf[te]))
                te++;
            if (te == t)
                break;
            if (first) {
                /* MAJ:MIN */
                const char *c = memchr(buf + t, ':', te - t);
                uint64_t x;
                if (!c || parse_u64(buf + t, (size_t)(c - (buf + t)), &x) < 0 ||
                    parse_u64(c + 1, (size_t)(buf + te - c - 1), &x) < 0)
                    return -1;
                dev_ok = true;
                first = false;
            } else {
                const char *eq = memchr(buf + t, '=', te - t);
                uint64_t x;
                if (!eq || parse_u64(eq + 1, (size_t)(buf + te - eq - 1), &x) < 0)
                    return -1;
                size_t kl = (size_t)(eq - (buf + t));
                if (kl == 6 && memcmp(buf + t, "rbytes", 6) == 0)
                    r = r + x < r ? UINT64_MAX : r + x;
                else if (kl == 6 && memcmp(buf + t, "wbytes", 6) == 0)
                    w = w + x < w ? UINT64_MAX : w + x;
            }
            t = te;
        }
        if (dev_ok)
            devices++;
        i = e + 1;
    }
    *rbytes = r;
    *wbytes = w;
    return devices;
}

int cgroup_parse_single(const char *buf, size_t len, uint64_t *out)
{
    size_t s = 0, e = len;
    while (s < e && is_space(buf[s]))
        s++;
    while (e > s && is_space(buf[e - 1]))
        e--;
    if (e - s == 3 && memcmp(buf + s, "max", 3) == 0) {
        *out = UINT64_MAX;
        return 1;
    }
    return parse_u64(buf + s, e - s, out);
}

bool cgroup_job_dir(const char *name, uint32_t *id)
{
    if (strncmp(name, "job_", 4) != 0)
        return false;
    uint64_t v;
    if (parse_u64(name + 4, strlen(name + 4), &v) < 0 || v == 0 || v > UINT32_MAX)
        return false;
    *id = (uint32_t)v;
    return true;
}

/* ---- the walk -------------------------------------------------------------- */

struct scan {
    struct cgroup_parser *p;
    struct cgroup_job *raw; /* one entry per job directory read (v1: per controller) */
    size_t n, cap;
    char *buf; /* CGROUP_MAX_FILE + 1 */
};

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

/* Reads dfd/name into s->buf. 0 and *len, or -errno. */
static int read_at(struct scan *s, int dfd, const char *name, size_t *len)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    size_t n = 0;
    while (n < CGROUP_MAX_FILE) {
        ssize_t r = read(fd, s->buf + n, CGROUP_MAX_FILE - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return -e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    s->buf[n] = '\0';
    *len = n;
    return 0;
}

/* Counts one file read, and an error when it was there but not understood. */
static void file_done(struct scan *s, const char *name, bool ok)
{
    s->p->st.lines++;
    if (!ok)
        parse_error(&s->p->st, "unreadable cgroup file", name, strlen(name));
}

/* A single-number file: 0 (number), 1 ("max"), -1 (absent or garbage). */
static int read_single(struct scan *s, int dfd, const char *name, uint64_t *v)
{
    size_t len = 0;
    if (read_at(s, dfd, name, &len) < 0)
        return -1; /* absent (controller not enabled) or the job ended */
    int rc = cgroup_parse_single(s->buf, len, v);
    file_done(s, name, rc >= 0);
    return rc;
}

static int read_keyed(struct scan *s, int dfd, const char *name, const char *key, uint64_t *v)
{
    size_t len = 0;
    if (read_at(s, dfd, name, &len) < 0)
        return -1;
    int rc = cgroup_parse_keyed(s->buf, len, key, v);
    file_done(s, name, rc == 0);
    return rc;
}

static struct cgroup_job *new_entry(struct scan *s, uint32_t id, uint8_t version)
{
    if (s->n >= (size_t)CGROUP_MAX_JOBS * 3)
        return NULL;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->raw = xrealloc(s->raw, s->cap * sizeof(*s->raw));
    }
    struct cgroup_job *j = &s->raw[s->n++];
    memset(j, 0, sizeof(*j));
    j->job_id = id;
    j->version = version;
    return j;
}

/* Opens dfd/name as a directory; NULL (and the errno) when it is gone. */
static DIR *open_dir_at(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (!d)
        close(fd);
    return d;
}

/* Might this entry be a directory? (cgroupfs fills d_type; symlinks are
 * followed by openat, and a failed open just skips the entry.) */
static bool maybe_dir(const struct dirent *e)
{
    return e->d_type == DT_DIR || e->d_type == DT_UNKNOWN || e->d_type == DT_LNK;
}

static void v2_job(struct scan *s, int jfd, uint32_t id)
{
    struct cgroup_job *j = new_entry(s, id, 2);
    if (!j) {
        s->p->m->dropped++;
        return;
    }
    uint64_t v;
    if (read_keyed(s, jfd, "cpu.stat", "usage_usec", &v) == 0) {
        j->cpu_seconds = (double)v / 1e6;
        j->known |= CGJ_CPU;
    }
    if (read_single(s, jfd, "memory.current", &v) == 0) {
        j->mem_bytes = v;
        j->known |= CGJ_MEM;
    }
    if (read_single(s, jfd, "memory.peak", &v) == 0) {
        j->mem_peak = v;
        j->known |= CGJ_PEAK;
    }
    if (read_single(s, jfd, "memory.max", &v) >= 0) {
        j->mem_limit = v; /* "max" (1): no limit, no series */
        j->known |= CGJ_LIMIT;
    }
    size_t len = 0;
    if (read_at(s, jfd, "io.stat", &len) == 0) {
        uint64_t r, w;
        int rc = cgroup_parse_io_stat(s->buf, len, &r, &w);
        file_done(s, "io.stat", rc >= 0);
        if (rc >= 0) {
            j->io_read = r;
            j->io_write = w;
            j->known |= CGJ_IO;
        }
    }
    if (read_single(s, jfd, "pids.current", &v) == 0) {
        j->tasks = v;
        j->known |= CGJ_TASKS;
    }
    if (!j->known)
        s->n--; /* every file gone: the job ended while we looked */
}

/* Iterates the job_<id> directories of dir dfd, calling fn on each. */
static void each_job(struct scan *s, int dfd, void (*fn)(struct scan *, int, uint32_t))
{
    DIR *d = open_dir_at(dfd, ".");
    if (!d)
        return;
    struct dirent *e;
    size_t seen = 0;
    while ((e = readdir(d)) != NULL && seen++ < CGROUP_MAX_DIR_ENTRIES) {
        uint32_t id;
        if (!maybe_dir(e) || !cgroup_job_dir(e->d_name, &id))
            continue;
        int jfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (jfd < 0)
            continue; /* ENOENT: the job ended */
        fn(s, jfd, id);
        close(jfd);
    }
    closedir(d);
}

static bool is_stepd_scope(const char *name)
{
    return strcmp(name, "slurmstepd.scope") == 0 || ends_with(name, "_slurmstepd.scope");
}

/* cgroup v2: ROOT/<slice>/[<node>_]slurmstepd.scope/job_<id>; or ROOT
 * itself a scope (--cgroup.root pointing at it). */
static void walk_v2(struct scan *s, int rootfd, const char *root)
{
    const char *base = strrchr(root, '/');
    base = base ? base + 1 : root;
    if (is_stepd_scope(base)) {
        s->p->m->scopes_v2++;
        each_job(s, rootfd, v2_job);
        return;
    }
    DIR *d = open_dir_at(rootfd, ".");
    if (!d)
        return;
    struct dirent *e;
    size_t seen = 0;
    while ((e = readdir(d)) != NULL && seen++ < CGROUP_MAX_DIR_ENTRIES) {
        if (!maybe_dir(e) || !ends_with(e->d_name, ".slice"))
            continue;
        DIR *sd = open_dir_at(dirfd(d), e->d_name);
        if (!sd)
            continue;
        struct dirent *f;
        size_t seen2 = 0;
        while ((f = readdir(sd)) != NULL && seen2++ < CGROUP_MAX_DIR_ENTRIES) {
            if (!maybe_dir(f) || !is_stepd_scope(f->d_name))
                continue;
            if (s->p->m->scopes_v2 >= CGROUP_MAX_SCOPES)
                break;
            int fd = openat(dirfd(sd), f->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0)
                continue;
            s->p->m->scopes_v2++;
            each_job(s, fd, v2_job);
            close(fd);
        }
        closedir(sd);
    }
    closedir(d);
}

static void v1_mem_job(struct scan *s, int jfd, uint32_t id)
{
    struct cgroup_job *j = new_entry(s, id, 1);
    if (!j) {
        s->p->m->dropped++;
        return;
    }
    uint64_t v;
    if (read_single(s, jfd, "memory.usage_in_bytes", &v) == 0) {
        j->mem_bytes = v;
        j->known |= CGJ_MEM;
    }
    if (read_single(s, jfd, "memory.max_usage_in_bytes", &v) == 0) {
        j->mem_peak = v;
        j->known |= CGJ_PEAK;
    }
    if (read_single(s, jfd, "memory.limit_in_bytes", &v) == 0) {
        /* v1 writes "no limit" as the page-rounded maximum */
        j->mem_limit = v >= (1ull << 62) ? UINT64_MAX : v;
        j->known |= CGJ_LIMIT;
    }
    if (!j->known)
        s->n--;
}

static void v1_cpu_job(struct scan *s, int jfd, uint32_t id)
{
    struct cgroup_job *j = new_entry(s, id, 1);
    if (!j) {
        s->p->m->dropped++;
        return;
    }
    uint64_t v;
    if (read_single(s, jfd, "cpuacct.usage", &v) == 0) {
        j->cpu_seconds = (double)v / 1e9; /* nanoseconds */
        j->known |= CGJ_CPU;
    }
    if (!j->known)
        s->n--;
}

/* cgroup v1: ROOT/<controller>/slurm[_<node>]/uid_<uid>/job_<id>. Returns
 * the number of slurm directories found. */
static uint32_t walk_v1_ctl(struct scan *s, int rootfd, const char *ctl,
                            void (*fn)(struct scan *, int, uint32_t))
{
    uint32_t found = 0;
    DIR *d = open_dir_at(rootfd, ctl);
    if (!d)
        return 0;
    struct dirent *e;
    size_t seen = 0;
    while ((e = readdir(d)) != NULL && seen++ < CGROUP_MAX_DIR_ENTRIES) {
        if (!maybe_dir(e) ||
            !(strcmp(e->d_name, "slurm") == 0 || strncmp(e->d_name, "slurm_", 6) == 0))
            continue;
        if (found >= CGROUP_MAX_SCOPES)
            break;
        DIR *sd = open_dir_at(dirfd(d), e->d_name);
        if (!sd)
            continue;
        found++;
        struct dirent *u;
        size_t seen2 = 0;
        while ((u = readdir(sd)) != NULL && seen2++ < CGROUP_MAX_DIR_ENTRIES) {
            if (!maybe_dir(u) || strncmp(u->d_name, "uid_", 4) != 0)
                continue;
            int ufd = openat(dirfd(sd), u->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (ufd < 0)
                continue;
            each_job(s, ufd, fn);
            close(ufd);
        }
        closedir(sd);
    }
    closedir(d);
    return found;
}

static int cmp_job(const void *a, const void *b)
{
    const struct cgroup_job *x = a, *y = b;
    return x->job_id < y->job_id ? -1 : x->job_id > y->job_id;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

/* Folds b into a (same job: several v2 scopes, or v1's controllers). */
static void merge(struct cgroup_job *a, const struct cgroup_job *b)
{
    if (b->known & CGJ_CPU)
        a->cpu_seconds += b->cpu_seconds;
    if (b->known & CGJ_MEM)
        a->mem_bytes = sat_add(a->mem_bytes, b->mem_bytes);
    if (b->known & CGJ_PEAK)
        a->mem_peak = sat_add(a->mem_peak, b->mem_peak);
    if (b->known & CGJ_LIMIT)
        a->mem_limit = (a->known & CGJ_LIMIT) ? sat_add(a->mem_limit, b->mem_limit) : b->mem_limit;
    if (b->known & CGJ_IO) {
        a->io_read = sat_add(a->io_read, b->io_read);
        a->io_write = sat_add(a->io_write, b->io_write);
    }
    if (b->known & CGJ_TASKS)
        a->tasks = sat_add(a->tasks, b->tasks);
    a->known |= b->known;
    if (b->version > a->version)
        a->version = b->version;
}

int cgroup_scan(struct cgroup_parser *p, const char *root)
{
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return -errno;
    struct scan s = {.p = p, .buf = xmalloc(CGROUP_MAX_FILE + 1)};
    walk_v2(&s, rootfd, root);
    uint32_t mem = walk_v1_ctl(&s, rootfd, "memory", v1_mem_job);
    uint32_t cpu = walk_v1_ctl(&s, rootfd, "cpuacct", v1_cpu_job);
    p->m->scopes_v1 = mem > cpu ? mem : cpu;
    close(rootfd);
    free(s.buf);

    if (s.n)
        qsort(s.raw, s.n, sizeof(*s.raw), cmp_job);
    size_t out = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (out && s.raw[out - 1].job_id == s.raw[i].job_id)
            merge(&s.raw[out - 1], &s.raw[i]);
        else
            s.raw[out++] = s.raw[i];
    }
    if (out > CGROUP_MAX_JOBS) {
        p->m->dropped += out - CGROUP_MAX_JOBS;
        out = CGROUP_MAX_JOBS;
    }
    p->m->jobs = arena_alloc(p->a, (out + 1) * sizeof(struct cgroup_job));
    if (out)
        memcpy(p->m->jobs, s.raw, out * sizeof(struct cgroup_job));
    p->m->n = out;
    free(s.raw);
    return 0;
}

/* ---- the source ------------------------------------------------------------ */

static void cg_init(void *pp, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    (void)ctx;
    (void)hint;
    struct cgroup_parser *p = pp;
    p->a = &r->arena;
    p->m = r->u.cgroup;
    memset(p->m, 0, sizeof(*p->m));
}

static int cg_read(void *pp, const struct source_ctx *ctx, char *err, size_t errlen)
{
    const char *root = ctx->cfg && ctx->cfg->cgroup_root && ctx->cfg->cgroup_root[0]
                           ? ctx->cfg->cgroup_root
                           : CGROUP_DEFAULT_ROOT;
    int rc = cgroup_scan(pp, root);
    if (rc < 0)
        snprintf(err, errlen, "cannot open %s (--cgroup.root): %s", root, strerror(-rc));
    return rc;
}

/* Fixture text (tests, golden) is not how this source reads: lines are ignored. */
static void cg_line(void *pp, const char *line, size_t len)
{
    (void)pp;
    (void)line;
    (void)len;
}

static size_t cg_count(const struct dataset_result *r)
{
    return r->u.cgroup->n;
}

const struct source_def source_cgroup = {
    .model_size = sizeof(struct cgroup_model),
    .command = NULL,
    .parser_size = sizeof(struct cgroup_parser),
    .stats_offset = offsetof(struct cgroup_parser, st),
    .init = cg_init,
    .line = cg_line,
    .count = cg_count,
    .read = cg_read,
};
