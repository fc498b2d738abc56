/* action: the gate every action passes (see action.h). One function,
 * action_run, decides whether an action may run, writes the audit record
 * first, starts it through its source's act() and watches the clock, so a key
 * in a pane and `sitrep do` cannot behave differently. The verbs themselves,
 * with their argument syntax and confirmation, come from the kind tables. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/io/http.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/statefile.h"
#include "sitrep/core/util.h"

struct action *action_new(const struct verb *verb, const char *target)
{
	struct action *a = xcalloc(1, sizeof(*a));
	a->verb = verb;
	a->target = xstrdup(target != NULL ? target : "");
	const char *user = getenv("USER");
	if (user == NULL || user[0] == '\0')
		user = getenv("LOGNAME");
	if (user == NULL || user[0] == '\0') {
		/* cron, systemd units and bare shells often have no $USER: the
		 * audit log still has to say who acted */
		const struct passwd *pw = getpwuid(getuid());
		user = pw != NULL ? pw->pw_name : NULL;
	}
	a->user = sanitize_str(user != NULL && user[0] != '\0' ? user : "unknown");
	return a;
}

const char *action_result_word(enum action_result result)
{
	switch (result) {
	case ACTION_OK: return "ok";
	case ACTION_USAGE: return "usage";
	case ACTION_REFUSED: return "refused";
	case ACTION_UNKNOWN: return "unknown";
	case ACTION_UNVERIFIED: return "unverified";
	case ACTION_FAILED:
	case ACTION_PENDING: break;
	}
	return "failed";
}

void action_set_verb(struct action *a, const struct verb *verb)
{
	a->verb = verb;
}

const char *action_param(const struct action *a, const char *name)
{
	for (size_t i = 0; i < a->nparams; i++)
		if (strcmp(a->params[i].name, name) == 0)
			return a->params[i].value;
	return NULL;
}

void action_select(struct action *a, const char *identity)
{
	a->selection = xrealloc(a->selection, (a->nselection + 1) * sizeof(*a->selection));
	a->selection[a->nselection++] = xstrdup(identity);
}

void action_set_effect(struct action *a, const char *effect)
{
	/* line by line: the lines stay lines, each of them inert */
	char *out = xstrdup("");
	for (const char *p = effect; p != NULL;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char *line = sanitize(p, len, 0);
		char *next = xasprintf("%s%s%s", out, out[0] != '\0' || p != effect ? "\n" : "", line);
		free(line);
		free(out);
		out = next;
		p = nl != NULL ? nl + 1 : NULL;
	}
	free(a->effect);
	a->effect = out;
}

void action_add_param(struct action *a, const char *name, const char *value)
{
	a->params = xrealloc(a->params, (a->nparams + 1) * sizeof(*a->params));
	a->params[a->nparams].name = xstrdup(name);
	a->params[a->nparams].value = xstrdup(value);
	a->nparams++;
}

void action_free(struct action *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nparams; i++) {
		free(a->params[i].name);
		free(a->params[i].value);
	}
	free(a->params);
	for (size_t i = 0; i < a->nselection; i++)
		free(a->selection[i]);
	free(a->selection);
	free(a->effect);
	free(a->what);
	if (a->request != NULL && a->request_free != NULL)
		a->request_free(a->request);
	free(a->target);
	free(a->key);
	free(a->comment);
	free(a->user);
	free(a->progress_line[0]);
	free(a->progress_line[1]);
	free(a);
}

/* The words for an action whose verb is not in a table (tests): the verb
 * and the target. */
static char *action_describe_plain(const struct action *a)
{
	char *target = sanitize_str(a->target);
	char *out = xasprintf("%s %s", a->verb->name, target);
	free(target);
	return out;
}

char *action_what(const struct action *a, size_t *count)
{
	size_t n = a->ntargets > 0 ? a->ntargets : a->nselection;
	char *verb = xstrdup(a->verb->name);
	for (char *p = verb; *p != '\0'; p++)
		if (*p == '_')
			*p = ' ';
	char *out;
	*count = 0;
	if (n > 0 && a->verb->noun != NULL) {
		*count = n;
		out = xasprintf("%s %zu %s", verb, n,
		                n == 1 || a->verb->nouns == NULL ? a->verb->noun : a->verb->nouns);
	} else if (a->target != NULL && a->target[0] != '\0') {
		char *t = sanitize_str(a->target);
		out = xasprintf("%s %s", verb, t);
		free(t);
	} else {
		out = xstrdup(verb);
	}
	free(verb);
	return out;
}

