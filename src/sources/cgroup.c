/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup source (see cgroup.h for the layout): a command-less dataset
 * whose read hook walks Slurm's cgroup hierarchy on a compute node. Files
 * are small and read whole (capped); directories and files that vanish
 * while walking are normal (jobs end) and skipped. A job directory named by
 * SLUID (Slurm 26.05) gets its job id from its slurmstepd's process title
 * (see stepd_job_id); the one command it may run is squeue, only for a
 * SLUID no title names, once per new SLUID and bounded (see resolve_sluids). */
#include "sources/cgroup.h"
#include "model.h"
#include "sources/exec.h"
#include "sources/source.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

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

/* Crockford's base32 as Slurm prints a SLUID (src/common/sluid.c): digits and
 * upper-case letters without I, L, O and U. */
static const char cb32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int cb32_value(char c)
{
    const char *p = c ? strchr(cb32, c) : NULL;
    return p ? (int)(p - cb32) : -1;
}

void cgroup_sluid_str(uint64_t sluid, char out[CGROUP_SLUID_LEN + 1])
{
    out[0] = 's';
    /* 13 five-bit digits, most significant first; the first holds the top
     * four bits only (65 bits of room for 64) */
    for (int i = 0; i < 13; i++)
        out[13 - i] = cb32[i == 12 ? sluid >> 60 : (sluid >> (5 * i)) & 0x1f];
    out[CGROUP_SLUID_LEN] = '\0';
}

bool cgroup_sluid_dir(const char *name, uint64_t *sluid)
{
    if (name[0] != 's' || strlen(name) != CGROUP_SLUID_LEN)
        return false;
    uint64_t v = 0;
    for (int i = 1; i < CGROUP_SLUID_LEN; i++) {
        int d = cb32_value(name[i]);
        if (d < 0 || (i == 1 && d > 15))
            return false; /* not Slurm's alphabet (lower case too), or over 64 bits */
        v = v << 5 | (uint64_t)d;
    }
    if (v == 0)
        return false;
    *sluid = v;
    return true;
}

bool cgroup_parse_sluid_line(const char *line, size_t len, const char *sluid, uint32_t *id)
{
    /* "<SLUID>|<JobID>|" (squeue --Format=SLUID:0|,JobID:0|) */
    size_t sl = strlen(sluid);
    if (len < sl + 2 || memcmp(line, sluid, sl) != 0 || line[sl] != '|')
        return false;
    const char *v = line + sl + 1;
    const char *bar = memchr(v, '|', len - sl - 1);
    size_t vl = bar ? (size_t)(bar - v) : len - sl - 1;
    if (bar && (size_t)(bar + 1 - line) != len)
        return false; /* more fields than asked for */
    uint64_t x;
    if (parse_u64(v, vl, &x) < 0 || x == 0 || x >= 0xfffffffeu)
        return false; /* 0, NO_VAL and INFINITE are no job ids */
    *id = (uint32_t)x;
    return true;
}

/* slurmstepd names itself "[<step id>]" (_set_job_log_prefix,
 * src/slurmd/slurmstepd/slurmstepd.c, slurm-26-05-3-1), " stepmgr" before the
 * bracket when it runs the job's step manager; the step id is
 * log_build_step_id_str(..., STEP_ID_FLAG_NO_PREFIX) (src/common/log.c): the
 * job id when the step has one, else the SLUID, then "." and the step as its
 * step_<step> directory is named (cgroup_p_step_create prints it with the same
 * function). Slurm's setproctitle on Linux (src/common/setproctitle.c,
 * auxdir/x_ac_setproctitle.m4) writes "<program>: " and the title over argv
 * and pads with NULs. */
