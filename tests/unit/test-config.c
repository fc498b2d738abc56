/* Unit tests of the config loader: every error path names FILE:LINE:COL and
 * what was expected; the built-in default and the example both load. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sitrep/core/app.h"
#include "sitrep/core/config.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/io/spawn.h"

/* Loads text as "t.json" and creates the sources (init only), like --check-config. */
static int load(const char *text, struct config_error *err)
{
	struct app app = {0};
	int rc = config_load_text(&app.cfg, "t.json", text, strlen(text), err);
	if (rc == 0)
		rc = app_create_sources(&app, err);
	app_free(&app);
	return rc;
}

/* Loads text and creates the sources of the panes that loaded, as main does:
 * every error of both. */
static int load_all(const char *text, struct config_error *err)
{
	struct app app = {0};
	int rc = config_load_text(&app.cfg, "t.json", text, strlen(text), err);
	if (app_create_sources(&app, err) < 0)
		rc = -1;
	app_free(&app);
	return rc;
}

struct bad_case {
	const char *text;
	int line, col;
	const char *msg_part;
};

static void test_error_positions(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
	    {"{ \"panes\": [ }", 1, 14, "expected a value"},
	    {"[]", 1, 1, "must be a JSON object"},
	    {"{}", 1, 1, "missing \"panes\""},
	    {"{ \"panes\": [] }", 1, 12, "at least one pane"},
	    {"{ \"panes\": {} }", 1, 12, "\"panes\" must be an array"},
	    {"{\n  \"refresh\": 2,\n  \"panes\": [ { \"kind\": \"metrics\", \"source\": \"procfs\" } ] }", 2,
	     3, "unknown key \"refresh\" in the top level"},
	    {"{ \"refresh_seconds\": \"2\", \"panes\": [] }", 1, 22, "must be a number, not a string"},
	    {"{ \"refresh_seconds\": 0, \"panes\": [] }", 1, 22, "between 0.1 and 86400"},
	    {"{ \"read_only\": 1, \"panes\": [] }", 1, 16, "true or false"},
	    {"{ \"panes\": [ 3 ] }", 1, 14, "each pane must be an object"},
	    {"{ \"panes\": [ { \"source\": \"procfs\" } ] }", 1, 14, "missing \"kind\""},
	    {"{ \"panes\": [ { \"kind\": \"graphs\", \"source\": \"procfs\" } ] }", 1, 24,
	     "unknown pane kind \"graphs\" (expected one of: metrics"},
	    {"{ \"panes\": [ { \"kind\": \"metrics\", \"source\": \"zabbix\" } ] }", 1, 45,
	     "unknown source \"zabbix\" (kind \"metrics\" takes: procfs, prometheus, note; this build has:"},
	    {"{ \"panes\": [ { \"kind\": \"metrics\" } ] }", 1, 14, "missing \"source\""},
	    {"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"procfs\" } ] }", 1, 41,
	     "feeds \"metrics\" panes, not \"cdn\""},
	    {"{ \"panes\": [ { \"id\": \"a b\", \"kind\": \"metrics\", \"source\": \"procfs\" } ] }", 1, 22,
	     "pane id \"a b\""},
	    {"{ \"panes\": [ { \"id\": \"x\", \"kind\": \"metrics\", \"source\": \"procfs\" },\n"
	     "  { \"id\": \"x\", \"kind\": \"cdn\", \"source\": \"note\", \"text\": \"t\" } ] }",
	     2, 11, "duplicate pane id \"x\" (first at line 1, column 22)"},
	    /* a default id that collides: the pane itself is the position */
	    {"{ \"panes\": [ { \"id\": \"metrics2\", \"kind\": \"metrics\", \"source\": \"procfs\" },\n"
	     "  { \"kind\": \"metrics\", \"source\": \"procfs\" } ] }",
	     2, 3,
	     "duplicate pane id \"metrics2\" (first at line 1, column 22; this is the pane's default id"},
	    {"{ \"keys\": { \"explode\": \"x\" }, \"panes\": [] }", 1, 13, "unknown action \"explode\""},
	    {"{ \"keys\": { \"quit\": \"C-q\" }, \"panes\": [] }", 1, 21, "no Ctrl chords"},
	    {"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"note\" } ] }", 1, 14, "missing \"text\""},
	    {"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"note\", \"text\": \"\" } ] }", 1, 57,
	     "must not be empty"},
	    {"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"note\", \"text\": \"t\",\n"
	     "    \"colour\": \"red\" } ] }",
	     2, 5, "unknown key \"colour\" in a cdn pane with source \"note\""},
	    {"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"note\", \"text\": \"t\",\n"
	     "    \"text\": \"u\" } ] }",
	     2, 5, "duplicate key \"text\" in a cdn pane"},
	    /* an unknown key comes before "missing", at its own position, with
	     * the nearest valid key: top level, pane, source init, nested */
	    {"{\n  \"pains\": [ { \"kind\": \"metrics\", \"source\": \"procfs\" } ]\n}", 2, 3,
	     "unknown key \"pains\" (did you mean \"panes\"?)"},
	    {"{ \"panes\": [ { \"knid\": \"metrics\", \"source\": \"procfs\" } ] }", 1, 16,
	     "unknown key \"knid\" (did you mean \"kind\"?)"},
	    {"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"note\",\n    \"txet\": \"t\" } ] }", 2, 5,
	     "unknown key \"txet\" (did you mean \"text\"?)"},
	    {"{ \"panes\": [ { \"kind\": \"metrics\", \"source\": \"prometheus\",\n"
	     "    \"queries\": [ { \"name\": \"a\", \"expr\": \"up\" } ], \"ur1\": \"http://h\" } ] }",
	     2, 51, "unknown key \"ur1\" (did you mean \"url\"?)"},
	    {"{ \"panes\": [ { \"kind\": \"metrics\", \"source\": \"prometheus\", \"url\": \"http://h\",\n"
	     "    \"queries\": [ { \"nmae\": \"a\", \"expr\": \"up\" } ] } ] }",
	     2, 20, "unknown key \"nmae\" (did you mean \"name\"?)"},
	    {"{ \"panes\": [ { \"kind\": \"logs\",\n"
	     "    \"sources\": [ { \"type\": \"file\", \"paht\": \"/x.log\" } ] } ] }",
	     2, 36, "unknown key \"paht\" (did you mean \"path\"?)"},
	    {"{ \"panes\": [ { \"kind\": \"metrics\", \"source\": \"procfs\",\n    \"titel\": \"x\" } ] }", 2,
	     5, "unknown key \"titel\" in a metrics pane with source \"procfs\" (did you mean \"title\"?)"},
	    {"{ \"panes\": [ { \"kind\": \"metrics\", \"source\": \"procfs\", \"cpu_wran\": 50 } ] }", 1, 55,
	     "(did you mean \"cpu_warn\"?)"},
	    {"{ \"refresh\": 3, \"panes\": [] }", 1, 3, "(did you mean \"refresh_seconds\"?)"},
	    /* nothing close: the valid keys, so the user need not guess */
	    {"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"note\", \"text\": \"t\", \"zzz\": 1 } ] }", 1,
	     62,
	     "unknown key \"zzz\" in a cdn pane with source \"note\" (expected one of: kind, source, id, "
	     "title, refresh_seconds, text)"},
	    /* a top-level typo is reported before a mistake inside the panes */
	    {"{ \"thme\": \"mono\", \"panes\": [ { \"kind\": \"graphs\" } ] }", 1, 3,
	     "unknown key \"thme\" in the top level (did you mean \"theme\"?)"},
	    /* a key nowhere near the missing one is not taken for it */
	    {"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"note\", \"zzz\": 1 } ] }", 1, 14,
	     "missing \"text\""},
	    {"{ \"theme\": \"a\\u001b]0;x\\u0007\", \"panes\": [] }", 1, 12,
	     "\"theme\" must not contain control characters"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config_error err = {0};
		if (load(cases[i].text, &err) == 0)
			fail_msg("case %zu loaded: %s", i, cases[i].text);
		char msg[1200];
		config_error_format(&err, msg, sizeof(msg));
		if (strncmp(msg, "t.json:", 7) != 0 || err.line != cases[i].line || err.col != cases[i].col ||
		    strstr(err.msg, cases[i].msg_part) == NULL)
			fail_msg("case %zu: got \"%s\", want %d:%d ...%s...", i, msg, cases[i].line,
			         cases[i].col, cases[i].msg_part);
	}
}

