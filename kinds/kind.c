/* kind: the table of pane kinds and their data models. Kinds without a model
 * yet (cdn, deploys until their sources exist) use kind_empty. */
#include <string.h>

#include "sitrep/alerts.h"
#include "sitrep/kind.h"
#include "sitrep/util.h"

static void kind_empty_free(void *data)
{
	(void)data;
}

static cJSON *kind_empty_json(const void *data)
{
	(void)data;
	return cJSON_CreateObject();
}

/* Until their sources exist, cdn and deploys panes answer with the empty shape
 * of their schema. */
static cJSON *kind_cdn_json(const void *data)
{
	(void)data;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNullToObject(o, "provider");
	cJSON_AddNullToObject(o, "hit_ratio");
	cJSON_AddArrayToObject(o, "assets");
	return o;
}

static cJSON *kind_deploys_json(const void *data)
{
	(void)data;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNullToObject(o, "current");
	cJSON_AddArrayToObject(o, "deploys");
	return o;
}

static void kind_empty_print(const void *data, FILE *out)
{
	(void)data;
	(void)out;
}

static const struct kind_ops kind_cdn = {
	.name = "cdn", .free = kind_empty_free, .to_json = kind_cdn_json, .print = kind_empty_print};
static const struct kind_ops kind_deploys = {
	.name = "deploys", .free = kind_empty_free, .to_json = kind_deploys_json, .print = kind_empty_print};
const struct kind_ops kind_empty = {
	.name = "empty", .free = kind_empty_free, .to_json = kind_empty_json, .print = kind_empty_print};

static const struct kind_ops *const kind_table[] = {
	&kind_metrics,
	&kind_cdn,
	&kind_deploys,
	&kind_logs,
	&kind_alerts,
};

const struct kind_ops *kind_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(kind_table); i++)
		if (strcmp(kind_table[i]->name, name) == 0)
			return kind_table[i];
	return NULL;
}

const char *kind_names(void)
{
	static char names[256];
	if (names[0] == '\0') {
		for (size_t i = 0; i < ARRAY_LEN(kind_table); i++) {
			if (i > 0)
				strncat(names, ", ", sizeof(names) - strlen(names) - 1);
			strncat(names, kind_table[i]->name, sizeof(names) - strlen(names) - 1);
		}
	}
	return names;
}
