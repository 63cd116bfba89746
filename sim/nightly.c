/*
 * nightly.c — `weft campaign ARGS`: exec python3 scripts/campaign.py
 * --weft SELF ARGS. The driver is a script because it orchestrates other
 * processes (builds, libFuzzer, weft explore, the report); the command is
 * here so users find it where the other long runs are.
 */
#include "nightly.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_assert.h"

#ifndef WEFT_SOURCE_DIR
#define WEFT_SOURCE_DIR ""
#endif

#define NIGHTLY_PATH_MAX 4096u
/* python3, the script, --weft, SELF, the user's arguments, NULL. */
#define NIGHTLY_ARGS_MAX 256

int weft_campaign(int argc, char **argv)
{
	SIM_ASSERT(argc >= 2);
	SIM_ASSERT(strcmp(argv[1], "campaign") == 0);
	static char script[NIGHTLY_PATH_MAX], self[NIGHTLY_PATH_MAX];
	if (!WEFT_SOURCE_DIR[0]) {
		fputs("weft: campaign: this binary does not know its source tree; run python3 scripts/campaign.py\n",
		      stderr);
		return 2;
	}
	snprintf(script, sizeof script, "%s/scripts/campaign.py", WEFT_SOURCE_DIR);
	if (access(script, R_OK) != 0) {
		fprintf(stderr, "weft: campaign: no driver at %s (the source tree moved?)\n", script);
		return 2;
	}
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0) {
		fputs("weft: campaign: cannot tell where this binary is (/proc/self/exe)\n", stderr);
		return 2;
	}
	self[len] = '\0';
	if (argc - 2 > NIGHTLY_ARGS_MAX - 5) {
		fprintf(stderr, "weft: campaign: at most %d arguments\n", NIGHTLY_ARGS_MAX - 5);
		return 2;
	}
	char *args[NIGHTLY_ARGS_MAX];
	int n = 0;
	args[n++] = "python3";
	args[n++] = script;
	args[n++] = "--weft"; /* first: a --weft the user gives wins */
	args[n++] = self;
	for (int i = 2; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	SIM_ASSERT(n < NIGHTLY_ARGS_MAX);
	fflush(stdout);
	execvp("python3", args);
	fprintf(stderr, "weft: campaign needs python3 (apt-get install python3)\n");
	return 2;
}
