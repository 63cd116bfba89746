/*
 * sim_assert.h — the engine's belief checks: on in every build (release
 * too), abort with file, line and the failed condition. The engine is host
 * code: a broken belief here is a bug in the engine or in its caller, never a
 * finding about the code under test.
 */
#ifndef SIM_ASSERT_H
#define SIM_ASSERT_H

_Noreturn void sim_assert_fail(const char *cond, const char *file, int line);

#define SIM_ASSERT(cond) \
	((cond) ? (void)0 : sim_assert_fail(#cond, __FILE__, __LINE__))

#endif /* SIM_ASSERT_H */
