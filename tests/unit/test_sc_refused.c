/* Whether a failed os.server.create was refused or its outcome is unknown
 * (workers/scaler/sc_exec.c). */
#include "tests/unit/unit.h"
#include "workers/scaler/sc.h"

static int refused(enum proto_error e, const char *msg)
{
	struct wcall_result r = { .ok = 0, .error = e, .message = msg };
	return sc_create_refused(&r);
}

static void test_refused_codes(void)
{
	CU_ASSERT_EQUAL(refused(PROTO_E_BAD_REQUEST, "x"), 1);
	CU_ASSERT_EQUAL(refused(PROTO_E_RATE_LIMITED, NULL), 1);
	/* never acted on: the callee (or ghrd) was stopping */
	CU_ASSERT_EQUAL(refused(PROTO_E_SHUTTING_DOWN, "ghrd is stopping"), 1);
	CU_ASSERT_EQUAL(refused(PROTO_E_TIMEOUT, "no reply before the deadline"), 0);
	CU_ASSERT_EQUAL(refused(PROTO_E_INTERNAL, "quota"), 0);
}

static void test_unavailable_words(void)
{
	/* ghrd's documented phrase for a target that is not ready */
	CU_ASSERT_EQUAL(refused(PROTO_E_UNAVAILABLE,
	                        "worker openstack is starting: the request could not be sent"), 1);
	CU_ASSERT_EQUAL(refused(PROTO_E_UNAVAILABLE, "Quota exceeded for cores"), 1);
	CU_ASSERT_EQUAL(refused(PROTO_E_UNAVAILABLE, "worker exited"), 0);
	CU_ASSERT_EQUAL(refused(PROTO_E_UNAVAILABLE, NULL), 0);
}

static void test_outcome_unknown_wins(void)
{
	/* the look-up's own error quoted inside must not make it a refusal */
	CU_ASSERT_EQUAL(refused(PROTO_E_UNAVAILABLE,
	                        "create outcome unknown (the reply was lost and the look-up failed: "
	                        "the cloud could not be reached: quota exceeded); the next reconcile "
	                        "will find the server if it exists"), 0);
}

UNIT_SUITE(sc_refused,
	UNIT_TEST(test_refused_codes),
	UNIT_TEST(test_unavailable_words),
	UNIT_TEST(test_outcome_unknown_wins))
