/* Throughput of the common core: envelope codec, redaction, logging, config loading.
 * Each figure is measured over a bounded loop (at most BENCH_SECONDS per figure) and
 * printed, and appended as one JSON line to the file named by argv[1] when given.
 * Built and run by tests/bench/bench_core.py. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/config.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/wipealloc.h"
#include "proto/proto.h"

#define BENCH_SECONDS 0.5
#define BENCH_MAX_ITERS 5000000L

static FILE *results;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *name, long iters, double secs, size_t bytes_per_op)
{
	double per_s = (double)iters / secs;
	double us = secs * 1e6 / (double)iters;
	double mbs = bytes_per_op ? per_s * (double)bytes_per_op / 1e6 : 0;
	printf("%-28s %12.0f ops/s %10.2f us/op", name, per_s, us);
	if (bytes_per_op)
		printf(" %9.1f MB/s", mbs);
	printf("\n");
	if (results)
		fprintf(results, "{\"bench\":\"core\",\"name\":\"%s\",\"ops_per_s\":%.0f,\"us_per_op\":%.3f,"
		        "\"mb_per_s\":%.1f,\"iterations\":%ld}\n", name, per_s, us, mbs, iters);
}

#define RUN(name, bytes, body) do { \
	long iters_ = 0; double t0_ = now_s(), t_; \
	do { for (int k_ = 0; k_ < 100; k_++) { body; } iters_ += 100; t_ = now_s() - t0_; } \
	while (t_ < BENCH_SECONDS && iters_ < BENCH_MAX_ITERS); \
	report(name, iters_, t_, bytes); } while (0)

static const char req_frame[] =
	"{\"v\":1,\"kind\":\"req\",\"id\":7,\"from\":\"scaler\",\"to\":\"github\",\"method\":\"github.runner.jit\","
	"\"deadline_ms\":1763856000123,\"body\":{\"name\":\"ghr-a-small-3f9c2a1b\",\"labels\":[\"small\",\"x64\"]}}";

static char *big_frame(size_t *len)
{
	json_t *runners = json_array();
	for (int i = 0; i < 500; i++)
		json_array_append_new(runners, json_pack("{s:i,s:s,s:s,s:b,s:[s,s]}", "id", i, "name",
		                      "ghr-a-small-3f9c2a1b", "status", "online", "busy", i % 2, "labels", "small", "x64"));
	struct proto_msg m;
	proto_msg_init(&m, PROTO_REP, "github");
	m.id = 9;
	strcpy(m.to, "scaler");
	m.body = json_pack("{s:o}", "runners", runners);
	char *text = proto_encode(&m, len);
	proto_msg_clear(&m);
	return text;
}

int main(int argc, char **argv)
{
	/* As in ghrd and the workers; GHR_BENCH_NOWIPE=1 measures without it. */
	if (!getenv("GHR_BENCH_NOWIPE"))
		wipealloc_install();
	results = argc > 1 ? fopen(argv[1], "a") : NULL;
	char err[256];
	struct proto_msg m;
	size_t len = strlen(req_frame);
	RUN("proto_decode_req", len, {
		if (proto_decode(req_frame, len, &m, err, sizeof(err)) < 0) abort();
		proto_msg_clear(&m);
	});
	proto_decode(req_frame, len, &m, err, sizeof(err));
	RUN("proto_encode_req", len, { size_t l; free(proto_encode(&m, &l)); });
	RUN("proto_validate_request", 0, {
		if (proto_validate_request(m.method, m.body, err, sizeof(err)) < 0) abort();
	});
	proto_msg_clear(&m);
	size_t blen;
	char *big = big_frame(&blen);
	RUN("proto_decode_500_runners", blen, {
		if (proto_decode(big, blen, &m, err, sizeof(err)) < 0) abort();
		proto_msg_clear(&m);
	});
	free(big);

	const char *line = "worker=github level=info msg=\"runner created\" name=ghr-a-small-3f9c2a1b id=12 "
	                   "repo=canonical/ghr labels=small,x64 duration_ms=412";
	RUN("redact_log_line", strlen(line), { free(redact_dup(line)); });
	redact_add_secret("0123456789abcdef0123456789abcdef");
	size_t tlen = 64 * 1024;
	char *text = malloc(tlen + 1);
	static const char pattern[] = "abcdefghij klmnop=qrst \"uv\":wxyz ghp_ eyJ x://y\n";
	for (size_t i = 0; i < tlen; i++)
		text[i] = pattern[i % (sizeof(pattern) - 1)];
	text[tlen] = 0;
	RUN("redact_64KiB_text", tlen, { free(redact_dup(text)); });
	free(text);
	redact_clear_secrets();

	int devnull = open("/dev/null", O_WRONLY);
	int saved = dup(2);
	dup2(devnull, 2);
	log_init("bench", LOG_LVL_INFO, 0, NULL);
	RUN("log_text_line", 0, { log_info("runner created", "name=%s id=%d", "ghr-a-small-3f9c2a1b", 12); });
	log_init("bench", LOG_LVL_INFO, 1, NULL);
	RUN("log_json_line", 0, { log_info("runner created", "name=%s id=%d", "ghr-a-small-3f9c2a1b", 12); });
	RUN("log_filtered_debug", 0, { log_debug("not written", "id=%d", 1); });
	dup2(saved, 2);
	close(devnull);

	const char *srcdir = getenv("GHR_SRCDIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/etc/ghr.yaml", srcdir ? srcdir : ".");
	RUN("config_load_example", 0, {
		json_t *c = config_load_file(path, err, sizeof(err));
		if (!c) { fprintf(stderr, "%s\n", err); abort(); }
		json_decref(c);
	});
	if (results)
		fclose(results);
	return 0;
}
