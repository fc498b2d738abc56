/* app: the wiring of sources, timers, signals and the TUI on one libuv loop.
 * Each source has its own refresh timer with a little jitter so refreshes do
 * not all land on one tick, and a refresh never starts while the previous one
 * of the same source is still in flight. Shutdown closes every handle and runs
 * the loop until the close callbacks have fired, then frees. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/action.h"
#include "sitrep/app.h"
#include "sitrep/http.h"
#include "sitrep/kind.h"
#include "sitrep/sanitize.h"
#include "sitrep/marks.h"
#include "sitrep/timeline.h"
#include "sitrep/util.h"

#define APP_ONCE_POLL_MS 20

static const struct kind_ops *app_kind_of(const struct pane_config *pc)
{
	const struct kind_ops *k = kind_find(pc->kind);
	return k != NULL ? k : &kind_empty;
}

/* Every URL in the config that carries a password (http://user:pw@host) has
 * it registered with the sanitizer, whichever source or input reads it, so
 * no output can show it. */
static void app_register_url_secrets(const struct jnode *node)
{
	for (; node != NULL; node = node->next) {
		if (node->type == JNODE_STRING && node->string != NULL && strstr(node->string, "://") != NULL)
			sanitize_add_url_secret(node->string);
		if (node->type == JNODE_OBJECT || node->type == JNODE_ARRAY)
			app_register_url_secrets(node->child);
	}
}

int app_create_sources(struct app *app, struct config_error *err)
{
	if (app->cfg.root != NULL)
		app_register_url_secrets(app->cfg.root->child);
	struct config *cfg = &app->cfg;
	struct config_ctx ctx = {.file = cfg->path, .err = err};
	app->sources = xcalloc(cfg->npanes, sizeof(struct source));
	int rc = 0;
	/* Every pane is read, also after one fails, so one run reports every
	 * mistake (a pane whose own keys failed in config_load_text has no source). */
	for (size_t i = 0; i < cfg->npanes; i++) {
		struct pane_config *pc = &cfg->panes[i];
		struct source *src = &app->sources[i];
		app->nsources++;
		if (pc->invalid || pc->ops == NULL) {
			rc = -1;
			continue;
		}
		src->ops = pc->ops;
		src->cfg = pc;
		src->index = (int)i;
		src->visible = true;
		src->snap.kind = app_kind_of(pc);
		double seconds = pc->refresh_seconds > 0        ? pc->refresh_seconds
		                 : app->opt.refresh_seconds > 0 ? app->opt.refresh_seconds
		                                                : cfg->refresh_seconds;
		src->refresh_ms = (uint64_t)(seconds * 1000.0);
		if (src->ops->init(src, &ctx, pc->node) < 0) {
			rc = -1;
			continue;
		}
		char what[96];
		snprintf(what, sizeof(what), "a %s pane with source \"%s\"", pc->kind, pc->source);
		if (config_check_unknown(&ctx, pc->node, what) < 0)
			rc = -1;
	}
	return rc;
}

/* A refresh every whole number of seconds lands just after the wall-clock
 * second turns, a few ms before the status bar's clock (tui.c, +15 ms): the
 * new data and the new second then go out in one frame instead of two. */
#define APP_ON_CLOCK_MS 5

static bool app_on_clock(const struct source *src)
{
	return src->refresh_ms >= 1000 && src->refresh_ms <= 60000 && src->refresh_ms % 1000 == 0;
}

/* Milliseconds until the next multiple of period in wall-clock time, plus the
 * offset. */
static uint64_t app_ms_to_boundary(uint64_t period)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)(ts.tv_nsec / 1000000);
	return period - now % period + APP_ON_CLOCK_MS;
}

static void app_refresh_timer(uv_timer_t *timer)
{
	struct source *src = timer->data;
	if (app_on_clock(src) && !src->app->quitting)
		uv_timer_start(&src->timer, app_refresh_timer, app_ms_to_boundary(src->refresh_ms), 0);
	if (src->in_flight || src->app->quitting)
		return;
	src->in_flight = true;
	src->ops->refresh(src);
}

/* Starts every source; first refreshes are spread over the first few ms so
 * the first frame has data without all sources firing on one tick. */
static int app_start_sources(struct app *app)
{
	for (size_t i = 0; i < app->nsources; i++) {
		struct source *src = &app->sources[i];
		src->app = app;
		src->loop = app->loop;
		uv_timer_init(app->loop, &src->timer);
		src->timer.data = src;
		if (src->ops->start != NULL && src->ops->start(src) < 0)
			return -1;
		if (src->ops->refresh != NULL && app_on_clock(src)) {
			uv_timer_start(&src->timer, app_refresh_timer, i, 0);
		} else if (src->ops->refresh != NULL) {
			uint64_t jitter =
			    src->refresh_ms / 20 > 0 ? (uint64_t)rand() % (src->refresh_ms / 20) : 0;
			uv_timer_start(&src->timer, app_refresh_timer, i, src->refresh_ms + jitter);
		}
	}
	return 0;
}

