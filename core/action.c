/* action: the gate every action passes (see action.h). One function,
 * action_run, decides whether an action may run, starts it through its
 * source's act() and writes the audit line, so a key in a pane and
 * `sitrep do` cannot behave differently. */
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

#include "sitrep/action.h"
#include "sitrep/app.h"
#include "sitrep/http.h"
#include "sitrep/sanitize.h"
#include "sitrep/source.h"
#include "sitrep/util.h"

struct action *action_new(const char *verb, const char *target)
{
	struct action *a = xcalloc(1, sizeof(*a));
	a->verb = xstrdup(verb);
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
	free(a->verb);
	free(a->target);
	free(a->key);
	free(a->comment);
	free(a->user);
	free(a);
}

static void action_format_duration(double s, char *buf, size_t cap)
{
	long v = lround(s);
	if (v % 86400 == 0 && v >= 86400)
		snprintf(buf, cap, "%ldd", v / 86400);
	else if (v % 3600 == 0 && v >= 3600)
		snprintf(buf, cap, "%ldh", v / 3600);
	else if (v % 60 == 0 && v >= 60)
		snprintf(buf, cap, "%ldm", v / 60);
	else
		snprintf(buf, cap, "%lds", v);
}

char *action_describe(const struct action *a)
{
	char *target = sanitize_str(a->target);
	char dur[32] = "";
	if (a->duration_s > 0) {
		char d[24];
		action_format_duration(a->duration_s, d, sizeof(d));
		snprintf(dur, sizeof(dur), " for %s", d);
	}
	char *out = xasprintf("%s %s%s", a->verb, target, dur);
	free(target);
	for (size_t i = 0; i < a->nparams; i++) {
		char *n = sanitize_str(a->params[i].name);
		char *v = sanitize_str(a->params[i].value);
		char *next = xasprintf("%s\n  %s=\"%s\"", out, n, v);
		free(n);
		free(v);
		free(out);
		out = next;
	}
	return out;
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

static int action_mkdirs(const char *dir)
{
	char *p = xstrdup(dir);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	int rc = mkdir(p, 0700) == 0 || errno == EEXIST ? 0 : -1;
	free(p);
	return rc;
}

void action_audit(const struct app *app, const struct action *a, const char *result, const char *detail)
{
	if (app == NULL || app->cfg.state_dir == NULL)
		return;
	if (action_mkdirs(app->cfg.state_dir) != 0)
		return;
	char *path = xasprintf("%s/audit.jsonl", app->cfg.state_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return;
	char when[32];
	util_rfc3339(time(NULL), when, sizeof(when));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddStringToObject(o, "user", a->user);
	cJSON_AddStringToObject(o, "action", a->verb);
	char *target = sanitize_str(a->target);
	cJSON_AddStringToObject(o, "target", target);
	free(target);
	if (a->src != NULL && a->src->cfg != NULL && a->src->cfg->id != NULL)
		cJSON_AddStringToObject(o, "pane", a->src->cfg->id);
	cJSON_AddStringToObject(o, "result", result);
	char *what = action_describe(a);
	cJSON_AddStringToObject(o, "what", what);
	free(what);
	if (detail != NULL) {
		char *d = sanitize_str(detail);
		cJSON_AddStringToObject(o, "detail", d);
		free(d);
	}
	char *line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	size_t n = strlen(line);
	line = xrealloc(line, n + 2);
	line[n] = '\n';
	/* One write with O_APPEND: concurrent sitrep processes do not interleave lines. */
	ssize_t w = write(fd, line, n + 1);
	(void)w;
	free(line);
	close(fd);
}

enum action_result action_run(struct app *app, struct source *src, struct action *a, action_done_cb done,
                              void *arg, char *msg, size_t cap)
{
	a->app = app;
	a->src = src;
	a->done = done;
	a->done_arg = arg;
	if (action_refused(app, msg, cap)) {
		action_audit(app, a, "refused", "read-only");
		action_free(a);
		return ACTION_REFUSED;
	}
	if (src == NULL || src->ops->act == NULL) {
		snprintf(msg, cap, "%s is not available for this pane", a->verb);
		action_audit(app, a, "failed", msg);
		action_free(a);
		return ACTION_FAILED;
	}
	action_audit(app, a, "started", NULL);
	/* act() returns 0 once it has started (or finished) the action, and
	 * non-zero, without calling action_finish, when it could not begin. */
	char verb[32];
	snprintf(verb, sizeof(verb), "%s", a->verb); /* act() may finish and free a */
	if (src->ops->act(src, a) != 0) {
		snprintf(msg, cap, "%s could not start", a->verb);
		action_audit(app, a, "failed", msg);
		action_free(a);
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
	char *msg = sanitize_vprintf(300, fmt, ap);
	va_end(ap);
	a->finished = true;
	action_audit(a->app, a, result == ACTION_OK ? "ok" : "failed", msg);
	if (a->done != NULL)
		a->done(a, result, msg, a->done_arg);
	free(msg);
	action_free(a);
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
		if (end == p || errno != 0 || v < 0)
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
	fprintf(result == ACTION_OK ? stdout : stderr, "sitrep: %s: %s\n", a->verb, msg);
}

static const char *action_verb_kind(const char *verb)
{
	if (strcmp(verb, "silence") == 0)
		return "alerts";
	if (strcmp(verb, "purge") == 0)
		return "cdn";
	if (strcmp(verb, "restart") == 0 || strcmp(verb, "rollback") == 0)
		return "deploys";
	return NULL;
}

/* Asks on the controlling terminal; false when there is none or the answer is not y. */
static bool action_confirm_tty(const char *what, bool *no_tty)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*no_tty = true;
		return false;
	}
	*no_tty = false;
	char *prompt = xasprintf("%s\nProceed? [y/N] ", what);
	ssize_t w = write(fd, prompt, strlen(prompt));
	(void)w;
	free(prompt);
	char answer[16] = "";
	ssize_t n = read(fd, answer, sizeof(answer) - 1);
	close(fd);
	return n > 0 && (answer[0] == 'y' || answer[0] == 'Y');
}

static int action_cli_usage(void)
{
	fprintf(stderr, "usage: sitrep do silence ALERTNAME [--for DURATION] [--pane ID] [--yes]\n"
	                "       sitrep do purge [--stale|--all|PATH...] [--pane ID] [--yes]\n"
	                "       sitrep do restart [--pane ID] [--yes]\n"
	                "       sitrep do rollback [RELEASE] [--pane ID] [--yes]\n");
	return ACTION_USAGE;
}

int action_cli(struct app *app, int argc, char **argv)
{
	if (argc < 1)
		return action_cli_usage();
	const char *verb = argv[0];
	const char *kind = action_verb_kind(verb);
	if (kind == NULL) {
		fprintf(stderr, "sitrep: unknown action '%s'\n", verb);
		return action_cli_usage();
	}
	const char *pane_id = NULL, *duration = NULL;
	bool yes = false;
	char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	size_t npos = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--yes") == 0 || strcmp(argv[i], "-y") == 0)
			yes = true;
		else if (strcmp(argv[i], "--pane") == 0 && i + 1 < argc)
			pane_id = argv[++i];
		else if (strcmp(argv[i], "--for") == 0 && i + 1 < argc)
			duration = argv[++i];
		else if (strcmp(argv[i], "--stale") == 0 || strcmp(argv[i], "--all") == 0)
			pos[npos++] = argv[i];
		else if (argv[i][0] == '-') {
			fprintf(stderr, "sitrep: do %s: unknown option '%s'\n", verb, argv[i]);
			free(pos);
			return action_cli_usage();
		} else
			pos[npos++] = argv[i];
	}
	double secs = 2 * 3600;
	if (strcmp(verb, "silence") == 0) {
		if (npos != 1) {
			free(pos);
			return action_cli_usage();
		}
		if (duration != NULL && (secs = action_parse_duration(duration)) <= 0) {
			fprintf(stderr, "sitrep: bad duration '%s' (examples: 30m, 2h, 1d)\n", duration);
			free(pos);
			return ACTION_USAGE;
		}
	}
	struct action *a = action_new(verb, npos > 0 ? pos[0] : "");
	a->duration_s = strcmp(verb, "silence") == 0 ? secs : 0;
	if (strcmp(verb, "silence") == 0) {
		/* From the command line, the alert's name is the matcher: every instance. */
		action_add_param(a, "alertname", pos[0]);
		a->comment = xstrdup("silenced with sitrep do silence");
	} else {
		for (size_t i = 0; i < npos; i++)
			action_add_param(a, "arg", pos[i]);
	}
	free(pos);

	char msg[300];
	/* Read-only is checked first, before any lookup or prompt. */
	if (action_refused(app, msg, sizeof(msg))) {
		action_run(app, NULL, a, NULL, NULL, msg, sizeof(msg));
		fprintf(stderr, "sitrep: %s refused: %s\n", verb, msg);
		return ACTION_REFUSED;
	}
	struct source *src = NULL;
	for (size_t i = 0; i < app->nsources; i++) {
		struct source *s = &app->sources[i];
		if (pane_id != NULL
		        ? strcmp(s->cfg->id, pane_id) == 0
		        : (s->ops->act != NULL && s->cfg->kind != NULL && strcmp(s->cfg->kind, kind) == 0)) {
			src = s;
			break;
		}
	}
	if (src == NULL) {
		if (pane_id != NULL)
			fprintf(stderr, "sitrep: no pane '%s' in the config\n", pane_id);
		else
			fprintf(stderr, "sitrep: no %s pane in the config can %s\n", kind, verb);
		action_free(a);
		return ACTION_USAGE;
	}
	if (!yes) {
		bool no_tty = false;
		char *what = action_describe(a);
		bool ok = action_confirm_tty(what, &no_tty);
		free(what);
		if (!ok) {
			a->src = src;
			action_audit(app, a, "refused", no_tty ? "no terminal to confirm" : "not confirmed");
			fprintf(stderr, "sitrep: %s refused: %s\n", verb,
			        no_tty ? "no terminal to confirm on (use --yes)" : "not confirmed");
			action_free(a);
			return ACTION_REFUSED;
		}
	}
	/* `sitrep do` runs no dashboard: the source is wired to the loop here. */
	if (app->loop == NULL)
		app->loop = uv_default_loop();
	src->app = app;
	src->loop = app->loop;
	bool own_http = app->http == NULL;
	app_http(app);
	struct action_cli_state st = {0};
	enum action_result r = action_run(app, src, a, action_cli_done, &st, msg, sizeof(msg));
	if (r == ACTION_PENDING) {
		while (!st.done && uv_run(app->loop, UV_RUN_ONCE) != 0)
			;
		r = st.done ? st.result : ACTION_FAILED;
	} else {
		fprintf(stderr, "sitrep: %s: %s\n", verb, msg);
	}
	/* Anything the source started afterwards (a refresh) ends here. */
	if (src->ops->stop != NULL)
		src->ops->stop(src);
	if (own_http) {
		http_close(app->http);
		app->http = NULL;
		uv_run(app->loop, UV_RUN_NOWAIT);
	}
	return r == ACTION_OK ? 0 : (int)r;
}
