/* Unit tests of the comment-tolerant JSON parser: values, positions, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/core/jsonc.h"

static struct jnode *parse(const char *text, struct jsonc_error *err)
{
	memset(err, 0, sizeof(*err));
	return jsonc_parse(text, strlen(text), err);
}

static void test_values_and_positions(void **state)
{
	(void)state;
	struct jsonc_error err;
	const char *text = "// leading comment\n"
	                   "{ \"a\": 1.5, /* block */ \"b\": [true, false, null],\n"
	                   "  \"s\": \"x\\u00e9\\n\", \"neg\": -2e3 }";
	struct jnode *root = parse(text, &err);
	assert_non_null(root);
	assert_int_equal(root->type, JNODE_OBJECT);
	assert_int_equal(root->count, 4);
	assert_int_equal(root->line, 2);
	assert_int_equal(root->col, 1);
	struct jnode *a = jsonc_get(root, "a");
	assert_non_null(a);
	assert_true(a->used);
	assert_true(a->number == 1.5);
	assert_int_equal(a->key_line, 2);
	assert_int_equal(a->key_col, 3);
	assert_int_equal(a->col, 8);
	struct jnode *b = jsonc_get(root, "b");
	assert_int_equal(b->type, JNODE_ARRAY);
	assert_int_equal(b->count, 3);
	assert_true(b->child->boolean);
	assert_int_equal(b->child->next->next->type, JNODE_NULL);
	struct jnode *s = jsonc_get(root, "s");
	assert_string_equal(s->string, "x\xc3\xa9\n");
	assert_int_equal(s->line, 3);
	assert_true(jsonc_get(root, "neg")->number == -2000);
	assert_null(jsonc_get(root, "missing"));
	jsonc_free(root);
}

struct bad_case {
	const char *text;
	int line, col;
	const char *msg_part;
};

static void test_errors_have_positions(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
	    {"{ \"a\": 1, }", 1, 11, "trailing commas"},
	    {"[1, 2,]", 1, 7, "trailing commas"},
	    {"{ \"a\" 1 }", 1, 7, "expected ':'"},
	    {"{\n  \"a\": tru }", 2, 8, "expected a value"},
	    {"{ a: 1 }", 1, 3, "member name in double quotes"},
	    {"{ \"a\": 'x' }", 1, 8, "single quote"},
	    {"{ \"a\": \"abc\n\" }", 1, 12, "unterminated string"},
	    {"/* open", 1, 1, "unterminated /* comment"},
	    {"{} extra", 1, 4, "expected end of file"},
	    {"{ \"a\": 01 }", 1, 9, "expected ',' or '}'"},
	    {"{ \"a\": \"\\q\" }", 1, 10, "invalid escape"},
	    {"", 1, 1, "expected a value"},
	    {"[1 2]", 1, 4, "expected ',' or ']'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jsonc_error err;
		struct jnode *root = parse(cases[i].text, &err);
		if (root != NULL)
			fail_msg("case %zu parsed: %s", i, cases[i].text);
		if (err.line != cases[i].line || err.col != cases[i].col ||
		    strstr(err.msg, cases[i].msg_part) == NULL)
			fail_msg("case %zu (%s): got %d:%d %s", i, cases[i].text, err.line, err.col, err.msg);
	}
}

/* jsonc_get remembers every name asked of an object, found or not, once:
 * the valid keys that "did you mean" chooses from. */
static void test_asked_names(void **state)
{
	(void)state;
	struct jsonc_error err;
	struct jnode *root = parse("{ \"url\": \"x\", \"ur1\": 2 }", &err);
	assert_non_null(root);
	assert_int_equal(root->nasked, 0);
	assert_non_null(jsonc_get(root, "url"));
	assert_null(jsonc_get(root, "queries"));
	assert_non_null(jsonc_get(root, "url"));
	assert_int_equal(root->nasked, 2);
	assert_string_equal(root->asked[0], "url");
	assert_string_equal(root->asked[1], "queries");
	assert_false(root->child->next->used);
	jsonc_free(root);
}

/* A parse error that quotes a member name shows its escapes as text. */
static void test_error_sanitized(void **state)
{
	(void)state;
	struct jsonc_error err;
	assert_null(parse("{ \"a\\u001b]0;t\\u0007\\u001b[2J\" 1 }", &err));
	assert_non_null(strstr(err.msg, "expected ':'"));
	assert_non_null(strstr(err.msg, "a^[]0;t^G^[[2J"));
	assert_null(strchr(err.msg, '\x1b'));
	assert_null(strchr(err.msg, '\a'));
}

static void test_depth_limit(void **state)
{
	(void)state;
	char text[300];
	memset(text, '[', 200);
	text[200] = '\0';
	struct jsonc_error err;
	assert_null(parse(text, &err));
	assert_non_null(strstr(err.msg, "nesting"));
}

static void test_surrogates_and_bom(void **state)
{
	(void)state;
	struct jsonc_error err;
	struct jnode *n = parse("\xEF\xBB\xBF\"\\ud83d\\ude00\"", &err);
	assert_non_null(n);
	assert_string_equal(n->string, "\xF0\x9F\x98\x80");
	jsonc_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values_and_positions), cmocka_unit_test(test_errors_have_positions),
	    cmocka_unit_test(test_asked_names),          cmocka_unit_test(test_error_sanitized),
	    cmocka_unit_test(test_depth_limit),          cmocka_unit_test(test_surrogates_and_bom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
