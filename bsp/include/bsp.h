/*
 * bsp.h — the board support contract: the only door between kernel/ and a target.
 *
 * Implemented by bsp/sim (the simulator engine), bsp/linux (pthreads as cores),
 * bsp/cortex-m4f (PendSV/SysTick under QEMU mps2-an386) and bsp/wasm (one core,
 * Emscripten fibers). The kernel includes this header and freestanding C headers,
 * nothing else, and never tests a target macro: every difference lives behind
 * these functions.
 *
 * Contexts used below:
 *   thread  — a kernel thread or a core's boot context, interrupts on or off;
 *   isr     — inside the handler given to bsp_irq_set_handler (interrupts
 *             off; never switches context);
 *   any     — either.
 * Functions that cross cores (spinlocks, atomics, interrupt enable, IPI, context
 * switch, idle) are the simulator's scheduling points: kernel code must touch
 * memory shared between cores only through them, or the simulator cannot see
 * (and so cannot explore) the race.
 *
 * Errors: functions that can fail return a negative BSP_E* code. The values are
 * the same numbers as the kernel's K_E* codes, so the kernel may pass them up.
 */
#ifndef BSP_H
#define BSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ limits */

/* Most cores any target reports; the kernel sizes per-core arrays with it.
 * Every such array is static RAM, so a target build may set it lower
 * (-DBSP_CORES_MAX=1u on Cortex-M4F); all files of one build see one value. */
#ifndef BSP_CORES_MAX
#define BSP_CORES_MAX 64u
#endif

/* Error codes (negated when returned). Kept equal to K_E* in k/errno.h. */
#define BSP_EPERM 1
#define BSP_ENOENT 2
#define BSP_EIO 5
#define BSP_EBADF 9
#define BSP_ENOMEM 12
#define BSP_EACCES 13
#define BSP_EEXIST 17
#define BSP_ENOTDIR 20
#define BSP_EISDIR 21
#define BSP_EINVAL 22
#define BSP_ENOSPC 28
#define BSP_ENOSYS 38

/* ------------------------------------------------------------------ cores */

/* Number of cores the target runs, 1..BSP_CORES_MAX. Constant after boot. any. */
unsigned bsp_core_count(void);

/* Id of the calling core, 0..bsp_core_count()-1. any. The value is stable only
 * while interrupts are off or the thread is pinned: a preempted thread may
 * resume on another core. */
unsigned bsp_core_id(void);

typedef void (*bsp_entry_fn)(void *arg);

/* Start secondary core `core` at entry(arg) on a boot stack the BSP owns, with
 * interrupts off. Called once per secondary core by the boot core, thread
 * context. entry must never return. Returns 0, -BSP_EINVAL for a bad or
 * already started core. */
int bsp_core_start(unsigned core, bsp_entry_fn entry, void *arg);

/* Wait for an interrupt. Called with interrupts off (thread context); returns,
 * still with interrupts off, once an interrupt is pending for this core, which
 * the caller then takes by enabling interrupts. May return spuriously. */
void bsp_core_idle(void);

/* Raise the inter-processor interrupt on `core` (may be the caller's). any. */
void bsp_ipi_send(unsigned core);

/* ------------------------------------------------------------- interrupts */

typedef uintptr_t bsp_irq_state_t;

/* Disable interrupts on this core and return the previous state. any. */
bsp_irq_state_t bsp_irq_save(void);
/* Restore a state returned by bsp_irq_save; may deliver pending interrupts. */
void bsp_irq_restore(bsp_irq_state_t state);
/* True if interrupts are enabled on this core. any. */
bool bsp_irq_enabled(void);
/* Enable interrupts on this core (delivers pending ones). thread context.
 * For contexts that have no saved "on" state to restore: a new context's
 * first run (bsp_context_init starts it with interrupts off) and an idle
 * loop taking the interrupt bsp_core_idle waited for. */
void bsp_irq_enable(void);

enum bsp_irq {
	BSP_IRQ_TIMER = 1u << 0, /* this core's one-shot timer reached its deadline */
	BSP_IRQ_IPI = 1u << 1,   /* another core called bsp_ipi_send on this one */
};

/* Device interrupt lines 0..BSP_IRQ_LINES-1 arrive as bit BSP_IRQ_LINE(n) of
 * the handler's mask, always on core 0. The kernel dispatches them to the
 * handlers of k/irq.h. */
#define BSP_IRQ_LINES 8u
#define BSP_IRQ_LINE_SHIFT 8u
#define BSP_IRQ_LINE(n) (1u << (BSP_IRQ_LINE_SHIFT + (n)))
#define BSP_IRQ_LINES_MASK (((1u << BSP_IRQ_LINES) - 1u) << BSP_IRQ_LINE_SHIFT)

