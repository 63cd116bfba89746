/*
 * err_name_test.c — k_err_name (k/errno.h) names every code of its table,
 * and only those: the table walk must stay in step with the codes.
 */
#include <k/assert.h>
#include <k/errno.h>
#include <k/test.h>

/* True if a and b are the same string (both at most K_ERR_NAME_MAX long). */
static bool same_text(const char *a, const char *b)
{
	K_ASSERT(a != NULL && b != NULL);
	for (unsigned i = 0; i <= K_ERR_NAME_MAX; i++) {
		if (a[i] != b[i])
			return false;
		if (a[i] == '\0')
			return true;
	}
	return false;
}

#define ERR_NAME_CHECK(name) K_TEST_CHECK(same_text(k_err_name(-K_##name), "-K_" #name));

K_TEST(err_name_names_every_code)
{
	K_ERR_CODES(ERR_NAME_CHECK)
	K_TEST_CHECK(same_text(k_err_name(0), "0"));
	K_TEST_CHECK(k_err_name(1)[0] == 'a'); /* "a positive value ..." */
	K_TEST_CHECK(k_err_name(-1000)[3] == 'E' && k_err_name(-1000)[4] == '?'); /* "-K_E? ..." */
	K_TEST_CHECK(k_err_name(-2147483647 - 1)[4] == '?');
}
