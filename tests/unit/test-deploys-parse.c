/* Unit tests of the command-driven deploys sources' parsers: git's
 * NUL-separated records (for-each-ref and log), `helm history -o json`,
 * `kubectl rollout history` and `kubectl get deployment -o json`, with
 * broken and hostile input; and the argv helpers ({release} in one element,
 * the text the dialog shows). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backends/deploys-common.h"
#include "sitrep/core/config.h"
#include "sitrep/kinds/deploys.h"

#define C1 "b04509470a35739706bf400296d6b6c57ccdfa962"
#define C2 "b2d45d49130dee983c2f40a7ea4816a2afe2a2c8"

static void test_gitlog(void **state)
{
	(void)state;
	/* the for-each-ref shape: NUL after every field, a newline between records */
	static const char out[] = "deploy-2\0" C2 "\0"
	                          "1716329640\0bob\0change 2\0\n"
	                          "deploy-1\0" C1 "\0"
	                          "1716325200\0alice\0evil \033[2J\037 subject\0\n";
	struct deploys_data *d = deploys_data_new();
	size_t skipped = 9;
	/* C1 has 41 hex digits: that record is refused */
	assert_int_equal(git_parse(d, out, sizeof(out) - 1, &skipped), 1);
	assert_int_equal(skipped, 1);
	assert_string_equal(d->deploys[0].id, "deploy-2");
	assert_string_equal(d->deploys[0].revision, C2);
	assert_int_equal(d->deploys[0].time, 1716329640);
	assert_string_equal(d->deploys[0].author, "bob");
	assert_string_equal(d->deploys[0].message, "change 2");
	deploys_data_free(d);

	static const char ok[] = "abc123def456\0" C2 "\0"
	                         "1716329640\0mallory\0evil \033[2J\037 subject\0\n"
	                         "v1\0" C2 "\0"
	                         "12\0a\0s\0\n";
	d = deploys_data_new();
	assert_int_equal(git_parse(d, ok, sizeof(ok) - 1, &skipped), 2);
	assert_int_equal(skipped, 0);
	assert_null(strchr(d->deploys[0].message, '\033'));
	assert_null(strchr(d->deploys[0].message, '\037'));
	assert_string_equal(d->deploys[1].id, "v1");
	deploys_data_free(d);

	/* a cut record, a time that is not digits, nothing at all */
	d = deploys_data_new();
	static const char cut[] = "x\0" C2 "\0"
	                          "12\0a";
	assert_int_equal(git_parse(d, cut, sizeof(cut) - 1, &skipped), 0);
	assert_int_equal(skipped, 1);
	static const char badtime[] = "x\0" C2 "\0"
	                              "soon\0a\0s\0\n";
	assert_int_equal(git_parse(d, badtime, sizeof(badtime) - 1, &skipped), 0);
	assert_int_equal(skipped, 1);
	assert_int_equal(git_parse(d, "", 0, &skipped), 0);
	assert_int_equal(skipped, 0);
	assert_int_equal(d->n, 0);
	deploys_data_free(d);
}

static const char helm_json[] =
    "[{\"revision\":1,\"updated\":\"2024-05-20T10:00:00.123456789+02:00\",\"status\":\"superseded\","
    "\"chart\":\"web-1.2.0\",\"app_version\":\"1.2.0\",\"description\":\"Install complete\"},"
    "{\"revision\":3,\"updated\":\"2024-05-21T22:00:00Z\",\"status\":\"failed\",\"chart\":\"web-1.4.0\","
    "\"app_version\":\"1.4.0\",\"description\":\"Upgrade \\\"web\\\" failed\\n\\u001b[31mtimed out\"},"
    "{\"revision\":2,\"updated\":\"2024-05-21T20:00:00Z\",\"status\":\"deployed\",\"chart\":\"web-1.3.0\","
    "\"app_version\":\"1.3.0\",\"description\":\"Upgrade complete\"},"
    "{\"revision\":\"7\",\"status\":\"deployed\"}, 42, {\"revision\":-1}]";

