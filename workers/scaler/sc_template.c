/* Embedded scripts (see sc_template.h).  .incbin paths are relative to the source root,
 * where make runs.  Known limit: the compiler's dependency file does not list them, so
 * after editing a script, touch this file (or `make clean`). */
#include "workers/scaler/sc_template.h"

__asm__(
	".pushsection .rodata\n"
	".balign 16\n"
	".hidden sc_tpl_userdata_start_\n.hidden sc_tpl_userdata_end_\n"
	".globl sc_tpl_userdata_start_\n.globl sc_tpl_userdata_end_\n"
	"sc_tpl_userdata_start_:\n"
	".incbin \"scripts/runner-user-data.sh.in\"\n"
	"sc_tpl_userdata_end_:\n"
	".byte 0\n"
	".balign 16\n"
	".hidden sc_tpl_prejob_start_\n.hidden sc_tpl_prejob_end_\n"
	".globl sc_tpl_prejob_start_\n.globl sc_tpl_prejob_end_\n"
	"sc_tpl_prejob_start_:\n"
	".incbin \"scripts/pre-job.sh\"\n"
	"sc_tpl_prejob_end_:\n"
	".byte 0\n"
	".popsection\n");

extern const char sc_tpl_userdata_start_[], sc_tpl_userdata_end_[];
extern const char sc_tpl_prejob_start_[], sc_tpl_prejob_end_[];

const char *sc_template_userdata(size_t *len)
{
	if (len)
		*len = (size_t)(sc_tpl_userdata_end_ - sc_tpl_userdata_start_);
	return sc_tpl_userdata_start_;
}

const char *sc_template_prejob(size_t *len)
{
	if (len)
		*len = (size_t)(sc_tpl_prejob_end_ - sc_tpl_prejob_start_);
	return sc_tpl_prejob_start_;
}
