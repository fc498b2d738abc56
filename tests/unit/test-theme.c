/* Unit tests of themes: every shipped themes/NAME.json parses and names every
 * role, default.json matches the built-in fallback, broken themes are reported
 * at the right LINE:COL, the search path and fallbacks work, and colours
 * reduce sensibly from 256 to 16 to 8. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sitrep-build.h"
#include "sitrep/core/jsonc.h"
#include "tui/theme.h"
#include "sitrep/core/util.h"

static int parse_text(struct theme *t, const char *text, char *err, size_t cap)
{
	return theme_parse(t, "test", text, strlen(text), err, cap);
}

static void test_every_shipped_theme(void **state)
{
	DIR *d = opendir(SITREP_SOURCE_THEMES);
	assert_non_null(d);
	int files = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", SITREP_SOURCE_THEMES, e->d_name);
		size_t len;
		char *text = util_read_file(path, 1 << 20, &len);
		assert_non_null(text);
		struct theme t;
		char err[300] = "";
		if (theme_parse(&t, e->d_name, text, len, err, sizeof(err)) != 0)
			fail_msg("%s: %s", path, err);
		/* The file's name member matches the file name. */
		char base[256];
		snprintf(base, sizeof(base), "%.*s", (int)(n - 5), e->d_name);
		assert_string_equal(t.name, base);

		/* Every role is spelled out in the file, not inherited. */
		struct jsonc_error jerr;
		struct jnode *root = jsonc_parse(text, len, &jerr);
		assert_non_null(root);
		struct jnode *roles = jsonc_get(root, "roles");
		assert_non_null(roles);
		for (int r = 0; r < ROLE_COUNT; r++)
			if (jsonc_get(roles, theme_role_name((enum role)r)) == NULL)
				fail_msg("%s: role %s missing", path, theme_role_name((enum role)r));
		jsonc_free(root);
		free(text);
		files++;
	}
	closedir(d);
	assert_true(files >= 5);
}

static void test_default_matches_builtin(void **state)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/default.json", SITREP_SOURCE_THEMES);
	size_t len;
	char *text = util_read_file(path, 1 << 20, &len);
	assert_non_null(text);
	struct theme file, builtin;
	char err[300];
	assert_int_equal(theme_parse(&file, "default", text, len, err, sizeof(err)), 0);
	theme_builtin(&builtin);
	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct role_style *a = &file.roles[r], *b = &builtin.roles[r];
		if (a->fg != b->fg || a->bg != b->bg || a->bold != b->bold || a->underline != b->underline ||
		    a->reverse != b->reverse || a->dim != b->dim)
			fail_msg("role %s differs between default.json and the built-in",
			         theme_role_name((enum role)r));
	}
	free(text);
}

static void test_colour_forms(void **state)
{
	struct theme t;
	char err[300];
	assert_int_equal(
	    parse_text(&t,
	               "{ \"roles\": { \"title\": { \"fg\": \"bright-red\", \"bg\": 17 },\n"
	               "  \"warn\": { \"fg\": \"#ff0000\", \"bg\": \"default\", \"underline\": true },\n"
	               "  \"dim\": { \"fg\": \"grey\", \"dim\": true } } }",
	               err, sizeof(err)),
	    0);
	assert_int_equal(t.roles[ROLE_TITLE].fg, 9);
	assert_int_equal(t.roles[ROLE_TITLE].bg, 17);
	assert_int_equal(t.roles[ROLE_WARN].fg, 196);
	assert_int_equal(t.roles[ROLE_WARN].bg, -1);
	assert_true(t.roles[ROLE_WARN].underline);
	assert_false(t.roles[ROLE_WARN].bold);
	assert_int_equal(t.roles[ROLE_DIM].fg, 8);
	assert_true(t.roles[ROLE_DIM].dim);
	/* An unnamed role keeps the built-in style; the name comes from the caller. */
	struct theme b;
	theme_builtin(&b);
	assert_int_equal(t.roles[ROLE_OK].fg, b.roles[ROLE_OK].fg);
	assert_string_equal(t.name, "test");
	/* A grey in hex lands on the grey ramp. */
	assert_int_equal(parse_text(&t, "{\"roles\":{\"normal\":{\"bg\":\"#1c1c1c\"}}}", err, sizeof(err)),
	                 0);
	assert_int_equal(t.roles[ROLE_NORMAL].bg, 234);
}

