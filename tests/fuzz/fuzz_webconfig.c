/* SPDX-License-Identifier: Apache-2.0 */
/* The web configuration loader: any bytes give either a configuration or one
 * error line "PATH:LINE: ..." / "PATH: ..." naming the file; never a crash,
 * leak or read past the input. The YAML reader's line numbers stay in range. */
#include "fuzz_common.h"
#include "util/yaml.h"
#include "webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a private copy, so reads past the end are caught exactly */
    char *text = malloc(size ? size : 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += text[i] == '\n';
    struct yaml_node *n = NULL;
    struct yaml_error ye;
    if (yaml_parse(text, size, &n, &ye) == 0) {
        if (!n || n->line < 1 || (size_t)n->line > lines)
            fz_fail("root line out of range", NULL, 0);
        yaml_free(n);
    } else if (ye.line < 0 || (size_t)ye.line > lines || !ye.msg[0]) {
        fz_fail("error line out of range or no message", NULL, (size_t)ye.line);
    }
    struct webconfig *wc = NULL;
    char err[1024] = "";
    int rc = webconfig_parse("/fuzz/web.yml", text, size, &wc, err, sizeof(err));
    if (rc == 0) {
        if (!wc)
            fz_fail("success without a configuration", NULL, 0);
        webconfig_free(wc);
    } else if (strncmp(err, "/fuzz/web.yml", 13) != 0 || strchr(err, '\n')) {
        fz_fail("error does not name the file on one line", NULL, 0);
    }
    free(text);
    return 0;
}
