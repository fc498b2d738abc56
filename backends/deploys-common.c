/* deploys-common: the shared part of the git, helm and kubectl deploys
 * sources and the health check of every deploys source (see
 * deploys-common.h). Commands are one-shot runs (run.h): an argv, never a
 * shell, a timeout, the output captured. An action is a chain of them; each
 * step's callback starts the next, so nothing waits on the loop. The outcome
 * leads with what was verified and the health, then the steps, because the
 * gate keeps only its first few hundred bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/deploys-common.h"
#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/io/http.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

/* Reading a history: a local git or a cluster API a few hops away. */
#define DEPLOYS_READ_MS 30000
/* One health request never takes longer than this. */
#define DEPLOYS_HEALTH_REQ_MS   5000
#define DEPLOYS_HEALTH_EVERY_MS 1000

/* ---- argv helpers ---- */

char **deploys_argv_copy(char *const *argv)
{
	if (argv == NULL)
		return NULL;
	size_t n = 0;
	while (argv[n] != NULL)
		n++;
	char **out = xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(argv[i]);
	return out;
}

static void deploys_argv_vpush(char ***argv, const char *first, va_list ap)
{
	size_t n = 0;
	while (*argv != NULL && (*argv)[n] != NULL)
		n++;
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) {
		*argv = xrealloc(*argv, (n + 2) * sizeof(**argv));
		(*argv)[n++] = xstrdup(s);
		(*argv)[n] = NULL;
	}
}

char **deploys_argv(const char *first, ...)
{
	char **argv = xcalloc(1, sizeof(*argv));
	va_list ap;
	va_start(ap, first);
	deploys_argv_vpush(&argv, first, ap);
	va_end(ap);
	return argv;
}

void deploys_argv_push(char ***argv, ...)
{
	va_list ap;
	va_start(ap, argv);
	const char *first = va_arg(ap, const char *);
	deploys_argv_vpush(argv, first, ap);
	va_end(ap);
}

char **deploys_argv_subst(char *const *tmpl, const char *id)
{
	char **out = deploys_argv_copy(tmpl);
	for (size_t i = 0; out != NULL && out[i] != NULL; i++) {
		char *p;
		while ((p = strstr(out[i], "{release}")) != NULL) {
			char *next =
			    xasprintf("%.*s%s%s", (int)(p - out[i]), out[i], id, p + strlen("{release}"));
			free(out[i]);
			out[i] = next;
			if (strstr(id, "{release}") != NULL)
				break; /* an id that names the placeholder is put in once */
		}
	}
	return out;
}

char *deploys_argv_text(char *const *argv)
{
	char *out = xstrdup("");
	for (size_t i = 0; argv != NULL && argv[i] != NULL; i++) {
		bool q = argv[i][0] == '\0' || strpbrk(argv[i], " \t'\"") != NULL;
		char *next =
		    xasprintf("%s%s%s%s%s", out, i > 0 ? " " : "", q ? "'" : "", argv[i], q ? "'" : "");
		free(out);
		out = next;
	}
	char *clean = sanitize_str(out);
	free(out);
	return clean;
}

bool deploys_run_failed(const struct run_result *res)
{
	return res->error != NULL || res->signal != 0 || res->status != 0 || res->timed_out || res->cancelled;
}

char *deploys_run_tail(const struct run_result *res)
{
	const char *out = res->err != NULL && res->err_len > 0 ? res->err : res->out;
	size_t len = out != NULL ? strlen(out) : 0;
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r' || out[len - 1] == ' '))
		len--;
	size_t from = len;
	/* the last line says why */
	while (from > 0 && out[from - 1] != '\n')
		from--;
	if (out == NULL)
		return xstrdup("");
	/* Masked, then cut: the line's last 160 bytes are taken after its
	 * secrets are masked, so the cut never leaves a piece of one. */
	if (len - from > 8192)
		from = len - 8192;
	char *line = sanitize(out + from, len - from, 0);
	char *tail = xstrdup(util_utf8_tail(line, 160));
	free(line);
	return tail;
}

/* ---- the health check ---- */

