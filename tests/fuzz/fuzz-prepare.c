/* fuzz-prepare: the action request builders (each source's prepare, and the
 * CDN providers' plans) fed hostile targets, selections and arguments, the
 * way `sitrep do VERB ARGS...` hands them over (the verb's own parse first)
 * and the way a pane does (the rows of a snapshot whose texts came from
 * outside). Nothing is sent: prepare only builds the request and its effect.
 *
 * Input: byte 0 picks the scenario, the rest is split at NUL bytes into
 * words (the argv after the verb, or a snapshot's ids and paths, then a
 * target). Invariants, on every scenario:
 * - the effect the dialog shows and the audit records is inert text:
 *   valid UTF-8, no control byte but its line breaks, no C1 or bidi control;
 * - a silence's body is JSON whose matchers are the arguments, byte for byte;
 * - a purge request goes to the configured host, whatever the path, with the
 *   configured method, and no header gains a byte from the path; a http
 *   provider's JSON body template stays JSON;
 * - a rollback goes to a deploy of the history it was chosen from, the one
 *   named when one was named, and its argv has as many elements as for a
 *   plain name; a release named for rollback is a directory entry of releases/;
 * - a cancel's SQL holds only the words of the SQL built for a plain pid or
 *   group, one statement per session it names, each session one of the pane's
 *   snapshot or named exactly by --backend-start, and every quoted literal
 *   is a timestamp (a session's identity); a selection a pane hands over
 *   that is not an identity builds nothing.
 * And what issue 17 asks of these builders: a target starting with '-' is
 * never acted on, an argv element that came from a target and starts with
 * '-' follows "--", no raw newline of a target splits the effect into a line
 * of its own, and a rollback never goes to a release that is a symlink. */
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "backends/cdn.h"
#include "backends/deploys-common.h"
#include "fuzz.h"
#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/kinds/cdn.h"
#include "sitrep/core/config.h"
#include "sitrep/kinds/database.h"
#include "sitrep/kinds/deploys.h"
#include "sitrep/core/jsonc.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

#define FUZZ_PREPARE_WORDS 64