const char *action_keep_words(size_t count)
{
	return count > 1 ? "keep them" : "keep it";
}

char *action_describe(const struct action *a)
{
	char *out = a->verb->describe != NULL ? a->verb->describe(a) : action_describe_plain(a);
	if (a->effect != NULL) {
		char *next = xasprintf("%s\n%s", out, a->effect);
		free(out);
		out = next;
	}
	return out;
}

const char *action_what_confirmed(struct action *a)
{
	if (a->what == NULL)
		a->what = action_describe(a);
	return a->what;
}

bool action_refused(const struct app *app, char *msg, size_t cap)
{
	if (app != NULL && app->read_only) {
		if (msg != NULL)
			snprintf(msg, cap, "read-only mode: actions are disabled, nothing was sent");
		return true;
	}
	return false;
}

/* Why the last action_audit failed: a sentence naming the file and the
 * reason (statefile.h), for the message that says the action was not sent. */
static char action_audit_error[STATEFILE_MSG_MAX];

int action_audit(const struct app *app, const struct action *a, const char *result, const char *detail)
{
	/* The state dir holds the record of what was done: it and the log must
	 * be ours, writable by nobody else, the log a regular file (never a
	 * FIFO, which would block the open, nor a symlink). */
	int fd = state_open(app != NULL ? app->cfg.state_dir : NULL, "audit.jsonl", STATEFILE_APPEND,
	                    action_audit_error, sizeof(action_audit_error));
	if (fd < 0)
		return -1;
	char when[32];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	util_rfc3339(ts.tv_sec, when, sizeof(when));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "time", when);
	/* milliseconds too: the timeline orders actions among events of the same second */
	cJSON_AddNumberToObject(o, "ms", (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000));
	cJSON_AddStringToObject(o, "user", a->user);
	cJSON_AddStringToObject(o, "action", a->verb->name);
	char *target = sanitize_str(a->target);
	cJSON_AddStringToObject(o, "target", target);
	free(target);
	if (a->src != NULL && a->src->cfg != NULL && a->src->cfg->id != NULL)
		cJSON_AddStringToObject(o, "pane", a->src->cfg->id);
	cJSON_AddStringToObject(o, "result", result);
	/* the text confirmed, when there was one; else what it would be now */
	char *now = a->what == NULL ? action_describe(a) : NULL;
	cJSON_AddStringToObject(o, "what", now != NULL ? now : a->what);
	free(now);
	if (detail != NULL) {
		/* a detail cut by its buffer inside a character ends before it */
		char *whole = xstrdup(detail);
		util_utf8_trim(whole);
		char *d = sanitize_str(whole);
		cJSON_AddStringToObject(o, "detail", d);
		free(d);
		free(whole);
	}
	char *line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	size_t n = strlen(line);
	line = xrealloc(line, n + 2);
	line[n] = '\n';
	/* One write with O_APPEND: concurrent sitrep processes do not interleave
	 * lines. Synced: the record must survive a crash right after. */
	int rc = statefile_write_all(fd, line, n + 1) == 0 && fsync(fd) == 0 ? 0 : -1;
	int saved = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc != 0) {
		char *dir = sanitize_str(app->cfg.state_dir);
		snprintf(action_audit_error, sizeof(action_audit_error), "cannot write %s/audit.jsonl: %s",
		         dir, strerror(saved));
		free(dir);
	}
	free(line);
	errno = saved;
	return rc;
}

/* A record after the gate (an outcome, a refusal): the action is not held
 * back by it, but a record that could not be written is not silent either.
 * It is remembered for `sitrep do` (a warning and exit 1) and returned as a
 * sentence to add to what the user is shown (caller frees), NULL when
 * written. */
static bool action_record_lost;

static char *action_audit_noted(const struct app *app, const struct action *a, const char *result,
                                const char *detail)
{
	if (action_audit(app, a, result, detail) == 0)
		return NULL;
	action_record_lost = true;
	return xasprintf("not recorded in the audit log: %s", action_audit_error);
}

