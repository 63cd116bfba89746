/*
 * sched_fuzz.c — libFuzzer target for the scheduler: the input chooses what
 * the threads do and how the cores interleave.
 *
 * Input: byte 0 = cores (1..4) and threads (1..4); the next PROGRAM_BYTES
 * bytes are the threads' programs (one op per byte, split evenly; missing
 * bytes are yields); every byte after that is a scheduling decision
 * (sim_strategy_bytes; the default once they run out). Each input boots a
 * fresh kernel (weft_run_once): nothing carries over, so every crash
 * reproduces from its input alone.
 *
 * Ops: yield; mutex lock (timed or forever, only in ascending mutex order, so
 * the program itself can never deadlock) / unlock; semaphore give / timed
 * take; message-queue timed put / get; condition wait (timed, holding mutex
 * 0) / signal / broadcast; sleep; priority and affinity changes; start a
 * victim process (which contends on mutex 1 and sleeps) / kill it and wait
 * for it. Every blocking op that could wait for the program is timed.
 *
 * Oracles: the harness's (K_ASSERT, k_sched_check between steps, deadlock,
 * step budget, leak check) and this end check: mutexes free, semaphore and
 * queue counts equal to what the threads did, every object destroyable. Any
 * failure aborts, which libFuzzer records as a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <k/proc.h>
#include <k/sched.h>
#include <k/sync.h>
#include <k/thread.h>
#include <k/workload.h>

#include "fuzz_harness.h"
#include "harness.h"

#define FZ_THREADS_MAX 4u
#define FZ_PROGRAM_BYTES 48u
#define FZ_MUTEXES 2u
#define FZ_SEM_INITIAL 1u
#define FZ_SEM_LIMIT 4u
#define FZ_MSGQ_CAPACITY 2u
#define FZ_TIMEOUT_UNIT_NS 700u
#define FZ_VICTIM_LOOPS 40u
#define FZ_STACK_BYTES (16u * 1024u)
#define FZ_STEP_BUDGET 300000u
#define FZ_REGION_BYTES (256u * 1024u)

enum fz_op {
	OP_YIELD = 0,
	OP_LOCK,
	OP_UNLOCK,
	OP_SEM_GIVE,
	OP_SEM_TAKE,
	OP_MSGQ_PUT,
	OP_MSGQ_GET,
	OP_SLEEP,
	OP_PRIORITY,
	OP_AFFINITY,
	OP_COND,
	OP_VICTIM,
	OP_COUNT,
};

struct fz_thread {
	const uint8_t *ops;
	size_t op_count;
	bool held[FZ_MUTEXES];
	unsigned sem_gives, sem_takes;
	unsigned puts, gets;
	k_proc_t *victim;
	int error;
};

static struct {
	const uint8_t *program;
	size_t program_len;
	unsigned threads;
	k_mutex_t *m[FZ_MUTEXES];
	k_sem_t *sem;
	k_msgq_t *q;
	k_cond_t *cond;
	struct fz_thread t[FZ_THREADS_MAX];
	char failure[160];
} fz;

static void fz_note(struct fz_thread *t, int rc, const char *what)
{
	if (rc < 0 && t->error == 0) {
		t->error = rc;
		snprintf(fz.failure, sizeof fz.failure, "%s failed with %d", what, rc);
	}
}

static uint64_t fz_timeout(unsigned arg)
{
	return (uint64_t)(arg % 8u) * FZ_TIMEOUT_UNIT_NS;
}

/* Accept only the results the call's contract allows for this use. */
static void fz_expect(struct fz_thread *t, int rc, int also_ok, const char *what)
{
	if (rc == 0 || rc == also_ok)
		return;
	fz_note(t, rc, what);
}

static void fz_victim(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < FZ_VICTIM_LOOPS; i++) {
		if (k_mutex_lock(fz.m[1], FZ_TIMEOUT_UNIT_NS * 4u) == 0) {
			k_thread_yield();
			k_mutex_unlock(fz.m[1]);
		}
		(void)k_thread_sleep_ns(FZ_TIMEOUT_UNIT_NS);
	}
}

static void fz_victim_op(struct fz_thread *t)
{
	if (!t->victim) {
		struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
		a.name = "victim";
		a.stack_bytes = FZ_STACK_BYTES;
		int rc = k_proc_create(&t->victim, "victim", fz_victim, NULL, &a);
		if (rc < 0) {
			/* Out of memory or of processes: a legal answer, not a bug. */
			t->victim = NULL;
			if (rc != -K_ENOMEM && rc != -K_EAGAIN)
				fz_note(t, rc, "k_proc_create");
		}
		return;
	}
	int rc = k_proc_kill(t->victim, -1);
	if (rc != -K_ESRCH)
		fz_note(t, rc, "k_proc_kill");
	fz_note(t, k_proc_wait(t->victim, K_FOREVER, NULL), "k_proc_wait");
	t->victim = NULL;
}

