/* logcmd: the "command" log input. Runs an argv (kubectl logs -f ..., docker
 * logs -f ...) and follows its stdout and stderr as log lines, classified by
 * the pane's patterns. The child's lifecycle (restarts, exit status as the
 * input's error, the end of the initial read) is backends/logchild.c. Its
 * environment is sitrep's without the config's secret variables, but for
 * those the input's "pass_env" names. */
#include <stdlib.h>
#include <string.h>

#include "backends/loginput.h"
#include "sitrep/core/util.h"

struct logcmd {
	char **argv;
	char **pass_env; /* the secret variables the command gets; NULL: none */
	struct logchild *child;
};

static void logcmd_on_line(struct log_input *in, int stream, const char *line, size_t len, bool cut)
{
	(void)stream;
	loginput_line(in, in->label, 0, -1, line, len, cut);
}

static const struct logchild_hooks logcmd_hooks = {
    .line = logcmd_on_line,
};

static int logcmd_init(struct log_input *in, struct config_ctx *ctx, struct jnode *node)
{
	struct logcmd *c = xcalloc(1, sizeof(*c));
	in->data = c;
	if (config_get_argv(ctx, node, "argv", true, &c->argv) < 0)
		return -1;
	if (c->argv[0] == NULL)
		return config_fail(ctx, jsonc_get(node, "argv"), "expected a non-empty argv");
	if (config_get_env_names(ctx, node, "pass_env", &c->pass_env) < 0)
		return -1;
	if (in->name == NULL) {
		const char *base = strrchr(c->argv[0], '/');
		in->name = xstrdup(base != NULL ? base + 1 : c->argv[0]);
	}
	return 0;
}

static int logcmd_start(struct log_input *in)
{
	struct logcmd *c = in->data;
	c->child = logchild_start_env(in, c->argv, c->pass_env, &logcmd_hooks);
	return 0;
}

static void logcmd_stop(struct log_input *in)
{
	struct logcmd *c = in->data;
	logchild_stop(c->child);
	c->child = NULL;
}

static void logcmd_destroy(struct log_input *in)
{
	struct logcmd *c = in->data;
	if (c == NULL)
		return;
	config_free_argv(c->argv);
	config_free_argv(c->pass_env);
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