static void expect_error(const char *text, const char *want)
{
	struct theme t;
	char err[300] = "";
	assert_int_equal(parse_text(&t, text, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void test_error_positions(void **state)
{
	/* Unknown role: at its name, line 5 column 5. */
	expect_error("{\n"
	             "  \"name\": \"x\",\n"
	             "  \"roles\": {\n"
	             "    \"title\": { \"fg\": \"cyan\" },\n"
	             "    \"bogus\": { \"fg\": 1 }\n"
	             "  }\n"
	             "}\n",
	             "5:5: unknown role \"bogus\"");
	/* Bad colour name: at the member, line 2 column 25. */
	expect_error("{ \"roles\": {\n"
	             "  \"ok\": { \"bold\": true, \"fg\": \"chartreuse\" } } }",
	             "2:25: unknown colour \"chartreuse\"");
	/* Out-of-range number and a bad hex digit. */
	expect_error("{ \"roles\": { \"ok\": { \"fg\": 300 } } }", "1:22: colour number");
	expect_error("{ \"roles\": { \"ok\": { \"fg\": \"#12345g\" } } }", "1:22: expected \"#rrggbb\"");
	/* A style key that does not exist, and a flag that is not a boolean. */
	expect_error("{ \"roles\": {\n\n  \"ok\": { \"blink\": true } } }", "3:11: unknown style key");
	expect_error("{ \"roles\": { \"ok\": { \"bold\": 1 } } }", "1:22: \"bold\" must be true or false");
	/* Syntax error: the position of the offending character, from the parser. */
	expect_error("{ \"roles\": {\n  \"ok\": { \"fg\": 1, }\n} }", "2:");
	expect_error("{ \"name\": \"x\" }", "1:1: missing \"roles\"");
	expect_error("{ \"roles\": {}, \"colour\": 1 }", "1:16: unknown key \"colour\"");
	expect_error("[]", "1:1:");
}

static void test_reduce(void **state)
{
	/* 256 colours pass through. */
	assert_int_equal(theme_reduce_color(196, 256), 196);
	/* Pure red: bright red among 16, red among 8. */
	assert_int_equal(theme_reduce_color(196, 16), 9);
	assert_int_equal(theme_reduce_color(196, 8), 1);
	assert_int_equal(theme_reduce_color(9, 8), 1);
	/* System colours below the limit stay. */
	assert_int_equal(theme_reduce_color(4, 16), 4);
	assert_int_equal(theme_reduce_color(12, 16), 12);
	assert_int_equal(theme_reduce_color(12, 8), 4);
	/* A cube green and a cube yellow. */
	assert_int_equal(theme_reduce_color(46, 16), 10);
	assert_int_equal(theme_reduce_color(46, 8), 2);
	assert_int_equal(theme_reduce_color(226, 8), 3);
	/* Greys go by brightness: mid grey is not black. */
	assert_int_equal(theme_reduce_color(244, 16), 8);
	assert_int_equal(theme_reduce_color(244, 8), 7);
	assert_int_equal(theme_reduce_color(8, 8), 7);
	assert_int_equal(theme_reduce_color(236, 16), 0);
	assert_int_equal(theme_reduce_color(236, 8), 0);
	assert_int_equal(theme_reduce_color(255, 16), 15);
	assert_int_equal(theme_reduce_color(252, 8), 7);
	/* Default stays default; no colours at all gives default. */
	assert_int_equal(theme_reduce_color(-1, 16), -1);
	assert_int_equal(theme_reduce_color(196, 0), -1);
	/* Every reduction stays within range. */
	for (int c = 0; c < 256; c++) {
		short r16 = theme_reduce_color((short)c, 16), r8 = theme_reduce_color((short)c, 8);
		assert_true(r16 >= 0 && r16 < 16);
		assert_true(r8 >= 0 && r8 < 8);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load_search_and_fallback(void **state)
{
	char dir[] = "/tmp/sitrep-test-theme.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char good[256], bad[256];
	snprintf(good, sizeof(good), "%s/mine.json", dir);
	snprintf(bad, sizeof(bad), "%s/broken.json", dir);
	write_file(good, "{ \"name\": \"mine\", \"roles\": { \"title\": { \"fg\": 33 } } }");
	write_file(bad, "{ \"roles\": {\n  \"nope\": {} } }");
	setenv("SITREP_THEME_DIR", dir, 1);

	struct theme t;
	char err[600];
	assert_int_equal(theme_load(&t, "mine", err, sizeof(err)), 0);
	assert_string_equal(t.name, "mine");
	assert_int_equal(t.roles[ROLE_TITLE].fg, 33);

	/* Shipped themes are found through the source tree. */
	assert_int_equal(theme_load(&t, "solarized-dark", err, sizeof(err)), 0);
	assert_string_equal(t.name, "solarized-dark");

	/* A broken file: built-in default plus FILE:LINE:COL. */
	assert_int_equal(theme_load(&t, "broken", err, sizeof(err)), -1);
	assert_string_equal(t.name, "default");
	assert_non_null(strstr(err, "broken.json:2:3: unknown role \"nope\""));

	/* A missing theme: built-in default plus a message. */
	assert_int_equal(theme_load(&t, "no-such-theme", err, sizeof(err)), -1);
	assert_string_equal(t.name, "default");
	assert_non_null(strstr(err, "no-such-theme"));

	/* A path is loaded as is. */
	assert_int_equal(theme_load(&t, good, err, sizeof(err)), 0);
	assert_int_equal(t.roles[ROLE_TITLE].fg, 33);

	unlink(good);
	unlink(bad);
	rmdir(dir);
	unsetenv("SITREP_THEME_DIR");
}

static void test_role_names(void **state)
{
	assert_string_equal(theme_role_name(ROLE_TITLE_FOCUS), "title_focus");
	assert_string_equal(theme_role_name(ROLE_HELP), "help");
	for (int r = 0; r < ROLE_COUNT; r++)
		assert_true(strcmp(theme_role_name((enum role)r), "?") != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_shipped_theme),
	    cmocka_unit_test(test_default_matches_builtin),
	    cmocka_unit_test(test_colour_forms),
	    cmocka_unit_test(test_error_positions),
	    cmocka_unit_test(test_reduce),
	    cmocka_unit_test(test_load_search_and_fallback),
	    cmocka_unit_test(test_role_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
