/* github worker: rate-limit bookkeeping and admission (gh_rate.c). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "workers/github/gh.h"

#define NOW 1700000000000LL      /* a fixed wall clock, ms */

/* A reply with x-ratelimit-* headers (reset in epoch seconds). */
static void reply(struct gh_rl *rl, const char *resource, long status, long limit, long remaining,
                  long long reset_s, int64_t now)
{
	char l[32], r[32], s[32];
	snprintf(l, sizeof(l), "%ld", limit);
	snprintf(r, sizeof(r), "%ld", remaining);
	snprintf(s, sizeof(s), "%lld", reset_s);
	struct http_header h[] = {
		{ "x-ratelimit-limit", l }, { "x-ratelimit-remaining", r }, { "x-ratelimit-reset", s },
		{ "x-ratelimit-used", "7" }, { "x-ratelimit-resource", resource },
	};
	struct http_response resp = { .status = status, .body = "", .headers = h, .n_headers = 5 };
	gh_rl_on_reply(rl, "core", &resp, 0, now);
}

static void test_gh_rate_unknown_admits(void)
{
	struct gh_rl rl;
	char why[200];
	gh_rl_init(&rl, 200);
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 0, 0, NOW, why, sizeof(why)), 0);
}

static void test_gh_rate_reserve_kept_for_cleanup(void)
{
	struct gh_rl rl;
	char why[200] = "";
	gh_rl_init(&rl, 200);
	reply(&rl, "core", 200, 5000, 150, NOW / 1000 + 600, NOW);
	int64_t wait = gh_rl_admit(&rl, "core", 0, 0, NOW, why, sizeof(why));
	CU_ASSERT_EQUAL(wait, 600000);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "reserve"));
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 1, 0, NOW, why, sizeof(why)), 0);    /* delete */
	/* another resource is not affected */
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "actions_runner_registration", 0, 0, NOW, why, sizeof(why)), 0);
	/* after the reset the window has refilled */
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 0, 0, NOW + 600001, why, sizeof(why)), 0);
}

static void test_gh_rate_exhausted_blocks_all_but_free(void)
{
	struct gh_rl rl;
	char why[200] = "";
	gh_rl_init(&rl, 10);
	reply(&rl, "core", 403, 5000, 0, NOW / 1000 + 30, NOW);
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 1, 0, NOW, why, sizeof(why)), 30000);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "primary"));
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 1, 1, NOW, why, sizeof(why)), 0);
}

static void test_gh_rate_local_decrement(void)
{
	struct gh_rl rl;
	char why[200];
	gh_rl_init(&rl, 2);
	reply(&rl, "core", 200, 5000, 4, NOW / 1000 + 60, NOW);
	gh_rl_on_send(&rl, "core", 0);
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 0, 0, NOW, why, sizeof(why)), 0);   /* 3 left */
	gh_rl_on_send(&rl, "core", 0);
	CU_ASSERT(gh_rl_admit(&rl, "core", 0, 0, NOW, why, sizeof(why)) > 0);        /* 2: reserve */
	gh_rl_on_send(&rl, "core", 1);        /* free calls spend nothing */
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->remaining, 2);
	/* the next reply is the truth again */
	reply(&rl, "core", 304, 5000, 4, NOW / 1000 + 60, NOW);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->remaining, 3);   /* 4, less the one in flight */
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 1, 0, NOW, why, sizeof(why)), 0);
	/* a late reply from the previous window changes nothing */
	reply(&rl, "core", 200, 5000, 1, NOW / 1000 - 10, NOW);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->remaining, 3);
}

static void test_gh_rate_low_budget_paces_calls(void)
{
	struct gh_rl rl;
	char why[200] = "";
	gh_rl_init(&rl, 10);
	reply(&rl, "core", 200, 5000, 30, NOW / 1000 + 60, NOW);   /* 20 above the reserve, 60 s */
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 0, 0, NOW, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 0, 0, NOW + 1, why, sizeof(why)), 2999);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "low"));
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 1, 0, NOW + 1, why, sizeof(why)), 0);   /* cleanup */
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 0, 0, NOW + 3000, why, sizeof(why)), 0);
	/* plenty of budget: no pacing */
	reply(&rl, "core", 200, 5000, 4000, NOW / 1000 + 60, NOW);
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 0, 0, NOW + 3001, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 0, 0, NOW + 3002, why, sizeof(why)), 0);
}

