/*
 * loader_impl.h — internals shared by the loader's files (kernel/loader).
 */
#ifndef WEFT_LOADER_IMPL_H
#define WEFT_LOADER_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "elf.h"

/* Where one relocation writes: its section's loaded bytes and size, and the
 * offset the relocation names (checked against size by reloc_apply). */
struct reloc_place {
	uint8_t *base;
	uint64_t section_size;
	uint64_t offset;
};

/* Apply one relocation of `type` for machine (ELF_EM_*): s the symbol's
 * address, addend RELA's (REL types read theirs in place), thumb_fn the
 * symbol is a Thumb function (ARM). Returns 0; -K_ENOEXEC the place is
 * outside its section; -K_ERANGE the value overflows the field; -K_ENOTSUP
 * an unknown type. *why says which. */
int reloc_apply(uint16_t machine, const struct reloc_place *pl, uint32_t type, uint64_t s,
		int64_t addend, bool thumb_fn, const char **why);

/* Defined beside the kernel's export list (exports.c): calling it links it. */
void loader_exports_linked(void);

/* Everything k_module_load does to an image but run it: parse, allocate,
 * place, relocate for `machine` (ELF_EM_*, any: relocating for another
 * machine writes only inside the module's blocks), find the descriptor;
 * then free it all. Memory charged to the kernel owner; needs k_mem_init
 * only (no booted scheduler). Returns what k_module_load would (never an
 * init's code; -K_ENOTSUP for a machine this build does not handle,
 * ELF_HANDLES in elf.h); *why as there. For the fuzzer and the loader's
 * tests. */
int loader_check_image(const void *image, size_t size, uint16_t machine, const char **why);

#endif /* WEFT_LOADER_IMPL_H */
