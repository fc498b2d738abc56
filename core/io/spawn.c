/* spawn: a followed child process (see spawn.h).
 *
 * Handles: the process, one pipe per output stream and a restart timer, all
 * embedded here with data pointing back. A run ends when the process has
 * exited AND both pipes reached EOF, so the last lines are never lost to the
 * order of the exit and read callbacks. The next run waits a backoff: it starts
 * at backoff_min and doubles for every run shorter than 10 s, and falls back to
 * the minimum after a run that lasted.
 *
 * Dying with sitrep. libuv runs no code of ours between fork and exec, so the
 * child cannot ask for PR_SET_PDEATHSIG itself; a process group would need
 * somebody alive to kill it, and SIGKILL leaves nobody. So the child execs
 * sitrep's own binary first (/proc/self/exe, which works even if the file
 * was replaced by an upgrade) with a marker in its environment. A
 * constructor here, run before main and before anything else of sitrep,
 * sees the marker, asks for SIGKILL on the death of its parent, checks that
 * the parent is still the one that spawned it (it could have died before the
 * prctl), drops the marker and execs the real command. The death signal
 * survives that exec, so however sitrep ends, the kernel kills the child.
 * Limits, stated: a set-uid command loses the death signal at its exec, and
 * grandchildren the command forks itself are not covered (commands that
 * follow output, journalctl -f or kubectl logs -f, do not fork). */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sitrep/io/linebuf.h"
#include "sitrep/io/spawn.h"
#include "sitrep/core/util.h"

#define SPAWN_STABLE_MS  10000
#define SPAWN_GUARD_ENV  "SITREP_SPAWN_GUARD"
#define SPAWN_GUARD_ARG0 "sitrep-spawn-guard"
#define SPAWN_GUARD_EXE  "/proc/self/exe"

extern char **environ;

/* The trampoline (see the top of the file). glibc hands constructors the
 * process's argc, argv and envp. Only async-signal-safe calls matter little
 * here (the process is single-threaded this early), but nothing of sitrep
 * has run yet, so this uses only libc. */
__attribute__((constructor)) static void spawn_guard_trampoline(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *mark = getenv(SPAWN_GUARD_ENV);
	if (mark == NULL)
		return;
	pid_t parent = (pid_t)strtol(mark, NULL, 10);
	unsetenv(SPAWN_GUARD_ENV);
	/* A marker left in a user's environment is not a trampoline call. */
	if (argc < 3 || strcmp(argv[0], SPAWN_GUARD_ARG0) != 0)
		return;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
	execv(argv[1], argv + 2);
	int err = errno;
	dprintf(STDERR_FILENO, "sitrep: cannot run %s: %s\n", argv[2], strerror(err));
	_exit(127);
}

/* PATH as the child will see it: from its environment, as execvp does. */
static const char *spawn_guard_path_var(char *const *env)
{
	for (char *const *e = env; e != NULL && *e != NULL; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			return *e + 5;
	return "/bin:/usr/bin";
}

/* 0 with the full path in *out, or UV_ENOENT / UV_EACCES as execvp would fail. */
static int spawn_guard_which(const char *file, char *const *env, const char *cwd, char **out)
{
	struct stat st;
	if (strchr(file, '/') != NULL) {
		*out = xstrdup(file);
		/* A relative path is resolved in cwd by the child; let it say so. */
		if (file[0] != '/' && cwd != NULL)
			return 0;
		if (stat(file, &st) != 0)
			return UV_ENOENT;
		return S_ISREG(st.st_mode) && access(file, X_OK) == 0 ? 0 : UV_EACCES;
	}
	int rc = UV_ENOENT;
	const char *p = spawn_guard_path_var(env);
	while (1) {
		const char *end = strchr(p, ':');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		char *cand = n == 0 ? xasprintf("%s", file) : xasprintf("%.*s/%s", (int)n, p, file);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(cand, X_OK) == 0) {
				*out = cand;
				return 0;
			}
			rc = UV_EACCES;
		}
		free(cand);
		if (end == NULL)
			break;
		p = end + 1;
	}
	return rc;
}

/* The names of the variables that hold a secret (see spawn.h). Registered
 * while the config loads, read-only afterwards. */
#define SPAWN_MAX_WITHHELD 64
static char *spawn_withheld[SPAWN_MAX_WITHHELD];
static size_t spawn_nwithheld;

