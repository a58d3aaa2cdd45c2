/* SPDX-License-Identifier: Apache-2.0 */
/* The squeue -O fields, in order: one list makes both the field spec passed
 * to squeue and the index of each field in a line, so a parser reads
 * f[SQ_STATE], never f[2], and a moved field moves both. */
#ifndef SE_SQUEUE_FIELDS_H
#define SE_SQUEUE_FIELDS_H

/* X(ENUM, "squeue name"); LAST marks the final field, which has no '|'
 * after it: Reason, which is free text and so must stay last. */
#define SQUEUE_FIELDS(X, LAST)                                                                     \
    X(JOB_ID, "JobID")                                                                             \
    X(JOB_ARRAY_ID, "JobArrayID")                                                                  \
    X(STATE, "State")                                                                              \
    X(PARTITION, "Partition")                                                                      \
    X(USER_NAME, "UserName")                                                                       \
    X(ACCOUNT, "Account")                                                                          \
    X(QOS, "QOS")                                                                                  \
    X(NUM_CPUS, "NumCPUs")                                                                         \
    X(NUM_NODES, "NumNodes")                                                                       \
    X(TRES_ALLOC, "tres-alloc")                                                                    \
    X(SUBMIT_TIME, "SubmitTime")                                                                   \
    X(START_TIME, "StartTime")                                                                     \
    X(ELIGIBLE_TIME, "EligibleTime")                                                               \
    X(TRES_PER_NODE, "tres-per-node")                                                              \
    X(TRES_PER_JOB, "tres-per-job")                                                                \
    X(TRES_PER_TASK, "tres-per-task")                                                              \
    X(NUM_TASKS, "NumTasks")                                                                       \
    LAST(REASON, "Reason")

enum squeue_field {
#define SQ_ENUM_(e, name) SQ_##e,
    SQUEUE_FIELDS(SQ_ENUM_, SQ_ENUM_)
#undef SQ_ENUM_
        SQ_FIELD_COUNT
};

/* "JobID:0|,...,Reason:0": width 0 (no padding), '|' after every field but
 * the last. A string literal. */
#define SQ_SPEC_(e, name) name ":0|,"
#define SQ_SPEC_LAST_(e, name) name ":0"
#define CLI_SQUEUE_FORMAT SQUEUE_FIELDS(SQ_SPEC_, SQ_SPEC_LAST_)

_Static_assert(SQ_REASON == SQ_FIELD_COUNT - 1, "squeue: Reason is free text and must stay last");

#endif