static void test_helm(void **state)
{
	(void)state;
	char err[200] = "";
	struct deploys_data *d = deploys_data_new();
	assert_int_equal(helm_parse_history(d, helm_json, sizeof(helm_json) - 1, err, sizeof(err)), 3);
	assert_int_equal(d->n, 3);
	assert_string_equal(d->deploys[0].id, "3");
	assert_string_equal(d->deploys[0].status, "failed");
	assert_true(d->deploys[0].bad);
	assert_null(strchr(d->deploys[0].message, '\033'));
	assert_string_equal(d->deploys[1].id, "2");
	assert_true(d->deploys[1].current);
	assert_string_equal(d->current, "2");
	assert_string_equal(d->deploys[1].version, "web-1.3.0 app 1.3.0");
	assert_string_equal(d->deploys[1].revision, "1.3.0");
	assert_string_equal(d->deploys[1].message, "web-1.3.0 app 1.3.0: Upgrade complete");
	assert_int_equal(d->deploys[2].time, 1716192000);
	assert_false(d->deploys[2].bad);
	/* the one before the current revision (2) that is not failed */
	assert_string_equal(deploys_previous_good(d)->id, "1");
	deploys_data_free(d);

	d = deploys_data_new();
	assert_int_equal(helm_parse_history(d, "<html>", 6, err, sizeof(err)), -1);
	assert_string_equal(err, "helm history printed no JSON array");
	assert_int_equal(helm_parse_history(d, "{\"revision\":1}", 14, err, sizeof(err)), -1);
	assert_int_equal(helm_parse_history(d, "[]", 2, err, sizeof(err)), 0);
	assert_null(d->current);
	deploys_data_free(d);
}

static void test_kubectl_history(void **state)
{
	(void)state;
	static const char out[] =
	    "deployment.apps/web \n"
	    "REVISION  CHANGE-CAUSE\n"
	    "1         <none>\n"
	    "\n"
	    "10        kubectl set image deployment/web web=shop/web:1.4.0 --record=true\r\n"
	    "2         image \033]0;pwned\007 1.3.0\n"
	    "x2        not a row\n"
	    "3\n"
	    "2         a duplicate\n";
	char err[200] = "";
	struct deploys_data *d = deploys_data_new();
	assert_int_equal(kubectl_parse_history(d, out, sizeof(out) - 1, err, sizeof(err)), 4);
	assert_string_equal(d->deploys[0].id, "10");
	assert_string_equal(d->deploys[0].message,
	                    "kubectl set image deployment/web web=shop/web:1.4.0 --record=true");
	assert_string_equal(d->deploys[1].id, "3");
	assert_string_equal(d->deploys[1].message, "");
	assert_string_equal(d->deploys[2].id, "2");
	assert_null(strchr(d->deploys[2].message, '\033'));
	assert_null(strchr(d->deploys[2].message, '\007'));
	assert_string_equal(d->deploys[3].id, "1");
	assert_string_equal(d->deploys[3].message, "");
	deploys_data_free(d);

	d = deploys_data_new();
	assert_int_equal(kubectl_parse_history(d, "error: not found\n", 17, err, sizeof(err)), -1);
	assert_string_equal(err, "kubectl rollout history printed no REVISION table");
	assert_int_equal(kubectl_parse_history(d, "REVISION  CHANGE-CAUSE\n", 23, err, sizeof(err)), 0);
	deploys_data_free(d);
}

