/* cdn: the data model of a CDN pane (kind "cdn"), filled by the cdn source
 * (backends/cdn.c and one file per provider). Each configured asset is
 * fetched from the edge and from the origin; the row says whether the edge
 * serves the origin's copy (fresh), an old one (stale), nothing (missing),
 * nothing at either side (gone), answers that agree on nothing that proves
 * sameness (unverified) or could not be compared (error), and why.
 *
 * An asset has two forms: its raw path (the bytes as configured or
 * discovered, what the edge knows; requests use it, percent-encoded) and its
 * display path (every invisible or control character written visibly, such
 * as \u202e). Only the display form is ever drawn or printed; the raw one is
 * the identity an action is handed. Every other string is sanitized. */
#ifndef SITREP_CDN_H
#define SITREP_CDN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct kind_ops;
struct pane_ops;

/* Fresh only when both sides answered 2xx (or both the same 304) with the
 * same validator or body digest, compared whole; any doubt is unverified. */
enum cdn_verdict { CDN_FRESH, CDN_STALE, CDN_MISSING, CDN_ERROR, CDN_GONE, CDN_UNVERIFIED };

struct cdn_asset {
	char *path; /* the display form: "/static/app.js", "/static/\u202eevil.js" */
	char *raw;  /* the raw bytes (never drawn or printed): the action's identity */
	char *edge; /* the edge's label when the pane has several, else NULL */
	enum cdn_verdict verdict;
	char *detail;     /* the reason: `edge ETag "a1" != origin "b7", ...` */
	char *edge_cache; /* "HIT", "MISS", ... from the provider's headers; NULL unknown */
	double age;       /* the edge copy's age in seconds (Age header); < 0 unknown */
	long edge_status; /* HTTP status, 0 when no answer */
	long origin_status;
	char *edge_etag; /* NULL when absent */
	char *origin_etag;
	char edge_hash[65]; /* the body's SHA-256 in hex (whole: compare; display a prefix), "" unknown */
	char origin_hash[65];
	/* The raw ETags' SHA-256 (the display strings above may be cut): "" absent. */
	char edge_etag_hash[65];
	char origin_etag_hash[65];
};

struct cdn_data {
	char *provider;   /* "varnish", ... */
	double hit_ratio; /* 0..1, < 0 unknown */
	double objects;   /* objects cached, < 0 unknown */
	struct cdn_asset *assets;
	size_t nassets;
};

/* Allocates an empty model; free with cdn_data_free. */
struct cdn_data *cdn_data_new(const char *provider);
void cdn_data_free(void *data);
/* "fresh", "stale", "missing", "error", "gone", "unverified". */
const char *cdn_verdict_name(enum cdn_verdict v);
/* Assets that are stale or missing at the edge. */
size_t cdn_data_stale(const struct cdn_data *d);

/* The display form of a raw path: printable ASCII and visible characters as
 * they are; a backslash as \\; a control byte or a byte that is not UTF-8 as
 * \xNN; an invisible, spacing-lookalike or format character (bidi controls,
 * zero-width characters, variation selectors, tags, ...) as \uXXXX (or
 * \UXXXXXXXX). *changed (may be NULL) says whether anything invisible or
 * control was made visible. Caller frees. */
char *cdn_visible(const char *raw, bool *changed);
/* What the dialog appends to a path whose display form differs. */
#define CDN_VISIBLE_NOTE "(path shown with invisible characters made visible)"

extern const struct kind_ops kind_cdn;
/* The pane that draws it (tui/pane-cdn.c). */
extern const struct pane_ops pane_cdn;

/* The cdn kind's verbs (kinds/kind-cdn.c). */
extern const struct verb kind_cdn_purge;
extern const struct verb kind_cdn_purge_all;

#endif