void spawn_withhold_env(const char *name)
{
	if (name == NULL || *name == '\0' || strchr(name, '=') != NULL)
		return;
	for (size_t i = 0; i < spawn_nwithheld; i++)
		if (strcmp(spawn_withheld[i], name) == 0)
			return;
	if (spawn_nwithheld == SPAWN_MAX_WITHHELD) {
		/* more than there are slots: refuse to hand a secret on unseen */
		fprintf(stderr, "sitrep: more than %d secret variables configured\n", SPAWN_MAX_WITHHELD);
		abort();
	}
	spawn_withheld[spawn_nwithheld++] = xstrdup(name);
}

void spawn_forget_withheld(void)
{
	for (size_t i = 0; i < spawn_nwithheld; i++) {
		free(spawn_withheld[i]);
		spawn_withheld[i] = NULL;
	}
	spawn_nwithheld = 0;
}

/* Whether name (n bytes) is one of the NULL-terminated names, NULL: none. */
static bool spawn_name_in(const char *name, size_t n, const char *const *names)
{
	for (; names != NULL && *names != NULL; names++)
		if (strlen(*names) == n && memcmp(*names, name, n) == 0)
			return true;
	return false;
}

bool spawn_env_passes(const char *entry, char *const *pass_env)
{
	size_t n = strcspn(entry, "=");
	if (n == sizeof(SPAWN_GUARD_ENV) - 1 && memcmp(entry, SPAWN_GUARD_ENV, n) == 0)
		return false; /* only the guard itself sets the marker */
	if (!spawn_name_in(entry, n, (const char *const *)spawn_withheld))
		return true;
	return spawn_name_in(entry, n, (const char *const *)pass_env);
}

int spawn_guard_apply(struct spawn_guard *g, uv_process_options_t *o, char *const *pass_env)
{
	memset(g, 0, sizeof(*g));
	char *const *env = o->env != NULL ? o->env : environ;
	size_t nargs = 0, nenv = 0;
	while (o->args[nargs] != NULL)
		nargs++;
	while (env[nenv] != NULL)
		nenv++;
	/* The child's environment: the marker first when there is a guard (so
	 * spawn_guard_free finds what it allocated), then every entry but the
	 * secret variables the command was not given. Built with or without the
	 * guard: a missing /proc must not hand a token on. */
	bool guarded = access(SPAWN_GUARD_EXE, X_OK) == 0;
	g->env = xcalloc(nenv + 2, sizeof(*g->env));
	size_t k = 0;
	if (guarded)
		g->env[k++] = g->marker = xasprintf("%s=%ld", SPAWN_GUARD_ENV, (long)getpid());
	for (size_t i = 0; i < nenv; i++)
		if (spawn_env_passes(env[i], pass_env))
			g->env[k++] = env[i];
	o->env = g->env;
	int rc = spawn_guard_which(o->file, g->env, o->cwd, &g->path);
	if (rc != 0) {
		free(g->path);
		g->path = NULL;
		return rc;
	}
	if (!guarded)
		return 0; /* no /proc: run unguarded rather than not at all */
	g->args = xcalloc(nargs + 3, sizeof(*g->args));
	g->args[0] = SPAWN_GUARD_ARG0;
	g->args[1] = g->path;
	for (size_t i = 0; i < nargs; i++)
		g->args[i + 2] = o->args[i];
	o->file = SPAWN_GUARD_EXE;
	o->args = g->args;
	return 0;
}

void spawn_guard_free(struct spawn_guard *g)
{
	free(g->marker);
	free(g->env);
	free(g->args);
	free(g->path);
	memset(g, 0, sizeof(*g));
}

struct spawn_pipe {
	uv_pipe_t pipe;
	struct spawn *sp;
	struct linebuf lb;
	int stream;
	bool open;
};

struct spawn {
	uv_loop_t *loop;
	char **argv;
	char **pass_env; /* copied from the options; NULL: none */
	struct spawn_options opt;
	struct spawn_callbacks cb;
	void *ctx;
	uv_process_t proc;
	struct spawn_pipe out[2];
	uv_timer_t restart;
	bool running; /* process handle initialised and not yet closed */
	bool exited;
	int64_t status;
	int term_signal;
	uint64_t started_ms;
	unsigned backoff_ms;
	unsigned restarts;
	bool closing;
	bool troubled; /* an error was reported; the next output clears it */
	int pending_closes;
	void (*closed)(void *ctx);
};

static void spawn_run(struct spawn *sp);

unsigned spawn_restarts(const struct spawn *sp)
{
	return sp->restarts;
}

void spawn_describe_exit(int64_t status, int signal, char *buf, size_t cap)
{
	if (signal != 0)
		snprintf(buf, cap, "killed by signal %d (%s)", signal, strsignal(signal));
	else
		snprintf(buf, cap, "exited with status %lld", (long long)status);
}

