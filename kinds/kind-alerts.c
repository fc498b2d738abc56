/* kind-alerts: the alerts model (alerts.h) and its --once output. JSON follows
 * schema version 1 ({ "alerts": [ { name, severity, state, since, summary,
 * labels } ] }); "silenced", "inhibited" and "fingerprint" are compatible
 * additions. */
#include <stdlib.h>
#include <string.h>

#include "sitrep/alerts.h"
#include "sitrep/kind.h"
#include "sitrep/util.h"

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

const struct kind_ops kind_alerts = {
    .name = "alerts",
    .free = alerts_data_free,
    .to_json = kind_alerts_json,
    .print = kind_alerts_print,
};
