/* logs: the "logs" source. It reads the pane's "sources" array, runs one
 * log_input per element (file, journald, command, loki) and feeds every line
 * they deliver into one logstore, which it publishes in place as the pane's
 * snapshot data.
 *
 * Inputs may deliver thousands of lines per loop pass, so publishing is
 * decoupled from ingest: a 100 ms timer publishes when the store changed. The
 * first publish waits until every input finished its initial read, so
 * `--once` shows the groups of the current tails. An input's trouble becomes
 * the source's error (all inputs' messages joined), which keeps the age of an
 * unchanged error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sitrep/core/app.h"
#include "sitrep/core/kind.h"
#include "backends/loginput.h"
#include "sitrep/kinds/logs.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/source.h"
#include "sitrep/io/spawn.h"
#include "sitrep/core/util.h"

#define LOGS_TICK_MS 100

static const struct log_input_ops *const logs_input_table[] = {
    &loginput_file,
    &loginput_journald,
    &loginput_command,
    &loginput_loki,
};

struct logs_source {
	struct source *src;
	struct logstore *store;
	struct logclass *lc;
	struct log_input *inputs;
	size_t ninputs;
	uv_timer_t tick;
	bool tick_open;
	bool started;
	bool all_ready;
	bool published;
	bool ready_published; /* published since every input finished its first read */
	bool progress_shown;  /* --once: a progress line is on stderr */
	bool refresh_pending;
	bool errors_changed;
	uint64_t published_gen;
	int64_t spike_ms;   /* when the last error-rate spike was announced */
	size_t open_inputs; /* inputs whose handles are not closed yet */
};

static const struct log_input_ops *logs_input_find(const char *type)
{
	for (size_t i = 0; i < ARRAY_LEN(logs_input_table); i++)
		if (strcmp(logs_input_table[i]->type, type) == 0)
			return logs_input_table[i];
	return NULL;
}

/* ---- what inputs call ---- */

void loginput_line(struct log_input *in, unsigned label, int64_t time_ms, int sev, const char *raw,
                   size_t len, bool cut)
{
	struct logs_source *ls = in->owner;
	logstore_ingest_format(ls->store, ls->lc, in->format, label, time_ms, sev, raw, len, cut);
}

void loginput_file_head(struct log_input *in, unsigned label, const char *head, size_t len)
{
	logstore_w3c_head(in->owner->store, label, head, len);
}

void loginput_record(struct log_input *in, unsigned label, int64_t time_ms, int sev, const char *raw,
                     size_t len, bool cut)
{
	/* One record, however many lines its message holds: the first is its
	 * head, the others belong to its event whatever they say. */
	const char *nl = memchr(raw, '\n', len);
	if (nl == NULL) {
		loginput_line(in, label, time_ms, sev, raw, len, cut);
		return;
	}
	size_t first = (size_t)(nl - raw);
	loginput_line(in, label, time_ms, sev, raw, first > 0 && raw[first - 1] == '\r' ? first - 1 : first,
	              false);
	for (const char *p = nl + 1, *end = raw + len; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = e != NULL ? (size_t)(e - p) : (size_t)(end - p);
		bool last = e == NULL || e + 1 >= end;
		loginput_line(in, label, time_ms, LOGSTORE_SEV_PART, p, n > 0 && p[n - 1] == '\r' ? n - 1 : n,
		              last && cut);
		if (e == NULL)
			break;
		p = e + 1;
	}
}

void loginput_scan_params(struct log_input *in, struct logscan_params *prm)
{
	struct logs_source *ls = in->owner;
	memset(prm, 0, sizeof(*prm));
	prm->lc = ls->lc;
	prm->format = in->format;
	logstore_limits(ls->store, &prm->max_lines, &prm->max_groups, &prm->max_line_bytes);
}

void loginput_merge(struct log_input *in, unsigned label, struct logbatch *b)
{
	logstore_merge(in->owner->store, label, b);
}

