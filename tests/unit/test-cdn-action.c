/* Unit tests of what a cdn purge acts on: the path's raw bytes apart from
 * its display form (the request carries the raw path percent-encoded, the
 * dialog's text shows invisible characters made visible and says so), the
 * edges a purge goes to (the selected row's edge alone, each stale row's
 * own edge, every edge for an API that cannot do otherwise, said in the
 * text), and the verdict's words for what was not verified. prepare runs on
 * a real cdn source made from a config; nothing is sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backends/cdnprobe.h"
#include "sitrep/action.h"
#include "sitrep/app.h"
#include "sitrep/config.h"
#include "sitrep/sanitize.h"
#include "sitrep/source.h"
#include "sitrep/sources.h"
#include "sitrep/util.h"

#define BIDI                                                                                                 \
	"/static/\xe2\x80\xae"                                                                               \
	"sj.lave" /* U+202E RIGHT-TO-LEFT OVERRIDE */

struct fixture {
	struct app app;
	struct source *src;
};

static void load(struct fixture *f, const char *pane)
{
	memset(f, 0, sizeof(*f));
	char *text = xasprintf("{ \"panes\": [ %s ] }", pane);
	struct config_error err = {0};
	int rc = config_load_text(&f->app.cfg, "t.json", text, strlen(text), &err);
	if (rc == 0)
		rc = app_create_sources(&f->app, &err);
	free(text);
	if (rc != 0) {
		char msg[300];
		config_error_format(&err, msg, sizeof(msg));
		fail_msg("config: %s", msg);
	}
	f->src = &f->app.sources[0];
}

static void unload(struct fixture *f)
{
	app_free(&f->app);
	sanitize_forget_secrets();
}

/* A row as a refresh leaves it: raw path, display path, edge, verdict. */
static void row(struct cdn_asset *a, const char *raw, const char *edge, enum cdn_verdict v, long es, long os)
{
	a->raw = xstrdup(raw);
	a->path = cdn_visible(raw, NULL);
	a->edge = edge != NULL ? xstrdup(edge) : NULL;
	a->verdict = v;
	a->detail = xstrdup("test");
	a->age = -1;
	a->edge_status = es;
	a->origin_status = os;
}

static const char TWO_EDGES[] =
    "{ \"id\": \"cdn\", \"kind\": \"cdn\", \"provider\": \"varnish\", \"varnishstat\": false,"
    "  \"edges\": [ { \"name\": \"fra\", \"url\": \"http://127.0.0.1:6001\" },"
    "               { \"name\": \"lhr\", \"url\": \"http://127.0.0.1:6002\" } ],"
    "  \"origin_url\": \"http://127.0.0.1:8080\", \"assets\": [\"/static/app.js\", \"" BIDI "\"] }";

/* Two edges, rows of both; lhr is fresh everywhere, fra has the bidi asset stale. */
static void snapshot_two(struct fixture *f)
{
	struct cdn_data *d = cdn_data_new("varnish");
	d->assets = xcalloc(4, sizeof(*d->assets));
	d->nassets = 4;
	row(&d->assets[0], "/static/app.js", "fra", CDN_FRESH, 200, 200);
	row(&d->assets[1], "/static/app.js", "lhr", CDN_FRESH, 200, 200);
	row(&d->assets[2], BIDI, "fra", CDN_STALE, 200, 200);
	row(&d->assets[3], BIDI, "lhr", CDN_FRESH, 200, 200);
	f->src->snap.kind = &kind_cdn;
	f->src->snap.data = d;
}

static char *prepared(struct fixture *f, struct action *a)
{
	char err[300] = "";
	if (action_prepare(f->src, a, err, sizeof(err)) != 0)
		fail_msg("prepare: %s", err);
	return action_describe(a);
}

/* The dialog's path is the display form, marked; the request's is the raw
 * bytes percent-encoded; the selected row's edge alone gets a request. */
static void test_selected_row(void **state)
{
	(void)state;
	struct fixture f;
	load(&f, TWO_EDGES);
	snapshot_two(&f);
	struct action *a = action_new("purge", "cdn");
	action_select(a, BIDI); /* what the pane hands over: the raw bytes */
	action_add_param(a, "edge", "fra");
	char *text = prepared(&f, a);
	assert_non_null(strstr(text, "/static/\\u202esj.lave  " CDN_VISIBLE_NOTE));
	assert_non_null(strstr(text, "PURGE http://127.0.0.1:6001/static/%E2%80%AEsj.lave"));
	assert_null(strstr(text, "127.0.0.1:6002/static"));
	assert_non_null(strstr(text, "at edge fra (http://127.0.0.1:6001): 1 asset"));
	assert_non_null(strstr(text, "nothing is sent to lhr"));
	assert_null(strstr(text, "\xe2\x80\xae")); /* never the raw control in the text */
	assert_null(strstr(text, "<U+202E>"));
	free(text);
	action_free(a);
	unload(&f);
}

/* A path given as the sanitized on-screen form is not the asset: the
 * request carries exactly those bytes, encoded, never the real asset's. */
static void test_display_form_is_not_the_identity(void **state)
{
	(void)state;
	struct fixture f;
	load(&f, TWO_EDGES);
	snapshot_two(&f);
	struct action *a = action_new("purge", "cdn");
	action_select(a, "/static/<U+202E>sj.lave");
	char *text = prepared(&f, a);
	assert_non_null(strstr(text, "PURGE http://127.0.0.1:6001/static/%3CU+202E%3Esj.lave"));
	assert_null(strstr(text, "%E2%80%AE"));
	/* No row named: both edges, and the text says so. */
	assert_non_null(strstr(text, "PURGE http://127.0.0.1:6002/static/%3CU+202E%3Esj.lave"));
	assert_null(strstr(text, "nothing is sent to"));
	free(text);
	action_free(a);
	unload(&f);
}