static void test_kubectl_deployment(void **state)
{
	(void)state;
	static const char ok[] =
	    "{\"metadata\":{\"name\":\"web\",\"annotations\":{\"deployment.kubernetes.io/revision\":\"12\"}},"
	    "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"shop/"
	    "web:1.3.0\"},"
	    "{\"name\":\"side\",\"image\":\"envoy:1.29\"},{\"name\":\"x\"}]}}}}";
	char err[200] = "", *rev = NULL, *images = NULL;
	assert_int_equal(kubectl_parse_deployment(ok, sizeof(ok) - 1, &rev, &images, err, sizeof(err)), 0);
	assert_string_equal(rev, "12");
	assert_string_equal(images, "shop/web:1.3.0, envoy:1.29");
	free(rev);
	free(images);
	static const char *const bad[] = {
	    "{}",
	    "{\"metadata\":{\"annotations\":{\"deployment.kubernetes.io/revision\":12}}}",
	    "{\"metadata\":{\"annotations\":{\"deployment.kubernetes.io/revision\":\"12a\"}}}",
	    "{\"metadata\":{\"annotations\":{\"deployment.kubernetes.io/revision\":\"\"}}}",
	    "[1]",
	    "not json",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    kubectl_parse_deployment(bad[i], strlen(bad[i]), &rev, &images, err, sizeof(err)), -1);
		assert_null(rev);
		assert_true(err[0] != '\0');
	}
}

/* git lists a tag named "--force" (update-ref makes one): it is kept in
 * the model, passed over by the default rollback and named as never a
 * target, beside the bad ones. */
static void test_skipped(void **state)
{
	(void)state;
	static const char sha[] = "0123456789abcdef0123456789abcdef01234567";
	char text[1024];
	int n = snprintf(text, sizeof(text),
	                 "deploy-4%c%s%c400%calice%cfour%c\n--force%c%s%c300%cmallory%cforce%c\n"
	                 "deploy-2%c%s%c200%cbob%ctwo%c\ndeploy-1%c%s%c100%ccarol%cone%c",
	                 0, sha, 0, 0, 0, 0, 0, sha, 0, 0, 0, 0, 0, sha, 0, 0, 0, 0, 0, sha, 0, 0, 0, 0);
	struct deploys_data *d = deploys_data_new();
	assert_int_equal(git_parse(d, text, (size_t)n, NULL), 4);
	deploys_sort(d, false);
	deploys_set_current(d, "deploy-4");
	deploys_find(d, "deploy-2")->bad = true;
	const struct deploy *to = deploys_previous_good(d);
	assert_string_equal(to->id, "deploy-1");
	char bad[64], refused[64];
	deploys_skipped(d, to, bad, sizeof(bad), refused, sizeof(refused));
	assert_string_equal(bad, "deploy-2");
	assert_string_equal(refused, "--force");
	deploys_data_free(d);
}

static void test_argv(void **state)
{
	(void)state;
	char *tmpl[] = {"deploy", "--to={release}", "{release}", "plain", NULL};
	char **argv = deploys_argv_subst(tmpl, "v1 2;rm -rf /");
	assert_string_equal(argv[0], "deploy");
	assert_string_equal(argv[1], "--to=v1 2;rm -rf /");
	assert_string_equal(argv[2], "v1 2;rm -rf /");
	assert_string_equal(argv[3], "plain");
	assert_null(argv[4]);
	char *text = deploys_argv_text(argv);
	assert_string_equal(text, "deploy '--to=v1 2;rm -rf /' 'v1 2;rm -rf /' plain");
	free(text);
	config_free_argv(argv);
	/* an id that itself reads {release} is put in once */
	argv = deploys_argv_subst(tmpl, "{release}");
	assert_string_equal(argv[2], "{release}");
	config_free_argv(argv);
	argv = deploys_argv("helm", "rollback", NULL);
	deploys_argv_push(&argv, "web", "4", NULL);
	text = deploys_argv_text(argv);
	assert_string_equal(text, "helm rollback web 4");
	free(text);
	config_free_argv(argv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gitlog),
	    cmocka_unit_test(test_helm),
	    cmocka_unit_test(test_kubectl_history),
	    cmocka_unit_test(test_kubectl_deployment),
	    cmocka_unit_test(test_argv),
	    cmocka_unit_test(test_skipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
