/* run: a one-shot command on the libuv loop (git log, helm history,
 * systemctl restart, kubectl rollout undo). The command is started with
 * uv_spawn from an argv array, never through a shell; its stdout and stderr
 * are captured up to a cap each; it has a timeout, after which it gets
 * SIGTERM and, if still there after a grace period, SIGKILL. The done
 * callback reports its exit status or signal exactly once.
 *
 * Process group: the child is started in a session and process group of its
 * own (UV_PROCESS_DETACHED, i.e. setsid), and every signal goes to the whole
 * group, so a script's own children (a sleep, an ssh) die with it. The child
 * has no controlling terminal and stdin is /dev/null: a command that wants to
 * prompt (a password, a host key) fails instead of hanging or fighting the TUI
 * for the terminal. A command that puts itself in yet another group escapes
 * the kill; the run still ends when its time is up.
 *
 * Dying with sitrep: the child starts through spawn.c's guard, so the
 * kernel kills it if sitrep dies, even by SIGKILL (PR_SET_PDEATHSIG). What
 * the child itself started is not covered: after a crash of sitrep it lives
 * on; while sitrep lives, it ends with the group.
 * On a clean quit an owner calls run_cancel from its stop hook, which ends the
 * whole group and lets the loop, run until every handle is closed, finish
 * without waiting for a timeout. */
#ifndef SITREP_RUN_H
#define SITREP_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct run;

#define RUN_DEFAULT_TIMEOUT_MS 30000
#define RUN_DEFAULT_GRACE_MS   2000
#define RUN_DEFAULT_MAX_OUTPUT (1u << 20)

struct run_options {
	char *const *argv;     /* copied; argv[0] is looked up on PATH */
	const char *cwd;       /* copied; NULL: sitrep's working directory */
	char *const *env;      /* copied "NAME=value" entries set on top of sitrep's
	                          environment, NULL-terminated; NULL: none */
	char *const *pass_env; /* the secret variables (spawn_withhold_env) this
	                          command is given, NULL-terminated names; NULL:
	                          none. Every other secret variable is left out of
	                          its environment. Read by run_start only. */
	unsigned timeout_ms;   /* 0: RUN_DEFAULT_TIMEOUT_MS */
	unsigned grace_ms;     /* SIGTERM to SIGKILL; 0: RUN_DEFAULT_GRACE_MS */
	size_t max_stdout;     /* bytes kept of stdout; 0: RUN_DEFAULT_MAX_OUTPUT */
	size_t max_stderr;     /* bytes kept of stderr; 0: RUN_DEFAULT_MAX_OUTPUT */
	/* Optional: every chunk of output as it arrives (before the caps), for
	 * showing a restart's progress; the result still holds it all. */
	void (*on_output)(const char *data, size_t len, bool is_stderr, void *arg);
	void *output_arg;
};

/* What the done callback receives. The output beyond a cap is read and
 * dropped, so a chatty child never blocks on a full pipe. */
struct run_result {
	const char *error; /* NULL when the command ran; else why it did not start
	                      ("git: command not found") or could not be reaped */
	int64_t status;    /* exit status when signal is 0 */
	int signal;        /* the signal that ended it, 0 when it exited */
	bool timed_out;    /* the timeout passed and the group was signalled */
	bool cancelled;    /* run_cancel was called */
	char *out;         /* stdout, NUL-terminated (not counted in out_len) */
	size_t out_len;
	bool out_cut; /* stdout went past max_stdout; out holds the first bytes */
	char *err;    /* stderr, the same way */
	size_t err_len;
	bool err_cut;
	double seconds; /* from start to the end of the run */
};

/* Called exactly once per run, from the loop (never from inside run_start),
 * also after a failed start or a cancel. res and its strings belong to the
 * run and are freed after the callback returns; to keep out or err, take it:
 * set the field to NULL and free() it later. The run's handle is invalid once
 * the callback has returned. */
typedef void (*run_done_cb)(struct run_result *res, void *arg);

/* Starts argv on loop. Never NULL: a failure to start (not found, not
 * executable, a missing cwd) arrives through cb like any other end. The run
 * owns itself; its memory is freed in libuv close callbacks after cb. */
struct run *run_start(uv_loop_t *loop, const struct run_options *opt, run_done_cb cb, void *arg);

/* Ends the run early: SIGTERM to the group now, SIGKILL after the grace. cb is
 * still called, once, with cancelled set. Not after cb has run; a second call
 * does nothing. */
void run_cancel(struct run *r);

/* The child's pid (also its process group), 0 before it started or when the
 * start failed. */
int run_pid(const struct run *r);

/* One line for people: "exited with status 0", "killed by signal 15 (...)
 * after its timeout", or the start error, into buf. */
void run_describe(const struct run_result *res, char *buf, size_t cap);

#endif