/* The panes every scenario acts on; their hosts are what a request may reach. */
static const char fuzz_prepare_config[] =
    "{ \"state_dir\": \"%s/state\", \"panes\": [\n"
    " { \"id\": \"alerts\", \"kind\": \"alerts\", \"source\": \"alertmanager\",\n"
    "   \"url\": \"http://127.0.0.1:9093\" },\n"
    " { \"id\": \"varnish\", \"kind\": \"cdn\", \"source\": \"cdn\", \"provider\": \"varnish\",\n"
    "   \"edge_url\": \"http://127.0.0.1:6081\", \"origin_url\": \"http://127.0.0.1:8080\",\n"
    "   \"assets\": [\"/\"] },\n"
    " { \"id\": \"nginx\", \"kind\": \"cdn\", \"source\": \"cdn\", \"provider\": \"nginx\",\n"
    "   \"edges\": [ { \"name\": \"fra\", \"url\": \"http://127.0.0.1:6082\" },\n"
    "               { \"name\": \"lhr\", \"url\": \"http://127.0.0.1:6083\" } ],\n"
    "   \"origin_url\": \"http://127.0.0.1:8080\", \"assets\": [\"/\"] },\n"
    " { \"id\": \"http\", \"kind\": \"cdn\", \"source\": \"cdn\", \"provider\": \"http\",\n"
    "   \"edge_url\": \"http://127.0.0.1:6084\", \"origin_url\": \"http://127.0.0.1:8080\",\n"
    "   \"purge_method\": \"POST\", \"purge_url\": \"http://127.0.0.1:6085/purge?u={path_encoded}\",\n"
    "   \"purge_body\": \"{\\\"path\\\": \\\"{path}\\\"}\", \"purge_headers\": { \"X-Purge\": \"1\" },\n"
    "   \"purge_all_url\": \"http://127.0.0.1:6085/all\", \"assets\": [\"/\"] },\n"
    " { \"id\": \"cloudflare\", \"kind\": \"cdn\", \"source\": \"cdn\", \"provider\": \"cloudflare\",\n"
    "   \"edge_url\": \"http://127.0.0.1:6086\", \"origin_url\": \"http://127.0.0.1:8080\",\n"
    "   \"zone_id\": \"0123456789abcdef0123456789abcdef\", \"token_env\": \"FUZZ_PREPARE_TOKEN\",\n"
    "   \"api_url\": \"http://127.0.0.1:6087\", \"assets\": [\"/\"] },\n"
    " { \"id\": \"fastly\", \"kind\": \"cdn\", \"source\": \"cdn\", \"provider\": \"fastly\",\n"
    "   \"edge_url\": \"http://127.0.0.1:6088\", \"origin_url\": \"http://127.0.0.1:8080\",\n"
    "   \"service_id\": \"s1\", \"token_env\": \"FUZZ_PREPARE_TOKEN\",\n"
    "   \"api_url\": \"http://127.0.0.1:6089\", \"assets\": [\"/\"] },\n"
    " { \"id\": \"cloudfront\", \"kind\": \"cdn\", \"source\": \"cdn\", \"provider\": \"cloudfront\",\n"
    "   \"edge_url\": \"http://127.0.0.1:6090\", \"origin_url\": \"http://127.0.0.1:8080\",\n"
    "   \"distribution_id\": \"E1\", \"access_key_id\": \"AKIDFUZZ\",\n"
    "   \"secret_key_env\": \"FUZZ_PREPARE_TOKEN\", \"api_url\": \"http://127.0.0.1:6091\",\n"
    "   \"assets\": [\"/\"] },\n"
    " { \"id\": \"releases\", \"kind\": \"deploys\", \"source\": \"releases\", \"path\": \"%s/app\",\n"
    "   \"restart\": [\"/bin/true\", \"restart\"] },\n"
    " { \"id\": \"git\", \"kind\": \"deploys\", \"source\": \"git\", \"repo\": \"%s/app\",\n"
    "   \"tags\": \"deploy-*\", \"rollback\": [\"/bin/true\", \"--to\", \"{release}\"],\n"
    "   \"restart\": [\"/bin/true\", \"restart\"] },\n"
    " { \"id\": \"helm\", \"kind\": \"deploys\", \"source\": \"helm\", \"release\": \"web\",\n"
    "   \"namespace\": \"shop\" },\n"
    " { \"id\": \"kubectl\", \"kind\": \"deploys\", \"source\": \"kubectl\", \"deployment\": \"web\",\n"
    "   \"namespace\": \"shop\" },\n"
    " { \"id\": \"db\", \"kind\": \"database\", \"source\": \"postgres\",\n"
    "   \"conninfo\": \"host=127.0.0.1 port=5432 dbname=app\" }\n"
    "] }\n";

/* The authority every request of a CDN pane may name (its edges, its API). */
static const char *const fuzz_prepare_hosts[] = {
    "127.0.0.1:6081", "127.0.0.1:6082", "127.0.0.1:6083", "127.0.0.1:6085",
    "127.0.0.1:6087", "127.0.0.1:6089", "127.0.0.1:6091",
};

static struct app fuzz_prepare_app;
static char fuzz_prepare_dir[64];
static bool fuzz_prepare_ready;

/* SQL built for plain targets: its words. */
struct fuzz_prepare_sql {
	char *words; /* " SELECT pg_cancel_backend ... " */
};
static struct fuzz_prepare_sql fuzz_prepare_sql;

/* ---- set-up, once per process ---- */

