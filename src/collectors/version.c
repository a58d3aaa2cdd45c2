/* SPDX-License-Identifier: Apache-2.0 */
/* Version collector: the Slurm release of the commands the exporter runs, as
 * an info metric beside slurm_exporter_build_info. */
#include "collectors/collector.h"
#include "model/version.h"

void collect_version(const struct view *v, struct render *r, struct collect_out *o)
{
    (void)o;
    const struct version_model *m = view_version(v);
    if (!m || !m->version[0])
        return; /* nothing read: no series rather than a made-up one */
    render_family(r, "slurm_exporter_slurm_info", M_GAUGE,
                  "The Slurm release of the commands the exporter runs (scontrol --version); "
                  "the value is always 1.");
    struct label l[1] = {{"version", m->version}};
    render_sample(r, l, 1, 1);
}