/* No config text reaches a terminal raw through an error: a pane id, a key,
 * a member name in a parse error, the file name. */
/* Every mistake of one load is kept, each at its position; the first is
 * also err's own, as before. */
static void test_every_error(void **state)
{
	(void)state;
	struct config_error err = {0};
	const char *text = "{ \"thme\": \"mono\",\n"
	                   "  \"panes\": [ { \"kind\": \"metrics\", \"source\": \"prom\" },\n"
	                   "    { \"kind\": \"deploys\" },\n"
	                   "    { \"kind\": \"cdn\", \"source\": \"note\", \"txet\": \"t\" } ] }";
	assert_int_equal(load_all(text, &err), -1);
	static const struct {
		int line, col;
		const char *part;
	} want[] = {
	    {1, 3, "unknown key \"thme\" in the top level (did you mean \"theme\"?)"},
	    {2, 45, "unknown source \"prom\" (did you mean \"prometheus\"?"},
	    {3, 5, "missing \"source\" (expected one of: "},
	    {4, 40, "unknown key \"txet\" (did you mean \"text\"?)"},
	};
	assert_int_equal(err.count, 4);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 3);
	for (size_t i = 0; i < 4; i++)
		if (err.all[i].line != want[i].line || err.all[i].col != want[i].col ||
		    strstr(err.all[i].msg, want[i].part) == NULL)
			fail_msg("error %zu: %d:%d %s", i, err.all[i].line, err.all[i].col, err.all[i].msg);
	/* the missing source lists every deploys source of the build */
	for (size_t i = 0; source_at(i) != NULL; i++)
		if (source_at(i)->kind != NULL && strcmp(source_at(i)->kind, "deploys") == 0 &&
		    strstr(err.all[2].msg, source_at(i)->name) == NULL)
			fail_msg("%s not in: %s", source_at(i)->name, err.all[2].msg);
}

