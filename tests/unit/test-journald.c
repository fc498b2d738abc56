/* test-journald: entries of `journalctl -o json` (tests/data/journald) become
 * lines with the entry's time, identifier and pid; PRIORITY maps to severity;
 * binary MESSAGE arrays arrive as bytes; the argv carries the filters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/core/config.h"
#include "backends/sources.h"
#include "backends/loginput.h"
#include "sitrep/kinds/logs.h"
#include "sitrep/core/util.h"

static void test_fixture(void **state)
{
	size_t len;
	char *text = util_read_file(TEST_DATA "/journald/follow.json", 1 << 20, &len);
	assert_non_null(text);
	struct journald_entry e[8];
	int n = 0;
	for (char *line = strtok(text, "\n"); line != NULL && n < 8; line = strtok(NULL, "\n"))
		assert_int_equal(journald_parse_line(line, strlen(line), &e[n++]), 0);
	assert_int_equal(n, 6);
	assert_string_equal(e[0].text, "app[4242]: listening on :8080");
	assert_int_equal(e[0].time_ms, 1714557600123LL);
	assert_int_equal(e[0].priority, 6);
	assert_int_equal(journald_priority_sev(e[1].priority), LOG_SEV_ERROR);
	assert_int_equal(journald_priority_sev(e[2].priority), LOG_SEV_WARN);
	assert_int_equal(journald_priority_sev(e[3].priority), LOG_SEV_INFO);
	/* No SYSLOG_IDENTIFIER: _COMM names it; the byte array is kept as bytes. */
	assert_memory_equal(e[4].text, "app: \x1b]0;pwned\x07 bad \xff\xfe bytes", e[4].len);
	assert_int_equal(e[5].priority, 2);
	assert_string_equal(e[5].text, "kernel: app[4242]: segfault at 0 ip 00005581 sp 00007ffd error 4");

	/* Through the store: the escape is inert, the panic at priority 6 is still
	 * an error by the patterns. */
	char err[100];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	struct logstore *st = logstore_new(100, 100, 0);
	for (int i = 0; i < n; i++) {
		int sev = (int)logclass_classify(lc, e[i].text, e[i].len);
		int psev = journald_priority_sev(e[i].priority);
		logstore_ingest(st, NULL, 0, e[i].time_ms, psev > sev ? psev : sev, e[i].text, e[i].len,
		                false);
		free(e[i].text);
	}
	assert_int_equal(logstore_stats(st)->errors, 3);
	assert_int_equal(logstore_stats(st)->warnings, 1);
	for (size_t i = 0; i < logstore_nlines(st); i++)
		assert_null(strchr(logstore_line(st, i)->text, '\x1b'));
	logstore_unref(st);
	logclass_free(lc);
	free(text);
}

static void test_not_entries(void **state)
{
	struct journald_entry e;
	assert_int_equal(journald_parse_line("-- No entries --", 16, &e), -1);
	assert_int_equal(journald_parse_line("{\"PRIORITY\":\"3\"}", 16, &e), -1);
	assert_int_equal(journald_parse_line("[1,2]", 5, &e), -1);
	assert_int_equal(journald_parse_line("{\"MESSAGE\":\"x\",\"PRIORITY\":\"9\"}", 30, &e), 0);
	assert_int_equal(e.priority, -1);
	assert_int_equal(e.time_ms, 0);
	assert_string_equal(e.text, "x");
	free(e.text);
	assert_int_equal(journald_priority_sev(-1), -1);
}

static void test_argv(void **state)
{
	char **argv = journald_argv("journalctl", "app.service", "err", 50);
	const char *want[] = {"journalctl", "-f", "-o",          "json", "-n",  "50",
	                      "--no-pager", "-u", "app.service", "-p",   "err", NULL};
	for (size_t i = 0; want[i] != NULL; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[11]);
	config_free_argv(argv);
	argv = journald_argv("/opt/journalctl", NULL, NULL, 0);
	assert_string_equal(argv[0], "/opt/journalctl");
	assert_null(argv[7]);
	config_free_argv(argv);
}

/* Without journalctl on PATH there is no journald, whatever the journal
 * directories hold; and the built-in default then does not pick it. */
static void test_available_needs_journalctl(void **state)
{
	char *saved = getenv("PATH") != NULL ? strdup(getenv("PATH")) : NULL;
	setenv("PATH", "/nonexistent-sitrep-test", 1);
	assert_false(journald_available());
	char *text = default_config_text();
	assert_null(strstr(text, "\"journald\""));
	free(text);
	if (saved != NULL) {
		setenv("PATH", saved, 1);
		free(saved);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture),
	    cmocka_unit_test(test_not_entries),
	    cmocka_unit_test(test_argv),
	    cmocka_unit_test(test_available_needs_journalctl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