static int fuzz_prepare_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void fuzz_prepare_cleanup(void)
{
	if (fuzz_prepare_dir[0] != '\0')
		nftw(fuzz_prepare_dir, fuzz_prepare_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void fuzz_prepare_mkdir(const char *under, const char *name)
{
	char *p = xasprintf("%s/%s%s", fuzz_prepare_dir, under, name);
	if (mkdir(p, 0700) != 0)
		abort();
	free(p);
}

/* A Capistrano layout: r1..r3, a release named like an option, and an
 * entry of releases/ that is a symlink out of it; current is r3. */
static void fuzz_prepare_releases(void)
{
	fuzz_prepare_mkdir("", "state");
	fuzz_prepare_mkdir("", "app");
	fuzz_prepare_mkdir("", "app/releases");
	static const char *const names[] = {"r1", "r2", "r3", "-x", "--force"};
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		fuzz_prepare_mkdir("app/releases/", names[i]);
	char *link = xasprintf("%s/app/releases/r0", fuzz_prepare_dir);
	char *current = xasprintf("%s/app/current", fuzz_prepare_dir);
	if (symlink(fuzz_prepare_dir, link) != 0 || symlink("releases/r3", current) != 0)
		abort();
	free(link);
	free(current);
}

static struct source *fuzz_prepare_source(const char *id)
{
	for (size_t i = 0; i < fuzz_prepare_app.nsources; i++)
		if (strcmp(fuzz_prepare_app.sources[i].cfg->id, id) == 0)
			return &fuzz_prepare_app.sources[i];
	abort();
}

static void fuzz_prepare_init(void)
{
	if (fuzz_prepare_ready)
		return;
	fuzz_prepare_ready = true;
	snprintf(fuzz_prepare_dir, sizeof(fuzz_prepare_dir), "/tmp/sitrep-fuzz-prepare-XXXXXX");
	if (mkdtemp(fuzz_prepare_dir) == NULL)
		abort();
	atexit(fuzz_prepare_cleanup);
	fuzz_prepare_releases();
	setenv("FUZZ_PREPARE_TOKEN", "fuzz-token-0123456789abcdef", 1);
	setenv("USER", "fuzz", 1);
	sources_register();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	char *text = xasprintf(fuzz_prepare_config, fuzz_prepare_dir, fuzz_prepare_dir, fuzz_prepare_dir);
#pragma GCC diagnostic pop
	struct config_error err = {0};
	if (config_load_text(&fuzz_prepare_app.cfg, "<fuzz-prepare>", text, strlen(text), &err) != 0 ||
	    app_create_sources(&fuzz_prepare_app, &err) != 0) {
		char msg[1200];
		config_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "fuzz-prepare: %s\n", msg);
		abort();
	}
	free(text);
}

/* ---- what every effect must be ---- */

/* The sanitizer's promise (core/sanitize.c), line breaks allowed. A
 * message cut by its buffer (cut true) may end in part of a character. */
static void fuzz_prepare_inert_cut(const char *text, bool cut)
{
	if (text == NULL)
		return;
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = fuzz_utf8_decode(s + i, len - i, &cp);
		if (n == 0 && cut && len - i < 4 && s[i] >= 0xC0)
			break;
		if (n == 0)
			abort();
		if (cp != '\n' && fuzz_utf8_forbidden(cp))
			abort();
		i += n;
	}
}

static void fuzz_prepare_inert(const char *text)
{
	fuzz_prepare_inert_cut(text, false);
}

/* An error message of a fixed buffer: cut when it filled it. */
static void fuzz_prepare_inert_err(const char *err, size_t cap)
{
	fuzz_prepare_inert_cut(err, strlen(err) + 1 == cap);
}

/* Whether some line of text starts with line (a whole line given). */
static bool fuzz_prepare_has_line(const char *text, const char *line, size_t len)
{
	for (const char *p = text; p != NULL; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, line, len) == 0)
			return true;
	return false;
}

/* No raw newline of an outside string becomes a line break of the effect:
 * the text after it never starts an effect line (only checked when that
 * text is long and plain enough to be told apart from the effect's own). */
static void fuzz_prepare_no_forged_line(const char *effect, char *const *strings, size_t n)
{
	for (size_t i = 0; effect != NULL && i < n; i++) {
		for (const char *nl = strchr(strings[i], '\n'); nl != NULL; nl = strchr(nl + 1, '\n')) {
			const char *after = nl + 1;
			size_t len = strcspn(after, "\n");
			bool plain = len >= 8;
			for (size_t k = 0; plain && k < len; k++)
				plain = after[k] >= 'a' && after[k] <= 'z';
			if (plain && fuzz_prepare_has_line(effect, after, len))
				abort();
		}
	}
}

/* The authority of url ("host:port"), in buf. */
static void fuzz_prepare_authority(const char *url, char *buf, size_t cap)
{
	const char *p = strstr(url, "://");
	p = p != NULL ? p + 3 : url;
	size_t len = strcspn(p, "/?#\\");
	snprintf(buf, cap, "%.*s", (int)(len < cap ? len : cap - 1), p);
}

static void fuzz_prepare_host_ok(const char *url)
{
	char auth[128];
	fuzz_prepare_authority(url, auth, sizeof(auth));
	for (size_t i = 0; i < ARRAY_LEN(fuzz_prepare_hosts); i++)
		if (strcmp(auth, fuzz_prepare_hosts[i]) == 0)
			return;
	abort();
}

/* ---- the input ---- */

struct fuzz_prepare_words {
	char *w[FUZZ_PREPARE_WORDS];
	size_t n;
};

