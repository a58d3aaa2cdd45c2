/* SPDX-License-Identifier: Apache-2.0 */
/* The collectors' ids (tables.def), for code that turns collectors on
 * and off without running them (flags, the poller). */
#ifndef SE_COLLECTOR_IDS_H
#define SE_COLLECTOR_IDS_H

#include <stdbool.h>
#include <stdint.h>

enum collector_id {
#define COLLECTOR(name, on, prim, ds, help) COLLECTOR_##name,
#include "tables.def"
    COLLECTOR_COUNT
};

/* The datasets (DSB bits) the collectors marked in on[] read. */
uint32_t collectors_datasets(const bool on[COLLECTOR_COUNT]);

#endif
