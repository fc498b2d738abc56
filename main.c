/* main: the command line. Global options are accepted before or after the
 * `do` and `timeline` subcommands; bad usage and bad config exit 2. */
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "sitrep-build.h"
#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/core/config.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/observe.h"
#include "sitrep/core/share.h"
#include "sitrep/core/sanitize.h"
#include "backends/sources.h"
#include "tui/theme.h"
#include "sitrep/core/timeline.h"
#include "tui/tui.h"
#include "sitrep/core/util.h"

enum main_mode {
	MODE_DASHBOARD,
	MODE_ONCE,
	MODE_CHECK,
	MODE_EXAMPLE,
	MODE_DO,
	MODE_TIMELINE,
	MODE_COMPLETE,
	MODE_NOTE,
	MODE_SERVE,
	MODE_ATTACH,
	MODE_REPLAY
};

static const char main_usage[] =
    "usage: sitrep [-c FILE] [--read-only] [--share] [--theme NAME] [--refresh SECONDS]\n"
    "       sitrep --once [--json] [--fail-on warn|crit] [-c FILE]\n"
    "       sitrep --check-config [-c FILE]\n"
    "       sitrep --example-config\n"
    "%s"
    "       sitrep --version | --help\n"
    "\n"
    "The terminal dashboard for incident response: host metrics, log errors, alerts\n"
    "and what changed, on one screen.\n"
    "\n"
    "  -c, --config FILE   config file (default: $SITREP_CONFIG, then\n"
    "                      $XDG_CONFIG_HOME/sitrep/config.json, then a built-in\n"
    "                      default that shows this machine)\n"
    "  --read-only         observer mode: every action is refused (also\n"
    "                      SITREP_READ_ONLY=1 or \"read_only\": true)\n"
    "  --share             publish the dashboard on a Unix socket for observers\n"
    "                      (sitrep attach; also \"share\": true)\n"
    "  --theme NAME        default, mono, high-contrast, solarized-dark,\n"
    "                      solarized-light, or a themes/NAME.json of your own\n"
    "  --refresh SECONDS   refresh interval for every pane (default 2)\n"
    "  --once              fetch every pane once, print, exit (0: all OK, 1: a pane\n"
    "                      failed)\n"
    "  --json              with --once: JSON output (schema version 1)\n"
    "  --fail-on LEVEL     with --once: exit 1 also when the overall health is at\n"
    "                      least LEVEL (warn or crit)\n"
    "  --check-config      check the config; exit 0, or 2 with FILE:LINE:COL: message\n"
    "  --example-config    print a complete, commented example config\n"
    "  --version           print the version\n"
    "  -h, --help          this help; after a subcommand (do, do VERB, timeline,\n"
    "                      note, serve, attach, replay), the usage of that subcommand\n"
    "\n"
    "In the dashboard, press ? for every key.\n";

/* The usage of `sitrep do` (verb NULL: every verb, from the kind tables) or
 * of one verb. lead starts the first line, rest the others. Caller frees. */
static char *main_do_usage(const char *verb, const char *lead, const char *rest)
{
	char *all = action_usage_lines(lead, rest);
	const struct verb *def = verb != NULL ? kind_verb_find(verb, NULL) : NULL;
	if (def == NULL || !def->cli)
		return all;
	free(all);
	char *line = action_usage_lines("", "");
	/* the verb's own line out of the list, then what it does */
	char *want = xasprintf("sitrep do %s ", verb), *out = NULL;
	for (char *l = strtok(line, "\n"); l != NULL && out == NULL; l = strtok(NULL, "\n"))
		if (strncmp(l, want, strlen(want)) == 0) {
			char *words = verb_help(def);
			out = xasprintf("%s%s\n\n%s.\n%s%s", lead, l, def->help, words[0] != '\0' ? "\n" : "",
			                words);
			free(words);
		}
	free(want);
	free(line);
	return out != NULL ? out : action_usage_lines(lead, rest);
}

static char *main_timeline_usage(const char *verb, const char *lead, const char *rest)
{
	(void)verb;
	(void)rest;
	return xasprintf("%ssitrep timeline [--markdown] [--since DURATION]\n", lead);
}

static char *main_note_usage(const char *verb, const char *lead, const char *rest)
{
	(void)verb;
	(void)rest;
	return xasprintf("%ssitrep note [--] TEXT...\n", lead);
}

