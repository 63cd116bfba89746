/*
 * k/loader.h — dynamic modules: ELF relocatable objects (ET_REL) loaded at
 * run time, linked against the symbols the kernel exports, started, stopped.
 *
 * A dynamic module is built like a static one (k/module.h): its sources hold
 * one K_MODULE(name, init, fini, level) line, and that descriptor is how the
 * loader finds its init and fini (the level is not used: a dynamic module
 * starts when it is loaded). It may reference only symbols the kernel
 * exports with K_EXPORT(symbol); any other undefined symbol refuses the load.
 * Build it without position-independent code and, on x86_64, with
 * -mcmodel=large (the loader places code and data anywhere in memory;
 * a 32-bit relocation that cannot reach is refused with -K_ERANGE).
 *
 * Ownership: the calling thread's process owns the module (a resource of
 * the process, like its mutexes). k_module_unload runs fini, then frees
 * everything. Killing the owner, or its exit, unloads the module without
 * running fini (the owner is gone; whatever init created in the owner's
 * name is released by the tracker too).
 */
#ifndef K_LOADER_H
#define K_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include <k/section.h>

/* A symbol a dynamic module may reference. */
struct k_export {
	const char *name;
	const void *addr;
};

/* Export a kernel function or object to dynamic modules (any file of the
 * kernel, once per symbol). */
#define K_EXPORT(sym)                                                              \
	const struct k_export k_export_##sym K_SECTION_ITEM(weft_exports) =        \
		{#sym, (const void *)&(sym)}

K_SECTION_DECLARE(weft_exports, struct k_export);

typedef struct k_dynmod k_dynmod_t;

/* Load the object image[size] (the caller keeps the bytes; the module does
 * not reference them afterwards), relocate it, run its init. Thread context;
 * kill-deferred while it runs. Returns 0 with *out set, or:
 *  -K_ENOTSUP   the target cannot load code (wasm), or an unknown relocation type
 *  -K_ENOEXEC   malformed or for another machine: wrong class, machine or
 *               type; truncated headers; section data past the end or
 *               overlapping; a string table without a terminator; a symbol
 *               pointing nowhere; a relocation outside its section; no
 *               K_MODULE descriptor, or one that points outside the module
 *  -K_ENOENT    an undefined symbol the kernel does not export
 *  -K_ERANGE    a relocation whose value overflows its field
 *  -K_ENOMEM    no memory for the module
 *  -K_EINVAL    NULL arguments
 *  the negative code its init returned (the module is freed again).
 * why (may be NULL) receives one static line saying what was wrong. */
int k_module_load(const void *image, size_t size, k_dynmod_t **out, const char **why);

/* Run the module's fini, free everything it had. Thread context of the
 * owning process. Returns 0; -K_EINVAL not a loaded module; -K_EPERM the
 * caller's process is not the owner. */
int k_module_unload(k_dynmod_t *m);

/* The descriptor's name; NULL for a handle that is not a loaded module. */
const char *k_dynmod_name(const k_dynmod_t *m);

/* Address of the module's global symbol `name` (a function or object it
 * defines), or NULL. Thread context. */
void *k_dynmod_symbol(const k_dynmod_t *m, const char *name);

/* The loader's counters, for end checks: what is loaded and mapped now. */
struct k_loader_stats {
	uint64_t loads;        /* successful loads since boot */
	uint64_t unloads;      /* explicit unloads */
	uint64_t reaped;       /* unloaded because the owner exited or was killed */
	uint64_t refused;      /* loads refused (bad image, init failure, memory) */
	uint64_t live;         /* modules loaded now */
	uint64_t exec_blocks;  /* executable blocks held now (BSP memory) */
};
void k_loader_stats(struct k_loader_stats *out);

#endif /* K_LOADER_H */
