/* spawn: a long-running child process whose output is read line by line
 * (journalctl -f, kubectl logs -f, docker logs -f). The child is started with
 * uv_spawn from an argv array (never a shell), stdout and stderr are read as
 * lines, and when it exits it is restarted after a backoff that doubles while
 * it keeps dying quickly.
 *
 * Every child sitrep starts dies with sitrep, even when sitrep is killed with
 * SIGKILL: it is started through sitrep's own binary as a trampoline that
 * sets PR_SET_PDEATHSIG and then execs the command (spawn_guard below; run.c
 * uses the same guard for one-shot commands). */
#ifndef SITREP_SPAWN_H
#define SITREP_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct spawn;

struct spawn_options {
	char *const *argv;       /* copied; argv[0] is looked up on PATH */
	char *const *pass_env;   /* copied; secret variables this command is given (see below); NULL: none */
	size_t max_line;         /* lines longer are cut (0: 1 MiB) */
	unsigned backoff_min_ms; /* first restart delay (0: 1 s) */
	unsigned backoff_max_ms; /* longest delay (0: 60 s) */
};

struct spawn_callbacks {
	/* A line from stdout (stream 1) or stderr (stream 2). */
	void (*line)(void *ctx, int stream, const char *line, size_t len, bool cut);
	/* The child's trouble ("exited with status 1, restarting in 2s",
	 * "journalctl: command not found"), or NULL once it runs again. */
	void (*state)(void *ctx, const char *error);
	/* Optional: the child ended (after its output was delivered). */
	void (*exited)(void *ctx, int64_t status, int signal);
};

/* Allocates; nothing runs until spawn_start. Owns itself until spawn_close's
 * callback has run. */
struct spawn *spawn_new(uv_loop_t *loop, const struct spawn_options *opt, const struct spawn_callbacks *cb,
                        void *ctx);
/* Starts the child now (restarts are automatic). */
void spawn_start(struct spawn *sp);
/* Stops the child (SIGTERM), closes the handles and frees; closed may be NULL. */
void spawn_close(struct spawn *sp, void (*closed)(void *ctx));
/* Restarts so far. */
unsigned spawn_restarts(const struct spawn *sp);
/* "exited with status 3", "killed by signal 9" into buf. */
void spawn_describe_exit(int64_t status, int signal, char *buf, size_t cap);

/* The death guard for any uv_spawn. spawn_guard_apply rewrites o so the
 * child runs /proc/self/exe (sitrep itself) with a marker in its environment;
 * a constructor in spawn.c sees the marker before main, asks the kernel for
 * SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG), makes sure the
 * parent did not die already, and execs the command. o->file is looked up on
 * PATH here, so a missing command still fails in uv_spawn's place: the
 * return is 0, UV_ENOENT or UV_EACCES. Call spawn_guard_free after uv_spawn
 * (the child has its copy by then). Where /proc/self/exe is not there the
 * command runs without the guard.
 *
 * Either way o->env is replaced by the child's environment: o->env (or
 * sitrep's environ) without the secret variables (spawn_withhold_env) that
 * pass_env (NULL-terminated names, NULL: none) does not name. Every child
 * sitrep starts goes through here, so none inherits a token it was not
 * given. */
struct spawn_guard {
	char **args;  /* allocated: the trampoline's argv */
	char **env;   /* allocated: the child's environment (strings borrowed but the marker) */
	char *marker; /* allocated: the guard's marker entry, NULL without the guard */
	char *path;   /* allocated: the command's full path */
};
int spawn_guard_apply(struct spawn_guard *g, uv_process_options_t *o, char *const *pass_env);
void spawn_guard_free(struct spawn_guard *g);

/* Secret variables: the config registers the name of every variable that
 * holds a secret ("token_env", "password_env", ...) while it loads, before
 * anything is started. A child gets such a variable only when its command's
 * pass_env names it ("pass_env" in the config). A name with '=' or an empty
 * one is ignored. */
void spawn_withhold_env(const char *name);
/* Forgets every registered name (for tests). */
void spawn_forget_withheld(void);
/* Whether the environment entry "NAME=value" goes to a child given pass_env. */
bool spawn_env_passes(const char *entry, char *const *pass_env);

#endif