/* Publishes an action's step on the bus (timeline, status line). */
static void action_event(const struct action *a, enum event_type type, enum event_level level,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void action_event(const struct action *a, enum event_type type, enum event_level level,
                         const char *fmt, ...)
{
	if (a->app == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *text = sanitize_vprintf(400, fmt, ap);
	va_end(ap);
	char *target = sanitize_str(a->target);
	char *subject = xasprintf("%s %s", a->verb->name, target);
	struct event ev = {
	    .type = type,
	    .level = level,
	    .pane = a->src != NULL && a->src->cfg != NULL ? a->src->cfg->id : NULL,
	    .pane_index = a->src != NULL ? a->src->index : -1,
	    .subject = subject,
	    .text = text,
	    .key = a->user,
	};
	event_publish(&a->app->bus, &ev);
	free(subject);
	free(target);
	free(text);
}

/* Publishes one line of progress (without its line break), sanitized as a
 * whole: its secrets masked before the cut to the shown length. */
static void action_progress_line(struct action *a, const char *p, size_t l)
{
	if (l > 0 && p[l - 1] == '\r')
		l--;
	if (l == 0)
		return;
	char *line = sanitize(p, l, 300);
	action_event(a, EVENT_ACTION_PROGRESS, EVENT_INFO, "%s", line);
	free(line);
}

void action_progress_stream(struct action *a, bool is_stderr, const char *data, size_t len)
{
	if (a == NULL || a->app == NULL || a->reported)
		return;
	int k = is_stderr ? 1 : 0;
	for (const char *p = data, *end = data + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		const char *next = nl != NULL ? nl + 1 : end;
		if (a->progress_skip[k]) {
			/* the rest of a line already shown cut */
			a->progress_skip[k] = nl == NULL;
		} else if (a->progress_len[k] == 0 && nl != NULL && l <= ACTION_PROGRESS_LINE_MAX) {
			action_progress_line(a, p, l); /* a whole line in one chunk */
		} else {
			size_t held = a->progress_len[k], room = ACTION_PROGRESS_LINE_MAX - held;
			size_t take = l < room ? l : room;
			a->progress_line[k] = xrealloc(a->progress_line[k], held + take + 1);
			memcpy(a->progress_line[k] + held, p, take);
			a->progress_len[k] = held + take;
			if (nl != NULL || a->progress_len[k] == ACTION_PROGRESS_LINE_MAX) {
				action_progress_line(a, a->progress_line[k], a->progress_len[k]);
				a->progress_len[k] = 0;
				/* held full with the line going on: its rest is dropped */
				a->progress_skip[k] = nl == NULL;
			}
		}
		p = next;
	}
}

void action_progress(struct action *a, const char *data, size_t len)
{
	action_progress_stream(a, false, data, len);
}

/* The end of an action's output: a last line with no line break is shown. */
static void action_progress_flush(struct action *a)
{
	for (int k = 0; k < 2; k++) {
		if (a->progress_len[k] > 0 && a->app != NULL && !a->reported)
			action_progress_line(a, a->progress_line[k], a->progress_len[k]);
		a->progress_len[k] = 0;
		a->progress_skip[k] = false;
	}
}

int action_prepare(struct source *src, struct action *a, char *msg, size_t cap)
{
	/* the verb's describe may read the pane's model (the rows it acts on) */
	if (src != NULL && a->src == NULL)
		a->src = src;
	if (src == NULL || src->ops->prepare == NULL || a->request != NULL)
		return 0;
	int rc = src->ops->prepare(src, a, msg, cap);
	/* prepare writes into msg with snprintf: a cut may end inside a character */
	if (rc != 0 && msg != NULL && cap > 0)
		util_utf8_trim(msg);
	return rc;
}

void action_not_confirmed(struct app *app, struct source *src, struct action *a, const char *why)
{
	a->app = app;
	a->src = src;
	char *lost = action_audit_noted(app, a, "refused", why);
	action_event(a, EVENT_ACTION_REFUSED, lost != NULL ? EVENT_CRIT : EVENT_INFO, "%s%s%s", why,
	             lost != NULL ? "; " : "", lost != NULL ? lost : "");
	free(lost);
	action_free(a);
}

static void action_unlink_live(struct action *a)
{
	if (a->app == NULL)
		return;
	for (struct action **p = &a->app->actions; *p != NULL; p = &(*p)->next_live) {
		if (*p == a) {
			*p = a->next_live;
			break;
		}
	}
	a->next_live = NULL;
}

static void action_timer_closed(uv_handle_t *h)
{
	struct action *a = h->data;
	a->timer_open = false;
	if (a->finished)
		action_free(a);
}

/* Both ends met: the source is done with it and the timer is closed. */
static void action_release(struct action *a)
{
	if (a->timer_open) {
		if (!uv_is_closing((uv_handle_t *)&a->timer))
			uv_close((uv_handle_t *)&a->timer, action_timer_closed);
		return;
	}
	action_free(a);
}

/* Reports the outcome once: audit, event, done callback. */
static void action_report(struct action *a, enum action_result result, const char *result_word,
                          const char *msg)
{
	if (a->reported)
		return;
	a->reported = true;
	if (a->src != NULL && a->src->acting == a)
		a->src->acting = NULL;
	action_unlink_live(a);
	char *lost = action_audit_noted(a->app, a, result_word, msg);
	char *full = lost != NULL ? xasprintf("%s; %s", msg, lost) : NULL;
	if (full != NULL)
		msg = full;
	/* a doubt (sent, not verified) is a warning; a failure or a lost record is critical */
	enum event_level level = lost != NULL                  ? EVENT_CRIT
	                         : result == ACTION_OK         ? EVENT_OK
	                         : result == ACTION_UNVERIFIED ? EVENT_WARN
	                                                       : EVENT_CRIT;
	action_event(a, EVENT_ACTION_ENDED, level, "%s: %s", result_word, msg);
	if (a->done != NULL)
		a->done(a, result, msg, a->done_arg);
	free(full);
	free(lost);
}

static void action_timeout(uv_timer_t *t)
{
	struct action *a = t->data;
	char msg[120];
	snprintf(msg, sizeof(msg), "no answer within %u s; it may still apply, check before retrying",
	         (a->timeout_ms > 0 ? a->timeout_ms : ACTION_TIMEOUT_MS) / 1000);
	action_report(a, ACTION_UNKNOWN, "unknown", msg);
}

size_t action_in_flight(const struct app *app)
{
	size_t n = 0;
	for (const struct action *a = app->actions; a != NULL; a = a->next_live)
		n++;
	return n;
}

size_t action_abandon_all(struct app *app)
{
	size_t n = 0;
	while (app->actions != NULL) {
		struct action *a = app->actions;
		action_report(a, ACTION_UNKNOWN, "unknown", "sitrep quit before the answer");
		n++;
	}
	return n;
}

enum action_result action_run(struct app *app, struct source *src, struct action *a, action_done_cb done,
                              void *arg, char *msg, size_t cap)
{
	a->app = app;
	a->src = src;
	a->done = done;
	a->done_arg = arg;
	action_event(a, EVENT_ACTION_REQUESTED, EVENT_INFO, "requested by %s", a->user);
	if (action_refused(app, msg, cap)) {
		char *lost = action_audit_noted(app, a, "refused", "read-only");
		if (lost != NULL && msg != NULL && strlen(msg) + 3 < cap)
			snprintf(msg + strlen(msg), cap - strlen(msg), "; %s", lost);
		free(lost);
		action_event(a, EVENT_ACTION_REFUSED, EVENT_INFO, "refused: read-only");
		action_free(a);
		return ACTION_REFUSED;
	}
	if (src == NULL || src->ops->act == NULL) {
		snprintf(msg, cap, "%s is not available for this pane", a->verb->name);
		free(action_audit_noted(app, a, "failed", msg));
		action_event(a, EVENT_ACTION_ENDED, EVENT_CRIT, "%s", msg);
		action_free(a);
		return ACTION_FAILED;
	}
	if (src->acting != NULL) {
		snprintf(msg, cap, "%s refused: %s is still running on pane %s", a->verb->name,
		         src->acting->verb->name, src->cfg != NULL ? src->cfg->id : "?");
		free(action_audit_noted(app, a, "refused", "another action on this pane is in flight"));
		action_event(a, EVENT_ACTION_REFUSED, EVENT_WARN, "%s", msg);
		action_free(a);
		return ACTION_REFUSED;
	}
	if (action_prepare(src, a, msg, cap) != 0) {
		free(action_audit_noted(app, a, "failed", msg));
		action_event(a, EVENT_ACTION_ENDED, EVENT_CRIT, "%s", msg);
		action_free(a);
		return ACTION_FAILED;
	}
	/* The record comes first: an action that cannot be recorded is not sent.
	 * Its "what" is frozen here when no dialog froze it (--yes). */
	action_what_confirmed(a);
	if (action_audit(app, a, "started", NULL) != 0) {
		snprintf(msg, cap, "%s not sent: cannot write the audit log: %s", a->verb->name,
		         action_audit_error);
		action_event(a, EVENT_ACTION_REFUSED, EVENT_CRIT, "%s", msg);
		action_free(a);
		return ACTION_FAILED;
	}
	action_event(a, EVENT_ACTION_STARTED, EVENT_INFO, "started by %s", a->user);
	src->acting = a;
	if (app != NULL) {
		a->next_live = app->actions;
		app->actions = a;
	}
	if (app != NULL && app->loop != NULL) {
		uv_timer_init(app->loop, &a->timer);
		a->timer.data = a;
		a->timer_open = true;
		uv_timer_start(&a->timer, action_timeout,
		               a->timeout_ms > 0 ? a->timeout_ms : ACTION_TIMEOUT_MS, 0);
	}
	/* act() returns 0 once it has started (or finished) the action, and
	 * non-zero, without calling action_finish, when it could not begin. */
	char verb[32];
	snprintf(verb, sizeof(verb), "%s", a->verb->name); /* act() may finish and free a */
	if (src->ops->act(src, a) != 0) {
		snprintf(msg, cap, "%s could not start", verb);
		action_report(a, ACTION_FAILED, "failed", msg);
		a->finished = true;
		a->done = NULL;
		action_release(a);
		return ACTION_FAILED;
	}
	if (msg != NULL && cap > 0)
		snprintf(msg, cap, "%s started", verb);
	return ACTION_PENDING;
}

void action_finish(struct action *a, enum action_result result, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	/* a source's message ends on a whole character, then it is made inert */
	util_utf8_trim(raw);
	char *msg = sanitize(raw, strlen(raw), 300);
	free(raw);
	if (a->timer_open)
		uv_timer_stop(&a->timer);
	action_progress_flush(a);
	if (a->reported && a->app != NULL && a->app->quitting && result != ACTION_OK) {
		/* Sitrep quit first and stopping ended the work half way (a killed
		 * restart): what it did is unknown, and the record keeps saying so. */
		char *late = xasprintf("after sitrep quit: %s", msg);
		free(action_audit_noted(a->app, a, "unknown", late));
		free(late);
	} else if (a->reported) {
		/* The gate gave up waiting; the late answer is still the truth. */
		free(action_audit_noted(a->app, a, action_result_word(result), msg));
	}
	action_report(a, result, action_result_word(result), msg);
	a->finished = true;
	free(msg);
	action_release(a);
}

double action_parse_duration(const char *text)
{
	if (text == NULL || *text == '\0')
		return -1;
	double total = 0;
	const char *p = text;
	while (*p != '\0') {
		char *end;
		errno = 0;
		double v = strtod(p, &end);
		/* digits only: no "inf", "nan", hex or exponents */
		if (end == p || errno != 0 || !isfinite(v) || v < 0 || *p < '0' || *p > '9')
			return -1;
		for (const char *q = p; q < end; q++)
			if ((*q < '0' || *q > '9') && *q != '.')
				return -1;
		double mul;
		switch (*end) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 7 * 86400; break;
		default: return -1;
		}
		total += v * mul;
		if (!isfinite(total) || total > ACTION_MAX_DURATION_S)
			return -1;
		p = end + 1;
	}
	return total > 0 ? total : -1;
}

/* ---- sitrep do ---- */

struct action_cli_state {
	bool done;
	enum action_result result;
};

static void action_cli_done(struct action *a, enum action_result result, const char *msg, void *arg)
{
	struct action_cli_state *st = arg;
	st->done = true;
	st->result = result;
	fprintf(result == ACTION_OK ? stdout : stderr, "sitrep: %s: %s\n", a->verb->name, msg);
}

/* Asks on the controlling terminal; false when there is none or the answer is not y. */
static bool action_confirm_tty(const struct action *a, const char *what, bool *no_tty)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*no_tty = true;
		return false;
	}
	*no_tty = false;
	size_t count;
	char *words = action_what(a, &count);
	char *prompt = xasprintf("%s\ny: %s · anything else: %s, nothing is sent [y/N] ", what, words,
	                         action_keep_words(count));
	free(words);
	ssize_t w = write(fd, prompt, strlen(prompt));
	(void)w;
	free(prompt);
	char answer[16] = "";
	ssize_t n = read(fd, answer, sizeof(answer) - 1);
	close(fd);
	return n > 0 && (answer[0] == 'y' || answer[0] == 'Y');
}