static void spawn_state(struct spawn *sp, const char *msg)
{
	sp->troubled = msg != NULL;
	if (sp->cb.state != NULL)
		sp->cb.state(sp->ctx, msg);
}

static void spawn_on_line(void *ctx, const char *line, size_t len, bool cut)
{
	struct spawn_pipe *p = ctx;
	/* Output again after an exit or a failed start: the trouble is over.
	 * Until then the last exit status stays visible. */
	if (p->sp->troubled)
		spawn_state(p->sp, NULL);
	p->sp->cb.line(p->sp->ctx, p->stream, line, len, cut);
}

static void spawn_free(struct spawn *sp)
{
	if (sp->closed != NULL)
		sp->closed(sp->ctx);
	for (int i = 0; i < 2; i++)
		linebuf_free(&sp->out[i].lb);
	for (char **a = sp->argv; *a != NULL; a++)
		free(*a);
	free(sp->argv);
	for (char **a = sp->pass_env; a != NULL && *a != NULL; a++)
		free(*a);
	free(sp->pass_env);
	free(sp);
}

static void spawn_handle_closed(struct spawn *sp)
{
	if (--sp->pending_closes == 0 && sp->closing)
		spawn_free(sp);
}

/* The process and the timer point back at the spawn, a pipe at its
 * spawn_pipe: each kind of handle needs its own close callback. */
static void spawn_closed_cb(uv_handle_t *h)
{
	spawn_handle_closed(h->data);
}

static void spawn_pipe_closed_cb(uv_handle_t *h)
{
	struct spawn_pipe *p = h->data;
	spawn_handle_closed(p->sp);
}

static void spawn_close_handle(struct spawn *sp, uv_handle_t *h)
{
	if (uv_is_closing(h))
		return;
	sp->pending_closes++;
	bool is_pipe = h == (uv_handle_t *)&sp->out[0].pipe || h == (uv_handle_t *)&sp->out[1].pipe;
	uv_close(h, is_pipe ? spawn_pipe_closed_cb : spawn_closed_cb);
}

static void spawn_restart_cb(uv_timer_t *h)
{
	spawn_run(h->data);
}

/* Both pipes done and the process reaped: report and schedule the next run. */
static void spawn_maybe_finished(struct spawn *sp)
{
	if (!sp->exited || sp->out[0].open || sp->out[1].open || sp->closing)
		return;
	sp->running = false;
	spawn_close_handle(sp, (uv_handle_t *)&sp->proc);
	if (sp->cb.exited != NULL)
		sp->cb.exited(sp->ctx, sp->status, sp->term_signal);
	uint64_t lived = uv_now(sp->loop) - sp->started_ms;
	unsigned min = sp->opt.backoff_min_ms, max = sp->opt.backoff_max_ms;
	if (lived >= SPAWN_STABLE_MS || sp->backoff_ms == 0)
		sp->backoff_ms = min;
	else
		sp->backoff_ms = sp->backoff_ms * 2 > max ? max : sp->backoff_ms * 2;
	char how[128], msg[300];
	spawn_describe_exit(sp->status, sp->term_signal, how, sizeof(how));
	snprintf(msg, sizeof(msg), "%s %s, restarting in %us", sp->argv[0], how,
	         (sp->backoff_ms + 999) / 1000);
	spawn_state(sp, msg);
	sp->exited = false;
	uv_timer_start(&sp->restart, spawn_restart_cb, sp->backoff_ms, 0);
}

static void spawn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char chunk[256 * 1024];
	buf->base = chunk;
	buf->len = sizeof(chunk);
}

static void spawn_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct spawn_pipe *p = s->data;
	if (n > 0) {
		linebuf_feed(&p->lb, buf->base, (size_t)n, spawn_on_line, p);
		return;
	}
	if (n == 0)
		return;
	/* EOF or a read error: this stream is over. */
	linebuf_flush(&p->lb, spawn_on_line, p);
	p->open = false;
	spawn_close_handle(p->sp, (uv_handle_t *)&p->pipe);
	spawn_maybe_finished(p->sp);
}

static void spawn_exit_cb(uv_process_t *proc, int64_t status, int signal)
{
	struct spawn *sp = proc->data;
	sp->exited = true;
	sp->status = status;
	sp->term_signal = signal;
	spawn_maybe_finished(sp);
}

