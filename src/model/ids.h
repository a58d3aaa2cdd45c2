/* SPDX-License-Identifier: Apache-2.0 */
/* The datasets (datasets.def): their ids, names and default intervals. */
#ifndef SE_MODEL_IDS_H
#define SE_MODEL_IDS_H

enum dataset_id {
#define X(e, label, iv, src, type, member) DS_##e,
#include "datasets.def"
#undef X
    DS_COUNT
};
#define DSB(e) (1u << DS_##e)

extern const char *const dataset_names[DS_COUNT];
extern const int dataset_default_interval[DS_COUNT];

#endif