int deploys_health_init(struct config_ctx *ctx, struct jnode *pane, struct deploys_health **out)
{
	*out = NULL;
	struct jnode *node = NULL;
	if (config_get_node(ctx, pane, "health", JNODE_OBJECT, false, &node) != 0)
		return -1;
	if (node == NULL)
		return 0;
	struct deploys_health *h = xcalloc(1, sizeof(*h));
	*out = h;
	double status = 200, timeout = 60;
	if (config_get_string(ctx, node, "url", true, NULL, &h->url) != 0 ||
	    config_get_number(ctx, node, "expect_status", false, 200, 100, 599, &status) != 0 ||
	    config_get_string(ctx, node, "expect_text", false, NULL, &h->expect_text) != 0 ||
	    config_get_number(ctx, node, "timeout_seconds", false, 60, 1, 3600, &timeout) != 0)
		return -1;
	if (strncmp(h->url, "http://", 7) != 0 && strncmp(h->url, "https://", 8) != 0)
		return config_fail(ctx, jsonc_get(node, "url"), "expected an http:// or https:// URL");
	if (h->expect_text != NULL && h->expect_text[0] == '\0') {
		free(h->expect_text);
		h->expect_text = NULL;
	}
	h->expect_status = (long)status;
	h->timeout_ms = (unsigned)(timeout * 1000);
	return config_check_unknown(ctx, node, "health check");
}

void deploys_health_free(struct deploys_health *h)
{
	if (h == NULL)
		return;
	free(h->url);
	free(h->expect_text);
	free(h);
}

char *deploys_health_text(const struct deploys_health *h)
{
	char *url = sanitize_str(h->url);
	char *text = h->expect_text != NULL ? sanitize_str(h->expect_text) : NULL;
	char *out = xasprintf("then health: GET %s until status %ld%s%s%s (at most %u s)", url,
	                      h->expect_status, text != NULL ? " and the body holds \"" : "",
	                      text != NULL ? text : "", text != NULL ? "\"" : "", h->timeout_ms / 1000);
	free(url);
	free(text);
	return out;
}

struct deploys_health_run {
	struct source *src;
	const struct deploys_health *h;
	deploys_health_cb cb;
	void *arg;
	uv_timer_t timer; /* data = this run; the memory goes in its close callback */
	struct http_call *call;
	uint64_t start;
	char last[200]; /* why the last try failed */
};

static void deploys_health_closed(uv_handle_t *handle)
{
	free(handle->data);
}

static void deploys_health_end(struct deploys_health_run *hr, bool ok, const char *summary)
{
	uv_timer_stop(&hr->timer);
	deploys_health_cb cb = hr->cb;
	void *arg = hr->arg;
	uv_close((uv_handle_t *)&hr->timer, deploys_health_closed);
	cb(ok, summary, arg);
}

static unsigned deploys_health_elapsed_s(const struct deploys_health_run *hr)
{
	return (unsigned)((util_mono_ms() - hr->start + 500) / 1000);
}

static void deploys_health_tick(uv_timer_t *t);

static void deploys_health_resp(const struct http_resp *resp, void *arg)
{
	struct deploys_health_run *hr = arg;
	hr->call = NULL;
	const struct deploys_health *h = hr->h;
	if (resp->error != NULL) {
		char *e = sanitize_str(resp->error);
		snprintf(hr->last, sizeof(hr->last), "%s", e);
		free(e);
	} else if (resp->status != h->expect_status &&
	           (resp->status == 301 || resp->status == 302 || resp->status == 303 ||
	            resp->status == 307 || resp->status == 308)) {
		/* Redirects are not followed, and waiting will not change where
		 * this one leads: the check fails now, naming where it pointed. */
		char *loc = http_resp_header(resp, "Location");
		char *shown = loc != NULL && loc[0] != '\0' ? sanitize(loc, strlen(loc), 160) : NULL;
		char msg[300];
		snprintf(msg, sizeof(msg), "health URL redirected%s%s (%ld); not followed",
		         shown != NULL ? " to " : " with no Location", shown != NULL ? shown : "",
		         resp->status);
		free(shown);
		free(loc);
		deploys_health_end(hr, false, msg);
		return;
	} else if (resp->status != h->expect_status) {
		snprintf(hr->last, sizeof(hr->last), "status %ld", resp->status);
	} else if (h->expect_text != NULL &&
	           (resp->body == NULL || strstr(resp->body, h->expect_text) == NULL)) {
		char *t = sanitize(h->expect_text, strlen(h->expect_text), 60);
		snprintf(hr->last, sizeof(hr->last), "status %ld without \"%s\"", resp->status, t);
		free(t);
	} else {
		char msg[80];
		snprintf(msg, sizeof(msg), "health ok in %u s", deploys_health_elapsed_s(hr));
		deploys_health_end(hr, true, msg);
		return;
	}
	if (util_mono_ms() - hr->start >= h->timeout_ms) {
		char msg[300];
		snprintf(msg, sizeof(msg), "health still failing after %u s: %s",
		         deploys_health_elapsed_s(hr), hr->last);
		deploys_health_end(hr, false, msg);
		return;
	}
	uv_timer_start(&hr->timer, deploys_health_tick, DEPLOYS_HEALTH_EVERY_MS, 0);
}