static void test_errors_sanitized(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    "{ \"panes\": [ { \"id\": \"a\\u001b]0;pwned\\u0007\\u001b[2J\", \"kind\": \"metrics\", "
	    "\"source\": \"procfs\" } ] }",
	    "{ \"x\\u001b[2J\\u009b1m\": 1, \"panes\": [ { \"kind\": \"metrics\", \"source\": \"procfs\" } ] "
	    "}",
	    "{ \"panes\": [ { \"kind\": \"metrics\", \"source\": \"procfs\", \"\\u001b]2;t\\u0007\": 1 } ] }",
	    "{ \"panes\": [ { \"kind\": \"gr\\u001b[31maphs\", \"source\": \"procfs\" } ] }",
	    "{ \"a\\u001b[2J\" 1 }",
	    "{ \"panes\": [ { \"kind\": \"metrics\", \"source\": \"prometheus\", \"url\": \"http://h\", "
	    "\"token_file\": \"/nonexistent/\\u001b[2J\", \"queries\": [ { \"name\": \"a\", \"expr\": \"b\" "
	    "} ] } ] }",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct config_error err = {0};
		if (load(texts[i], &err) == 0)
			fail_msg("case %zu loaded", i);
		char msg[1200];
		config_error_format(&err, msg, sizeof(msg));
		for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++)
			if (*p < 0x20 || *p == 0x7F || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] < 0xA0))
				fail_msg("case %zu: raw control byte 0x%02X in \"%s\"", i, *p, msg);
		if (strstr(msg, "^[") == NULL)
			fail_msg("case %zu: the escape is not shown as ^[: %s", i, msg);
	}
	/* the file name too (it may come from a hostile directory listing) */
	struct config cfg;
	struct config_error err = {0};
	assert_int_equal(config_load_text(&cfg, "a\x1b[2J.json", "[]", 2, &err), -1);
	assert_null(strchr(err.file, '\x1b'));
	assert_non_null(strstr(err.file, "^[[2J"));
	config_free(&cfg);
}

