/* logfile: the "file" log input. Follows one path, or every file matching a
 * glob pattern (such as /var/log/app/ followed by *.log), with core/tail.c. Files matching at start
 * are read from their tail; files that appear later are read from their start,
 * since everything in them is new. The glob is re-expanded once a second. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/loginput.h"
#include "sitrep/tail.h"
#include "sitrep/util.h"

#define LOGFILE_MAX_FILES 64
#define LOGFILE_GLOB_MS   1000

struct logfile;

struct logfile_tail {
	struct logfile *lf;
	struct tail *tail;
	unsigned label;
	char *error;
	bool ready;
};

struct logfile {
	struct log_input *in;
	char *path;
	bool is_glob;
	bool from_start;
	double tail_bytes, tail_lines, poll_ms;
	struct logfile_tail *tails[LOGFILE_MAX_FILES];
	size_t ntails;
	uv_timer_t glob_timer;
	bool glob_timer_open;
	bool started_globbing; /* files found after the first expansion are new */
	int open_closes;
	bool stopping;
	bool adding; /* inside a glob expansion: readiness is judged after it */
};

static void logfile_update_state(struct logfile *lf)
{
	char *msg = NULL;
	for (size_t i = 0; i < lf->ntails; i++) {
		const char *e = lf->tails[i]->error;
		if (e == NULL)
			continue;
		char *next = msg == NULL ? xstrdup(e) : xasprintf("%s; %s", msg, e);
		free(msg);
		msg = next;
	}
	if (msg == NULL && lf->is_glob && lf->ntails == 0)
		msg = xasprintf("no file matches %s (waiting)", lf->path);
	loginput_error(lf->in, msg);
	free(msg);
	if (lf->adding)
		return;
	bool ready = true;
	for (size_t i = 0; i < lf->ntails; i++)
		ready = ready && lf->tails[i]->ready;
	if (ready)
		loginput_ready(lf->in);
}

static void logfile_on_line(void *ctx, const char *line, size_t len, bool cut)
{
	struct logfile_tail *ft = ctx;
	loginput_line(ft->lf->in, ft->label, 0, -1, line, len, cut);
}

static void logfile_on_state(void *ctx, const char *error)
{
	struct logfile_tail *ft = ctx;
	free(ft->error);
	ft->error = error != NULL ? xstrdup(error) : NULL;
	logfile_update_state(ft->lf);
}

static void logfile_on_ready(void *ctx)
{
	struct logfile_tail *ft = ctx;
	ft->ready = true;
	logfile_update_state(ft->lf);
}

static const struct tail_callbacks logfile_callbacks = {
    .line = logfile_on_line,
    .state = logfile_on_state,
    .ready = logfile_on_ready,
};

static void logfile_add(struct logfile *lf, const char *path, bool from_start)
{
	if (lf->ntails == LOGFILE_MAX_FILES)
		return;
	struct logfile_tail *ft = xcalloc(1, sizeof(*ft));
	ft->lf = lf;
	if (lf->is_glob) {
		const char *base = strrchr(path, '/');
		ft->label = loginput_label(lf->in, base != NULL ? base + 1 : path);
	} else {
		ft->label = lf->in->label;
	}
	struct tail_options o = {
	    .path = path,
	    .from_start = from_start,
	    .tail_bytes = (size_t)lf->tail_bytes,
	    .tail_lines = (size_t)lf->tail_lines,
	    .poll_ms = (unsigned)lf->poll_ms,
	};
	lf->tails[lf->ntails++] = ft;
	ft->tail = tail_new(lf->in->loop, &o, &logfile_callbacks, ft);
	tail_start(ft->tail);
}

static void logfile_glob(struct logfile *lf)
{
	glob_t g;
	lf->adding = true;
	if (glob(lf->path, GLOB_NOSORT, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			bool known = false;
			for (size_t k = 0; k < lf->ntails && !known; k++)
				known = strcmp(tail_path(lf->tails[k]->tail), g.gl_pathv[i]) == 0;
			if (!known)
				logfile_add(lf, g.gl_pathv[i], lf->started_globbing || lf->from_start);
		}
	}
	globfree(&g);
	lf->adding = false;
	lf->started_globbing = true;
	logfile_update_state(lf);
}

