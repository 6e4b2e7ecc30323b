/* ghr-ctl — talk to ghrd over its control socket.  See ghr-ctl(1). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/ctl/ctl.h"

int main(int argc, char **argv)
{
	static char endpoint[4200];
	const char *env = getenv("GHR_CONTROL");
	const char *run_dir = PROTO_RUN_DIR_DEFAULT;   /* used when no socket is named */
	struct ctl c = { .socket = env && *env ? env : NULL, .timeout_ms = 10000 };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' }, { "run-dir", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "+s:r:t:jh", longopts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (strstr(optarg, "://"))
				snprintf(endpoint, sizeof(endpoint), "%s", optarg);
			else
				snprintf(endpoint, sizeof(endpoint), "ipc://%s", optarg);
			c.socket = endpoint;
			break;
		case 'r':
			run_dir = optarg;
			c.socket = NULL;
			break;
		case 't': {
			char *end;
			c.timeout_ms = strtoll(optarg, &end, 10);
			if (*end || c.timeout_ms <= 0 || c.timeout_ms > 3600000) {
				fprintf(stderr, "ghr-ctl: -t: a number of milliseconds from 1 to 3600000\n");
				return CTL_EXIT_USAGE;
			}
			break;
		}
		case 'j': c.json = 1; break;
		case 'h': ctl_print_help(stdout); return CTL_EXIT_OK;
		default: ctl_print_help(stderr); return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		ctl_print_help(stderr);
		return CTL_EXIT_USAGE;
	}
	if (!c.socket)
		c.socket = ctl_pick_socket(run_dir, endpoint, sizeof(endpoint));
	const struct ctl_command *cmd = ctl_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "ghr-ctl: unknown command \"%s\" (see ghr-ctl help)\n", argv[optind]);
		return CTL_EXIT_USAGE;
	}
	return cmd->run(&c, argc - optind, argv + optind);
}
