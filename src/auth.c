/* SPDX-License-Identifier: Apache-2.0 */
/* Basic auth with bcrypt (libxcrypt's crypt_rn). Users are found by a keyed
 * hash of the name compared against every user, unknown users run bcrypt on a
 * made-up hash of a configured cost, results are compared in constant time,
 * and good credentials are remembered (as a keyed hash, never the password)
 * for a while so a scraper pays bcrypt once, not every scrape. Failures are
 * remembered for a minute, so the same wrong password costs bcrypt once. The
 * worker serves client addresses in turn (see auth_worker_submit). */
#include "auth.h"
#include "render.h"
#include "util/buf.h"
#include "util/clock.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define AUTH_CACHE 256       /* good credentials remembered */
#define AUTH_CACHE_TTL 600.0 /* for ten minutes */
#define AUTH_BAD 256         /* failed credentials remembered */
#define AUTH_BAD_TTL 60.0    /* for a minute */
#define AUTH_KNOWN 1024      /* credentials that passed before: their checks go first */

struct auth_user {
    char *name;
    char *hash;
    size_t hash_len;
    int cost;
    unsigned char name_tag[AUTH_TAG];
    char dummy[64]; /* a bcrypt setting of this user's cost, for unknown users */
};

struct auth_cache_entry {
    unsigned char tag[AUTH_TAG];
    double expires;
};

struct auth {
    struct auth_user *users;
    size_t n;
    unsigned char key[32];
    pthread_mutex_t mu; /* cache, bad, known */
    struct auth_cache_entry cache[AUTH_CACHE];
    struct auth_cache_entry bad[AUTH_BAD];
    struct auth_cache_entry known[AUTH_KNOWN]; /* expires: 1 when used, never runs out */
    size_t known_next;                         /* the slot the next one overwrites */
};

static uint64_t counts[AUTH_R_COUNT];
static const char *const result_names[AUTH_R_COUNT] = {
#define X(e, s) s,
    AUTH_RESULTS(X)
#undef X
};

void auth_count(enum auth_result r)
{
    if ((unsigned)r < AUTH_R_COUNT)
        __atomic_add_fetch(&counts[r], 1, __ATOMIC_RELAXED);
}

uint64_t auth_counted(enum auth_result r)
{
    return (unsigned)r < AUTH_R_COUNT ? __atomic_load_n(&counts[r], __ATOMIC_RELAXED) : 0;
}

void auth_render_metrics(struct render *r)
{
    render_family(r, "slurm_exporter_http_auth", M_COUNTER,
                  "Basic-auth checks by outcome: ok and bad (bcrypt ran), cached and bad_cached "
                  "(the same credentials passed within ten minutes or failed within a minute: no "
                  "bcrypt), refused (no room to wait for bcrypt: 429), missing (no or malformed "
                  "Authorization header).");
    for (int i = 0; i < AUTH_R_COUNT; i++) {
        struct label l[1] = {{"result", result_names[i]}};
        render_sample(r, l, 1, (double)auth_counted((enum auth_result)i));
    }
    render_gauge1(r, "slurm_exporter_http_auth_checks_pending",
                  "Basic-auth checks waiting for bcrypt or being checked now (one at a time).",
                  (double)auth_worker_pending());
}

static const char bcrypt_alphabet[] =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool auth_hash_valid(const char *h, int *cost)
{
    if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[2] == '\0' ||
        h[3] != '$' || h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
        return false;
    int c = (h[4] - '0') * 10 + (h[5] - '0');
    if (c < 4 || c > 31)
        return false;
    for (size_t i = 7; i < 60; i++)
        if (!strchr(bcrypt_alphabet, h[i]))
            return false;
    if (cost)
        *cost = c;
    return true;
}

bool auth_ct_equal(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(x[i] ^ y[i]);
    return d == 0;
}

/* HMAC-SHA256 under the process key of a and b joined by a NUL byte. */
static void tag_of(const struct auth *au, const char *a, const char *b, unsigned char *out)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    char buf[AUTH_MAX_USER + AUTH_MAX_PASS + 2];
    if (la >= AUTH_MAX_USER)
        la = AUTH_MAX_USER - 1;
    if (lb >= AUTH_MAX_PASS)
        lb = AUTH_MAX_PASS - 1;
    memcpy(buf, a, la);
    buf[la] = '\0';
    if (b)
        memcpy(buf + la + 1, b, lb);
    size_t len = la + (b ? 1 + lb : 0);
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, au->key, sizeof(au->key), buf, len, out) < 0)
        memset(out, 0, AUTH_TAG); /* cannot happen with a built-in MAC */
    explicit_bzero(buf, len);
}

