/* test-loki: query_range answers (tests/data/loki) become lines merged in
 * time order across streams; errors and non-log results are reported; the
 * request URL carries the encoded query, the bounds and the page size; the
 * input reads the server keys every HTTP source shares (endpoint.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/core/config.h"
#include "sitrep/core/jsonc.h"
#include "backends/loginput.h"
#include "sitrep/core/util.h"

static char *load(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/loki/%s", TEST_DATA, name);
	char *text = util_read_file(path, 1 << 20, len);
	assert_non_null(text);
	return text;
}

static void test_streams(void **state)
{
	size_t len, n;
	char *body = load("query_range.json", &len);
	struct loki_entry *e;
	char *err = NULL;
	assert_int_equal(loki_parse(body, len, &e, &n, &err), 0);
	assert_int_equal(n, 4);
	/* Two streams merged by time. */
	assert_int_equal(e[0].ns, 1714557600500000000LL);
	assert_int_equal(e[1].ns, 1714557601000000000LL);
	assert_int_equal(e[2].ns, 1714557602000000000LL);
	assert_int_equal(e[3].ns, 1714557603000000000LL);
	assert_non_null(strstr(e[1].line, "upstream timeout"));
	/* The raw line still holds the escape; the store sanitizes it. */
	assert_non_null(strchr(e[2].line, '\x1b'));
	loki_entries_free(e, n);
	free(body);
}

static void test_errors(void **state)
{
	size_t len, n;
	struct loki_entry *e;
	char *err = NULL;
	char *body = load("error.json", &len);
	assert_int_equal(loki_parse(body, len, &e, &n, &err), -1);
	assert_non_null(strstr(err, "parse error at line 1"));
	free(err);
	free(body);
	body = load("matrix.json", &len);
	assert_int_equal(loki_parse(body, len, &e, &n, &err), -1);
	assert_non_null(strstr(err, "matrix"));
	free(err);
	free(body);
	assert_int_equal(loki_parse("<html>", 6, &e, &n, &err), -1);
	free(err);
}

static void test_url(void **state)
{
	char *u = loki_query_url("http://127.0.0.1:3100/", "{app=\"web\"} |= \"error\"",
	                         1714557600000000001LL, 1714557660000000000LL, 500);
	assert_string_equal(u, "http://127.0.0.1:3100/loki/api/v1/query_range?query=%7Bapp%3D%22web"
	                       "%22%7D%20%7C%3D%20%22error%22&start=1714557600000000001&end="
	                       "1714557660000000000&limit=500&direction=forward");
	free(u);
}

/* Runs the input's init on json; msg gets FILE:LINE:COL: ... on failure. */
static int loki_read(const char *json, char *msg, size_t cap)
{
	struct jsonc_error jerr;
	struct jnode *root = jsonc_parse(json, strlen(json), &jerr);
	assert_non_null(root);
	struct config_error err = {0}; /* errors are added to it: start empty */
	struct config_ctx ctx = {"t.json", &err};
	struct log_input in = {.ops = &loginput_loki};
	int rc = loginput_loki.init(&in, &ctx, root);
	if (rc == 0)
		rc = config_check_unknown(&ctx, root, "loki input");
	if (rc != 0)
		config_error_format(&err, msg, cap);
	loginput_loki.destroy(&in);
	free(in.name);
	jsonc_free(root);
	return rc;
}

static void test_config_keys(void **state)
{
	char msg[1200];
	/* The keys it always had, and the shared ones it gained. */
	assert_int_equal(loki_read("{ \"url\": \"http://127.0.0.1:3100\", \"query\": \"{a=\\\"b\\\"}\", "
	                           "\"org_id\": \"t1\", \"poll_seconds\": 1, \"limit\": 10, "
	                           "\"since_seconds\": 60, \"timeout_seconds\": 2, \"insecure\": true }",
	                           msg, sizeof(msg)),
	                 0);
	assert_int_equal(loki_read("{ \"query\": \"{}\",\n  \"url\": \"loki:3100\" }", msg, sizeof(msg)), -1);
	assert_string_equal(msg, "t.json:2:10: expected an http:// or https:// URL");
	assert_int_equal(loki_read("{ \"url\": \"http://h\" }", msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "query"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_streams),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_url),
	    cmocka_unit_test(test_config_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
