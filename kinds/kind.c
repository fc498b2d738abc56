/* kind: the table of pane kinds, and the lookups over their verbs that the
 * CLI, the key map, the config and the help overlay share. kind_empty serves
 * the note source, whose panes have no data model. */
#include <string.h>

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

static void kind_empty_print(const void *data, FILE *out)
{
	(void)data;
	(void)out;
}

const struct kind_ops kind_empty = {
    .name = "empty", .free = kind_empty_free, .to_json = kind_empty_json, .print = kind_empty_print};

static const struct kind_ops *const kind_table[] = {
    &kind_metrics, &kind_cdn,      &kind_deploys,  &kind_logs,
    &kind_alerts,  &kind_database, &kind_timeline, &kind_checks,
    &kind_backups,
};

const struct kind_ops *kind_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(kind_table); i++)
		if (strcmp(kind_table[i]->name, name) == 0)
			return kind_table[i];
	return NULL;
}

const struct kind_ops *kind_at(size_t i)
{
	return i < ARRAY_LEN(kind_table) ? kind_table[i] : NULL;
}

const struct verb *kind_verb(const struct kind_ops *kind, const char *name)
{
	for (size_t v = 0; kind != NULL && v < kind->nverbs; v++)
		if (strcmp(kind->verbs[v].name, name) == 0)
			return &kind->verbs[v];
	return NULL;
}

const struct verb *kind_verb_find(const char *name, const struct kind_ops **kind)
{
	for (size_t i = 0; name != NULL && i < ARRAY_LEN(kind_table); i++) {
		const struct verb *v = kind_verb(kind_table[i], name);
		if (v != NULL) {
			if (kind != NULL)
				*kind = kind_table[i];
			return v;
		}
	}
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
