/* pane-cdn: draws the cdn snapshot: a summary line (provider, how many
 * assets are stale, hit ratio, objects), then one row per asset: verdict,
 * path, the edge's cache status, the edge copy's age, short validators and
 * the reason. Selection, paging, the `/` filter and Enter are the list
 * engine's (tui/list.c); a row is known by its edge and path. The path
 * drawn is the display form (invisible characters made visible); what `p`
 * hands the action is the raw path and the row's edge.
 * `p` purges the selected row, or every stale asset when no row is
 * selected; `P` everything. This pane only says which rows (its select
 * hook); the source prepares the exact requests, the one dialog asks, and
 * the gate sends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/action.h"
#include "sitrep/kinds/cdn.h"
#include "tui/list.h"
#include "tui/pane.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"

struct pane_cdn_view {
	struct list *list; /* first: list_view_free frees the view */
};

static const struct list_ops pane_cdn_list;

static struct pane_cdn_view *pane_cdn_view(struct pane *pane)
{
	if (pane->view == NULL) {
		struct pane_cdn_view *v = xcalloc(1, sizeof(*v));
		v->list = list_new(pane, &pane_cdn_list, 0);
		pane->view = v;
	}
	return pane->view;
}

static const struct cdn_data *pane_cdn_data(const struct pane *pane)
{
	return pane->src != NULL ? pane->src->snap.data : NULL;
}

static enum role pane_cdn_role(enum cdn_verdict v)
{
	switch (v) {
	case CDN_FRESH: return ROLE_OK;
	case CDN_STALE:
	case CDN_MISSING: return ROLE_CRIT;
	case CDN_GONE:
	case CDN_UNVERIFIED:
	case CDN_ERROR: break;
	}
	return ROLE_WARN;
}

/* An ETag in 8 characters, without W/ and quotes: enough to tell two apart. */
static void pane_cdn_short(const char *etag, char *buf, size_t cap)
{
	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	if (*etag == '"')
		etag++;
	size_t n = strcspn(etag, "\"");
	snprintf(buf, cap, "%.*s", (int)(n < 8 ? n : 8), etag);
}

/* "6b0cd395" when both sides agree, "6b0cd395!=7a1f0e22" (edge, origin) when
 * not. Whether they agree is read from the whole values (their hashes), never
 * from the shortened forms, which may read the same when the values differ. */
static void pane_cdn_validators(const struct cdn_asset *a, char *buf, size_t cap)
{
	char e[16] = "-", o[16] = "-";
	const char *eh = NULL, *oh = NULL; /* the whole values' hashes, when comparable */
	if (a->edge_etag != NULL)
		pane_cdn_short(a->edge_etag, e, sizeof(e));
	else if (a->edge_hash[0] != '\0')
		snprintf(e, sizeof(e), "#%.7s", a->edge_hash);
	if (a->origin_etag != NULL)
		pane_cdn_short(a->origin_etag, o, sizeof(o));
	else if (a->origin_hash[0] != '\0')
		snprintf(o, sizeof(o), "#%.7s", a->origin_hash);
	if (a->edge_etag != NULL && a->origin_etag != NULL)
		eh = a->edge_etag_hash, oh = a->origin_etag_hash;
	else if (a->edge_etag == NULL && a->origin_etag == NULL && a->edge_hash[0] != '\0')
		eh = a->edge_hash, oh = a->origin_hash;
	bool shown_same = strcmp(e, o) == 0;
	bool same = eh != NULL ? strcmp(eh, oh) == 0 : shown_same;
	if (same)
		snprintf(buf, cap, "%s", e);
	else if (shown_same)
		snprintf(buf, cap, "%s~!=%s~", e, o); /* the same start, different values */
	else
		snprintf(buf, cap, "%s!=%s", e, o);
}

/* The columns of a row, by priority: the verdict, the path and the
 * validators' heads are what tells a stale asset; then the reason, the
 * cache status, the HTTP status and the age; an edge's name last. The path
 * and validator columns are as wide as the widest value they show, so rows
 * line up and nothing readable is cut while there is room. */
enum { CDN_VERDICT, CDN_EDGE, CDN_PATH, CDN_STATUS, CDN_CACHE, CDN_AGE, CDN_VAL, CDN_DETAIL, CDN_NCOLS };