static char *main_serve_usage(const char *verb, const char *lead, const char *rest)
{
	(void)verb;
	(void)rest;
	return xasprintf("%ssitrep serve [-c FILE]   poll and publish the share stream, no terminal\n", lead);
}

static char *main_attach_usage(const char *verb, const char *lead, const char *rest)
{
	(void)verb;
	return xasprintf("%ssitrep attach [SOCKET | ssh://[user@]host[/SOCKET]] [--theme NAME]\n"
	                 "%ssitrep attach --stdio [SOCKET]   (what ssh runs on the driver's host)\n",
	                 lead, rest);
}

static char *main_replay_usage(const char *verb, const char *lead, const char *rest)
{
	(void)verb;
	(void)rest;
	return xasprintf("%ssitrep replay [FILE] [--at TIME]   TIME: RFC 3339, HH:MM[:SS] or -DURATION\n",
	                 lead);
}

/* Every subcommand: the mode it starts, and its usage, which `sitrep --help`
 * lists and `sitrep SUB --help` (or -h anywhere in its words, before a
 * `--`) prints alone, exiting 0 before any config is read. A new subcommand
 * is a row here and gets both. */
static const struct main_sub {
	const char *name;
	enum main_mode mode;
	/* verb: the word after the subcommand, or NULL; caller frees */
	char *(*usage)(const char *verb, const char *lead, const char *rest);
} main_subs[] = {
    {"do", MODE_DO, main_do_usage},
    {"timeline", MODE_TIMELINE, main_timeline_usage},
    {"note", MODE_NOTE, main_note_usage},
    {"serve", MODE_SERVE, main_serve_usage},
    {"attach", MODE_ATTACH, main_attach_usage},
    {"replay", MODE_REPLAY, main_replay_usage},
};

static const struct main_sub *main_sub_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(main_subs); i++)
		if (strcmp(main_subs[i].name, name) == 0)
			return &main_subs[i];
	return NULL;
}

/* The subcommands' usage lines for `sitrep --help`. Caller frees. */
static char *main_subs_usage(void)
{
	char *out = xstrdup("");
	for (size_t i = 0; i < ARRAY_LEN(main_subs); i++) {
		char *u = main_subs[i].usage(NULL, "       ", "       ");
		char *next = xasprintf("%s%s", out, u);
		free(u);
		free(out);
		out = next;
	}
	return out;
}

/* -h or --help among a subcommand's words (sub[0] is the subcommand): its
 * usage on stdout. Words after `--` are the subcommand's own (a note may
 * say "--help"). True when printed. */
static bool main_sub_help(char **sub, int nsub)
{
	for (int i = 1; i < nsub; i++) {
		if (strcmp(sub[i], "--") == 0)
			return false;
		if (strcmp(sub[i], "-h") != 0 && strcmp(sub[i], "--help") != 0)
			continue;
		const struct main_sub *s = main_sub_find(sub[0]);
		const char *verb = nsub > 1 && sub[1][0] != '-' ? sub[1] : NULL;
		char *u = s->usage(verb, "usage: ", "       ");
		fputs(u, stdout);
		free(u);
		return true;
	}
	return false;
}

static int main_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int main_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "sitrep: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n(see sitrep --help)\n");
	va_end(ap);
	return 2;
}

/* SITREP_READ_ONLY fails closed: only an explicit false (0, false, no, off,
 * or empty; any case, spaces trimmed) lets actions through; anything else
 * means read-only, and a value that is not a known word also warns. */
static bool main_env_read_only(void)
{
	const char *v = getenv("SITREP_READ_ONLY");
	if (v == NULL)
		return false;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\n'))
		n--;
	static const char *const no[] = {"", "0", "false", "no", "off"};
	static const char *const yes[] = {"1", "true", "yes", "on"};
	for (size_t i = 0; i < ARRAY_LEN(no); i++)
		if (strlen(no[i]) == n && strncasecmp(v, no[i], n) == 0)
			return false;
	for (size_t i = 0; i < ARRAY_LEN(yes); i++)
		if (strlen(yes[i]) == n && strncasecmp(v, yes[i], n) == 0)
			return true;
	char *shown = sanitize_str(v);
	fprintf(
	    stderr,
	    "sitrep: warning: SITREP_READ_ONLY=\"%s\" is not 1/0, true/false, yes/no or on/off: read-only\n",
	    shown);
	free(shown);
	return true;
}

/* Loads the config the options point at, or the built-in default. 0, or 2 after
 * printing FILE:LINE:COL: message. */