struct http *app_http(struct app *app)
{
	if (app == NULL || app->loop == NULL || app->quitting)
		return NULL;
	if (app->http == NULL)
		app->http = http_new(app->loop);
	return app->http;
}

void app_source_changed(struct app *app, struct source *src)
{
	struct event ev = {.type = EVENT_DATA_CHANGED, .pane = src->cfg->id, .pane_index = src->index};
	event_publish(&app->bus, &ev);
}

void app_event(struct app *app, const struct source *src, enum event_type type, enum event_level level,
               const char *subject, const char *key, const char *fmt, ...)
{
	if (app == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *text = sanitize_vprintf(400, fmt, ap);
	va_end(ap);
	char *subj = subject != NULL ? sanitize_str(subject) : NULL;
	struct event ev = {
	    .type = type,
	    .level = level,
	    .pane = src != NULL && src->cfg != NULL ? src->cfg->id : NULL,
	    .pane_index = src != NULL ? src->index : -1,
	    .subject = subj,
	    .text = text,
	    .key = key,
	};
	event_publish(&app->bus, &ev);
	free(subj);
	free(text);
}

static void app_signal(uv_signal_t *sig, int signum)
{
	struct app *app = sig->data;
	app_quit(app, 128 + signum);
}

static void app_signals_start(struct app *app)
{
	uv_signal_t *sigs[] = {&app->sig_int, &app->sig_term, &app->sig_hup};
	int nums[] = {SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++) {
		uv_signal_init(app->loop, sigs[i]);
		sigs[i]->data = app;
		uv_signal_start(sigs[i], app_signal, nums[i]);
		/* signals alone must not keep the loop alive during shutdown */
		uv_unref((uv_handle_t *)sigs[i]);
	}
}

static void app_close_handle(uv_handle_t *h)
{
	if (h->loop != NULL && !uv_is_closing(h))
		uv_close(h, NULL);
}

void app_quit(struct app *app, int code)
{
	if (app->quitting)
		return;
	app->quitting = true;
	app->exit_code = code;
	/* An action still waiting for its answer may have been applied. */
	action_abandon_all(app);
	if (app->ui != NULL) {
		app->frontend->stop(app->ui);
		app->ui = NULL;
	}
	for (size_t i = 0; i < app->nsources; i++) {
		struct source *src = &app->sources[i];
		if (src->loop == NULL)
			continue;
		app_close_handle((uv_handle_t *)&src->timer);
		if (src->ops->stop != NULL)
			src->ops->stop(src);
	}
	http_close(app->http);
	app->http = NULL;
	app_close_handle((uv_handle_t *)&app->sig_int);
	app_close_handle((uv_handle_t *)&app->sig_term);
	app_close_handle((uv_handle_t *)&app->sig_hup);
	app_close_handle((uv_handle_t *)&app->once_timer);
}

/* Runs the loop until every handle has closed, so close callbacks free memory. */
static void app_drain(struct app *app)
{
	uv_run(app->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(app->loop) == UV_EBUSY) {
		uv_run(app->loop, UV_RUN_DEFAULT);
		uv_loop_close(app->loop);
	}
}

int app_run_dashboard(struct app *app, const struct app_frontend *fe)
{
	signal(SIGPIPE, SIG_IGN);
	app_signals_start(app);
	app->frontend = fe;
	/* The timeline subscribes before anything can publish. */
	app->timeline = timeline_open(app, 1);
	app->marks = marks_open(app); /* the deploy markers graphs draw */
	app->ui = fe->start(app);
	if (app->ui == NULL) {
		app_quit(app, 1);
		app_drain(app);
		return 1;
	}
	if (app_start_sources(app) < 0)
		app_quit(app, 1);
	app_drain(app);
	return app->exit_code;
}

/* --- --once ------------------------------------------------------------ */

static uint64_t app_once_deadline_ms(void)
{
	const char *env = getenv("SITREP_ONCE_TIMEOUT");
	double s = env != NULL ? atof(env) : 0;
	return s > 0 ? (uint64_t)(s * 1000) : 15000;
}

static void app_once_tick(uv_timer_t *timer)
{
	struct app *app = timer->data;
	bool all = true;
	for (size_t i = 0; i < app->nsources; i++)
		all = all && app->sources[i].done_once;
	if (!all && uv_now(app->loop) < app->once_deadline)
		return;
	for (size_t i = 0; i < app->nsources; i++) {
		struct source *src = &app->sources[i];
		if (!src->done_once)
			source_fail(src, "no answer within %.0f s", (double)app_once_deadline_ms() / 1000.0);
	}
	app_quit(app, 0);
}

static cJSON *app_once_pane_json(const struct app *app, const struct source *src)
{
	const struct snapshot *snap = &src->snap;
	cJSON *o = cJSON_CreateObject();
	enum pane_state st = snapshot_state(snap, uv_now(app->loop), 0);
	char when[32];
	cJSON_AddStringToObject(o, "id", src->cfg->id);
	cJSON_AddStringToObject(o, "kind", src->cfg->kind);
	cJSON_AddStringToObject(o, "source", src->cfg->source);
	cJSON_AddStringToObject(o, "state", snapshot_state_name(st));
	if (snap->error != NULL)
		cJSON_AddStringToObject(o, "error", snap->error);
	else
		cJSON_AddNullToObject(o, "error");
	if (snap->updated_ms != 0) {
		util_rfc3339(snap->updated_wall, when, sizeof(when));
		cJSON_AddStringToObject(o, "updated_at", when);
	} else {
		cJSON_AddNullToObject(o, "updated_at");
	}
	if (snap->note != NULL)
		cJSON_AddStringToObject(o, "note", snap->note);
	if (snap->warning != NULL)
		cJSON_AddStringToObject(o, "warning", snap->warning);
	cJSON *data = snap->kind->to_json(snap->data);
	cJSON_AddItemToObject(o, "data", data);
	return o;
}

static void app_once_print_json(struct app *app, FILE *out)
{
	char now[32];
	util_rfc3339(time(NULL), now, sizeof(now));
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddStringToObject(root, "generated_at", now);
	cJSON_AddBoolToObject(root, "read_only", app->read_only);
	cJSON *panes = cJSON_AddArrayToObject(root, "panes");
	for (size_t i = 0; i < app->nsources; i++)
		cJSON_AddItemToArray(panes, app_once_pane_json(app, &app->sources[i]));
	char *text = cJSON_Print(root);
	fputs(text, out);
	fputc('\n', out);
	free(text);
	cJSON_Delete(root);
}

static void app_once_print_text(struct app *app, FILE *out)
{
	for (size_t i = 0; i < app->nsources; i++) {
		const struct source *src = &app->sources[i];
		const struct snapshot *snap = &src->snap;
		enum pane_state st = snapshot_state(snap, uv_now(app->loop), 0);
		fprintf(out, "%s (%s/%s): %s", src->cfg->id, src->cfg->kind, src->cfg->source,
		        snapshot_state_name(st));
		if (snap->error != NULL)
			fprintf(out, ": %s", snap->error);
		fputc('\n', out);
		if (snap->note != NULL)
			fprintf(out, "  %s\n", snap->note);
		if (snap->warning != NULL)
			fprintf(out, "  warning: %s\n", snap->warning);
		if (snap->data != NULL)
			snap->kind->print(snap->data, out);
	}
	if (app->read_only)
		fprintf(out, "(read-only)\n");
}

int app_run_once(struct app *app)
{
	signal(SIGPIPE, SIG_IGN);
	app_signals_start(app);
	/* a timeline pane shows the history read back; --once writes nothing */
	app->timeline = timeline_open(app, 0);
	app->marks = marks_open(app); /* backups are held against the deploys found */
	if (app_start_sources(app) < 0) {
		app_quit(app, 1);
		app_drain(app);
		return 1;
	}
	/* --once does not wait for the timers' first tick: refresh everything now */
	for (size_t i = 0; i < app->nsources; i++) {
		struct source *src = &app->sources[i];
		if (src->ops->refresh != NULL)
			source_refresh_now(src);
		else if (src->ops->start == NULL)
			src->done_once = true;
	}
	uv_timer_init(app->loop, &app->once_timer);
	app->once_timer.data = app;
	app->once_deadline = uv_now(app->loop) + app_once_deadline_ms();
	uv_timer_start(&app->once_timer, app_once_tick, 0, APP_ONCE_POLL_MS);
	uv_run(app->loop, UV_RUN_DEFAULT);
	if (app->opt.json)
		app_once_print_json(app, stdout);
	else
		app_once_print_text(app, stdout);
	fflush(stdout);
	int rc = 0;
	for (size_t i = 0; i < app->nsources; i++)
		if (snapshot_state(&app->sources[i].snap, uv_now(app->loop), 0) == PANE_ERROR)
			rc = 1;
	app_drain(app);
	return rc;
}

void app_free(struct app *app)
{
	for (size_t i = 0; i < app->nsources; i++) {
		struct source *src = &app->sources[i];
		if (src->ops != NULL && src->ops->destroy != NULL)
			src->ops->destroy(src);
		snapshot_clear(&src->snap);
	}
	free(app->sources);
	app->sources = NULL;
	timeline_close(app->timeline);
	app->timeline = NULL;
	marks_close(app->marks);
	app->marks = NULL;
	event_bus_clear(&app->bus);
	sanitize_forget_secrets();
	app->nsources = 0;
	config_free(&app->cfg);
}
