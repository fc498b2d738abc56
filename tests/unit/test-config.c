/* Unit tests of the config loader: every error path names FILE:LINE:COL and
 * what was expected; the built-in default and the example both load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sitrep/app.h"
#include "sitrep/config.h"
#include "sitrep/sources.h"

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
		{"{\n  \"refresh\": 2,\n  \"panes\": [ { \"kind\": \"metrics\", \"source\": \"procfs\" } ] }", 2, 3,
		 "unknown key \"refresh\" in the top level"},
		{"{ \"refresh_seconds\": \"2\", \"panes\": [] }", 1, 22, "must be a number, not a string"},
		{"{ \"refresh_seconds\": 0, \"panes\": [] }", 1, 22, "between 0.1 and 86400"},
		{"{ \"read_only\": 1, \"panes\": [] }", 1, 16, "true or false"},
		{"{ \"panes\": [ 3 ] }", 1, 14, "each pane must be an object"},
		{"{ \"panes\": [ { \"source\": \"procfs\" } ] }", 1, 14, "missing \"kind\""},
		{"{ \"panes\": [ { \"kind\": \"graphs\", \"source\": \"procfs\" } ] }", 1, 24,
		 "unknown pane kind \"graphs\" (expected one of: metrics"},
		{"{ \"panes\": [ { \"kind\": \"metrics\", \"source\": \"zabbix\" } ] }", 1, 45,
		 "unknown source \"zabbix\" (this build has:"},
		{"{ \"panes\": [ { \"kind\": \"metrics\" } ] }", 1, 14, "missing \"source\""},
		{"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"procfs\" } ] }", 1, 41,
		 "feeds \"metrics\" panes, not \"cdn\""},
		{"{ \"panes\": [ { \"id\": \"a b\", \"kind\": \"metrics\", \"source\": \"procfs\" } ] }", 1, 22,
		 "pane id \"a b\""},
		{"{ \"panes\": [ { \"id\": \"x\", \"kind\": \"metrics\", \"source\": \"procfs\" },\n"
		 "  { \"id\": \"x\", \"kind\": \"cdn\", \"source\": \"note\", \"text\": \"t\" } ] }",
		 2, 11, "duplicate pane id \"x\""},
		{"{ \"keys\": { \"explode\": \"x\" }, \"panes\": [] }", 1, 13, "unknown action \"explode\""},
		{"{ \"keys\": { \"quit\": \"C-q\" }, \"panes\": [] }", 1, 21, "no Ctrl chords"},
		{"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"note\" } ] }", 1, 14, "missing \"text\""},
		{"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"note\", \"text\": \"\" } ] }", 1, 57,
		 "must not be empty"},
		{"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"note\", \"text\": \"t\",\n"
		 "    \"colour\": \"red\" } ] }", 2, 5,
		 "unknown key \"colour\" in a cdn pane with source \"note\""},
		{"{ \"panes\": [ { \"kind\": \"cdn\", \"source\": \"note\", \"text\": \"t\",\n"
		 "    \"text\": \"u\" } ] }", 2, 5, "duplicate key \"text\" in a cdn pane"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config_error err;
		if (load(cases[i].text, &err) == 0)
			fail_msg("case %zu loaded: %s", i, cases[i].text);
		char msg[1200];
		config_error_format(&err, msg, sizeof(msg));
		if (strncmp(msg, "t.json:", 7) != 0 || err.line != cases[i].line || err.col != cases[i].col ||
		    strstr(err.msg, cases[i].msg_part) == NULL)
			fail_msg("case %zu: got \"%s\", want %d:%d ...%s...", i, msg, cases[i].line, cases[i].col,
				 cases[i].msg_part);
	}
}

static void test_missing_file(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error err;
	assert_int_equal(config_load_file(&cfg, "/nonexistent/sitrep.json", &err), -1);
	char msg[1200];
	config_error_format(&err, msg, sizeof(msg));
	assert_string_equal(msg, "/nonexistent/sitrep.json: cannot read the config: No such file or directory");
	config_free(&cfg);
}

static void test_secrets(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error err;
	struct config_ctx ctx = {.file = "t.json", .err = &err};
	const char *text = "{ \"a\": { \"token_env\": \"SITREP_TEST_TOKEN\" },"
			   "  \"b\": { \"token_file\": \"/nonexistent/token\" },"
			   "  \"c\": { \"token_env\": \"X\", \"token_file\": \"Y\" }, \"panes\": [] }";
	assert_int_equal(config_load_text(&cfg, "t.json", text, strlen(text), &err), -1); /* panes empty */
	char *secret = NULL;
	unsetenv("SITREP_TEST_TOKEN");
	assert_int_equal(config_get_secret(&ctx, jsonc_get(cfg.root, "a"), "token_env", "token_file", &secret), -1);
	assert_non_null(strstr(err.msg, "SITREP_TEST_TOKEN"));
	setenv("SITREP_TEST_TOKEN", "hunter2", 1);
	assert_int_equal(config_get_secret(&ctx, jsonc_get(cfg.root, "a"), "token_env", "token_file", &secret), 0);
	assert_string_equal(secret, "hunter2");
	free(secret);
	assert_int_equal(config_get_secret(&ctx, jsonc_get(cfg.root, "b"), "token_env", "token_file", &secret), -1);
	assert_non_null(strstr(err.msg, "cannot read /nonexistent/token"));
	assert_int_equal(config_get_secret(&ctx, jsonc_get(cfg.root, "c"), "token_env", "token_file", &secret), -1);
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
	assert_int_equal(config_get_secret(&ctx, jsonc_get(cfg.root, "t"), "token_env", "token_file", &t2), 0);
	assert_string_equal(t2, "s3cret");
	free(t2);
	free(text2);
	unlink(path);
	config_free(&cfg);
}

static void test_defaults_and_values(void **state)
{
	(void)state;
	struct config cfg;
	struct config_error err;
	const char *text = "{ \"refresh_seconds\": 5, \"theme\": \"mono\", \"read_only\": true,\n"
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
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_builtin_default_loads),
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_find_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
