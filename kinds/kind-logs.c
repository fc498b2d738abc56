/* kind-logs: the logs pane's data model as the rest of sitrep sees it. The
 * data is the logs source's live logstore (reference counted); this file frees
 * it and writes it as --once text and JSON (schema version 1, plus additive
 * "new", "counts" and "errors_history" members). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sitrep/core/kind.h"
#include "sitrep/kinds/logs.h"
#include "sitrep/core/util.h"

static int64_t kind_logs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void kind_logs_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[32];
	util_rfc3339((time_t)(ms / 1000), buf, sizeof(buf));
	cJSON_AddStringToObject(o, key, buf);
}

static cJSON *kind_logs_json(const void *data)
{
	/* The views sort lazily, so reading needs the non-const store. */
	struct logstore *st = (struct logstore *)data;
	cJSON *root = cJSON_CreateObject();
	if (st == NULL) {
		cJSON_AddArrayToObject(root, "groups");
		cJSON_AddArrayToObject(root, "lines");
		cJSON_AddNumberToObject(root, "errors_per_minute", 0);
		return root;
	}
	cJSON *groups = cJSON_AddArrayToObject(root, "groups");
	for (size_t i = 0; i < logstore_ngroups(st); i++) {
		const struct log_group *g = logstore_group(st, i);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "fingerprint", g->fingerprint);
		cJSON_AddStringToObject(o, "severity", log_sev_name(g->sev));
		cJSON_AddNumberToObject(o, "count", (double)g->count);
		kind_logs_time(o, "first_seen", g->first_ms);
		kind_logs_time(o, "last_seen", g->last_ms);
		cJSON_AddStringToObject(o, "sample", g->sample);
		cJSON_AddStringToObject(o, "source", logstore_source_name(st, g->source));
		cJSON_AddBoolToObject(o, "new", logstore_group_is_new(st, g));
		cJSON_AddItemToArray(groups, o);
	}
	cJSON *lines = cJSON_AddArrayToObject(root, "lines");
	for (size_t i = 0; i < logstore_nlines(st); i++) {
		const struct log_line *l = logstore_line(st, i);
		cJSON *o = cJSON_CreateObject();
		kind_logs_time(o, "time", l->time_ms);
		cJSON_AddStringToObject(o, "severity", log_sev_name(l->sev));
		cJSON_AddStringToObject(o, "source", logstore_source_name(st, l->source));
		cJSON_AddStringToObject(o, "text", l->text);
		cJSON_AddItemToArray(lines, o);
	}
	int64_t now = kind_logs_now();
	cJSON_AddNumberToObject(root, "errors_per_minute", logstore_errors_per_minute(st, now));
	double hist[60];
	logstore_errors_history(st, now, hist, 60);
	cJSON_AddItemToObject(root, "errors_history", cJSON_CreateDoubleArray(hist, 60));
	const struct logstore_stats *s = logstore_stats(st);
	cJSON *c = cJSON_AddObjectToObject(root, "counts");
	cJSON_AddNumberToObject(c, "lines", (double)s->lines);
	cJSON_AddNumberToObject(c, "errors", (double)s->errors);
	cJSON_AddNumberToObject(c, "warnings", (double)s->warnings);
	cJSON_AddNumberToObject(c, "lines_evicted", (double)s->lines_evicted);
	cJSON_AddNumberToObject(c, "groups_evicted", (double)s->groups_evicted);
	cJSON_AddNumberToObject(c, "cut", (double)s->cut);
	return root;
}

static void kind_logs_print(const void *data, FILE *out)
{
	struct logstore *st = (struct logstore *)data;
	const struct logstore_stats *s = logstore_stats(st);
	fprintf(out, "  %llu lines, %llu errors, %llu warnings, %.0f errors/min\n",
	        (unsigned long long)s->lines, (unsigned long long)s->errors, (unsigned long long)s->warnings,
	        logstore_errors_per_minute(st, kind_logs_now()));
	size_t n = logstore_ngroups(st);
	for (size_t i = 0; i < n && i < 20; i++) {
		const struct log_group *g = logstore_group(st, i);
		char first[32], last[32];
		util_rfc3339((time_t)(g->first_ms / 1000), first, sizeof(first));
		util_rfc3339((time_t)(g->last_ms / 1000), last, sizeof(last));
		fprintf(out, "  %-5s %6llu  %s .. %s  %s%s: %s\n", log_sev_name(g->sev),
		        (unsigned long long)g->count, first, last, logstore_group_is_new(st, g) ? "NEW " : "",
		        logstore_source_name(st, g->source), g->sample);
	}
	if (n > 20)
		fprintf(out, "  ... %zu more groups\n", n - 20);
}

/* Errors now, and how many groups are new since the deploy. */
static char *kind_logs_hint(const void *data)
{
	struct logstore *st = (struct logstore *)data;
	double epm = logstore_errors_per_minute(st, kind_logs_now());
	size_t fresh = 0;
	for (size_t i = 0; logstore_deploy_time(st) > 0 && i < logstore_ngroups(st); i++) {
		const struct log_group *g = logstore_group(st, i);
		fresh += g->sev == LOG_SEV_ERROR && logstore_group_is_new(st, g);
	}
	if (fresh > 0)
		return xasprintf("%.0f errors/min, %zu new error group%s since the deploy", epm, fresh, fresh == 1 ? "" : "s");
	if (epm >= 1)
		return xasprintf("%.0f errors/min", epm);
	return NULL;
}

const struct kind_ops kind_logs = {
    .name = "logs",
    .default_source = "logs",
    .free = logstore_unref,
    .to_json = kind_logs_json,
    .print = kind_logs_print,
    .hint = kind_logs_hint,
};
