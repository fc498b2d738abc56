/* Unit tests of what a cdn purge acts on: the path's raw bytes apart from
 * its display form (the request carries the raw path percent-encoded, the
 * dialog's text shows invisible characters made visible and says so), the
 * edges a purge goes to (the selected row's edge alone, each stale row's
 * own edge, every edge for an API that cannot do otherwise, said in the
 * text), and the verdict's words for what was not verified; the http
 * provider's templates, each value escaped for the syntax where it lands;
 * an answer's excerpt masked before it is cut. prepare runs on a real cdn
 * source made from a config; nothing is sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "backends/cdn.h"
#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/kinds/cdn.h"
#include "sitrep/core/config.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

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
	struct action *a = action_new(&kind_cdn_purge, "cdn");
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

/* A verb is its table entry, not its name: another verb that happens to be
 * called "purge" (a new kind's, or a typo'd copy) is not the CDN's purge,
 * and the source refuses it before building anything. */
static void test_verb_by_identity(void **state)
{
	(void)state;
	static const struct verb other = {.name = "purge", .help = "another kind's purge"};
	struct fixture f;
	load(&f, TWO_EDGES);
	snapshot_two(&f);
	struct action *a = action_new(&other, "cdn");
	action_select(a, "/static/app.js");
	char err[300] = "";
	assert_int_not_equal(action_prepare(f.src, a, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "cannot purge"));
	assert_null(a->effect);
	action_free(a);
	a = action_new(&kind_cdn_purge, "cdn");
	action_select(a, "/static/app.js");
	assert_int_equal(action_prepare(f.src, a, err, sizeof(err)), 0);
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
	struct action *a = action_new(&kind_cdn_purge, "cdn");
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
	struct action *a = action_new(&kind_cdn_purge, "cdn");
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
	struct action *a = action_new(&kind_cdn_purge, "cdn");
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
	struct action *a = action_new(&kind_cdn_purge, "cdn");
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

/* Paths that break a syntax when put in raw: quotes and backslashes
 * (JSON), '&', '=', '+' and '#' (a query or a form), '<' and '&' (XML),
 * controls and bytes past ASCII (every one of them). */
static const char *const HOSTILE[] = {
    "/a\"},{\"x\":\"", "/a\\\"b",       "/a&purge_all=1", "/a?v=1&b=2#c", "/a+b=c",
    "/a<b>&amp;'\"",   "/a\nX-Evil: 1", "/a\x01\x7f",     BIDI,           "/plain.js",
};

/* A JSON template stays JSON whatever the path: inside a string the value is
 * escaped, outside one it is a quoted string; the value is the path's URL
 * form. In a URL, the path part takes the URL form and the query a
 * percent-encoded value; a form body is percent-encoded; XML gets entities. */
static void test_template_syntax(void **state)
{
	(void)state;
	const char *base = "http://127.0.0.1:6084";
	for (size_t i = 0; i < sizeof(HOSTILE) / sizeof(HOSTILE[0]); i++) {
		char *url_form = cdn_url_path(HOSTILE[i]);
		char *want_url = xasprintf("%s%s", base, url_form);

		char *b =
		    cdn_template_in("{\"path\": \"{path}\", \"url\": \"{url}\", \"all\": [{path}, {host}]}",
		                    base, HOSTILE[i], CDN_SYNTAX_JSON);
		cJSON *o = cJSON_Parse(b);
		assert_non_null(o);
		assert_int_equal(cJSON_GetArraySize(o), 3);
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "path")->valuestring, url_form);
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "url")->valuestring, want_url);
		const cJSON *all = cJSON_GetObjectItemCaseSensitive(o, "all");
		assert_int_equal(cJSON_GetArraySize(all), 2);
		assert_string_equal(cJSON_GetArrayItem(all, 0)->valuestring, url_form);
		assert_string_equal(cJSON_GetArrayItem(all, 1)->valuestring, "127.0.0.1:6084");
		cJSON_Delete(o);
		free(b);

		/* the path part: the URL form, nothing more; the query: one parameter */
		char *u = cdn_template("https://cdn.internal/purge{path}", base, HOSTILE[i]);
		char *want = xasprintf("https://cdn.internal/purge%s", url_form);
		assert_string_equal(u, want);
		free(want);
		free(u);
		u = cdn_template("https://cdn.internal/purge?u={path}&v={url}&k=1", base, HOSTILE[i]);
		const char *q = strchr(u, '?') + 1;
		assert_null(strchr(q, '#'));
		assert_null(strchr(q, '+'));
		size_t amps = 0;
		for (const char *c = q; *c != '\0'; c++)
			amps += *c == '&';
		assert_int_equal(amps, 2); /* the template's own two */
		if (strspn(q, "=&%ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") !=
		    strlen(q))
			fail_msg("query %s", q);
		free(u);

		char *form = cdn_template_in("path={path}&soft=1", base, HOSTILE[i], CDN_SYNTAX_FORM);
		assert_non_null(strstr(form, "&soft=1"));
		assert_ptr_equal(strchr(form, '&'), strstr(form, "&soft=1"));
		free(form);

		char *xml = cdn_template_in("<Path>{path}</Path>", base, HOSTILE[i], CDN_SYNTAX_XML);
		assert_int_equal(strncmp(xml, "<Path>", 6), 0);
		assert_ptr_equal(strchr(xml + 1, '<'), strstr(xml, "</Path>"));
		assert_ptr_equal(strchr(xml + 6, '>'), strstr(xml, "</Path>") + 6);
		assert_null(strchr(xml, '"'));
		free(xml);
		free(want_url);
		free(url_form);
	}
	/* not placeholders: kept as written; a JSON template's own braces too */
	char *t = cdn_template_in("{\"a\": {\"b\": \"{nope}\"}}", base, "/x", CDN_SYNTAX_JSON);
	assert_string_equal(t, "{\"a\": {\"b\": \"{nope}\"}}");
	free(t);
	/* a backslash-quote inside a template string does not end the string */
	t = cdn_template_in("{\"a\": \"say \\\"{path}\\\"\"}", base, "/q\"", CDN_SYNTAX_JSON);
	assert_string_equal(t, "{\"a\": \"say \\\"/q%22\\\"\"}");
	free(t);
}

