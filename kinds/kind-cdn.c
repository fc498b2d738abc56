/* kind-cdn: the CDN kind's table. Its model and pane come with the CDN
 * sources; until then a cdn pane answers with the empty shape of its schema
 * ({ provider, hit_ratio, assets }), and its verbs are known everywhere (keys,
 * help, `sitrep do purge`) so they are written once, here. */
#include <stdlib.h>
#include <string.h>

#include "sitrep/action.h"
#include "sitrep/kind.h"
#include "sitrep/sanitize.h"
#include "sitrep/util.h"

static void kind_cdn_free(void *data)
{
	(void)data;
}

static cJSON *kind_cdn_json(const void *data)
{
	(void)data;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNullToObject(o, "provider");
	cJSON_AddNullToObject(o, "hit_ratio");
	cJSON_AddArrayToObject(o, "assets");
	return o;
}

static void kind_cdn_print(const void *data, FILE *out)
{
	(void)data;
	(void)out;
}

/* `sitrep do purge [--stale|--all|PATH...]`: the stale assets by default. */
static int kind_cdn_purge_parse(struct action *a, int argc, char **argv, char *err, size_t cap)
{
	bool stale = false, all = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--stale") == 0) {
			stale = true;
		} else if (strcmp(argv[i], "--all") == 0) {
			all = true;
		} else if (argv[i][0] == '-') {
			char *shown = sanitize_str(argv[i]);
			snprintf(err, cap, "unknown option '%s'", shown);
			free(shown);
			return -1;
		} else if (argv[i][0] != '/') {
			char *shown = sanitize_str(argv[i]);
			snprintf(err, cap, "a PATH starts with / (got '%s')", shown);
			free(shown);
			return -1;
		} else {
			action_select(a, argv[i]);
		}
	}
	if ((stale || all) && a->nselection > 0) {
		snprintf(err, cap, "--stale and --all take no PATH");
		return -1;
	}
	if (stale && all) {
		snprintf(err, cap, "--stale or --all, not both");
		return -1;
	}
	if (all) {
		action_set_verb(a, "purge_all");
		return 0;
	}
	if (a->nselection == 0)
		action_add_param(a, "stale", "1");
	return 0;
}

static char *kind_cdn_purge_describe(const struct action *a)
{
	if (a->nselection == 0)
		return xstrdup("purge every stale asset from the CDN");
	char *out = xasprintf("purge %zu asset%s from the CDN:", a->nselection, a->nselection == 1 ? "" : "s");
	for (size_t i = 0; i < a->nselection; i++) {
		char *p = sanitize_str(a->selection[i]);
		char *next = xasprintf("%s\n  %s", out, p);
		free(p);
		free(out);
		out = next;
	}
	return out;
}

static char *kind_cdn_purge_all_describe(const struct action *a)
{
	char *t = sanitize_str(a->target);
	char *out = xasprintf("purge EVERYTHING cached by the CDN of %s (every user hits the origin)", t);
	free(t);
	return out;
}

static const struct verb kind_cdn_verbs[] = {
    {
        .name = "purge",
        .key = "p",
        .args = "[--stale|--all|PATH...]",
        .help = "purge stale or selected CDN assets",
        .confirm = VERB_CONFIRM_Y,
        .cli = true,
        .parse = kind_cdn_purge_parse,
        .describe = kind_cdn_purge_describe,
    },
    {
        .name = "purge_all",
        .key = "P",
        .args = "",
        .help = "purge everything from the CDN (type the pane's name)",
        .confirm = VERB_CONFIRM_TYPED,
        .cli = false, /* `sitrep do purge --all` */
        .describe = kind_cdn_purge_all_describe,
    },
};

const struct kind_ops kind_cdn = {
    .name = "cdn",
    .free = kind_cdn_free,
    .to_json = kind_cdn_json,
    .print = kind_cdn_print,
    .verbs = kind_cdn_verbs,
    .nverbs = ARRAY_LEN(kind_cdn_verbs),
};
