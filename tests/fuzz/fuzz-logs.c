/* fuzz-logs: what every log line goes through: the classifier (default
 * patterns, the level of each format logformat reads, JSON level fields, a
 * W3C source's #Fields: state across the input's lines), the
 * fingerprint mask, the timestamp
 * reader and the logstore (sanitize, ring, groups, Python tracebacks). The store is small so
 * lines and groups are evicted within one input. Lines are split at newlines
 * like the inputs do. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sitrep/kinds/logs.h"

static struct logclass *fuzz_logs_lc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_logs_lc == NULL) {
		char err[200];
		/* compiled once: PCRE2 JIT compiles are slow, and the patterns are config, not input */
		fuzz_logs_lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
		if (fuzz_logs_lc == NULL)
			abort();
	}
	struct logstore *st = logstore_new(8, 4, 128);
	unsigned src = logstore_add_source(st, "fuzz");
	const int64_t now = 1779300000000;
	const char *p = (const char *)data, *end = p + size;
	struct logw3c w3c = {0};
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl != NULL ? nl : end) - p);

		enum log_sev sev = logclass_classify(fuzz_logs_lc, p, len);
		if (sev != LOG_SEV_INFO && sev != LOG_SEV_WARN && sev != LOG_SEV_ERROR)
			abort();
		if (logclass_classify_in(fuzz_logs_lc, LOG_FORMAT_AUTO, &w3c, p, len) > LOG_SEV_ERROR ||
		    w3c.status > w3c.cols)
			abort();
		for (int f = 0; f < LOG_FORMAT_COUNT; f++) {
			enum log_sev fs;
			if (logformat_sev((enum log_format)f, p, len, &fs) && fs != LOG_SEV_INFO &&
			    fs != LOG_SEV_WARN && fs != LOG_SEV_ERROR)
				abort();
			if (logclass_classify_format(fuzz_logs_lc, (enum log_format)f, p, len) >
			    LOG_SEV_ERROR)
				abort();
		}
		char masked[256]; /* raw bytes: a NUL in the line stays one */
		size_t mlen = 0;
		(void)fingerprint_mask(p, len, masked, sizeof(masked), &mlen);
		if (mlen >= sizeof(masked) || masked[mlen] != '\0')
			abort();
		(void)logtime_parse(p, len, now);
		logstore_ingest(st, fuzz_logs_lc, src, 0, -1, p, len, false);
		logstore_ingest(st, NULL, src, now, LOG_SEV_ERROR, p, len, true);

		if (nl == NULL)
			break;
		p = nl + 1;
	}
	logstore_flush_traces(st, now + 10 * LOGSTORE_TRACE_IDLE_MS);
	for (size_t i = 0; i < logstore_nlines(st); i++)
		if (logstore_line(st, i)->text == NULL)
			abort();
	for (size_t i = 0; i < logstore_ngroups(st); i++)
		if (logstore_group(st, i)->fingerprint == NULL || logstore_group(st, i)->sample == NULL)
			abort();
	double hist[60];
	(void)logstore_errors_per_minute(st, now);
	logstore_errors_history(st, now, hist, 60);
	logstore_unref(st);
	return 0;
}
