/* run: a one-shot command (see run.h).
 *
 * Handles: the process, one pipe per output stream and one timer, embedded
 * here with data pointing back; the memory goes in the last close callback.
 * A run ends when the process has been reaped AND both pipes reached EOF, so
 * no output is lost to the order of the callbacks. The one timer walks the
 * phases: the timeout, then the grace after SIGTERM, then a last short wait
 * after SIGKILL after which the run ends whatever the child does (a process
 * stuck in the kernel, or a grandchild that left the group holding a pipe),
 * so the done callback always comes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sitrep/io/run.h"
#include "sitrep/io/spawn.h"
#include "sitrep/core/util.h"

extern char **environ;

/* After SIGKILL the kernel ends the group at once; this only bounds the odd case. */
#define RUN_REAP_MS 1000

enum run_phase {
	RUN_START_FAILED, /* the timer delivers the failure on the next loop pass */
	RUN_RUNNING,      /* the timer is the timeout */
	RUN_TERM_SENT,    /* the timer is the grace before SIGKILL */
	RUN_KILL_SENT,    /* the timer is the last wait */
};

struct run_pipe {
	uv_pipe_t pipe;
	struct run *r;
	char *buf; /* always NUL-terminated */
	size_t len, max;
	bool cut;
	bool open;
};

struct run {
	uv_loop_t *loop;
	uv_process_t proc;
	struct run_pipe out[2];
	uv_timer_t timer;
	run_done_cb cb;
	void *arg;
	void (*on_output)(const char *data, size_t len, bool is_stderr, void *arg);
	void *output_arg;
	char *argv0;
	char *error;
	unsigned timeout_ms, grace_ms;
	enum run_phase phase;
	int pid;
	bool proc_init; /* uv_spawn was called on proc */
	bool exited, done, cancelled, timed_out;
	int64_t status;
	int term_signal;
	uint64_t started_ns;
	int pending_closes; /* handles closing, plus one held until run_finish */
};

int run_pid(const struct run *r)
{
	return r->pid;
}

void run_describe(const struct run_result *res, char *buf, size_t cap)
{
	if (res->error != NULL) {
		snprintf(buf, cap, "%s", res->error);
		return;
	}
	const char *why = res->timed_out ? " after its timeout" : res->cancelled ? " (cancelled)" : "";
	if (res->signal != 0)
		snprintf(buf, cap, "killed by signal %d (%s)%s", res->signal, strsignal(res->signal), why);
	else
		snprintf(buf, cap, "exited with status %lld%s", (long long)res->status, why);
}

static void run_free(struct run *r)
{
	for (int i = 0; i < 2; i++)
		free(r->out[i].buf);
	free(r->argv0);
	free(r->error);
	free(r);
}

/* The process and the timer point at the run, a pipe at its run_pipe. */
static void run_closed_cb(uv_handle_t *h)
{
	struct run *r = h->data;
	if (--r->pending_closes == 0)
		run_free(r);
}

static void run_pipe_closed_cb(uv_handle_t *h)
{
	struct run_pipe *p = h->data;
	if (--p->r->pending_closes == 0)
		run_free(p->r);
}

static void run_close(struct run *r, uv_handle_t *h, uv_close_cb cb)
{
	if (uv_is_closing(h))
		return;
	r->pending_closes++;
	uv_close(h, cb);
}

static void run_close_pipe(struct run_pipe *p)
{
	p->open = false;
	run_close(p->r, (uv_handle_t *)&p->pipe, run_pipe_closed_cb);
}

/* Reports the end, once, then closes every handle. */
static void run_finish(struct run *r)
{
	if (r->done)
		return;
	r->done = true;
	uv_timer_stop(&r->timer);
	struct run_result res = {
	    .error = r->error,
	    .status = r->status,
	    .signal = r->term_signal,
	    .timed_out = r->timed_out,
	    .cancelled = r->cancelled,
	    .out = r->out[0].buf,
	    .out_len = r->out[0].len,
	    .out_cut = r->out[0].cut,
	    .err = r->out[1].buf,
	    .err_len = r->out[1].len,
	    .err_cut = r->out[1].cut,
	    .seconds = (double)(uv_hrtime() - r->started_ns) / 1e9,
	};
	r->cb(&res, r->arg);
	/* Whatever the callback did not take is freed with the run. */
	r->out[0].buf = res.out;
	r->out[1].buf = res.err;
	run_close(r, (uv_handle_t *)&r->timer, run_closed_cb);
	if (r->proc_init)
		run_close(r, (uv_handle_t *)&r->proc, run_closed_cb);
	for (int i = 0; i < 2; i++)
		run_close_pipe(&r->out[i]);
	/* The hold taken in run_start: from now on the last close frees. */
	if (--r->pending_closes == 0)
		run_free(r);
}

