/* kind-deploys: the deploys kind's table. Its model and pane come with the
 * deploy sources; until then a deploys pane answers with the empty shape of
 * its schema ({ current, deploys }). Its verbs, restart and rollback, are
 * written once, here. */
#include <stdlib.h>
#include <string.h>

#include "sitrep/action.h"
#include "sitrep/kind.h"
#include "sitrep/sanitize.h"
#include "sitrep/util.h"

static void kind_deploys_free(void *data)
{
	(void)data;
}

static cJSON *kind_deploys_json(const void *data)
{
	(void)data;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNullToObject(o, "current");
	cJSON_AddArrayToObject(o, "deploys");
	return o;
}

static void kind_deploys_print(const void *data, FILE *out)
{
	(void)data;
	(void)out;
}

/* `sitrep do rollback [RELEASE]`: the release before the current one by default. */
static int kind_deploys_rollback_parse(struct action *a, int argc, char **argv, char *err, size_t cap)
{
	if (argc > 1 || (argc == 1 && argv[0][0] == '-')) {
		snprintf(err, cap, "at most one RELEASE, and no options");
		return -1;
	}
	if (argc == 1) {
		free(a->target);
		a->target = xstrdup(argv[0]);
		action_select(a, argv[0]);
	}
	return 0;
}

static char *kind_deploys_restart_describe(const struct action *a)
{
	(void)a;
	return xstrdup("restart the service");
}

static char *kind_deploys_rollback_describe(const struct action *a)
{
	if (a->target[0] == '\0')
		return xstrdup("roll back to the release before the current one");
	char *t = sanitize_str(a->target);
	char *out = xasprintf("roll back to release %s", t);
	free(t);
	return out;
}

static const struct verb kind_deploys_verbs[] = {
    {
        .name = "restart",
        .key = "r",
        .args = "",
        .help = "restart the service",
        .confirm = VERB_CONFIRM_Y,
        .cli = true,
        .describe = kind_deploys_restart_describe,
    },
    {
        .name = "rollback",
        .key = "b",
        .args = "[RELEASE]",
        .help = "roll back the deploy (type the release to confirm)",
        .confirm = VERB_CONFIRM_TYPED,
        .cli = true,
        .parse = kind_deploys_rollback_parse,
        .describe = kind_deploys_rollback_describe,
    },
};

const struct kind_ops kind_deploys = {
    .name = "deploys",
    .free = kind_deploys_free,
    .to_json = kind_deploys_json,
    .print = kind_deploys_print,
    .verbs = kind_deploys_verbs,
    .nverbs = ARRAY_LEN(kind_deploys_verbs),
};
