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

/* Every reason elf_parse refuses an image for: one short line each (the
 * caller prints it), in the order of the checks in this file. One table, so a check
 * site passes only an index and the texts are one block (no pointer per
 * text: flash on a small target). */
#define ELF_REFUSALS(X) \
	X(TRUNCATED_IDENT, "truncated identification") \
	X(NOT_ELF, "not ELF (bad magic)") \
	X(WRONG_CLASS, "wrong class") \
	X(NOT_LITTLE_ENDIAN, "not little-endian") \
	X(WRONG_VERSION, "wrong version") \
	X(TRUNCATED_HEADER, "truncated header") \
	X(WRONG_TYPE, "wrong type (not ET_REL)") \
	X(WRONG_MACHINE, "wrong machine") \
	X(CLASS_FOR_MACHINE, "wrong class for the machine") \
	X(SHDR_SIZE, "bad section header size") \
	X(SECTION_COUNT, "bad section count") \
	X(SHDRS_PAST_END, "headers past the end") \
	X(NAME_TABLE_INDEX, "bad name table index") \
	X(SECTION_PAST_END, "section past the end") \
	X(OVERLAPS_SHDRS, "section overlaps headers") \
	X(OVERLAPS_EHDR, "section overlaps the header") \
	X(ALIGNMENT, "bad section alignment") \
	X(SECTION_TOO_LARGE, "section too large") \
	X(STRTAB_TERMINATOR, "string table without terminator") \
	X(OVERLAPPING_SECTIONS, "overlapping sections") \
	X(SYMTAB_COUNT, "not one symbol table") \
	X(SYMTAB_SIZE, "bad symbol table size") \
	X(TOO_MANY_SYMBOLS, "too many symbols") \
	X(SYMTAB_STRTAB, "symtab without strtab") \
	X(BAD_SYMBOL_NAME, "bad symbol name") \
	X(COMMON_SYMBOL, "common symbol (-fno-common)") \
	X(SYMBOL_NOWHERE, "symbol pointing nowhere") \
	X(SYMBOL_PAST_SECTION, "symbol past its section") \
	X(RELOC_SIZE, "bad relocation table size") \
	X(RELOC_SYMTAB, "relocations of another symtab") \
	X(RELOC_TARGET, "relocations for no section") \
	X(TOO_MANY_RELOCS, "too many relocations") \
	X(NO_IMAGE, "no image or too large") \
	X(SECTION0, "section 0 not null") \
	X(NAME_TABLE, "bad name table") \
	X(BAD_SECTION_NAME, "bad section name")

#define ELF_REFUSAL_NAME(name, text) ER_##name,
enum elf_refusal { ELF_REFUSALS(ELF_REFUSAL_NAME) ELF_REFUSAL_COUNT };
#define ELF_REFUSAL_TEXT(name, text) text "\0"
static const char elf_refusal_texts[] = ELF_REFUSALS(ELF_REFUSAL_TEXT);

/* The text of refusal r: the r-th of the block's NUL-ended lines. */
static const char *refusal_text(enum elf_refusal r)
{
	K_ASSERT((unsigned)r < ELF_REFUSAL_COUNT);
	size_t at = 0;
	for (unsigned n = 0; n < (unsigned)r; n++) {
		while (elf_refusal_texts[at] != '\0')
			at++;
		at++;
		K_ASSERT(at < sizeof elf_refusal_texts);
	}
	return elf_refusal_texts + at;
}