void loginput_progress(struct log_input *in, int dscans, int64_t done, int64_t total)
{
	logstore_progress_update(in->owner->store, dscans, done, total);
}

unsigned loginput_label(struct log_input *in, const char *name)
{
	return logstore_add_source(in->owner->store, name);
}

int loginput_classify(struct log_input *in, const char *raw, size_t len)
{
	return (int)logclass_classify_format(in->owner->lc, (enum log_format)in->format, raw, len);
}

void loginput_error(struct log_input *in, const char *msg)
{
	if (util_str_same(msg, in->error))
		return;
	free(in->error);
	in->error = msg != NULL ? xstrdup(msg) : NULL;
	in->owner->errors_changed = true;
}

void loginput_warning(struct log_input *in, const char *msg)
{
	if (util_str_same(msg, in->warning))
		return;
	free(in->warning);
	in->warning = msg != NULL ? xstrdup(msg) : NULL;
	in->owner->errors_changed = true;
}

void loginput_child_exited(struct log_input *in, const char *argv0, int64_t status, int signal)
{
	char how[128];
	spawn_describe_exit(status, signal, how, sizeof(how));
	char *line = xasprintf("sitrep: %s %s", argv0, how);
	loginput_line(in, in->label, 0, LOG_SEV_WARN, line, strlen(line), false);
	free(line);
}

struct http *loginput_http(struct log_input *in)
{
	struct source *src = in->owner->src;
	return app_http(src->app);
}

static void logs_publish(struct logs_source *ls);

void loginput_ready(struct log_input *in)
{
	struct logs_source *ls = in->owner;
	if (in->ready)
		return;
	in->ready = true;
	for (size_t i = 0; i < ls->ninputs; i++)
		if (!ls->inputs[i].ready)
			return;
	ls->all_ready = true;
	logs_publish(ls);
}

static void logs_tick_closed(uv_handle_t *h);

void loginput_closed(struct log_input *in)
{
	struct logs_source *ls = in->owner;
	if (in->closed)
		return;
	in->closed = true;
	ls->open_inputs--;
}

/* ---- publishing ---- */

/* The inputs' errors joined, or NULL. */
/* The inputs' errors, or with warnings true their warnings, joined. */
static char *logs_errors(struct logs_source *ls, bool warnings)
{
	char *out = NULL;
	for (size_t i = 0; i < ls->ninputs; i++) {
		const char *e = warnings ? ls->inputs[i].warning : ls->inputs[i].error;
		if (e == NULL)
			continue;
		char *next = out == NULL ? xstrdup(e) : xasprintf("%s; %s", out, e);
		free(out);
		out = next;
	}
	return out;
}

/* Each error group the store made since the last publish is an event (the
 * timeline, the status hint). The groups of the first read are the tail
 * that was already there, not news: they are dropped silently. */
static void logs_announce_new_groups(struct logs_source *ls, bool first)
{
	uint64_t fresh[LOGSTORE_FRESH_MAX];
	size_t n = logstore_take_new_groups(ls->store, fresh, LOGSTORE_FRESH_MAX);
	for (size_t i = 0; i < n && !first; i++) {
		const struct log_group *g = logstore_group_by_hash(ls->store, fresh[i]);
		if (g == NULL)
			continue;
		char key[24];
		snprintf(key, sizeof(key), "%016llx", (unsigned long long)g->hash);
		app_state_once(ls->src->app, ls->src, "new_error", EVENT_WARN, g->fingerprint, key,
		               "new error group in %s: %s", logstore_source_name(ls->store, g->source),
		               g->sample);
	}
}

/* A spike: errors in the last minute at least LOGS_SPIKE_FACTOR times the
 * rate of the ten minutes before, and at least LOGS_SPIKE_MIN a minute;
 * announced at most every LOGS_SPIKE_QUIET_MS. */