/* Runs fn with stderr going to a file and returns what was written (caller frees). */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
	char path[] = "/tmp/sitrep-stderr-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	off_t n = lseek(fd, 0, SEEK_END);
	char *out = calloc(1, (size_t)n + 1);
	assert_int_equal(pread(fd, out, (size_t)n, 0), n);
	close(fd);
	unlink(path);
	return out;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void load_file_quietly(void *arg)
{
	struct config cfg;
	struct config_error err = {0};
	int rc = config_load_file(&cfg, arg, &err);
	config_free(&cfg);
	if (rc != 0)
		fail_msg("%s: %s", (const char *)arg, err.msg);
}

/* A config readable or writable by group or others draws a warning on stderr
 * naming the file and its mode; the owner's alone draws none. */
static void test_config_mode_warning(void **state)
{
	(void)state;
	char dir[] = "/tmp/sitrep-cfgmode-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/c.json", dir);
	static const char text[] = "{ \"panes\": [ { \"kind\": \"metrics\", \"source\": \"procfs\" } ] }";
	write_file(path, text, 0644);
	char *out = capture_stderr(load_file_quietly, path);
	if (strstr(out, "warning") == NULL || strstr(out, path) == NULL || strstr(out, "0644") == NULL)
		fail_msg("no warning for mode 0644: \"%s\"", out);
	free(out);
	write_file(path, text, 0660);
	out = capture_stderr(load_file_quietly, path);
	if (strstr(out, "0660") == NULL || strstr(out, "can change it") == NULL)
		fail_msg("no warning for mode 0660: \"%s\"", out);
	free(out);
	write_file(path, text, 0600);
	out = capture_stderr(load_file_quietly, path);
	assert_string_equal(out, "");
	free(out);
	unlink(path);
	rmdir(dir);
}

/* A config given as a FIFO whose writer comes late, as `-c <(generate)` does
 * with a slow generator, is waited for and read, not refused or read empty. */
static void test_config_fifo(void **state)
{
	(void)state;
	char dir[] = "/tmp/sitrep-cfgfifo-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a reader that never comes must not leave this writer blocked */
		alarm(5);
		usleep(200 * 1000);
		int fd = open(path, O_WRONLY);
		static const char a[] = "{ \"panes\": [ { \"kind\": \"metrics\", ";
		static const char b[] = "\"source\": \"procfs\" } ] }";
		/* in two writes with a pause: EAGAIN in between must not end the read */
		if (fd < 0 || write(fd, a, sizeof(a) - 1) < 0)
			_exit(1);
		usleep(100 * 1000);
		_exit(write(fd, b, sizeof(b) - 1) < 0);
	}
	struct config cfg;
	struct config_error err = {0};
	int rc = config_load_file(&cfg, path, &err);
	int status;
	waitpid(pid, &status, 0);
	if (rc != 0)
		fail_msg("FIFO config: %d:%d %s", err.line, err.col, err.msg);
	assert_int_equal(cfg.npanes, 1);
	config_free(&cfg);
	unlink(path);
	rmdir(dir);
}

static void test_missing_file(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error err = {0};
	assert_int_equal(config_load_file(&cfg, "/nonexistent/sitrep.json", &err), -1);
	char msg[1200];
	config_error_format(&err, msg, sizeof(msg));
	assert_string_equal(msg,
	                    "/nonexistent/sitrep.json: cannot read the config: No such file or directory");
	config_free(&cfg);
}

