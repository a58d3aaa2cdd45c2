/* SPDX-License-Identifier: Apache-2.0 */
/* Job tracing: the body parser, the bounded (job, host) store and the
 * counters of posts. See trace.h. */
#include "trace.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/hex.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON ---------------------------------------------------------------- */

#define JSON_MAX_DEPTH 32
#define JSON_MAX_NUMBER 64

struct jp {
    const char *s, *p, *end;
    char *why;
    size_t wl;
};

__attribute__((format(printf, 3, 4))) static int jfail(struct jp *j, int rc, const char *fmt, ...)
{
    if (j->why && j->wl) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(j->why, j->wl, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static int malformed(struct jp *j, const char *what)
{
    return jfail(j, -EINVAL, "malformed JSON at byte %zu: %s", (size_t)(j->p - j->s), what);
}

static void ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int peek(const struct jp *j)
{
    return j->p < j->end ? (unsigned char)*j->p : -1;
}

static int hex4(struct jp *j, unsigned *out)
{
    if (j->end - j->p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value((unsigned char)j->p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | (unsigned)h;
    }
    j->p += 4;
    *out = v;
    return 0;
}

/* Appends code point c as UTF-8 to out (when there is room). */
static void put_cp(char *out, size_t cap, size_t *n, bool *over, unsigned c)
{
    unsigned char b[4];
    size_t k;
    if (c < 0x80) {
        b[0] = (unsigned char)c;
        k = 1;
    } else if (c < 0x800) {
        b[0] = (unsigned char)(0xC0 | c >> 6);
        b[1] = (unsigned char)(0x80 | (c & 0x3F));
        k = 2;
    } else if (c < 0x10000) {
        b[0] = (unsigned char)(0xE0 | c >> 12);
        b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (c & 0x3F));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | c >> 18);
        b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (c & 0x3F));
        k = 4;
    }
    if (!out || *n + k > cap) {
        *over = true;
        *n += k;
        return;
    }
    memcpy(out + *n, b, k);
    *n += k;
}

/* Reads one UTF-8 sequence at j->p (validated: no overlongs, surrogates or
 * values past U+10FFFF). Returns the code point or -1. */
static long utf8_cp(struct jp *j)
{
    const unsigned char *p = (const unsigned char *)j->p, *e = (const unsigned char *)j->end;
    unsigned c = *p;
    size_t more;
    unsigned min;
    if (c < 0x80) {
        j->p++;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        more = 1;
        min = 0x80;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        more = 2;
        min = 0x800;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        more = 3;
        min = 0x10000;
        c &= 0x07;
    } else {
        return -1;
    }
    if ((size_t)(e - p) < more + 1)
        return -1;
    for (size_t i = 1; i <= more; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return -1;
        c = c << 6 | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    j->p += more + 1;
    return (long)c;
}

/* Parses a string at j->p (the opening quote). Decodes it into out (cap
 * bytes, NUL-terminated when it fits; out may be NULL to only check it).
 * *len gets the decoded length (also when it did not fit), *ctl whether it
 * holds a control character. */
static int jstring(struct jp *j, char *out, size_t cap, size_t *len, bool *ctl)
{
    size_t n = 0;
    bool over = false;
    *ctl = false;
    j->p++; /* the quote */
    for (;;) {
        if (j->p >= j->end)
            return malformed(j, "unterminated string");
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            break;
        }
        if (c < 0x20)
            return malformed(j, "raw control character in a string");
        unsigned cp;
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end)
                return malformed(j, "unterminated string");
            char e = *j->p++;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                cp = (unsigned char)e;
                break;
            case 'b':
                cp = '\b';
                break;
            case 'f':
                cp = '\f';
                break;
            case 'n':
                cp = '\n';
                break;
            case 'r':
                cp = '\r';
                break;
            case 't':
                cp = '\t';
                break;
            case 'u':
                if (hex4(j, &cp) < 0)
                    return malformed(j, "bad \\u escape");
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return malformed(j, "lone low surrogate");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
                        return malformed(j, "lone high surrogate");
                    j->p += 2;
                    if (hex4(j, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                        return malformed(j, "bad surrogate pair");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                break;
            default:
                return malformed(j, "bad escape");
            }
        } else {
            long v = utf8_cp(j);
            if (v < 0)
                return malformed(j, "string is not UTF-8");
            cp = (unsigned)v;
        }
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
            *ctl = true;
        put_cp(out, cap ? cap - 1 : 0, &n, &over, cp);
    }
    if (out && cap)
        out[over ? 0 : n] = '\0';
    *len = n;
    return 0;
}

