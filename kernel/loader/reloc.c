/*
 * reloc.c — applying one relocation of a loaded module, for x86_64 (RELA)
 * and ARM Thumb-2 (REL, implicit addends read from the instruction). The
 * caller (dynmod.c) has checked that the symbol exists and that the place
 * lies in its section; here each type checks that its field fits there and
 * that the value fits the field (else -K_ERANGE), and an unknown type is
 * refused (-K_ENOTSUP). Addresses are the module's run-time addresses.
 * A build that fixes its machine (ELF_HANDLES, elf.h) keeps only that
 * machine's types.
 */
#include <k/assert.h>
#include <k/errno.h>

#include "loader_impl.h"

/* x86_64 (System V ABI) */
#define R_X86_64_NONE 0u
#define R_X86_64_64 1u
#define R_X86_64_PC32 2u
#define R_X86_64_PLT32 4u
#define R_X86_64_32 10u
#define R_X86_64_32S 11u
#define R_X86_64_PC64 24u

/* ARM (AAELF) */
#define R_ARM_NONE 0u
#define R_ARM_ABS32 2u
#define R_ARM_REL32 3u
#define R_ARM_THM_CALL 10u
#define R_ARM_THM_JUMP24 30u
#define R_ARM_TARGET1 38u
#define R_ARM_PREL31 42u
#define R_ARM_THM_MOVW_ABS_NC 47u
#define R_ARM_THM_MOVT_ABS 48u

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static int fits(const struct reloc_place *pl, uint64_t width, const char **why)
{
	if (pl->offset > pl->section_size || width > pl->section_size - pl->offset) {
		*why = "relocation outside its section";
		return -K_ENOEXEC;
	}
	return 0;
}

static int overflow(const char **why)
{
	*why = "relocation overflows";
	return -K_ERANGE;
}

static int reloc_x86_64(const struct reloc_place *pl, uint32_t type, uint64_t s, int64_t a,
			const char **why)
{
	uint8_t *p = pl->base + pl->offset;
	uint64_t at = (uint64_t)(uintptr_t)p;
	int rc = 0;
	switch (type) {
	case R_X86_64_NONE:
		return 0;
	case R_X86_64_64:
	case R_X86_64_PC64: {
		if ((rc = fits(pl, 8, why)) < 0)
			return rc;
		uint64_t v = s + (uint64_t)a - (type == R_X86_64_PC64 ? at : 0u);
		put32(p, (uint32_t)v);
		put32(p + 4, (uint32_t)(v >> 32));
		return 0;
	}
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S: {
		if ((rc = fits(pl, 4, why)) < 0)
			return rc;
		bool pc = type == R_X86_64_PC32 || type == R_X86_64_PLT32;
		uint64_t v = s + (uint64_t)a - (pc ? at : 0u);
		int64_t sv = (int64_t)v;
		if (type == R_X86_64_32 ? v > 0xffffffffu : (sv < INT32_MIN || sv > INT32_MAX))
			return overflow(why);
		put32(p, (uint32_t)v);
		return 0;
	}
	default:
		*why = "unknown relocation";
		return -K_ENOTSUP;
	}
}

/* Thumb-2 BL / B.W: the 25-bit signed halfword offset in two halfwords. */
static int32_t thumb_branch_get(const uint8_t *p)
{
	uint32_t hi = elf_le16(p), lo = elf_le16(p + 2);
	uint32_t sign = (hi >> 10) & 1u, j1 = (lo >> 13) & 1u, j2 = (lo >> 11) & 1u;
	uint32_t i1 = ~(j1 ^ sign) & 1u, i2 = ~(j2 ^ sign) & 1u;
	uint32_t v = (sign << 24) | (i1 << 23) | (i2 << 22) | ((hi & 0x3ffu) << 12) | ((lo & 0x7ffu) << 1);
	return (int32_t)(v << 7) >> 7;
}

static void thumb_branch_put(uint8_t *p, int32_t off)
{
	uint32_t v = (uint32_t)off;
	uint32_t sign = (v >> 24) & 1u, i1 = (v >> 23) & 1u, i2 = (v >> 22) & 1u;
	uint32_t j1 = (~i1 ^ sign) & 1u, j2 = (~i2 ^ sign) & 1u;
	uint16_t hi = (uint16_t)((elf_le16(p) & 0xf800u) | (sign << 10) | ((v >> 12) & 0x3ffu));
	uint16_t lo = (uint16_t)((elf_le16(p + 2) & 0xd000u) | (j1 << 13) | (j2 << 11) | ((v >> 1) & 0x7ffu));
	put16(p, hi);
	put16(p + 2, lo);
}

