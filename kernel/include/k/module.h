/*
 * k/module.h — static modules: code linked with the kernel that the kernel
 * finds and starts without knowing it in advance.
 *
 *     static int ramfs_init(void) { ...; return 0; }   // or a negative K_E* code
 *     static void ramfs_fini(void) { ... }
 *     K_MODULE(ramfs, ramfs_init, ramfs_fini, K_LEVEL_SERVICE);
 *
 * The descriptor (symbol k_module_desc_<name>) is collected like K_TEST and
 * K_WORKLOAD (k/section.h, section `weft_modules`, or the table the build
 * generates on wasm). Declare every module in CMake with weft_add_module(NAME
 * name SOURCES ... LEVEL level): on ELF targets it merges the module's
 * objects into one (ld -r) and makes every symbol but the descriptor local,
 * so two modules may both define `counter` or `helper()`; the LEVEL given
 * there must equal the K_MODULE line's (a compile-time check).
 *
 * Contract:
 *  - Boot order is by level (lowest first), then by name (byte order): the
 *    same on every target and with either collection form, never the link
 *    order. Two modules may not share a name (boot refuses: -K_EEXIST).
 *  - k_boot runs every module's init in the first kernel thread, before the
 *    boot config's main, and every fini in reverse order after main returns
 *    (a main that ends with k_thread_exit skips the fini: return instead).
 *  - An init that returns < 0: boot goes on without the module and the
 *    console says so; its fini is never run. A module declared with
 *    K_MODULE_REQUIRED stops the boot instead: main is not run, the modules
 *    already started are finished in reverse, and k_boot returns its code.
 *  - init and fini run in thread context and may make any kernel call; fini
 *    may be NULL.
 */
#ifndef K_MODULE_H
#define K_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include <k/section.h>

/* Boot levels: lower starts first. Any value 0..K_LEVEL_MAX is allowed. */
#define K_LEVEL_EARLY 0u    /* no dependency but the kernel */
#define K_LEVEL_CORE 10u    /* kernel services other modules use */
#define K_LEVEL_DRIVER 20u  /* devices */
#define K_LEVEL_SERVICE 30u /* file systems, protocols */
#define K_LEVEL_APP 40u     /* the firmware's own */
#define K_LEVEL_MAX 99u

#define K_MODULE_REQUIRED_FLAG 1u

/* Static modules a build may link (the boot sorts them in a heap array). */
#define K_MODULES_MAX 128u

struct k_module {
	const char *name;   /* the identifier given to K_MODULE */
	int (*init)(void);  /* 0, or a negative K_E* code: the module did not start */
	void (*fini)(void); /* NULL: nothing to undo */
	unsigned level;     /* 0..K_LEVEL_MAX */
	unsigned flags;     /* K_MODULE_REQUIRED_FLAG */
};

/* weft_add_module passes the CMake LEVEL as WEFT_MODULE_LEVEL; the
 * descriptor's level must be the same (one truth, checked at compile time). */
#ifdef WEFT_MODULE_LEVEL
#define K_MODULE_LEVEL_CHECK_(level_)                                              \
	_Static_assert((level_) == (WEFT_MODULE_LEVEL),                            \
		       "K_MODULE level differs from weft_add_module's LEVEL")
#else
#define K_MODULE_LEVEL_CHECK_(level_)                                              \
	_Static_assert((level_) <= K_LEVEL_MAX, "module level past K_LEVEL_MAX")
#endif

/* A static module (built by weft_add_module, so WEFT_MODULE_LEVEL is set)
 * references k_module_boot: an image links the modules' boot (module.c)
 * exactly when it links a static module, since k_boot's own references to it
 * are weak (sched.c). A dynamic module has no such reference: the loader
 * starts it, and it could not import the boot anyway. */
#ifdef WEFT_MODULE_LEVEL
#define K_MODULE_BOOT_REF_(ident)                                                  \
	__attribute__((used)) static int (*const k_module_boot_ref_##ident)(void) = k_module_boot
#else
#define K_MODULE_BOOT_REF_(ident) _Static_assert(1, "a dynamic module: no boot reference")
#endif

#define K_MODULE_DEFINE_(ident, init_, fini_, level_, flags_)                      \
	K_MODULE_LEVEL_CHECK_(level_);                                             \
	_Static_assert((level_) <= K_LEVEL_MAX, "module level past K_LEVEL_MAX"); \
	K_MODULE_BOOT_REF_(ident);                                                 \
	const struct k_module k_module_desc_##ident K_SECTION_ITEM(weft_modules) = \
		{#ident, init_, fini_, level_, flags_}

#define K_MODULE(ident, init_, fini_, level_) K_MODULE_DEFINE_(ident, init_, fini_, level_, 0u)
/* A module the firmware cannot run without: its init failure stops the boot. */
#define K_MODULE_REQUIRED(ident, init_, fini_, level_)                             \
	K_MODULE_DEFINE_(ident, init_, fini_, level_, K_MODULE_REQUIRED_FLAG)

K_SECTION_DECLARE(weft_modules, struct k_module);

/* Static modules the build linked (either form, k/section.h). any. */
size_t k_module_count(void);

/* The modules of `list` in boot order (level, then name) into out[cap].
 * Returns the count; -K_ENOSPC when more than cap (or K_MODULES_MAX);
 * -K_EINVAL a descriptor without name or init, or a level past K_LEVEL_MAX;
 * -K_EEXIST two modules with one name. any context. */
int k_module_boot_order(const struct k_section *list, const struct k_module **out, size_t cap);

/* Start every module (k_boot calls it, when the image links it: see
 * K_MODULE_BOOT_REF_; a harness that boots without k_boot may). Returns 0, or the code of a required module that failed (then the
 * modules already started have been finished again). thread context, once
 * per boot. */
int k_module_boot(void);

/* Finish the started modules in reverse boot order. thread context, after
 * k_module_boot. */
void k_module_shutdown(void);

/* State of the module `name` while the modules run (between k_module_boot
 * and k_module_shutdown: the boot keeps its record on the kernel heap only
 * then): 1 running, 0 not started, a negative K_E* code its init returned;
 * -K_ENOENT no such module, or outside that time. Thread context. */
int k_module_status(const char *name);

#endif /* K_MODULE_H */