static void test_gh_rate_secondary_block(void)
{
	struct gh_rl rl;
	char why[200] = "";
	gh_rl_init(&rl, 0);
	gh_rl_block(&rl, "core", NOW + 5000);
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 1, 0, NOW, why, sizeof(why)), 5000);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "secondary"));
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 1, 0, NOW + 5000, why, sizeof(why)), 0);
	json_t *rep = gh_rl_report(&rl, NOW + 1000);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(rep, "core"), "blocked_ms")), 4000);
	json_decref(rep);
}

static void test_gh_rate_used_last_hour(void)
{
	struct gh_rl rl;
	gh_rl_init(&rl, 0);
	for (int i = 0; i < 3; i++)
		reply(&rl, "core", 200, 5000, 100, NOW / 1000 + 60, NOW);
	reply(&rl, "core", 304, 5000, 100, NOW / 1000 + 60, NOW);       /* free */
	reply(&rl, "core", 200, 5000, 100, NOW / 1000 + 60, NOW + 30 * 60000);
	CU_ASSERT_EQUAL(gh_rl_used_last_hour(&rl, NOW + 30 * 60000), 4);
	CU_ASSERT_EQUAL(gh_rl_used_last_hour(&rl, NOW + 61 * 60000), 1);    /* first 3 aged out */
	CU_ASSERT_EQUAL(gh_rl_used_last_hour(&rl, NOW + 200 * 60000), 0);
	/* a transport failure (status 0) is not counted: nothing is known to have arrived */
	struct http_response none = { .status = 0, .body = "" };
	gh_rl_on_reply(&rl, "core", &none, 0, NOW + 200 * 60000);
	CU_ASSERT_EQUAL(gh_rl_used_last_hour(&rl, NOW + 200 * 60000), 0);
}

/* 401 replies carry an anonymous budget, 5xx may come from a proxy: both are ignored */
static void test_gh_rate_untrusted_replies(void)
{
	struct gh_rl rl;
	gh_rl_init(&rl, 0);
	reply(&rl, "core", 200, 5000, 4000, NOW / 1000 + 60, NOW);
	reply(&rl, "core", 401, 60, 59, NOW / 1000 + 60, NOW);
	reply(&rl, "core", 502, 60, 0, NOW / 1000 + 60, NOW);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->limit, 5000);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->remaining, 4000);
	reply(&rl, "core", 403, 5000, 0, NOW / 1000 + 60, NOW);     /* a primary limit is news */
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->remaining, 0);
}

static void test_gh_rate_report_and_merge(void)
{
	struct gh_rl rl;
	gh_rl_init(&rl, 0);
	reply(&rl, "actions_runner_registration", 201, 10000, 9990, NOW / 1000 + 60, NOW);
	json_t *in = json_pack("{s:{s:i, s:i, s:i, s:I}}", "core", "limit", 5000, "remaining", 4000,
	                       "used", 1000, "reset", (json_int_t)(NOW / 1000 + 100));
	gh_rl_merge(&rl, in, NOW);
	json_decref(in);
	json_t *rep = gh_rl_report(&rl, NOW);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(rep, "core"), "remaining")), 4000);
	json_t *reg = json_object_get(rep, "actions_runner_registration");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(reg, "remaining")), 9990);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(reg, "used")), 7);
	CU_ASSERT_PTR_NULL(json_object_get(reg, "blocked_ms"));
	json_decref(rep);
}

/* A reply's remaining does not know of the calls sent after it: those still in flight
 * stay spent. */
