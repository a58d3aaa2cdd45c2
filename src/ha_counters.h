/* SPDX-License-Identifier: Apache-2.0 */
/* The counter key file of active-only HA (docs/design.md, "HA counters").
 *
 * The active exporter writes which counter and histogram series it serves
 * (families with their help, histogram bucket bounds, label sets; no values)
 * to a file on shared storage; a standby renders every series of that file
 * that its own frozen counters lack, at 0, so the series exists before the
 * standby becomes active and Prometheus's increase() sees its first
 * increment.
 *
 * The file is text, one record a line, every name and string as '=' and its
 * bytes with the bytes 0x00-0x20, 0x7F and '%' written %XX:
 *
 *   slurm_exporter-ha-counters 1          magic and version
 *   family counter =NAME =HELP            NAME: a counter's without "_total"
 *   family histogram =NAME =HELP
 *   bounds B1 B2 ...                      a histogram's finite bucket bounds,
 *                                         increasing (+Inf implied), right
 *                                         after its family line
 *   series =LABEL =VALUE =LABEL =VALUE    a series of the family above, its
 *                                         labels as exposed (a cluster base
 *                                         label included; "le" never)
 *   end RECORDS DROPPED                   the lines between the first and
 *                                         this one; series left out (bounds)
 *
 * Bounds: at most HA_KEYS_MAX_BYTES bytes, HA_KEYS_MAX_FAMILIES families,
 * HA_KEYS_MAX_SERIES series, HA_KEYS_MAX_LABELS labels a series and
 * HA_KEYS_MAX_BOUNDS bucket bounds a histogram; the writer leaves out what
 * does not fit (counted in DROPPED), the reader renders no more than that
 * either. A histogram's bounds are its first series' (the exporter's
 * histograms have one set of bounds a family). */
#ifndef SE_HA_COUNTERS_H
#define SE_HA_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "render.h"
#include "util/buf.h"

#define HA_KEYS_MAGIC "slurm_exporter-ha-counters"
#define HA_KEYS_VERSION 1
#define HA_KEYS_MAX_BYTES (32u << 20)
#define HA_KEYS_MAX_FAMILIES 4096u
#define HA_KEYS_MAX_SERIES 500000u
#define HA_KEYS_MAX_LABELS 32u
#define HA_KEYS_MAX_BOUNDS 64u

/* Smaller bounds (tests); 0 in a field: its HA_KEYS_MAX_ default, which is
 * also the most a field may be. */
struct ha_keys_limits {
    size_t bytes, families, series;
};

/* Appends to out the key file of an exposition [text, text+len) in the text
 * format 0.0.4: its counter and histogram families and their series, each
 * once, in the order of the text (other families and lines are ignored).
 * lim NULL: the HA_KEYS_MAX_ bounds. Returns the series left out for a
 * bound (also in the end line). */
size_t ha_keys_format(const char *text, size_t len, const struct ha_keys_limits *lim,
                      struct buf *out);

/* The key file as one exporter last wrote or read it: a hash of its bytes
 * and the file's identity then (device, inode, size, modification time;
 * every write makes a new inode), and a reader's copy of the bytes. Zeroed
 * before the first use; ha_keys_file_free frees the copy. */
struct ha_keys_file {
    bool have;
    uint64_t hash;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    char *text;
    size_t len;
};

/* Writes ha_keys_format(text, len, NULL, ..) to path atomically (a
 * temporary file named for host and pid, fsync, rename), unless last (what
 * this writer wrote before, updated here) says the file holds these bytes
 * already and it is still that file: the active exporter builds every few
 * seconds, its counter series change far less often, and the file is on
 * shared storage. Returns 0 (written), 1 (unchanged: not written) or
 * -errno; series left out for a bound are logged as a warning. */
int ha_keys_write(const char *path, const char *text, size_t len, struct ha_keys_file *last);

/* Reads path (at most HA_KEYS_MAX_BYTES) into f->text, unless f holds a
 * copy of the same file already (same device, inode, size and modification
 * time, taken from the opened file: on NFS an open asks the server, a stat
 * may not; and each write leaves a later modification time than the file it
 * replaces). Returns 0 (read), 1 (unchanged) or -errno (f emptied; -EFBIG
 * for a file too large). */
int ha_keys_read(const char *path, struct ha_keys_file *f);

void ha_keys_file_free(struct ha_keys_file *f);

/* Renders into out every family and series of the key file [file_text,
 * file_text+len) that own_text (an exposition in the text format 0.0.4,
 * the standby's own frozen counters; may be empty) does not serve, with
 * value 0 (a histogram: every bucket, the sum and the count 0, with the
 * file's bounds), through render_family / render_sample / render_histogram,
 * so both formats come out as the collectors' would. out->track is set, so
 * out can be given to render_merge with the own render; out->base should be
 * unset (the file's series carry every exposed label). A family the own
 * text serves with another type is left out. A bad line (and the series
 * lines of a bad family) is skipped and counted; a file larger than
 * HA_KEYS_MAX_BYTES, or a bad first line (magic, version), is an error.
 * Returns the number of bad lines (0: a clean file), or -EINVAL with the
 * reason in err. */
int ha_keys_zero_render(const char *file_text, size_t len, const char *own_text, size_t own_len,
                        struct render *out, char *err, size_t errlen);

#endif
