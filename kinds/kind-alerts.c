/* kind-alerts: the alerts model (alerts.h) and its --once output. JSON follows
 * schema version 1 ({ "alerts": [ { name, severity, state, since, summary,
 * labels } ] }); "silenced", "inhibited" and "fingerprint" are compatible
 * additions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/action.h"
#include "sitrep/kinds/alerts.h"
#include "sitrep/core/app.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/kindjson.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

struct alerts_data *alerts_data_new(void)
{
	return xcalloc(1, sizeof(struct alerts_data));
}

void alerts_data_free(void *data)
{
	struct alerts_data *d = data;
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nalerts; i++) {
		struct alert *a = &d->alerts[i];
		free(a->name);
		free(a->severity);
		free(a->state);
		free(a->summary);
		free(a->fingerprint);
		for (size_t j = 0; j < a->nlabels; j++) {
			free(a->labels[j].name);
			free(a->labels[j].value);
		}
		free(a->labels);
	}
	free(d->alerts);
	free(d);
}

int alerts_severity_rank(const char *severity)
{
	static const char *const order[] = {"critical", "error", "warning", "info"};
	static const char *const alias[] = {"page", "major", "warn", "none"};
	for (size_t i = 0; severity != NULL && i < ARRAY_LEN(order); i++)
		if (strcasecmp(severity, order[i]) == 0 || strcasecmp(severity, alias[i]) == 0)
			return (int)i;
	return (int)ARRAY_LEN(order);
}

static int alerts_cmp(const void *pa, const void *pb)
{
	const struct alert *a = pa, *b = pb;
	int ra = alerts_severity_rank(a->severity), rb = alerts_severity_rank(b->severity);
	if (ra != rb)
		return ra - rb;
	if (a->since != b->since)
		return a->since > b->since ? -1 : 1; /* newest first */
	return strcmp(a->name, b->name);
}

void alerts_sort(struct alerts_data *d)
{
	qsort(d->alerts, d->nalerts, sizeof(*d->alerts), alerts_cmp);
}

static cJSON *kind_alerts_json(const void *data)
{
	const struct alerts_data *d = data;
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "alerts");
	for (size_t i = 0; d != NULL && i < d->nalerts; i++) {
		const struct alert *a = &d->alerts[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", a->name);
		cJSON_AddStringToObject(j, "severity", a->severity);
		cJSON_AddStringToObject(j, "state", a->state);
		if (a->since != 0) {
			char when[32];
			util_rfc3339(a->since, when, sizeof(when));
			cJSON_AddStringToObject(j, "since", when);
		} else {
			cJSON_AddNullToObject(j, "since");
		}
		cJSON_AddStringToObject(j, "summary", a->summary);
		cJSON *labels = cJSON_AddObjectToObject(j, "labels");
		for (size_t l = 0; l < a->nlabels; l++)
			cJSON_AddStringToObject(labels, a->labels[l].name, a->labels[l].value);
		cJSON_AddBoolToObject(j, "silenced", a->silenced);
		cJSON_AddBoolToObject(j, "inhibited", a->inhibited);
		cJSON_AddStringToObject(j, "fingerprint", a->fingerprint);
		cJSON_AddItemToArray(arr, j);
	}
	return o;
}

static void *kind_alerts_from_json(const cJSON *json)
{
	if (!cJSON_IsObject(json))
		return NULL;
	struct alerts_data *d = alerts_data_new();
	const cJSON *arr = kindjson_array(json, "alerts"), *j;
	size_t n = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0;
	d->alerts = n > 0 ? xcalloc(n, sizeof(*d->alerts)) : NULL;
	cJSON_ArrayForEach(j, arr)
	{
		struct alert *a = &d->alerts[d->nalerts++];
		a->name = kindjson_str(j, "name", "");
		a->severity = kindjson_str(j, "severity", "");
		a->state = kindjson_str(j, "state", "");
		a->summary = kindjson_str(j, "summary", "");
		a->fingerprint = kindjson_str(j, "fingerprint", "");
		a->since = (time_t)kindjson_time(j, "since");
		a->silenced = kindjson_bool(j, "silenced", false);
		a->inhibited = kindjson_bool(j, "inhibited", false);
		const cJSON *labels = kindjson_object(j, "labels"), *l;
		size_t nl = labels != NULL ? (size_t)cJSON_GetArraySize(labels) : 0;
		a->labels = nl > 0 ? xcalloc(nl, sizeof(*a->labels)) : NULL;
		cJSON_ArrayForEach(l, labels)
		{
			if (!cJSON_IsString(l) || l->valuestring == NULL || l->string == NULL)
				continue;
			a->labels[a->nlabels].name = sanitize_str(l->string);
			a->labels[a->nlabels].value = sanitize_str(l->valuestring);
			a->nlabels++;
		}
	}
	return d;
}

static void kind_alerts_print(const void *data, FILE *out)
{
	const struct alerts_data *d = data;
	time_t now = time(NULL);
	if (d->nalerts == 0)
		fprintf(out, "  no alerts firing\n");
	for (size_t i = 0; i < d->nalerts; i++) {
		const struct alert *a = &d->alerts[i];
		char age[16] = "-";
		if (a->since != 0)
			util_age(now > a->since ? (uint64_t)(now - a->since) * 1000 : 0, age, sizeof(age));
		fprintf(out, "  %-9s %-24s %5s  %s%s%s\n", a->severity[0] != '\0' ? a->severity : "-",
		        a->name, age, a->summary, a->silenced ? "  [silenced]" : "",
		        a->inhibited ? "  [inhibited]" : "");
	}
}

/* An alert is identified by its fingerprint; firing means active (not
 * silenced or inhibited). */
