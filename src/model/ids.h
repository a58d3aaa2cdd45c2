/* SPDX-License-Identifier: Apache-2.0 */
/* The datasets (tables.def): their ids, names and default intervals. */
#ifndef SE_MODEL_IDS_H
#define SE_MODEL_IDS_H

enum dataset_id {
#define DATASET(e, label, iv, src, type, member) DS_##e,
#include "tables.def"
    DS_COUNT
};
#define DSB(e) (1u << DS_##e)

extern const char *const dataset_names[DS_COUNT];
extern const int dataset_default_interval[DS_COUNT];

#endif
