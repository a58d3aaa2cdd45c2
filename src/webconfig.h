/* SPDX-License-Identifier: Apache-2.0 */
/* --web.config.file: the exporter-toolkit web configuration (TLS, client
 * certificates, basic auth, response headers, rate limit), read strictly into
 * a struct webconfig (webconfig_types.h). The live state served with is
 * webconfig_live.h. */
#ifndef SE_WEBCONFIG_H
#define SE_WEBCONFIG_H

#include <stddef.h>

#include "webconfig_types.h"

/* Parses the YAML text of a web configuration read from path (used for
 * messages and to resolve relative file names). On error returns -EINVAL and
 * writes one line "PATH:LINE: what" (or "PATH: what") into err. */
int webconfig_parse(const char *path, const char *text, size_t len, struct webconfig **out,
                    char *err, size_t errlen);

/* Reads and parses the file at path (at most 1 MiB). Errors as above;
 * -errno from reading the file. */
int webconfig_read(const char *path, struct webconfig **out, char *err, size_t errlen);

/* Frees a configuration from webconfig_parse or webconfig_read; NULL is fine.
 * The inline key, if any, is wiped first. */
void webconfig_free(struct webconfig *wc);

/* Names of the client_auth_type values, for messages and docs. */
const char *webconfig_client_auth_name(enum webconfig_client_auth a);

#endif
