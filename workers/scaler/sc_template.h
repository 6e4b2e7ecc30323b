/* The built-in runner boot template and pre-job script, embedded at build time from
 * scripts/runner-user-data.sh.in and scripts/pre-job.sh, so that an installed scaler
 * needs no data file (runner.user_data_template overrides the template). */
#ifndef GHR_SC_TEMPLATE_H
#define GHR_SC_TEMPLATE_H

#include <stddef.h>

const char *sc_template_userdata(size_t *len);   /* NUL-terminated */
const char *sc_template_prejob(size_t *len);     /* NUL-terminated */

#endif