static int main_load_config(struct app *app)
{
	struct config_error err = {0};
	char *path = config_find_path(app->opt.config_path);
	int rc;
	if (path != NULL) {
		rc = config_load_file(&app->cfg, path, &err);
	} else {
		char *text = default_config_text();
		rc = config_load_text(&app->cfg, "<built-in>", text, strlen(text), &err);
		free(text);
	}
	free(path);
	/* the panes that loaded are read by their sources too, so one run
	 * reports every mistake (up to CONFIG_MAX_ERRORS) */
	if (app_create_sources(app, &err) < 0)
		rc = -1;
	if (rc < 0) {
		config_error_print(&err, stderr);
		return 2;
	}
	return 0;
}

/* An unknown or broken theme is bad usage (from --theme) or bad config (from
 * "theme"), caught before the screen is taken over. 0, or 2 after a message. */
static int main_check_theme(const struct app *app)
{
	const char *name = app->opt.theme != NULL ? app->opt.theme : app->cfg.theme;
	struct theme theme;
	char err[600];
	if (theme_load(&theme, name, err, sizeof(err)) == 0)
		return 0;
	/* the message ends with the fallback the TUI would use; here we refuse instead */
	char *tail = strstr(err, ", using the built-in default");
	if (tail == NULL)
		tail = strstr(err, " (using the built-in default)");
	if (tail != NULL)
		*tail = '\0';
	const struct jnode *at = jsonc_get(app->cfg.root, "theme");
	char *path = sanitize_str(app->cfg.path), *msg = sanitize_str(err);
	if (app->opt.theme == NULL && at != NULL)
		fprintf(
		    stderr,
		    "%s:%d:%d: %s (bundled: default, mono, high-contrast, solarized-dark, solarized-light)\n",
		    path, at->line, at->col, msg);
	else
		fprintf(stderr,
		        "sitrep: --theme: %s (bundled: default, mono, high-contrast, solarized-dark, "
		        "solarized-light)\n",
		        msg);
	free(path);
	free(msg);
	return 2;
}

/* --at TIME of replay: RFC 3339, HH:MM[:SS] local today, or -DURATION
 * (before the recording's end: a negative result). 0 on error. */
static int64_t main_replay_at(const char *text)
{
	if (text[0] == '-') {
		double s = action_parse_duration(text + 1);
		return s > 0 ? -(int64_t)(s * 1000) : 0;
	}
	struct tm tm = {0};
	const char *end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end != NULL && strcmp(end, "Z") == 0)
		return (int64_t)timegm(&tm) * 1000;
	time_t now = time(NULL);
	struct tm today;
	localtime_r(&now, &today);
	tm = (struct tm){0};
	end = strptime(text, "%H:%M:%S", &tm);
	if (end == NULL || *end != '\0') {
		tm = (struct tm){0};
		end = strptime(text, "%H:%M", &tm);
	}
	if (end == NULL || *end != '\0')
		return 0;
	today.tm_hour = tm.tm_hour;
	today.tm_min = tm.tm_min;
	today.tm_sec = tm.tm_sec;
	today.tm_isdst = -1;
	return (int64_t)mktime(&today) * 1000;
}

/* `sitrep attach` and `sitrep replay`: an app with the driver's panes and
 * none of this user's (no config is read but for --theme; the state dir is
 * the default one, for `e` exports only). */
