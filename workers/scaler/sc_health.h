/* Fleet health as the scaler sees it: what is failing right now, why, and since when.
 *
 * A problem is one source that keeps failing: the reconcile itself (a list could not be
 * read whole), an API behind a worker (github, openstack: the last call that failed for
 * want of the service -- unavailable, timeout, unauthorized, forbidden, rate limited,
 * internal), or a pool (its creates fail, or its VMs fail before coming online).  It
 * starts at the first failure, keeps the latest error, and ends at the first success
 * of the same source; for an API, once every method whose latest call failed has
 * succeeded again (a runner listing that works says nothing of a failing create).  The fleet is degraded while any problem is open.  `ghr-ctl
 * status` and `pools` show them, `scaler.health` returns them, and the Prometheus text
 * has ghr_degraded and ghr_problem_since_seconds. */
#ifndef GHR_SC_HEALTH_H
#define GHR_SC_HEALTH_H

#include <stdint.h>
#include <jansson.h>
#include "proto/proto.h"

struct sc_problem {
	int open;
	int64_t since_ms;      /* epoch ms of the first failure in a row */
	int64_t last_ms;       /* epoch ms of the latest */
	int64_t failures;      /* in a row */
	char error[300];       /* the latest */
};

void sc_problem_fail(struct sc_problem *p, int64_t now_ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sc_problem_clear(struct sc_problem *p);
/* {"source", "error", "since" (ISO 8601), "since_ms", "for_ms", "failures"}, or NULL when closed. */
json_t *sc_problem_json(const struct sc_problem *p, const char *source, int64_t now_ms);

/* The problem of one API: open while the latest call of any of its methods failed. */
#define SC_API_FAILING_MAX 16
struct sc_api_problem {
	struct sc_problem p;
	char failing[SC_API_FAILING_MAX][PROTO_NAME_MAX];   /* methods whose latest call failed */
	int nfailing;
};
/* The latest call of method failed for want of the service (err: what to show). */
void sc_api_fail(struct sc_api_problem *a, const char *method, int64_t now_ms, const char *err);
/* The latest call of method did not fail so: the problem closes when no method is left. */
void sc_api_ok(struct sc_api_problem *a, const char *method);

/* The APIs the scaler reaches through other workers, by method prefix. */
enum sc_api { SC_API_GITHUB, SC_API_OPENSTACK, SC_API_COUNT };
/* Which API a method goes to (SC_API_COUNT for none), and the API's name. */
enum sc_api sc_api_of(const char *method);
const char *sc_api_name(enum sc_api a);
/* Does this error code say the service itself is failing (as opposed to a refusal of
 * this one request: not_found, conflict, bad_request)? */
int sc_error_is_outage(enum proto_error code);

#endif