static void test_gh_rate_in_flight_kept(void)
{
	struct gh_rl rl;
	char why[200] = "";
	gh_rl_init(&rl, 2);
	reply(&rl, "core", 200, 5000, 10, NOW / 1000 + 60, NOW);
	for (int i = 0; i < 8; i++)
		gh_rl_on_send(&rl, "core", 0);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->remaining, 2);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->in_flight, 8);
	/* the first of the eight is answered: GitHub had counted only it */
	reply(&rl, "core", 200, 5000, 9, NOW / 1000 + 60, NOW);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->in_flight, 7);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->remaining, 2);
	CU_ASSERT(gh_rl_admit(&rl, "core", 0, 0, NOW, why, sizeof(why)) > 0);     /* reserve */
	/* a transport failure answers a call too (counted or not, it is no longer in flight) */
	struct http_response none = { .status = 0, .body = "" };
	gh_rl_on_reply(&rl, "core", &none, 0, NOW);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->in_flight, 6);
	/* free calls are never counted in flight */
	gh_rl_on_send(&rl, "core", 1);
	gh_rl_on_reply(&rl, "core", &none, 1, NOW);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->in_flight, 6);
	/* more in flight than the reply's remaining: nothing left, never negative */
	reply(&rl, "core", 200, 5000, 3, NOW / 1000 + 60, NOW);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->remaining, 0);
	for (int i = 0; i < 5; i++)
		reply(&rl, "core", 200, 5000, 3, NOW / 1000 + 60, NOW);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->in_flight, 0);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->remaining, 3);
}

/* Hostile headers: huge or negative numbers are refused, without overflow (UBSan). */
static void test_gh_rate_hostile_headers(void)
{
	struct gh_rl rl;
	char why[200] = "";
	gh_rl_init(&rl, 0);
	reply(&rl, "core", 200, 5000, 4000, NOW / 1000 + 60, NOW);
	static const char *const bad_resets[] = {
		"9223372036854775807", "9223372036854775808", "-1", "-9223372036854775808",
		"1099511627777",        /* 2^40 + 1 */
	};
	for (size_t i = 0; i < sizeof(bad_resets) / sizeof(bad_resets[0]); i++) {
		struct http_header h[] = {
			{ "x-ratelimit-limit", "5000" }, { "x-ratelimit-remaining", "0" },
			{ "x-ratelimit-reset", bad_resets[i] }, { "x-ratelimit-resource", "core" },
		};
		struct http_response resp = { .status = 403, .body = "", .headers = h, .n_headers = 4 };
		gh_rl_on_reply(&rl, "core", &resp, 0, NOW);
		CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->remaining, 4000);
		CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->reset_ms, (NOW / 1000 + 60) * 1000);
	}
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 0, 0, NOW, why, sizeof(why)), 0);
	/* GET /rate_limit with the same */
	json_t *in = json_pack("{s:{s:i, s:i, s:i, s:I}, s:{s:i, s:i, s:i, s:I}, s:{s:i, s:i, s:i, s:I}}",
	                       "core", "limit", 5000, "remaining", 0, "used", 5000,
	                       "reset", (json_int_t)INT64_MAX,
	                       "search", "limit", 30, "remaining", 0, "used", 30,
	                       "reset", (json_int_t)-5,
	                       "graphql", "limit", 5000, "remaining", -1, "used", 0,
	                       "reset", (json_int_t)(NOW / 1000 + 60));
	gh_rl_merge(&rl, in, NOW);
	json_decref(in);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->remaining, 4000);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->reset_ms, (NOW / 1000 + 60) * 1000);
	json_t *rep = gh_rl_report(&rl, NOW);
	CU_ASSERT_PTR_NULL(json_object_get(rep, "search"));
	CU_ASSERT_PTR_NULL(json_object_get(rep, "graphql"));
	json_decref(rep);
	/* retry-after: clamped to an hour; nonsense means the default */
	CU_ASSERT_EQUAL(gh_rl_retry_after_ms("9223372036854775807", 60000), 3600000);
	CU_ASSERT_EQUAL(gh_rl_retry_after_ms("99999999999999999999999", 60000), 3600000);
	CU_ASSERT_EQUAL(gh_rl_retry_after_ms("3601", 60000), 3600000);
	CU_ASSERT_EQUAL(gh_rl_retry_after_ms("30", 60000), 30000);
	CU_ASSERT_EQUAL(gh_rl_retry_after_ms("-9223372036854775808", 60000), 60000);
	CU_ASSERT_EQUAL(gh_rl_retry_after_ms("-5", 60000), 60000);
	CU_ASSERT_EQUAL(gh_rl_retry_after_ms("0", 60000), 60000);
	CU_ASSERT_EQUAL(gh_rl_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 60000), 60000);
	CU_ASSERT_EQUAL(gh_rl_retry_after_ms(NULL, 60000), 60000);
	/* and a huge retry-after on a reply blocks for at most an hour */
	int secondary = 0;
	CU_ASSERT_EQUAL(gh_rl_limited(&rl, "core", 403, "9223372036854775807", NULL, 0, NOW, &secondary),
	                3600000);
	CU_ASSERT_EQUAL(secondary, 1);
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 1, 0, NOW, why, sizeof(why)), 3600000);
}