/* Pend device line `line` on core 0, as the device would; it is taken when
 * core 0 next has interrupts on (on the simulator: at a point the strategy
 * decides). Raising a line already pending does nothing more. any.
 * Returns 0, -BSP_EINVAL for line >= BSP_IRQ_LINES. */
int bsp_irq_line_raise(unsigned line);

/* The board's test device on `line`: raise it `count` times, about one
 * arrival every period_ns (the simulator decides each arrival time within
 * [period_ns/2, 3*period_ns/2] after the previous one and records it; on
 * hardware a timer peripheral). count 0 stops it (an arrival already
 * pending is still taken); starting it again replaces the previous program.
 * The next arrival is programmed when core 0 takes the previous one, so each
 * arrival is one take of the line. thread context. Returns 0, -BSP_EINVAL bad
 * line or period 0 with count > 0, -BSP_ENOSYS no device for that line. */
int bsp_device_start(unsigned line, uint32_t count, uint64_t period_ns);

/* The kernel's interrupt handler: called on the interrupted core, in isr
 * context (interrupts off, on whatever stack the target takes interrupts
 * on: a fiber's own on the simulator and wasm, the exception stack in
 * Handler mode on Cortex-M4F), with a mask of enum bsp_irq bits, never 0
 * (the kernel's dispatch relies on a line bit or another bit being there;
 * every target passes what it took). It never switches context. It returns
 * true when the interrupted context must call the kernel's preempt function
 * before it resumes. */
typedef bool (*bsp_irq_handler_fn)(unsigned irq_mask);
/* (With BSP_IRQ_TAIL_SWITCH, below, a handler that returns true may have
 * asked the BSP to switch instead: bsp_irq_switch.) */

/* The kernel's preempt function: called by the BSP right after a handler
 * that returned true, before anything else runs on that core (no
 * scheduling point between the two), in thread context: on the interrupted
 * context's own stack, interrupts off. It may switch context; it returns,
 * interrupts still off, when the interrupted context is switched back to
 * (maybe on another core), and the BSP then resumes that context with
 * interrupts on, as a return from interrupt does. After a handler that
 * returned false the interrupted context resumes at once. */
typedef void (*bsp_irq_preempt_fn)(void);

/* Install both; called once at boot before interrupts are enabled. Neither
 * is NULL. */
void bsp_irq_set_handler(bsp_irq_handler_fn handler, bsp_irq_preempt_fn preempt);

/* ------------------------------------------------------------------- time */

/* Monotonic time in nanoseconds since boot, the same clock on every core. any. */
uint64_t bsp_clock_ns(void);

/* A cheap stamp of the same clock, for a moment the kernel may need only
 * later (a slice's start, kernel/sched): bsp_clock_stamp() returns the low
 * 32 bits of a count of the clock's own steps (it wraps);
 * bsp_clock_stamp_ns(stamp) returns bsp_clock_ns() as it was when that
 * stamp was read, exactly, provided less than BSP_CLOCK_STAMP_SPAN_NS has
 * passed since. Interrupts off, on the core that read the stamp. */
#define BSP_CLOCK_STAMP_SPAN_NS ((uint64_t)1u << 32)
uint32_t bsp_clock_stamp(void);
uint64_t bsp_clock_stamp_ns(uint32_t stamp);

/* Arm this core's one-shot timer for absolute time deadline_ns (a deadline in
 * the past fires at once); BSP_TIMER_NONE cancels. any. */
#define BSP_TIMER_NONE UINT64_MAX
void bsp_timer_set(uint64_t deadline_ns);

/* ---------------------------------------------------------------- context */

/* A saved execution context. The BSP keeps what it needs inside the stack given
 * to bsp_context_init (or in the boot stack it owns), so the kernel stores only
 * this handle. */
typedef void *bsp_context_t;

/* Smallest stack bsp_context_init accepts, in bytes. */
#define BSP_STACK_MIN_BYTES 4096u

/* Prepare a new context that will run entry(arg) on [stack, stack+size) the
 * first time it is switched to, with interrupts off. entry must never return.
 * stack is 16-byte aligned, size >= BSP_STACK_MIN_BYTES. thread context.
 * Returns the handle, or NULL when the stack is unusable. */
bsp_context_t bsp_context_init(void *stack, size_t size, bsp_entry_fn entry, void *arg);

/* Save the running context into *save and resume `to` on this core. Called
 * with interrupts off; returns (with interrupts off) when some core switches
 * back to *save. save == NULL means the running context is finished and will
 * never resume (its stack may be freed once `to` runs). */