/* Thumb-2 MOVW / MOVT: imm16 split as imm4:i:imm3:imm8. */
static uint32_t thumb_mov_get(const uint8_t *p)
{
	uint32_t hi = elf_le16(p), lo = elf_le16(p + 2);
	return ((hi & 0xfu) << 12) | (((hi >> 10) & 1u) << 11) | (((lo >> 12) & 7u) << 8) | (lo & 0xffu);
}

static void thumb_mov_put(uint8_t *p, uint32_t imm)
{
	uint16_t hi = (uint16_t)((elf_le16(p) & 0xfbf0u) | ((imm >> 12) & 0xfu) | (((imm >> 11) & 1u) << 10));
	uint16_t lo = (uint16_t)((elf_le16(p + 2) & 0x8f00u) | (((imm >> 8) & 7u) << 12) | (imm & 0xffu));
	put16(p, hi);
	put16(p + 2, lo);
}

static int reloc_arm(const struct reloc_place *pl, uint32_t type, uint64_t s64, bool thumb_fn,
		     const char **why)
{
	uint8_t *p = pl->base + pl->offset;
	uint32_t at = (uint32_t)(uintptr_t)p;
	uint32_t s = (uint32_t)s64;
	uint32_t t = thumb_fn ? 1u : 0u;
	int rc = 0;
	if (type != R_ARM_NONE && (rc = fits(pl, 4, why)) < 0)
		return rc;
	switch (type) {
	case R_ARM_NONE:
		return 0;
	case R_ARM_ABS32:
	case R_ARM_TARGET1:
		put32(p, (s + elf_le32(p)) | t);
		return 0;
	case R_ARM_REL32:
		put32(p, ((s + elf_le32(p)) | t) - at);
		return 0;
	case R_ARM_PREL31: {
		uint32_t a = (uint32_t)((int32_t)(elf_le32(p) << 1) >> 1);
		int64_t v = (int64_t)(int32_t)(s + a - at);
		if (v < -(1ll << 30) || v >= (1ll << 30))
			return overflow(why);
		put32(p, (elf_le32(p) & 0x80000000u) | ((uint32_t)v & 0x7fffffffu));
		return 0;
	}
	case R_ARM_THM_CALL:
	case R_ARM_THM_JUMP24: {
		int64_t v = (int64_t)(int32_t)(s + (uint32_t)thumb_branch_get(p) - at);
		if (v < -(1ll << 24) || v >= (1ll << 24))
			return overflow(why);
		if (!thumb_fn && type == R_ARM_THM_JUMP24)
			return overflow(why); /* B.W cannot switch to ARM state */
		thumb_branch_put(p, (int32_t)v);
		return 0;
	}
	case R_ARM_THM_MOVW_ABS_NC:
		thumb_mov_put(p, ((s + (uint32_t)(int16_t)thumb_mov_get(p)) | t) & 0xffffu);
		return 0;
	case R_ARM_THM_MOVT_ABS:
		thumb_mov_put(p, ((s + (uint32_t)(int16_t)thumb_mov_get(p)) >> 16) & 0xffffu);
		return 0;
	default:
		*why = "unknown relocation";
		return -K_ENOTSUP;
	}
}

int reloc_apply(uint16_t machine, const struct reloc_place *pl, uint32_t type, uint64_t s,
		int64_t addend, bool thumb_fn, const char **why)
{
	K_ASSERT(pl != NULL && pl->base != NULL && why != NULL);
	K_ASSERT(machine == ELF_EM_X86_64 || machine == ELF_EM_ARM);
	K_ASSERT(ELF_HANDLES(machine)); /* elf_parse took only such images */
	/* ELF_HANDLES folds: a board build links only its own machine's code. */
	if (ELF_HANDLES(ELF_EM_X86_64) && machine == ELF_EM_X86_64)
		return reloc_x86_64(pl, type, s, addend, why);
	if (ELF_HANDLES(ELF_EM_ARM) && machine == ELF_EM_ARM)
		return reloc_arm(pl, type, s, thumb_fn, why);
	*why = "machine not built in";
	return -K_ENOTSUP;
}
