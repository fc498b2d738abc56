/* Unit tests of the Prometheus response parser, fed with answers captured
 * from a real Prometheus (tests/data/prometheus/). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backends/prometheus-parse.h"
#include "sitrep/core/util.h"

static char *load(const char *name, size_t *len)
{
	char *path = xasprintf("%s/prometheus/%s", TEST_DATA, name);
	char *text = util_read_file(path, 1 << 20, len);
	if (text == NULL)
		fail_msg("cannot read %s", path);
	free(path);
	return text;
}

static void parse_query(const char *name, long status, struct prom_result *r, int want_rc)
{
	size_t len;
	char *body = load(name, &len);
	assert_int_equal(prom_parse_query(body, len, status, r), want_rc);
	free(body);
}

static void test_scalar_cpu(void **state)
{
	struct prom_result r;
	parse_query("query-scalar-cpu.json", 200, &r, 0);
	assert_null(r.error);
	assert_int_equal(r.nseries, 1);
	assert_int_equal(r.series[0].nlabels, 0);
	assert_true(r.series[0].value >= 0 && r.series[0].value <= 100);
	prom_result_free(&r);
}

static void test_vector_labels_sorted_without_name(void **state)
{
	struct prom_result r;
	parse_query("query-vector-by-cpu.json", 200, &r, 0);
	assert_int_equal(r.nseries, 2);
	struct prom_series *s = &r.series[0];
	assert_int_equal(s->nlabels, 4);
	assert_string_equal(s->labels[0].name, "cpu");
	assert_string_equal(s->labels[0].value, "0");
	assert_string_equal(s->labels[3].name, "mode");
	assert_non_null(strstr(s->key, "cpu=0,"));
	assert_string_not_equal(r.series[0].key, r.series[1].key);
	prom_result_free(&r);
}

static void test_nan_and_inf(void **state)
{
	struct prom_result r;
	parse_query("query-nan-inf.json", 200, &r, 0);
	assert_int_equal(r.nseries, 3);
	int nan = 0, pinf = 0, ninf = 0;
	for (size_t i = 0; i < r.nseries; i++) {
		double v = r.series[i].value;
		nan += isnan(v);
		pinf += isinf(v) && v > 0;
		ninf += isinf(v) && v < 0;
	}
	assert_int_equal(nan, 1);
	assert_int_equal(pinf, 1);
	assert_int_equal(ninf, 1);
	prom_result_free(&r);
}

static void test_empty_result(void **state)
{
	struct prom_result r;
	parse_query("query-empty.json", 200, &r, 0);
	assert_null(r.error);
	assert_int_equal(r.nseries, 0);
	prom_result_free(&r);
}

static void test_scalar_and_string(void **state)
{
	struct prom_result r;
	parse_query("query-scalar.json", 200, &r, 0);
	assert_int_equal(r.nseries, 1);
	assert_true(r.series[0].value == 3.5);
	prom_result_free(&r);
	parse_query("query-string.json", 200, &r, -1);
	assert_non_null(strstr(r.error, "string"));
	prom_result_free(&r);
}

static void test_errors_carry_prometheus_text(void **state)
{
	struct prom_result r;
	parse_query("query-syntax-error.json", 400, &r, -1);
	assert_non_null(strstr(r.error, "bad_data: "));
	assert_non_null(strstr(r.error, "unclosed left parenthesis"));
	prom_result_free(&r);
	parse_query("query-execution-error.json", 422, &r, -1);
	assert_non_null(strstr(r.error, "execution: "));
	assert_non_null(strstr(r.error, "many-to-many"));
	prom_result_free(&r);
	parse_query("query-bad-data.json", 400, &r, -1);
	assert_non_null(strstr(r.error, "Invalid time value"));
	prom_result_free(&r);
}

static void test_non_json_answers(void **state)
{
	struct prom_result r;
	const char *text = "Service Unavailable\n";
	assert_int_equal(prom_parse_query(text, strlen(text), 503, &r), -1);
	assert_non_null(strstr(r.error, "HTTP 503"));
	assert_non_null(strstr(r.error, "Service Unavailable"));
	prom_result_free(&r);
	const char *broken = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{";
	assert_int_equal(prom_parse_query(broken, strlen(broken), 200, &r), -1);
	assert_non_null(strstr(r.error, "malformed JSON"));
	prom_result_free(&r);
}

static void test_range_on_grid(void **state)
{
	size_t len;
	char *body = load("range-cpu.json", &len);
	struct prom_result r;
	/* The capture asked for start..start+30 step 1; its first sample's time is the start. */
	const char *first = strstr(body, "[[");
	assert_non_null(first);
	double start = atof(first + 2);
	assert_int_equal(prom_parse_range(body, len, 200, start, 1, 31, &r), 0);
	assert_int_equal(r.nseries, 1);
	assert_int_equal(r.series[0].npoints, 31);
	size_t have = 0;
	for (size_t i = 0; i < 31; i++)
		have += !isnan(r.series[0].points[i]);
	assert_true(have >= 20);
	assert_false(isnan(r.series[0].points[0]));
	prom_result_free(&r);
	/* A coarser grid still places every sample in range. */
	assert_int_equal(prom_parse_range(body, len, 200, start, 10, 4, &r), 0);
	assert_false(isnan(r.series[0].points[0]));
	prom_result_free(&r);
	free(body);
}

