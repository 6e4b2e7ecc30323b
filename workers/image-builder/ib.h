/* The image-builder worker: runner images built in the cloud, verified, kept fresh.
 * It holds no secret: it asks github (runner downloads) and openstack (servers, images)
 * over the bus.
 *
 *   ib_worker.c   config slice -> state, the check timer, shutdown
 *   ib_cycle.c    one image's cycle: debris cleanup, decision, build, prune, event
 *   ib_rules.c    pure rules: console result line, build reason, backoff, prune choice
 *   ib_script.c   the builder VM's user data (scripts/builder-user-data.sh.in)
 *   ib_methods.c  image.list, image.build, image.metrics
 *
 * Names and marks in the cloud (the state; nothing is trusted from before a restart):
 *   builder VM  <manager_id>-builder-<name>-<8 hex>, metadata ghr-manager, ghr-builder
 *               (the image name), ghr-build (the 8 hex)
 *   base image  (base_url only) Glance name <manager_id>-base-<name>, properties
 *               ghr-manager, ghr-base-of, ghr-base-sha256, ghr-base-url; uploaded again only
 *               when SHA256SUMS gives another checksum
 *   image       Glance name <manager_id>-<name>, properties ghr-manager, ghr-image,
 *               ghr-build, ghr-runner-version, ghr-base-image, ghr-base-checksum,
 *               ghr-built-at, ghr-builder-vm; tagged with the image's tag only once
 *               active, so an untagged one is a half-made image of an interrupted build. */
#ifndef GHR_IB_H
#define GHR_IB_H

#include <stdint.h>
#include <jansson.h>
#include "workers/runtime/worker.h"

#define IB_NAME_MAX 21
#define IB_ID_MAX 128
#define IB_TAG_MAX 128
#define IB_CALL_MS 60000              /* one bus call to github or openstack */

enum ib_step {
	IB_IDLE = 0,
	/* the check, before any build */
	IB_LIST_VMS, IB_DELETE_VMS, IB_LIST_PARTIAL, IB_DELETE_PARTIAL, IB_LIST_TAGGED, IB_DOWNLOADS,
	/* the build; BASE_* only for a base_url image */
	IB_BASE_SUMS, IB_BASE_LIST, IB_BASE_IMPORT, IB_BASE_PRUNE, IB_CREATE, IB_WAIT_VM, IB_BASE_INFO, IB_CONSOLE, IB_SNAPSHOT, IB_WAIT_IMAGE, IB_TAG, IB_DELETE_VM,
	IB_PRUNE_SERVERS, IB_PRUNE_IMAGES, IB_PRUNE_DELETE,
	/* a failed build removes what it made */
	IB_FAIL_DELETE_VM, IB_FAIL_DELETE_IMAGE,
	IB_STEP_COUNT
};
const char *ib_step_name(enum ib_step s);

struct ib;

/* One configured image and everything known about it. */
struct ib_image {
	struct ib *ib;
	char name[IB_NAME_MAX];
	char tag[IB_TAG_MAX];
	const char *base_image, *arch, *flavor, *network;
	const char *base_url, *base_sums_url;   /* base_url images: uploaded as <manager>-base-<name> */
	const json_t *packages;
	int aproxy;

	/* the cycle in progress */
	enum ib_step step;
	int pending;                      /* calls of a fan-out step still out */
	int forced;                       /* image.build asked for a build */
	int building;                     /* the cycle got past the decision */
	json_t *waiters;                  /* held image.build wait requests (pointers as integers) */
	int64_t poll_timer, deadline_ms;  /* WAIT_VM / WAIT_IMAGE */
	json_t *prune_in_use;             /* PRUNE_IMAGES: image ids not to delete */
	char reason[96];                  /* why this build runs */
	char build_id[9];
	char vm_name[80], vm_id[IB_ID_MAX], image_id[IB_ID_MAX];
	char base_id[IB_ID_MAX], base_checksum[160];
	char base_sha256[65];             /* base_url: what SHA256SUMS says now */
	json_t *base_stale;               /* base_url: older uploads to delete */
	char version[64], url[512], sha256[80];
	char error[300];

