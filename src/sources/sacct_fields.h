/* SPDX-License-Identifier: Apache-2.0 */
/* The sacct --format fields, in order: one list makes both the --format
 * value and the index of each field in a --parsable2 line ('|' between
 * fields), so a parser reads f[SA_STATE], never f[1]. */
#ifndef SE_SACCT_FIELDS_H
#define SE_SACCT_FIELDS_H

/* X(ENUM, "sacct name"); LAST marks the final field (no ',' after it). */
#define SACCT_FIELDS(X, LAST)                                                                      \
    X(JOB_ID_RAW, "JobIDRaw")                                                                      \
    X(STATE, "State")                                                                              \
    X(PARTITION, "Partition")                                                                      \
    X(ACCOUNT, "Account")                                                                          \
    X(SUBMIT, "Submit")                                                                            \
    X(ELIGIBLE, "Eligible")                                                                        \
    X(START, "Start")                                                                              \
    X(END, "End")                                                                                  \
    X(ELAPSED_RAW, "ElapsedRaw")                                                                   \
    X(ALLOC_TRES, "AllocTRES")                                                                     \
    X(TOTAL_CPU, "TotalCPU")                                                                       \
    X(MAX_RSS, "MaxRSS")                                                                           \
    LAST(NTASKS, "NTasks")

enum sacct_field {
#define SA_ENUM_(e, name) SA_##e,
    SACCT_FIELDS(SA_ENUM_, SA_ENUM_)
#undef SA_ENUM_
        SA_FIELD_COUNT
};

/* Fields appended after the fixed ones only with --accounting.users, so
 * that the default --format stays what it was. Same X(ENUM, "name") form. */
#define SACCT_USER_FIELDS(X, LAST) LAST(USER, "User")

enum sacct_user_field {
#define SA_UENUM_(e, name) SA_##e##_,
    SACCT_USER_FIELDS(SA_UENUM_, SA_UENUM_)
#undef SA_UENUM_
        SA_USER_FIELD_COUNT
};
/* their indices in a line of the --accounting.users format */
enum {
    SA_USER = SA_FIELD_COUNT + SA_USER_,
    SA_FIELD_COUNT_USERS = SA_FIELD_COUNT + SA_USER_FIELD_COUNT
};

/* "JobIDRaw,State,...,NTasks", a string literal; with --accounting.users
 * "JobIDRaw,State,...,NTasks,User". */
#define SA_SPEC_(e, name) name ","
#define SA_SPEC_LAST_(e, name) name
#define CLI_SACCT_FORMAT SACCT_FIELDS(SA_SPEC_, SA_SPEC_LAST_)
#define CLI_SACCT_FORMAT_USERS CLI_SACCT_FORMAT "," SACCT_USER_FIELDS(SA_SPEC_, SA_SPEC_LAST_)

#endif
