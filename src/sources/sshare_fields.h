/* SPDX-License-Identifier: Apache-2.0 */
/* The sshare --format fields, in order: one list makes both the --format
 * value and the index of each field in a --parsable2 line ('|' between
 * fields), so a parser reads f[SS_USER], never f[1]. */
#ifndef SE_SSHARE_FIELDS_H
#define SE_SSHARE_FIELDS_H

/* X(ENUM, "sshare name"); LAST marks the final field (no ',' after it).
 * Account comes first: a header line is recognised by "Account|". */
#define SSHARE_FIELDS(X, LAST)                                                                     \
    X(ACCOUNT, "Account")                                                                          \
    X(USER, "User")                                                                                \
    X(RAW_SHARES, "RawShares")                                                                     \
    X(NORM_SHARES, "NormShares")                                                                   \
    X(RAW_USAGE, "RawUsage")                                                                       \
    X(NORM_USAGE, "NormUsage")                                                                     \
    X(EFFECTV_USAGE, "EffectvUsage")                                                               \
    X(FAIR_SHARE, "FairShare")                                                                     \
    X(LEVEL_FS, "LevelFS")                                                                         \
    X(PARTITION, "Partition")                                                                      \
    LAST(CLUSTER, "Cluster")

enum sshare_field {
#define SS_ENUM_(e, name) SS_##e,
    SSHARE_FIELDS(SS_ENUM_, SS_ENUM_)
#undef SS_ENUM_
        SS_FIELD_COUNT
};

/* "Account,User,...,Cluster", a string literal. */
#define SS_SPEC_(e, name) name ","
#define SS_SPEC_LAST_(e, name) name
#define SSHARE_FORMAT SSHARE_FIELDS(SS_SPEC_, SS_SPEC_LAST_)

_Static_assert(SS_ACCOUNT == 0, "sshare: a header line is recognised by its first field");

#endif