static void deploys_health_tick(uv_timer_t *t)
{
	struct deploys_health_run *hr = t->data;
	struct http *http = app_http(hr->src->app);
	if (http == NULL) {
		deploys_health_end(hr, false, "health not checked: sitrep is quitting");
		return;
	}
	uint64_t left = hr->h->timeout_ms - (util_mono_ms() - hr->start);
	if (util_mono_ms() - hr->start >= hr->h->timeout_ms)
		left = 0;
	long req_ms = left < DEPLOYS_HEALTH_REQ_MS ? (long)left : DEPLOYS_HEALTH_REQ_MS;
	if (req_ms < 1000)
		req_ms = 1000;
	struct http_req req = {.url = hr->h->url, .timeout_ms = req_ms, .max_body = 1u << 20, .no_follow = true};
	hr->call = http_request(http, &req, deploys_health_resp, hr);
}

struct deploys_health_run *deploys_health_start(struct source *src, const struct deploys_health *h,
                                                deploys_health_cb cb, void *arg)
{
	struct deploys_health_run *hr = xcalloc(1, sizeof(*hr));
	hr->src = src;
	hr->h = h;
	hr->cb = cb;
	hr->arg = arg;
	hr->start = util_mono_ms();
	snprintf(hr->last, sizeof(hr->last), "no answer yet");
	uv_timer_init(src->loop, &hr->timer);
	hr->timer.data = hr;
	uv_timer_start(&hr->timer, deploys_health_tick, 0, 0);
	return hr;
}

void deploys_health_cancel(struct deploys_health_run *hr)
{
	if (hr->call != NULL) {
		http_cancel(hr->call);
		hr->call = NULL;
	}
	deploys_health_end(hr, false, "health check cancelled");
}

/* ---- commands ---- */

struct deploys_exec {
	struct deploys_common *c;
	struct run *run;
	deploys_exec_cb cb;
	void *arg;
	struct deploys_exec *next;
};