static void spawn_run(struct spawn *sp)
{
	if (sp->closing)
		return;
	if (sp->started_ms != 0)
		sp->restarts++;
	sp->started_ms = uv_now(sp->loop);
	uv_stdio_container_t stdio[3];
	stdio[0].flags = UV_IGNORE;
	for (int i = 0; i < 2; i++) {
		struct spawn_pipe *p = &sp->out[i];
		uv_pipe_init(sp->loop, &p->pipe, 0);
		p->pipe.data = p;
		p->sp = sp;
		p->stream = i + 1;
		p->open = true;
		linebuf_reset(&p->lb);
		stdio[i + 1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		stdio[i + 1].data.stream = (uv_stream_t *)&p->pipe;
	}
	uv_process_options_t o = {0};
	o.file = sp->argv[0];
	o.args = sp->argv;
	o.exit_cb = spawn_exit_cb;
	o.stdio = stdio;
	o.stdio_count = 3;
	sp->proc.data = sp;
	struct spawn_guard guard;
	/* A command not on PATH is found out here, before uv_spawn. */
	int rc = spawn_guard_apply(&guard, &o, sp->pass_env);
	bool proc_init = rc == 0;
	if (rc == 0)
		rc = uv_spawn(sp->loop, &sp->proc, &o);
	spawn_guard_free(&guard);
	if (rc != 0) {
		/* uv_spawn initialised the handle even on failure: close it. */
		if (proc_init)
			spawn_close_handle(sp, (uv_handle_t *)&sp->proc);
		for (int i = 0; i < 2; i++) {
			sp->out[i].open = false;
			spawn_close_handle(sp, (uv_handle_t *)&sp->out[i].pipe);
		}
		unsigned max = sp->opt.backoff_max_ms;
		sp->backoff_ms = sp->backoff_ms == 0        ? sp->opt.backoff_min_ms
		                 : sp->backoff_ms * 2 > max ? max
		                                            : sp->backoff_ms * 2;
		char msg[300];
		snprintf(msg, sizeof(msg), "%s: %s", sp->argv[0],
		         rc == UV_ENOENT ? "command not found" : uv_strerror(rc));
		spawn_state(sp, msg);
		uv_timer_start(&sp->restart, spawn_restart_cb, sp->backoff_ms, 0);
		return;
	}
	sp->running = true;
	sp->exited = false;
	for (int i = 0; i < 2; i++)
		uv_read_start((uv_stream_t *)&sp->out[i].pipe, spawn_alloc_cb, spawn_read_cb);
}

struct spawn *spawn_new(uv_loop_t *loop, const struct spawn_options *opt, const struct spawn_callbacks *cb,
                        void *ctx)
{
	struct spawn *sp = xcalloc(1, sizeof(*sp));
	sp->loop = loop;
	sp->opt = *opt;
	if (sp->opt.backoff_min_ms == 0)
		sp->opt.backoff_min_ms = 1000;
	if (sp->opt.backoff_max_ms == 0)
		sp->opt.backoff_max_ms = 60000;
	size_t n = 0;
	while (opt->argv[n] != NULL)
		n++;
	sp->argv = xcalloc(n + 1, sizeof(*sp->argv));
	for (size_t i = 0; i < n; i++)
		sp->argv[i] = xstrdup(opt->argv[i]);
	sp->opt.argv = sp->argv;
	for (n = 0; opt->pass_env != NULL && opt->pass_env[n] != NULL; n++)
		;
	if (opt->pass_env != NULL) {
		sp->pass_env = xcalloc(n + 1, sizeof(*sp->pass_env));
		for (size_t i = 0; i < n; i++)
			sp->pass_env[i] = xstrdup(opt->pass_env[i]);
	}
	sp->opt.pass_env = sp->pass_env;
	sp->cb = *cb;
	sp->ctx = ctx;
	for (int i = 0; i < 2; i++)
		linebuf_init(&sp->out[i].lb, opt->max_line);
	uv_timer_init(loop, &sp->restart);
	sp->restart.data = sp;
	return sp;
}

void spawn_start(struct spawn *sp)
{
	spawn_run(sp);
}

void spawn_close(struct spawn *sp, void (*closed)(void *ctx))
{
	if (sp->closing)
		return;
	sp->closing = true;
	sp->closed = closed;
	/* A count of one held while closing so spawn_free runs exactly once. */
	sp->pending_closes++;
	if (sp->running && !uv_is_closing((uv_handle_t *)&sp->proc)) {
		uv_process_kill(&sp->proc, SIGTERM);
		spawn_close_handle(sp, (uv_handle_t *)&sp->proc);
	}
	for (int i = 0; i < 2; i++)
		if (sp->out[i].open) {
			sp->out[i].open = false;
			spawn_close_handle(sp, (uv_handle_t *)&sp->out[i].pipe);
		}
	spawn_close_handle(sp, (uv_handle_t *)&sp->restart);
	if (--sp->pending_closes == 0)
		spawn_free(sp);
}