void bsp_context_switch(bsp_context_t *save, bsp_context_t to);

/* Switching at the end of the kernel's interrupt handler. A target that
 * can sets BSP_IRQ_TAIL_SWITCH to 1 for its build (Cortex-M4F: the root
 * CMakeLists.txt), like BSP_CORES_MAX; only one-core kernels
 * (BSP_CORES_MAX == 1) use it (kernel/sched: SCHED_IRQ_SWITCH). Other
 * targets keep 0 and need neither function below (the kernel's calls fold
 * away); their preemption goes through the preempt function (above).
 *
 * Two kinds of saved context then exist, and bsp_context_switch (and
 * bsp_irq_switch) resumes either. A context saved by bsp_context_switch
 * (or new, bsp_context_init) resumes returning from that call (or at its
 * entry) with interrupts off. A context saved by bsp_irq_switch is an
 * interrupted one: it resumes in its interrupted code with interrupts on,
 * as a return from interrupt does, so whatever the kernel must do for it
 * is done before it is switched to. */
#ifndef BSP_IRQ_TAIL_SWITCH
#define BSP_IRQ_TAIL_SWITCH 0
#endif

/* From the kernel's interrupt handler only (bsp_irq_handler_fn), at most
 * once per call, which then returns true: when the handler returns, the
 * BSP calls no preempt function; the interrupted context is saved into
 * *save (an interrupted context) and `to` (either kind) runs instead, on
 * this core. */
void bsp_irq_switch(bsp_context_t *save, bsp_context_t to);

/* Whether ctx (saved, not running) is an interrupted context (saved by
 * bsp_irq_switch). For the kernel's rare paths (a thread that dies, one
 * that is killed): the switches themselves need not ask. any. */
bool bsp_context_interrupted(bsp_context_t ctx);

/* The stack behind ctx is about to be reused or freed; ctx is not running and
 * will never be switched to again. thread context. */
void bsp_context_release(bsp_context_t ctx);

/* --------------------------------------------------- spinlocks and atomics */

/* A spinlock: the only way kernel code guards memory shared between cores.
 * Fields are the BSP's; the kernel only passes the address. */
typedef struct bsp_spinlock {
	volatile uint32_t locked; /* 0 free, 1 held */
	uint32_t owner;           /* holding core + 1, 0 when free (debug aid) */
} bsp_spinlock_t;

#define BSP_SPINLOCK_INIT {0u, 0u}

void bsp_spin_init(bsp_spinlock_t *lock);
/* Acquire, spinning. Callers hold interrupts off, or deadlock with an isr
 * that takes the same lock. any. */
void bsp_spin_lock(bsp_spinlock_t *lock);
/* Acquire without spinning; true on success. any. */
bool bsp_spin_trylock(bsp_spinlock_t *lock);
/* Release a lock the calling core holds. any. */
void bsp_spin_unlock(bsp_spinlock_t *lock);
/* True if the calling core holds lock (for K_ASSERT). any. */
bool bsp_spin_held(const bsp_spinlock_t *lock);
/* The usual pair in one call: disable interrupts, then acquire; and release,
 * then restore. Same contract as the two calls (one scheduling point fewer
 * on the simulator, one call fewer on every hot path). any. */
bsp_irq_state_t bsp_spin_lock_irqsave(bsp_spinlock_t *lock);
void bsp_spin_unlock_irqrestore(bsp_spinlock_t *lock, bsp_irq_state_t state);

/* An atomic machine word, sequentially consistent. any. */
typedef struct bsp_atomic {
	volatile uintptr_t value;
} bsp_atomic_t;

uintptr_t bsp_atomic_load(const bsp_atomic_t *a);
void bsp_atomic_store(bsp_atomic_t *a, uintptr_t v);
/* Returns the value before the operation. */
uintptr_t bsp_atomic_fetch_add(bsp_atomic_t *a, uintptr_t delta);
uintptr_t bsp_atomic_swap(bsp_atomic_t *a, uintptr_t v);
/* If *a == *expected store desired and return true; else load *a into
 * *expected and return false. */
bool bsp_atomic_cas(bsp_atomic_t *a, uintptr_t *expected, uintptr_t desired);

/* A plain word read whole (never torn) with no ordering, for the kernel's
 * few lock-free reads of a word another core may rewrite meanwhile under a
 * lock the reader does not hold. The caller must rely only on bits that no
 * other core changes while it reads: then the result cannot depend on the
 * schedule, which is why this is neither a synchronisation nor a
 * scheduling point (the simulator's never-rule sees a BSP read, not a
 * plain one). word is aligned. any. */
uintptr_t bsp_load_relaxed(const uintptr_t *word);

