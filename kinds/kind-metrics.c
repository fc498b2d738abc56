/* kind-metrics: --once output of the metrics model. JSON follows schema
 * version 1; "detail", "value_text", "cores" and "top" are compatible additions
 * (documented in docs/json-output.md). */
#include <math.h>
#include <string.h>

#include <stdlib.h>

#include "sitrep/core/app.h"
#include "sitrep/core/kind.h"
#include "sitrep/kinds/metrics.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

static cJSON *kind_metrics_number(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static const char *kind_metrics_nonfinite(double v)
{
	if (isnan(v))
		return "NaN";
	return v > 0 ? "+Inf" : "-Inf";
}

static cJSON *kind_metrics_series(const struct metric_series *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddItemToObject(o, "value", s->has_value ? kind_metrics_number(s->value) : cJSON_CreateNull());
	if (s->has_value && !isfinite(s->value))
		cJSON_AddStringToObject(o, "value_text", kind_metrics_nonfinite(s->value));
	cJSON_AddStringToObject(o, "unit", s->unit);
	cJSON_AddStringToObject(o, "status", metrics_level_name(s->status));
	cJSON *labels = cJSON_AddObjectToObject(o, "labels");
	for (size_t i = 0; i < s->nlabels; i++)
		cJSON_AddStringToObject(labels, s->labels[i].name, s->labels[i].value);
	cJSON *hist = cJSON_AddArrayToObject(o, "history");
	for (size_t i = 0; i < s->nhistory; i++)
		cJSON_AddItemToArray(hist, kind_metrics_number(s->history[i]));
	if (s->detail != NULL)
		cJSON_AddStringToObject(o, "detail", s->detail);
	if (s->error != NULL)
		cJSON_AddStringToObject(o, "error", s->error);
	else
		cJSON_AddNullToObject(o, "error");
	return o;
}

static cJSON *kind_metrics_json(const void *data)
{
	const struct metrics_data *m = data;
	cJSON *o = cJSON_CreateObject();
	cJSON *series = cJSON_AddArrayToObject(o, "series");
	if (m == NULL)
		return o;
	for (size_t i = 0; i < m->nseries; i++)
		cJSON_AddItemToArray(series, kind_metrics_series(&m->series[i]));
	if (m->ncores > 0) {
		cJSON *cores = cJSON_AddArrayToObject(o, "cores");
		for (size_t i = 0; i < m->ncores; i++)
			cJSON_AddItemToArray(cores, kind_metrics_number(m->cores[i]));
	}
	if (m->nprocs > 0) {
		cJSON *top = cJSON_AddArrayToObject(o, "top");
		for (size_t i = 0; i < m->nprocs; i++) {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddNumberToObject(p, "pid", m->procs[i].pid);
			cJSON_AddStringToObject(p, "name", m->procs[i].name);
			cJSON_AddNumberToObject(p, "cpu", m->procs[i].cpu);
			cJSON_AddNumberToObject(p, "rss", (double)m->procs[i].rss);
			cJSON_AddItemToArray(top, p);
		}
	}
	return o;
}

static void kind_metrics_print(const void *data, FILE *out)
{
	const struct metrics_data *m = data;
	for (size_t i = 0; i < m->nseries; i++) {
		const struct metric_series *s = &m->series[i];
		fprintf(out, "  %-16s ", s->name);
		if (!s->has_value)
			fprintf(out, "%-12s", "-");
		else if (!isfinite(s->value))
			fprintf(out, "%-12s", kind_metrics_nonfinite(s->value));
		else if (strcmp(s->unit, "B/s") == 0 || strcmp(s->unit, "B") == 0) {
			char human[16];
			util_bytes(s->value, human, sizeof(human));
			fprintf(out, "%10s%-2s", human, s->unit[1] == '/' ? "/s" : "");
		} else
			fprintf(out, "%10.2f%-2s", s->value, s->unit);
		fprintf(out, " %-7s", metrics_level_name(s->status));
		for (size_t l = 0; l < s->nlabels; l++)
			fprintf(out, " %s=%s", s->labels[l].name, s->labels[l].value);
		if (s->detail != NULL)
			fprintf(out, "  %s", s->detail);
		if (s->error != NULL)
			fprintf(out, "  error: %s", s->error);
		fputc('\n', out);
	}
	for (size_t i = 0; i < m->nprocs; i++) {
		char rss[16];
		util_bytes((double)m->procs[i].rss, rss, sizeof(rss));
		fprintf(out, "  top %7d %-16s %6.1f%% %8s\n", m->procs[i].pid, m->procs[i].name,
		        m->procs[i].cpu, rss);
	}
}

/* A series' identity across refreshes: its name and labels. */
static bool kind_metrics_same(const struct metric_series *a, const struct metric_series *b)
{
	if (strcmp(a->name, b->name) != 0 || a->nlabels != b->nlabels)
		return false;
	for (size_t i = 0; i < a->nlabels; i++)
		if (strcmp(a->labels[i].name, b->labels[i].name) != 0 ||
		    strcmp(a->labels[i].value, b->labels[i].value) != 0)
			return false;
	return true;
}

static void kind_metrics_value_text(const struct metric_series *s, char *buf, size_t cap)
{
	if (!s->has_value || !isfinite(s->value))
		snprintf(buf, cap, "no value");
	else if (strcmp(s->unit, "B/s") == 0 || strcmp(s->unit, "B") == 0)
		util_bytes(s->value, buf, cap);
	else
		snprintf(buf, cap, "%.1f%s%s", s->value, s->unit[0] != '\0' && s->unit[0] != '%' ? " " : "",
		         s->unit);
}

/* A series whose status moved between ok, warn and crit is an event; a
 * series first seen in warn or crit is one too (the state sitrep found). */
static void kind_metrics_diff(struct source *src, const void *old, const void *now)
{
	const struct metrics_data *o = old, *n = now;
	for (size_t i = 0; n != NULL && i < n->nseries; i++) {
		const struct metric_series *s = &n->series[i];
		if (s->status == LEVEL_UNKNOWN)
			continue;
		enum level before = LEVEL_OK;
		bool seen = false;
		/* series keep their order from one refresh to the next: the same
		 * index first, a search only when it moved (no n x m per refresh) */
		const struct metric_series *was =
		    o != NULL && i < o->nseries && kind_metrics_same(&o->series[i], s) ? &o->series[i] : NULL;
		for (size_t j = 0; was == NULL && o != NULL && j < o->nseries; j++)
			if (kind_metrics_same(&o->series[j], s))
				was = &o->series[j];
		if (was != NULL) {
			before = was->status;
			seen = true;
		}
		if (before == LEVEL_UNKNOWN || s->status == before || (!seen && s->status == LEVEL_OK))
			continue;
		char value[32];
		kind_metrics_value_text(s, value, sizeof(value));
		enum event_level lv = s->status == LEVEL_CRIT   ? EVENT_CRIT
		                      : s->status == LEVEL_WARN ? EVENT_WARN
		                                                : EVENT_OK;
		char *who = s->nlabels > 0
		                ? xasprintf("%s{%s=%s}", s->name, s->labels[0].name, s->labels[0].value)
		                : xstrdup(s->name);
		if (s->status == LEVEL_CRIT || s->status == LEVEL_WARN)
			app_state(src->app, src, "status", lv, who, metrics_level_name(s->status),
			          "%s %s: %s (%s at %g)", who, metrics_level_name(s->status), value,
			          s->status == LEVEL_CRIT ? "crit" : "warn",
			          s->status == LEVEL_CRIT ? s->crit : s->warn);
		else
			app_state(src->app, src, "status", lv, who, metrics_level_name(s->status),
			          "%s back to %s: %s", who, metrics_level_name(s->status), value);
		free(who);
	}
}

static char *kind_metrics_hint(const void *data)
{
	const struct metrics_data *m = data;
	const struct metric_series *worst = NULL;
	for (size_t i = 0; m != NULL && i < m->nseries; i++) {
		const struct metric_series *s = &m->series[i];
		if ((s->status == LEVEL_CRIT || s->status == LEVEL_WARN) &&
		    (worst == NULL || s->status > worst->status))
			worst = s;
	}
	if (worst == NULL)
		return NULL;
	char value[32];
	kind_metrics_value_text(worst, value, sizeof(value));
	return xasprintf("%s %s %s", worst->name, metrics_level_name(worst->status), value);
}

const struct kind_ops kind_metrics = {
    .name = "metrics",
    .free = metrics_data_free,
    .to_json = kind_metrics_json,
    .print = kind_metrics_print,
    .diff = kind_metrics_diff,
    .hint = kind_metrics_hint,
};