bool cgroup_parse_stepd_title(const char *buf, size_t len, const char *step, uint32_t *id)
{
    static const char pre[] = "slurmstepd: [", mgr[] = " stepmgr";
    const size_t pl = sizeof(pre) - 1, ml = sizeof(mgr) - 1, sl = strlen(step);
    if (sl == 0 || sl > 32 ||
        strspn(step, "0123456789+abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != sl)
        return false;
    if (len < pl || memcmp(buf, pre, pl) != 0)
        return false;
    size_t i = pl;
    uint64_t v = 0;
    while (i < len && i - pl < 10 && buf[i] >= '0' && buf[i] <= '9')
        v = v * 10 + (uint64_t)(buf[i++] - '0');
    if (i == pl || buf[pl] == '0' || v >= 0xfffffffeu || i == len || buf[i] != '.')
        return false; /* no number, a leading 0 (or job id 0), NO_VAL, INFINITE, a SLUID */
    i++;
    if (len - i < sl || memcmp(buf + i, step, sl) != 0)
        return false;
    i += sl;
    if (len - i >= ml && memcmp(buf + i, mgr, ml) == 0)
        i += ml;
    if (i == len || buf[i] != ']')
        return false;
    for (i++; i < len; i++)
        if (buf[i] != '\0')
            return false; /* more than the title */
    *id = (uint32_t)v;
    return true;
}

/* ---- the walk -------------------------------------------------------------- */

struct scan {
    struct cgroup_parser *p;
    struct cgroup_job *raw; /* one entry per job directory read (v1: per controller) */
    size_t n, cap;
    char *buf;       /* CGROUP_MAX_FILE + 1 */
    unsigned titles; /* SLUID directories whose slurmstepd title was read */
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

static struct cgroup_job *new_entry(struct scan *s, uint32_t id, uint64_t sluid, uint8_t version)
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
    j->sluid = sluid;
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

/* Reads at most max bytes of dfd/name into buf (not terminated): the byte
 * count, or -1. */
static ssize_t read_small(int dfd, const char *name, char *buf, size_t max)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    size_t n = 0;
    while (n < max) {
        ssize_t r = read(fd, buf + n, max - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    return (ssize_t)n;
}

/* The job id in the title of a process listed in procs (a step's
 * slurm/cgroup.procs: one pid a line), or 0. At most CGROUP_TITLE_PIDS pids
 * are tried; only processes of root (slurmstepd's user) or of this exporter's
 * own user count. /proc/<pid> is opened once and the title read through it,
 * so it is that process's title even if the pid is reused meanwhile. */
static uint32_t procs_title_id(const char *procs, size_t len, const char *step)
{
    uid_t me = geteuid();
    unsigned tried = 0;
    size_t i = 0;
    while (i < len && tried < CGROUP_TITLE_PIDS) {
        const char *nl = memchr(procs + i, '\n', len - i);
        if (!nl)
            break; /* a pid cut by the size limit */
        size_t e = (size_t)(nl - procs);
        uint64_t pid;
        if (parse_u64(procs + i, e - i, &pid) < 0 || pid == 0 || pid > INT32_MAX) {
            i = e + 1; /* 0: a process outside this pid namespace */
            continue;
        }
        i = e + 1;
        tried++;
        char path[32];
        snprintf(path, sizeof(path), "/proc/%llu", (unsigned long long)pid);
        int pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
            continue; /* gone, or hidden (hidepid) */
        struct stat st;
        char title[CGROUP_TITLE_MAX];
        uint32_t id = 0;
        if (fstat(pfd, &st) == 0 && (st.st_uid == 0 || st.st_uid == me)) {
            ssize_t n = read_small(pfd, "cmdline", title, sizeof(title));
            if (n > 0 && !cgroup_parse_stepd_title(title, (size_t)n, step, &id))
                id = 0;
        }
        close(pfd);
        if (id)
            return id;
    }
    return 0;
}

/* The job id of the SLUID directory jfd from its slurmstepds: each
 * step_<step>/slurm leaf holds that step's slurmstepd (cgroup_p_step_create,
 * src/plugins/cgroup/v2/cgroup_v2.c, slurm-26-05-3-1), whose title names the
 * job id and the step. 0 when no step's title gives one, or when two steps
 * name different jobs. Reads files only; asks no Slurm daemon. */
static uint32_t stepd_job_id(int jfd)
{
    DIR *d = open_dir_at(jfd, ".");
    if (!d)
        return 0;
    char *procs = xmalloc(CGROUP_PROCS_MAX);
    uint32_t found = 0;
    bool conflict = false;
    unsigned steps = 0;
    size_t seen = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && seen++ < CGROUP_MAX_DIR_ENTRIES &&
           steps < CGROUP_TITLE_STEPS) {
        if (!maybe_dir(e) || strncmp(e->d_name, "step_", 5) != 0 || strlen(e->d_name) > 40)
            continue;
        steps++;
        char rel[sizeof(e->d_name) + 32];
        snprintf(rel, sizeof(rel), "%s/slurm/cgroup.procs", e->d_name);
        ssize_t n = read_small(dirfd(d), rel, procs, CGROUP_PROCS_MAX);
        uint32_t id = n > 0 ? procs_title_id(procs, (size_t)n, e->d_name + 5) : 0;
        if (id && found && id != found)
            conflict = true;
        if (id)
            found = id;
    }
    closedir(d);
    free(procs);
    return conflict ? 0 : found;
}

static bool sluid_cached(const struct cgroup_ids *c, uint64_t sluid);

static void v2_job(struct scan *s, int jfd, uint32_t id, uint64_t sluid)
{
    struct cgroup_job *j = new_entry(s, id, sluid, 2);
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
    if (!j->known) {
        s->n--; /* every file gone: the job ended while we looked */
        return;
    }
    if (sluid && !sluid_cached(s->p->ids, sluid) && s->titles < CGROUP_MAX_TITLES) {
        s->titles++;
        j->job_id = stepd_job_id(jfd);
    }
}

typedef void (*job_fn)(struct scan *, int, uint32_t, uint64_t);

/* Iterates the job directories of dir dfd, calling fn on each: job_<id>
 * (id), or a SLUID (Slurm 26.05 cgroup v2: id 0 until looked up). Slurm's own
 * "system" directory (v2: slurmstepd itself) is not a job; any other
 * directory is skipped and counted. */
static void each_job(struct scan *s, int dfd, job_fn fn)
{
    DIR *d = open_dir_at(dfd, ".");
    if (!d)
        return;
    struct dirent *e;
    size_t seen = 0;
    while ((e = readdir(d)) != NULL && seen++ < CGROUP_MAX_DIR_ENTRIES) {
        uint32_t id = 0;
        uint64_t sluid = 0;
        if (!maybe_dir(e) || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, "system") == 0)
            continue;
        if (!cgroup_job_dir(e->d_name, &id) && !cgroup_sluid_dir(e->d_name, &sluid)) {
            if (e->d_type == DT_DIR && s->p->m->unknown_dirs < UINT32_MAX)
                s->p->m->unknown_dirs++;
            continue;
        }
        int jfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (jfd < 0)
            continue; /* ENOENT: the job ended */
        fn(s, jfd, id, sluid);
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

static void v1_mem_job(struct scan *s, int jfd, uint32_t id, uint64_t sluid)
{
    struct cgroup_job *j = new_entry(s, id, sluid, 1);
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

static void v1_cpu_job(struct scan *s, int jfd, uint32_t id, uint64_t sluid)
{
    struct cgroup_job *j = new_entry(s, id, sluid, 1);
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
static uint32_t walk_v1_ctl(struct scan *s, int rootfd, const char *ctl, job_fn fn)
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

/* ---- SLUID -> job id -------------------------------------------------------
 * A SLUID is cluster id, time stamp and sequence number (src/common/sluid.h):
 * the job id is not in it. The job's slurmstepd title names it (v2_job,
 * stepd_job_id); for a SLUID no title names, squeue maps it (`--jobs=<SLUID>`
 * loads that one job), once per SLUID: the answer never changes, and either
 * is kept while the directory is there. A SLUID squeue does not know (the job
 * just ended, or a stale directory) is asked again after
 * CGROUP_LOOKUP_RETRY_S; its title is read again every refresh. */

struct sluid_ent {
    uint64_t sluid;
    uint32_t job_id; /* 0: not known */
    double retry;    /* monotonic time of the next question, when not known */
};

struct cgroup_ids {
    char **env;   /* the child environment (exec_build_env) */
    char *squeue; /* resolved path, NULL until found */
    const char *bin_path;
    struct sluid_ent *e; /* sorted by sluid: the SLUIDs of the last scan */
    size_t n;
    uint64_t lookups; /* squeue runs, ever */
    struct log_limit lim;
};

struct cgroup_ids *cgroup_ids_new(const char *bin_path)
{
    extern char **environ;
    struct cgroup_ids *c = xcalloc(1, sizeof(*c));
    c->bin_path = bin_path && bin_path[0] ? bin_path : NULL;
    c->env = exec_build_env(environ, c->bin_path);
    return c;
}

void cgroup_ids_free(struct cgroup_ids *c)
{
    if (!c)
        return;
    exec_free_env(c->env);
    free(c->squeue);
    free(c->e);
    free(c);
}

struct lookup_ctx {
    const char *sluid;
    uint32_t id;
    unsigned lines;
};

static void lookup_line(void *pp, const char *line, size_t len)
{
    struct lookup_ctx *l = pp;
    uint32_t id;
    l->lines++;
    if (!l->id && cgroup_parse_sluid_line(line, len, l->sluid, &id))
        l->id = id;
}

/* Asks squeue for one SLUID's job id. 0 and *id; -ENOENT when squeue does
 * not know it; any other -errno (timeout, no squeue) stops this refresh's
 * lookups. */
static int lookup(struct cgroup_ids *c, double timeout, uint64_t sluid, uint32_t *id)
{
    if (!c->squeue && !(c->squeue = exec_resolve_env("squeue", c->bin_path, c->env)))
        return -EACCES;
    char name[CGROUP_SLUID_LEN + 1], jobs[8 + CGROUP_SLUID_LEN + 1];
    cgroup_sluid_str(sluid, name);
    snprintf(jobs, sizeof(jobs), "--jobs=%s", name);
    char a0[] = "squeue", a1[] = "--noheader", a3[] = "--Format=SLUID:0|,JobID:0|";
    char *argv[] = {a0, a1, jobs, a3, NULL};
    struct exec_opts o = {
        .path = c->squeue,
        .argv = argv,
        .envp = c->env,
        .timeout_s = timeout,
        .max_bytes = CGROUP_LOOKUP_MAX_BYTES,
        .max_line = 256,
    };
    struct exec_result er;
    memset(&er, 0, sizeof(er));
    struct lookup_ctx l = {.sluid = name};
    c->lookups++;
    int rc = exec_run(&o, lookup_line, &l, &er);
    if (l.id && (rc == 0 || rc == -EFBIG)) {
        *id = l.id;
        return 0;
    }
    if (rc == 0 || rc == -EIO || rc == -EFBIG) {
        log_limited(&c->lim, 300, LOG_DEBUG, "squeue does not map a cgroup SLUID", "sluid", name,
                    "stderr", er.err[0] ? er.err : "(none)");
        return -ENOENT;
    }
    log_limited(&c->lim, 300, LOG_WARN, "cannot map cgroup SLUIDs to job ids", "sluid", name,
                "error", rc == -ETIMEDOUT ? "squeue timed out" : strerror(-rc));
    return rc;
}

/* The entry for sluid in e[0..n) (sorted), or NULL. */
static const struct sluid_ent *find_ent(const struct sluid_ent *e, size_t n, uint64_t sluid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].sluid < sluid)
            lo = mid + 1;
        else if (e[mid].sluid > sluid)
            hi = mid;
        else
            return &e[mid];
    }
    return NULL;
}

/* Is sluid's job id known from an earlier refresh? */
static bool sluid_cached(const struct cgroup_ids *c, uint64_t sluid)
{
    const struct sluid_ent *e = c ? find_ent(c->e, c->n, sluid) : NULL;
    return e && e->job_id;
}

struct sluid_seen {
    uint64_t sluid;
    uint32_t title_id; /* from slurmstepd's title this refresh, 0: none */
};

static int cmp_seen(const void *a, const void *b)
{
    const struct sluid_seen *x = a, *y = b;
    if (x->sluid != y->sluid)
        return x->sluid < y->sluid ? -1 : 1;
    return x->title_id > y->title_id ? -1 : x->title_id < y->title_id; /* an id first */
}

/* Gives every SLUID entry of s its job id (from the cache, its slurmstepd's
 * title or squeue), drops those still unknown (counted in unresolved), and
 * makes the cache the set of this scan's SLUIDs. */
static void resolve_sluids(struct scan *s)
{
    struct cgroup_ids *c = s->p->ids;
    if (c)
        s->p->m->lookups = c->lookups;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->raw[i].sluid)
            k++;
    if (!k && (!c || !c->n))
        return;
    struct sluid_seen *u = xmalloc((k ? k : 1) * sizeof(*u));
    k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->raw[i].sluid)
            u[k++] = (struct sluid_seen){s->raw[i].sluid, s->raw[i].job_id};
    qsort(u, k, sizeof(*u), cmp_seen);
    size_t nu = 0;
    for (size_t i = 0; i < k; i++)
        if (!nu || u[nu - 1].sluid != u[i].sluid)
            u[nu++] = u[i];

    struct sluid_ent *ne = xmalloc((nu ? nu : 1) * sizeof(*ne));
    double now = mono_now_s();
    double timeout = s->p->cfg && s->p->cfg->slurm_timeout > 0 ? s->p->cfg->slurm_timeout : 30;
    if (timeout > CGROUP_LOOKUP_BUDGET_S)
        timeout = CGROUP_LOOKUP_BUDGET_S;
    unsigned asked = 0;
    bool stop = !c;
    for (size_t i = 0; i < nu; i++) {
        const struct sluid_ent *old = c ? find_ent(c->e, c->n, u[i].sluid) : NULL;
        struct sluid_ent e = old ? *old : (struct sluid_ent){.sluid = u[i].sluid};
        if (!e.job_id && u[i].title_id) {
            e.job_id = u[i].title_id; /* no question to slurmctld */
        } else if (!e.job_id && e.retry <= now && !stop && asked < CGROUP_MAX_LOOKUPS &&
                   mono_now_s() - now < timeout) {
            asked++;
            int rc = lookup(c, timeout, u[i].sluid, &e.job_id);
            if (rc < 0) {
                e.job_id = 0;
                e.retry = mono_now_s() + CGROUP_LOOKUP_RETRY_S;
                stop = rc != -ENOENT;
            }
        }
        ne[i] = e;
    }
    free(u);

    uint32_t unresolved = 0;
    for (size_t i = 0; i < nu; i++)
        if (!ne[i].job_id)
            unresolved++;
    s->p->m->unresolved = unresolved;
    size_t out = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct cgroup_job *j = &s->raw[i];
        if (j->sluid) {
            const struct sluid_ent *e = find_ent(ne, nu, j->sluid); /* sorted as u */
            if (!e || !e->job_id)
                continue;
            j->job_id = e->job_id;
        }
        s->raw[out++] = *j;
    }
    s->n = out;
    if (c) {
        free(c->e);
        c->e = ne;
        c->n = nu;
        s->p->m->lookups = c->lookups;
    } else {
        free(ne);
    }
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
    resolve_sluids(&s);

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
    (void)hint;
    struct cgroup_parser *p = pp;
    p->a = &r->arena;
    p->m = r->u.cgroup;
    p->cfg = ctx ? ctx->cfg : NULL;
    p->ids = ctx ? ctx->state : NULL;
    memset(p->m, 0, sizeof(*p->m));
}

static void *cg_state_new(const struct config *cfg, const char *cluster)
{
    (void)cluster;
    return cgroup_ids_new(cfg ? cfg->bin_path : NULL);
}

static void cg_state_free(void *state)
{
    cgroup_ids_free(state);
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
    .state_new = cg_state_new,
    .state_free = cg_state_free,
};