/* Parses a number with JSON's grammar into *v. */
static int jnumber(struct jp *j, double *v)
{
    const char *b = j->p;
    if (peek(j) == '-')
        j->p++;
    if (peek(j) == '0') {
        j->p++;
    } else if (peek(j) >= '1' && peek(j) <= '9') {
        while (peek(j) >= '0' && peek(j) <= '9')
            j->p++;
    } else {
        return malformed(j, "bad number");
    }
    if (peek(j) == '.') {
        j->p++;
        if (!(peek(j) >= '0' && peek(j) <= '9'))
            return malformed(j, "bad number");
        while (peek(j) >= '0' && peek(j) <= '9')
            j->p++;
    }
    if (peek(j) == 'e' || peek(j) == 'E') {
        j->p++;
        if (peek(j) == '+' || peek(j) == '-')
            j->p++;
        if (!(peek(j) >= '0' && peek(j) <= '9'))
            return malformed(j, "bad number");
        while (peek(j) >= '0' && peek(j) <= '9')
            j->p++;
    }
    int c = peek(j);
    if (c >= 0 && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ',' && c != '}' &&
        c != ']')
        return malformed(j, "bad number");
    size_t n = (size_t)(j->p - b);
    if (n >= JSON_MAX_NUMBER)
        return malformed(j, "number too long");
    char tmp[JSON_MAX_NUMBER];
    memcpy(tmp, b, n);
    tmp[n] = '\0';
    *v = strtod(tmp, NULL);
    return 0;
}

static int jliteral(struct jp *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
        return malformed(j, "unexpected character");
    j->p += n;
    return 0;
}

/* Skips one value of any type, without recursion (a stack of closing
 * brackets, at most JSON_MAX_DEPTH deep). */
static int jskip(struct jp *j)
{
    char stack[JSON_MAX_DEPTH];
    int depth = 0;
    size_t sl;
    bool ctl;
    double d;
    for (;;) {
        /* a value */
        ws(j);
        int c = peek(j);
        int rc = 0;
        if (c == '{' || c == '[') {
            if (depth == JSON_MAX_DEPTH)
                return malformed(j, "nested too deep");
            stack[depth++] = c == '{' ? '}' : ']';
            j->p++;
            ws(j);
            if (peek(j) == stack[depth - 1]) {
                j->p++;
                depth--;
            } else if (c == '{') {
                goto key;
            } else {
                continue;
            }
        } else if (c == '"') {
            rc = jstring(j, NULL, 0, &sl, &ctl);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            rc = jnumber(j, &d);
        } else if (c == 't') {
            rc = jliteral(j, "true");
        } else if (c == 'f') {
            rc = jliteral(j, "false");
        } else if (c == 'n') {
            rc = jliteral(j, "null");
        } else {
            return malformed(j, c < 0 ? "unexpected end" : "unexpected character");
        }
        if (rc)
            return rc;
        /* after a value: close containers or go on to the next member */
        for (;;) {
            if (depth == 0)
                return 0;
            ws(j);
            c = peek(j);
            if (c == stack[depth - 1]) {
                j->p++;
                depth--;
                continue;
            }
            if (c != ',')
                return malformed(j, "expected ',' or a closing bracket");
            j->p++;
            break;
        }
        if (stack[depth - 1] == ']')
            continue;
    key:
        ws(j);
        if (peek(j) != '"')
            return malformed(j, "expected a key");
        if ((rc = jstring(j, NULL, 0, &sl, &ctl)) != 0)
            return rc;
        ws(j);
        if (peek(j) != ':')
            return malformed(j, "expected ':'");
        j->p++;
    }
}

enum tkey { K_JOB_ID, K_PID, K_CPUS, K_THREADS, K_MEM, K_READ, K_WRITE, K_USER, K_HOST, K_NKEYS };
static const char *const key_names[K_NKEYS] = {
    "job_id", "pid", "cpus", "threads", "mem", "read_bytes", "write_bytes", "username", "hostname"};