int auth_create(const struct webconfig_user *users, size_t n, struct auth **out)
{
    struct auth *a = xcalloc(1, sizeof(*a));
    pthread_mutex_init(&a->mu, NULL);
    if (gnutls_rnd(GNUTLS_RND_KEY, a->key, sizeof(a->key)) < 0)
        abort(); /* no randomness: nothing safe to do */
    a->users = xcalloc(n ? n : 1, sizeof(*a->users));
    a->n = n;
    for (size_t i = 0; i < n; i++) {
        struct auth_user *u = &a->users[i];
        u->name = xstrdup(users[i].name);
        u->hash = xstrdup(users[i].hash);
        u->hash_len = strlen(u->hash);
        auth_hash_valid(u->hash, &u->cost);
        tag_of(a, u->name, NULL, u->name_tag);
        if (!crypt_gensalt_rn("$2b$", (unsigned long)u->cost, NULL, 0, u->dummy,
                              (int)sizeof(u->dummy)))
            snprintf(u->dummy, sizeof(u->dummy), "$2b$%02d$abcdefghijklmnopqrstuu", u->cost);
    }
    *out = a;
    return 0;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->users[i].name);
        free(a->users[i].hash);
    }
    free(a->users);
    pthread_mutex_destroy(&a->mu);
    explicit_bzero(a, sizeof(*a));
    free(a);
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int auth_parse_basic(const char *h, char *user, size_t userlen, char *pass, size_t passlen)
{
    if (!h || strncasecmp(h, "Basic", 5) != 0 || (h[5] != ' ' && h[5] != '\t'))
        return -EINVAL;
    const char *s = h + 5;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > AUTH_MAX_USER + AUTH_MAX_PASS)
        return -EINVAL;
    unsigned char dec[AUTH_MAX_USER + AUTH_MAX_PASS + 4];
    size_t dl = 0;
    int rc = -EINVAL;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s[i + k];
            if (c == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad) /* data after padding */
                goto out;
            v[k] = b64val(c);
            if (v[k] < 0)
                goto out;
        }
        unsigned w = ((unsigned)v[0] << 18) | ((unsigned)v[1] << 12) | ((unsigned)v[2] << 6) |
                     (unsigned)v[3];
        dec[dl++] = (unsigned char)(w >> 16);
        if (pad < 2)
            dec[dl++] = (unsigned char)(w >> 8);
        if (pad < 1)
            dec[dl++] = (unsigned char)w;
    }
    if (memchr(dec, '\0', dl))
        goto out;
    const unsigned char *colon = memchr(dec, ':', dl);
    if (!colon)
        goto out;
    size_t ul = (size_t)(colon - dec), pl = dl - ul - 1;
    if (ul >= userlen || pl >= passlen || ul >= AUTH_MAX_USER || pl >= AUTH_MAX_PASS)
        goto out;
    memcpy(user, dec, ul);
    user[ul] = '\0';
    memcpy(pass, colon + 1, pl);
    pass[pl] = '\0';
    rc = 0;
out:
    explicit_bzero(dec, sizeof(dec));
    return rc;
}

/* Whether tag is in one of the tables (every entry compared, in constant
 * time) and not expired. */
static bool table_has(struct auth *a, const struct auth_cache_entry *t, size_t n,
                      const unsigned char *tag, double now)
{
    bool hit = false;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < n; i++) {
        bool eq = auth_ct_equal(t[i].tag, tag, AUTH_TAG);
        hit |= eq && t[i].expires > now;
    }
    pthread_mutex_unlock(&a->mu);
    return hit;
}

/* Puts tag into a table of remembered credentials until now + ttl: over its
 * own entry, else over the oldest (or an empty) one. */
