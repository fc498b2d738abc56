/* Unit tests of the kind tables as the rest of sitrep walks them: every verb
 * is complete, default keys do not collide with each other or with the
 * dashboard's own keys, the names the config accepts are exactly the tables',
 * and each verb's argument parsing (the one `sitrep do` uses) accepts what
 * docs/sitrep.1 promises and refuses the rest before anything is sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/core/action.h"
#include "sitrep/kinds/cdn.h"
#include "sitrep/kinds/database.h"
#include "sitrep/core/keys.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/util.h"

static void test_verbs_complete(void **state)
{
	size_t nverbs = 0;
	for (size_t k = 0; kind_at(k) != NULL; k++) {
		const struct kind_ops *kind = kind_at(k);
		assert_non_null(kind->name);
		assert_non_null(kind->to_json);
		for (size_t v = 0; v < kind->nverbs; v++) {
			const struct verb *vb = kind->verbs[v];
			assert_non_null(vb->name);
			assert_non_null(vb->key);
			assert_non_null(vb->help);
			assert_non_null(vb->describe);
			assert_true(vb->nargs <= VERB_ARGS_MAX);
			assert_true(vb->nargs == 0 || vb->args != NULL);
			for (size_t i = 0; i < vb->nargs; i++) {
				/* a positional has no value; every word says what it is */
				assert_non_null(vb->args[i].help);
				assert_true(vb->args[i].name[0] == '-' || vb->args[i].value == NULL);
				assert_true(!vb->args[i].many || vb->args[i].name[0] != '-');
			}
			const struct kind_ops *found = NULL;
			/* a word two kinds share (terminate: a session, a process) has
			 * one key; by name the first kind's verb is found */
			const struct verb *first = kind_verb_find(vb->name, &found);
			assert_non_null(first);
			assert_true(first == vb ? found == kind : strcmp(first->key, vb->key) == 0 && found != kind);
			assert_true(kind_has_verb(kind, vb));
			assert_true(keys_known(vb->name));
			assert_non_null(strstr(keys_names(), vb->name));
			nverbs++;
		}
	}
	/* the tables are the list: no count here to update when a verb is added */
	assert_true(nverbs > 0);
	assert_false(keys_known("pains"));
	assert_true(keys_known("quit"));
}

/* No two actions share a default key, but for one verb name that two kinds
 * both have ("terminate", K: a database session, a host process): the key
 * is bound once and the focused pane's kind resolves the name. */
static bool verb_shares_name_and_key(size_t k, size_t v)
{
	const struct verb *me = kind_at(k)->verbs[v];
	for (size_t j = 0; j < k; j++)
		for (size_t w = 0; w < kind_at(j)->nverbs; w++) {
			const struct verb *o = kind_at(j)->verbs[w];
			if (strcmp(o->name, me->name) == 0 && strcmp(o->key, me->key) == 0)
				return true;
		}
	return false;
}

static void test_keys_unique(void **state)
{
	char seen[256] = "";
	for (size_t i = 0; i < keys_nui; i++) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%s", keys_ui[i].keys);
		for (char *s = NULL, *tok = strtok_r(buf, " ", &s); tok != NULL;
		     tok = strtok_r(NULL, " ", &s)) {
			char mark[32];
			snprintf(mark, sizeof(mark), "[%s]", tok);
			assert_null(strstr(seen, mark));
			strncat(seen, mark, sizeof(seen) - strlen(seen) - 1);
		}
	}
	for (size_t k = 0; kind_at(k) != NULL; k++)
		for (size_t v = 0; v < kind_at(k)->nverbs; v++) {
			if (verb_shares_name_and_key(k, v))
				continue;
			char mark[32];
			snprintf(mark, sizeof(mark), "[%s]", kind_at(k)->verbs[v]->key);
			assert_null(strstr(seen, mark));
			strncat(seen, mark, sizeof(seen) - strlen(seen) - 1);
		}
}

static int parse(const char *verb, struct action **out, int argc, char **argv)
{
	const struct verb *v = kind_verb_find(verb, NULL);
	assert_non_null(v);
	struct action *a = action_new(v, "");
	char err[200] = "";
	int rc = verb_parse(v, a, argc, argv, err, sizeof(err));
	if (rc != 0) {
		assert_true(err[0] != '\0');
		action_free(a);
		*out = NULL;
	} else {
		*out = a;
	}
	return rc;
}

static void test_silence_args(void **state)
{
	struct action *a;
	char *ok[] = {"HighCPU", "--for", "30m"};
	assert_int_equal(parse("silence", &a, 3, ok), 0);
	assert_string_equal(a->target, "HighCPU");
	assert_true(a->duration_s == 1800);
	assert_string_equal(action_param(a, "alertname"), "HighCPU");
	char *d = action_describe(a);
	assert_non_null(strstr(d, "silence HighCPU for 30m"));
	free(d);
	action_free(a);
	char *none[] = {"--for", "1h"};
	assert_int_equal(parse("silence", &a, 2, none), -1);
	/* durations that are not durations are refused before anything is sent */
	const char *bad[] = {"infs", "1e308w", "1000000000w", "nanm", "0x10m", "-5m", "5", "2h-1m", "367d"};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char *argv[] = {"X", "--for", (char *)bad[i]};
		assert_int_equal(parse("silence", &a, 3, argv), -1);
	}
	char *max[] = {"X", "--for", "366d"};
	assert_int_equal(parse("silence", &a, 3, max), 0);
	action_free(a);
}