static void test_secrets(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error err = {0};
	struct config_ctx ctx = {.file = "t.json", .err = &err};
	const char *text = "{ \"a\": { \"token_env\": \"SITREP_TEST_TOKEN\" },"
	                   "  \"b\": { \"token_file\": \"/nonexistent/token\" },"
	                   "  \"c\": { \"token_env\": \"X\", \"token_file\": \"Y\" }, \"panes\": [] }";
	assert_int_equal(config_load_text(&cfg, "t.json", text, strlen(text), &err), -1); /* panes empty */
	char *secret = NULL;
	unsetenv("SITREP_TEST_TOKEN");
	err = (struct config_error){0};
	assert_int_equal(
	    config_get_secret(&ctx, jsonc_get(cfg.root, "a"), "token_env", "token_file", &secret), -1);
	assert_non_null(strstr(err.msg, "SITREP_TEST_TOKEN"));
	setenv("SITREP_TEST_TOKEN", "hunter2", 1);
	err = (struct config_error){0};
	assert_int_equal(
	    config_get_secret(&ctx, jsonc_get(cfg.root, "a"), "token_env", "token_file", &secret), 0);
	assert_string_equal(secret, "hunter2");
	free(secret);
	err = (struct config_error){0};
	assert_int_equal(
	    config_get_secret(&ctx, jsonc_get(cfg.root, "b"), "token_env", "token_file", &secret), -1);
	assert_non_null(strstr(err.msg, "cannot read /nonexistent/token"));
	err = (struct config_error){0};
	assert_int_equal(
	    config_get_secret(&ctx, jsonc_get(cfg.root, "c"), "token_env", "token_file", &secret), -1);
	assert_non_null(strstr(err.msg, "not both"));
	/* a token file's contents never appear in an error */
	char path[] = "/tmp/sitrep-token-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\n", 7), 7);
	close(fd);
	config_free(&cfg);
	char *t2 = NULL;
	char *text2 = NULL;
	assert_true(asprintf(&text2, "{ \"t\": { \"token_file\": \"%s\" }, \"panes\": [] }", path) > 0);
	config_load_text(&cfg, "t.json", text2, strlen(text2), &err);
	assert_int_equal(config_get_secret(&ctx, jsonc_get(cfg.root, "t"), "token_env", "token_file", &t2),
	                 0);
	assert_string_equal(t2, "s3cret");
	free(t2);
	free(text2);
	unlink(path);
	config_free(&cfg);
}

/* "pass_env": the secret variables a command is given. On deploys and cdn
 * panes and on log inputs of type "command"; names only, each once; a
 * token_env's variable is withheld from children once the config loads. */