static void logfile_glob_cb(uv_timer_t *h)
{
	logfile_glob(h->data);
}

static int logfile_init(struct log_input *in, struct config_ctx *ctx, struct jnode *node)
{
	struct logfile *lf = xcalloc(1, sizeof(*lf));
	in->data = lf;
	lf->in = in;
	char *from = NULL;
	if (config_get_string(ctx, node, "path", true, NULL, &lf->path) < 0 ||
	    config_get_string(ctx, node, "from", false, "end", &from) < 0)
		return -1;
	bool bad_from = strcmp(from, "end") != 0 && strcmp(from, "start") != 0;
	lf->from_start = strcmp(from, "start") == 0;
	free(from);
	if (bad_from)
		return config_fail(ctx, jsonc_get(node, "from"), "expected \"end\" or \"start\"");
	if (config_get_number(ctx, node, "tail_bytes", false, 65536, 0, 1e12, &lf->tail_bytes) < 0 ||
	    config_get_number(ctx, node, "tail_lines", false, 0, 0, 1e7, &lf->tail_lines) < 0 ||
	    config_get_number(ctx, node, "poll_ms", false, 250, 20, 60000, &lf->poll_ms) < 0)
		return -1;
	lf->is_glob = strpbrk(lf->path, "*?[") != NULL;
	if (in->name == NULL) {
		const char *base = strrchr(lf->path, '/');
		in->name = xstrdup(lf->is_glob ? lf->path : base != NULL ? base + 1 : lf->path);
	}
	return 0;
}

static int logfile_start(struct log_input *in)
{
	struct logfile *lf = in->data;
	if (!lf->is_glob) {
		logfile_add(lf, lf->path, lf->from_start);
		return 0;
	}
	uv_timer_init(in->loop, &lf->glob_timer);
	lf->glob_timer.data = lf;
	lf->glob_timer_open = true;
	logfile_glob(lf);
	uv_timer_start(&lf->glob_timer, logfile_glob_cb, LOGFILE_GLOB_MS, LOGFILE_GLOB_MS);
	return 0;
}

static void logfile_one_closed(struct logfile *lf)
{
	if (--lf->open_closes == 0)
		loginput_closed(lf->in);
}

static void logfile_tail_closed(void *ctx)
{
	struct logfile_tail *ft = ctx;
	ft->tail = NULL;
	logfile_one_closed(ft->lf);
}

static void logfile_timer_closed(uv_handle_t *h)
{
	struct logfile *lf = h->data;
	lf->glob_timer_open = false;
	logfile_one_closed(lf);
}

static void logfile_stop(struct log_input *in)
{
	struct logfile *lf = in->data;
	lf->stopping = true;
	/* One count held while closing so the last close reports exactly once. */
	lf->open_closes = 1;
	if (lf->glob_timer_open) {
		lf->open_closes++;
		uv_close((uv_handle_t *)&lf->glob_timer, logfile_timer_closed);
	}
	for (size_t i = 0; i < lf->ntails; i++)
		if (lf->tails[i]->tail != NULL) {
			lf->open_closes++;
			tail_close(lf->tails[i]->tail, logfile_tail_closed);
		}
	logfile_one_closed(lf);
}

static void logfile_destroy(struct log_input *in)
{
	struct logfile *lf = in->data;
	if (lf == NULL)
		return;
	for (size_t i = 0; i < lf->ntails; i++) {
		free(lf->tails[i]->error);
		free(lf->tails[i]);
	}
	free(lf->path);
	free(lf);
	in->data = NULL;
}

const struct log_input_ops loginput_file = {
    .type = "file",
    .init = logfile_init,
    .start = logfile_start,
    .stop = logfile_stop,
    .destroy = logfile_destroy,
};
