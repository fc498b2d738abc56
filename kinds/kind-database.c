/* kind-database: the database kind's table. Its model and pane come with the
 * postgres source; until then a database pane answers with the empty shape of
 * its schema. Its verbs, cancel and terminate, are written once, here. */
#include <stdlib.h>
#include <string.h>

#include "sitrep/action.h"
#include "sitrep/kind.h"
#include "sitrep/sanitize.h"
#include "sitrep/util.h"

static void kind_database_free(void *data)
{
	(void)data;
}

static cJSON *kind_database_json(const void *data)
{
	(void)data;
	cJSON *o = cJSON_CreateObject();
	cJSON *s = cJSON_AddObjectToObject(o, "sessions");
	cJSON_AddNumberToObject(s, "active", 0);
	cJSON_AddNumberToObject(s, "idle_in_transaction", 0);
	cJSON_AddNumberToObject(s, "waiting", 0);
	cJSON_AddNumberToObject(s, "total", 0);
	cJSON_AddNullToObject(o, "tps");
	cJSON_AddArrayToObject(o, "queries");
	cJSON_AddArrayToObject(o, "groups");
	cJSON_AddArrayToObject(o, "blocking");
	return o;
}

static void kind_database_print(const void *data, FILE *out)
{
	(void)data;
	(void)out;
}

static bool kind_database_is_pid(const char *s)
{
	if (*s == '\0' || strlen(s) > 10)
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* `sitrep do cancel PID|--group QUERYID [--terminate]`. */
static int kind_database_cancel_parse(struct action *a, int argc, char **argv, char *err, size_t cap)
{
	bool terminate = false;
	const char *group = NULL, *pid = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--terminate") == 0) {
			terminate = true;
		} else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc) {
			group = argv[++i];
		} else if (argv[i][0] != '-' && pid == NULL && kind_database_is_pid(argv[i])) {
			pid = argv[i];
		} else {
			char *shown = sanitize_str(argv[i]);
			snprintf(err, cap, "unexpected '%s' (a PID, or --group QUERYID)", shown);
			free(shown);
			return -1;
		}
	}
	if ((pid == NULL) == (group == NULL)) {
		snprintf(err, cap, "one PID or --group QUERYID");
		return -1;
	}
	free(a->target);
	a->target = xstrdup(pid != NULL ? pid : group);
	if (group != NULL)
		action_add_param(a, "group", group);
	else
		action_select(a, pid);
	if (terminate)
		action_set_verb(a, "terminate");
	return 0;
}

static char *kind_database_describe(const struct action *a, const char *what)
{
	char *t = sanitize_str(a->target);
	char *out = action_param(a, "group") != NULL
	                ? xasprintf("%s every session running query group %s", what, t)
	                : xasprintf("%s the query of backend pid %s", what, t);
	free(t);
	return out;
}

static char *kind_database_cancel_describe(const struct action *a)
{
	return kind_database_describe(a, "cancel");
}

static char *kind_database_terminate_describe(const struct action *a)
{
	return kind_database_describe(a, "terminate (disconnect)");
}

static const struct verb kind_database_verbs[] = {
    {
        .name = "cancel",
        .key = "c",
        .args = "PID|--group QUERYID [--terminate]",
        .help = "cancel the selected query (or group)",
        .confirm = VERB_CONFIRM_Y,
        .cli = true,
        .parse = kind_database_cancel_parse,
        .describe = kind_database_cancel_describe,
    },
    {
        .name = "terminate",
        .key = "K",
        .args = "",
        .help = "terminate the selected session (type its pid)",
        .confirm = VERB_CONFIRM_TYPED,
        .cli = false, /* `sitrep do cancel --terminate` */
        .describe = kind_database_terminate_describe,
    },
};

const struct kind_ops kind_database = {
    .name = "database",
    .free = kind_database_free,
    .to_json = kind_database_json,
    .print = kind_database_print,
    .verbs = kind_database_verbs,
    .nverbs = ARRAY_LEN(kind_database_verbs),
};