#define LOGS_SPIKE_FACTOR   3.0
#define LOGS_SPIKE_MIN      10.0
#define LOGS_SPIKE_QUIET_MS (5 * 60 * 1000)

static void logs_check_spike(struct logs_source *ls, bool first)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	double hist[11];
	logstore_errors_history(ls->store, now, hist, 11);
	double before = 0;
	for (int i = 0; i < 10; i++)
		before += hist[i];
	before /= 10;
	double last = hist[10];
	if (first || last < LOGS_SPIKE_MIN || last < LOGS_SPIKE_FACTOR * before ||
	    (ls->spike_ms != 0 && now - ls->spike_ms < LOGS_SPIKE_QUIET_MS))
		return;
	ls->spike_ms = now;
	app_state_once(ls->src->app, ls->src, "error_spike", EVENT_CRIT, "errors/min", NULL,
	               "errors spiking: %.0f/min, was %.1f/min over the 10 minutes before", last, before);
}

/* A deploy makes the groups first seen after it "new": the last one, from
 * the marks (marks.h), checked on every tick. */
static void logs_follow_deploy(struct logs_source *ls)
{
	const struct app *app = ls->src->app;
	const struct mark *dep = app != NULL ? marks_last_deploy(marks_of(app)) : NULL;
	if (dep != NULL && dep->time_ms > logstore_deploy_time(ls->store)) {
		logstore_set_deploy_time(ls->store, dep->time_ms);
		ls->refresh_pending = true;
	}
}

/* Without a front end (--once) nothing is drawn: the first publish is the
 * whole first read. */
static bool logs_is_once(const struct source *src)
{
	return src->app != NULL && src->app->frontend == NULL;
}

/* --once with stderr on a terminal: how far the backlog scan is, on one
 * line rewritten in place, cleared when it is over. */
static void logs_once_progress(struct logs_source *ls)
{
	struct source *src = ls->src;
	if (!logs_is_once(src) || !isatty(2))
		return;
	char text[200];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (logstore_progress_text(ls->store, now, text, sizeof(text))) {
		fprintf(stderr, "\r\033[K%s: %s", src->cfg->id, text);
		ls->progress_shown = true;
	} else if (ls->progress_shown) {
		fprintf(stderr, "\r\033[K");
		ls->progress_shown = false;
	}
	fflush(stderr);
}

static void logs_publish(struct logs_source *ls)
{
	struct source *src = ls->src;
	logs_follow_deploy(ls);
	logs_once_progress(ls);
	if (!ls->all_ready) {
		/* A backlog scan from the start shows its groups as they form (the
		 * dashboard); --once still waits for the whole read. */
		if (logstore_progress(ls->store)->scans > 0 && src->app != NULL && !logs_is_once(src) &&
		    logstore_generation(ls->store) != ls->published_gen) {
			ls->published_gen = logstore_generation(ls->store);
			if (!ls->published)
				source_publish(src, logstore_ref(ls->store));
			else
				source_publish(src, ls->store);
			ls->published = true;
			/* groups found in the backlog are not news */
			uint64_t fresh[LOGSTORE_FRESH_MAX];
			logstore_take_new_groups(ls->store, fresh, LOGSTORE_FRESH_MAX);
		}
		return;
	}
	/* A multi-line event that got no more lines counts now; the end of the
	 * first read ends every event (--once prints its groups). */
	bool first = !ls->ready_published;
	ls->ready_published = true;
	if (!first)
		logstore_flush_traces(ls->store, 0);
	else
		logstore_end_events(ls->store);
	char *err = logs_errors(ls, false);
	char *warn = logs_errors(ls, true);
	source_set_warning(src, warn);
	free(warn);
	bool changed = logstore_generation(ls->store) != ls->published_gen || ls->errors_changed || first;
	if (!changed && !ls->refresh_pending && ls->published) {
		free(err);
		return;
	}
	ls->published_gen = logstore_generation(ls->store);
	ls->errors_changed = false;
	logs_announce_new_groups(ls, first);
	logs_check_spike(ls, first);
	if (!ls->published && err != NULL && logstore_stats(ls->store)->lines == 0) {
		/* Nothing read and something wrong: an error, not an empty "stale" pane. */
		source_fail(src, "%s", err);
		ls->refresh_pending = false;
		free(err);
		return;
	}
	if (!ls->published) {
		/* The snapshot holds its own reference to the live store. */
		source_publish(src, logstore_ref(ls->store));
		ls->published = true;
	} else if (err == NULL) {
		source_publish(src, ls->store);
	}
	if (err != NULL)
		source_fail(src, "%s", err);
	ls->refresh_pending = false;
	free(err);
}