/* Upper bounds of the numbers (all must be >= 0 and finite). */
static const double key_max[K_NKEYS] = {4294967293.0, /* job_id: below Slurm's NO_VAL */
                                        2147483647.0, /* pid */
                                        1e8, /* cpus: percent of one CPU; a million cores */
                                        1e9, /* threads */
                                        4.611686018427387904e18, /* mem: 2^62 bytes */
                                        9.223372036854775807e18, /* read_bytes */
                                        9.223372036854775807e18, /* write_bytes */
                                        0,
                                        0};

static int known_number(struct jp *j, int k, double v, double *out)
{
    if (!isfinite(v) || v < 0 || v > key_max[k])
        return jfail(j, -ERANGE, "%s out of range (0 to %.17g)", key_names[k], key_max[k]);
    if ((k == K_JOB_ID || k == K_PID) && v != floor(v))
        return jfail(j, -ERANGE, "%s is not an integer", key_names[k]);
    if (k == K_JOB_ID && v < 1)
        return jfail(j, -ERANGE, "job_id must be at least 1");
    *out = v;
    return 0;
}

int trace_json_parse(const char *body, size_t len, struct trace_post *out, char *why, size_t whylen)
{
    struct jp jj = {body, body, body + len, why, whylen}, *j = &jj;
    if (why && whylen)
        why[0] = '\0';
    memset(out, 0, sizeof(*out));
    double num[K_NKEYS];
    for (int k = 0; k < K_NKEYS; k++)
        num[k] = NAN;
    bool seen[K_NKEYS] = {false}, have_host = false;
    int rc;
    ws(j);
    if (peek(j) != '{')
        return malformed(j, peek(j) < 0 ? "empty body" : "expected an object");
    j->p++;
    ws(j);
    if (peek(j) == '}') {
        j->p++;
    } else {
        for (;;) {
            ws(j);
            if (peek(j) != '"')
                return malformed(j, "expected a key");
            char key[16];
            size_t kl;
            bool ctl;
            if ((rc = jstring(j, key, sizeof(key), &kl, &ctl)) != 0)
                return rc;
            int k = -1;
            for (int i = 0; kl < sizeof(key) && i < K_NKEYS; i++)
                if (strcmp(key, key_names[i]) == 0)
                    k = i;
            ws(j);
            if (peek(j) != ':')
                return malformed(j, "expected ':'");
            j->p++;
            ws(j);
            if (k < 0) {
                if ((rc = jskip(j)) != 0)
                    return rc;
            } else {
                if (seen[k])
                    return jfail(j, -EINVAL, "duplicate key %s", key_names[k]);
                seen[k] = true;
                int c = peek(j);
                if (!(c == '{' || c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n' ||
                      c == '-' || (c >= '0' && c <= '9')))
                    return malformed(j, c < 0 ? "unexpected end" : "unexpected character");
                if (c == 'n') {
                    if ((rc = jliteral(j, "null")) != 0)
                        return rc;
                } else if (k == K_USER || k == K_HOST) {
                    char *dst = k == K_USER ? out->username : out->hostname;
                    if (c != '"')
                        return jfail(j, -ERANGE, "%s must be a string", key_names[k]);
                    size_t sl;
                    if ((rc = jstring(j, dst, MAX_LABEL_LEN + 1, &sl, &ctl)) != 0)
                        return rc;
                    if (sl > MAX_LABEL_LEN)
                        return jfail(j, -ERANGE, "%s longer than %d bytes", key_names[k],
                                     MAX_LABEL_LEN);
                    if (ctl)
                        return jfail(j, -ERANGE, "%s holds a control character", key_names[k]);
                    if (k == K_HOST)
                        have_host = sl > 0;
                } else if (c == '"' && k == K_JOB_ID) {
                    /* a job id as a string of digits */
                    char s[16];
                    size_t sl;
                    if ((rc = jstring(j, s, sizeof(s), &sl, &ctl)) != 0)
                        return rc;
                    if (sl == 0 || sl > 10 || strspn(s, "0123456789") != sl)
                        return jfail(j, -ERANGE, "job_id string is not a job id");
                    if ((rc = known_number(j, k, strtod(s, NULL), &num[k])) != 0)
                        return rc;
                } else if (c == '-' || (c >= '0' && c <= '9')) {
                    double v;
                    if ((rc = jnumber(j, &v)) != 0)
                        return rc;
                    if ((rc = known_number(j, k, v, &num[k])) != 0)
                        return rc;
                } else {
                    return jfail(j, -ERANGE, "%s must be a number", key_names[k]);
                }
            }
            ws(j);
            if (peek(j) == ',') {
                j->p++;
                continue;
            }
            if (peek(j) == '}') {
                j->p++;
                break;
            }
            return malformed(j, "expected ',' or '}'");
        }
    }
    ws(j);
    if (j->p != j->end)
        return malformed(j, "data after the object");
    if (isnan(num[K_JOB_ID]))
        return jfail(j, -EINVAL, "job_id missing");
    if (!have_host)
        return jfail(j, -EINVAL, "hostname missing or empty");
    out->job_id = (uint32_t)num[K_JOB_ID];
    out->pid = num[K_PID];
    out->cpus = num[K_CPUS];
    out->threads = num[K_THREADS];
    out->mem = num[K_MEM];
    out->read_bytes = num[K_READ];
    out->write_bytes = num[K_WRITE];
    return 0;
}