static void run_maybe_finish(struct run *r)
{
	if (r->exited && !r->out[0].open && !r->out[1].open)
		run_finish(r);
}

/* The child leads its own group (setsid), whose id is its pid: signalling
 * -pid reaches everything it started. Once the group is empty, fall back to
 * the child itself, which may still be a zombie libuv has not reaped. */
static void run_signal(struct run *r, int sig)
{
	if (r->pid <= 0)
		return;
	if (kill(-r->pid, sig) != 0 && !r->exited)
		uv_process_kill(&r->proc, sig);
}

static void run_timer_cb(uv_timer_t *h);

static void run_terminate(struct run *r)
{
	r->phase = RUN_TERM_SENT;
	run_signal(r, SIGTERM);
	uv_timer_start(&r->timer, run_timer_cb, r->grace_ms, 0);
}

static void run_timer_cb(uv_timer_t *h)
{
	struct run *r = h->data;
	switch (r->phase) {
	case RUN_START_FAILED: run_finish(r); break;
	case RUN_RUNNING:
		r->timed_out = true;
		run_terminate(r);
		break;
	case RUN_TERM_SENT:
		r->phase = RUN_KILL_SENT;
		run_signal(r, SIGKILL);
		uv_timer_start(&r->timer, run_timer_cb, RUN_REAP_MS, 0);
		break;
	case RUN_KILL_SENT:
		/* Still not over: a pipe held by a process outside the group, or a
		 * child the kernel cannot kill yet. End with what was read. */
		if (!r->exited)
			r->error = xasprintf("%s: did not exit after SIGKILL", r->argv0);
		run_finish(r);
		break;
	}
}

static void run_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	/* One thread: every read is consumed before the next one starts. */
	static char chunk[64 * 1024];
	buf->base = chunk;
	buf->len = sizeof(chunk);
}

static void run_pipe_append(struct run_pipe *p, const char *data, size_t n)
{
	size_t room = p->max - p->len;
	if (n > room) {
		n = room;
		p->cut = true;
	}
	if (n == 0)
		return;
	p->buf = xrealloc(p->buf, p->len + n + 1);
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void run_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct run_pipe *p = s->data;
	if (n > 0) {
		run_pipe_append(p, buf->base, (size_t)n);
		if (p->r->on_output != NULL)
			p->r->on_output(buf->base, (size_t)n, p == &p->r->out[1], p->r->output_arg);
		return;
	}
	if (n == 0)
		return;
	/* EOF or a read error: this stream is over. */
	run_close_pipe(p);
	run_maybe_finish(p->r);
}

static void run_exit_cb(uv_process_t *proc, int64_t status, int sig)
{
	struct run *r = proc->data;
	r->exited = true;
	r->status = status;
	r->term_signal = sig;
	run_maybe_finish(r);
}

/* sitrep's environment with extra's entries replacing those of the same name.
 * The array is new, its strings borrowed. */