static int refuse(struct elf_error *err, enum elf_refusal r)
{
	K_ASSERT(err != NULL);
	err->why = refusal_text(r);
	K_ASSERT(err->why[0] != '\0');
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
		return refuse(err, ER_TRUNCATED_IDENT);
	if (b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
		return refuse(err, ER_NOT_ELF);
	if (b[4] != 1 && b[4] != 2)
		return refuse(err, ER_WRONG_CLASS);
	if (b[5] != 1)
		return refuse(err, ER_NOT_LITTLE_ENDIAN);
	if (b[6] != 1)
		return refuse(err, ER_WRONG_VERSION);
	img->is64 = b[4] == 2;
	if (img->size < (img->is64 ? ELF64_EHDR_BYTES : ELF32_EHDR_BYTES))
		return refuse(err, ER_TRUNCATED_HEADER);
	if (elf_le16(b + 16) != ELF_ET_REL)
		return refuse(err, ER_WRONG_TYPE);
	img->machine = elf_le16(b + 18);
	if (img->machine != machine)
		return refuse(err, ER_WRONG_MACHINE);
	if (img->is64 != (machine == ELF_EM_X86_64))
		return refuse(err, ER_CLASS_FOR_MACHINE);
	*shoff = elf_is64(img) ? elf_le64(b + 40) : elf_le32(b + 32);
	uint16_t shentsize = elf_le16(b + (elf_is64(img) ? 58 : 46));
	img->section_count = elf_le16(b + (elf_is64(img) ? 60 : 48));
	img->shstrndx = elf_le16(b + (elf_is64(img) ? 62 : 50));
	if (shentsize != (elf_is64(img) ? ELF64_SHDR_BYTES : ELF32_SHDR_BYTES))
		return refuse(err, ER_SHDR_SIZE);
	if (img->section_count == 0 || img->section_count > ELF_SECTIONS_MAX)
		return refuse(err, ER_SECTION_COUNT);
	if (!in_bounds(*shoff, (uint64_t)img->section_count * shentsize, img->size))
		return refuse(err, ER_SHDRS_PAST_END);
	if (img->shstrndx >= img->section_count)
		return refuse(err, ER_NAME_TABLE_INDEX);
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
		return refuse(err, ER_SECTION_PAST_END);
	if (has_file_bytes(s) && s->offset < shoff + (uint64_t)img->section_count * (elf_is64(img) ? 64u : 40u) &&
	    shoff < s->offset + s->size)
		return refuse(err, ER_OVERLAPS_SHDRS);
	if (has_file_bytes(s) && s->offset < (elf_is64(img) ? ELF64_EHDR_BYTES : ELF32_EHDR_BYTES))
		return refuse(err, ER_OVERLAPS_EHDR);
	if ((s->flags & ELF_SHF_ALLOC) &&
	    (s->align > ELF_ALIGN_MAX || (s->align & (s->align - 1)) != 0))
		return refuse(err, ER_ALIGNMENT);
	if ((s->flags & ELF_SHF_ALLOC) && s->size > ELF_IMAGE_BYTES_MAX)
		return refuse(err, ER_SECTION_TOO_LARGE);
	if (s->type == ELF_SHT_STRTAB && (s->size == 0 || img->bytes[s->offset + s->size - 1] != '\0'))
		return refuse(err, ER_STRTAB_TERMINATOR);
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
				return refuse(err, ER_OVERLAPPING_SECTIONS);
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
		return refuse(err, ER_SYMTAB_COUNT);
	const struct elf_section *st = &img->sections[img->symtab];
	uint64_t ent = elf_is64(img) ? ELF64_SYM_BYTES : ELF32_SYM_BYTES;
	if (st->entsize != ent || !section_entries_whole(img, st, ent) || section_entries(img, st, ent) == 0)
		return refuse(err, ER_SYMTAB_SIZE);
	if (section_entries(img, st, ent) > ELF_SYMBOLS_MAX)
		return refuse(err, ER_TOO_MANY_SYMBOLS);
	if (st->link == 0 || st->link >= img->section_count ||
	    img->sections[st->link].type != ELF_SHT_STRTAB)
		return refuse(err, ER_SYMTAB_STRTAB);
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
			return refuse(err, ER_BAD_SYMBOL_NAME);
		if (sym.shndx == ELF_SHN_COMMON)
			return refuse(err, ER_COMMON_SYMBOL);
		if (sym.shndx == ELF_SHN_UNDEF || sym.shndx == ELF_SHN_ABS)
			continue;
		if (sym.shndx >= img->section_count)
			return refuse(err, ER_SYMBOL_NOWHERE);
		const struct elf_section *s = &img->sections[sym.shndx];
		/* A Thumb function's value carries bit 0 (the instruction set). */
		uint64_t value = img->machine == ELF_EM_ARM && sym.type == ELF_STT_FUNC
					 ? sym.value & ~(uint64_t)1u : sym.value;
		if (value > s->size || sym.size > s->size - value)
			return refuse(err, ER_SYMBOL_PAST_SECTION);
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
			return refuse(err, ER_RELOC_SIZE);
		if (s->link != img->symtab)
			return refuse(err, ER_RELOC_SYMTAB);
		if (s->info == 0 || s->info >= img->section_count)
			return refuse(err, ER_RELOC_TARGET);
		if (section_entries(img, s, ent) > ELF_RELOCS_MAX - total)
			return refuse(err, ER_TOO_MANY_RELOCS);
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
		return refuse(err, ER_NO_IMAGE);
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
		return refuse(err, ER_SECTION0);
	if (img->sections[img->shstrndx].type != ELF_SHT_STRTAB)
		return refuse(err, ER_NAME_TABLE);
	for (unsigned i = 0; i < img->section_count; i++)
		if (!elf_string(img, img->shstrndx, img->sections[i].name))
			return refuse(err, ER_BAD_SECTION_NAME);
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
