/* kind-logs: the logs pane's data model as the rest of sitrep sees it. The
 * data is the logs source's live logstore (reference counted); this file frees
 * it and writes it as --once text and JSON (schema version 1, plus additive
 * "new", "counts" and "errors_history" members, and a group's "event" and
 * "root_cause" when its latest occurrence was a multi-line event). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/core/kind.h"
#include "sitrep/core/kindjson.h"
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
		/* additive: the latest event's lines when it was a multi-line one */
		if (g->event != NULL)
			cJSON_AddStringToObject(o, "event", g->event);
		if (g->cause != NULL)
			cJSON_AddStringToObject(o, "root_cause", g->cause);
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

static int kind_logs_sev_from(const cJSON *o)
{
	char *name = kindjson_str(o, "severity", "");
	int sev = strcmp(name, "error") == 0  ? LOG_SEV_ERROR
	          : strcmp(name, "warn") == 0 ? LOG_SEV_WARN
	                                      : LOG_SEV_INFO;
	free(name);
	return sev;
}

/* The index of the source named in o; names holds the ones added so far. */
static unsigned kind_logs_source_from(struct logstore *st, char ***names, size_t *n, const cJSON *o)
{
	char *name = kindjson_str(o, "source", "?");
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*names)[i], name) == 0) {
			free(name);
			return (unsigned)i;
		}
	if (*n >= 65535) {
		free(name);
		return 0;
	}
	*names = xrealloc(*names, (*n + 1) * sizeof(**names));
	(*names)[(*n)++] = name;
	return logstore_add_source(st, name);
}

/* Times travel in whole seconds; groups are ordered by their last line's
 * time, so the ones of one second keep their order by a few ms each. */
static void *kind_logs_from_json(const cJSON *json)
{
	if (!cJSON_IsObject(json))
		return NULL;
	const cJSON *groups = kindjson_array(json, "groups"), *lines = kindjson_array(json, "lines"), *j;
	size_t ng = groups != NULL ? (size_t)cJSON_GetArraySize(groups) : 0;
	size_t nl = lines != NULL ? (size_t)cJSON_GetArraySize(lines) : 0;
	struct logstore *st = logstore_new(nl > 0 ? nl : 1, ng > 0 ? ng : 1, 0);
	int64_t deploy_ms = 0;
	size_t i = 0, nnames = 0;
	char **names = NULL;
	cJSON_ArrayForEach(j, groups)
	{
		char *fp = kindjson_str(j, "fingerprint", ""), *sample = kindjson_str(j, "sample", "");
		double count = kindjson_num(j, "count", 0);
		struct logstore_restored r = {
		    .fingerprint = fp,
		    .text = sample,
		    .source = kind_logs_source_from(st, &names, &nnames, j),
		    .sev = kind_logs_sev_from(j),
		    .count = count > 0 ? (uint64_t)count : 0,
		    .first_ms = kindjson_time(j, "first_seen") * 1000,
		    .last_ms = kindjson_time(j, "last_seen") * 1000 + 999 - (int64_t)(i < 999 ? i : 999),
		};
		if (kindjson_bool(j, "new", false) && (deploy_ms == 0 || r.first_ms < deploy_ms))
			deploy_ms = r.first_ms > 0 ? r.first_ms : 1;
		logstore_restore_group(st, &r);
		free(fp);
		free(sample);
		i++;
	}
	logstore_set_deploy_time(st, deploy_ms);
	cJSON_ArrayForEach(j, lines)
	{
		char *text = kindjson_str(j, "text", "");
		struct logstore_restored r = {.text = text,
		                              .source = kind_logs_source_from(st, &names, &nnames, j),
		                              .sev = kind_logs_sev_from(j),
		                              .first_ms = kindjson_time(j, "time") * 1000};
		logstore_restore_line(st, &r);
		free(text);
	}
	const cJSON *c = kindjson_object(json, "counts");
	struct logstore_stats stats = {
	    .lines = (uint64_t)kindjson_num(c, "lines", 0),
	    .errors = (uint64_t)kindjson_num(c, "errors", 0),
	    .warnings = (uint64_t)kindjson_num(c, "warnings", 0),
	    .lines_evicted = (uint64_t)kindjson_num(c, "lines_evicted", 0),
	    .groups_evicted = (uint64_t)kindjson_num(c, "groups_evicted", 0),
	    .cut = (uint64_t)kindjson_num(c, "cut", 0),
	};
	size_t nh;
	double *hist = kindjson_doubles(json, "errors_history", 60, &nh);
	logstore_restore_rates(st, kind_logs_now(), kindjson_num(json, "errors_per_minute", 0), hist, nh,
	                       &stats);
	free(hist);
	for (size_t k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	return st;
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
		return xasprintf("%.0f errors/min, %zu new error group%s since the deploy", epm, fresh,
		                 fresh == 1 ? "" : "s");
	if (epm >= 1)
		return xasprintf("%.0f errors/min", epm);
	return NULL;
}

/* New error groups since the deploy are crit (the deploy broke something);
 * errors at a rate of one a minute or more are warn. */
static enum level kind_logs_level(const void *data)
{
	struct logstore *st = (struct logstore *)data;
	for (size_t i = 0; logstore_deploy_time(st) > 0 && i < logstore_ngroups(st); i++) {
		const struct log_group *g = logstore_group(st, i);
		if (g->sev == LOG_SEV_ERROR && logstore_group_is_new(st, g))
			return LEVEL_CRIT;
	}
	return logstore_errors_per_minute(st, kind_logs_now()) >= 1 ? LEVEL_WARN : LEVEL_OK;
}

const struct kind_ops kind_logs = {
    .name = "logs",
    .hint_rank = 60,
    .default_source = "logs",
    .free = logstore_unref,
    .to_json = kind_logs_json,
    .from_json = kind_logs_from_json,
    .print = kind_logs_print,
    .hint = kind_logs_hint,
    .level = kind_logs_level,
};
