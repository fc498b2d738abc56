/* fuzz-cdn: the cdn probe's readers of outside input: a response's header
 * block (every provider's cache headers into one status), the verdict made
 * from two of them, varnishstat's JSON, the purge APIs' answers, and the
 * pages "discover" reads (each reference resolved as a path of the site).
 * And the purge's request builder with a hostile target: the input as an
 * asset's raw path, prepared for a varnish pane of two edges and a
 * cloudfront pane; the display form has nothing invisible left, the URLs
 * only what a URL may carry, the dialog's text no control. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cdn.h"
#include "fuzz.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/kinds/cdn.h"
#include "sitrep/core/config.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

static struct app fuzz_cdn_app;
static bool fuzz_cdn_ready;

static void fuzz_cdn_setup(void)
{
	static const char cfg[] =
	    "{ \"panes\": ["
	    " { \"id\": \"v\", \"kind\": \"cdn\", \"provider\": \"varnish\", \"varnishstat\": false,"
	    "   \"edges\": [ { \"name\": \"fra\", \"url\": \"http://127.0.0.1:6001\" },"
	    "                { \"name\": \"lhr\", \"url\": \"http://127.0.0.1:6002\" } ],"
	    "   \"origin_url\": \"http://127.0.0.1:8080\", \"assets\": [\"/a.js\"] },"
	    " { \"id\": \"c\", \"kind\": \"cdn\", \"provider\": \"cloudfront\", \"distribution_id\": \"E1\","
	    "   \"access_key_id\": \"AKIDFUZZ\", \"secret_key_env\": \"FUZZ_CDN_SECRET\","
	    "   \"edge_url\": \"http://127.0.0.1:6001\", \"origin_url\": \"http://127.0.0.1:8080\","
	    "   \"assets\": [\"/a.js\"] } ] }";
	fuzz_cdn_ready = true;
	setenv("FUZZ_CDN_SECRET", "fuzz-secret-0123456789", 1);
	sources_register();
	struct config_error err = {0};
	if (config_load_text(&fuzz_cdn_app.cfg, "fuzz.json", cfg, strlen(cfg), &err) != 0 ||
	    app_create_sources(&fuzz_cdn_app, &err) != 0) {
		char msg[300];
		config_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "fuzz-cdn: the panes do not load: %s\n", msg);
		abort();
	}
}

/* Bytes a URL this builder writes may hold: printable ASCII but the ones
 * cdn_url_path encodes. */
static bool fuzz_cdn_url_ok(const char *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f ||
		    strchr("\"<>\\^`{|}", u[i]) != NULL)
			return false;
	return true;
}

static void fuzz_cdn_prepare(const uint8_t *data, size_t size)
{
	if (!fuzz_cdn_ready)
		fuzz_cdn_setup();
	char *raw = xasprintf("/%.*s", (int)(size < 512 ? size : 512), (const char *)data);
	bool changed;
	char *shown = cdn_visible(raw, &changed);
	for (const unsigned char *c = (const unsigned char *)shown; *c != '\0'; c++)
		if (*c < 0x20 || *c == 0x7f)
			abort();
	/* Nothing invisible is left: made visible twice, nothing changes but backslashes. */
	char *twice = cdn_visible(shown, &changed);
	if (changed)
		abort();
	free(twice);
	char *url = cdn_url_path(raw), *again = cdn_url_path(url);
	if (strcmp(url, again) != 0 || !fuzz_cdn_url_ok(url, strlen(url)))
		abort();
	free(again);
	for (size_t s = 0; s < fuzz_cdn_app.nsources; s++) {
		struct action *a = action_new(&kind_cdn_purge, "cdn");
		action_select(a, raw);
		if (s == 0)
			action_add_param(a, "edge", "fra");
		char err[300];
		if (action_prepare(&fuzz_cdn_app.sources[s], a, err, sizeof(err)) == 0) {
			/* Only fra's edge gets a request; every request's URL is inert. */
			if (s == 0 && strstr(a->effect, "PURGE http://127.0.0.1:6002") != NULL)
				abort();
			for (const char *l = a->effect; l != NULL && *l != '\0';) {
				const char *nl = strchr(l, '\n');
				size_t n = nl != NULL ? (size_t)(nl - l) : strlen(l);
				size_t m = strncmp(l, "PURGE ", 6) == 0  ? 6
				           : strncmp(l, "POST ", 5) == 0 ? 5
				                                         : 0;
				if (m > 0 && !fuzz_cdn_url_ok(l + m, n - m))
					abort();
				for (size_t i = 0; i < n; i++)
					if ((unsigned char)l[i] < 0x20 || (unsigned char)l[i] == 0x7f)
						abort();
				l = nl != NULL ? nl + 1 : NULL;
			}
			/* The varnish request is for the raw path, encoded, whatever it holds
			 * (unless the path holds a piece of the secret: the effect masks it). */
			char *masked = sanitize_str(url);
			if (s == 0 && strcmp(masked, url) == 0 && strstr(a->effect, url) == NULL)
				abort();
			free(masked);
		}
		action_free(a);
	}
	free(url);
	free(shown);
	free(raw);
}

static void fuzz_cdn_ref(const char *ref, void *arg)
{
	(void)arg;
	char *path = cdn_html_resolve("http://127.0.0.1:8080", "/shop/booking", ref);
	if (path == NULL)
		return;
	/* What discover keeps is a path of the site, without spaces or controls. */
	if (path[0] != '/')
		abort();
	for (const char *c = path; *c != '\0'; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			abort();
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct cdn_side e, o;
	cdn_side_init(&e);
	cdn_side_init(&o);
	cdn_headers_parse(text, size, &e.hdr);
	/* The second half as the origin's answer. */
	cdn_headers_parse(text + size / 2, size - size / 2, &o.hdr);
	for (const char *s = e.hdr.etag; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
			abort();
	if (strlen(e.hdr.cache) >= sizeof(e.hdr.cache))
		abort();
	e.status = o.status = 200;
	char *why = NULL;
	enum cdn_verdict v = cdn_compare(&e, &o, &why);
	if (why == NULL || (v != CDN_FRESH && v != CDN_STALE && v != CDN_MISSING && v != CDN_ERROR &&
	                    v != CDN_GONE && v != CDN_UNVERIFIED))
		abort();
	free(why);
	/* The purge APIs' answers: accepted with an id, or refused with a reason. */
	int (*const answers[])(long, const char *, size_t, char **, char *, size_t) = {
	    cloudflare_parse_answer, fastly_parse_answer, cloudfront_parse_answer};
	for (size_t i = 0; i < 3; i++) {
		char *id = NULL;
		char why2[300] = "";
		int rc =
		    answers[i](size > 0 ? 200 + data[0] % 300 : 200, text, size, &id, why2, sizeof(why2));
		if ((rc == 0) != (why2[0] == '\0') && rc != 0)
			abort();
		free(id);
	}
	bool body = cdn_need_body(&e, &o);
	(void)body;
	cdn_html_refs(text, size, fuzz_cdn_ref, NULL);
	fuzz_cdn_prepare(data, size);
	struct varnish_stats st;
	char err[200];
	if (varnish_parse_stats(text, size, &st, err, sizeof(err)) == 0 && (st.hit < 0 || st.miss < 0))
		abort();
	return 0;
}