/* ----------------------------------------------------------------- memory */

/* A range of host memory the kernel may manage. Any alignment, any size. */
struct bsp_mem_region {
	uintptr_t base;
	size_t size;
};

/* Number of regions; *regions points at a BSP-owned array valid until reboot.
 * Called once at boot by the memory manager. thread context. */
size_t bsp_mem_regions(const struct bsp_mem_region **regions);

/* Executable memory for loaded code, where the target has it; NULL where it
 * does not (wasm) or when exhausted. thread context. */
void *bsp_mem_exec_alloc(size_t size);
void bsp_mem_exec_free(void *p, size_t size);
/* The ELF machine (e_machine) of code this target runs, for the loader:
 * 62 x86_64, 40 ARM (Thumb-2), 0 when the target cannot load code (wasm).
 * any context. */
unsigned bsp_code_machine(void);

/* The same machine as a build constant, where the target's build fixes it
 * (Cortex-M4F: 40, the root CMakeLists.txt), like BSP_CORES_MAX; then
 * bsp_code_machine() returns exactly this value, and the kernel's loader
 * carries only that machine's ELF class and relocations (kernel/loader:
 * a board keeps no x86_64 code). BSP_CODE_MACHINE_ANY (the default: the
 * simulator, whose host decides, and wasm) means the build does not fix
 * it: the loader keeps every machine it knows and asks bsp_code_machine()
 * at run time. Each BSP asserts at compile time that its value agrees. */
#define BSP_CODE_MACHINE_ANY 0xffffu
#ifndef BSP_CODE_MACHINE
#define BSP_CODE_MACHINE BSP_CODE_MACHINE_ANY
#endif

/* ------------------------------------------------------------- host files */

/* Host file access for hostfs. Targets without one return -BSP_ENOSYS from
 * every call. thread context, may block the calling core. */
#define BSP_FILE_READ 1u
#define BSP_FILE_WRITE 2u
#define BSP_FILE_CREATE 4u
#define BSP_FILE_TRUNC 8u

#define BSP_SEEK_SET 0
#define BSP_SEEK_CUR 1
#define BSP_SEEK_END 2

/* Returns a handle >= 0 or a negative BSP_E* code. */
int bsp_file_open(const char *path, unsigned flags);
/* Return the byte count (0 at end of file) or a negative BSP_E* code. */
long bsp_file_read(int handle, void *buf, size_t size);
long bsp_file_write(int handle, const void *buf, size_t size);
/* Returns the new offset or a negative BSP_E* code. */
int64_t bsp_file_seek(int handle, int64_t offset, int whence);
int bsp_file_close(int handle);
/* Name of the index-th entry of directory path into name[cap]: returns 1 when
 * written, 0 past the last entry, or a negative BSP_E* code. Entries come in a
 * stable order that does not depend on host addresses. */
int bsp_dir_entry(const char *path, size_t index, char *name, size_t cap);

/* ------------------------------------------------- console, panic, faults */

/* Write bytes to the console. any; never fails visibly. */
void bsp_console_write(const char *s, size_t size);

/* Stop everything: print file, line and message, end the run as failed. any. */
_Noreturn void bsp_panic(const char *file, int line, const char *msg);

/* Fault injection sites: places where the kernel asks whether to fail. */
enum bsp_fault_site {
	BSP_FAULT_ALLOC = 0, /* a memory allocation */
	BSP_FAULT_IO = 1,    /* a host file operation */
	BSP_FAULT_SITES = 2,
};

/* True if the operation at `site` should fail now. On hardware always false;
 * on the simulator a decision of the run (recorded, replayable, shrinkable).
 * any. */
bool bsp_fault_inject(unsigned site);

/* Kernel events for the simulator's readable log and state hash (thread
 * switch, lock, wake, ...); a no-op where there is no log. `kind` is a short
 * static string; a and b are event-specific words such as thread or process
 * ids — never addresses, which differ from run to run (ASLR) and would break
 * determinism of the state hash. any. */
void bsp_trace_event(const char *kind, uintptr_t a, uintptr_t b);

/* Kernel events for the readable log only, never for the state hash, so
 * adding one changes no recorded run's hash: who gave, posted or signalled
 * what (even when it woke nobody), a thread queueing itself to wait, a
 * mutex handed over, and the name of each thread and object as it is made
 * (kind "name.thread", "name.sem", ...; a = its id, text = its name). text
 * may be NULL; it is copied during the call. a and b are ids, never
 * addresses. A no-op where there is no log. any. */
void bsp_trace_detail(const char *kind, uintptr_t a, uintptr_t b, const char *text);

#endif /* BSP_H */
