/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-file reads for configuration files and the files they name. */
#include "util/file.h"
#include "util/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

void file_one_line(char *s)
{
    for (unsigned char *c = (unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            *c = '?';
}

int file_slurp(const char *path, size_t cap, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = file_slurp_fd(fd, cap, out, len);
    close(fd);
    return rc;
}

int file_slurp_fd(int fd, size_t cap, char **out, size_t *len)
{
    int rc = 0;
    struct buf b = {0};
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    for (;;) {
        buf_reserve(&b, 4096);
        ssize_t n = read(fd, b.p + b.len, b.cap - b.len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
        if (b.len > cap) {
            rc = -EFBIG;
            break;
        }
    }
    if (rc) {
        buf_free(&b);
        return rc;
    }
    buf_cstr(&b);
    *out = b.p ? b.p : xstrdup("");
    *len = b.len;
    return 0;
}

int file_tmp_name(char *out, size_t cap, const char *path)
{
    char host[64] = "";
    if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
        snprintf(host, sizeof(host), "host");
    for (char *c = host; *c; c++)
        if (*c == '/' || *c == '.')
            *c = '_';
    int n = snprintf(out, cap, "%s.tmp.%s.%d", path, host, (int)getpid());
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}