static void table_put(struct auth *a, struct auth_cache_entry *t, size_t n,
                      const unsigned char *tag, double now, double ttl)
{
    pthread_mutex_lock(&a->mu);
    size_t slot = 0;
    for (size_t i = 0; i < n; i++) {
        if (auth_ct_equal(t[i].tag, tag, AUTH_TAG)) {
            slot = i;
            break;
        }
        if (t[i].expires < t[slot].expires)
            slot = i;
    }
    memcpy(t[slot].tag, tag, AUTH_TAG);
    t[slot].expires = now + ttl;
    pthread_mutex_unlock(&a->mu);
}

/* Remembers that these credentials passed, for priority later: kept for the
 * life of the configuration, the oldest replaced first. */
static void known_put(struct auth *a, const unsigned char *tag)
{
    pthread_mutex_lock(&a->mu);
    bool have = false;
    for (size_t i = 0; i < AUTH_KNOWN; i++)
        have |= auth_ct_equal(a->known[i].tag, tag, AUTH_TAG) && a->known[i].expires > 0;
    if (!have) {
        memcpy(a->known[a->known_next].tag, tag, AUTH_TAG);
        a->known[a->known_next].expires = 1;
        a->known_next = (a->known_next + 1) % AUTH_KNOWN;
    }
    pthread_mutex_unlock(&a->mu);
}

bool auth_check_cached(struct auth *a, const char *user, const char *pass)
{
    unsigned char tag[AUTH_TAG];
    tag_of(a, user, pass, tag);
    bool hit = table_has(a, a->cache, AUTH_CACHE, tag, mono_now_s());
    explicit_bzero(tag, sizeof(tag));
    return hit;
}

/* The bcrypt setting a name's password is checked against: the user's hash,
 * or for an unknown name a made-up setting of a configured user's cost (the
 * same one for the same name). found is the user's index, or a->n. */
static const char *setting_of(const struct auth *a, const char *user, size_t *found)
{
    size_t nusers = a->n;
    unsigned char tag[AUTH_TAG];
    tag_of(a, user, NULL, tag);
    /* Look at every user, so the time does not depend on which one matches. */
    *found = nusers;
    for (size_t i = 0; i < nusers; i++)
        if (auth_ct_equal(a->users[i].name_tag, tag, AUTH_TAG))
            *found = i;
    size_t dummy = ((size_t)tag[0] << 8 | tag[1]) % nusers;
    explicit_bzero(tag, sizeof(tag));
    return *found < nusers ? a->users[*found].hash : a->users[dummy].dummy;
}

const char *auth_setting_for(const struct auth *a, const char *user)
{
    size_t found;
    return a && a->n ? setting_of(a, user, &found) : NULL;
}

/* bcrypt against the user's hash (an unknown user: a made-up hash of a
 * configured user's cost). Returns 1 for a match, 0 for a mismatch, -1 when
 * bcrypt could not run (nothing learnt about the password). */
static int verify_bcrypt(struct auth *a, const char *user, const char *pass)
{
    size_t nusers = a->n;
    if (nusers == 0)
        return -1;
    size_t found;
    const char *setting = setting_of(a, user, &found);
    struct crypt_data *cd = xcalloc(1, sizeof(*cd));
    const char *h = crypt_rn(pass, setting, cd, (int)sizeof(*cd));
    int rc = h && h[0] != '*' ? 0 : -1;
    if (rc == 0 && found < nusers && strlen(h) == a->users[found].hash_len)
        rc = auth_ct_equal(h, a->users[found].hash, a->users[found].hash_len);
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return rc;
}

/* Verifies credentials whose tag is known and records the result: good ones
 * in the cache and as known, failures in the memory of failures. */
static bool verify_tagged(struct auth *a, const char *user, const char *pass,
                          const unsigned char *tag)
{
    if (!a || a->n == 0)
        return false;
    int rc = verify_bcrypt(a, user, pass);
    double now = mono_now_s();
    if (rc == 1) {
        table_put(a, a->cache, AUTH_CACHE, tag, now, AUTH_CACHE_TTL);
        known_put(a, tag);
    } else if (rc == 0) {
        table_put(a, a->bad, AUTH_BAD, tag, now, AUTH_BAD_TTL);
    }
    return rc == 1;
}

bool auth_verify(struct auth *a, const char *user, const char *pass)
{
    if (!a || a->n == 0)
        return false;
    unsigned char tag[AUTH_TAG];
    tag_of(a, user, pass, tag);
    bool ok = verify_tagged(a, user, pass, tag);
    explicit_bzero(tag, sizeof(tag));
    return ok;
}

