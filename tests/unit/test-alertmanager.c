/* Unit tests of the Alertmanager parser and the silence body, fed with
 * answers captured from a real Alertmanager (tests/data/alertmanager/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "backends/alertmanager-parse.h"
#include "sitrep/core/util.h"

static char *load(const char *name, size_t *len)
{
	char *path = xasprintf("%s/alertmanager/%s", TEST_DATA, name);
	char *text = util_read_file(path, 1 << 20, len);
	if (text == NULL)
		fail_msg("cannot read %s", path);
	free(path);
	return text;
}

static const struct alert *find(const struct alerts_data *d, const char *prefix)
{
	for (size_t i = 0; i < d->nalerts; i++)
		if (strncmp(d->alerts[i].name, prefix, strlen(prefix)) == 0)
			return &d->alerts[i];
	fail_msg("no alert %s", prefix);
	return NULL;
}

static void test_alerts_parsed_and_sorted(void **state)
{
	size_t len, nraw;
	char *body = load("alerts.json", &len);
	struct alerts_data *d;
	struct am_raw *raw;
	char *err;
	assert_int_equal(am_parse_alerts(body, len, 200, &d, &raw, &nraw, &err), 0);
	free(body);
	assert_null(err);
	assert_int_equal(d->nalerts, 5);
	assert_int_equal(nraw, 5);
	/* critical first, then warnings newest first, info, then no severity */
	assert_string_equal(d->alerts[0].name, "DiskFull");
	assert_string_equal(d->alerts[0].severity, "critical");
	assert_string_equal(d->alerts[4].name, "NoSeverity");
	assert_string_equal(d->alerts[4].severity, "");
	for (size_t i = 1; i < d->nalerts; i++) {
		int a = alerts_severity_rank(d->alerts[i - 1].severity);
		int b = alerts_severity_rank(d->alerts[i].severity);
		assert_true(a <= b);
		if (a == b)
			assert_true(d->alerts[i - 1].since >= d->alerts[i].since);
	}
	const struct alert *disk = find(d, "DiskFull");
	assert_string_equal(disk->summary, "Disk /var on db1 is 97% full");
	assert_true(disk->since > 1700000000);
	assert_false(disk->silenced);
	assert_string_equal(disk->labels[0].name, "alertname");
	const struct alert *lat = find(d, "HighLatency");
	assert_true(lat->silenced);
	assert_string_equal(lat->state, "suppressed");
	alerts_data_free(d);
	am_raw_free(raw, nraw);
}

static void test_hostile_text_is_inert_but_raw_kept(void **state)
{
	size_t len, nraw;
	char *body = load("alerts.json", &len);
	struct alerts_data *d;
	struct am_raw *raw;
	char *err;
	assert_int_equal(am_parse_alerts(body, len, 200, &d, &raw, &nraw, &err), 0);
	free(body);
	const struct alert *evil = find(d, "Evil");
	assert_null(strchr(evil->name, '\x1b'));
	assert_null(strchr(evil->summary, '\r'));
	assert_null(strchr(evil->summary, '\a'));
	/* The raw labels (for silence matchers) keep the exact bytes. */
	bool found = false;
	for (size_t i = 0; i < nraw; i++)
		for (size_t j = 0; j < raw[i].nlabels; j++)
			if (strcmp(raw[i].labels[j].value, "Evil\x1b[31mAlert") == 0) {
				found = true;
				assert_string_equal(raw[i].fingerprint, evil->fingerprint);
			}
	assert_true(found);
	alerts_data_free(d);
	am_raw_free(raw, nraw);
}

static void test_empty_and_errors(void **state)
{
	size_t len;
	char *body = load("alerts-empty.json", &len);
	struct alerts_data *d;
	char *err;
	assert_int_equal(am_parse_alerts(body, len, 200, &d, NULL, NULL, &err), 0);
	assert_int_equal(d->nalerts, 0);
	alerts_data_free(d);
	free(body);
	const char *bad = "\"bad matcher format: bad\"";
	assert_int_equal(am_parse_alerts(bad, strlen(bad), 400, &d, NULL, NULL, &err), -1);
	assert_string_equal(err, "HTTP 400: bad matcher format: bad");
	free(err);
	assert_int_equal(am_parse_alerts("[{", 2, 200, &d, NULL, NULL, &err), -1);
	assert_non_null(strstr(err, "malformed"));
	free(err);
	assert_int_equal(am_parse_alerts("boom", 4, 500, &d, NULL, NULL, &err), -1);
	assert_string_equal(err, "HTTP 500: boom");
	free(err);
}

static void test_silence_reply(void **state)
{
	size_t len;
	char *body = load("silence-created.json", &len);
	char *id, *err;
	assert_int_equal(am_parse_silence_reply(body, len, 200, &id, &err), 0);
	assert_int_equal(strlen(id), 36);
	free(id);
	free(body);
	body = load("silence-error.txt", &len);
	assert_int_equal(am_parse_silence_reply(body, len, 422, &id, &err), -1);
	assert_non_null(strstr(err, "at least 1 items"));
	free(err);
	free(body);
}

static void test_silence_body(void **state)
{
	struct action_param m[2] = {{"alertname", "Disk\"Full"}, {"instance", "db1:9100"}};
	char *body = am_silence_body(m, 2, 1795311944, 1795311944 + 7200, "alice", "on it");
	cJSON *o = cJSON_Parse(body);
	free(body);
	assert_non_null(o);
	cJSON *ms = cJSON_GetObjectItem(o, "matchers");
	assert_int_equal(cJSON_GetArraySize(ms), 2);
	cJSON *m0 = cJSON_GetArrayItem(ms, 0);
	assert_string_equal(cJSON_GetObjectItem(m0, "value")->valuestring, "Disk\"Full");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(m0, "isRegex")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(m0, "isEqual")));
	assert_string_equal(cJSON_GetObjectItem(o, "createdBy")->valuestring, "alice");
	assert_string_equal(cJSON_GetObjectItem(o, "startsAt")->valuestring, "2026-11-22T01:45:44Z");
	assert_string_equal(cJSON_GetObjectItem(o, "endsAt")->valuestring, "2026-11-22T03:45:44Z");
	cJSON_Delete(o);
}

static void test_time(void **state)
{
	assert_int_equal(am_parse_time("2026-11-22T01:45:44.117Z"), 1795311944);
	assert_int_equal(am_parse_time("2026-11-22T02:45:44+01:00"), 1795311944);
	assert_int_equal(am_parse_time("yesterday"), 0);
	assert_int_equal(am_parse_time(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alerts_parsed_and_sorted),
	    cmocka_unit_test(test_hostile_text_is_inert_but_raw_kept),
	    cmocka_unit_test(test_empty_and_errors),
	    cmocka_unit_test(test_silence_reply),
	    cmocka_unit_test(test_silence_body),
	    cmocka_unit_test(test_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
