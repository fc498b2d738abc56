/* kind-metrics: --once output of the metrics model. JSON follows schema
 * version 1; "detail", "value_text", "cores" and "top" are compatible additions
 * (documented in docs/json-output.md). */
#include <math.h>
#include <string.h>

#include <stdlib.h>

#include "sitrep/core/app.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/kindjson.h"
#include "sitrep/kinds/metrics.h"
#include "sitrep/core/action.h"
#include "sitrep/core/sanitize.h"
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
	if (s->has_warn)
		cJSON_AddNumberToObject(o, "warn", s->warn);
	if (s->has_crit)
		cJSON_AddNumberToObject(o, "crit", s->crit);
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

static enum level kind_metrics_level_from(const char *name)
{
	static const enum level all[] = {LEVEL_OK, LEVEL_WARN, LEVEL_CRIT};
	for (size_t i = 0; name != NULL && i < ARRAY_LEN(all); i++)
		if (strcmp(metrics_level_name(all[i]), name) == 0)
			return all[i];
	return LEVEL_UNKNOWN;
}

/* A non-finite value travels as null plus "value_text". */
static double kind_metrics_value_from(const cJSON *o)
{
	char *text = kindjson_str(o, "value_text", NULL);
	double v = NAN;
	if (text != NULL && strcmp(text, "+Inf") == 0)
		v = INFINITY;
	else if (text != NULL && strcmp(text, "-Inf") == 0)
		v = -INFINITY;
	free(text);
	return kindjson_num(o, "value", v);
}

static void *kind_metrics_from_json(const cJSON *json)
{
	if (!cJSON_IsObject(json))
		return NULL;
	struct metrics_data *m = metrics_data_new();
	const cJSON *j;
	cJSON_ArrayForEach(j, kindjson_array(json, "series"))
	{
		char *name = kindjson_str(j, "name", ""), *unit = kindjson_str(j, "unit", "");
		struct metric_series *s = metrics_add_series(m, name, unit);
		free(name);
		free(unit);
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(j, "value");
		s->has_value = (value != NULL && !cJSON_IsNull(value)) ||
		               cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "value_text"));
		s->value = s->has_value ? kind_metrics_value_from(j) : NAN;
		char *status = kindjson_str(j, "status", NULL);
		s->status = kind_metrics_level_from(status);
		free(status);
		const cJSON *l;
		cJSON_ArrayForEach(l, kindjson_object(j, "labels"))
		{
			if (cJSON_IsString(l) && l->valuestring != NULL && l->string != NULL)
				metrics_add_label(s, l->string, l->valuestring);
		}
		s->history = kindjson_doubles(j, "history", 100000, &s->nhistory);
		s->detail = kindjson_str(j, "detail", NULL);
		s->error = kindjson_str(j, "error", NULL);
		s->has_warn = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "warn"));
		s->warn = kindjson_num(j, "warn", 0);
		s->has_crit = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "crit"));
		s->crit = kindjson_num(j, "crit", 0);
	}
	m->cores = kindjson_doubles(json, "cores", 4096, &m->ncores);
	const cJSON *top = kindjson_array(json, "top");
	size_t n = top != NULL ? (size_t)cJSON_GetArraySize(top) : 0;
	m->procs = n > 0 ? xcalloc(n, sizeof(*m->procs)) : NULL;
	cJSON_ArrayForEach(j, top)
	{
		struct metric_proc *p = &m->procs[m->nprocs++];
		p->pid = (int)kindjson_num(j, "pid", 0);
		p->name = kindjson_str(j, "name", "");
		p->cpu = kindjson_num(j, "cpu", 0);
		double rss = kindjson_num(j, "rss", 0);
		p->rss = rss > 0 ? (uint64_t)rss : 0;
	}
	return m;
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

/* The worst series; a series without a value says nothing either way. */
static enum level kind_metrics_level(const void *data)
{
	const struct metrics_data *m = data;
	enum level worst = LEVEL_OK;
	for (size_t i = 0; m != NULL && i < m->nseries; i++)
		if (m->series[i].status > worst)
			worst = m->series[i].status;
	return worst;
}

/* "SIGTERM process 4711 (sleep)": the process from the action's target
 * (its pid) and the display words the pane put in its "name" argument;
 * the exact signal and checks are the source's (procfs-proc.c). */
static char *kind_metrics_signal_describe(const struct action *a, const char *sig)
{
	const char *name = action_param(a, "name");
	char *t = sanitize_str(a->target != NULL ? a->target : "?");
	char *n = name != NULL ? sanitize_str(name) : NULL;
	char *out = xasprintf("send %s to process %s%s%s%s", sig, t, n != NULL ? " (" : "",
	                      n != NULL ? n : "", n != NULL ? ")" : "");
	free(t);
	free(n);
	return out;
}

static char *kind_metrics_terminate_describe(const struct action *a)
{
	return kind_metrics_signal_describe(a, "SIGTERM");
}

static char *kind_metrics_kill_describe(const struct action *a)
{
	return kind_metrics_signal_describe(a, "SIGKILL");
}

/* The host pane's processes. "terminate" is the database's word and key too
 * (K ends what the selected row runs: a session there, a process here); the
 * focused pane's kind's verb of that word is the one a key means. */
const struct verb kind_metrics_terminate = {
    .name = "terminate",
    .key = "K",
    .help = "on the host pane: SIGTERM the selected process",
    .confirm = VERB_CONFIRM_Y,
    .noun = "process",
    .nouns = "processes",
    .cli = false,
    .describe = kind_metrics_terminate_describe,
};

const struct verb kind_metrics_kill = {
    .name = "kill",
    .key = "X",
    .help = "on the host pane: SIGKILL the selected process (type its pid)",
    .confirm = VERB_CONFIRM_TYPED,
    .noun = "process",
    .nouns = "processes",
    .cli = false,
    .describe = kind_metrics_kill_describe,
};

static const struct verb *const kind_metrics_verbs[] = {&kind_metrics_terminate, &kind_metrics_kill};

const struct kind_ops kind_metrics = {
    .name = "metrics",
    .hint_rank = 70,
    .free = metrics_data_free,
    .to_json = kind_metrics_json,
    .from_json = kind_metrics_from_json,
    .print = kind_metrics_print,
    .diff = kind_metrics_diff,
    .hint = kind_metrics_hint,
    .level = kind_metrics_level,
    .verbs = kind_metrics_verbs,
    .nverbs = ARRAY_LEN(kind_metrics_verbs),
};
