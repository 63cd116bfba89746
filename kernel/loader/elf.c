/*
 * elf.c — validating an ELF relocatable object (elf.h). Every offset and
 * size is checked against the image (without overflow: a + b <= size is
 * tested as a <= size && b <= size - a) before anything reads through it.
 */
#include <k/assert.h>
#include <k/errno.h>

#include "elf.h"

#define ELF_IDENT_BYTES 16u
#define ELF64_EHDR_BYTES 64u
#define ELF32_EHDR_BYTES 52u
#define ELF64_SHDR_BYTES 64u
#define ELF32_SHDR_BYTES 40u
#define ELF64_SYM_BYTES 24u
#define ELF32_SYM_BYTES 16u
#define ELF_ET_REL 1u

uint16_t elf_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t elf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint64_t elf_le64(const uint8_t *p)
{
	return (uint64_t)elf_le32(p) | ((uint64_t)elf_le32(p + 4) << 32);
}

static int refuse(struct elf_error *err, const char *why)
{
	K_ASSERT(err != NULL && why != NULL);
	err->why = why;
	return -K_ENOEXEC;
}

/* [off, off + len) lies inside [0, size). */
static bool in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static int parse_header(struct elf_image *img, uint16_t machine, uint64_t *shoff,
			struct elf_error *err)
{
	const uint8_t *b = img->bytes;
	if (img->size < ELF_IDENT_BYTES)
		return refuse(err, "truncated identification");
	if (b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
		return refuse(err, "not ELF (bad magic)");
	if (b[4] != 1 && b[4] != 2)
		return refuse(err, "wrong class");
	if (b[5] != 1)
		return refuse(err, "not little-endian");
	if (b[6] != 1)
		return refuse(err, "wrong version");
	img->is64 = b[4] == 2;
	if (img->size < (img->is64 ? ELF64_EHDR_BYTES : ELF32_EHDR_BYTES))
		return refuse(err, "truncated header");
	if (elf_le16(b + 16) != ELF_ET_REL)
		return refuse(err, "wrong type (not ET_REL)");
	img->machine = elf_le16(b + 18);
	if (img->machine != machine)
		return refuse(err, "wrong machine");
	if (img->is64 != (machine == ELF_EM_X86_64))
		return refuse(err, "wrong class for the machine");
	*shoff = elf_is64(img) ? elf_le64(b + 40) : elf_le32(b + 32);
	uint16_t shentsize = elf_le16(b + (elf_is64(img) ? 58 : 46));
	img->section_count = elf_le16(b + (elf_is64(img) ? 60 : 48));
	img->shstrndx = elf_le16(b + (elf_is64(img) ? 62 : 50));
	if (shentsize != (elf_is64(img) ? ELF64_SHDR_BYTES : ELF32_SHDR_BYTES))
		return refuse(err, "bad section header size");
	if (img->section_count == 0 || img->section_count > ELF_SECTIONS_MAX)
		return refuse(err, "bad section count");
	if (!in_bounds(*shoff, (uint64_t)img->section_count * shentsize, img->size))
		return refuse(err, "headers past the end");
	if (img->shstrndx >= img->section_count)
		return refuse(err, "bad name table index");
	return 0;
}

static void decode_section(const struct elf_image *img, const uint8_t *h, struct elf_section *s)
{
	K_ASSERT(h != NULL && s != NULL);
	s->name = elf_le32(h);
	s->type = elf_le32(h + 4);
	if (elf_is64(img)) {
		s->flags = elf_le64(h + 8);
		s->offset = elf_le64(h + 24);
		s->size = elf_le64(h + 32);
		s->link = elf_le32(h + 40);
		s->info = elf_le32(h + 44);
		s->align = elf_le64(h + 48);
		s->entsize = elf_le64(h + 56);
	} else {
		s->flags = elf_le32(h + 8);
		s->offset = elf_le32(h + 16);
		s->size = elf_le32(h + 20);
		s->link = elf_le32(h + 24);
		s->info = elf_le32(h + 28);
		s->align = elf_le32(h + 32);
		s->entsize = elf_le32(h + 36);
	}
	if (s->align == 0)
		s->align = 1;
}

static bool has_file_bytes(const struct elf_section *s)
{
	return s->type != ELF_SHT_NOBITS && s->type != 0 && s->size > 0;
}

static int check_section(const struct elf_image *img, const struct elf_section *s, uint64_t shoff,
			 struct elf_error *err)
{
	if (has_file_bytes(s) && !in_bounds(s->offset, s->size, img->size))
		return refuse(err, "section past the end");
	if (has_file_bytes(s) && s->offset < shoff + (uint64_t)img->section_count * (elf_is64(img) ? 64u : 40u) &&
	    shoff < s->offset + s->size)
		return refuse(err, "section overlaps headers");
	if (has_file_bytes(s) && s->offset < (elf_is64(img) ? ELF64_EHDR_BYTES : ELF32_EHDR_BYTES))
		return refuse(err, "section overlaps the header");
	if ((s->flags & ELF_SHF_ALLOC) &&
	    (s->align > ELF_ALIGN_MAX || (s->align & (s->align - 1)) != 0))
		return refuse(err, "bad section alignment");
	if ((s->flags & ELF_SHF_ALLOC) && s->size > ELF_IMAGE_BYTES_MAX)
		return refuse(err, "section too large");
	if (s->type == ELF_SHT_STRTAB && (s->size == 0 || img->bytes[s->offset + s->size - 1] != '\0'))
		return refuse(err, "string table without terminator");
	return 0;
}

/* No two sections' file bytes overlap (n <= ELF_SECTIONS_MAX: quadratic is fine). */
static int check_overlaps(const struct elf_image *img, struct elf_error *err)
{
	for (unsigned i = 1; i < img->section_count; i++) {
		const struct elf_section *a = &img->sections[i];
		if (!has_file_bytes(a))
			continue;
		for (unsigned j = i + 1; j < img->section_count; j++) {
			const struct elf_section *b = &img->sections[j];
			if (has_file_bytes(b) && a->offset < b->offset + b->size &&
			    b->offset < a->offset + a->size)
				return refuse(err, "overlapping sections");
		}
	}
	return 0;
}

/* Entries of `ent` bytes in section s. Its size was checked against the
 * image's (check_section: a symbol or relocation table has file bytes), so
 * it fits size_t and the division is a word one: a 64-bit division would
 * link the compiler's routine into 32-bit kernels for this alone. */
static size_t section_entries(const struct elf_image *img, const struct elf_section *s, uint64_t ent)
{
	K_ASSERT(ent != 0);
	K_ASSERT(s->size <= img->size);
	return (size_t)s->size / (size_t)ent;
}

static bool section_entries_whole(const struct elf_image *img, const struct elf_section *s, uint64_t ent)
{
	K_ASSERT(ent != 0);
	K_ASSERT(s->size <= img->size);
	return (size_t)s->size % (size_t)ent == 0;
}

static int find_symtab(struct elf_image *img, struct elf_error *err)
{
	unsigned found = 0;
	for (unsigned i = 1; i < img->section_count; i++) {
		if (img->sections[i].type != ELF_SHT_SYMTAB)
			continue;
		found++;
		img->symtab = (uint16_t)i;
	}
	if (found != 1)
		return refuse(err, "not one symbol table");
	const struct elf_section *st = &img->sections[img->symtab];
	uint64_t ent = elf_is64(img) ? ELF64_SYM_BYTES : ELF32_SYM_BYTES;
	if (st->entsize != ent || !section_entries_whole(img, st, ent) || section_entries(img, st, ent) == 0)
		return refuse(err, "bad symbol table size");
	if (section_entries(img, st, ent) > ELF_SYMBOLS_MAX)
		return refuse(err, "too many symbols");
	if (st->link == 0 || st->link >= img->section_count ||
	    img->sections[st->link].type != ELF_SHT_STRTAB)
		return refuse(err, "symtab without strtab");
	img->strtab = (uint16_t)st->link;
	img->symbol_count = (uint32_t)section_entries(img, st, ent);
	return 0;
}

void elf_symbol(const struct elf_image *img, uint32_t index, struct elf_symbol *out)
{
	K_ASSERT(index < img->symbol_count);
	K_ASSERT(out != NULL);
	const struct elf_section *st = &img->sections[img->symtab];
	const uint8_t *p = img->bytes + st->offset + (uint64_t)index * st->entsize;
	out->name = elf_le32(p);
	uint8_t info = elf_is64(img) ? p[4] : p[12];
	out->bind = (uint8_t)(info >> 4);
	out->type = (uint8_t)(info & 0xfu);
	out->shndx = elf_le16(p + (elf_is64(img) ? 6 : 14));
	out->value = elf_is64(img) ? elf_le64(p + 8) : elf_le32(p + 4);
	out->size = elf_is64(img) ? elf_le64(p + 16) : elf_le32(p + 8);
}

const char *elf_string(const struct elf_image *img, uint16_t strtab, uint64_t off)
{
	K_ASSERT(strtab < img->section_count);
	const struct elf_section *s = &img->sections[strtab];
	K_ASSERT(s->type == ELF_SHT_STRTAB);
	if (off >= s->size)
		return NULL;
	return (const char *)img->bytes + s->offset + off;
}

static int check_symbols(const struct elf_image *img, struct elf_error *err)
{
	/* From 0: a relocation may name symbol 0, and its name is read too. */
	for (uint32_t i = 0; i < img->symbol_count; i++) {
		struct elf_symbol sym;
		elf_symbol(img, i, &sym);
		if (!elf_string(img, img->strtab, sym.name))
			return refuse(err, "bad symbol name");
		if (sym.shndx == ELF_SHN_COMMON)
			return refuse(err, "common symbol (-fno-common)");
		if (sym.shndx == ELF_SHN_UNDEF || sym.shndx == ELF_SHN_ABS)
			continue;
		if (sym.shndx >= img->section_count)
			return refuse(err, "symbol pointing nowhere");
		const struct elf_section *s = &img->sections[sym.shndx];
		/* A Thumb function's value carries bit 0 (the instruction set). */
		uint64_t value = img->machine == ELF_EM_ARM && sym.type == ELF_STT_FUNC
					 ? sym.value & ~(uint64_t)1u : sym.value;
		if (value > s->size || sym.size > s->size - value)
			return refuse(err, "symbol past its section");
	}
	return 0;
}

/* Every REL/RELA section: its entry size, its symbol table, its target. */
static int check_relocs(const struct elf_image *img, struct elf_error *err)
{
	uint32_t total = 0;
	for (unsigned i = 1; i < img->section_count; i++) {
		const struct elf_section *s = &img->sections[i];
		if (s->type != ELF_SHT_REL && s->type != ELF_SHT_RELA)
			continue;
		uint64_t ent = (elf_is64(img) ? 8u : 4u) * (s->type == ELF_SHT_RELA ? 3u : 2u);
		if (s->entsize != ent || !section_entries_whole(img, s, ent))
			return refuse(err, "bad relocation table size");
		if (s->link != img->symtab)
			return refuse(err, "relocations of another symtab");
		if (s->info == 0 || s->info >= img->section_count)
			return refuse(err, "relocations for no section");
		if (section_entries(img, s, ent) > ELF_RELOCS_MAX - total)
			return refuse(err, "too many relocations");
		total += (uint32_t)section_entries(img, s, ent);
	}
	return 0;
}

int elf_parse(struct elf_image *img, const void *bytes, size_t size, uint16_t machine,
	      struct elf_error *err)
{
	K_ASSERT(img != NULL && err != NULL);
	K_ASSERT(machine == ELF_EM_X86_64 || machine == ELF_EM_ARM);
	K_ASSERT(ELF_HANDLES(machine));
	img->bytes = bytes;
	img->size = size;
	if (!bytes || size > ELF_IMAGE_BYTES_MAX)
		return refuse(err, "no image or too large");
	uint64_t shoff = 0;
	int rc = parse_header(img, machine, &shoff, err);
	if (rc < 0)
		return rc;
	uint64_t shent = elf_is64(img) ? ELF64_SHDR_BYTES : ELF32_SHDR_BYTES;
	for (unsigned i = 0; i < img->section_count; i++) {
		decode_section(img, img->bytes + shoff + i * shent, &img->sections[i]);
		rc = check_section(img, &img->sections[i], shoff, err);
		if (rc < 0)
			return rc;
	}
	/* Section 0 is the null header (extended numbering is not taken):
	 * every later pass starts at 1 and would never lay one out. */
	if (img->sections[0].type != 0 || img->sections[0].flags != 0)
		return refuse(err, "section 0 not null");
	if (img->sections[img->shstrndx].type != ELF_SHT_STRTAB)
		return refuse(err, "bad name table");
	for (unsigned i = 0; i < img->section_count; i++)
		if (!elf_string(img, img->shstrndx, img->sections[i].name))
			return refuse(err, "bad section name");
	rc = check_overlaps(img, err);
	if (rc == 0)
		rc = find_symtab(img, err);
	if (rc == 0)
		rc = check_symbols(img, err);
	if (rc == 0)
		rc = check_relocs(img, err);
	return rc;
}

uint32_t elf_reloc_count(const struct elf_image *img, uint16_t rel)
{
	K_ASSERT(rel < img->section_count);
	const struct elf_section *s = &img->sections[rel];
	K_ASSERT(s->type == ELF_SHT_REL || s->type == ELF_SHT_RELA);
	K_ASSERT(s->entsize != 0);
	return (uint32_t)section_entries(img, s, s->entsize);
}

void elf_reloc(const struct elf_image *img, uint16_t rel, uint32_t index, struct elf_reloc *out)
{
	K_ASSERT(index < elf_reloc_count(img, rel));
	const struct elf_section *s = &img->sections[rel];
	const uint8_t *p = img->bytes + s->offset + (uint64_t)index * s->entsize;
	if (elf_is64(img)) {
		uint64_t info = elf_le64(p + 8);
		out->offset = elf_le64(p);
		out->sym = (uint32_t)(info >> 32);
		out->type = (uint32_t)info;
		out->addend = s->type == ELF_SHT_RELA ? (int64_t)elf_le64(p + 16) : 0;
	} else {
		uint32_t info = elf_le32(p + 4);
		out->offset = elf_le32(p);
		out->sym = info >> 8;
		out->type = info & 0xffu;
		out->addend = s->type == ELF_SHT_RELA ? (int64_t)(int32_t)elf_le32(p + 8) : 0;
	}
}
