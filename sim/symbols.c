/*
 * symbols.c — call sites to source lines (symbols.h), through addr2line.
 *
 * Display only: what this file computes is printed, never fed back into a
 * run, so running a host tool here costs determinism nothing.
 */
#define _GNU_SOURCE /* dladdr */
#include "symbols.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim_assert.h"

/* Distinct call sites resolved per log; the rest show as offsets. */
#define SYMBOLS_MAX 65536u
/* Addresses per addr2line run (its command line). */
#define SYMBOLS_BATCH 1024u
#define SYMBOLS_FILE_MAX 96u
#define SYMBOLS_FUNC_MAX 48u
#define SYMBOLS_PATH_MAX 4096u
#define SYMBOLS_OUTPUT_MAX ((size_t)SYMBOLS_BATCH * 512u)

#ifndef WEFT_SOURCE_DIR
#define WEFT_SOURCE_DIR ""
#endif

struct symbol {
	uint32_t offset;
	char func[SYMBOLS_FUNC_MAX];
	char file[SYMBOLS_FILE_MAX]; /* relative to the source tree; "" unknown */
	unsigned line;
};

struct weft_symbols {
	struct symbol *sym; /* sorted by offset once resolved */
	size_t count;
	bool resolved;
	bool tool_missing;
};

struct weft_symbols *weft_symbols_new(void)
{
	struct weft_symbols *s = calloc(1, sizeof *s);
	if (s)
		s->sym = calloc(SYMBOLS_MAX, sizeof *s->sym);
	if (s && !s->sym) {
		free(s);
		s = NULL;
	}
	return s;
}

void weft_symbols_free(struct weft_symbols *s)
{
	if (!s)
		return;
	free(s->sym);
	free(s);
}

void weft_symbols_want(struct weft_symbols *s, uint32_t offset)
{
	if (!s || s->resolved || s->count >= SYMBOLS_MAX)
		return;
	s->sym[s->count++].offset = offset;
}

static int by_offset(const void *a, const void *b)
{
	uint32_t x = ((const struct symbol *)a)->offset, y = ((const struct symbol *)b)->offset;
	return x < y ? -1 : x > y;
}

static const struct symbol *lookup(const struct weft_symbols *s, uint32_t offset)
{
	size_t lo = 0, hi = s->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->sym[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->count && s->sym[lo].offset == offset ? &s->sym[lo] : NULL;
}

/* "/abs/src/stress/x.c:42 (discriminator 1)" -> file "stress/x.c", line 42. */
static void take_location(struct symbol *y, const char *text)
{
	const char *colon = strrchr(text, ':');
	if (!colon || text[0] == '?' || colon[1] < '0' || colon[1] > '9')
		return;
	y->line = (unsigned)strtoul(colon + 1, NULL, 10);
	size_t root = strlen(WEFT_SOURCE_DIR);
	const char *rel = text;
	if (root && strncmp(text, WEFT_SOURCE_DIR, root) == 0 && text[root] == '/')
		rel = text + root + 1;
	size_t len = (size_t)(colon - rel);
	if (len >= sizeof y->file)
		rel += len - (sizeof y->file - 1), len = sizeof y->file - 1;
	memcpy(y->file, rel, len);
	y->file[len] = '\0';
}

/* Run addr2line on sym[first..first+n) and read "function\nfile:line\n"
 * per address. */
static bool resolve_batch(struct weft_symbols *s, const char *exe, uintptr_t add, size_t first,
			  size_t n)
{
	char *argv[SYMBOLS_BATCH + 6];
	static char addrs[SYMBOLS_BATCH][24];
	SIM_ASSERT(n <= SYMBOLS_BATCH);
	size_t k = 0;
	argv[k++] = "addr2line";
	argv[k++] = "-f";
	argv[k++] = "-e";
	argv[k++] = (char *)exe;
	for (size_t i = 0; i < n; i++) {
		snprintf(addrs[i], sizeof addrs[i], "0x%lx", (unsigned long)(s->sym[first + i].offset + add));
		argv[k++] = addrs[i];
	}
	argv[k] = NULL;
	int fds[2];
	if (pipe(fds) != 0)
		return false;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		close(fds[0]);
		execvp("addr2line", argv);
		_exit(127);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return false;
	}
	char *buf = malloc(SYMBOLS_OUTPUT_MAX + 1);
	size_t have = 0;
	for (ssize_t r = 1; buf && r > 0 && have < SYMBOLS_OUTPUT_MAX; have += (size_t)(r > 0 ? r : 0))
		r = read(fds[0], buf + have, SYMBOLS_OUTPUT_MAX - have);
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	bool ok = buf && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (ok) {
		buf[have] = '\0';
		char *save = NULL, *line = strtok_r(buf, "\n", &save);
		for (size_t i = 0; i < n && line; i++) {
			struct symbol *y = &s->sym[first + i];
			snprintf(y->func, sizeof y->func, "%s", line[0] == '?' ? "" : line);
			line = strtok_r(NULL, "\n", &save);
			if (line)
				take_location(y, line);
			line = strtok_r(NULL, "\n", &save);
		}
	}
	free(buf);
	return ok;
}