static void test_pass_env(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
	    {"{ \"panes\": [ { \"kind\": \"logs\", \"pass_env\": [\"T\"], \"sources\": [] } ] }", 1, 44,
	     "\"pass_env\" goes on the log input of type \"command\""},
	    {"{ \"panes\": [ { \"kind\": \"metrics\", \"source\": \"procfs\", \"pass_env\": [\"T\"] } ] }", 1,
	     67, "a metrics pane with source \"procfs\" runs no command"},
	    {"{ \"panes\": [ { \"kind\": \"deploys\", \"source\": \"jsonl\", \"path\": \"/x\", \"pass_env\": "
	     "[] } ] }",
	     1, 80, "must name at least one variable"},
	    {"{ \"panes\": [ { \"kind\": \"deploys\", \"source\": \"jsonl\", \"path\": \"/x\", \"pass_env\": "
	     "[\"1X\"] } ] }",
	     1, 81, "names variables: a letter or '_'"},
	    {"{ \"panes\": [ { \"kind\": \"deploys\", \"source\": \"jsonl\", \"path\": \"/x\", \"pass_env\": "
	     "[\"A=B\"] } ] }",
	     1, 81, "names variables"},
	    {"{ \"panes\": [ { \"kind\": \"deploys\", \"source\": \"jsonl\", \"path\": \"/x\", \"pass_env\": "
	     "[\"A\", \"A\"] } ] }",
	     1, 86, "names this variable twice"},
	    {"{ \"panes\": [ { \"kind\": \"deploys\", \"source\": \"jsonl\", \"path\": \"/x\", \"pass_env\": "
	     "[3] } ] }",
	     1, 81, "must be an array of variable names"},
	    {"{ \"panes\": [ { \"kind\": \"deploys\", \"source\": \"jsonl\", \"path\": \"/x\", \"pass_env\": "
	     "\"A\" } ] }",
	     1, 80, "must be an array"},
	    {"{ \"panes\": [ { \"kind\": \"logs\", \"sources\": [ { \"type\": \"command\", \"argv\": "
	     "[\"env\"], "
	     "\"pass_env\": [\"A-B\"] } ] } ] }",
	     1, 96, "names variables"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config_error err = {0};
		assert_int_equal(load(cases[i].text, &err), -1);
		if (strstr(err.msg, cases[i].msg_part) == NULL || err.line != cases[i].line ||
		    err.col != cases[i].col)
			fail_msg("case %zu: got %d:%d: %s", i, err.line, err.col, err.msg);
	}
	/* the accepted forms, and what they load to */
	setenv("SITREP_TEST_LOKI_TOKEN", "tok-for-loki-0123", 1);
	const char *good =
	    "{ \"panes\": [ { \"id\": \"d\", \"kind\": \"deploys\", \"source\": \"jsonl\", \"path\": \"/x\","
	    "  \"pass_env\": [\"DEPLOY_TOKEN\", \"_B2\"] },"
	    "{ \"kind\": \"logs\", \"sources\": [ { \"type\": \"command\", \"argv\": [\"env\"], "
	    "\"pass_env\": "
	    "[\"SITREP_TEST_LOKI_TOKEN\"] },"
	    "  { \"type\": \"loki\", \"url\": \"http://127.0.0.1:9\", \"query\": \"{a=\\\"b\\\"}\","
	    "    \"token_env\": \"SITREP_TEST_LOKI_TOKEN\" } ] } ] }";
	struct config_error err = {0};
	struct app app = {0};
	spawn_forget_withheld();
	assert_true(spawn_env_passes("SITREP_TEST_LOKI_TOKEN=x", NULL));
	if (config_load_text(&app.cfg, "t.json", good, strlen(good), &err) != 0 ||
	    app_create_sources(&app, &err) != 0)
		fail_msg("%d:%d: %s", err.line, err.col, err.msg);
	assert_non_null(app.cfg.panes[0].pass_env);
	assert_string_equal(app.cfg.panes[0].pass_env[0], "DEPLOY_TOKEN");
	assert_string_equal(app.cfg.panes[0].pass_env[1], "_B2");
	assert_null(app.cfg.panes[0].pass_env[2]);
	assert_null(app.cfg.panes[1].pass_env);
	/* the loki input's token_env is now a secret variable: children lose it */
	assert_false(spawn_env_passes("SITREP_TEST_LOKI_TOKEN=x", NULL));
	app_free(&app);
	spawn_forget_withheld();
	unsetenv("SITREP_TEST_LOKI_TOKEN");
}

struct secret_case {
	const char *content;
	const char *want; /* NULL: refused */
	const char *msg_part;
};

/* A secret is one line of printable text: a token file may end with one
 * newline, anything else that could split a header is refused without
 * quoting the secret. */
