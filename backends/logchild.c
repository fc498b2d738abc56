/* logchild: the child-process half shared by the log inputs that follow a
 * command's output ("journald", "command"). It spawns the argv (core/io/spawn.c
 * restarts it with backoff), hands every output line to the input's hook,
 * turns the child's trouble into the input's error and its exits into warning
 * lines, and decides when the initial read is over: once the first output
 * pauses, or at a limit, or when the child fails. Stopping closes the child
 * and the ready timer and reports the input closed when both are gone. */
#include <stdlib.h>

#include "backends/loginput.h"
#include "sitrep/io/spawn.h"
#include "sitrep/core/util.h"

/* The first batch is over when output pauses this long, or at the limit. */
#define LOGCHILD_QUIET_MS     300
#define LOGCHILD_READY_MAX_MS 2000

struct logchild {
	struct log_input *in;
	const struct logchild_hooks *hooks;
	char *argv0; /* named in the exit lines */
	struct spawn *sp;
	uv_timer_t ready_timer;
	bool timer_open;
	uint64_t started_ms;
	int open_closes;
};

static void logchild_ready_cb(uv_timer_t *h)
{
	struct logchild *c = h->data;
	loginput_ready(c->in);
}

static void logchild_on_line(void *ctx, int stream, const char *line, size_t len, bool cut)
{
	struct logchild *c = ctx;
	c->hooks->line(c->in, stream, line, len, cut);
	/* Output is still flowing: push the end of the first batch further out. */
	if (!c->in->ready && c->timer_open && uv_now(c->in->loop) - c->started_ms < LOGCHILD_READY_MAX_MS)
		uv_timer_start(&c->ready_timer, logchild_ready_cb, LOGCHILD_QUIET_MS, 0);
}

static void logchild_on_state(void *ctx, const char *error)
{
	struct logchild *c = ctx;
	loginput_error(c->in, error);
	if (c->hooks->state != NULL)
		c->hooks->state(c->in, error);
	/* A failed or ended run completes the initial read too. */
	if (error != NULL)
		loginput_ready(c->in);
}

static void logchild_on_exit(void *ctx, int64_t status, int signal)
{
	struct logchild *c = ctx;
	loginput_child_exited(c->in, c->argv0, status, signal);
}

static const struct spawn_callbacks logchild_callbacks = {
    .line = logchild_on_line,
    .state = logchild_on_state,
    .exited = logchild_on_exit,
};

struct logchild *logchild_start(struct log_input *in, char *const *argv, const struct logchild_hooks *hooks)
{
	return logchild_start_env(in, argv, NULL, hooks);
}

struct logchild *logchild_start_env(struct log_input *in, char *const *argv, char *const *pass_env,
                                    const struct logchild_hooks *hooks)
{
	struct logchild *c = xcalloc(1, sizeof(*c));
	c->in = in;
	c->hooks = hooks;
	c->argv0 = xstrdup(argv[0]);
	/* a secret variable of the config reaches the child only when named */
	struct spawn_options o = {.argv = argv, .pass_env = pass_env};
	c->sp = spawn_new(in->loop, &o, &logchild_callbacks, c);
	uv_timer_init(in->loop, &c->ready_timer);
	c->ready_timer.data = c;
	c->timer_open = true;
	c->started_ms = uv_now(in->loop);
	uv_timer_start(&c->ready_timer, logchild_ready_cb, LOGCHILD_READY_MAX_MS, 0);
	spawn_start(c->sp);
	return c;
}

static void logchild_one_closed(struct logchild *c)
{
	if (--c->open_closes > 0)
		return;
	struct log_input *in = c->in;
	free(c->argv0);
	free(c);
	loginput_closed(in);
}

static void logchild_spawn_closed(void *ctx)
{
	logchild_one_closed(ctx);
}

static void logchild_timer_closed(uv_handle_t *h)
{
	logchild_one_closed(h->data);
}

void logchild_stop(struct logchild *c)
{
	/* Both closes complete later, from the loop (the spawn's includes its
	 * restart timer), so c outlives this call. */
	c->timer_open = false;
	c->open_closes = 2;
	uv_close((uv_handle_t *)&c->ready_timer, logchild_timer_closed);
	spawn_close(c->sp, logchild_spawn_closed);
}
