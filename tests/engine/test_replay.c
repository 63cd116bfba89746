/*
 * test_replay.c — record a multi-core run with `random`, replay it from its
 * trace: the same decisions, step hashes and final hash. An edited or
 * truncated trace replays with defaults and says so, never failing.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "planted_race.h"

#define REPLAY_CORES 4u

static void to_trace(const sim_result_t *r, uint64_t seed, sim_trace_t *t)
{
	sim_trace_init(t);
	for (size_t i = 0; i < r->decisions.count; i++)
		sim_trace_push(t, r->decisions.decisions[i].kind, r->decisions.decisions[i].value);
	snprintf(t->build_id, sizeof t->build_id, "test-replay");
	snprintf(t->scenario, sizeof t->scenario, "mixed");
	snprintf(t->strategy, sizeof t->strategy, "random");
	t->cores = REPLAY_CORES;
	t->seed = seed;
	t->outcome = r->outcome;
	t->final_hash = r->final_hash;
}

static void test_replay_equals_record(void)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		sim_strategy_t s;
		sim_strategy_storage_t st;
		sim_strategy_random(&s, &st, seed, 100000); /* faults 10 % */
		sim_result_t rec;
		enum sim_outcome o = mixed_run(REPLAY_CORES, false, &s, true, &rec);
		CHECK_EQ_U64(o, SIM_OK);
		uint64_t faults_recorded = mixed.faults;
		CHECK(rec.decisions.count > 3 * MIXED_ITERATIONS);

		/* Through the file format, as a user would. */
		sim_trace_t t, loaded;
		to_trace(&rec, seed, &t);
		uint8_t *data;
		size_t size;
		CHECK(sim_trace_encode(&t, &data, &size));
		char err[SIM_MESSAGE_MAX];
		CHECK_EQ_U64(sim_trace_decode(data, size, "test-replay", &loaded, err, sizeof err), 0);
		free(data);

		sim_strategy_replay(&s, &st, &loaded);
		sim_result_t rep;
		CHECK_EQ_U64(mixed_run(REPLAY_CORES, false, &s, true, &rep), o);
		CHECK_EQ_U64(st.divergences, 0);
		CHECK(st.note[0] == '\0');
		CHECK(sim_trace_first_difference(&rec.decisions, &rep.decisions) < 0);
		CHECK_EQ_U64(rep.steps, rec.steps);
		CHECK(rep.steps > 0 && rep.step_hashes && rec.step_hashes &&
		      memcmp(rep.step_hashes, rec.step_hashes, rep.steps * sizeof(uint64_t)) == 0);
		CHECK_EQ_U64(rep.final_hash, loaded.final_hash);
		CHECK_EQ_U64(mixed.faults, faults_recorded);
		sim_result_free(&rep);

		/* Truncated: half the decisions, then defaults; never fails. */
		loaded.count /= 2;
		sim_strategy_replay(&s, &st, &loaded);
		CHECK_EQ_U64(mixed_run(REPLAY_CORES, false, &s, true, &rep), SIM_OK);
		CHECK(st.divergences > 0);
		CHECK(strstr(st.note, "replay: trace exhausted after") != NULL);
		CHECK(rep.final_hash != rec.final_hash);
		/* The first half is the recorded one, step for step. */
		CHECK(sim_trace_first_difference(&loaded, &(sim_trace_t){.count = loaded.count,
									.decisions = rep.decisions.decisions}) < 0);
		sim_result_free(&rep);

		/* Edited: a core decision naming a core that is never ready. */
		loaded.count *= 2;
		size_t edited = 0;
		while (edited < loaded.count && loaded.decisions[edited].kind != SIM_DECIDE_CORE)
			edited++;
		CHECK(edited < loaded.count);
		loaded.decisions[edited].value = 63;
		sim_strategy_replay(&s, &st, &loaded);
		CHECK_EQ_U64(mixed_run(REPLAY_CORES, false, &s, true, &rep), SIM_OK);
		CHECK(st.divergences > 0);
		char expect[64];
		snprintf(expect, sizeof expect, "replay: decision %zu (core 63) not ready", edited);
		CHECK(strstr(st.note, expect) != NULL);
		if (seed == 1)
			printf("edited trace: %u divergences; %s\n", st.divergences, st.note);
		sim_result_free(&rep);

		/* Empty: the default schedule. */
		loaded.count = 0;
		sim_strategy_replay(&s, &st, &loaded);
		CHECK_EQ_U64(mixed_run(REPLAY_CORES, false, &s, false, &rep), SIM_OK);
		sim_result_free(&rep);

		sim_trace_free(&loaded);
		sim_trace_free(&t);
		sim_result_free(&rec);
	}
}