/* Which 403/429 replies are rate limits, and what each blocks. */
static void test_gh_rate_limited_replies(void)
{
	struct gh_rl rl;
	char why[200] = "";
	int secondary = -1;
	gh_rl_init(&rl, 0);
	/* a 429 that names no time still blocks the resource, for the default period */
	CU_ASSERT_EQUAL(gh_rl_limited(&rl, "core", 429, NULL, NULL, 0, NOW, &secondary),
	                GH_SECONDARY_DEFAULT_MS);
	CU_ASSERT_EQUAL(secondary, 1);
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 1, 0, NOW + 1, why, sizeof(why)), GH_SECONDARY_DEFAULT_MS - 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "secondary"));
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 1, 0, NOW + GH_SECONDARY_DEFAULT_MS, why, sizeof(why)), 0);
	/* with an empty retry-after too */
	gh_rl_init(&rl, 0);
	CU_ASSERT_EQUAL(gh_rl_limited(&rl, "core", 429, "", "17", 0, NOW, &secondary), GH_SECONDARY_DEFAULT_MS);
	CU_ASSERT(gh_rl_admit(&rl, "core", 1, 0, NOW, why, sizeof(why)) > 0);
	/* a 429 saying the budget is spent is the primary limit: wait for the reset */
	gh_rl_init(&rl, 0);
	reply(&rl, "core", 429, 5000, 0, NOW / 1000 + 20, NOW);
	CU_ASSERT_EQUAL(gh_rl_limited(&rl, "core", 429, NULL, "0", 0, NOW, &secondary), 20000);
	CU_ASSERT_EQUAL(secondary, 0);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->blocked_until_ms, 0);
	/* a 403 with GitHub's secondary text, or a retry-after */
	gh_rl_init(&rl, 0);
	CU_ASSERT_EQUAL(gh_rl_limited(&rl, "core", 403, NULL, "100", 1, NOW, &secondary), GH_SECONDARY_DEFAULT_MS);
	CU_ASSERT_EQUAL(secondary, 1);
	CU_ASSERT_EQUAL(gh_rl_limited(&rl, "x", 403, "5", NULL, 0, NOW, &secondary), 5000);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "x")->blocked_until_ms, NOW + 5000);
	/* secondary text, no retry-after, budget spent: not before the reset (if later than a minute) */
	gh_rl_init(&rl, 0);
	reply(&rl, "core", 403, 5000, 0, NOW / 1000 + 300, NOW);
	CU_ASSERT_EQUAL(gh_rl_limited(&rl, "core", 403, NULL, "0", 1, NOW, &secondary), 300000);
	CU_ASSERT_EQUAL(secondary, 1);
	CU_ASSERT_EQUAL(gh_rl_get(&rl, "core")->blocked_until_ms, NOW + 300000);
	gh_rl_init(&rl, 0);
	reply(&rl, "core", 403, 5000, 0, NOW / 1000 + 5, NOW);
	CU_ASSERT_EQUAL(gh_rl_limited(&rl, "core", 403, NULL, "0", 1, NOW, &secondary), GH_SECONDARY_DEFAULT_MS);
	/* a plain 403 (permissions) and other statuses are not rate limits */
	gh_rl_init(&rl, 0);
	CU_ASSERT_EQUAL(gh_rl_limited(&rl, "core", 403, NULL, "4000", 0, NOW, &secondary), 0);
	CU_ASSERT_EQUAL(gh_rl_limited(&rl, "core", 403, NULL, NULL, 0, NOW, &secondary), 0);
	CU_ASSERT_EQUAL(gh_rl_limited(&rl, "core", 500, "30", NULL, 1, NOW, &secondary), 0);
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 0, 0, NOW, why, sizeof(why)), 0);
}

