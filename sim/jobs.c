/*
 * jobs.c — worker processes for explore (jobs.h).
 *
 * Commit rule: a record of index r counts once every live worker has
 * reported an index >= r. A failure a worker reports later has an index
 * above its last report, so above r: r can never come to lie past the
 * first failure. Records past the lowest failure are dropped.
 */
#include "jobs.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "campaign.h"
#include "sim.h"
#include "sim_assert.h"

#define JOBS_POLL_MS 100

/* Shared between the parent and the workers (MAP_SHARED). */
struct jobs_shared {
	uint64_t stop_index;  /* lowest failing index so far (UINT64_MAX: none) */
	uint32_t interrupted; /* the parent saw SIGINT */
};

struct worker {
	pid_t pid;
	int fd;
	bool done;
	int64_t last;           /* last index reported (j - jobs before any) */
	size_t have;            /* bytes of a partial record in buf */
	unsigned char buf[sizeof(struct jobs_record)];
};

struct pending {
	struct jobs_record *r;
	size_t count, cap;
};

static void worker_main(unsigned j, unsigned jobs, uint64_t limit, jobs_run_fn run, void *ctx,
			struct jobs_shared *sh, int fd)
{
	signal(SIGINT, SIG_IGN); /* the parent decides; see sh->interrupted */
	static const int crash[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
	for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++)
		signal(crash[i], SIG_DFL); /* the parent reruns a crashing index itself */
	for (uint64_t index = j; index < limit; index += jobs) {
		if (__atomic_load_n(&sh->stop_index, __ATOMIC_SEQ_CST) < index ||
		    __atomic_load_n(&sh->interrupted, __ATOMIC_SEQ_CST))
			break;
		struct jobs_record r;
		memset(&r, 0, sizeof r);
		if (!run(ctx, index, &r))
			break;
		r.index = index;
		if (r.outcome != 0) {
			uint64_t seen = __atomic_load_n(&sh->stop_index, __ATOMIC_SEQ_CST);
			while (index < seen && !__atomic_compare_exchange_n(&sh->stop_index, &seen, index, false,
									    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				;
		}
		if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
			_exit(3);
		if (r.outcome != 0)
			break;
		if (index > UINT64_MAX - jobs)
			break;
	}
	_exit(0);
}

static void pending_push(struct pending *p, const struct jobs_record *r)
{
	if (p->count == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		struct jobs_record *n = realloc(p->r, cap * sizeof *n);
		SIM_ASSERT(n != NULL); /* host out of memory: not a finding */
		p->r = n;
		p->cap = cap;
	}
	p->r[p->count++] = *r;
}

/* Commit every pending record at or below `low`, drop those past `fail`. */
static void pending_commit(struct pending *p, int64_t low, uint64_t fail, jobs_commit_fn commit,
			   void *ctx)
{
	size_t keep = 0;
	for (size_t i = 0; i < p->count; i++) {
		const struct jobs_record *r = &p->r[i];
		if (r->index > fail)
			continue;
		if (low >= 0 && r->index <= (uint64_t)low)
			commit(ctx, r);
		else
			p->r[keep++] = *r;
	}
	p->count = keep;
}

/* Read what worker w has written; false at its end. */
static bool worker_read(struct worker *w, struct pending *p, uint64_t *fail)
{
	ssize_t n = read(w->fd, w->buf + w->have, sizeof w->buf - w->have);
	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	w->have += (size_t)n;
	if (w->have < sizeof w->buf)
		return true;
	struct jobs_record r;
	memcpy(&r, w->buf, sizeof r);
	w->have = 0;
	SIM_ASSERT((int64_t)r.index > w->last);
	w->last = (int64_t)r.index;
	if (r.outcome != 0 && r.index < *fail)
		*fail = r.index;
	pending_push(p, &r);
	return true;
}

/* A worker that ended: one that died inside a run made that run a crash. */
static void worker_end(struct worker *w, unsigned jobs, uint64_t limit, struct pending *p,
		       uint64_t *fail)
{
	close(w->fd);
	w->done = true;
	int status = 0;
	waitpid(w->pid, &status, 0);
	bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	uint64_t next = (uint64_t)(w->last + (int64_t)jobs);
	if (!clean && next < limit && next < *fail) {
		struct jobs_record r = {.index = next, .outcome = JOBS_OUTCOME_CRASH};
		*fail = next;
		w->last = (int64_t)next;
		pending_push(p, &r);
	}
}

static int64_t lowest_live(const struct worker *w, unsigned jobs)
{
	int64_t low = INT64_MAX;
	for (unsigned j = 0; j < jobs; j++)
		if (!w[j].done && w[j].last < low)
			low = w[j].last;
	return low;
}

static void parent_loop(struct worker *w, unsigned jobs, uint64_t limit, struct jobs_shared *sh,
			jobs_commit_fn commit, void *ctx, uint64_t *fail)
{
	struct pending p = {0};
	struct pollfd fds[CAMPAIGN_JOBS_MAX];
	for (unsigned live = jobs; live > 0;) {
		if (campaign_interrupted())
			__atomic_store_n(&sh->interrupted, 1u, __ATOMIC_SEQ_CST);
		unsigned n = 0, map[CAMPAIGN_JOBS_MAX];
		for (unsigned j = 0; j < jobs; j++)
			if (!w[j].done)
				fds[n] = (struct pollfd){.fd = w[j].fd, .events = POLLIN}, map[n++] = j;
		SIM_ASSERT(n == live);
		if (poll(fds, n, JOBS_POLL_MS) < 0 && errno != EINTR)
			break;
		for (unsigned k = 0; k < n; k++) {
			if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!worker_read(&w[map[k]], &p, fail)) {
				worker_end(&w[map[k]], jobs, limit, &p, fail);
				live--;
			}
		}
		pending_commit(&p, lowest_live(w, jobs), *fail, commit, ctx);
	}
	pending_commit(&p, INT64_MAX, *fail, commit, ctx);
	SIM_ASSERT(p.count == 0);
	free(p.r);
}

bool jobs_explore(unsigned jobs, uint64_t limit, jobs_run_fn run, void *run_ctx,
		  jobs_commit_fn commit, void *commit_ctx, struct jobs_outcome *out, char *err,
		  size_t cap)
{
	SIM_ASSERT(jobs >= 2 && jobs <= CAMPAIGN_JOBS_MAX);
	memset(out, 0, sizeof *out);
	struct jobs_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(err, cap, "cannot share memory with workers: %s", strerror(errno));
		return false;
	}
	sh->stop_index = UINT64_MAX;
	sh->interrupted = 0;
	struct worker w[CAMPAIGN_JOBS_MAX];
	fflush(stdout);
	fflush(stderr);
	for (unsigned j = 0; j < jobs; j++) {
		int fds[2];
		pid_t pid = pipe(fds) == 0 ? fork() : -1;
		if (pid == 0) {
			close(fds[0]);
			for (unsigned k = 0; k < j; k++)
				close(w[k].fd);
			worker_main(j, jobs, limit, run, run_ctx, sh, fds[1]);
		}
		if (pid < 0) {
			snprintf(err, cap, "cannot start worker %u: %s", j, strerror(errno));
			__atomic_store_n(&sh->interrupted, 1u, __ATOMIC_SEQ_CST);
			for (unsigned k = 0; k < j; k++)
				close(w[k].fd), waitpid(w[k].pid, NULL, 0);
			munmap(sh, sizeof *sh);
			return false;
		}
		close(fds[1]);
		w[j] = (struct worker){.pid = pid, .fd = fds[0], .last = (int64_t)j - (int64_t)jobs};
	}
	uint64_t fail = UINT64_MAX;
	parent_loop(w, jobs, limit, sh, commit, commit_ctx, &fail);
	out->failed = fail != UINT64_MAX;
	out->fail_index = fail;
	out->interrupted = sh->interrupted != 0;
	int64_t resume = INT64_MAX;
	for (unsigned j = 0; j < jobs; j++)
		if (w[j].last + (int64_t)jobs < resume)
			resume = w[j].last + (int64_t)jobs;
	out->resume_index = (uint64_t)resume;
	munmap(sh, sizeof *sh);
	return true;
}