static void test_secret_control_bytes(void **state)
{
	(void)state;
	static const struct secret_case cases[] = {
	    {"Zq9s3cr\n", "Zq9s3cr", NULL},
	    {"Zq9s3cr", "Zq9s3cr", NULL},
	    {"Zq9s3cr\nX-Evil: 1\n", NULL, "contains a line break (LF)"},
	    {"Zq9s3cr\n\n", NULL, "contains a line break (LF)"},
	    {"Zq9s3cr\r\n", NULL, "contains a carriage return (CR)"},
	    {"Zq9\x1b[2Js3cr", NULL, "contains a control character"},
	    {"Zq9\ts3cr", NULL, "contains a control character"},
	    {"\n", NULL, "is empty"},
	};
	char dir[] = "/tmp/sitrep-secret-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64], text[256];
	snprintf(path, sizeof(path), "%s/token", dir);
	snprintf(text, sizeof(text), "{ \"t\": { \"token_file\": \"%s\" }, \"panes\": [] }", path);
	struct config cfg;
	struct config_error err = {0};
	struct config_ctx ctx = {.file = "t.json", .err = &err};
	config_load_text(&cfg, "t.json", text, strlen(text), &err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(path, cases[i].content, 0600);
		char *secret = NULL;
		err = (struct config_error){0}; /* errors are added: one case's alone */
		int rc =
		    config_get_secret(&ctx, jsonc_get(cfg.root, "t"), "token_env", "token_file", &secret);
		if (cases[i].want != NULL) {
			if (rc != 0 || secret == NULL || strcmp(secret, cases[i].want) != 0)
				fail_msg("case %zu: rc %d, %s", i, rc, err.msg);
			config_free_secret(secret);
			continue;
		}
		if (rc == 0)
			fail_msg("case %zu accepted", i);
		if (strstr(err.msg, cases[i].msg_part) == NULL || strstr(err.msg, "Zq9") != NULL ||
		    err.line != 1 || err.col != 24)
			fail_msg("case %zu: %d:%d %s", i, err.line, err.col, err.msg);
	}
	config_free(&cfg);
	/* the same rule for a secret from the environment */
	const char *envtext = "{ \"t\": { \"token_env\": \"SITREP_TEST_TOKEN\" }, \"panes\": [] }";
	config_load_text(&cfg, "t.json", envtext, strlen(envtext), &err);
	setenv("SITREP_TEST_TOKEN", "Zq9s3cr\r\nX-Evil: 1", 1);
	char *secret = NULL;
	err = (struct config_error){0};
	assert_int_equal(
	    config_get_secret(&ctx, jsonc_get(cfg.root, "t"), "token_env", "token_file", &secret), -1);
	assert_null(secret);
	assert_non_null(strstr(err.msg, "SITREP_TEST_TOKEN"));
	assert_null(strstr(err.msg, "Zq9"));
	unsetenv("SITREP_TEST_TOKEN");
	config_free(&cfg);
	unlink(path);
	rmdir(dir);
}

struct secret_load {
	const char *path;
	char *secret;
};

static void read_token_file(void *arg)
{
	struct secret_load *sl = arg;
	struct config cfg;
	struct config_error err = {0};
	struct config_ctx ctx = {.file = "t.json", .err = &err};
	char text[256];
	snprintf(text, sizeof(text), "{ \"t\": { \"token_file\": \"%s\" }, \"panes\": [] }", sl->path);
	config_load_text(&cfg, "t.json", text, strlen(text), &err);
	if (config_get_secret(&ctx, jsonc_get(cfg.root, "t"), "token_env", "token_file", &sl->secret) != 0)
		fail_msg("%s", err.msg);
	config_free(&cfg);
}

/* A token file that group or others can read is still used, with a warning
 * naming the file and the mode (and never the token). */
static void test_secret_mode_warning(void **state)
{
	(void)state;
	char dir[] = "/tmp/sitrep-secmode-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/token", dir);
	write_file(path, "s3cret\n", 0640);
	struct secret_load sl = {.path = path};
	char *out = capture_stderr(read_token_file, &sl);
	assert_string_equal(sl.secret, "s3cret");
	config_free_secret(sl.secret);
	if (strstr(out, path) == NULL || strstr(out, "0640") == NULL || strstr(out, "s3cret") != NULL)
		fail_msg("warning for a 0640 token file: \"%s\"", out);
	free(out);
	write_file(path, "s3cret\n", 0400);
	sl.secret = NULL;
	out = capture_stderr(read_token_file, &sl);
	assert_string_equal(out, "");
	config_free_secret(sl.secret);
	free(out);
	unlink(path);
	rmdir(dir);
}

static void test_defaults_and_values(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error err = {0};
	const char *text =
	    "{ \"refresh_seconds\": 5, \"theme\": \"mono\", \"read_only\": true,\n"
	    "  \"state_dir\": \"/tmp/s\", \"keys\": { \"quit\": \"Q\", \"refresh\": \"F5\" },\n"
	    "  \"panes\": [ { \"kind\": \"metrics\", \"source\": \"procfs\" } ] }";
	assert_int_equal(config_load_text(&cfg, "t.json", text, strlen(text), &err), 0);
	assert_true(cfg.refresh_seconds == 5);
	assert_string_equal(cfg.theme, "mono");
	assert_true(cfg.read_only);
	assert_string_equal(cfg.state_dir, "/tmp/s");
	assert_int_equal(cfg.nkeys, 2);
	assert_string_equal(cfg.keys[1].key, "F5");
	assert_string_equal(cfg.panes[0].id, "metrics1");
	config_free(&cfg);
}