static bool kind_alerts_active(const struct alert *a)
{
	return !a->silenced && !a->inhibited;
}

static const struct alert *kind_alerts_by_fp(const struct alerts_data *d, const char *fp)
{
	for (size_t i = 0; d != NULL && i < d->nalerts; i++)
		if (strcmp(d->alerts[i].fingerprint, fp) == 0)
			return &d->alerts[i];
	return NULL;
}

static void kind_alerts_diff(struct source *src, const void *old, const void *now)
{
	const struct alerts_data *o = old, *n = now;
	for (size_t i = 0; n != NULL && i < n->nalerts; i++) {
		const struct alert *a = &n->alerts[i];
		const struct alert *before = kind_alerts_by_fp(o, a->fingerprint);
		if (kind_alerts_active(a) && (before == NULL || !kind_alerts_active(before)))
			app_state(src->app, src, "alert_firing",
			          alerts_severity_rank(a->severity) <= 1 ? EVENT_CRIT : EVENT_WARN, a->name,
			          a->fingerprint, "%s firing (%s): %s", a->name,
			          a->severity[0] != '\0' ? a->severity : "no severity", a->summary);
	}
	for (size_t i = 0; o != NULL && i < o->nalerts; i++) {
		const struct alert *a = &o->alerts[i];
		const struct alert *after = kind_alerts_by_fp(n, a->fingerprint);
		if (kind_alerts_active(a) && (after == NULL || !kind_alerts_active(after)))
			app_state(src->app, src, "alert_resolved", EVENT_OK, a->name, a->fingerprint, "%s %s",
			          a->name,
			          after == NULL     ? "resolved"
			          : after->silenced ? "silenced"
			                            : "inhibited");
	}
}

static char *kind_alerts_hint(const void *data)
{
	const struct alerts_data *d = data;
	size_t firing = 0;
	const struct alert *top = NULL;
	for (size_t i = 0; d != NULL && i < d->nalerts; i++) {
		if (!kind_alerts_active(&d->alerts[i]))
			continue;
		if (top == NULL)
			top = &d->alerts[i]; /* sorted: the most severe, newest first */
		firing++;
	}
	if (firing == 0)
		return NULL;
	return firing == 1 ? xasprintf("alert %s firing", top->name)
	                   : xasprintf("%zu alerts firing, %s first", firing, top->name);
}

/* A firing critical (or page, error) alert is crit, any other firing one warn. */
static enum level kind_alerts_level(const void *data)
{
	const struct alerts_data *d = data;
	enum level worst = LEVEL_OK;
	for (size_t i = 0; d != NULL && i < d->nalerts; i++) {
		if (!kind_alerts_active(&d->alerts[i]))
			continue;
		enum level l = alerts_severity_rank(d->alerts[i].severity) <= 1 ? LEVEL_CRIT : LEVEL_WARN;
		if (l > worst)
			worst = l;
	}
	return worst;
}

/* `sitrep do silence ALERTNAME [--for DURATION]`: every instance of the
 * alert, by its name. */
static int kind_alerts_silence_parse(struct action *a, const struct verb_args *args, char *err, size_t cap)
{
	const char *name = verb_args_get(args, "ALERTNAME");
	const char *duration = verb_args_get(args, "--for");
	double secs = 2 * 3600;
	if (duration != NULL && (secs = action_parse_duration(duration)) <= 0) {
		char *shown = sanitize_str(duration);
		snprintf(err, cap, "bad duration '%s' (examples: 30m, 2h, 1d; at most 366d)", shown);
		free(shown);
		return -1;
	}
	free(a->target);
	a->target = xstrdup(name);
	a->duration_s = secs;
	action_add_param(a, "alertname", name);
	free(a->comment);
	a->comment = xstrdup("silenced with sitrep do silence");
	return 0;
}

static char *kind_alerts_silence_describe(const struct action *a)
{
	char *target = sanitize_str(a->target);
	char dur[32];
	util_duration(a->duration_s, dur, sizeof(dur));
	char *out = xasprintf("silence %s for %s", target, dur);
	free(target);
	for (size_t i = 0; i < a->nparams; i++) {
		char *n = sanitize_str(a->params[i].name);
		char *val = sanitize_str(a->params[i].value);
		char *next = xasprintf("%s\n  %s=\"%s\"", out, n, val);
		free(n);
		free(val);
		free(out);
		out = next;
	}
	return out;
}

static const struct verb_arg kind_alerts_silence_args[] = {
    {.name = "ALERTNAME", .required = true, .help = "every instance of the alert with this name"},
    {.name = "--for", .value = "DURATION", .help = "how long (30m, 2h, 1d; default 2h)"},
};

const struct verb kind_alerts_silence = {
    .name = "silence",
    .key = "s",
    .help = "silence the selected alert",
    .args = kind_alerts_silence_args,
    .nargs = ARRAY_LEN(kind_alerts_silence_args),
    .confirm = VERB_CONFIRM_Y,
    .cli = true,
    .parse = kind_alerts_silence_parse,
    .describe = kind_alerts_silence_describe,
};

static const struct verb *const kind_alerts_verbs[] = {&kind_alerts_silence};

const struct kind_ops kind_alerts = {
    .name = "alerts",
    .hint_rank = 50,
    .free = alerts_data_free,
    .to_json = kind_alerts_json,
    .from_json = kind_alerts_from_json,
    .print = kind_alerts_print,
    .diff = kind_alerts_diff,
    .hint = kind_alerts_hint,
    .level = kind_alerts_level,
    .verbs = kind_alerts_verbs,
    .nverbs = ARRAY_LEN(kind_alerts_verbs),
};