char *action_usage_lines(const char *first, const char *rest)
{
	char *out = xstrdup("");
	const char *lead = first;
	for (size_t k = 0; kind_at(k) != NULL; k++) {
		const struct kind_ops *kind = kind_at(k);
		for (size_t v = 0; v < kind->nverbs; v++) {
			const struct verb *vb = kind->verbs[v];
			if (!vb->cli)
				continue;
			char *args = verb_usage(vb);
			char *next = xasprintf("%s%ssitrep do %s%s%s [--pane ID] [--yes]\n", out, lead,
			                       vb->name, args[0] != '\0' ? " " : "", args);
			free(args);
			free(out);
			out = next;
			lead = rest;
		}
	}
	return out;
}

/* The usage of every `sitrep do` verb, from the kind tables. */
static int action_cli_usage(void)
{
	char *lines = action_usage_lines("usage: ", "       ");
	fputs(lines, stderr);
	free(lines);
	return ACTION_USAGE;
}

/* Asks on the terminal for the target's name (rollback, terminate). */
static bool action_confirm_typed(const struct action *a, const char *what, const char *name, bool *no_tty)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*no_tty = true;
		return false;
	}
	*no_tty = false;
	char *shown = sanitize_str(name);
	size_t count;
	char *words = action_what(a, &count);
	char *prompt = xasprintf("%s\nType \"%s\" and Enter: %s · anything else: %s, nothing is sent: ", what,
	                         shown, words, action_keep_words(count));
	free(words);
	free(shown);
	ssize_t w = write(fd, prompt, strlen(prompt));
	(void)w;
	free(prompt);
	char answer[512] = "";
	ssize_t n = read(fd, answer, sizeof(answer) - 1);
	close(fd);
	if (n <= 0)
		return false;
	answer[n] = '\0';
	answer[strcspn(answer, "\r\n")] = '\0';
	return strcmp(answer, name) == 0;
}