static void logs_tick_cb(uv_timer_t *h)
{
	logs_publish(h->data);
}

/* ---- source ops ---- */

static int logs_read_patterns(struct logs_source *ls, struct config_ctx *ctx, struct jnode *node)
{
	struct jnode *pats = NULL;
	char **err_pats = NULL, **warn_pats = NULL;
	int rc = -1;
	if (config_get_node(ctx, node, "patterns", JNODE_OBJECT, false, &pats) < 0)
		return -1;
	if (pats != NULL) {
		if (config_get_argv(ctx, pats, "error", false, &err_pats) < 0 ||
		    config_get_argv(ctx, pats, "warn", false, &warn_pats) < 0 ||
		    config_check_unknown(ctx, pats, "patterns") < 0)
			goto out;
	}
	size_t ne = 0, nw = 0;
	while (err_pats != NULL && err_pats[ne] != NULL)
		ne++;
	while (warn_pats != NULL && warn_pats[nw] != NULL)
		nw++;
	char msg[300];
	ls->lc = logclass_new((const char *const *)err_pats, ne, (const char *const *)warn_pats, nw, msg,
	                      sizeof(msg));
	if (ls->lc == NULL) {
		config_fail(ctx, pats != NULL ? pats : node, "%s", msg);
		goto out;
	}
	rc = 0;
out:
	config_free_argv(err_pats);
	config_free_argv(warn_pats);
	return rc;
}

/* The "format" key of any input: auto (the default) detects per line. */
static int logs_read_format(struct config_ctx *ctx, struct jnode *el, struct log_input *in)
{
	char *name = NULL;
	if (config_get_string(ctx, el, "format", false, "auto", &name) < 0)
		return -1;
	int f = logformat_by_name(name);
	free(name);
	if (f < 0)
		return config_fail(ctx, jsonc_get(el, "format"),
		                   "unknown log format (expected auto, keywords, json, syslog, glog, ruby, "
		                   "dotnet, access, logfmt, leveled, elb, haproxy or w3c)");
	in->format = f;
	return 0;
}

