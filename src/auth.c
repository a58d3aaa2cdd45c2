/* SPDX-License-Identifier: Apache-2.0 */
/* Basic auth with bcrypt (libxcrypt's crypt_rn). Users are found by a keyed
 * hash of the name compared against every user, unknown users run bcrypt on a
 * made-up hash of a configured cost, results are compared in constant time,
 * and good credentials are remembered (as a keyed hash, never the password)
 * for a while so a scraper pays bcrypt once, not every scrape. */
#include "auth.h"
#include "util/buf.h"
#include "util/clock.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define AUTH_TAG 32
#define AUTH_CACHE 64
#define AUTH_CACHE_TTL 600.0
#define AUTH_QUEUE_MAX 64

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
    pthread_mutex_t mu; /* cache */
    struct auth_cache_entry cache[AUTH_CACHE];
};

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

bool auth_check_cached(struct auth *a, const char *user, const char *pass)
{
    unsigned char tag[AUTH_TAG];
    tag_of(a, user, pass, tag);
    double now = mono_now_s();
    bool hit = false;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < AUTH_CACHE; i++) {
        bool eq = auth_ct_equal(a->cache[i].tag, tag, AUTH_TAG);
        hit |= eq && a->cache[i].expires > now;
    }
    pthread_mutex_unlock(&a->mu);
    explicit_bzero(tag, sizeof(tag));
    return hit;
}

static void cache_put(struct auth *a, const char *user, const char *pass)
{
    unsigned char tag[AUTH_TAG];
    tag_of(a, user, pass, tag);
    double now = mono_now_s();
    pthread_mutex_lock(&a->mu);
    size_t slot = 0;
    for (size_t i = 0; i < AUTH_CACHE; i++) {
        if (auth_ct_equal(a->cache[i].tag, tag, AUTH_TAG)) {
            slot = i;
            break;
        }
        if (a->cache[i].expires < a->cache[slot].expires)
            slot = i; /* the oldest (or an empty) entry */
    }
    memcpy(a->cache[slot].tag, tag, AUTH_TAG);
    a->cache[slot].expires = now + AUTH_CACHE_TTL;
    pthread_mutex_unlock(&a->mu);
    explicit_bzero(tag, sizeof(tag));
}

bool auth_verify(struct auth *a, const char *user, const char *pass)
{
    size_t nusers = a ? a->n : 0;
    if (nusers == 0)
        return false;
    unsigned char tag[AUTH_TAG];
    tag_of(a, user, NULL, tag);
    /* Look at every user, so the time does not depend on which one matches. */
    size_t found = a->n;
    for (size_t i = 0; i < a->n; i++)
        if (auth_ct_equal(a->users[i].name_tag, tag, AUTH_TAG))
            found = i;
    /* An unknown name always maps to the same configured user's cost. */
    size_t dummy = ((size_t)tag[0] << 8 | tag[1]) % nusers;
    const char *setting = found < a->n ? a->users[found].hash : a->users[dummy].dummy;
    struct crypt_data *cd = xcalloc(1, sizeof(*cd));
    const char *h = crypt_rn(pass, setting, cd, (int)sizeof(*cd));
    bool ok = false;
    if (found < a->n && h && strlen(h) == a->users[found].hash_len)
        ok = auth_ct_equal(h, a->users[found].hash, a->users[found].hash_len);
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    explicit_bzero(tag, sizeof(tag));
    if (ok)
        cache_put(a, user, pass);
    return ok;
}

/* ---- the worker -------------------------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stopping;
    struct auth_job *head, *tail;
    size_t queued;
} W = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* Runs queued verifications one at a time: bcrypt is CPU-bound by design, and
 * one at a time keeps a flood of bad passwords to one core. */
static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&W.mu);
    for (;;) {
        while (!W.head && !W.stopping)
            pthread_cond_wait(&W.cv, &W.mu);
        struct auth_job *j = W.head;
        if (!j)
            break; /* stopping and drained */
        W.head = j->next;
        if (!W.head)
            W.tail = NULL;
        W.queued--;
        bool cancel = W.stopping;
        pthread_mutex_unlock(&W.mu);
        j->cancelled = cancel;
        j->ok = !cancel && auth_verify(j->a, j->user, j->pass);
        explicit_bzero(j->pass, sizeof(j->pass));
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
    pthread_mutex_lock(&W.mu);
    if (!W.running || W.stopping) {
        rc = -ESHUTDOWN;
    } else if (W.queued >= AUTH_QUEUE_MAX) {
        rc = -EAGAIN;
    } else {
        job->next = NULL;
        if (W.tail)
            W.tail->next = job;
        else
            W.head = job;
        W.tail = job;
        W.queued++;
        pthread_cond_signal(&W.cv);
    }
    pthread_mutex_unlock(&W.mu);
    return rc;
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
