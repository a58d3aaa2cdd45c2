/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP basic authentication against bcrypt hashes: header decoding, a
 * verifier with the same cost for unknown users as for known ones, a cache of
 * recent good credentials, and one worker thread that runs bcrypt so the HTTP
 * threads never block on it. */
#ifndef SE_AUTH_H
#define SE_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "webconfig_types.h"

#define AUTH_MAX_USER 256
#define AUTH_MAX_PASS 1024

struct auth;

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

/* Verifies the credentials with bcrypt: for an unknown user against a
 * made-up hash of a configured user's cost, so that the time spent does not
 * tell which users exist. Good credentials are cached. Slow by design (tens of
 * milliseconds at cost 10); call from the worker. */
bool auth_verify(struct auth *a, const char *user, const char *pass);

/* Compares n bytes in time that depends on n only. */
bool auth_ct_equal(const void *a, const void *b, size_t n);

/* A verification handed to the worker. The submitter owns the memory and
 * must keep it alive until done runs (on the worker thread). */
struct auth_job {
    struct auth *a;
    char user[AUTH_MAX_USER];
    char pass[AUTH_MAX_PASS];
    bool ok;
    bool cancelled; /* the worker was stopping: not verified */
    void (*done)(struct auth_job *job);
    void *arg;
    struct auth_job *next;
};

/* Starts the worker thread. Returns 0 or -errno. */
int auth_worker_start(void);
/* Queues a job. Returns 0, -EAGAIN when the queue is full (the caller should
 * answer 429), or -ESHUTDOWN once stopping. */
int auth_worker_submit(struct auth_job *job);
/* Stops taking jobs, finishes every queued job as cancelled and joins the
 * thread. Idempotent. */
void auth_worker_stop(void);

#endif