static void pane_cdn_columns(const struct cdn_data *d, int w, struct widgets_col *c)
{
	int path = 4, val = 1, edge = 0;
	for (size_t i = 0; d != NULL && i < d->nassets; i++) {
		char v[40];
		pane_cdn_validators(&d->assets[i], v, sizeof(v));
		int pw = widgets_width(d->assets[i].path), vw = widgets_width(v);
		path = pw > path ? pw : path;
		val = vw > val ? vw : val;
		if (d->assets[i].edge != NULL && widgets_width(d->assets[i].edge) > edge)
			edge = widgets_width(d->assets[i].edge);
	}
	c[CDN_VERDICT] = (struct widgets_col){.min = 5, .want = 7, .prio = 0};
	c[CDN_EDGE] = (struct widgets_col){.min = edge > 0 ? 3 : 0, .want = edge < 12 ? edge : 12, .prio = 7};
	c[CDN_PATH] =
	    (struct widgets_col){.min = path < 24 ? path : 24, .want = path < 40 ? path : 40, .prio = 1};
	c[CDN_STATUS] = (struct widgets_col){.min = 3, .want = 3, .prio = 5};
	c[CDN_CACHE] = (struct widgets_col){.min = 4, .want = 7, .prio = 4};
	c[CDN_AGE] = (struct widgets_col){.min = 3, .want = 5, .prio = 6};
	c[CDN_VAL] = (struct widgets_col){.min = val < 9 ? val : 9, .want = val, .prio = 2};
	int detail = 12;
	for (size_t i = 0; d != NULL && i < d->nassets; i++)
		if (d->assets[i].detail != NULL && widgets_width(d->assets[i].detail) > detail)
			detail = widgets_width(d->assets[i].detail);
	c[CDN_DETAIL] = (struct widgets_col){.min = 12, .want = detail, .prio = 3, .fill = true};
	widgets_columns(c, CDN_NCOLS, w);
}

static void pane_cdn_draw_row(struct pane *pane, WINDOW *win, int y, int w, size_t row, bool sel)
{
	const struct cdn_data *d = pane_cdn_data(pane);
	const struct cdn_asset *a = &d->assets[row];
	enum role base = sel ? ROLE_SELECTION : ROLE_NORMAL;
	struct widgets_col c[CDN_NCOLS];
	pane_cdn_columns(d, w, c);
	char age[16] = "-", status[24] = "-", val[40] = "-";
	if (a->age >= 0)
		util_age((uint64_t)(a->age * 1000), age, sizeof(age));
	if (a->edge_status > 0)
		snprintf(status, sizeof(status), "%ld", a->edge_status);
	pane_cdn_validators(a, val, sizeof(val));
	const char *text[CDN_NCOLS] = {
	    [CDN_VERDICT] = cdn_verdict_name(a->verdict),
	    [CDN_EDGE] = a->edge != NULL ? a->edge : "",
	    [CDN_PATH] = a->path,
	    [CDN_STATUS] = status,
	    [CDN_CACHE] = a->edge_cache != NULL ? a->edge_cache : "-",
	    [CDN_AGE] = age,
	    [CDN_VAL] = val,
	    [CDN_DETAIL] = a->detail != NULL ? a->detail : "",
	};
	enum role role[CDN_NCOLS];
	for (int i = 0; i < CDN_NCOLS; i++)
		role[i] = base;
	if (!sel)
		role[CDN_VERDICT] = pane_cdn_role(a->verdict);
	widgets_row(win, y, 0, w, c, CDN_NCOLS, text, role, base);
}

static void pane_cdn_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	struct pane_cdn_view *v = pane_cdn_view(pane);
	const struct cdn_data *d = pane_cdn_data(pane);
	int y = 0;
	if (d != NULL && h > 1) {
		size_t stale = cdn_data_stale(d);
		char line[160];
		int n = snprintf(line, sizeof(line), "%s  %zu stale of %zu", d->provider, stale, d->nassets);
		if (d->hit_ratio >= 0 && n > 0 && (size_t)n < sizeof(line))
			n +=
			    snprintf(line + n, sizeof(line) - (size_t)n, "  hit %.0f %%", d->hit_ratio * 100);
		if (d->objects >= 0 && n > 0 && (size_t)n < sizeof(line))
			snprintf(line + n, sizeof(line) - (size_t)n, "  %.0f objects", d->objects);
		widgets_text(win, y++, 0, w, line, stale > 0 ? ROLE_CRIT : ROLE_LABEL);
	}
	list_draw_with_status(v->list, win, y, h - y, w);
}