static void fz_lock(struct fz_thread *t, unsigned arg)
{
	unsigned i = arg % FZ_MUTEXES;
	for (unsigned j = i; j < FZ_MUTEXES; j++)
		if (t->held[j])
			return; /* only ascending: the program never deadlocks itself */
	uint64_t timeout = (arg & 2u) ? K_FOREVER : fz_timeout(arg / 4u);
	int rc = k_mutex_lock(fz.m[i], timeout);
	if (rc == 0)
		t->held[i] = true;
	else if (rc != -K_ETIMEDOUT || timeout == K_FOREVER)
		fz_note(t, rc, "k_mutex_lock");
}

static void fz_cond(struct fz_thread *t, unsigned arg)
{
	if (t->held[0] && !t->held[1]) {
		/* cond_wait gives mutex 0 back and retakes it: still in order
		 * since no higher mutex is held. */
		int rc = k_cond_wait(fz.cond, fz.m[0], fz_timeout(arg) + 1u);
		fz_expect(t, rc, -K_ETIMEDOUT, "k_cond_wait");
		return;
	}
	fz_note(t, (arg & 1u) ? k_cond_broadcast(fz.cond) : k_cond_signal(fz.cond), "k_cond_signal");
}

static void fz_step(struct fz_thread *t, uint8_t byte)
{
	unsigned op = byte % OP_COUNT, arg = byte / OP_COUNT;
	uint32_t msg = byte;
	int rc;
	switch ((enum fz_op)op) {
	case OP_YIELD: k_thread_yield(); break;
	case OP_LOCK: fz_lock(t, arg); break;
	case OP_UNLOCK:
		if (t->held[arg % FZ_MUTEXES]) {
			fz_note(t, k_mutex_unlock(fz.m[arg % FZ_MUTEXES]), "k_mutex_unlock");
			t->held[arg % FZ_MUTEXES] = false;
		}
		break;
	case OP_SEM_GIVE:
		rc = k_sem_give(fz.sem);
		fz_expect(t, rc, -K_EAGAIN, "k_sem_give");
		t->sem_gives += rc == 0;
		break;
	case OP_SEM_TAKE:
		rc = k_sem_take(fz.sem, fz_timeout(arg));
		fz_expect(t, rc, -K_ETIMEDOUT, "k_sem_take");
		t->sem_takes += rc == 0;
		break;
	case OP_MSGQ_PUT:
		rc = k_msgq_put(fz.q, &msg, fz_timeout(arg));
		fz_expect(t, rc, -K_ETIMEDOUT, "k_msgq_put");
		t->puts += rc == 0;
		break;
	case OP_MSGQ_GET:
		rc = k_msgq_get(fz.q, &msg, fz_timeout(arg));
		fz_expect(t, rc, -K_ETIMEDOUT, "k_msgq_get");
		t->gets += rc == 0;
		break;
	case OP_SLEEP: fz_note(t, k_thread_sleep_ns(fz_timeout(arg)), "k_thread_sleep_ns"); break;
	case OP_PRIORITY:
		fz_note(t, k_thread_priority_set(k_thread_self(), 24u + arg), "k_thread_priority_set");
		break;
	case OP_AFFINITY: {
		k_cpumask_t all = ((k_cpumask_t)1u << k_sched_cores()) - 1u;
		k_cpumask_t mask = ((k_cpumask_t)arg + 1u) & all;
		fz_note(t, k_thread_affinity_set(k_thread_self(), mask ? mask : all),
			"k_thread_affinity_set");
		break;
	}
	case OP_COND: fz_cond(t, arg); break;
	case OP_VICTIM: fz_victim_op(t); break;
	case OP_COUNT: break;
	}
}

static void fz_thread_main(void *arg)
{
	struct fz_thread *t = arg;
	for (size_t i = 0; i < t->op_count && t->error == 0; i++)
		fz_step(t, t->ops[i]);
	for (unsigned j = FZ_MUTEXES; j-- > 0;)
		if (t->held[j]) {
			fz_note(t, k_mutex_unlock(fz.m[j]), "k_mutex_unlock at exit");
			t->held[j] = false;
		}
	if (t->victim) {
		int rc = k_proc_kill(t->victim, -1);
		if (rc != -K_ESRCH)
			fz_note(t, rc, "k_proc_kill at exit");
		fz_note(t, k_proc_wait(t->victim, K_FOREVER, NULL), "k_proc_wait at exit");
		t->victim = NULL;
	}
}

static int fz_create_objects(void)
{
	int rc;
	for (unsigned i = 0; i < FZ_MUTEXES; i++)
		if ((rc = k_mutex_create(&fz.m[i], i ? "m1" : "m0")) < 0)
			return rc;
	if ((rc = k_sem_create(&fz.sem, "sem", FZ_SEM_INITIAL, FZ_SEM_LIMIT)) < 0 ||
	    (rc = k_msgq_create(&fz.q, "q", sizeof(uint32_t), FZ_MSGQ_CAPACITY)) < 0)
		return rc;
	return k_cond_create(&fz.cond, "cond");
}

