/*
 * replay_main.c — a main for fuzz targets in builds without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on every file named, or found (sorted by name)
 * in every directory named. A crash is a sanitizer abort; otherwise exit 0.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_FILE_MAX_BYTES (64u << 20)

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_FILE_MAX_BYTES);
	if (!buf) {
		fclose(f);
		return -1;
	}
	size_t n = fread(buf, 1, REPLAY_FILE_MAX_BYTES, f);
	fclose(f);
	/* Copy to an exact-size buffer so ASan sees reads past the input. */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	unsigned long count = 0;
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
			return 2;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= replay_file(argv[i]) != 0;
			count++;
			continue;
		}
		struct dirent **list;
		int n = scandir(argv[i], &list, NULL, by_name);
		if (n < 0) {
			fprintf(stderr, "replay: cannot read directory %s\n", argv[i]);
			return 2;
		}
		for (int j = 0; j < n; j++) {
			char path[4096];
			if (list[j]->d_name[0] != '.') {
				snprintf(path, sizeof path, "%s/%s", argv[i], list[j]->d_name);
				bad |= replay_file(path) != 0;
				count++;
			}
			free(list[j]);
		}
		free(list);
	}
	if (count == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		return 1;
	}
	printf("replay: %lu inputs, %s\n", count, bad ? "some unreadable" : "all ran");
	return bad ? 1 : 0;
}
