/*
 * elf.h — the loader's view of an ELF relocatable object (internal to
 * kernel/loader). elf_parse validates every header, section, string table
 * and symbol against the image's bounds before anything reads through it;
 * later steps read only through this view. ELF32 (ARM) and ELF64 (x86_64),
 * little-endian only (every weft target is).
 */
#ifndef WEFT_LOADER_ELF_H
#define WEFT_LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bsp.h>

#define ELF_EM_ARM 40u
#define ELF_EM_X86_64 62u

/* Whether this build's loader handles machine m (ELF_EM_*). A build that
 * fixes its code machine (BSP_CODE_MACHINE, bsp.h: the board) handles only
 * that one, so a Cortex-M4F kernel carries neither ELF64 decoding nor the
 * x86_64 relocations; a build that leaves it open (the simulator, wasm)
 * handles both, and the loader fuzzer exercises the board's Thumb-2 path
 * on the host. A constant: the compiler drops what a build cannot reach. */
#define ELF_HANDLES(m) (BSP_CODE_MACHINE == BSP_CODE_MACHINE_ANY || BSP_CODE_MACHINE == (m))

/* Bounds on what one module may hold: past them the image is refused. */
#define ELF_IMAGE_BYTES_MAX (4u << 20)
#define ELF_SECTIONS_MAX 64u
#define ELF_SYMBOLS_MAX 4096u
#define ELF_RELOCS_MAX 65536u
#define ELF_ALIGN_MAX 64u
#define ELF_NAME_MAX 128u

/* Section header types and flags the loader uses. */
#define ELF_SHT_PROGBITS 1u
#define ELF_SHT_SYMTAB 2u
#define ELF_SHT_STRTAB 3u
#define ELF_SHT_RELA 4u
#define ELF_SHT_NOBITS 8u
#define ELF_SHT_REL 9u
#define ELF_SHF_WRITE 1u
#define ELF_SHF_ALLOC 2u
#define ELF_SHF_EXECINSTR 4u

#define ELF_SHN_UNDEF 0u
#define ELF_SHN_ABS 0xfff1u
#define ELF_SHN_COMMON 0xfff2u

#define ELF_STT_FUNC 2u

#define ELF_STB_LOCAL 0u
#define ELF_STB_GLOBAL 1u
#define ELF_STB_WEAK 2u

struct elf_section {
	uint32_t name;   /* offset in the section-name table (checked) */
	uint32_t type;
	uint64_t flags;
	uint64_t offset; /* in the image; offset + size within it unless NOBITS */
	uint64_t size;
	uint32_t link;
	uint32_t info;
	uint64_t align;  /* 1 when the file says 0; a power of two <= ELF_ALIGN_MAX if ALLOC */
	uint64_t entsize;
};

struct elf_symbol {
	uint32_t name;   /* offset in the symbol string table (checked) */
	uint8_t bind;
	uint8_t type;
	uint16_t shndx;  /* UNDEF, ABS, or a section index < count (checked) */
	uint64_t value;  /* within its section (checked) for a defined symbol */
	uint64_t size;
};

struct elf_reloc {
	uint64_t offset; /* within the target section (checked when read) */
	uint32_t type;
	uint32_t sym;    /* < symbol count (checked when read) */
	int64_t addend;  /* RELA's; REL reads it from the section (reloc.c) */
};

struct elf_image {
	const uint8_t *bytes;
	size_t size;
	bool is64;
	uint16_t machine;
	uint16_t section_count;
	uint16_t shstrndx;
	struct elf_section sections[ELF_SECTIONS_MAX];
	uint16_t symtab;       /* index of the one SHT_SYMTAB */
	uint16_t strtab;       /* its string table */
	uint32_t symbol_count; /* entries of symtab, the null symbol included */
};

/* Why an image was refused: one static line, for the caller's message. */
struct elf_error {
	const char *why;
};

/* Validate the whole image (headers, every section's bounds and overlap,
 * string tables, every symbol) for the given machine (ELF_EM_*, one this
 * build handles: ELF_HANDLES). Returns 0, or -K_ENOEXEC with err->why set.
 * Reads only inside bytes[size]. */
int elf_parse(struct elf_image *img, const void *bytes, size_t size, uint16_t machine,
	      struct elf_error *err);

/* The index-th symbol, decoded (index < symbol_count: validated at parse). */
void elf_symbol(const struct elf_image *img, uint32_t index, struct elf_symbol *out);

/* The image is ELF64 (x86_64). Parsed images only: elf_parse refused a
 * class other than the machine's, so where the build handles no x86_64
 * this is the constant false and the ELF64 reads fold away. */
static inline bool elf_is64(const struct elf_image *img)
{
	return ELF_HANDLES(ELF_EM_X86_64) && img->is64;
}

/* A NUL-terminated string at off in string-table section strtab, or NULL if
 * off is outside it (the table's last byte is NUL: checked at parse). */
const char *elf_string(const struct elf_image *img, uint16_t strtab, uint64_t off);

/* Relocations of section rel (SHT_REL or SHT_RELA): their count, and the
 * index-th decoded (bounds of offset and sym are the caller's to check). */
uint32_t elf_reloc_count(const struct elf_image *img, uint16_t rel);
void elf_reloc(const struct elf_image *img, uint16_t rel, uint32_t index, struct elf_reloc *out);

/* Little-endian reads at p (the caller checked the bounds). */
uint16_t elf_le16(const uint8_t *p);
uint32_t elf_le32(const uint8_t *p);
uint64_t elf_le64(const uint8_t *p);

#endif /* WEFT_LOADER_ELF_H */
