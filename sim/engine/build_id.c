/*
 * build_id.c — the running executable's GNU build id, for trace headers: it
 * says which binary recorded a trace. It is not the trace's identity (that
 * is the fit record of the points reached, sim.h): another build replays the
 * trace with a warning, and refuses it only when asked to be strict. Host
 * code, read once from the ELF notes of the main program.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "sim.h"

#define BUILD_ID_BYTES_MAX 20u

static int find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	char *hex = data;
	if (info->dlpi_name && info->dlpi_name[0])
		return 0; /* only the executable itself */
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		const uint8_t *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const uint8_t *name = p + sizeof *n;
			const uint8_t *desc = name + ((n->n_namesz + 3u) & ~3u);
			if (desc + n->n_descsz > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0) {
				size_t len = n->n_descsz < BUILD_ID_BYTES_MAX ? n->n_descsz
									       : BUILD_ID_BYTES_MAX;
				for (size_t j = 0; j < len; j++)
					snprintf(hex + 2 * j, 3, "%02x", desc[j]);
				return 1;
			}
			p = desc + ((n->n_descsz + 3u) & ~3u);
		}
	}
	return 0;
}

const char *sim_build_id(void)
{
	static char hex[2 * BUILD_ID_BYTES_MAX + 1];
	_Static_assert(sizeof hex <= SIM_TRACE_NAME_MAX, "a build id fits a trace header field");
	if (!hex[0]) {
		dl_iterate_phdr(find_build_id, hex);
		if (!hex[0])
			snprintf(hex, sizeof hex, "no-build-id");
	}
	return hex;
}