void weft_symbols_resolve(struct weft_symbols *s)
{
	if (!s || s->resolved)
		return;
	s->resolved = true;
	qsort(s->sym, s->count, sizeof s->sym[0], by_offset);
	size_t u = 0;
	for (size_t i = 0; i < s->count; i++)
		if (u == 0 || s->sym[u - 1].offset != s->sym[i].offset)
			s->sym[u++] = s->sym[i];
	s->count = u;
	char exe[SYMBOLS_PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len <= 0)
		return;
	exe[len] = '\0';
	/* A position-dependent executable's addresses are absolute. */
	uintptr_t add = 0;
	unsigned char hdr[18];
	int fd = open(exe, O_RDONLY);
	Dl_info self;
	if (fd >= 0 && read(fd, hdr, sizeof hdr) == (ssize_t)sizeof hdr && hdr[16] == 2 &&
	    dladdr((void *)(uintptr_t)weft_symbols_resolve, &self))
		add = (uintptr_t)self.dli_fbase;
	if (fd >= 0)
		close(fd);
	for (size_t first = 0; first < s->count; first += SYMBOLS_BATCH) {
		size_t n = s->count - first < SYMBOLS_BATCH ? s->count - first : SYMBOLS_BATCH;
		if (!resolve_batch(s, exe, add, first, n)) {
			s->tool_missing = true;
			return;
		}
	}
}

enum frame_class { FRAME_UNKNOWN, FRAME_KERNEL, FRAME_BSP, FRAME_ENGINE, FRAME_HARNESS, FRAME_CALLER };

static enum frame_class classify(const struct symbol *y)
{
	if (!y || !y->file[0])
		return FRAME_UNKNOWN;
	size_t len = strlen(y->file);
	if (len > 7 && strcmp(y->file + len - 7, "_test.c") == 0)
		return FRAME_CALLER; /* a kernel self-test calls the kernel as a user does */
	if (strncmp(y->file, "kernel/", 7) == 0)
		return FRAME_KERNEL;
	if (strncmp(y->file, "bsp/", 4) == 0)
		return FRAME_BSP;
	if (strncmp(y->file, "sim/engine/", 11) == 0)
		return FRAME_ENGINE;
	if (strncmp(y->file, "sim/", 4) == 0)
		return FRAME_HARNESS; /* boot.c runs k_boot: core 0's idle loop lives there */
	return FRAME_CALLER;
}

void weft_symbols_caller(const struct weft_symbols *s, const uint32_t *sites, unsigned n, char *out,
			 size_t cap)
{
	SIM_ASSERT(cap > 0);
	out[0] = '\0';
	if (!s || n == 0)
		return;
	if (s->tool_missing) {
		snprintf(out, cap, "+0x%x (no addr2line to name it)", sites[0]);
		return;
	}
	bool through_irq = false;
	const struct symbol *api = NULL, *outer_kernel = NULL;
	for (unsigned i = 0; i < n; i++) {
		const struct symbol *y = lookup(s, sites[i]);
		enum frame_class c = classify(y);
		if (c == FRAME_ENGINE)
			through_irq = true; /* an interrupt delivered at an engine point */
		if (c == FRAME_KERNEL) {
			api = y;
			outer_kernel = y;
		}
		if (c != FRAME_CALLER)
			continue;
		bool named = api && api->func[0];
		snprintf(out, cap, "%s:%u%s%s%s%s", y->file, y->line, named || through_irq ? " (" : "",
			 named ? api->func : "", through_irq ? (named ? "; an interrupt taken there" : "an interrupt taken there") : "",
			 named || through_irq ? ")" : "");
		return;
	}
	if (outer_kernel)
		snprintf(out, cap, "%s:%u (%s, inside the kernel)", outer_kernel->file, outer_kernel->line,
			 outer_kernel->func);
}