/* More resource names than the table holds: the known ones are never clobbered. */
static void test_gh_rate_table_full(void)
{
	struct gh_rl rl;
	char why[200] = "", name[40];
	gh_rl_init(&rl, 0);
	reply(&rl, "core", 200, 5000, 4321, NOW / 1000 + 60, NOW);
	gh_rl_block(&rl, "core", NOW + 9000);
	json_t *in = json_object();
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "made_up_%02d", i);
		json_object_set_new(in, name, json_pack("{s:i, s:i, s:i, s:I}", "limit", 100 + i, "remaining",
		                                        50 + i, "used", 1, "reset", (json_int_t)(NOW / 1000 + 60)));
	}
	gh_rl_merge(&rl, in, NOW);
	json_decref(in);
	CU_ASSERT_EQUAL(rl.n, GH_RL_MAX_RES);
	CU_ASSERT(GH_RL_MAX_RES >= 32);
	/* replies naming yet more resources */
	for (int i = 40; i < 80; i++) {
		snprintf(name, sizeof(name), "reply_named_%02d", i);
		reply(&rl, name, 200, 10, 0, NOW / 1000 + 60, NOW);
	}
	CU_ASSERT_EQUAL(rl.n, GH_RL_MAX_RES);
	const struct gh_rl_res *core = gh_rl_get(&rl, "core");
	CU_ASSERT_STRING_EQUAL(core->name, "core");
	CU_ASSERT_EQUAL(core->remaining, 4321);
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "core", 1, 0, NOW, why, sizeof(why)), 9000);
	/* the last stored entry keeps its own name and values */
	const struct gh_rl_res *last = &rl.res[GH_RL_MAX_RES - 1];
	snprintf(name, sizeof(name), "made_up_%02d", GH_RL_MAX_RES - 2);
	CU_ASSERT_STRING_EQUAL(last->name, name);
	CU_ASSERT_EQUAL(last->limit, 100 + GH_RL_MAX_RES - 2);
	json_t *rep = gh_rl_report(&rl, NOW);
	CU_ASSERT_EQUAL(json_object_size(rep), GH_RL_MAX_RES);
	CU_ASSERT_PTR_NULL(json_object_get(rep, "reply_named_79"));
	json_decref(rep);
	/* an unknown name past the table still gets answers, just not kept */
	CU_ASSERT_EQUAL(gh_rl_admit(&rl, "reply_named_79", 0, 0, NOW, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(rl.n, GH_RL_MAX_RES);
}

static void test_gh_status_map(void)
{
	CU_ASSERT_EQUAL(gh_api_status_error(401), PROTO_E_UNAUTHORIZED);
	CU_ASSERT_EQUAL(gh_api_status_error(403), PROTO_E_FORBIDDEN);
	CU_ASSERT_EQUAL(gh_api_status_error(404), PROTO_E_NOT_FOUND);
	CU_ASSERT_EQUAL(gh_api_status_error(409), PROTO_E_CONFLICT);
	CU_ASSERT_EQUAL(gh_api_status_error(422), PROTO_E_CONFLICT);
	CU_ASSERT_EQUAL(gh_api_status_error(429), PROTO_E_RATE_LIMITED);
	CU_ASSERT_EQUAL(gh_api_status_error(400), PROTO_E_BAD_REQUEST);
	CU_ASSERT_EQUAL(gh_api_status_error(502), PROTO_E_UNAVAILABLE);
	CU_ASSERT_EQUAL(gh_api_status_error(302), PROTO_E_INTERNAL);
}

UNIT_SUITE(gh_rate,
	UNIT_TEST(test_gh_rate_unknown_admits),
	UNIT_TEST(test_gh_rate_reserve_kept_for_cleanup),
	UNIT_TEST(test_gh_rate_exhausted_blocks_all_but_free),
	UNIT_TEST(test_gh_rate_local_decrement),
	UNIT_TEST(test_gh_rate_low_budget_paces_calls),
	UNIT_TEST(test_gh_rate_secondary_block),
	UNIT_TEST(test_gh_rate_used_last_hour),
	UNIT_TEST(test_gh_rate_untrusted_replies),
	UNIT_TEST(test_gh_rate_report_and_merge),
	UNIT_TEST(test_gh_rate_in_flight_kept),
	UNIT_TEST(test_gh_rate_hostile_headers),
	UNIT_TEST(test_gh_rate_limited_replies),
	UNIT_TEST(test_gh_rate_table_full),
	UNIT_TEST(test_gh_status_map))
