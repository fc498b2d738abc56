/* Unit tests of the shared database queue (dbengine.c) with an engine made
 * here that records what it is asked to send and is answered by the test:
 * a row of jobs runs in order with nothing between them; a job marked
 * in_xact is never sent when the job before it failed (an EXPLAIN must not
 * run outside the read-only transaction that did not start) and its done
 * says why, while the job after it (ROLLBACK) still runs; a job marked one
 * reaches the engine's send with one set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backends/dbengine.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

#define SENT_MAX 16

struct fake {
	char *sent[SENT_MAX];
	bool one[SENT_MAX];
	size_t nsent;
	char *done_err[SENT_MAX]; /* each done's error, in the order they ran ("" none) */
	size_t ndone;
};

static void fake_setup_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err, void *arg)
{
	(void)e, (void)res, (void)nres, (void)err, (void)arg;
}

static void fake_open(struct dbengine *e)
{
	dbengine_connected(e, xstrdup("SETUP"), fake_setup_done);
}

static void fake_send(struct dbengine *e, const char *sql, bool one)
{
	struct fake *f = e->engine;
	assert_true(f->nsent < SENT_MAX);
	f->sent[f->nsent] = xstrdup(sql);
	f->one[f->nsent++] = one;
}

static void fake_close(struct dbengine *e)
{
	(void)e;
}

static const struct dbengine_ops fake_ops = {
    .name = "fake", .noun = "pid", .open = fake_open, .send = fake_send, .close = fake_close};

static void done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err, void *arg)
{
	(void)res, (void)nres, (void)arg;
	struct fake *f = e->engine;
	assert_true(f->ndone < SENT_MAX);
	f->done_err[f->ndone++] = xstrdup(err != NULL ? err : "");
}

/* The server's answer to the job in flight: one statement, err or not. */
static void answer(struct dbengine *e, const char *err)
{
	dbengine_result(e, dbrows_new(0), err);
	dbengine_answered(e);
}

static void test_in_xact_not_sent_after_failure(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct source src = {.loop = &loop};
	struct fake f = {0};
	struct dbengine e = {.ops = &fake_ops, .engine = &f, .src = &src};
	e.connect_timeout_ms = e.query_timeout_ms = 60000;

	/* the transaction does not start: the EXPLAIN is never sent */
	const struct dbengine_step failed[] = {
	    {.sql = xstrdup("BEGIN READ ONLY"), .done = done},
	    {.sql = xstrdup("EXPLAIN SELECT 1"), .done = done, .one = true, .in_xact = true},
	    {.sql = xstrdup("ROLLBACK"), .done = done},
	};
	dbengine_enqueue_row(&e, failed, ARRAY_LEN(failed));
	assert_int_equal(f.nsent, 1);
	assert_string_equal(f.sent[0], "SETUP");
	answer(&e, NULL);
	assert_int_equal(f.nsent, 2);
	assert_string_equal(f.sent[1], "BEGIN READ ONLY");
	answer(&e, "ERROR:  cannot begin\n");
	assert_int_equal(f.nsent, 3);
	assert_string_equal(f.sent[2], "ROLLBACK"); /* the EXPLAIN was skipped, the ROLLBACK still runs */
	assert_int_equal(f.ndone, 2);
	assert_string_equal(f.done_err[0], "ERROR: cannot begin");
	assert_string_equal(f.done_err[1], "its transaction did not start: ERROR: cannot begin");
	answer(&e, NULL);
	assert_int_equal(f.ndone, 3);

	/* it starts: the EXPLAIN goes as one statement, then ROLLBACK */
	const struct dbengine_step ok[] = {
	    {.sql = xstrdup("BEGIN READ ONLY"), .done = done},
	    {.sql = xstrdup("EXPLAIN SELECT 2"), .done = done, .one = true, .in_xact = true},
	    {.sql = xstrdup("ROLLBACK"), .done = done},
	};
	dbengine_enqueue_row(&e, ok, ARRAY_LEN(ok));
	/* a job queued after the row waits behind all of it */
	dbengine_enqueue(&e, xstrdup("SELECT later"), done, NULL);
	answer(&e, NULL);
	assert_string_equal(f.sent[4], "EXPLAIN SELECT 2");
	assert_true(f.one[4]);
	assert_false(f.one[3]);
	answer(&e, NULL);
	assert_string_equal(f.sent[5], "ROLLBACK");
	answer(&e, NULL);
	assert_string_equal(f.sent[6], "SELECT later");
	assert_false(f.one[6]);
	answer(&e, NULL);
	assert_int_equal(f.nsent, 7);
	for (size_t i = 3; i < f.ndone; i++)
		assert_string_equal(f.done_err[i], "");

	dbengine_stop(&e);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	dbengine_free(&e);
	for (size_t i = 0; i < f.nsent; i++)
		free(f.sent[i]);
	for (size_t i = 0; i < f.ndone; i++)
		free(f.done_err[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_xact_not_sent_after_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