/* The planted race recorded with pct replays to the same failure. */
static void test_replay_failure(void)
{
	unsigned reproduced = 0, failing = 0;
	for (uint64_t seed = 1; seed <= 30; seed++) {
		sim_strategy_t s;
		sim_strategy_storage_t st;
		sim_strategy_pct(&s, &st, seed, 3, RACE_STEPS_ESTIMATE);
		sim_result_t rec, rep;
		enum sim_outcome o = race_run(&s, true, &rec);
		failing += o != SIM_OK;
		sim_strategy_replay(&s, &st, &rec.decisions);
		enum sim_outcome again = race_run(&s, true, &rep);
		reproduced += again == o && rep.final_hash == rec.final_hash &&
			      strcmp(rep.message, rec.message) == 0 && st.divergences == 0 &&
			      rep.steps == rec.steps &&
			      memcmp(rep.step_hashes, rec.step_hashes, rep.steps * sizeof(uint64_t)) == 0;
		sim_result_free(&rep);
		sim_result_free(&rec);
	}
	CHECK_EQ_U64(reproduced, 30);
	CHECK(failing > 0);
}

/* A trace with its fit record: replays exactly; a changed checkpoint (the
 * code reached other points) stops the stream there, once, with a note
 * naming the decision; a stream cut short says the run asked for more. */
static void test_replay_fit(void)
{
	sim_strategy_t s;
	sim_strategy_storage_t st;
	sim_strategy_random(&s, &st, 7, 100000);
	sim_result_t rec;
	CHECK_EQ_U64(mixed_run(REPLAY_CORES, false, &s, true, &rec), SIM_OK);
	CHECK_EQ_U64(rec.decisions.fit_every, SIM_TRACE_FIT_EVERY);
	CHECK_EQ_U64(rec.decisions.fit_count, rec.decisions.count / SIM_TRACE_FIT_EVERY);
	CHECK(rec.decisions.fit_count > 3);
	sim_trace_t t = rec.decisions; /* borrowed: freed with rec */
	t.cores = REPLAY_CORES;
	t.outcome = rec.outcome;
	t.final_hash = rec.final_hash;

	sim_result_t rep;
	sim_strategy_replay(&s, &st, &t);
	CHECK_EQ_U64(mixed_run(REPLAY_CORES, false, &s, true, &rep), SIM_OK);
	CHECK(st.note[0] == '\0');
	CHECK_EQ_U64(rep.decisions.points_hash, t.points_hash);
	CHECK_EQ_U64(rep.final_hash, rec.final_hash);
	sim_result_free(&rep);

	t.fit[2] ^= 1u; /* as if the code had reached another point */
	sim_strategy_replay(&s, &st, &t);
	CHECK_EQ_U64(mixed_run(REPLAY_CORES, false, &s, true, &rep), SIM_OK);
	CHECK_EQ_U64(st.divergences, 1);
	CHECK(strstr(st.note, "stopped fitting at decision 47 ") != NULL);
	CHECK(strstr(st.note, "took defaults from here") != NULL);
	sim_result_free(&rep);
	t.fit[2] ^= 1u;

	t.count = 2 * SIM_TRACE_FIT_EVERY; /* a recording that ended sooner */
	t.fit_count = 2;
	sim_strategy_replay(&s, &st, &t);
	CHECK_EQ_U64(mixed_run(REPLAY_CORES, false, &s, true, &rep), SIM_OK);
	CHECK(strstr(st.note, "asks for more decisions than were recorded") != NULL);
	CHECK(strstr(st.note, "decision 32 ") != NULL);
	sim_result_free(&rep);
	sim_result_free(&rec);
}

int main(void)
{
	test_replay_equals_record();
	test_replay_failure();
	test_replay_fit();
	return check_report();
}
