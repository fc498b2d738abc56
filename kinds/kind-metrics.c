/* kind-metrics: --once output of the metrics model. JSON follows schema
 * version 1; "detail", "value_text", "cores" and "top" are compatible additions
 * (documented in docs/json-output.md). */
#include <math.h>
#include <string.h>

#include "sitrep/kind.h"
#include "sitrep/metrics.h"
#include "sitrep/util.h"

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

const struct kind_ops kind_metrics = {
	.name = "metrics",
	.free = metrics_data_free,
	.to_json = kind_metrics_json,
	.print = kind_metrics_print,
};