static void fuzz_prepare_split(const uint8_t *data, size_t size, struct fuzz_prepare_words *out)
{
	out->n = 0;
	const char *p = (const char *)data, *end = p + size;
	while (p <= end && out->n < FUZZ_PREPARE_WORDS) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t len = (size_t)((z != NULL ? z : end) - p);
		out->w[out->n++] = xstrndup(p, len);
		if (z == NULL)
			break;
		p = z + 1;
	}
}

static void fuzz_prepare_words_free(struct fuzz_prepare_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->w[i]);
	w->n = 0;
}

/* `sitrep do VERB words...` up to prepare: the action, or NULL when the
 * verb's parse refused the words (a usage error: nothing is prepared). */
static struct action *fuzz_prepare_cli(const char *verb, char **words, size_t n)
{
	const struct verb *def = kind_verb_find(verb, NULL);
	if (def == NULL)
		abort();
	struct action *a = action_new(def, "");
	char err[300] = "";
	if (verb_parse(def, a, (int)n, words, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort(); /* a refusal always says why */
		fuzz_prepare_inert_err(err, sizeof(err));
		action_free(a);
		return NULL;
	}
	return a;
}

/* Runs prepare and the checks every action shares; true when it was built. */
static bool fuzz_prepare_run(struct source *src, struct action *a, char *const *strings, size_t n)
{
	char err[600] = "";
	int rc = action_prepare(src, a, err, sizeof(err));
	/* FUZZ_PREPARE_SHOW=1: what each input built, to see a seed reach its builder */
	if (getenv("FUZZ_PREPARE_SHOW") != NULL)
		fprintf(stderr, "%s %s: %s\n", src->cfg->id, a->verb->name, rc == 0 ? a->effect : err);
	char *what = action_describe(a);
	fuzz_prepare_inert(what);
	free(what);
	if (rc != 0) {
		if (err[0] == '\0')
			abort();
		fuzz_prepare_inert_err(err, sizeof(err));
		return false;
	}
	if (a->effect == NULL || a->request == NULL)
		abort();
	fuzz_prepare_inert(a->effect);
	fuzz_prepare_no_forged_line(a->effect, strings, n);
	return true;
}

/* ---- alertmanager: silence ---- */

static void fuzz_prepare_silence(struct fuzz_prepare_words *w)
{
	struct action *a = fuzz_prepare_cli("silence", w->w, w->n);
	if (a == NULL)
		return;
	if (fuzz_prepare_run(fuzz_prepare_source("alerts"), a, w->w, w->n)) {
		/* The body sent is JSON, and its matchers are the arguments, byte for byte. */
		cJSON *o = cJSON_Parse(a->request);
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "matchers");
		if (!cJSON_IsArray(m) || (size_t)cJSON_GetArraySize(m) != a->nparams)
			abort();
		for (size_t i = 0; i < a->nparams; i++) {
			const cJSON *e = cJSON_GetArrayItem(m, (int)i);
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
			const cJSON *value = cJSON_GetObjectItemCaseSensitive(e, "value");
			if (!cJSON_IsString(name) || !cJSON_IsString(value) ||
			    strcmp(name->valuestring, a->params[i].name) != 0 ||
			    strcmp(value->valuestring, a->params[i].value) != 0 ||
			    !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "isRegex")))
				abort();
		}
		if (a->duration_s <= 0 || a->duration_s > ACTION_MAX_DURATION_S)
			abort();
		cJSON_Delete(o);
	}
	action_free(a);
}

/* ---- cdn: purge, through the source and through each provider's plan ---- */

/* A snapshot of assets whose paths came from outside (discover reads them
 * from pages), most of them stale: `purge --stale` acts on those. */
static struct cdn_data *fuzz_prepare_assets(char *const *paths, size_t n)
{
	struct cdn_data *d = cdn_data_new("fuzz");
	d->assets = xcalloc(n + 1, sizeof(*d->assets));
	for (size_t i = 0; i < n; i++) {
		if (paths[i][0] != '/')
			continue; /* the config's check and discover keep only paths of the site */
		struct cdn_asset *as = &d->assets[d->nassets++];
		as->raw = xstrdup(paths[i]);
		as->path = cdn_visible(paths[i], NULL);
		as->verdict = i % 3 == 2 ? CDN_FRESH : CDN_STALE;
		as->age = -1;
	}
	return d;
}