/* ---- the store ------------------------------------------------------------ */

/* One (job, host) pair, 88 bytes: the numbers of its last post and its
 * times; the host and user names in one allocation of their exact size
 * ("host\0user\0"). Slots sit in blocks of ES_BLOCK that are allocated as
 * the store grows and never move. Indexes are slot + 1; 0 ends a chain. */
struct eslot {
    uint32_t job_id; /* 0: a free slot */
    uint32_t next;   /* the hash chain, or the free list */
    int32_t cluster;
    double pid, cpus, threads, mem, read_bytes, write_bytes;
    double first_seen, updated;
    char *names;
};
struct jslot {
    uint32_t job_id, hosts, next;
    bool unqueued; /* the queue does not show it running */
};

#define ES_BLOCK 1024

/* A block of ES_BLOCK slots (NULL until the store grows into it). */
struct eblock {
    struct eslot *slots;
};

struct trace_store {
    pthread_mutex_t mu;
    struct trace_limits lim;
    struct eblock *blocks; /* enough for every slot the limits allow */
    size_t nblocks;        /* allocated */
    size_t es_used;        /* slots handed out, free ones included */
    uint32_t es_free;
    uint32_t *eb;
    size_t neb;
    struct jslot *js;
    size_t js_used, js_cap;
    uint32_t js_free;
    uint32_t *jb;
    size_t njb;
    size_t entries, jobs;
    size_t entries_u, jobs_u; /* of jobs marked unqueued */
    size_t share_entries, share_jobs;
    uint32_t *queued; /* sorted ids of the running jobs; NULL until told */
    size_t nqueued;
    size_t bytes; /* heap held, as requested from malloc */
    uint64_t expired_ttl, expired_job;
    double last_sweep;
};

static size_t pow2_at_least(size_t n, size_t max)
{
    size_t b = 64;
    while (b < n && b < max)
        b *= 2;
    return b;
}

static struct eslot *eslot_at(const struct trace_store *s, uint32_t i)
{
    return &s->blocks[(i - 1) / ES_BLOCK].slots[(i - 1) % ES_BLOCK];
}

struct trace_store *trace_store_new(const struct trace_limits *lim)
{
    struct trace_store *s = xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    s->lim = *lim;
    if (s->lim.max_entries > UINT32_MAX / 2)
        s->lim.max_entries = UINT32_MAX / 2;
    if (s->lim.max_jobs > UINT32_MAX - 1)
        s->lim.max_jobs = UINT32_MAX - 1;
    s->share_jobs = s->lim.max_jobs / 4 ? s->lim.max_jobs / 4 : 1;
    s->share_entries = s->lim.max_entries / 4 ? s->lim.max_entries / 4 : 1;
    size_t nb = (s->lim.max_entries + s->share_entries) / ES_BLOCK + 1;
    s->blocks = xcalloc(nb, sizeof(*s->blocks));
    s->neb = pow2_at_least(s->lim.max_entries, (size_t)1 << 20);
    s->eb = xcalloc(s->neb, sizeof(uint32_t));
    s->njb = pow2_at_least(s->lim.max_jobs, (size_t)1 << 18);
    s->jb = xcalloc(s->njb, sizeof(uint32_t));
    s->bytes = sizeof(*s) + nb * sizeof(*s->blocks) + (s->neb + s->njb) * sizeof(uint32_t);
    return s;
}