static int main_observe(struct app *app, enum main_mode mode, int argc, char **argv)
{
	struct observe_target t = {.via = mode == MODE_REPLAY ? OBSERVE_REPLAY : OBSERVE_SOCKET};
	bool stdio = false;
	char err[600];
	for (int i = 0; i < argc; i++) {
		if (mode == MODE_ATTACH && strcmp(argv[i], "--stdio") == 0) {
			stdio = true;
		} else if (mode == MODE_REPLAY && strcmp(argv[i], "--at") == 0) {
			if (++i >= argc || (t.at_ms = main_replay_at(argv[i])) == 0)
				return main_usage_error("--at takes RFC 3339, HH:MM[:SS] or -DURATION");
		} else if (strcmp(argv[i], "--") != 0 && argv[i][0] == '-') {
			return main_usage_error("unknown option %s", argv[i]);
		} else if (strcmp(argv[i], "--") == 0) {
			continue;
		} else if (t.path != NULL || t.ssh_dest != NULL) {
			return main_usage_error("one %s only", mode == MODE_REPLAY ? "FILE" : "SOCKET");
		} else if (mode == MODE_ATTACH && strncmp(argv[i], "ssh://", 6) == 0) {
			if (observe_parse_ssh_url(argv[i], &t, err, sizeof(err)) < 0)
				return main_usage_error("%s", err);
		} else {
			t.path = argv[i];
		}
	}
	if (stdio) {
		if (t.via == OBSERVE_SSH)
			return main_usage_error("--stdio reads a local socket, not ssh://");
		return observe_relay(t.path);
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "sitrep: %s needs a terminal\n", mode == MODE_REPLAY ? "replay" : "attach");
		return 2;
	}
	struct config_error cerr = {0};
	/* the defaults of an empty config; its one placeholder pane goes */
	static const char minimal[] =
	    "{\"panes\": [{\"id\": \"-\", \"kind\": \"logs\", \"source\": \"note\", \"text\": \"-\"}]}";
	if (config_load_text(&app->cfg, "<observer>", minimal, strlen(minimal), &cerr) < 0) {
		config_error_print(&cerr, stderr);
		return 2;
	}
	for (size_t i = 0; i < app->cfg.npanes; i++) {
		free(app->cfg.panes[i].id);
		free(app->cfg.panes[i].kind);
		free(app->cfg.panes[i].source);
		free(app->cfg.panes[i].title);
		config_free_argv(app->cfg.panes[i].pass_env);
	}
	free(app->cfg.panes);
	app->cfg.panes = NULL;
	app->cfg.npanes = 0;
	if (app->opt.theme != NULL) {
		free(app->cfg.theme);
		app->cfg.theme = xstrdup(app->opt.theme);
	}
	int rc = main_check_theme(app);
	if (rc != 0) {
		app_free(app);
		return rc;
	}
	struct observe *ob = observe_open(app, &t, err, sizeof(err));
	if (ob == NULL) {
		fprintf(stderr, "sitrep: %s\n", err);
		app_free(app);
		return 1;
	}
	app->loop = uv_default_loop();
	rc = app_run_dashboard(app, &tui_frontend);
	app_free(app);
	observe_free(ob);
	return rc;
}