static void test_purge_args(void **state)
{
	struct action *a;
	char *paths[] = {"/static/app.js", "/"};
	assert_int_equal(parse("purge", &a, 2, paths), 0);
	assert_int_equal(a->nselection, 2);
	assert_string_equal(a->selection[0], "/static/app.js");
	action_free(a);
	char *all[] = {"--all"};
	assert_int_equal(parse("purge", &a, 1, all), 0);
	assert_ptr_equal(a->verb, &kind_cdn_purge_all);
	assert_int_equal(a->verb->confirm, VERB_CONFIRM_TYPED);
	action_free(a);
	assert_int_equal(parse("purge", &a, 0, NULL), 0);
	assert_string_equal(action_param(a, "stale"), "1");
	action_free(a);
	char *rel[] = {"static/app.js"};
	assert_int_equal(parse("purge", &a, 1, rel), -1);
	char *both[] = {"--all", "/x"};
	assert_int_equal(parse("purge", &a, 2, both), -1);
}

static void test_database_and_deploys_args(void **state)
{
	struct action *a;
	char *pid[] = {"4242"};
	assert_int_equal(parse("cancel", &a, 1, pid), 0);
	assert_string_equal(a->target, "4242");
	action_free(a);
	char *term[] = {"4242", "--terminate"};
	assert_int_equal(parse("cancel", &a, 2, term), 0);
	assert_ptr_equal(a->verb, &kind_database_terminate);
	assert_int_equal(a->verb->confirm, VERB_CONFIRM_TYPED);
	action_free(a);
	char *group[] = {"--group", "-123456"};
	assert_int_equal(parse("cancel", &a, 2, group), 0);
	assert_string_equal(action_param(a, "group"), "-123456");
	action_free(a);
	char *bad[] = {"12;DROP"};
	assert_int_equal(parse("cancel", &a, 1, bad), -1);
	char *neither[] = {"--terminate"};
	assert_int_equal(parse("cancel", &a, 1, neither), -1);
	char *rel[] = {"r41"};
	assert_int_equal(parse("rollback", &a, 1, rel), 0);
	assert_string_equal(a->target, "r41");
	action_free(a);
	char *two[] = {"r41", "r40"};
	assert_int_equal(parse("rollback", &a, 2, two), -1);
	char *arg[] = {"now"};
	assert_int_equal(parse("restart", &a, 1, arg), -1);
}

/* A verb that is in no table: its grammar alone gives the usage, the
 * parsing and the refusals, so a new verb writes no parser of its own. */
static const struct verb_arg test_verbs_args[] = {
    {.name = "NAME", .group = 1, .required = true, .help = "a name"},
    {.name = "--every", .group = 1, .help = "all of them"},
    {.name = "--for", .value = "DURATION", .help = "how long"},
    {.name = "--dry", .help = "say, do not do"},
    {.name = "EXTRA", .many = true, .help = "more words"},
};
static const struct verb test_verbs_verb = {
    .name = "frob", .help = "frob it", .args = test_verbs_args, .nargs = ARRAY_LEN(test_verbs_args)};

static int grammar(int argc, char **argv, struct verb_args *out, char *err)
{
	return verb_args_parse(&test_verbs_verb, argc, argv, out, err, 200);
}

static void test_grammar(void **state)
{
	char *usage = verb_usage(&test_verbs_verb);
	assert_string_equal(usage, "NAME|--every [--for DURATION] [--dry] [EXTRA...]");
	free(usage);
	struct verb_args p;
	char err[200] = "";
	char *ok[] = {"x", "--for", "-5m", "a", "--dry", "b"};
	assert_int_equal(grammar(6, ok, &p, err), 0);
	assert_string_equal(verb_args_get(&p, "NAME"), "x");
	assert_string_equal(verb_args_get(&p, "--for"), "-5m"); /* a value may start with - */
	assert_string_equal(verb_args_get(&p, "--dry"), "");
	assert_null(verb_args_get(&p, "--every"));
	const char *const *extra;
	assert_int_equal(verb_args_all(&p, "EXTRA", &extra), 2);
	assert_string_equal(extra[1], "b");
	verb_args_free(&p);
	char *dash[] = {"x", "--", "--dry"}; /* after --, words are words */
	assert_int_equal(grammar(3, dash, &p, err), 0);
	assert_null(verb_args_get(&p, "--dry"));
	assert_string_equal(verb_args_get(&p, "EXTRA"), "--dry");
	verb_args_free(&p);
	struct {
		int argc;
		char *argv[3];
		const char *says;
	} bad[] = {
	    {0, {NULL}, "needs NAME|--every"},
	    {2, {"x", "--every"}, "exclude each other"},
	    {2, {"x", "--frob\x1b[2J"}, "unknown option '--frob^["}, /* shown inert */
	    {2, {"x", "--for"}, "--for needs a DURATION"},
	    {3, {"--for", "1m", "--for"}, "--for needs a DURATION"},
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		assert_int_equal(grammar(bad[i].argc, bad[i].argv, &p, err), -1);
		if (strstr(err, bad[i].says) == NULL)
			fail_msg("%zu: '%s' lacks '%s'", i, err, bad[i].says);
	}
	/* every table verb's usage is its grammar's, as `sitrep do --help` shows */
	char *lines = action_usage_lines("", "");
	assert_non_null(strstr(lines, "sitrep do silence ALERTNAME [--for DURATION] [--pane ID]"));
	assert_non_null(strstr(lines, "sitrep do purge [--stale|--all|PATH...] [--pane ID]"));
	free(lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verbs_complete), cmocka_unit_test(test_grammar),
	    cmocka_unit_test(test_keys_unique),    cmocka_unit_test(test_silence_args),
	    cmocka_unit_test(test_purge_args),     cmocka_unit_test(test_database_and_deploys_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