static void test_range_matches_instant_keys(void **state)
{
	size_t len;
	char *body = load("range-by-cpu.json", &len);
	struct prom_result rr, qr;
	assert_int_equal(prom_parse_range(body, len, 200, 0, 3, 10, &rr), 0);
	free(body);
	parse_query("query-vector-by-cpu.json", 200, &qr, 0);
	assert_int_equal(rr.nseries, qr.nseries);
	for (size_t i = 0; i < qr.nseries; i++)
		assert_string_equal(rr.series[i].key, qr.series[i].key);
	prom_result_free(&rr);
	prom_result_free(&qr);
}

static void test_range_errors(void **state)
{
	size_t len;
	char *body = load("range-too-many-points.json", &len);
	struct prom_result r;
	assert_int_equal(prom_parse_range(body, len, 400, 0, 1, 10, &r), -1);
	assert_non_null(strstr(r.error, "11,000 points"));
	prom_result_free(&r);
	free(body);
	body = load("query-vector-by-cpu.json", &len);
	assert_int_equal(prom_parse_range(body, len, 200, 0, 1, 10, &r), -1);
	prom_result_free(&r);
	free(body);
}

static void test_value_and_step(void **state)
{
	double v;
	assert_true(prom_parse_value("+Inf", &v) && isinf(v));
	assert_true(prom_parse_value("NaN", &v) && isnan(v));
	assert_true(prom_parse_value("-1.5e3", &v) && v == -1500);
	assert_false(prom_parse_value("12abc", &v));
	assert_false(prom_parse_value("", &v));
	assert_true(prom_step(1800, 60) == 30);
	assert_true(prom_step(1800, 0) == 30);
	assert_true(prom_step(10, 60) == 1);
	/* A month at one point per second would break the 11,000 limit. */
	double step = prom_step(31 * 86400.0, 1000000);
	assert_true(31 * 86400.0 / step + 1 <= 11000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scalar_cpu),
	    cmocka_unit_test(test_vector_labels_sorted_without_name),
	    cmocka_unit_test(test_nan_and_inf),
	    cmocka_unit_test(test_empty_result),
	    cmocka_unit_test(test_scalar_and_string),
	    cmocka_unit_test(test_errors_carry_prometheus_text),
	    cmocka_unit_test(test_non_json_answers),
	    cmocka_unit_test(test_range_on_grid),
	    cmocka_unit_test(test_range_matches_instant_keys),
	    cmocka_unit_test(test_range_errors),
	    cmocka_unit_test(test_value_and_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
