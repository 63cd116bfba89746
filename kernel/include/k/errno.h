/*
 * k/errno.h — kernel error codes. Kernel calls return -K_E* on failure, never
 * fail silently. The numbers equal the BSP_E* codes so BSP errors pass through.
 */
#ifndef K_ERRNO_H
#define K_ERRNO_H

#include <bsp.h>

#define K_OK 0
#define K_EPERM BSP_EPERM
#define K_ENOENT BSP_ENOENT
#define K_ESRCH 3
#define K_EINTR 4
#define K_EIO BSP_EIO
#define K_ENOEXEC 8
#define K_EBADF BSP_EBADF
#define K_EAGAIN 11
#define K_ENOMEM BSP_ENOMEM
#define K_EACCES BSP_EACCES
#define K_EBUSY 16
#define K_EEXIST BSP_EEXIST
#define K_ENOTDIR BSP_ENOTDIR
#define K_EISDIR BSP_EISDIR
#define K_EINVAL BSP_EINVAL
#define K_EMFILE 24
#define K_ENOSPC BSP_ENOSPC
#define K_ERANGE 34
#define K_EDEADLK 35
#define K_ENAMETOOLONG 36
#define K_ENOSYS BSP_ENOSYS
#define K_ENOTSUP 95
#define K_ETIMEDOUT 110
#define K_ECANCELED 125

/* Every code of this list, once, in one order: k_err_name's table. */
#define K_ERR_CODES(X) \
	X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(ENOEXEC) X(ERANGE) X(ENOTSUP) \
	X(EBADF) X(EAGAIN) X(ENOMEM) X(EACCES) X(EBUSY) X(EEXIST) X(ENOTDIR) X(EISDIR) \
	X(EINVAL) X(EMFILE) X(ENOSPC) X(EDEADLK) X(ENAMETOOLONG) X(ENOSYS) X(ETIMEDOUT) \
	X(ECANCELED)
#define K_ERR_CODE_BYTE(name) (unsigned char)K_##name,
#define K_ERR_CODE_TEXT(name) "-K_" #name "\0"
/* Every code fits the table's byte; names are at most this long. */
#define K_ERR_NAME_MAX 16u

/* The name of a kernel return code as a person reads it in a message:
 * "-K_EAGAIN" for -11, "0" for 0, "-K_E? (unknown code)" for a negative code
 * this list lacks, "a positive value (not an error code)" for rc > 0.
 * Static strings; any context. A table walk, not a switch: the names are
 * one block of text (flash on a small target). */
static inline const char *k_err_name(int rc)
{
	static const unsigned char codes[] = { K_ERR_CODES(K_ERR_CODE_BYTE) };
	static const char names[] = K_ERR_CODES(K_ERR_CODE_TEXT);
	_Static_assert(K_ECANCELED < 256 && K_ENOTSUP < 256, "codes fit a byte");
	if (rc >= 0)
		return rc == 0 ? "0" : "a positive value (not an error code)";
	const char *name = names;
	for (unsigned i = 0; i < sizeof codes; i++) {
		if (0u - (unsigned)rc == codes[i])
			return name;
		unsigned n = 0;
		while (name[n] != '\0' && n < K_ERR_NAME_MAX)
			n++;
		name += n + 1u;
	}
	return "-K_E? (unknown code)";
}

/* What a code means, in a few words ("no memory left", ...). */
static inline const char *k_err_meaning(int rc)
{
	switch (rc) {
	case 0: return "success";
	case -K_EPERM: return "not permitted";
	case -K_ENOENT: return "no such entry";
	case -K_ESRCH: return "no such thread or process, or it no longer takes threads";
	case -K_EINTR: return "interrupted";
	case -K_EIO: return "input/output error";
	case -K_ENOEXEC: return "not a loadable object (malformed, or for another machine)";
	case -K_ERANGE: return "a value out of range (a relocation that overflows)";
	case -K_ENOTSUP: return "not supported on this target or by this code";
	case -K_EBADF: return "bad descriptor";
	case -K_EAGAIN: return "a limit was reached (a semaphore at its limit, too many threads): try again";
	case -K_ENOMEM: return "no memory left";
	case -K_EACCES: return "access denied";
	case -K_EBUSY: return "busy: still in use (waiters, a holder)";
	case -K_EEXIST: return "already exists";
	case -K_ENOTDIR: return "not a directory";
	case -K_EISDIR: return "is a directory";
	case -K_EINVAL: return "an invalid argument";
	case -K_EMFILE: return "too many open descriptors";
	case -K_ENOSPC: return "no space left";
	case -K_EDEADLK: return "would deadlock (waiting on itself)";
	case -K_ENAMETOOLONG: return "name too long";
	case -K_ENOSYS: return "not supported on this target";
	case -K_ETIMEDOUT: return "the timeout expired first";
	case -K_ECANCELED: return "cancelled: the thread was killed while waiting";
	default: return "not a code of k/errno.h";
	}
}

#endif /* K_ERRNO_H */