void trace_store_free(struct trace_store *s)
{
    if (!s)
        return;
    for (size_t b = 0; b < s->nblocks; b++) {
        for (size_t k = 0; k < ES_BLOCK; k++)
            free(s->blocks[b].slots[k].names);
        free(s->blocks[b].slots);
    }
    free(s->blocks);
    free(s->queued);
    free(s->eb);
    free(s->js);
    free(s->jb);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* "host\0user\0" in an allocation of its size, counted in s->bytes. */
static char *names_new(struct trace_store *s, const char *host, const char *user)
{
    size_t hl = strlen(host), ul = strlen(user);
    char *n = xmalloc(hl + ul + 2);
    memcpy(n, host, hl + 1);
    memcpy(n + hl + 1, user, ul + 1);
    s->bytes += hl + ul + 2;
    return n;
}

static void names_free(struct trace_store *s, char *n)
{
    if (!n)
        return;
    size_t hl = strlen(n);
    s->bytes -= hl + strlen(n + hl + 1) + 2;
    free(n);
}

static const char *user_of(const char *names)
{
    return names + strlen(names) + 1;
}

static size_t ehash(const struct trace_store *s, uint32_t job, const char *host)
{
    uint64_t h = hash_bytes(host, strlen(host)) ^ ((uint64_t)job * 0x9E3779B97F4A7C15ULL);
    return hash_slot(h, s->neb);
}

static size_t jhash(const struct trace_store *s, uint32_t job)
{
    return hash_slot(job, s->njb);
}

static struct jslot *job_find(struct trace_store *s, uint32_t job)
{
    for (uint32_t i = s->jb[jhash(s, job)]; i; i = s->js[i - 1].next)
        if (s->js[i - 1].job_id == job)
            return &s->js[i - 1];
    return NULL;
}

static bool queued_has(const struct trace_store *s, uint32_t job)
{
    size_t lo = 0, hi = s->nqueued;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->queued[mid] < job)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nqueued && s->queued[lo] == job;
}

/* Whether a job counts against the share of jobs the queue does not show
 * running: never before the store was told the queue. */
static bool job_unqueued(const struct trace_store *s, uint32_t job)
{
    return s->queued && !queued_has(s, job);
}

static struct jslot *job_add(struct trace_store *s, uint32_t job, bool unqueued)
{
    uint32_t i = s->js_free;
    if (i) {
        s->js_free = s->js[i - 1].next;
    } else {
        if (s->js_used == s->js_cap) {
            size_t cap = s->js_cap ? s->js_cap * 2 : 64;
            s->js = xrealloc(s->js, cap * sizeof(*s->js));
            s->bytes += (cap - s->js_cap) * sizeof(*s->js);
            s->js_cap = cap;
        }
        i = (uint32_t)++s->js_used;
    }
    struct jslot *j = &s->js[i - 1];
    size_t b = jhash(s, job);
    j->job_id = job;
    j->hosts = 0;
    j->unqueued = unqueued;
    j->next = s->jb[b];
    s->jb[b] = i;
    s->jobs++;
    s->jobs_u += unqueued;
    return j;
}

static void job_drop_host(struct trace_store *s, uint32_t job)
{
    size_t b = jhash(s, job);
    for (uint32_t *link = &s->jb[b]; *link; link = &s->js[*link - 1].next) {
        uint32_t i = *link;
        struct jslot *j = &s->js[i - 1];
        if (j->job_id != job)
            continue;
        s->entries_u -= j->unqueued;
        if (--j->hosts == 0) {
            *link = j->next;
            j->next = s->js_free;
            s->js_free = i;
            s->jobs--;
            s->jobs_u -= j->unqueued;
        }
        return;
    }
}

/* Unlinks entry i (whose chain link is *link) and frees its slot. */
static void entry_remove(struct trace_store *s, uint32_t *link)
{
    uint32_t i = *link;
    struct eslot *e = eslot_at(s, i);
    *link = e->next;
    job_drop_host(s, e->job_id);
    names_free(s, e->names);
    e->names = NULL;
    e->job_id = 0;
    e->next = s->es_free;
    s->es_free = i;
    s->entries--;
}

