/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP basic authentication against bcrypt hashes: header decoding, a
 * verifier with the same cost for unknown users as for known ones, a cache of
 * recent good credentials and a memory of recent failures, and one worker
 * thread that runs bcrypt so the HTTP threads never block on it, serving
 * client addresses in turn so a flood from some cannot hold up the others. */
#ifndef SE_AUTH_H
#define SE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webconfig_types.h"

#define AUTH_MAX_USER 256
#define AUTH_MAX_PASS 1024
#define AUTH_TAG 32       /* bytes of the keyed hash of a user and password */
#define AUTH_QUEUE_MAX 64 /* checks waiting for the worker, all clients */
#define AUTH_PER_SOURCE 4 /* checks waiting from one client address */
#define AUTH_SOURCE_LEN 9 /* family byte, then an IPv4 address or an IPv6 /64 */

struct auth;
struct render;
struct sockaddr;

/* True when hash is a bcrypt hash ($2a$, $2b$ or $2y$, a two-digit cost from
 * 4 to 31, 53 characters of salt and checksum); *cost gets the cost. */
bool auth_hash_valid(const char *hash, int *cost);

/* Builds the verifier for the configured users (copied). Returns 0. */
int auth_create(const struct webconfig_user *users, size_t n, struct auth **out);
/* Frees the verifier and wipes its key and cache. NULL is fine. */
void auth_free(struct auth *a);

/* Decodes an "Authorization: Basic base64(user:password)" header value.
 * Returns 0, or -EINVAL for anything else (other schemes, bad base64, no
 * colon, a NUL byte, a user or password too long). */
int auth_parse_basic(const char *header, char *user, size_t userlen, char *pass, size_t passlen);

/* True when these credentials were verified recently (the cache); cheap. */
bool auth_check_cached(struct auth *a, const char *user, const char *pass);

/* Outcomes of authentication: the label values of
 * slurm_exporter_http_auth_total{result}. */
#define AUTH_RESULTS(X)                                                                            \
    X(OK, "ok")                 /* bcrypt accepted the password */                                 \
    X(CACHED, "cached")         /* good credentials seen within ten minutes: no bcrypt */          \
    X(BAD, "bad")               /* bcrypt refused (wrong password, unknown user) */                \
    X(BAD_CACHED, "bad_cached") /* the same wrong credentials again within a minute: no bcrypt */  \
    X(REFUSED, "refused")       /* no room to wait for the worker: 429 */                          \
    X(MISSING, "missing")       /* no or malformed Authorization header */

enum auth_result {
#define X(e, s) AUTH_R_##e,
    AUTH_RESULTS(X)
#undef X
        AUTH_R_COUNT
};

/* Counts one outcome (atomic; process-wide, across reloads). */
void auth_count(enum auth_result r);
uint64_t auth_counted(enum auth_result r);
/* Writes slurm_exporter_http_auth_total. */
void auth_render_metrics(struct render *r);

/* A verification handed to the worker. The submitter owns the memory and
 * must keep it alive until done runs (on the worker thread, or on the thread
 * of a later submit that takes its place in a full queue). */
struct auth_job {
    struct auth *a;
    char user[AUTH_MAX_USER];
    char pass[AUTH_MAX_PASS];
    unsigned char tag[AUTH_TAG];           /* keyed hash of user and password */
    unsigned char source[AUTH_SOURCE_LEN]; /* client address (auth_job_source) */
    bool priority; /* these credentials passed before under this configuration */
    bool ok;
    bool cancelled; /* the worker was stopping: not verified */
    bool busy;      /* gave its place to a client with fewer checks waiting: not verified */
    uint64_t turn;  /* worker: its turn among the addresses waiting (fair queueing) */
    void (*done)(struct auth_job *job);
    void *arg;
    struct auth_job *next;
};

enum auth_quick {
    AUTH_ACCEPT, /* good credentials from the cache */
    AUTH_REJECT, /* 401 now: no or malformed header, or a recent failure repeated */
    AUTH_VERIFY, /* needs bcrypt: submit the job */
};

/* The cheap first look at a request's Authorization header, on the HTTP
 * thread: decodes it into job (user, password, tag, priority; a is set) and
 * checks the cache of good credentials and the memory of recent failures.
 * Counts the outcome unless it is AUTH_VERIFY. The password is wiped unless
 * it is AUTH_VERIFY; the caller then sets done, arg and the source. */
enum auth_quick auth_quick_check(struct auth *a, const char *header, struct auth_job *job);

/* Sets the job's client address: an IPv4 address (also when mapped into
 * IPv6), or the /64 of an IPv6 address; NULL or another family: one shared
 * "unknown" address. */
void auth_job_source(struct auth_job *job, const struct sockaddr *sa);

/* Verifies the credentials with bcrypt: for an unknown user against a
 * made-up hash of a configured user's cost, so that the time spent does not
 * tell which users exist. Good credentials are cached. Slow by design (tens of
 * milliseconds at cost 10); call from the worker. */
bool auth_verify(struct auth *a, const char *user, const char *pass);
/* The bcrypt setting a name's password is checked against: the user's own
 * hash, or for an unknown name a made-up one of a configured user's cost, so
 * an unknown name costs what a known one does (NULL without users). */
const char *auth_setting_for(const struct auth *a, const char *user);

/* Compares n bytes in time that depends on n only. */
bool auth_ct_equal(const void *a, const void *b, size_t n);

/* Starts the worker thread. Returns 0 or -errno. */
int auth_worker_start(void);
/* Queues a job. Jobs with priority run first, in order of arrival. The
 * others run one per client address in turn (round robin): a job's turn is one
 * after the last queued job of its address, or one after the turn now being
 * served when its address has none waiting; the lowest turn runs next, the
 * oldest first among equal turns. So a client waits for at most one check
 * per other address with checks waiting, however many those have queued. At
 * most AUTH_PER_SOURCE jobs wait from one address (priority jobs aside) and
 * AUTH_QUEUE_MAX in all; when full, a job takes the place of the job with the
 * latest turn if that turn is later than its own (that job's done runs at once,
 * with busy set). Returns 0, -EAGAIN when there is no room (the caller should
 * answer 429; counted as refused), or -ESHUTDOWN once stopping. */
int auth_worker_submit(struct auth_job *job);
/* Takes a job that still waits in the queue out of it (its connection is
 * being closed): it is never verified, and its done runs soon on the worker
 * thread with busy set (counted as refused). Returns false when the job is not
 * waiting: the worker has taken it, or it has finished. The caller may hold its
 * own locks: the worker never calls done with the queue's lock held. */
bool auth_worker_withdraw(struct auth_job *job);
/* Checks queued or being run by the worker now. */
size_t auth_worker_pending(void);
/* Stops taking jobs, finishes every queued job as cancelled and joins the
 * thread. Idempotent. */
void auth_worker_stop(void);

#endif