static void fuzz_prepare_purge(struct fuzz_prepare_words *w, uint8_t pick)
{
	static const char *const panes[] = {"varnish", "nginx", "http", "cloudflare", "fastly", "cloudfront"};
	struct source *src = fuzz_prepare_source(panes[pick % ARRAY_LEN(panes)]);
	/* Half the inputs are the pane's stale rows, half the words of `do purge`. */
	bool rows = (pick / ARRAY_LEN(panes)) % 2 == 1;
	struct action *a;
	if (rows) {
		src->snap.data = fuzz_prepare_assets(w->w, w->n);
		char *stale[] = {"--stale"};
		a = fuzz_prepare_cli("purge", stale, 1);
	} else {
		a = fuzz_prepare_cli("purge", w->w, w->n);
	}
	if (a != NULL) {
		if (fuzz_prepare_run(src, a, w->w, w->n)) {
			/* Each request line of the effect names a configured host. */
			for (const char *line = a->effect; line != NULL;) {
				const char *sp = strchr(line, ' ');
				const char *nl = strchr(line, '\n');
				if (line[0] >= 'A' && line[0] <= 'Z' && sp != NULL &&
				    (nl == NULL || sp < nl) && strncmp(sp + 1, "http", 4) == 0)
					fuzz_prepare_host_ok(sp + 1);
				line = nl != NULL ? nl + 1 : NULL;
			}
		}
		action_free(a);
	}
	if (src->snap.data != NULL) {
		cdn_data_free(src->snap.data);
		src->snap.data = NULL;
	}
}

static void fuzz_prepare_plan_check(const char *provider, const struct cdn_request *r, const char *method,
                                    const char *path)
{
	if (r->method == NULL || r->url == NULL || (method != NULL && strcmp(r->method, method) != 0))
		abort();
	fuzz_prepare_host_ok(r->url);
	/* Headers come from the config, never from the path. */
	for (char **h = r->headers; h != NULL && *h != NULL; h++)
		for (const char *c = *h; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				abort();
	if (strcmp(provider, "cloudflare") == 0 && path != NULL) {
		/* The body is JSON naming the path's URL whole. */
		cJSON *o = cJSON_Parse(r->body);
		if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "files")))
			abort();
		cJSON_Delete(o);
	}
	if (strcmp(provider, "http") == 0 && r->body != NULL && path != NULL) {
		/* The configured JSON body stays JSON, whatever the path holds. */
		cJSON *o = cJSON_Parse(r->body);
		if (!cJSON_IsObject(o))
			abort();
		cJSON_Delete(o);
	}
}

/* Each provider's plan on its own, from the pane's config: the paths from
 * the words (those starting with '/', as every entry point requires). */
static void fuzz_prepare_plans(struct fuzz_prepare_words *w, uint8_t pick)
{
	static const struct {
		const char *pane, *method;
		const struct cdn_provider *prov;
	} cases[] = {
	    {"varnish", "PURGE", &cdn_provider_varnish}, {"nginx", "PURGE", &cdn_provider_nginx},
	    {"http", "POST", &cdn_provider_http},        {"cloudflare", "POST", &cdn_provider_cloudflare},
	    {"fastly", "POST", &cdn_provider_fastly},    {"cloudfront", "POST", &cdn_provider_cloudfront},
	};
	size_t c = pick % ARRAY_LEN(cases);
	struct source *src = fuzz_prepare_source(cases[c].pane);
	struct config_error cerr = {0};
	struct config_ctx ctx = {.file = "<fuzz-prepare>", .err = &cerr};
	void *pdata = NULL;
	const char *edge = strcmp(cases[c].pane, "nginx") == 0 ? "http://127.0.0.1:6082" : NULL;
	struct jnode *node = src->cfg->node;
	char *edge_url = NULL;
	if (edge == NULL && config_get_string(&ctx, node, "edge_url", true, NULL, &edge_url) != 0)
		abort();
	if (cases[c].prov->init(&ctx, node, edge != NULL ? edge : edge_url, &pdata) != 0)
		abort();
	free(edge_url);
	const char *paths[FUZZ_PREPARE_WORDS];
	size_t n = 0;
	for (size_t i = 0; i < w->n; i++)
		if (w->w[i][0] == '/')
			paths[n++] = w->w[i];
	struct cdn_request *reqs = NULL;
	size_t nreqs = 0;
	char err[300] = "";
	bool all = n == 0;
	if (cases[c].prov->plan(pdata, paths, n, all, &reqs, &nreqs, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < nreqs; i++)
			fuzz_prepare_plan_check(cases[c].prov->name, &reqs[i], all ? NULL : cases[c].method,
			                        !all && nreqs == n ? paths[i] : NULL);
		for (size_t i = 0; i < nreqs; i++)
			cdn_request_clear(&reqs[i]);
		free(reqs);
	} else if (err[0] == '\0') {
		abort();
	}
	if (cases[c].prov->free != NULL)
		cases[c].prov->free(pdata);
	/* CloudFront's body on its own: one <Path> per path, XML-escaped. */
	char *xml = cloudfront_invalidation_xml(paths, n, "fuzz");
	size_t count = 0;
	for (const char *p = xml; (p = strstr(p, "<Path>")) != NULL; p++)
		count++;
	if (count != n)
		abort();
	free(xml);
}