static int logs_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct logs_source *ls = xcalloc(1, sizeof(*ls));
	src->data = ls;
	ls->src = src;
	double max_lines, max_groups, max_line_bytes;
	if (config_get_number(ctx, node, "max_lines", false, LOGSTORE_DEFAULT_LINES, 10, 10000000,
	                      &max_lines) < 0 ||
	    config_get_number(ctx, node, "max_groups", false, LOGSTORE_DEFAULT_GROUPS, 1, 1000000,
	                      &max_groups) < 0 ||
	    config_get_number(ctx, node, "max_line_bytes", false, LOGSTORE_DEFAULT_LINE_BYTES, 80,
	                      1024 * 1024, &max_line_bytes) < 0)
		return -1;
	if (logs_read_patterns(ls, ctx, node) < 0)
		return -1;
	ls->store = logstore_new((size_t)max_lines, (size_t)max_groups, (size_t)max_line_bytes);

	struct jnode *arr;
	if (config_get_node(ctx, node, "sources", JNODE_ARRAY, true, &arr) < 0)
		return -1;
	if (arr->count == 0)
		return config_fail(ctx, arr, "expected at least one log source");
	ls->inputs = xcalloc(arr->count, sizeof(*ls->inputs));
	for (struct jnode *el = arr->child; el != NULL; el = el->next) {
		if (el->type != JNODE_OBJECT)
			return config_fail(ctx, el, "expected an object with a \"type\"");
		char *type = NULL;
		if (config_get_string(ctx, el, "type", true, NULL, &type) < 0)
			return -1;
		const struct log_input_ops *ops = logs_input_find(type);
		free(type);
		if (ops == NULL) {
			struct jnode *t = jsonc_get(el, "type");
			return config_fail(ctx, t != NULL ? t : el,
			                   "unknown log source type (expected file, journald, "
			                   "command or loki)");
		}
		struct log_input *in = &ls->inputs[ls->ninputs++];
		in->ops = ops;
		in->owner = ls;
		in->loop = src->loop;
		if (config_get_string(ctx, el, "name", false, NULL, &in->name) < 0 ||
		    logs_read_format(ctx, el, in) < 0 || ops->init(in, ctx, el) < 0 ||
		    config_check_unknown(ctx, el, "log source") < 0)
			return -1;
		if (in->name == NULL)
			in->name = xstrdup(ops->type);
		in->label = logstore_add_source(ls->store, in->name);
	}
	return 0;
}

static int logs_start(struct source *src)
{
	struct logs_source *ls = src->data;
	uv_timer_init(src->loop, &ls->tick);
	ls->tick.data = ls;
	ls->tick_open = true;
	uv_timer_start(&ls->tick, logs_tick_cb, LOGS_TICK_MS, LOGS_TICK_MS);
	ls->started = true;
	ls->open_inputs = ls->ninputs;
	for (size_t i = 0; i < ls->ninputs; i++) {
		struct log_input *in = &ls->inputs[i];
		in->loop = src->loop;
		if (in->ops->start(in) < 0) {
			loginput_ready(in);
		}
	}
	return 0;
}

/* The core asks for a refresh on its interval: publishing keeps the data from
 * counting as stale while the logs are quiet. */
static void logs_refresh(struct source *src)
{
	struct logs_source *ls = src->data;
	ls->refresh_pending = true;
	logs_publish(ls);
}

static void logs_tick_closed(uv_handle_t *h)
{
	struct logs_source *ls = h->data;
	ls->tick_open = false;
}

static void logs_stop(struct source *src)
{
	struct logs_source *ls = src->data;
	if (ls == NULL || !ls->started)
		return;
	ls->started = false;
	uv_close((uv_handle_t *)&ls->tick, logs_tick_closed);
	for (size_t i = 0; i < ls->ninputs; i++)
		if (ls->inputs[i].ops->stop != NULL)
			ls->inputs[i].ops->stop(&ls->inputs[i]);
		else
			loginput_closed(&ls->inputs[i]);
}

static void logs_destroy(struct source *src)
{
	struct logs_source *ls = src->data;
	if (ls == NULL)
		return;
	for (size_t i = 0; i < ls->ninputs; i++) {
		struct log_input *in = &ls->inputs[i];
		if (in->ops->destroy != NULL)
			in->ops->destroy(in);
		free(in->name);
		free(in->error);
		free(in->warning);
	}
	free(ls->inputs);
	logclass_free(ls->lc);
	logstore_unref(ls->store);
	free(ls);
	src->data = NULL;
}

const struct source_ops source_logs = {
    .name = "logs",
    .kind = "logs",
    .init = logs_init,
    .start = logs_start,
    .refresh = logs_refresh,
    .stop = logs_stop,
    .destroy = logs_destroy,
    .pass_env_elsewhere = "\"pass_env\" goes on the log input of type \"command\" whose child "
                          "needs the variables, not on the pane",
};