static bool pane_cdn_key(struct pane *pane, int ch)
{
	struct pane_cdn_view *v = pane_cdn_view(pane);
	if (pane->src->snap.note != NULL) {
		source_set_note(pane->src, NULL);
		pane_mark_dirty(pane);
	}
	if (pane_cdn_data(pane) == NULL)
		return false;
	return list_key(v->list, ch);
}

static size_t pane_cdn_count(struct pane *pane)
{
	const struct cdn_data *d = pane_cdn_data(pane);
	return d != NULL ? d->nassets : 0;
}

static const char *pane_cdn_row_key(struct pane *pane, size_t row, char *buf, size_t cap)
{
	const struct cdn_asset *a = &pane_cdn_data(pane)->assets[row];
	snprintf(buf, cap, "%s %s", a->edge != NULL ? a->edge : "", a->path);
	return buf;
}

static bool pane_cdn_match(struct pane *pane, size_t row, const struct list *list)
{
	const struct cdn_asset *a = &pane_cdn_data(pane)->assets[row];
	return list_match(list, a->path) || list_match(list, cdn_verdict_name(a->verdict)) ||
	       (a->detail != NULL && list_match(list, a->detail)) ||
	       (a->edge_cache != NULL && list_match(list, a->edge_cache));
}

static char *pane_cdn_row_detail(struct pane *pane, size_t row)
{
	const struct cdn_asset *a = &pane_cdn_data(pane)->assets[row];
	char age[32] = "-";
	if (a->age >= 0)
		snprintf(age, sizeof(age), "%.0f s", a->age);
	bool changed = false;
	if (a->raw != NULL)
		free(cdn_visible(a->raw, &changed));
	return xasprintf(
	    "%s%s%s%s\nverdict: %s\nreason: %s\nedge: HTTP %ld, cache %s, age %s, ETag %s, SHA-256 %s\n"
	    "origin: HTTP %ld, ETag %s, SHA-256 %s",
	    a->path, a->edge != NULL ? " at " : "", a->edge != NULL ? a->edge : "",
	    changed ? "\n" CDN_VISIBLE_NOTE : "", cdn_verdict_name(a->verdict),
	    a->detail != NULL ? a->detail : "-", a->edge_status, a->edge_cache != NULL ? a->edge_cache : "-",
	    age, a->edge_etag != NULL ? a->edge_etag : "-", a->edge_hash[0] != '\0' ? a->edge_hash : "-",
	    a->origin_status, a->origin_etag != NULL ? a->origin_etag : "-",
	    a->origin_hash[0] != '\0' ? a->origin_hash : "-");
}

static const char *pane_cdn_empty(struct pane *pane, enum role *role)
{
	(void)pane;
	*role = ROLE_LABEL;
	return "no assets configured";
}

static const struct list_ops pane_cdn_list = {
    .count = pane_cdn_count,
    .draw_row = pane_cdn_draw_row,
    .row_key = pane_cdn_row_key,
    .match = pane_cdn_match,
    .detail = pane_cdn_row_detail,
    .empty = pane_cdn_empty,
};

/* `p`: the selected row's path, or (nothing selected) the stale ones, which
 * the source takes from the snapshot it prepares from. `P` needs nothing. */
static int pane_cdn_select(struct pane *pane, struct action *a, char *err, size_t cap)
{
	(void)err, (void)cap;
	if (a->verb != &kind_cdn_purge)
		return 0;
	struct pane_cdn_view *v = pane_cdn_view(pane);
	const struct cdn_data *d = pane_cdn_data(pane);
	size_t row;
	if (d != NULL && list_selected_row(v->list, &row) && row < d->nassets) {
		/* The raw bytes the edge knows, not the path as drawn; and the
		 * row's edge, so the purge goes there alone. */
		action_select(a, d->assets[row].raw);
		if (d->assets[row].edge != NULL)
			action_add_param(a, "edge", d->assets[row].edge);
	} else
		action_add_param(a, "stale", "1");
	return 0;
}

static char *pane_cdn_detail(struct pane *pane)
{
	return list_detail(pane_cdn_view(pane)->list);
}

const struct pane_ops pane_cdn = {
    .kind = "cdn",
    .draw = pane_cdn_draw,
    .key = pane_cdn_key,
    .select = pane_cdn_select,
    .detail = pane_cdn_detail,
    .free = list_view_free,
};
