/* Unit tests of the kind tables as the rest of sitrep walks them: every verb
 * is complete, default keys do not collide with each other or with the
 * dashboard's own keys, the names the config accepts are exactly the tables',
 * and each verb's argument parsing (the one `sitrep do` uses) accepts what
 * DESIGN.md promises and refuses the rest before anything is sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/action.h"
#include "sitrep/keys.h"
#include "sitrep/kind.h"
#include "sitrep/util.h"

static void test_verbs_complete(void **state)
{
	size_t nverbs = 0;
	for (size_t k = 0; kind_at(k) != NULL; k++) {
		const struct kind_ops *kind = kind_at(k);
		assert_non_null(kind->name);
		assert_non_null(kind->to_json);
		for (size_t v = 0; v < kind->nverbs; v++) {
			const struct verb *vb = &kind->verbs[v];
			assert_non_null(vb->name);
			assert_non_null(vb->key);
			assert_non_null(vb->args);
			assert_non_null(vb->help);
			assert_non_null(vb->describe);
			const struct kind_ops *found = NULL;
			assert_ptr_equal(kind_verb_find(vb->name, &found), vb);
			assert_ptr_equal(found, kind);
			assert_true(keys_known(vb->name));
			assert_non_null(strstr(keys_names(), vb->name));
			nverbs++;
		}
	}
	/* silence, purge, purge_all, restart, rollback, cancel, terminate, backup, verify */
	assert_int_equal(nverbs, 9);
	assert_false(keys_known("pains"));
	assert_true(keys_known("quit"));
}

/* No two actions share a default key. */
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
			char mark[32];
			snprintf(mark, sizeof(mark), "[%s]", kind_at(k)->verbs[v].key);
			assert_null(strstr(seen, mark));
			strncat(seen, mark, sizeof(seen) - strlen(seen) - 1);
		}
}

static int parse(const char *verb, struct action **out, int argc, char **argv)
{
	const struct verb *v = kind_verb_find(verb, NULL);
	assert_non_null(v);
	struct action *a = action_new(verb, "");
	char err[200] = "";
	int rc = v->parse != NULL ? v->parse(a, argc, argv, err, sizeof(err)) : (argc == 0 ? 0 : -1);
	if (rc != 0) {
		assert_true(err[0] != '\0' || v->parse == NULL);
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
	assert_string_equal(a->verb, "purge_all");
	assert_int_equal(a->def->confirm, VERB_CONFIRM_TYPED);
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
	assert_string_equal(a->verb, "terminate");
	assert_int_equal(a->def->confirm, VERB_CONFIRM_TYPED);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verbs_complete),
	    cmocka_unit_test(test_keys_unique),
	    cmocka_unit_test(test_silence_args),
	    cmocka_unit_test(test_purge_args),
	    cmocka_unit_test(test_database_and_deploys_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
