/* test-run: one-shot commands on a real libuv loop. Output and status come
 * back, caps cut and say so, a timeout sends SIGTERM and then SIGKILL to the
 * whole process group, a missing program is a clear error, and every run
 * calls back exactly once and closes all its handles (uv_loop_close fails
 * otherwise; the sanitizer build catches a leak or a double free). Each
 * waiting test is bounded by timeouts of a few hundred milliseconds. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sitrep/io/run.h"
#include "sitrep/io/spawn.h"

struct got {
	int calls;
	struct run_result res; /* the scalars; the strings are below */
	char *out;             /* taken from the result */
	char *err;             /* copied from the result */
	char error[256];
	char describe[256];
	struct run *run; /* valid until the callback has run */
	int pid;
};

static void got_done(struct run_result *res, void *arg)
{
	struct got *g = arg;
	g->calls++;
	g->res = *res;
	/* stdout taken over, stderr left to the run: both roads are exercised. */
	g->out = res->out;
	res->out = NULL;
	g->err = strdup(res->err != NULL ? res->err : "(null)");
	snprintf(g->error, sizeof(g->error), "%s", res->error != NULL ? res->error : "");
	run_describe(res, g->describe, sizeof(g->describe));
}

/* Runs one command to its end on a loop of its own. */
static void got_run(struct run_options *o, struct got *g)
{
	uv_loop_t loop;
	memset(g, 0, sizeof(*g));
	assert_int_equal(uv_loop_init(&loop), 0);
	g->run = run_start(&loop, o, got_done, g);
	assert_non_null(g->run);
	g->pid = run_pid(g->run);
	/* Never from inside run_start, even for a failed start. */
	assert_int_equal(g->calls, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(g->calls, 1);
	/* Every handle of the run is closed. */
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void got_free(struct got *g)
{
	free(g->out);
	free(g->err);
}

/* True when pid is gone or a zombie (a container's init may not reap). */
static bool pid_dead(long pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return true;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')');
	return paren != NULL && (paren[2] == 'Z' || paren[2] == 'X');
}

static bool pid_dies_soon(long pid)
{
	for (int i = 0; i < 100; i++) {
		if (pid_dead(pid))
			return true;
		usleep(10000);
	}
	return false;
}

static void test_stdout_and_status(void **state)
{
	(void)state;
	char *argv[] = {"printf", "hello\\nworld", NULL};
	struct run_options o = {.argv = argv};
	struct got g;
	got_run(&o, &g);
	assert_string_equal(g.error, "");
	assert_string_equal(g.out, "hello\nworld");
	assert_int_equal(g.res.out_len, 11);
	assert_false(g.res.out_cut);
	assert_string_equal(g.err, "");
	assert_int_equal(g.res.status, 0);
	assert_int_equal(g.res.signal, 0);
	assert_false(g.res.timed_out);
	assert_string_equal(g.describe, "exited with status 0");
	got_free(&g);
}

static void test_stderr_and_nonzero_status(void **state)
{
	(void)state;
	char *argv[] = {"sh", "-c", "echo out; echo oops >&2; exit 3", NULL};
	struct run_options o = {.argv = argv};
	struct got g;
	got_run(&o, &g);
	assert_string_equal(g.out, "out\n");
	assert_string_equal(g.err, "oops\n");
	assert_int_equal(g.res.status, 3);
	assert_int_equal(g.res.signal, 0);
	assert_string_equal(g.describe, "exited with status 3");
	got_free(&g);
}

static void test_cap_cuts_and_says_so(void **state)
{
	(void)state;
	/* 200 KB on stdout, 10 on stderr: the first is cut, drained, and the
	 * child still exits normally (it never blocks on a full pipe). */
	char *argv[] = {"sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x; printf 0123456789 >&2", NULL};
	struct run_options o = {.argv = argv, .max_stdout = 1000, .max_stderr = 4};
	struct got g;
	got_run(&o, &g);
	assert_int_equal(g.res.out_len, 1000);
	assert_int_equal(strlen(g.out), 1000);
	assert_true(g.res.out_cut);
	assert_int_equal(g.out[999], 'x');
	assert_string_equal(g.err, "0123");
	assert_true(g.res.err_cut);
	assert_int_equal(g.res.status, 0);
	assert_false(g.res.timed_out);
	got_free(&g);

	/* Exactly at the cap is not cut. */
	char *argv2[] = {"printf", "abcd", NULL};
	struct run_options o2 = {.argv = argv2, .max_stdout = 4};
	got_run(&o2, &g);
	assert_string_equal(g.out, "abcd");
	assert_false(g.res.out_cut);
	got_free(&g);
}

static void test_timeout_sends_sigterm(void **state)
{
	(void)state;
	char *argv[] = {"sleep", "10", NULL};
	struct run_options o = {.argv = argv, .timeout_ms = 100, .grace_ms = 2000};
	struct got g;
	got_run(&o, &g);
	assert_true(g.res.timed_out);
	assert_int_equal(g.res.signal, SIGTERM);
	/* Ended by the SIGTERM, not by the SIGKILL two seconds later. */
	assert_true(g.res.seconds >= 0.09 && g.res.seconds < 1.5);
	assert_non_null(strstr(g.describe, "after its timeout"));
	got_free(&g);
}

static void test_sigterm_ignored_gets_sigkill(void **state)
{
	(void)state;
	/* The trap is inherited by sleep: nothing in the group heeds SIGTERM. */
	char *argv[] = {"sh", "-c", "trap '' TERM; echo ready; sleep 10", NULL};
	struct run_options o = {.argv = argv, .timeout_ms = 300, .grace_ms = 200};
	struct got g;
	got_run(&o, &g);
	assert_true(g.res.timed_out);
	assert_int_equal(g.res.signal, SIGKILL);
	assert_string_equal(g.out, "ready\n");
	assert_true(g.res.seconds >= 0.45 && g.res.seconds < 2.0);
	got_free(&g);
}

static void test_missing_program(void **state)
{
	(void)state;
	char *argv[] = {"sitrep-test-no-such-program", "x", NULL};
	struct run_options o = {.argv = argv};
	struct got g;
	got_run(&o, &g);
	assert_string_equal(g.error, "sitrep-test-no-such-program: command not found");
	assert_string_equal(g.describe, g.error);
	assert_string_equal(g.out, "");
	assert_false(g.res.timed_out);
	got_free(&g);

	/* A cwd that does not exist is not reported as a missing program. */
	char *argv2[] = {"true", NULL};
	struct run_options o2 = {.argv = argv2, .cwd = "/nonexistent/sitrep-test"};
	got_run(&o2, &g);
	assert_non_null(strstr(g.error, "true: cannot run in /nonexistent/sitrep-test"));
	got_free(&g);
}

static void test_grandchild_killed_with_group(void **state)
{
	(void)state;
	/* sh waits for its sleep; SIGTERM to sh alone would leave the sleep
	 * running, holding stdout, until the final SIGKILL deadline. */
	char *argv[] = {"sh", "-c", "sleep 30 & echo $!; wait", NULL};
	struct run_options o = {.argv = argv, .timeout_ms = 200, .grace_ms = 3000};
	struct got g;
	got_run(&o, &g);
	long grandchild = strtol(g.out, NULL, 10);
	assert_true(grandchild > 1);
	assert_true(g.res.timed_out);
	assert_true(g.res.seconds < 1.5); /* SIGTERM did it, not SIGKILL */
	assert_true(pid_dies_soon(grandchild));
	got_free(&g);

	/* The child is gone at once, the sleep it left behind holds stdout open:
	 * the run lasts until the timeout, which ends the sleep too. */
	char *argv2[] = {"sh", "-c", "sleep 30 & echo $!", NULL};
	struct run_options o2 = {.argv = argv2, .timeout_ms = 200, .grace_ms = 3000};
	got_run(&o2, &g);
	grandchild = strtol(g.out, NULL, 10);
	assert_true(grandchild > 1);
	assert_true(g.res.timed_out);
	assert_int_equal(g.res.signal, 0);
	assert_int_equal(g.res.status, 0);
	assert_true(g.res.seconds < 1.5);
	assert_true(pid_dies_soon(grandchild));
	got_free(&g);
}

static void test_cancel_calls_back_once(void **state)
{
	(void)state;
	char *argv[] = {"sleep", "10", NULL};
	struct run_options o = {.argv = argv, .timeout_ms = 5000};
	struct got g;
	memset(&g, 0, sizeof(g));
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	g.run = run_start(&loop, &o, got_done, &g);
	assert_true(run_pid(g.run) > 0);
	run_cancel(g.run);
	run_cancel(g.run); /* a second call does nothing */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(g.calls, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_true(g.res.cancelled);
	assert_false(g.res.timed_out);
	assert_int_equal(g.res.signal, SIGTERM);
	assert_true(g.res.seconds < 1.5);
	got_free(&g);

	/* Cancelling a failed start changes nothing but the flag. */
	char *argv2[] = {"sitrep-test-no-such-program", NULL};
	struct run_options o2 = {.argv = argv2};
	memset(&g, 0, sizeof(g));
	assert_int_equal(uv_loop_init(&loop), 0);
	g.run = run_start(&loop, &o2, got_done, &g);
	run_cancel(g.run);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(g.calls, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_non_null(strstr(g.error, "command not found"));
	got_free(&g);
}

static void test_cwd_and_env(void **state)
{
	(void)state;
	setenv("SITREP_TEST_KEPT", "kept", 1);
	setenv("SITREP_TEST_OVER", "old", 1);
	char *env[] = {"SITREP_TEST_OVER=new", "SITREP_TEST_ADDED=added", NULL};
	char *argv[] = {"sh", "-c", "echo $SITREP_TEST_KEPT $SITREP_TEST_OVER $SITREP_TEST_ADDED; pwd", NULL};
	struct run_options o = {.argv = argv, .cwd = "/", .env = env};
	struct got g;
	got_run(&o, &g);
	assert_string_equal(g.out, "kept new added\n/\n");
	got_free(&g);
	/* sitrep's own environment is untouched. */
	assert_string_equal(getenv("SITREP_TEST_OVER"), "old");
}

/* Whether the NUL-terminated output of `env` has a line that starts with entry. */
static bool env_has(const char *out, const char *entry)
{
	size_t n = strlen(entry);
	for (const char *p = out; p != NULL && *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, entry, n) == 0)
			return true;
	return false;
}

/* A variable that holds a secret of the config is not in a child's
 * environment unless the command's pass_env names it; every other variable
 * is, and so is a variable whose name only starts like the secret's. The
 * guard's marker never reaches the command. */
static void test_secret_env_withheld(void **state)
{
	(void)state;
	setenv("SITREP_TEST_TOKEN", "tok-in-env-0123456789", 1);
	setenv("SITREP_TEST_TOKEN_NOT", "plain", 1);
	setenv("SITREP_TEST_PLAIN", "plain", 1);
	spawn_withhold_env("SITREP_TEST_TOKEN");
	spawn_withhold_env("SITREP_TEST_SET_BY_CALLER");
	char *argv[] = {"env", NULL};
	char *extra[] = {"SITREP_TEST_SET_BY_CALLER=x", NULL};
	struct run_options o = {.argv = argv, .env = extra};
	struct got g;
	got_run(&o, &g);
	assert_int_equal(g.res.status, 0);
	assert_false(env_has(g.out, "SITREP_TEST_TOKEN="));
	assert_null(strstr(g.out, "tok-in-env-0123456789"));
	assert_false(env_has(g.out, "SITREP_TEST_SET_BY_CALLER="));
	assert_true(env_has(g.out, "SITREP_TEST_TOKEN_NOT=plain"));
	assert_true(env_has(g.out, "SITREP_TEST_PLAIN=plain"));
	assert_true(env_has(g.out, "PATH="));
	assert_false(env_has(g.out, "SITREP_SPAWN_GUARD="));
	got_free(&g);

	/* named in pass_env: given, and only that one */
	char *pass[] = {"SITREP_TEST_TOKEN", NULL};
	o.pass_env = pass;
	got_run(&o, &g);
	assert_true(env_has(g.out, "SITREP_TEST_TOKEN=tok-in-env-0123456789"));
	assert_false(env_has(g.out, "SITREP_TEST_SET_BY_CALLER="));
	got_free(&g);

	/* the rule itself, entry by entry */
	assert_false(spawn_env_passes("SITREP_TEST_TOKEN=v", NULL));
	assert_true(spawn_env_passes("SITREP_TEST_TOKEN=v", pass));
	assert_true(spawn_env_passes("SITREP_TEST_TOKE=v", NULL));
	assert_true(spawn_env_passes("HOME=/root", NULL));
	spawn_forget_withheld();
	assert_true(spawn_env_passes("SITREP_TEST_TOKEN=v", NULL));
	unsetenv("SITREP_TEST_TOKEN");
}

static void test_own_process_group(void **state)
{
	(void)state;
	/* The child leads a group of its own, so a signal to the group can
	 * never reach sitrep. Field 5 of /proc/PID/stat is the group id. */
	char *argv[] = {"sh", "-c", "echo $$ $(cut -d' ' -f5 /proc/$$/stat)", NULL};
	struct run_options o = {.argv = argv};
	struct got g;
	got_run(&o, &g);
	long pid = 0, pgid = 0;
	assert_int_equal(sscanf(g.out, "%ld %ld", &pid, &pgid), 2);
	assert_int_equal(pid, g.pid);
	assert_int_equal(pid, pgid);
	assert_int_not_equal(pgid, (long)getpgrp());
	got_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stdout_and_status),
	    cmocka_unit_test(test_stderr_and_nonzero_status),
	    cmocka_unit_test(test_cap_cuts_and_says_so),
	    cmocka_unit_test(test_timeout_sends_sigterm),
	    cmocka_unit_test(test_sigterm_ignored_gets_sigkill),
	    cmocka_unit_test(test_missing_program),
	    cmocka_unit_test(test_grandchild_killed_with_group),
	    cmocka_unit_test(test_cancel_calls_back_once),
	    cmocka_unit_test(test_cwd_and_env),
	    cmocka_unit_test(test_secret_env_withheld),
	    cmocka_unit_test(test_own_process_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