static int fz_main(void)
{
	fz.failure[0] = '\0';
	int rc = fz_create_objects();
	if (rc < 0)
		return rc;
	size_t per = FZ_PROGRAM_BYTES / fz.threads;
	k_thread_t *th[FZ_THREADS_MAX];
	for (unsigned i = 0; i < fz.threads; i++) {
		struct fz_thread *t = &fz.t[i];
		memset(t, 0, sizeof *t);
		size_t start = i * per;
		t->ops = fz.program + (start < fz.program_len ? start : fz.program_len);
		t->op_count = start < fz.program_len ? fz.program_len - start : 0;
		if (t->op_count > per)
			t->op_count = per;
		struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
		a.name = "fuzz";
		a.stack_bytes = FZ_STACK_BYTES;
		if ((rc = k_thread_create(&th[i], fz_thread_main, t, &a)) < 0)
			return rc;
	}
	for (unsigned i = 0; i < fz.threads; i++)
		if ((rc = k_thread_join(th[i], K_FOREVER, NULL)) < 0)
			return rc;
	return 0;
}

static int fz_check(char *msg, size_t cap)
{
	unsigned gives = 0, takes = 0, puts = 0, gets = 0;
	for (unsigned i = 0; i < fz.threads; i++) {
		if (fz.t[i].error) {
			snprintf(msg, cap, "thread %u: %s", i, fz.failure);
			return -1;
		}
		gives += fz.t[i].sem_gives;
		takes += fz.t[i].sem_takes;
		puts += fz.t[i].puts;
		gets += fz.t[i].gets;
	}
	for (unsigned i = 0; i < FZ_MUTEXES; i++)
		if (k_mutex_owner(fz.m[i]) != NULL) {
			snprintf(msg, cap, "mutex m%u still owned at the end", i);
			return -1;
		}
	if (k_sem_count(fz.sem) != FZ_SEM_INITIAL + gives - takes) {
		snprintf(msg, cap, "semaphore count %u, expected %u + %u gives - %u takes",
			 k_sem_count(fz.sem), FZ_SEM_INITIAL, gives, takes);
		return -1;
	}
	if (k_msgq_count(fz.q) != puts - gets) {
		snprintf(msg, cap, "queue holds %u, expected %u puts - %u gets", k_msgq_count(fz.q),
			 puts, gets);
		return -1;
	}
	int rc = 0;
	for (unsigned i = 0; i < FZ_MUTEXES && rc == 0; i++)
		rc = k_mutex_destroy(fz.m[i]);
	if (rc == 0)
		rc = k_sem_destroy(fz.sem);
	if (rc == 0)
		rc = k_msgq_destroy(fz.q);
	if (rc == 0)
		rc = k_cond_destroy(fz.cond);
	if (rc < 0) {
		snprintf(msg, cap, "destroying an idle object failed with %d", rc);
		return -1;
	}
	return 0;
}

/* Not in the weft_workloads section: only this target runs it. */
static const struct k_workload fz_workload = {"sched_fuzz", "fuzz program", fz_main, fz_check, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned cores = 1u + (data[0] & 3u);
	fz.threads = 1u + ((data[0] >> 2) & 3u);
	fz.program = data + 1;
	fz.program_len = size - 1 < FZ_PROGRAM_BYTES ? size - 1 : FZ_PROGRAM_BYTES;
	const uint8_t *schedule = data + 1 + fz.program_len;
	struct weft_run_options o;
	memset(&o, 0, sizeof o);
	o.cores = cores;
	o.bytes = schedule;
	o.bytes_len = size - 1 - fz.program_len;
	o.step_budget = FZ_STEP_BUDGET;
	o.region_bytes = FZ_REGION_BYTES;
	snprintf(o.strategy, sizeof o.strategy, "bytes");
	/* SCHED_FUZZ_LOG=N: print the last N lines of the event log of a
	 * failing input (to read a reproducer). */
	const char *log_env = getenv("SCHED_FUZZ_LOG");
	o.log = log_env != NULL;
	sim_result_t r;
	enum sim_outcome out = weft_run_once(&fz_workload, &o, &r, NULL, 0);
	if (out != SIM_OK && r.log) {
		long keep = strtol(log_env, NULL, 10);
		size_t at = r.log_len;
		for (long n = 0; at > 0 && n <= (keep > 0 ? keep : 40); at--)
			n += r.log[at - 1] == '\n';
		fwrite(r.log + at, 1, r.log_len - at, stderr);
	}
	if (out != SIM_OK) {
		fprintf(stderr, "sched_fuzz: %s on %u cores, %u threads: %s\n",
			out == SIM_FAIL_ASSERT     ? "assertion"
			: out == SIM_FAIL_DEADLOCK ? "deadlock"
			: out == SIM_FAIL_BUDGET   ? "step budget"
						   : "oracle",
			cores, fz.threads, r.message);
		sim_result_free(&r);
		abort();
	}
	weft_fuzz_count_run(&r);
	sim_result_free(&r);
	return 0;
}
