/* SPDX-License-Identifier: Apache-2.0 */
/* The Authorization header decoder: any header gives either -EINVAL or a
 * user without ':' and a password, both NUL-terminated within their buffers
 * and together no longer than the decoded header. */
#include "fuzz_common.h"
#include "auth.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *h = malloc(size + 1);
    if (!h)
        abort();
    memcpy(h, data, size);
    h[size] = '\0';
    char user[AUTH_MAX_USER], pass[AUTH_MAX_PASS];
    int rc = auth_parse_basic(h, user, sizeof(user), pass, sizeof(pass));
    if (rc == 0) {
        size_t ul = strnlen(user, sizeof(user)), pl = strnlen(pass, sizeof(pass));
        if (ul == sizeof(user) || pl == sizeof(pass))
            fz_fail("unterminated user or password", NULL, 0);
        if (memchr(user, ':', ul))
            fz_fail("colon in the user", NULL, 0);
        if ((ul + 1 + pl) > size)
            fz_fail("decoded longer than the header", NULL, 0);
    } else if (rc != -EINVAL) {
        fz_fail("unexpected error code", NULL, 0);
    }
    free(h);
    return 0;
}
