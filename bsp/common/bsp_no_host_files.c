/*
 * bsp_no_host_files.c — the host-file half of bsp.h for targets that have
 * no host file system (Cortex-M4F, wasm): every call says -BSP_ENOSYS, as
 * the contract in bsp.h allows, so hostfs mounts fail cleanly and nothing
 * else of the kernel notices. Shared so that each board states it once by
 * linking this file rather than repeating the stubs.
 */
#include <bsp.h>

int bsp_file_open(const char *path, unsigned flags)
{
	(void)path;
	(void)flags;
	return -BSP_ENOSYS;
}

long bsp_file_read(int handle, void *buf, size_t size)
{
	(void)handle;
	(void)buf;
	(void)size;
	return -BSP_ENOSYS;
}

long bsp_file_write(int handle, const void *buf, size_t size)
{
	(void)handle;
	(void)buf;
	(void)size;
	return -BSP_ENOSYS;
}

int64_t bsp_file_seek(int handle, int64_t offset, int whence)
{
	(void)handle;
	(void)offset;
	(void)whence;
	return -BSP_ENOSYS;
}

int bsp_file_close(int handle)
{
	(void)handle;
	return -BSP_ENOSYS;
}

int bsp_dir_entry(const char *path, size_t index, char *name, size_t cap)
{
	(void)path;
	(void)index;
	(void)name;
	(void)cap;
	return -BSP_ENOSYS;
}