/* Copies a name of the store (at most MAX_LABEL_LEN bytes, as the parser
 * takes them) into a label-sized buffer. */
static void name_copy(char *dst, const char *src)
{
    size_t n = strnlen(src, MAX_LABEL_LEN);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The entry as callers see it (struct trace_entry), from its slot. */
static void entry_view(const struct eslot *e, struct trace_entry *out)
{
    out->p.job_id = e->job_id;
    out->p.pid = e->pid;
    out->p.cpus = e->cpus;
    out->p.threads = e->threads;
    out->p.mem = e->mem;
    out->p.read_bytes = e->read_bytes;
    out->p.write_bytes = e->write_bytes;
    name_copy(out->p.hostname, e->names);
    name_copy(out->p.username, user_of(e->names));
    out->first_seen = e->first_seen;
    out->updated = e->updated;
    out->cluster = e->cluster;
}

/* Walks every entry, dropping expired ones and those keep refuses. */
static size_t sweep(struct trace_store *s, double now, trace_keep_fn keep, void *kctx,
                    void (*fn)(const struct trace_entry *e, void *ctx), void *ctx)
{
    struct trace_entry view;
    for (size_t b = 0; b < s->neb; b++) {
        uint32_t *link = &s->eb[b];
        while (*link) {
            struct eslot *e = eslot_at(s, *link);
            if (now - e->updated > s->lim.ttl) {
                entry_remove(s, link);
                s->expired_ttl++;
                continue;
            }
            if (keep || fn)
                entry_view(e, &view);
            if (keep) {
                if (!keep(&view, kctx)) {
                    entry_remove(s, link);
                    s->expired_job++;
                    continue;
                }
                e->cluster = view.cluster; /* the only field keep may change */
            }
            if (fn)
                fn(&view, ctx);
            link = &e->next;
        }
    }
    s->last_sweep = now;
    return s->entries;
}

static void entry_set(struct eslot *e, const struct trace_post *p, double now)
{
    e->pid = p->pid;
    e->cpus = p->cpus;
    e->threads = p->threads;
    e->mem = p->mem;
    e->read_bytes = p->read_bytes;
    e->write_bytes = p->write_bytes;
    e->updated = now;
}

/* A free slot (a new block when none is left); 0 when max_entries are used. */
static uint32_t eslot_take(struct trace_store *s)
{
    uint32_t i = s->es_free;
    if (i) {
        s->es_free = eslot_at(s, i)->next;
        return i;
    }
    if (s->es_used >= s->lim.max_entries + s->share_entries)
        return 0;
    if (s->es_used == s->nblocks * ES_BLOCK) {
        s->blocks[s->nblocks++].slots = xcalloc(ES_BLOCK, sizeof(struct eslot));
        s->bytes += ES_BLOCK * sizeof(struct eslot);
    }
    return (uint32_t)++s->es_used;
}

static enum trace_reason put_locked(struct trace_store *s, const struct trace_post *p, double now)
{
    size_t b = ehash(s, p->job_id, p->hostname);
    for (uint32_t i = s->eb[b]; i; i = eslot_at(s, i)->next) {
        struct eslot *e = eslot_at(s, i);
        if (e->job_id == p->job_id && strcmp(e->names, p->hostname) == 0) {
            entry_set(e, p, now);
            if (strcmp(user_of(e->names), p->username) != 0) {
                names_free(s, e->names);
                e->names = names_new(s, p->hostname, p->username);
            }
            return TR_ACCEPTED;
        }
    }
    /* Jobs the queue shows running have the limits; the others (not
     * started as far as the last queue knows, ended, made up) a share of
     * their own, so they can never take a running job's room. */
    struct jslot *j = job_find(s, p->job_id);
    bool unq = j ? j->unqueued : job_unqueued(s, p->job_id);
    if (!j && (unq ? s->jobs_u >= s->share_jobs : s->jobs - s->jobs_u >= s->lim.max_jobs))
        return unq ? TR_UNQUEUED : TR_MAX_JOBS;
    if (j && j->hosts >= s->lim.max_hosts_per_job)
        return TR_MAX_HOSTS;
    if (unq ? s->entries_u >= s->share_entries : s->entries - s->entries_u >= s->lim.max_entries)
        return unq ? TR_UNQUEUED : TR_MAX_ENTRIES;
    uint32_t i = eslot_take(s);
    if (!i)
        return unq ? TR_UNQUEUED : TR_MAX_ENTRIES;
    if (!j)
        j = job_add(s, p->job_id, unq);
    j->hosts++;
    s->entries_u += unq;
    struct eslot *e = eslot_at(s, i);
    e->job_id = p->job_id;
    entry_set(e, p, now);
    e->first_seen = now;
    e->cluster = -1;
    e->names = names_new(s, p->hostname, p->username);
    e->next = s->eb[b];
    s->eb[b] = i;
    s->entries++;
    return TR_ACCEPTED;
}

enum trace_reason trace_store_put(struct trace_store *s, const struct trace_post *p, double now)
{
    pthread_mutex_lock(&s->mu);
    enum trace_reason r = put_locked(s, p, now);
    /* At a limit, expired entries may be what fills it: sweep them out (at
     * most once a second, so a flood cannot make every post walk the store)
     * and try again. */
    if (r != TR_ACCEPTED && now - s->last_sweep >= 1.0) {
        sweep(s, now, NULL, NULL, NULL, NULL);
        r = put_locked(s, p, now);
    }
    pthread_mutex_unlock(&s->mu);
    return r;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void trace_store_set_queued(struct trace_store *s, const uint32_t *ids, size_t n)
{
    uint32_t *q = xmalloc((n ? n : 1) * sizeof(*q));
    if (n)
        memcpy(q, ids, n * sizeof(*q));
    qsort(q, n, sizeof(*q), cmp_u32);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || q[i] != q[k - 1])
            q[k++] = q[i];
    q = xrealloc(q, (k ? k : 1) * sizeof(*q));
    pthread_mutex_lock(&s->mu);
    if (s->queued)
        s->bytes -= (s->nqueued ? s->nqueued : 1) * sizeof(*q);
    free(s->queued);
    s->queued = q;
    s->nqueued = k;
    s->bytes += (k ? k : 1) * sizeof(*q);
    /* every job stored is judged again */
    s->jobs_u = s->entries_u = 0;
    for (size_t b = 0; b < s->njb; b++) {
        for (uint32_t i = s->jb[b]; i; i = s->js[i - 1].next) {
            struct jslot *j = &s->js[i - 1];
            j->unqueued = !queued_has(s, j->job_id);
            s->jobs_u += j->unqueued;
            s->entries_u += j->unqueued ? j->hosts : 0;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

size_t trace_store_snapshot(struct trace_store *s, double now, trace_keep_fn keep, void *kctx,
                            void (*fn)(const struct trace_entry *e, void *ctx), void *ctx)
{
    pthread_mutex_lock(&s->mu);
    size_t n = sweep(s, now, keep, kctx, fn, ctx);
    pthread_mutex_unlock(&s->mu);
    return n;
}

void trace_store_stats(struct trace_store *s, struct trace_store_stats *out)
{
    pthread_mutex_lock(&s->mu);
    out->entries = s->entries;
    out->jobs = s->jobs;
    out->entries_unqueued = s->entries_u;
    out->jobs_unqueued = s->jobs_u;
    out->bytes = s->bytes;
    out->expired_ttl = s->expired_ttl;
    out->expired_job = s->expired_job;
    pthread_mutex_unlock(&s->mu);
}

/* ---- jobs ------------------------------------------------------------------- */

static size_t idx_hash(uint32_t job, size_t n)
{
    return hash_slot(job, n);
}

void trace_jobidx_build(struct trace_jobidx *x, const struct jobs_model *m)
{
    memset(x, 0, sizeof(*x));
    x->m = m;
    if (!m || !m->n)
        return;
    size_t n = 64;
    while (n < m->n * 2)
        n *= 2;
    x->nslots = n;
    x->slots = xcalloc(n, sizeof(uint32_t));
    for (size_t i = 0; i < m->n && i < UINT32_MAX - 1; i++) {
        size_t k = idx_hash(m->jobs[i].job_id, n);
        while (x->slots[k] && m->jobs[x->slots[k] - 1].job_id != m->jobs[i].job_id)
            k = (k + 1) & (n - 1);
        if (!x->slots[k])
            x->slots[k] = (uint32_t)i + 1;
    }
}

const struct job *trace_jobidx_find(const struct trace_jobidx *x, uint32_t job_id)
{
    if (!x->nslots)
        return NULL;
    for (size_t k = idx_hash(job_id, x->nslots); x->slots[k]; k = (k + 1) & (x->nslots - 1))
        if (x->m->jobs[x->slots[k] - 1].job_id == job_id)
            return &x->m->jobs[x->slots[k] - 1];
    return NULL;
}

void trace_jobidx_free(struct trace_jobidx *x)
{
    free(x->slots);
    memset(x, 0, sizeof(*x));
}

bool trace_job_live(const struct trace_jobidx *x, double jobs_at, uint32_t job_id,
                    double first_seen, const struct job **job)
{
    const struct job *j = trace_jobidx_find(x, job_id);
    *job = j;
    if (jobs_at <= first_seen)
        return true;
    return j && trace_job_running(j);
}

bool trace_job_running(const struct job *j)
{
    switch (j->state) {
    case JOB_RUNNING:
    case JOB_SUSPENDED:
    case JOB_COMPLETING:
    case JOB_CONFIGURING:
    case JOB_STOPPED:
    case JOB_SIGNALING:
    case JOB_RESIZING:
    case JOB_STAGE_OUT:
        return true;
    default:
        return false;
    }
}

/* ---- process-wide ------------------------------------------------------------ */

static struct trace_store *G;
static uint64_t counts[TR_COUNT];
static const char *const reason_names[TR_COUNT] = {
#define X(e, s) s,
    TRACE_REASONS(X)
#undef X
};

void trace_global_init(const struct trace_limits *lim)
{
    trace_global_free();
    memset(counts, 0, sizeof(counts));
    if (lim)
        G = trace_store_new(lim);
}

struct trace_store *trace_global(void)
{
    return G;
}

void trace_global_free(void)
{
    trace_store_free(G);
    G = NULL;
}

void trace_count(enum trace_reason r)
{
    if ((unsigned)r < TR_COUNT)
        __atomic_add_fetch(&counts[r], 1, __ATOMIC_RELAXED);
}

uint64_t trace_counted(enum trace_reason r)
{
    return (unsigned)r < TR_COUNT ? __atomic_load_n(&counts[r], __ATOMIC_RELAXED) : 0;
}

void trace_render_metrics(struct render *r)
{
    if (!G)
        return;
    struct trace_store_stats st;
    trace_store_stats(G, &st);
    render_family(r, "slurm_exporter_trace_posts", M_COUNTER,
                  "Job trace posts accepted and stored.");
    render_sample(r, NULL, 0, (double)trace_counted(TR_ACCEPTED));
    render_family(r, "slurm_exporter_trace_posts_rejected", M_COUNTER,
                  "Job trace posts refused, by reason (too_large: body over --trace.max-body; "
                  "malformed, invalid_value: 400; max_jobs, max_hosts_per_job, max_entries: the "
                  "store is full, 429; unqueued: the share of jobs the queue does not show running "
                  "is full, 429).");
    for (int i = 1; i < TR_COUNT; i++) {
        struct label l[1] = {{"reason", reason_names[i]}};
        render_sample(r, l, 1, (double)trace_counted((enum trace_reason)i));
    }
    render_gauge1(r, "slurm_exporter_trace_entries", "(job, host) pairs in the trace store.",
                  (double)st.entries);
    render_gauge1(r, "slurm_exporter_trace_jobs", "Jobs in the trace store.", (double)st.jobs);
    render_gauge1(r, "slurm_exporter_trace_store_bytes",
                  "Heap the trace store holds, in bytes as requested from malloc (its per-block "
                  "overhead not included).",
                  (double)st.bytes);
    render_family(r, "slurm_exporter_trace_expired", M_COUNTER,
                  "(job, host) pairs dropped from the trace store: ttl (no post for --trace.ttl) "
                  "or job_ended (the job left the queue or stopped running).");
    struct label l[1] = {{"cause", "ttl"}};
    render_sample(r, l, 1, (double)st.expired_ttl);
    l[0].value = "job_ended";
    render_sample(r, l, 1, (double)st.expired_job);
}