/* `p` with no row: each stale row at its own edge only. */
static void test_stale_rows_at_their_edges(void **state)
{
	(void)state;
	struct fixture f;
	load(&f, TWO_EDGES);
	snapshot_two(&f);
	struct action *a = action_new("purge", "cdn");
	action_add_param(a, "stale", "1");
	char *text = prepared(&f, a);
	assert_non_null(strstr(text, "PURGE http://127.0.0.1:6001/static/%E2%80%AEsj.lave"));
	assert_null(strstr(text, "PURGE http://127.0.0.1:6002"));
	assert_null(strstr(text, "app.js"));
	assert_non_null(strstr(text, "re-probe 1 asset at fra until"));
	free(text);
	action_free(a);
	unload(&f);
}

/* An API purges every edge whatever the row: the text says so. */
static void test_api_every_edge(void **state)
{
	(void)state;
	setenv("CDN_TEST_TOKEN", "tok-0123456789", 1);
	struct fixture f;
	load(&f, "{ \"id\": \"cdn\", \"kind\": \"cdn\", \"provider\": \"cloudflare\", \"zone_id\": \"0ace\","
	         "  \"token_env\": \"CDN_TEST_TOKEN\", \"site_url\": \"https://www.example.com\","
	         "  \"edges\": [ { \"name\": \"fra\", \"url\": \"http://127.0.0.1:6001\" },"
	         "               { \"name\": \"lhr\", \"url\": \"http://127.0.0.1:6002\" } ],"
	         "  \"origin_url\": \"http://127.0.0.1:8080\", \"assets\": [\"" BIDI "\"] }");
	snapshot_two(&f);
	struct action *a = action_new("purge", "cdn");
	action_select(a, BIDI);
	action_add_param(a, "edge", "fra");
	char *text = prepared(&f, a);
	assert_non_null(strstr(text, "through the cloudflare API, which purges at every edge"));
	assert_non_null(strstr(text, "it cannot purge the row's edge alone"));
	assert_non_null(strstr(text, "{\"files\":[\"https://www.example.com/static/%E2%80%AEsj.lave\"]}"));
	assert_non_null(strstr(text, "Authorization: ***"));
	assert_null(strstr(text, "tok-0123456789"));
	free(text);
	action_free(a);
	unload(&f);
}

/* An edge the pane does not have is refused, nothing planned. */
static void test_unknown_edge(void **state)
{
	(void)state;
	struct fixture f;
	load(&f, TWO_EDGES);
	snapshot_two(&f);
	struct action *a = action_new("purge", "cdn");
	action_select(a, "/static/app.js");
	action_add_param(a, "edge", "nyc");
	char err[300] = "";
	assert_int_not_equal(action_prepare(f.src, a, err, sizeof(err)), 0);
	assert_string_equal(err, "this pane has no edge named \"nyc\"");
	assert_null(a->request);
	action_free(a);
	unload(&f);
}

/* The display form: every invisible or control character written out. */
static void test_visible(void **state)
{
	(void)state;
	static const struct {
		const char *raw, *shown;
		bool changed;
	} cases[] = {
	    {"/static/app.js?v=2", "/static/app.js?v=2", false},
	    {BIDI, "/static/\\u202esj.lave", true},
	    {"/a\xe2\x80\x8b"
	     "b",
	     "/a\\u200bb", true}, /* zero-width space */
	    {"/a\xc2\xa0"
	     "b",
	     "/a\\u00a0b", true},                          /* no-break space */
	    {"/a\xef\xbb\xbf", "/a\\ufeff", true},         /* BOM */
	    {"/a\xf3\xa0\x80\x81", "/a\\U000e0001", true}, /* a tag character */
	    {"/a\x1b[2J", "/a\\x1b[2J", true},
	    {"/a\xff", "/a\\xff", true},                   /* not UTF-8 */
	    {"/a\xc0\xaf", "/a\\xc0\\xaf", true},          /* overlong */
	    {"/a\\u202e", "/a\\\\u202e", false},           /* the text, not the character */
	    {"/caf\xc3\xa9.js", "/caf\xc3\xa9.js", false}, /* a visible letter stays */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool changed;
		char *v = cdn_visible(cases[i].raw, &changed);
		assert_string_equal(v, cases[i].shown);
		assert_int_equal(changed, cases[i].changed);
		free(v);
	}
}

/* The URL form: what a browser sends, so what the edge keys on; idempotent. */
static void test_url_path(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	    {"/static/app.js?v=2&x=1", "/static/app.js?v=2&x=1"},
	    {BIDI, "/static/%E2%80%AEsj.lave"},
	    {"/a b\"<>\\^`{|}#", "/a%20b%22%3C%3E%5C%5E%60%7B%7C%7D%23"},
	    {"/a%20b", "/a%20b"},
	    {"/100%", "/100%25"},
	    {"/%zz", "/%25zz"},
	    {"/a\x1b\x7f", "/a%1B%7F"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *u = cdn_url_path(cases[i][0]);
		assert_string_equal(u, cases[i][1]);
		char *again = cdn_url_path(u);
		assert_string_equal(again, u);
		free(again);
		free(u);
	}
}

int main(void)
{
	sources_register();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_selected_row),
	    cmocka_unit_test(test_display_form_is_not_the_identity),
	    cmocka_unit_test(test_stale_rows_at_their_edges),
	    cmocka_unit_test(test_api_every_edge),
	    cmocka_unit_test(test_unknown_edge),
	    cmocka_unit_test(test_visible),
	    cmocka_unit_test(test_url_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