static void deploys_exec_done(struct run_result *res, void *arg)
{
	struct deploys_exec *e = arg;
	struct deploys_common *c = e->c;
	for (struct deploys_exec **pp = &c->execs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	deploys_exec_cb cb = e->cb;
	void *cb_arg = e->arg;
	free(e);
	cb(c, res, cb_arg);
}

/* A command run for an action (restart, rollback): its output is the
 * action's progress, shown live by the dashboard. */
static void deploys_exec_output(const char *data, size_t len, bool is_stderr, void *arg)
{
	action_progress_stream(arg, is_stderr, data, len);
}

static void deploys_exec_with(struct deploys_common *c, char *const *argv, unsigned timeout_ms,
                              deploys_exec_cb cb, void *arg, struct action *progress)
{
	struct deploys_exec *e = xcalloc(1, sizeof(*e));
	e->c = c;
	e->cb = cb;
	e->arg = arg;
	e->next = c->execs;
	c->execs = e;
	struct run_options opt = {.argv = argv, .timeout_ms = timeout_ms, .max_stdout = 8u << 20};
	opt.pass_env = c->src->cfg->pass_env; /* the pane's "pass_env": secret variables its commands get */
	if (progress != NULL) {
		opt.on_output = deploys_exec_output;
		opt.output_arg = progress;
	}
	e->run = run_start(c->src->loop, &opt, deploys_exec_done, e);
	/* a step that follows one ended by stop ends at once too */
	if (c->stopping)
		run_cancel(e->run);
}

void deploys_exec(struct deploys_common *c, char *const *argv, unsigned timeout_ms, deploys_exec_cb cb,
                  void *arg)
{
	deploys_exec_with(c, argv, timeout_ms, cb, arg, NULL);
}

/* ---- the family's hooks ---- */

int deploys_common_init(struct deploys_common *c, struct source *src, const struct deploys_backend *be,
                        struct config_ctx *ctx, struct jnode *node)
{
	c->src = src;
	c->be = be;
	double timeout = 120;
	if (config_get_argv(ctx, node, "restart", false, &c->restart) != 0 ||
	    config_get_number(ctx, node, "restart_timeout_seconds", false, 120, 1, 3600, &timeout) != 0 ||
	    deploys_health_init(ctx, node, &c->health) != 0)
		return -1;
	if (c->restart != NULL && c->restart[0] == NULL)
		return config_fail(ctx, jsonc_get(node, "restart"), "expected a non-empty argv");
	c->restart_ms = (unsigned)(timeout * 1000);
	return 0;
}

void deploys_common_free(struct deploys_common *c)
{
	config_free_argv(c->restart);
	deploys_health_free(c->health);
}

static void deploys_common_refreshed(struct deploys_common *c, struct deploys_data *d, const char *err,
                                     void *arg)
{
	(void)arg;
	if (c->stopping)
		deploys_data_free(d);
	else if (d != NULL)
		source_publish(c->src, d);
	else
		source_fail(c->src, "%s", err);
}

void deploys_common_refresh(struct source *src)
{
	struct deploys_common *c = src->data;
	c->read_started = true;
	c->be->read(c, deploys_common_refreshed, NULL);
}

struct deploys_spin {
	bool done;
	struct deploys_data *d;
	char err[400];
};

static void deploys_common_spun(struct deploys_common *c, struct deploys_data *d, const char *err, void *arg)
{
	(void)c;
	struct deploys_spin *st = arg;
	st->done = true;
	st->d = d;
	if (d == NULL)
		snprintf(st->err, sizeof(st->err), "%s", err);
}

/* The history a rollback chooses from, as a new model. The dashboard has
 * its snapshot; `sitrep do` has read nothing yet and no loop is running, so
 * the history is read here, running the loop until it is in. */
static struct deploys_data *deploys_common_history(struct deploys_common *c, char *err, size_t cap)
{
	struct source *src = c->src;
	bool cli = src->app != NULL && src->app->frontend == NULL && !c->read_started && src->loop != NULL;
	if (!cli) {
		if (src->snap.data == NULL) {
			snprintf(err, cap, "the deploy history has not been read yet%s%s",
			         src->snap.error != NULL ? ": " : "; try again in a moment",
			         src->snap.error != NULL ? src->snap.error : "");
			return NULL;
		}
		return NULL; /* the caller uses the snapshot */
	}
	struct deploys_spin st = {0};
	c->be->read(c, deploys_common_spun, &st);
	while (!st.done && uv_run(src->loop, UV_RUN_ONCE) != 0)
		;
	if (st.d == NULL)
		snprintf(err, cap, "cannot read the deploy history: %s",
		         st.done ? st.err : "the read never ended");
	return st.d;
}

static void deploys_request_free(void *p)
{
	struct deploys_request *r = p;
	if (r == NULL)
		return;
	free(r->to);
	free(r->to_commit);
	free(r->to_message);
	free(r->to_version);
	free(r->from);
	config_free_argv(r->argv);
	config_free_argv(r->restart);
	free(r);
}

/* The deploy a rollback goes to, or NULL with the reason in err. */
static const struct deploy *deploys_common_target(const struct deploys_data *d, const char *named, char *err,
                                                  size_t cap)
{
	if (named[0] != '\0') {
		const struct deploy *to = deploys_find(d, named);
		char *t = sanitize_str(named);
		const char *why = to != NULL ? deploys_not_target(to) : NULL;
		if (to == NULL && named[0] == '-')
			snprintf(err, cap, "%s is not a deploy: a target never begins with '-'", t);
		else if (to == NULL)
			snprintf(err, cap, "no deploy %s in the history", t);
		else if (why != NULL)
			snprintf(err, cap, "deploy %s is never a rollback target: %s", to->id, why);
		else if (to->current)
			snprintf(err, cap, "%s is already the current deploy", to->id);
		else if (to->bad)
			snprintf(err, cap, "deploy %s is marked %s%s%s; not rolling back to it", to->id,
			         to->status[0] != '\0' ? to->status : "bad",
			         to->message[0] != '\0' ? ": " : "", to->message);
		else {
			free(t);
			return to;
		}
		free(t);
		return NULL;
	}
	if (d->current == NULL) {
		snprintf(err, cap, "no current deploy is known; name the deploy to roll back to");
		return NULL;
	}
	const struct deploy *to = deploys_previous_good(d);
	if (to == NULL)
		snprintf(err, cap, "no healthy deploy older than %s to roll back to", d->current);
	return to;
}

/* Appends id to list (", "-separated) while it fits. */
static void deploys_list_add(char *list, size_t cap, const char *id)
{
	size_t len = strlen(list);
	if (len + strlen(id) + 3 < cap)
		snprintf(list + len, cap - len, "%s%s", len > 0 ? ", " : "", id);
}

void deploys_skipped(const struct deploys_data *d, const struct deploy *to, char *bad, size_t bad_cap,
                     char *refused, size_t refused_cap)
{
	bad[0] = refused[0] = '\0';
	for (size_t i = 0, past = 0; i < d->n && &d->deploys[i] != to; i++) {
		const struct deploy *p = &d->deploys[i];
		if (p->current)
			past = 1;
		else if (past && p->bad)
			deploys_list_add(bad, bad_cap, p->id);
		else if (past && deploys_not_target(p) != NULL)
			deploys_list_add(refused, refused_cap, p->id);
	}
}

int deploys_common_prepare(struct source *src, struct action *a, char *err, size_t cap)
{
	struct deploys_common *c = src->data;
	bool rollback = a->verb == &kind_deploys_rollback;
	if (!rollback && a->verb != &kind_deploys_restart) {
		snprintf(err, cap, "a deploys pane cannot %s", a->verb->name);
		return -1;
	}
	struct deploys_request *r = xcalloc(1, sizeof(*r));
	r->rollback = rollback;
	/* a restart the user did not configure is not added to a rollback */
	r->restart = rollback && c->restart_default ? NULL : deploys_argv_copy(c->restart);
	r->timeout_ms = c->restart_ms;
	char *restart_text = r->restart != NULL ? deploys_argv_text(r->restart) : NULL;
	char *health_text = c->health != NULL ? deploys_health_text(c->health) : xstrdup("");
	char *effect = NULL;
	if (!rollback) {
		if (r->restart == NULL) {
			snprintf(err, cap, "no \"restart\" argv configured for pane %s", src->cfg->id);
			goto fail;
		}
		effect = xasprintf("argv: %s (timeout %u s)%s%s", restart_text, r->timeout_ms / 1000,
		                   health_text[0] != '\0' ? "\n" : "", health_text);
	} else {
		struct deploys_data *fresh = deploys_common_history(c, err, cap);
		const struct deploys_data *d = fresh != NULL ? fresh : src->snap.data;
		if (d == NULL)
			goto fail;
		const struct deploy *to = deploys_common_target(d, a->target, err, cap);
		char *verify = NULL;
		if (to != NULL)
			verify = c->be->rollback(c, to, &r->argv, err, cap);
		if (to == NULL || verify == NULL) {
			deploys_data_free(fresh);
			goto fail;
		}
		/* Deploys passed over are named, so the user sees why it is not the one just before. */
		char skipped[256] = "", refused[256] = "";
		deploys_skipped(d, to, skipped, sizeof(skipped), refused, sizeof(refused));
		r->to = xstrdup(to->id);
		r->to_commit = xstrdup(to->revision);
		r->to_message = xstrdup(to->message);
		r->to_version = xstrdup(to->version);
		r->from = d->current != NULL ? xstrdup(d->current) : NULL;
		free(a->target);
		a->target = xstrdup(to->id);
		char *argv_text = deploys_argv_text(r->argv);
		char *then = restart_text != NULL ? xasprintf("\nthen argv: %s (timeout %u s)", restart_text,
		                                              r->timeout_ms / 1000)
		                                  : xstrdup("");
		char *ident = c->be->identity(c, to);
		effect = xasprintf("current: %s -> %s\ntarget: %s\nargv: %s (timeout %u s)%s\n%s%s%s%s%s%s%s",
		                   r->from != NULL ? r->from : "(none)", to->id, ident, argv_text,
		                   r->timeout_ms / 1000, then, verify, health_text[0] != '\0' ? "\n" : "",
		                   health_text, skipped[0] != '\0' ? "\nskipped, marked bad: " : "", skipped,
		                   refused[0] != '\0' ? "\nskipped, never a target: " : "", refused);
		free(ident);
		free(then);
		free(argv_text);
		free(verify);
		deploys_data_free(fresh);
	}
	/* The gate waits for every step: the commands' timeouts and kills, the
	 * reads, the health check, and a margin. */
	a->timeout_ms =
	    2 * (r->timeout_ms + RUN_DEFAULT_GRACE_MS) + 3 * (DEPLOYS_READ_MS + RUN_DEFAULT_GRACE_MS) +
	    (c->health != NULL ? c->health->timeout_ms + DEPLOYS_HEALTH_REQ_MS : 0) + c->extra_ms + 5000;
	action_set_effect(a, effect);
	free(effect);
	free(restart_text);
	free(health_text);
	if (a->request != NULL && a->request_free != NULL)
		a->request_free(a->request);
	a->request = r;
	a->request_free = deploys_request_free;
	return 0;
fail:
	free(restart_text);
	free(health_text);
	deploys_request_free(r);
	return -1;
}

/* ---- the job: one action's chain of steps ---- */

static void deploys_job_append(char **to, const char *sep, const char *text)
{
	char *next = *to != NULL && (*to)[0] != '\0' ? xasprintf("%s%s%s", *to, sep, text) : xstrdup(text);
	free(*to);
	*to = next;
}

void deploys_job_note(struct deploys_job *job, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	deploys_job_append(&job->outcome, "; ", msg);
	free(msg);
}

static void deploys_job_end(struct deploys_job *job, enum action_result result, const char *head)
{
	struct deploys_common *c = job->c;
	if (c->job == job)
		c->job = NULL;
	struct action *a = job->action;
	if (job->outcome != NULL && job->outcome[0] != '\0')
		action_finish(a, result, "%s; %s", head, job->outcome);
	else
		action_finish(a, result, "%s", head);
	free(job->outcome);
	free(job->data);
	free(job);
	/* The pane shows the new current (and publishes the deploy) at once;
	 * `sitrep do` has no pane and reads nothing more. */
	if (c->read_started)
		source_refresh_now(c->src);
}

void deploys_job_fail(struct deploys_job *job, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	deploys_job_end(job, ACTION_FAILED, msg);
	free(msg);
}

struct deploys_job_health {
	struct deploys_job *job;
	char *head;
};

static void deploys_job_health_done(bool ok, const char *summary, void *arg)
{
	struct deploys_job_health *jh = arg;
	struct deploys_job *job = jh->job;
	job->health = NULL;
	char *head = xasprintf("%s; %s", jh->head, summary);
	free(jh->head);
	free(jh);
	deploys_job_end(job, ok ? ACTION_OK : ACTION_FAILED, head);
	free(head);
}

void deploys_job_ok(struct deploys_job *job, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (job->c->health == NULL || job->c->src->loop == NULL) {
		deploys_job_end(job, ACTION_OK, msg);
		free(msg);
		return;
	}
	struct deploys_job_health *jh = xcalloc(1, sizeof(*jh));
	jh->job = job;
	jh->head = msg;
	job->health = deploys_health_start(job->c->src, job->c->health, deploys_job_health_done, jh);
}

/* restart: the argv, then the health check */
static void deploys_job_restarted(struct deploys_common *c, struct run_result *res, void *arg)
{
	struct deploys_job *job = arg;
	char how[200];
	run_describe(res, how, sizeof(how));
	if (deploys_run_failed(res)) {
		char *tail = deploys_run_tail(res);
		deploys_job_fail(job, "restart %s%s%s%s", how,
		                 res->timed_out ? " (killed at its timeout)" : "",
		                 tail[0] != '\0' ? ": " : "", tail);
		free(tail);
		return;
	}
	if (!job->req->rollback) {
		deploys_job_ok(job, "restart %s", how);
		return;
	}
	deploys_job_note(job, "restart %s", how);
	c->be->verify(job);
}

static void deploys_job_rolled(struct deploys_common *c, struct run_result *res, void *arg)
{
	struct deploys_job *job = arg;
	const struct deploys_request *r = job->req;
	char how[200];
	run_describe(res, how, sizeof(how));
	if (deploys_run_failed(res)) {
		char *tail = deploys_run_tail(res);
		deploys_job_fail(job, "rollback to %s failed: %s %s%s%s%s", r->to, r->argv[0], how,
		                 res->timed_out ? " (killed at its timeout)" : "",
		                 tail[0] != '\0' ? ": " : "", tail);
		free(tail);
		return;
	}
	deploys_job_note(job, "%s %s", r->argv[0], how);
	if (r->restart != NULL) {
		deploys_exec_with(c, r->restart, r->timeout_ms, deploys_job_restarted, job, job->action);
		return;
	}
	c->be->verify(job);
}

/* Before anything changes: `current` must still be what was confirmed. */
static void deploys_job_checked(struct deploys_common *c, struct deploys_data *d, const char *err, void *arg)
{
	struct deploys_job *job = arg;
	const struct deploys_request *r = job->req;
	if (d == NULL) {
		deploys_job_fail(
		    job, "cannot read the deploy history before the rollback: %s; nothing changed", err);
		return;
	}
	if (!util_str_same(d->current, r->from)) {
		deploys_job_fail(job, "current moved to %s since it was confirmed; nothing changed",
		                 d->current != NULL ? d->current : "(none)");
		deploys_data_free(d);
		return;
	}
	/* The target is an identity, not a name: a tag moved to another commit,
	 * a revision that left the history or now runs something else is not
	 * what the dialog showed. */
	const struct deploy *to = deploys_find(d, r->to);
	if (to == NULL) {
		deploys_job_fail(job, "%s is no longer in the deploy history; nothing changed", r->to);
		deploys_data_free(d);
		return;
	}
	if (strcmp(to->revision, r->to_commit) != 0 || strcmp(to->version, r->to_version) != 0 ||
	    strcmp(to->message, r->to_message) != 0 || to->bad) {
		char *was = c->be->identity(c, &(struct deploy){.id = r->to,
		                                                .revision = r->to_commit,
		                                                .version = r->to_version,
		                                                .message = r->to_message,
		                                                .author = "",
		                                                .status = "",
		                                                .branch = ""});
		char *now = c->be->identity(c, to);
		deploys_job_fail(
		    job, "%s changed since it was confirmed: now %s%s%s, confirmed %s; nothing changed",
		    r->to, now, to->bad ? ", marked " : "", to->bad ? to->status : "", was);
		free(was);
		free(now);
		deploys_data_free(d);
		return;
	}
	deploys_data_free(d);
	deploys_exec_with(c, r->argv, r->timeout_ms, deploys_job_rolled, job, job->action);
}

int deploys_common_act(struct source *src, const struct action *action)
{
	struct deploys_common *c = src->data;
	struct action *a = (struct action *)action; /* the gate hands over ownership */
	const struct deploys_request *r = a->request;
	if (r == NULL || c->job != NULL || src->loop == NULL)
		return -1;
	struct deploys_job *job = xcalloc(1, sizeof(*job));
	job->c = c;
	job->action = a;
	job->req = r;
	c->job = job;
	if (r->rollback)
		c->be->read(c, deploys_job_checked, job);
	else
		deploys_exec_with(c, r->restart, r->timeout_ms, deploys_job_restarted, job, job->action);
	return 0;
}

void deploys_common_stop(struct source *src)
{
	struct deploys_common *c = src->data;
	if (c == NULL)
		return;
	c->stopping = true;
	/* Their callbacks end what waits on them (a refresh, the action). */
	for (struct deploys_exec *e = c->execs; e != NULL; e = e->next)
		if (e->run != NULL)
			run_cancel(e->run);
	if (c->job != NULL && c->job->health != NULL)
		deploys_health_cancel(c->job->health);
}