/* ---- deploys: rollback through git, helm and kubectl ---- */

/* A history from the words: the first is current, every fourth is bad. */
static struct deploys_data *fuzz_prepare_history(char *const *ids, size_t n)
{
	struct deploys_data *d = deploys_data_new();
	for (size_t i = 0; i < n; i++) {
		/* Ids are kept sanitized; two raw names shown alike are one id here
		 * (a source that lists both has two rows the user cannot tell apart). */
		char *clean = NULL;
		deploys_set(&clean, ids[i], (size_t)-1);
		bool seen = deploys_find(d, clean) != NULL;
		free(clean);
		if (seen)
			continue;
		struct deploy *p = deploys_add(d, ids[i]);
		deploys_set(&p->revision, ids[i], (size_t)-1);
		p->time = 1700000000 - (int64_t)i * 60;
		p->bad = i % 4 == 3;
	}
	if (d->n > 0)
		deploys_set_current(d, d->deploys[0].id);
	return d;
}

static size_t fuzz_prepare_argc(char *const *argv)
{
	size_t n = 0;
	while (argv != NULL && argv[n] != NULL)
		n++;
	return n;
}

/* The argv of a rollback to a plain id: how many elements it has. */
static size_t fuzz_prepare_plain_argc(struct source *src)
{
	/* numbers: helm and kubectl take nothing else as a revision */
	char *ids[] = {"12", "11"};
	src->snap.data = fuzz_prepare_history(ids, 2);
	struct action *a = action_new(&kind_deploys_rollback, "11");
	char err[300];
	size_t n = 0;
	if (action_prepare(src, a, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz-prepare: a plain rollback was refused: %s\n", err);
		abort();
	}
	n = fuzz_prepare_argc(((struct deploys_request *)a->request)->argv);
	action_free(a);
	deploys_data_free(src->snap.data);
	src->snap.data = NULL;
	return n;
}

static void fuzz_prepare_rollback(struct fuzz_prepare_words *w, uint8_t pick)
{
	static const char *const panes[] = {"git", "helm", "kubectl"};
	struct source *src = fuzz_prepare_source(panes[pick % ARRAY_LEN(panes)]);
	size_t plain = fuzz_prepare_plain_argc(src);
	/* The last word is what `do rollback` names (none when empty), the others the history. */
	size_t nids = w->n > 0 ? w->n - 1 : 0;
	struct deploys_data *d = fuzz_prepare_history(w->w, nids);
	src->snap.data = d;
	char *named = w->n > 0 ? w->w[w->n - 1] : "";
	struct action *a = named[0] != '\0' ? fuzz_prepare_cli("rollback", &named, 1)
	                                    : fuzz_prepare_cli("rollback", NULL, 0);
	if (a != NULL && fuzz_prepare_run(src, a, w->w, w->n)) {
		const struct deploys_request *r = a->request;
		const struct deploy *to = deploys_find(d, a->target);
		/* It goes to a deploy of the history, not the current one, the one named. */
		if (to == NULL || to->current || (named[0] != '\0' && strcmp(named, a->target) != 0))
			abort();
		if (fuzz_prepare_argc(r->argv) != plain)
			abort();
		if (a->target[0] == '-')
			abort();
		bool dashdash = false;
		for (char **e = r->argv; *e != NULL; e++) {
			if (strcmp(*e, "--") == 0)
				dashdash = true;
			else if ((*e)[0] == '-' && strcmp(*e, a->target) == 0 && !dashdash)
				abort();
		}
	}
	action_free(a);
	deploys_data_free(d);
	src->snap.data = NULL;
}

/* ---- releases: the symlink swap ---- */

static void fuzz_prepare_release(struct fuzz_prepare_words *w, uint8_t pick)
{
	struct source *src = fuzz_prepare_source("releases");
	bool restart = pick % 5 == 0;
	struct action *a = fuzz_prepare_cli(restart ? "restart" : "rollback", w->w, w->n);
	if (a != NULL && fuzz_prepare_run(src, a, w->w, w->n) && !restart) {
		/* A release is an entry of releases/: one name, no way out of it. */
		if (strchr(a->target, '/') != NULL || strcmp(a->target, ".") == 0 ||
		    strcmp(a->target, "..") == 0 || a->target[0] == '\0')
			abort();
		char *p = xasprintf("%s/app/releases/%s", fuzz_prepare_dir, a->target);
		struct stat st;
		if (lstat(p, &st) != 0)
			abort();
		if (!S_ISDIR(st.st_mode) || a->target[0] == '-')
			abort();
		free(p);
		if (strcmp(a->target, "r3") == 0)
			abort(); /* the current one */
	}
	action_free(a);
}

/* ---- postgres: cancel and terminate ---- */

static void fuzz_prepare_sql_words(const char *sql, char **out)
{
	for (const char *p = sql; *p != '\0';) {
		size_t len = 0;
		while ((p[len] >= 'a' && p[len] <= 'z') || (p[len] >= 'A' && p[len] <= 'Z') || p[len] == '_')
			len++;
		if (len == 0) {
			p++;
			continue;
		}
		char *word = xasprintf(" %.*s ", (int)len, p);
		if (strstr(*out, word) == NULL) {
			char *next = xasprintf("%s%.*s ", *out, (int)len, p);
			free(*out);
			*out = next;
		}
		free(word);
		p += len;
	}
}

static size_t fuzz_prepare_count(const char *s, char c)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

#define FUZZ_PREPARE_BS "2026-12-07 18:44:38.123456+00"
#define FUZZ_PREPARE_QS "2026-12-07 18:45:01+00"

/* The db pane's snapshot: what a pane selects from and `do cancel` without
 * a server names. Sessions 4242 and 4243 run group 123, 17 the smallest
 * query id, 242 a text group; 99 is another role's (no start shown). */
static void fuzz_prepare_db_snapshot(struct source *src)
{
	if (src->snap.data != NULL)
		return;
	static const struct {
		int pid;
		const char *group, *bs;
	} rows[] = {{4242, "123", FUZZ_PREPARE_BS},
	            {4243, "123", "2026-12-07 18:44:39+00"},
	            {17, "-9223372036854775808", "2026-12-07 18:40:00.5+00"},
	            {242, "t0123456789abcdef", "2026-12-07 18:41:00+05:30"},
	            {99, "-123", NULL}};
	struct database_data *d = database_data_new();
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		d->queries = xrealloc(d->queries, (d->nqueries + 1) * sizeof(*d->queries));
		struct db_query *q = &d->queries[d->nqueries++];
		memset(q, 0, sizeof(*q));
		q->pid = rows[i].pid;
		q->user = xstrdup("app");
		q->application = xstrdup("");
		q->client = xstrdup("");
		q->state = xstrdup("active");
		q->wait_event = xstrdup("");
		q->query = xstrdup("select 1");
		q->query_full = xstrdup("select 1");
		q->group = xstrdup(rows[i].group);
		q->duration_s = (double)i;
		q->xact_s = -1;
		q->session_start = rows[i].bs != NULL ? xstrdup(rows[i].bs) : NULL;
		q->query_start = rows[i].bs != NULL ? xstrdup(FUZZ_PREPARE_QS) : NULL;
	}
	database_build(d);
	src->snap.data = d; /* freed with the app's sources at exit */
}

