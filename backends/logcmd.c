/* logcmd: the "command" log input. Runs an argv (kubectl logs -f ..., docker
 * logs -f ...) and follows its stdout and stderr as log lines. When it exits,
 * the exit status becomes the input's error and it is restarted with backoff
 * (core/spawn.c). The initial read is over when the first output pauses. */
#include <stdlib.h>
#include <string.h>

#include "sitrep/loginput.h"
#include "sitrep/spawn.h"
#include "sitrep/util.h"

#define LOGCMD_QUIET_MS     300
#define LOGCMD_READY_MAX_MS 2000

struct logcmd {
	struct log_input *in;
	char **argv;
	struct spawn *sp;
	uv_timer_t ready_timer;
	bool timer_open;
	uint64_t started_ms;
	int open_closes;
};

static void logcmd_ready_cb(uv_timer_t *h)
{
	struct logcmd *c = h->data;
	loginput_ready(c->in);
}

static void logcmd_on_line(void *ctx, int stream, const char *line, size_t len, bool cut)
{
	struct logcmd *c = ctx;
	loginput_line(c->in, c->in->label, 0, -1, line, len, cut);
	if (!c->in->ready && c->timer_open && uv_now(c->in->loop) - c->started_ms < LOGCMD_READY_MAX_MS)
		uv_timer_start(&c->ready_timer, logcmd_ready_cb, LOGCMD_QUIET_MS, 0);
}

static void logcmd_on_state(void *ctx, const char *error)
{
	struct logcmd *c = ctx;
	loginput_error(c->in, error);
	if (error != NULL)
		loginput_ready(c->in);
}

static void logcmd_on_exit(void *ctx, int64_t status, int signal)
{
	struct logcmd *c = ctx;
	loginput_child_exited(c->in, c->argv[0], status, signal);
}

static const struct spawn_callbacks logcmd_callbacks = {
    .line = logcmd_on_line,
    .state = logcmd_on_state,
    .exited = logcmd_on_exit,
};

static int logcmd_init(struct log_input *in, struct config_ctx *ctx, struct jnode *node)
{
	struct logcmd *c = xcalloc(1, sizeof(*c));
	in->data = c;
	c->in = in;
	if (config_get_argv(ctx, node, "argv", true, &c->argv) < 0)
		return -1;
	if (c->argv[0] == NULL)
		return config_fail(ctx, jsonc_get(node, "argv"), "expected a non-empty argv");
	if (in->name == NULL) {
		const char *base = strrchr(c->argv[0], '/');
		in->name = xstrdup(base != NULL ? base + 1 : c->argv[0]);
	}
	return 0;
}

static int logcmd_start(struct log_input *in)
{
	struct logcmd *c = in->data;
	struct spawn_options o = {.argv = c->argv};
	c->sp = spawn_new(in->loop, &o, &logcmd_callbacks, c);
	uv_timer_init(in->loop, &c->ready_timer);
	c->ready_timer.data = c;
	c->timer_open = true;
	c->started_ms = uv_now(in->loop);
	uv_timer_start(&c->ready_timer, logcmd_ready_cb, LOGCMD_READY_MAX_MS, 0);
	spawn_start(c->sp);
	return 0;
}

static void logcmd_one_closed(struct logcmd *c)
{
	if (--c->open_closes == 0)
		loginput_closed(c->in);
}

static void logcmd_spawn_closed(void *ctx)
{
	struct logcmd *c = ctx;
	c->sp = NULL;
	logcmd_one_closed(c);
}

static void logcmd_timer_closed(uv_handle_t *h)
{
	logcmd_one_closed(h->data);
}

static void logcmd_stop(struct log_input *in)
{
	struct logcmd *c = in->data;
	c->open_closes = 1;
	if (c->timer_open) {
		c->timer_open = false;
		c->open_closes++;
		uv_close((uv_handle_t *)&c->ready_timer, logcmd_timer_closed);
	}
	if (c->sp != NULL) {
		c->open_closes++;
		spawn_close(c->sp, logcmd_spawn_closed);
	}
	logcmd_one_closed(c);
}

static void logcmd_destroy(struct log_input *in)
{
	struct logcmd *c = in->data;
	if (c == NULL)
		return;
	config_free_argv(c->argv);
	free(c);
	in->data = NULL;
}

const struct log_input_ops loginput_command = {
    .type = "command",
    .init = logcmd_init,
    .start = logcmd_start,
    .stop = logcmd_stop,
    .destroy = logcmd_destroy,
};