static int action_cli_run(struct app *app, int argc, char **argv)
{
	if (argc < 1)
		return action_cli_usage();
	const char *verb = argv[0];
	const struct kind_ops *kind = NULL;
	const struct verb *def = kind_verb_find(verb, &kind);
	if (def == NULL || !def->cli) {
		fprintf(stderr, "sitrep: unknown action '%s'\n", verb);
		return action_cli_usage();
	}
	const char *pane_id = NULL;
	bool yes = false;
	char **rest = xcalloc((size_t)argc + 1, sizeof(*rest));
	int nrest = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--yes") == 0 || strcmp(argv[i], "-y") == 0)
			yes = true;
		else if (strcmp(argv[i], "--pane") == 0 && i + 1 < argc)
			pane_id = argv[++i];
		else
			rest[nrest++] = argv[i];
	}
	struct action *a = action_new(def, "");
	char msg[300] = "";
	/* Bad arguments are usage errors before anything else happens: the
	 * grammar's (kind.h), then the verb's own sense of them. */
	int bad = verb_parse(def, a, nrest, rest, msg, sizeof(msg));
	free(rest);
	if (bad != 0) {
		fprintf(stderr, "sitrep: do %s: %s\n", verb, msg[0] != '\0' ? msg : "bad arguments");
		action_free(a);
		return action_cli_usage();
	}
	def = a->verb; /* parse may have chosen a sibling (purge --all) */

	/* Read-only is checked first, before any lookup or prompt. */
	if (action_refused(app, msg, sizeof(msg))) {
		action_run(app, NULL, a, NULL, NULL, msg, sizeof(msg));
		fprintf(stderr, "sitrep: %s refused: %s\n", verb, msg);
		return ACTION_REFUSED;
	}
	struct source *src = NULL;
	for (size_t i = 0; i < app->nsources; i++) {
		struct source *s = &app->sources[i];
		if (pane_id != NULL ? strcmp(s->cfg->id, pane_id) == 0
		                    : (s->ops->act != NULL && s->cfg->kind != NULL &&
		                       strcmp(s->cfg->kind, kind->name) == 0)) {
			src = s;
			break;
		}
	}
	if (src == NULL) {
		if (pane_id != NULL)
			fprintf(stderr, "sitrep: no pane '%s' in the config\n", pane_id);
		else
			fprintf(stderr, "sitrep: no %s pane in the config can %s\n", kind->name, verb);
		action_free(a);
		return ACTION_USAGE;
	}
	if (strcmp(src->cfg->kind, kind->name) != 0) {
		fprintf(stderr, "sitrep: pane '%s' is a %s pane; %s needs a %s pane\n", src->cfg->id,
		        src->cfg->kind, verb, kind->name);
		action_free(a);
		return ACTION_USAGE;
	}
	/* `sitrep do` runs no dashboard: the source is wired to the loop here. */
	if (app->loop == NULL)
		app->loop = uv_default_loop();
	src->app = app;
	src->loop = app->loop;
	bool own_http = app->http == NULL;
	app_http(app);
	/* What is confirmed is what is sent: the request is built before asking. */
	if (action_prepare(src, a, msg, sizeof(msg)) != 0) {
		a->src = src;
		a->app = app;
		free(action_audit_noted(app, a, "failed", msg));
		fprintf(stderr, "sitrep: %s: %s (nothing was sent)\n", verb, msg);
		action_free(a);
		return ACTION_FAILED;
	}
	if (!yes) {
		bool no_tty = false;
		const char *what = action_what_confirmed(a);
		bool ok = def->confirm == VERB_CONFIRM_TYPED
		              ? action_confirm_typed(a, what, a->target, &no_tty)
		              : action_confirm_tty(a, what, &no_tty);
		if (!ok) {
			fprintf(stderr, "sitrep: %s refused: %s\n", verb,
			        no_tty ? "no terminal to confirm on (use --yes)" : "not confirmed");
			action_not_confirmed(app, src, a,
			                     no_tty ? "no terminal to confirm" : "not confirmed");
			return ACTION_REFUSED;
		}
	}
	struct action_cli_state st = {0};
	enum action_result r = action_run(app, src, a, action_cli_done, &st, msg, sizeof(msg));
	if (r == ACTION_PENDING) {
		while (!st.done && uv_run(app->loop, UV_RUN_ONCE) != 0)
			;
		r = st.done ? st.result : ACTION_FAILED;
	} else {
		util_utf8_trim(msg);
		fprintf(stderr, "sitrep: %s: %s\n", verb, msg);
	}
	/* Anything the source started afterwards (a refresh) ends here. */
	if (src->ops->stop != NULL)
		src->ops->stop(src);
	if (own_http) {
		http_close(app->http);
		app->http = NULL;
	}
	/* Close callbacks (the gate's timer, curl's sockets) run before return. */
	uv_run(app->loop, UV_RUN_NOWAIT);
	/* every doubt (unknown, unverified) is exit 1, with failed: not done */
	return r == ACTION_OK ? 0 : r == ACTION_UNKNOWN || r == ACTION_UNVERIFIED ? 1 : (int)r;
}

int action_cli(struct app *app, int argc, char **argv)
{
	action_record_lost = false;
	int rc = action_cli_run(app, argc, argv);
	if (action_record_lost) {
		/* what happened is not in the record: the exit status says so */
		fprintf(stderr, "sitrep: do %s: not recorded in the audit log: %s\n", argc > 0 ? argv[0] : "",
		        action_audit_error);
		if (rc == 0)
			rc = 1;
	}
	return rc;
}
