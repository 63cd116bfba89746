/*
 * campaign.c — trace folders and names, paths to paste, durations, sizes,
 * SIGINT (campaign.h).
 *
 * Host paths and signals only: nothing here reaches a simulated run.
 */
#include "campaign.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_assert.h"

#ifndef WEFT_SOURCE_DIR
#define WEFT_SOURCE_DIR ""
#endif

#define CAMPAIGN_DIR_DEPTH_MAX 64u
#define CAMPAIGN_WEEK_S (7.0 * 24.0 * 3600.0)

static char prog_shown[CAMPAIGN_PATH_MAX] = "weft";

/* The repository root this binary was built from, if it still exists. */
static const char *source_root(void)
{
	static char root[CAMPAIGN_PATH_MAX];
	static bool done;
	if (!done) {
		done = true;
		if (WEFT_SOURCE_DIR[0] && !realpath(WEFT_SOURCE_DIR, root))
			root[0] = '\0';
	}
	return root;
}

/* abs relative to the root when under it, else abs itself. */
static void relative_to_root(const char *abs, char *out, size_t cap)
{
	const char *root = source_root();
	size_t n = strlen(root);
	if (n && strncmp(abs, root, n) == 0 && abs[n] == '/')
		snprintf(out, cap, "%s", abs + n + 1);
	else
		snprintf(out, cap, "%s", abs);
}

void campaign_paths_init(const char *argv0)
{
	char exe[CAMPAIGN_PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len > 0) {
		exe[len] = '\0';
		relative_to_root(exe, prog_shown, sizeof prog_shown);
	} else if (argv0 && argv0[0]) {
		snprintf(prog_shown, sizeof prog_shown, "%s", argv0);
	}
	/* A bare name would be looked up in PATH: say it is a path. */
	if (!strchr(prog_shown, '/')) {
		char tmp[CAMPAIGN_PATH_MAX + 8];
		snprintf(tmp, sizeof tmp, "./%s", prog_shown);
		memcpy(prog_shown, tmp, sizeof prog_shown - 1);
		prog_shown[sizeof prog_shown - 1] = '\0';
	}
}

const char *campaign_prog(void)
{
	return prog_shown;
}

void campaign_path_shown(const char *path, char *out, size_t cap)
{
	SIM_ASSERT(path != NULL && cap > 0);
	char abs[PATH_MAX];
	if (realpath(path, abs)) {
		relative_to_root(abs, out, cap);
		return;
	}
	/* Not there yet: resolve its folder. */
	char dir[CAMPAIGN_PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : path;
	if (slash)
		*slash = '\0';
	char absdir[PATH_MAX];
	if (!realpath(slash ? (dir[0] ? dir : "/") : ".", absdir)) {
		snprintf(out, cap, "%s", path);
		return;
	}
	char joined[PATH_MAX + CAMPAIGN_PATH_MAX];
	snprintf(joined, sizeof joined, "%s/%s", strcmp(absdir, "/") ? absdir : "", base);
	relative_to_root(joined, out, cap);
}

void campaign_default_dir(char *out, size_t cap)
{
	const char *root = source_root();
	if (root[0])
		snprintf(out, cap, "%s/%s", root, CAMPAIGN_DIR_DEFAULT);
	else
		snprintf(out, cap, "%s", CAMPAIGN_DIR_DEFAULT);
}

/* mkdir -p, bounded in depth. */
static bool make_dirs(const char *dir, char *err, size_t cap)
{
	char path[CAMPAIGN_PATH_MAX];
	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
		snprintf(err, cap, "%s: path too long", dir);
		return false;
	}
	unsigned depth = 0;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		if (++depth > CAMPAIGN_DIR_DEPTH_MAX) {
			snprintf(err, cap, "%s: more than %u levels", dir, CAMPAIGN_DIR_DEPTH_MAX);
			return false;
		}
		*p = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			snprintf(err, cap, "cannot create %s: %s", path, strerror(errno));
			return false;
		}
		*p = '/';
	}
	if (mkdir(path, 0777) != 0 && errno != EEXIST) {
		snprintf(err, cap, "cannot create %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

bool campaign_dir_ready(const char *dir, char *err, size_t cap)
{
	if (!dir || !dir[0]) {
		snprintf(err, cap, "an empty folder name");
		return false;
	}
	if (!make_dirs(dir, err, cap))
		return false;
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, cap, "%s is not a folder", dir);
		return false;
	}
	char probe[CAMPAIGN_PATH_MAX + 32];
	snprintf(probe, sizeof probe, "%s/.weft-probe-%ld", dir, (long)getpid());
	FILE *f = fopen(probe, "w");
	if (!f) {
		snprintf(err, cap, "cannot write in %s: %s", dir, strerror(errno));
		return false;
	}
	fclose(f);
	unlink(probe);
	return true;
}

