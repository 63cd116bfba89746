/*
 * dyn_no_desc.c — an object with code but no K_MODULE descriptor: the
 * loader must refuse it (-K_ENOEXEC).
 */
int dyn_no_desc_value(void);

int dyn_no_desc_value(void)
{
	return 7;
}
