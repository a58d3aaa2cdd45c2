/* SPDX-License-Identifier: Apache-2.0 */
/* The version dataset's model: the Slurm release of the commands the
 * exporter runs, as they print it with --version. */
#ifndef SE_MODEL_VERSION_H
#define SE_MODEL_VERSION_H

/* Longest version string kept; a longer one is not a Slurm version. */
#define SLURM_VERSION_MAX 64

struct version_model {
    /* "24.11.5", "23.02.0-0rc1": the release as printed, without the
     * package name ("slurm", Debian's "slurm-wlm"); "" until a line was
     * read. Always a valid label value: digits, letters and . _ + ~ - */
    char version[SLURM_VERSION_MAX + 1];
};

#endif