bool campaign_file_writable(const char *path, char *err, size_t cap)
{
	char dir[CAMPAIGN_PATH_MAX];
	if (!path || !path[0] || snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
		snprintf(err, cap, "bad file name '%s'", path ? path : "");
		return false;
	}
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, cap, "%s: folder %s does not exist", path, dir);
		return false;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(err, cap, "%s: cannot write in folder %s", path, dir);
		return false;
	}
	if (stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || access(path, W_OK) != 0)) {
		snprintf(err, cap, "%s: %s", path, S_ISDIR(st.st_mode) ? "is a folder" : "not writable");
		return false;
	}
	return true;
}

/* Copy `text` as a file-name part: no '/', no ':'. */
static void name_part(char *out, size_t cap, const char *text)
{
	size_t n = 0;
	for (size_t i = 0; text[i] && n + 1 < cap; i++) {
		char ch = text[i];
		if (ch == ':')
			continue;
		out[n++] = ch == '/' ? '_' : ch;
	}
	out[n] = '\0';
}

void campaign_trace_name(char *out, size_t cap, const char *dir, const char *workload,
			 unsigned cores, const char *strategy, uint64_t seed, uint32_t content_hash)
{
	char w[SIM_TRACE_NAME_MAX], s[SIM_TRACE_NAME_MAX];
	name_part(w, sizeof w, workload);
	name_part(s, sizeof s, strategy);
	snprintf(out, cap, "%s%s%s-c%u-%s-s%llu-%08x.trace", dir ? dir : "", dir && dir[0] ? "/" : "", w,
		 cores, s, (unsigned long long)seed, content_hash);
}

uint32_t campaign_trace_hash(const sim_trace_t *t)
{
	uint8_t *bytes = NULL;
	size_t size = 0;
	if (!sim_trace_encode(t, &bytes, &size))
		return 0;
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < size; i++)
		h = sim_hash64(h, bytes[i]);
	free(bytes);
	return (uint32_t)(h ^ (h >> 32));
}

bool campaign_parse_duration(const char *text, double *seconds)
{
	if (!text || !text[0] || text[0] == '-')
		return false;
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	double scale = 1;
	if (end == text || errno)
		return false;
	if (*end == 's' || *end == 'm' || *end == 'h') {
		scale = *end == 's' ? 1.0 : *end == 'm' ? 60.0 : 3600.0;
		end++;
	}
	if (*end != '\0' || !(v > 0) || v * scale > CAMPAIGN_WEEK_S)
		return false;
	*seconds = v * scale;
	return true;
}

bool campaign_parse_bytes(const char *text, size_t min, size_t max, size_t *bytes)
{
	if (!text || text[0] < '0' || text[0] > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	unsigned long long scale = 1;
	if (*end == 'K' || *end == 'k')
		scale = 1024u, end++;
	else if (*end == 'M' || *end == 'm')
		scale = 1024u * 1024u, end++;
	if (errno || *end != '\0' || v > max / scale || v * scale < min)
		return false;
	*bytes = (size_t)(v * scale);
	return true;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	if (interrupted) {
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
		return;
	}
	interrupted = 1;
}

void campaign_sigint_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

bool campaign_interrupted(void)
{
	return interrupted != 0;
}