/* The SQL for plain targets, as the vocabulary a hostile one must stay in. */
static void fuzz_prepare_sql_plain(struct source *src)
{
	if (fuzz_prepare_sql.words != NULL)
		return;
	fuzz_prepare_sql.words = xstrdup(" ");
	static char *const plain[][5] = {
	    {"4242", NULL},
	    {"4242", "--terminate", NULL},
	    {"--group", "123", NULL},
	    {"--group", "-9223372036854775808", "--terminate", NULL},
	    {"17", "--backend-start", FUZZ_PREPARE_BS, "--query-start", FUZZ_PREPARE_QS}};
	for (size_t i = 0; i < ARRAY_LEN(plain); i++) {
		size_t n = 0;
		while (n < 5 && plain[i][n] != NULL)
			n++;
		struct action *a = fuzz_prepare_cli("cancel", (char **)plain[i], n);
		char err[300];
		if (a == NULL || action_prepare(src, a, err, sizeof(err)) != 0)
			abort();
		fuzz_prepare_sql_words(a->effect, &fuzz_prepare_sql.words);
		action_free(a);
	}
}

/* The prepared SQL: the plain SQL's words only, one statement per session
 * selected (the selection is then each session's identity), every quoted
 * literal a timestamp, every pid one of the selection's. */