/* sub receives the subcommand's words (`do ...`, `timeline ...`); main owns it. */
static int main_run(int argc, char **argv, char **sub)
{
	struct app app = {0};
	enum main_mode mode = MODE_DASHBOARD;
	int nsub = 0;

	setlocale(LC_ALL, "");
	sources_register();
	srand((unsigned)time(NULL) ^ (unsigned)getpid());

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (++i >= argc)
				return main_usage_error("%s needs a FILE", a);
			app.opt.config_path = argv[i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			app.opt.config_path = a + 9;
		} else if (strcmp(a, "--read-only") == 0) {
			app.opt.read_only = true;
		} else if (nsub == 0 && strcmp(a, "--share") == 0) {
			app.opt.share = true;
		} else if (strcmp(a, "--theme") == 0) {
			if (++i >= argc)
				return main_usage_error("%s needs a NAME", a);
			app.opt.theme = argv[i];
		} else if (strcmp(a, "--refresh") == 0) {
			if (++i >= argc)
				return main_usage_error("%s needs SECONDS", a);
			char *end;
			errno = 0;
			app.opt.refresh_seconds = strtod(argv[i], &end);
			if (errno != 0 || *end != '\0' || !(app.opt.refresh_seconds >= 0.1) ||
			    app.opt.refresh_seconds > 86400)
				return main_usage_error(
				    "--refresh takes seconds between 0.1 and 86400, not \"%s\"", argv[i]);
		} else if (nsub == 0 && mode == MODE_DASHBOARD && strcmp(a, "--once") == 0) {
			mode = MODE_ONCE;
		} else if (strcmp(a, "--json") == 0 && nsub == 0) {
			app.opt.json = true;
		} else if (strcmp(a, "--fail-on") == 0 && nsub == 0) {
			if (++i >= argc)
				return main_usage_error("%s needs a LEVEL (warn or crit)", a);
			if (strcmp(argv[i], "warn") == 0)
				app.opt.fail_on = LEVEL_WARN;
			else if (strcmp(argv[i], "crit") == 0)
				app.opt.fail_on = LEVEL_CRIT;
			else
				return main_usage_error("--fail-on takes warn or crit, not \"%s\"", argv[i]);
		} else if (nsub == 0 && strcmp(a, "--check-config") == 0) {
			mode = MODE_CHECK;
		} else if (nsub == 0 && strcmp(a, "--example-config") == 0) {
			mode = MODE_EXAMPLE;
		} else if (nsub == 0 && strcmp(a, "--complete") == 0) {
			/* hidden, for completions/: `--complete panes` prints the config's
			 * pane ids; `verbs` and `verb NAME` the kind tables' verbs and the
			 * words of one verb's grammar, so no completion file lists a verb */
			if (++i < argc && strcmp(argv[i], "verbs") == 0)
				return verb_complete(stdout, NULL) == 0 ? 0 : 2;
			if (i < argc && strcmp(argv[i], "verb") == 0)
				return i + 1 < argc && verb_complete(stdout, argv[i + 1]) == 0 ? 0 : 2;
			if (i >= argc || strcmp(argv[i], "panes") != 0)
				return main_usage_error("--complete takes: panes, verbs, verb NAME");
			mode = MODE_COMPLETE;
		} else if (nsub == 0 && strcmp(a, "--version") == 0) {
			printf("sitrep %s\n", SITREP_VERSION);
			return 0;
		} else if (nsub == 0 && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			char *subs = main_subs_usage();
			printf(main_usage, subs);
			free(subs);
			return 0;
		} else if (nsub == 0 && mode == MODE_DASHBOARD && main_sub_find(a) != NULL) {
			mode = main_sub_find(a)->mode;
			sub[nsub++] = argv[i];
		} else if (nsub > 0) {
			sub[nsub++] = argv[i];
		} else {
			if (a[0] == '-')
				return main_usage_error("unknown option %s", a);
			return main_usage_error("unexpected argument \"%s\"", a);
		}
	}
	if (nsub > 0 && main_sub_help(sub, nsub))
		return 0;
	if (app.opt.json && mode != MODE_ONCE)
		return main_usage_error("%s only goes with --once", "--json");
	if (app.opt.fail_on != 0 && mode != MODE_ONCE)
		return main_usage_error("%s only goes with --once", "--fail-on");

	if (mode == MODE_EXAMPLE) {
		fputs(config_example_text, stdout);
		return 0;
	}
	if (mode == MODE_ATTACH || mode == MODE_REPLAY)
		return main_observe(&app, mode, nsub - 1, sub + 1);
	int rc = main_load_config(&app);
	if (rc != 0) {
		app_free(&app);
		return rc;
	}
	app.read_only = main_env_read_only() || app.opt.read_only || app.cfg.read_only;
	if ((mode == MODE_DASHBOARD || mode == MODE_CHECK) && (rc = main_check_theme(&app)) != 0) {
		app_free(&app);
		return rc;
	}

	switch (mode) {
	case MODE_CHECK: {
		char *shown = sanitize_str(app.cfg.path);
		printf("%s: ok (%zu pane%s)\n", shown, app.cfg.npanes, app.cfg.npanes == 1 ? "" : "s");
		free(shown);
		rc = 0;
		break;
	}
	case MODE_COMPLETE:
		for (size_t p = 0; p < app.cfg.npanes; p++)
			printf("%s\n", app.cfg.panes[p].id);
		break;
	case MODE_DO:
		app.loop = uv_default_loop();
		rc = action_cli(&app, nsub - 1, sub + 1);
		break;
	case MODE_TIMELINE: rc = timeline_cli(&app, nsub - 1, sub + 1); break;
	case MODE_NOTE:
		app.loop = uv_default_loop(); /* a read-only refusal goes through the action gate */
		rc = timeline_note_cli(&app, nsub - 1, sub + 1);
		break;
	case MODE_ONCE:
		app.loop = uv_default_loop();
		rc = app_run_once(&app);
		break;
	case MODE_SERVE:
		if (nsub > 1) {
			rc = main_usage_error("serve takes no argument (\"%s\")", sub[1]);
			break;
		}
		app.opt.share = true;
		app.loop = uv_default_loop();
		rc = app_run_dashboard(&app, &share_headless);
		break;
	default:
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fprintf(stderr,
			        "sitrep: the dashboard needs a terminal (use --once for plain output)\n");
			rc = 2;
			break;
		}
		app.loop = uv_default_loop();
		rc = app_run_dashboard(&app, &tui_frontend);
		break;
	}
	app_free(&app);
	return rc;
}

int main(int argc, char **argv)
{
	char **sub = xcalloc((size_t)argc + 1, sizeof(char *));
	int rc = main_run(argc, argv, sub);
	free(sub);
	return rc;
}