enum auth_quick auth_quick_check(struct auth *a, const char *header, struct auth_job *job)
{
    memset(job->source, 0, sizeof(job->source));
    job->a = a;
    job->priority = false;
    if (auth_parse_basic(header, job->user, sizeof(job->user), job->pass, sizeof(job->pass)) < 0) {
        explicit_bzero(job->pass, sizeof(job->pass));
        auth_count(AUTH_R_MISSING);
        return AUTH_REJECT;
    }
    tag_of(a, job->user, job->pass, job->tag);
    double now = mono_now_s();
    enum auth_quick q = AUTH_VERIFY;
    if (table_has(a, a->cache, AUTH_CACHE, job->tag, now)) {
        auth_count(AUTH_R_CACHED);
        q = AUTH_ACCEPT;
    } else if (table_has(a, a->bad, AUTH_BAD, job->tag, now)) {
        auth_count(AUTH_R_BAD_CACHED);
        q = AUTH_REJECT;
    } else {
        job->priority = table_has(a, a->known, AUTH_KNOWN, job->tag, 0);
    }
    if (q != AUTH_VERIFY) {
        explicit_bzero(job->pass, sizeof(job->pass));
        explicit_bzero(job->tag, sizeof(job->tag));
    }
    return q;
}

void auth_job_source(struct auth_job *job, const struct sockaddr *sa)
{
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(job->source, 0, sizeof(job->source));
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        job->source[0] = 4;
        memcpy(job->source + 1, &in->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        const unsigned char *b = in6->sin6_addr.s6_addr;
        if (memcmp(b, v4mapped, sizeof(v4mapped)) == 0) {
            job->source[0] = 4;
            memcpy(job->source + 1, b + 12, 4);
        } else {
            job->source[0] = 6;
            memcpy(job->source + 1, b, 8); /* the /64: one host usually has all of it */
        }
    }
}

/* ---- the worker -------------------------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stopping;
    struct auth_job *head, *tail; /* in order of arrival */
    size_t queued;
    struct auth_job *withdrawn; /* taken out of the queue: done is still to run */
    bool checking;              /* the worker runs a check */
    uint64_t turn;              /* of the job last taken */
} W = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static bool same_source(const struct auth_job *x, const struct auth_job *y)
{
    return memcmp(x->source, y->source, AUTH_SOURCE_LEN) == 0;
}

/* Unlinks job j (prev: the one before it, or NULL). W.mu held. */
static void unlink_job(struct auth_job *prev, struct auth_job *j)
{
    if (prev)
        prev->next = j->next;
    else
        W.head = j->next;
    if (W.tail == j)
        W.tail = prev;
    W.queued--;
    j->next = NULL;
}

/* The next job to run: the oldest with priority, else the oldest of the
 * lowest turn. Unlinked. W.mu held. */
static struct auth_job *take_next(void)
{
    struct auth_job *best = NULL, *best_prev = NULL, *prev = NULL;
    for (struct auth_job *k = W.head; k; prev = k, k = k->next) {
        if (k->priority) {
            best = k;
            best_prev = prev;
            break;
        }
        if (!best || k->turn < best->turn) {
            best = k;
            best_prev = prev;
        }
    }
    if (best) {
        unlink_job(best_prev, best);
        if (!best->priority)
            W.turn = best->turn;
    }
    return best;
}

/* Finishes a job that gave up its place unverified: counted as refused, its
 * secrets wiped, done run with busy set. Without W.mu. */
static void finish_busy(struct auth_job *j)
{
    auth_count(AUTH_R_REFUSED);
    j->busy = true;
    explicit_bzero(j->pass, sizeof(j->pass));
    explicit_bzero(j->tag, sizeof(j->tag));
    j->done(j);
}

/* Runs queued verifications one at a time: bcrypt is CPU-bound by design, and
 * one at a time keeps a flood of bad passwords to one core. */
