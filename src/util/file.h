/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-file reads for configuration files and the files they name, and the
 * one-line form of messages that echo their text. */
#ifndef SE_FILE_H
#define SE_FILE_H

#include <stddef.h>

/* Reads a whole file of at most cap bytes into a NUL-terminated malloc'ed
 * buffer. Returns 0, -EFBIG when larger, or -errno. */
int file_slurp(const char *path, size_t cap, char **out, size_t *len);

/* file_slurp of an open file, from where it stands; fd stays open. */
int file_slurp_fd(int fd, size_t cap, char **out, size_t *len);

/* Replaces control characters in an error message by '?', so that text
 * echoed from a file (a quoted key may hold a newline) keeps it one line. */
void file_one_line(char *s);

/* The name to write path's new content under before the rename: path plus
 * ".tmp.<host>.<pid>", so that writers on several hosts sharing a directory
 * (--slurm.ha-state-dir) never write one file. Returns 0, or -ENAMETOOLONG. */
int file_tmp_name(char *out, size_t cap, const char *path);

#endif