	/* the newest image of the tag, as last listed */
	char newest_id[IB_ID_MAX], newest_version[64], newest_created[40];
	int nimages;

	/* the last build */
	char last_result[12];             /* "", "running", "ok", "failed" */
	char last_reason[96], last_error[300], last_build_id[9], last_image_id[IB_ID_MAX];
	int64_t last_start_ms, last_end_ms;   /* epoch ms */
	int failures;                     /* consecutive failed builds */
	int check_failures;               /* consecutive checks that could not look */
	char check_error[300];            /* why the last of them could not */
	int64_t retry_at_ms;              /* epoch ms; automatic builds wait for it */
	int64_t retry_timer;              /* starts a cycle at retry_at_ms */
	int64_t builds_ok, builds_failed, debris_removed;
};

struct ib {
	struct worker *w;
	char manager_id[32];
	int64_t interval_ms, check_ms, build_timeout_ms, poll_ms, retry_min_ms, retry_max_ms;
	int keep;
	struct ib_image *images;
	size_t nimages;
	const json_t *pools;
	int64_t check_timer;
	int stopping;
};

extern const struct worker_def ib_worker_def;
extern const struct worker_method ib_methods[];

struct ib *ib_get(struct worker *w);
struct ib_image *ib_image_find(struct ib *ib, const char *name);

/* ib_cycle.c: start a cycle for the image unless one runs (forced: build whatever the
 * decision would say).  Returns 1 when a cycle was started, 0 when one was running. */
int ib_cycle_start(struct ib_image *im, int forced);
/* The row image.list shows and image.build --wait answers with. */
json_t *ib_image_view(const struct ib_image *im);
/* Answer every held wait request of im with its last build (or the error). */
void ib_waiters_answer(struct ib_image *im, enum proto_error code, const char *message);

/* ---- ib_rules.c (pure) ------------------------------------------------------------- */

enum ib_console { IB_CONSOLE_NONE = 0, IB_CONSOLE_OK, IB_CONSOLE_FAILED };
/* Find this build's result line ("ghr-build <id> ok ..." / "... failed stage=S ...") in
 * console output; the last one wins.  detail gets the rest of the line (printable
 * ASCII only). */
enum ib_console ib_console_result(const char *output, size_t len, const char *build_id,
                                  char *detail, size_t detail_len);

/* Why to build now, or NULL: forced, no usable image, the newest is older than interval,
 * or GitHub offers another runner version than the newest image holds. */
const char *ib_build_reason(int forced, int have_image, int64_t newest_age_ms, int64_t interval_ms,
                            const char *newest_version, const char *offered_version,
                            char *buf, size_t len);

/* Wait after the n-th consecutive failure (n >= 1): min * 2^(n-1), at most max. */
int64_t ib_retry_delay(int failures, int64_t min_ms, int64_t max_ms);

/* Which images of a tag to delete: images (Glance views, newest first or not: sorted
 * here by "created") that are ours (property ghr-manager = manager), beyond the newest
 * `keep` of ours, and not in `in_use` (an array of image ids).  Returns a new
 * array of ids. */
json_t *ib_prune_select(const json_t *images, const char *manager, int keep, const json_t *in_use);

/* ---- ib_script.c ------------------------------------------------------------------- */

struct ib_script_params {
	const char *build_id, *image_name, *runner_version, *runner_url, *runner_sha256;
	const json_t *packages;           /* array of strings */
	int aproxy;
};
/* The rendered builder script (malloc'd), or NULL with err filled (a package name that
 * is not a Debian package name, a version or checksum of the wrong shape). */
char *ib_script_render(const struct ib_script_params *p, char *err, size_t errlen);
const char *ib_script_template(void);

#endif