/* What decides a body's syntax: the content type, else a body written as JSON. */
static void test_body_syntax(void **state)
{
	(void)state;
	assert_int_equal(cdn_body_syntax("application/json", "x"), CDN_SYNTAX_JSON);
	assert_int_equal(cdn_body_syntax("Application/Merge-Patch+JSON; charset=utf-8", "x"),
	                 CDN_SYNTAX_JSON);
	assert_int_equal(cdn_body_syntax("application/x-www-form-urlencoded", "{x}"), CDN_SYNTAX_FORM);
	assert_int_equal(cdn_body_syntax("text/xml", "<a/>"), CDN_SYNTAX_XML);
	assert_int_equal(cdn_body_syntax("text/plain", " {\"path\": \"{path}\"}"), CDN_SYNTAX_JSON);
	assert_int_equal(cdn_body_syntax("text/plain", "purge {path}"), CDN_SYNTAX_TEXT);
}

static const char HTTP_PANE[] =
    "{ \"id\": \"cdn\", \"kind\": \"cdn\", \"provider\": \"http\", \"edge_url\": \"http://127.0.0.1:6084\","
    "  \"origin_url\": \"http://127.0.0.1:8080\", \"assets\": [\"/\"], \"purge_method\": \"POST\","
    "  \"purge_url\": \"http://127.0.0.1:6085/purge?u={path}\","
    "  \"purge_body\": \"{\\\"path\\\": \\\"{path}\\\", \\\"paths\\\": [{path}]}\" }";

/* Through prepare, as `sitrep do purge PATH` and the dialog see it: the
 * query keeps one parameter, the body is JSON naming the path, and the text
 * shows the body sent. (The old code put the path in raw: "?u=/a&all=1"
 * and "[/a&all=1]".) */
static void test_http_prepare_escapes(void **state)
{
	(void)state;
	struct fixture f;
	load(&f, HTTP_PANE);
	struct action *a = action_new(&kind_cdn_purge, "cdn");
	action_select(a, "/static/app.js?v=1&all=1");
	char *text = prepared(&f, a);
	assert_non_null(
	    strstr(text, "POST http://127.0.0.1:6085/purge?u=%2Fstatic%2Fapp.js%3Fv%3D1%26all%3D1\n"));
	const char *want =
	    "{\"path\": \"/static/app.js?v=1&all=1\", \"paths\": [\"/static/app.js?v=1&all=1\"]}";
	char *line = xasprintf("\n  %s\n", want);
	assert_non_null(strstr(text, line)); /* the body, as sent */
	free(line);
	free(text);
	action_free(a);
	unload(&f);
}

/* An answer's excerpt: the body's first line is masked whole, then cut to
 * what is shown, so a secret that straddles the cut leaves no piece (the old
 * code cut at 80 bytes first; the 5 bytes before the cut were too short to
 * be recognised as a secret and showed). */
static void test_body_snippet_masks_first(void **state)
{
	(void)state;
	static const char secret[] = "ghp_Zq8Xw3Rt9Lp2Vn6Bc4Hy7Jm1Kd5Fs0Ga";
	sanitize_add_secret(secret);
	for (size_t at = 60; at < 90; at++) {
		char *body = xasprintf("%*s%s trailing\nsecond line", (int)at, "error:", secret);
		char snip[128];
		cdn_body_snippet(body, strlen(body), snip, sizeof(snip));
		for (size_t k = 0; k + 4 <= sizeof(secret) - 1; k++)
			if (memmem(snip, strlen(snip), secret + k, 4) != NULL)
				fail_msg("secret at %zu: a piece shows in %s", at, snip);
		free(body);
	}
	char snip[128];
	cdn_body_snippet("  <html>oops</html>\nmore", 24, snip, sizeof(snip));
	assert_string_equal(snip, "\"<html>oops</html>...\"");
	cdn_body_snippet("   ", 3, snip, sizeof(snip));
	assert_string_equal(snip, "an empty body");
	sanitize_forget_secrets();
}

int main(void)
{
	sources_register();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_selected_row),
	    cmocka_unit_test(test_verb_by_identity),
	    cmocka_unit_test(test_display_form_is_not_the_identity),
	    cmocka_unit_test(test_stale_rows_at_their_edges),
	    cmocka_unit_test(test_api_every_edge),
	    cmocka_unit_test(test_unknown_edge),
	    cmocka_unit_test(test_visible),
	    cmocka_unit_test(test_url_path),
	    cmocka_unit_test(test_template_syntax),
	    cmocka_unit_test(test_body_syntax),
	    cmocka_unit_test(test_http_prepare_escapes),
	    cmocka_unit_test(test_body_snippet_masks_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
