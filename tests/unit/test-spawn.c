/* test-spawn: a followed child on a real libuv loop. Its stdout and stderr
 * arrive as lines, its exit status is reported after its last line, it is
 * restarted, and closing it frees every handle (the sanitizer build catches a
 * close callback that takes a pipe for the spawn). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/io/spawn.h"

struct seen {
	char out[256];
	int exits;
	int64_t status;
	bool line_after_exit;
	char state[256];
	bool closed;
	uv_loop_t *loop;
};

static void seen_line(void *ctx, int stream, const char *line, size_t len, bool cut)
{
	struct seen *s = ctx;
	size_t used = strlen(s->out);
	snprintf(s->out + used, sizeof(s->out) - used, "%d:%.*s%s;", stream, (int)len, line, cut ? "+" : "");
	if (s->exits > 0)
		s->line_after_exit = true;
}

static void seen_state(void *ctx, const char *err)
{
	struct seen *s = ctx;
	snprintf(s->state, sizeof(s->state), "%s", err != NULL ? err : "");
}

static void seen_exited(void *ctx, int64_t status, int sig)
{
	struct seen *s = ctx;
	s->exits++;
	s->status = status;
	(void)sig;
	/* The second exit ends the test's loop. */
	if (s->exits == 2)
		uv_stop(s->loop);
}

static void seen_closed(void *ctx)
{
	struct seen *s = ctx;
	s->closed = true;
}

static void test_lines_exit_restart_close(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct seen s = {.loop = &loop};
	char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	struct spawn_options o = {.argv = argv, .backoff_min_ms = 10, .backoff_max_ms = 20};
	struct spawn_callbacks cb = {.line = seen_line, .state = seen_state, .exited = seen_exited};
	struct spawn *sp = spawn_new(&loop, &o, &cb, &s);
	spawn_start(sp);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(s.exits, 2);
	assert_int_equal(s.status, 3);
	assert_int_equal(spawn_restarts(sp), 1);
	/* Both streams of both runs, each run's lines before its exit. */
	assert_non_null(strstr(s.out, "1:out;"));
	assert_non_null(strstr(s.out, "2:err;"));
	assert_true(strlen(s.out) == 2 * strlen("1:out;2:err;"));
	assert_non_null(strstr(s.state, "exited with status 3"));
	spawn_close(sp, seen_closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(s.closed);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_not_found(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct seen s = {.loop = &loop};
	char *argv[] = {"sitrep-test-no-such-program", NULL};
	struct spawn_options o = {.argv = argv, .backoff_min_ms = 10, .backoff_max_ms = 20};
	struct spawn_callbacks cb = {.line = seen_line, .state = seen_state, .exited = seen_exited};
	struct spawn *sp = spawn_new(&loop, &o, &cb, &s);
	spawn_start(sp);
	assert_non_null(strstr(s.state, "command not found"));
	spawn_close(sp, seen_closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(s.closed);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines_exit_restart_close),
	    cmocka_unit_test(test_not_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
