/* fuzz-checks: the judge of an HTTP check's answer (kinds/kind-checks.c):
 * the body comes from the checked server, whole or cut (only its first part
 * read), and is searched for the config's text and regexes, one of them a
 * pattern that backtracks on a crafted body. Invariants: the verdict on the
 * text is exactly whether the body holds it; a reason is one inert line
 * that quotes the config, never the body; the regex gives up within its
 * match limit instead of running away (libFuzzer's -timeout catches that). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sitrep/kinds/checks.h"

static struct check_expect fuzz_checks_expect[4];
static bool fuzz_checks_ready;

static void fuzz_checks_init(void)
{
	static const char *const patterns[] = {"\"status\": *\"up\"", "^(a+)+$", "(?i)book\\s+now", NULL};
	char err[200];
	for (size_t i = 0; i < 4; i++) {
		fuzz_checks_expect[i].status = i == 3 ? 200 : 0;
		fuzz_checks_expect[i].text = i % 2 == 1 ? strdup("Book now") : NULL;
		fuzz_checks_expect[i].max_latency_ms = 300;
		if (patterns[i] != NULL &&
		    checks_expect_regex(&fuzz_checks_expect[i], patterns[i], err, sizeof(err)) != 0)
			abort();
	}
	fuzz_checks_ready = true;
}

static void fuzz_checks_reason(const char *reason)
{
	for (const unsigned char *p = (const unsigned char *)reason; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
	/* the reason's words are the judge's own: a status, a latency or a config text */
	if (strncmp(reason, "status ", 7) != 0 && strstr(reason, " ms > ") == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_checks_ready)
		fuzz_checks_init();
	const char *body = (const char *)data;
	long status = size > 1 ? 100 + (data[0] << 8 | data[1]) % 500 : 200;
	for (size_t i = 0; i < 4; i++) {
		const struct check_expect *e = &fuzz_checks_expect[i];
		char *reason = NULL;
		bool cut = (size + i) % 2 == 1;
		bool ok = checks_judge(e, true, status, body, size, cut, 12.5 * (double)i * 10, &reason);
		if (ok != (reason == NULL))
			abort();
		if (reason != NULL)
			fuzz_checks_reason(reason);
		/* the text verdict is exactly the body's */
		bool status_ok = e->status != 0 ? status == e->status : status < 400;
		bool has = e->text == NULL || memmem(body, size, e->text, strlen(e->text)) != NULL;
		if (ok && (!status_ok || !has))
			abort();
		if (status_ok && !has && (reason == NULL || strstr(reason, "missing") == NULL))
			abort();
		free(reason);
		/* a TCP check is judged on its latency only */
		ok = checks_judge(e, false, 0, body, size, false, 1.0, &reason);
		if (!ok || reason != NULL)
			abort();
	}
	return 0;
}