static char **run_env(char *const *extra)
{
	size_t n = 0, m = 0;
	while (environ[n] != NULL)
		n++;
	while (extra[m] != NULL)
		m++;
	char **env = xcalloc(n + m + 1, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t name = strcspn(environ[i], "=");
		bool replaced = false;
		for (size_t j = 0; j < m && !replaced; j++)
			replaced = strncmp(extra[j], environ[i], name) == 0 && extra[j][name] == '=';
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		env[k++] = extra[j];
	return env;
}

static char *run_start_error(const char *argv0, const char *cwd, int rc)
{
	struct stat st;
	/* uv_spawn says ENOENT for a missing cwd as for a missing program. */
	if (cwd != NULL && stat(cwd, &st) != 0)
		return xasprintf("%s: cannot run in %s: %s", argv0, cwd, strerror(errno));
	if (cwd != NULL && !S_ISDIR(st.st_mode))
		return xasprintf("%s: cannot run in %s: not a directory", argv0, cwd);
	if (rc == UV_ENOENT)
		return xasprintf("%s: command not found", argv0);
	if (rc == UV_EACCES)
		return xasprintf("%s: permission denied", argv0);
	return xasprintf("%s: %s", argv0, uv_strerror(rc));
}

struct run *run_start(uv_loop_t *loop, const struct run_options *opt, run_done_cb cb, void *arg)
{
	struct run *r = xcalloc(1, sizeof(*r));
	r->loop = loop;
	r->cb = cb;
	r->arg = arg;
	r->argv0 = xstrdup(opt->argv[0]);
	r->on_output = opt->on_output;
	r->output_arg = opt->output_arg;
	r->timeout_ms = opt->timeout_ms != 0 ? opt->timeout_ms : RUN_DEFAULT_TIMEOUT_MS;
	r->grace_ms = opt->grace_ms != 0 ? opt->grace_ms : RUN_DEFAULT_GRACE_MS;
	r->started_ns = uv_hrtime();
	/* A pipe closed at EOF must not free the run while the rest is live. */
	r->pending_closes = 1;
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	uv_stdio_container_t stdio[3];
	stdio[0].flags = UV_IGNORE; /* /dev/null */
	for (int i = 0; i < 2; i++) {
		struct run_pipe *p = &r->out[i];
		p->r = r;
		p->max = (i == 0 ? opt->max_stdout : opt->max_stderr);
		if (p->max == 0)
			p->max = RUN_DEFAULT_MAX_OUTPUT;
		p->buf = xcalloc(1, 1);
		p->open = true;
		uv_pipe_init(loop, &p->pipe, 0);
		p->pipe.data = p;
		stdio[i + 1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		stdio[i + 1].data.stream = (uv_stream_t *)&p->pipe;
	}
	char **env = opt->env != NULL ? run_env(opt->env) : NULL;
	uv_process_options_t o = {
	    .file = opt->argv[0],
	    .args = (char **)opt->argv,
	    .env = env,
	    .cwd = opt->cwd,
	    .exit_cb = run_exit_cb,
	    .stdio = stdio,
	    .stdio_count = 3,
	    /* setsid: its own session and process group, see run.h */
	    .flags = UV_PROCESS_DETACHED,
	};
	r->proc.data = r;
	/* Through spawn.c's trampoline, which ties the child's life to
	 * sitrep's (PR_SET_PDEATHSIG); it also finds a missing program first. */
	struct spawn_guard guard;
	int rc = spawn_guard_apply(&guard, &o, opt->pass_env);
	if (rc == 0) {
		/* uv_spawn initialises the handle even when it fails. */
		rc = uv_spawn(loop, &r->proc, &o);
		r->proc_init = true;
	}
	spawn_guard_free(&guard);
	free(env);
	if (rc != 0) {
		/* Reported from the loop, not from here: the caller has no handle yet.
		 * run_finish closes the handles that were initialised. */
		r->error = run_start_error(r->argv0, opt->cwd, rc);
		r->exited = true;
		for (int i = 0; i < 2; i++)
			r->out[i].open = false;
		r->phase = RUN_START_FAILED;
		uv_timer_start(&r->timer, run_timer_cb, 0, 0);
		return r;
	}
	r->pid = r->proc.pid;
	r->phase = RUN_RUNNING;
	for (int i = 0; i < 2; i++)
		uv_read_start((uv_stream_t *)&r->out[i].pipe, run_alloc_cb, run_read_cb);
	uv_timer_start(&r->timer, run_timer_cb, r->timeout_ms, 0);
	return r;
}

void run_cancel(struct run *r)
{
	if (r->done || r->cancelled)
		return;
	r->cancelled = true;
	/* A failed start is already on its way to the callback; a child being
	 * terminated keeps its own schedule. */
	if (r->phase == RUN_RUNNING)
		run_terminate(r);
}