static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&W.mu);
    for (;;) {
        while (!W.head && !W.withdrawn && !W.stopping)
            pthread_cond_wait(&W.cv, &W.mu);
        if (W.withdrawn) {
            struct auth_job *w = W.withdrawn;
            W.withdrawn = w->next;
            w->next = NULL;
            pthread_mutex_unlock(&W.mu);
            finish_busy(w);
            pthread_mutex_lock(&W.mu);
            continue;
        }
        struct auth_job *j = take_next();
        if (!j)
            break; /* stopping and drained */
        bool cancel = W.stopping;
        W.checking = true;
        pthread_mutex_unlock(&W.mu);
        j->cancelled = cancel;
        j->busy = false;
        j->ok = !cancel && verify_tagged(j->a, j->user, j->pass, j->tag);
        if (!cancel)
            auth_count(j->ok ? AUTH_R_OK : AUTH_R_BAD);
        explicit_bzero(j->pass, sizeof(j->pass));
        explicit_bzero(j->tag, sizeof(j->tag));
        pthread_mutex_lock(&W.mu);
        W.checking = false;
        pthread_mutex_unlock(&W.mu);
        j->done(j);
        pthread_mutex_lock(&W.mu);
    }
    pthread_mutex_unlock(&W.mu);
    return NULL;
}

int auth_worker_start(void)
{
    pthread_mutex_lock(&W.mu);
    int rc = 0;
    if (!W.running) {
        W.stopping = false;
        rc = -pthread_create(&W.thread, NULL, worker_main, NULL);
        W.running = rc == 0;
    }
    pthread_mutex_unlock(&W.mu);
    return rc;
}

int auth_worker_submit(struct auth_job *job)
{
    int rc = 0;
    struct auth_job *out = NULL; /* a job that gives its place to this one */
    job->next = NULL;
    job->ok = job->cancelled = job->busy = false;
    pthread_mutex_lock(&W.mu);
    if (!W.running || W.stopping) {
        rc = -ESHUTDOWN;
        goto out;
    }
    /* its turn: one after its address's last, or after the one being served */
    size_t same = 0;
    job->turn = W.turn + 1;
    if (!job->priority) {
        for (struct auth_job *k = W.head; k; k = k->next) {
            if (k->priority || !same_source(k, job))
                continue;
            same++;
            if (k->turn + 1 > job->turn)
                job->turn = k->turn + 1;
        }
    }
    if (same >= AUTH_PER_SOURCE) {
        rc = -EAGAIN;
        goto out;
    }
    if (W.queued >= AUTH_QUEUE_MAX) {
        /* Full: the job with the latest turn (the newest, among equals)
         * gives way if its turn is later than this one's. */
        struct auth_job *victim = NULL, *victim_prev = NULL, *prev = NULL;
        for (struct auth_job *k = W.head; k; prev = k, k = k->next) {
            if (!k->priority && (!victim || k->turn >= victim->turn)) {
                victim = k;
                victim_prev = prev;
            }
        }
        if (!victim || (!job->priority && victim->turn <= job->turn)) {
            rc = -EAGAIN;
            goto out;
        }
        unlink_job(victim_prev, victim);
        out = victim;
    }
    if (W.tail)
        W.tail->next = job;
    else
        W.head = job;
    W.tail = job;
    W.queued++;
    pthread_cond_signal(&W.cv);
out:
    pthread_mutex_unlock(&W.mu);
    if (rc == -EAGAIN)
        auth_count(AUTH_R_REFUSED);
    if (out)
        finish_busy(out);
    return rc;
}

bool auth_worker_withdraw(struct auth_job *job)
{
    bool found = false;
    pthread_mutex_lock(&W.mu);
    struct auth_job *prev = NULL;
    for (struct auth_job *k = W.head; k; prev = k, k = k->next) {
        if (k == job) {
            unlink_job(prev, k);
            k->next = W.withdrawn;
            W.withdrawn = k;
            found = true;
            pthread_cond_signal(&W.cv);
            break;
        }
    }
    pthread_mutex_unlock(&W.mu);
    return found;
}

size_t auth_worker_pending(void)
{
    pthread_mutex_lock(&W.mu);
    size_t n = W.queued + (W.checking ? 1 : 0);
    pthread_mutex_unlock(&W.mu);
    return n;
}

void auth_worker_stop(void)
{
    pthread_mutex_lock(&W.mu);
    if (!W.running) {
        pthread_mutex_unlock(&W.mu);
        return;
    }
    W.stopping = true;
    pthread_cond_signal(&W.cv);
    pthread_mutex_unlock(&W.mu);
    pthread_join(W.thread, NULL);
    pthread_mutex_lock(&W.mu);
    W.running = false;
    pthread_mutex_unlock(&W.mu);
}