static void test_builtin_default_loads(void **state)
{
	(void)state;
	struct config_error err = {0};
	char *text = default_config_text();
	int rc = load(text, &err);
	if (rc != 0)
		fail_msg("default config: %d:%d %s\n%s", err.line, err.col, err.msg, text);
	assert_non_null(strstr(text, "\"procfs\""));
	free(text);
}

/* The built-in default's notes, in dir (with or without a git repository):
 * each names every source this build has for its kind and where to read how
 * to configure it, and none says a source is missing from this version. */
static void default_notes_in(const char *dir)
{
	char old[4096];
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(dir), 0);
	char *text = default_config_text();
	assert_int_equal(chdir(old), 0);
	struct config cfg;
	struct config_error err = {0};
	if (config_load_text(&cfg, "<built-in>", text, strlen(text), &err) != 0)
		fail_msg("default config in %s: %d:%d %s", dir, err.line, err.col, err.msg);
	size_t notes = 0;
	for (size_t p = 0; p < cfg.npanes; p++) {
		const struct pane_config *pc = &cfg.panes[p];
		if (strcmp(pc->source, "note") != 0)
			continue;
		notes++;
		const struct jnode *t = jsonc_get(pc->node, "text");
		assert_non_null(t);
		if (strstr(t->string, "not available") != NULL ||
		    strstr(t->string, "later version") != NULL ||
		    strstr(t->string, "--example-config") == NULL ||
		    strstr(t->string, "docs/configuration.md") == NULL)
			fail_msg("%s note in %s: %s", pc->kind, dir, t->string);
		for (size_t i = 0; source_at(i) != NULL; i++) {
			const struct source_ops *o = source_at(i);
			if (o->kind == NULL || strcmp(o->kind, pc->kind) != 0 || strcmp(o->kind, "logs") == 0)
				continue;
			if (strstr(t->string, o->name) == NULL)
				fail_msg("%s note in %s does not name source %s: %s", pc->kind, dir, o->name,
				         t->string);
		}
	}
	if (notes < 2)
		fail_msg("default config in %s has %zu notes (deploys, cdn expected)", dir, notes);
	config_free(&cfg);
	free(text);
}

static void test_builtin_default_notes(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/sitrep-notes-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	default_notes_in(tmpl); /* no repository here */
	char git[sizeof(tmpl) + 8];
	snprintf(git, sizeof(git), "%s/.git", tmpl);
	assert_int_equal(mkdir(git, 0700), 0);
	default_notes_in(tmpl); /* a repository found */
	rmdir(git);
	rmdir(tmpl);
}

static void test_example_loads(void **state)
{
	(void)state;
	struct config_error err = {0};
	if (load(config_example_text, &err) != 0)
		fail_msg("example config: %d:%d %s", err.line, err.col, err.msg);
}

static void test_find_path(void **state)
{
	(void)state;
	char *p = config_find_path("/x/y.json");
	assert_string_equal(p, "/x/y.json");
	free(p);
	setenv("SITREP_CONFIG", "/from/env.json", 1);
	p = config_find_path(NULL);
	assert_string_equal(p, "/from/env.json");
	free(p);
	unsetenv("SITREP_CONFIG");
	setenv("XDG_CONFIG_HOME", "/nonexistent-xdg", 1);
	assert_null(config_find_path(NULL));
}

int main(void)
{
	sources_register();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_positions),
	    cmocka_unit_test(test_every_error),
	    cmocka_unit_test(test_errors_sanitized),
	    cmocka_unit_test(test_config_mode_warning),
	    cmocka_unit_test(test_config_fifo),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_secrets),
	    cmocka_unit_test(test_pass_env),
	    cmocka_unit_test(test_secret_control_bytes),
	    cmocka_unit_test(test_secret_mode_warning),
	    cmocka_unit_test(test_defaults_and_values),
	    cmocka_unit_test(test_builtin_default_loads),
	    cmocka_unit_test(test_builtin_default_notes),
	    cmocka_unit_test(test_example_loads),
	    cmocka_unit_test(test_find_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
