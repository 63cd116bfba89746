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
#define K_EDEADLK 35
#define K_ENAMETOOLONG 36
#define K_ENOSYS BSP_ENOSYS
#define K_ETIMEDOUT 110
#define K_ECANCELED 125

#endif /* K_ERRNO_H */