static void fuzz_prepare_cancel_check(const struct action *a)
{
	char *words = xstrdup(" ");
	fuzz_prepare_sql_words(a->effect, &words);
	for (char *p = words + 1; *p != '\0';) {
		char *end = strchr(p, ' ');
		char *word = xasprintf(" %.*s ", (int)(end - p), p);
		if (strstr(fuzz_prepare_sql.words, word) == NULL)
			abort();
		free(word);
		p = end + 1;
	}
	free(words);
	if (a->nselection == 0 || fuzz_prepare_count(a->effect, ';') != a->nselection ||
	    fuzz_prepare_count(a->effect, '\n') + 1 != a->nselection)
		abort();
	for (const char *q = strchr(a->effect, '\''); q != NULL; q = strchr(q, '\'')) {
		const char *end = strchr(q + 1, '\'');
		if (end == NULL)
			abort();
		char *lit = xstrndup(q + 1, (size_t)(end - q - 1));
		if (!database_valid_timestamp(lit))
			abort();
		free(lit);
		q = end + 1;
	}
	for (size_t i = 0; i < a->nselection; i++) {
		int pid;
		char *bs, *qs;
		if (database_identity_parse(a->selection[i], &pid, &bs, &qs) != 0)
			abort();
		char *named = xasprintf("WHERE pid = %d AND backend_start = '%s'", pid, bs);
		if (strstr(a->effect, named) == NULL)
			abort();
		free(named);
		free(bs);
		free(qs);
	}
}

static void fuzz_prepare_cancel(struct fuzz_prepare_words *w)
{
	struct source *src = fuzz_prepare_source("db");
	fuzz_prepare_db_snapshot(src);
	fuzz_prepare_sql_plain(src);
	struct action *a = fuzz_prepare_cli("cancel", w->w, w->n);
	if (a != NULL && fuzz_prepare_run(src, a, w->w, w->n))
		fuzz_prepare_cancel_check(a);
	action_free(a);
	/* The words as a pane's selection: only identities (or a pid the
	 * snapshot shows) build anything. */
	a = action_new(&kind_database_cancel, "x");
	for (size_t i = 0; i < w->n; i++)
		action_select(a, w->w[i]);
	char **chosen = xcalloc(w->n + 1, sizeof(*chosen));
	for (size_t i = 0; i < w->n; i++)
		chosen[i] = xstrdup(w->w[i]);
	if (fuzz_prepare_run(src, a, w->w, w->n)) {
		fuzz_prepare_cancel_check(a);
		for (size_t i = 0; i < w->n; i++) {
			int pid;
			char *bs, *qs;
			if (database_identity_parse(chosen[i], &pid, &bs, &qs) == 0) {
				free(bs);
				free(qs);
			} else if (database_query(src->snap.data, atoi(chosen[i])) == NULL) {
				abort(); /* a selection that names no session was accepted */
			}
		}
	}
	for (size_t i = 0; i < w->n; i++)
		free(chosen[i]);
	free(chosen);
	action_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	fuzz_prepare_init();
	struct fuzz_prepare_words w;
	fuzz_prepare_split(data + 1, size - 1, &w);
	uint8_t pick = data[0] / 6;
	switch (data[0] % 6) {
	case 0: fuzz_prepare_silence(&w); break;
	case 1: fuzz_prepare_purge(&w, pick); break;
	case 2: fuzz_prepare_plans(&w, pick); break;
	case 3: fuzz_prepare_rollback(&w, pick); break;
	case 4: fuzz_prepare_release(&w, pick); break;
	default: fuzz_prepare_cancel(&w); break;
	}
	fuzz_prepare_words_free(&w);
	return 0;
}
