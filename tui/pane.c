/* pane: the table of pane kinds and everything every pane has in common:
 * its windows, its frame (border, title, state, age of data, warning badge),
 * the error and note lines, and the body placeholder before the first data.
 * A kind's draw hook only fills the body window.
 *
 * Each pane is one window with a derived body window. Every cell is written
 * on each draw (text is padded), so nothing is ever erased and there is no
 * flicker; once a second only the frame is redrawn when its age text
 * changed. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/alerts.h"
#include "sitrep/backups.h"
#include "sitrep/cdn.h"
#include "sitrep/checks.h"
#include "sitrep/config.h"
#include "sitrep/database.h"
#include "sitrep/deploys.h"
#include "sitrep/kind.h"
#include "sitrep/source.h"
#include "sitrep/util.h"
#include "sitrep/widgets.h"
#include "tui-internal.h"

static const struct pane_ops *const pane_table[] = {
    &pane_metrics,
    &pane_logs,
    &pane_alerts,
    &pane_database,
    &pane_cdn,
    &pane_timeline,
    &pane_deploys,
    &pane_checks,
    &pane_backups,
};

const struct pane_ops *pane_ops_find(const char *kind)
{
	for (size_t i = 0; i < ARRAY_LEN(pane_table); i++)
		if (kind != NULL && strcmp(pane_table[i]->kind, kind) == 0)
			return pane_table[i];
	return &pane_generic;
}

void pane_mark_dirty(struct pane *pane)
{
	pane->dirty = true;
}

bool pane_select(struct pane *pane, int sel, int nrows)
{
	if (sel >= nrows)
		sel = nrows - 1;
	if (sel < 0)
		sel = nrows > 0 ? 0 : -1;
	pane->selected = sel;
	pane_mark_dirty(pane);
	return true;
}

void pane_clamp_scroll(struct pane *pane, int nrows, int visible)
{
	if (pane->selected >= nrows)
		pane->selected = nrows - 1;
	if (pane->selected >= 0) {
		if (pane->selected < pane->scroll)
			pane->scroll = pane->selected;
		if (pane->selected >= pane->scroll + visible)
			pane->scroll = pane->selected - visible + 1;
	}
	if (pane->scroll > nrows - visible)
		pane->scroll = nrows - visible;
	if (pane->scroll < 0)
		pane->scroll = 0;
}

int pane_body_rows(const struct pane *pane)
{
	if (pane->win == NULL)
		return 1;
	int h = getmaxy(pane->win);
	return h > 0 ? h : 1;
}

const char *pane_title(const struct pane *pane)
{
	const struct pane_config *cfg = pane->src != NULL ? pane->src->cfg : NULL;
	if (cfg == NULL)
		return "?";
	if (cfg->title != NULL && cfg->title[0] != '\0')
		return cfg->title;
	return cfg->id != NULL ? cfg->id : "?";
}

enum pane_state pane_state_now(const struct pane *pane, uint64_t now_ms)
{
	const struct source *src = pane->src;
	/* Data counts as stale when two refreshes in a row went missing. */
	uint64_t stale_after = src->refresh_ms > 0 ? 2 * src->refresh_ms + 2000 : 0;
	/* Sources that never poll (followed files, notes) do not go stale by age. */
	if (src->ops == NULL || src->ops->refresh == NULL)
		stale_after = 0;
	return snapshot_state(&src->snap, now_ms, stale_after);
}

const char *pane_state_label(const struct pane *pane, enum pane_state state)
{
	const struct source *src = pane->src;
	/* A pane that only carries a note never gets data: "init" would promise some. */
	if (state == PANE_INIT && src->snap.note != NULL && src->ops != NULL && src->ops->refresh == NULL)
		return "note";
	return snapshot_state_name(state);
}

enum role pane_state_role(enum pane_state state)
{
	switch (state) {
	case PANE_OK: return ROLE_OK;
	case PANE_STALE: return ROLE_STALE;
	case PANE_ERROR: return ROLE_ERROR;
	default: return ROLE_DIM;
	}
}

static void pane_delete_windows(struct pane *pane)
{
	if (pane->win != NULL)
		delwin(pane->win);
	if (pane->frame != NULL)
		delwin(pane->frame);
	pane->win = NULL;
	pane->frame = NULL;
}

/* The body window sits below the error and note lines. */
static void pane_make_body(struct pane *pane)
{
	if (pane->win != NULL)
		delwin(pane->win);
	pane->win = NULL;
	int bh = pane->h - 2 - pane->reserved, bw = pane->w - 2;
	if (pane->frame != NULL && bh > 0 && bw > 0)
		pane->win = derwin(pane->frame, bh, bw, 1 + pane->reserved, 1);
}

void pane_place(struct pane *pane, const struct layout_rect *r)
{
	pane_delete_windows(pane);
	pane->y = r->y, pane->x = r->x, pane->h = r->h, pane->w = r->w;
	pane->dirty = true;
	pane->clock[0] = '\0';
	if (r->h < 3 || r->w < 3)
		return;
	pane->frame = newwin(r->h, r->w, r->y, r->x);
	if (pane->frame == NULL)
		return;
	leaveok(pane->frame, TRUE);
	pane_make_body(pane);
}

void pane_destroy(struct pane *pane)
{
	pane_delete_windows(pane);
	if (pane->ops != NULL && pane->ops->free != NULL)
		pane->ops->free(pane);
	pane->view = NULL;
}

/* "error 12s: message", the line the frame shows for a failing source. */
static void pane_error_text(const struct pane *pane, uint64_t now_ms, char *buf, size_t cap)
{
	const struct snapshot *snap = &pane->src->snap;
	char age[16] = "";
	util_age(snap->error_ms != 0 && now_ms > snap->error_ms ? now_ms - snap->error_ms : 0, age,
	         sizeof(age));
	snprintf(buf, cap, "error %s: %s", age, snap->error);
}

/* Rows the error needs: one, or two when it does not fit the width. */
static int pane_error_rows(const struct pane *pane, uint64_t now_ms)
{
	if (pane->src->snap.error == NULL)
		return 0;
	char line[600];
	pane_error_text(pane, now_ms, line, sizeof(line));
	return widgets_width(line) > pane->w - 2 ? 2 : 1;
}

/* State, data age and error age: what the frame shows that changes with time. */
static void pane_clock_text(const struct pane *pane, uint64_t now_ms, char *buf, size_t cap)
{
	const struct snapshot *snap = &pane->src->snap;
	enum pane_state st = pane_state_now(pane, now_ms);
	char age[16] = "", err_age[16] = "";
	if (snap->updated_ms != 0)
		util_age(now_ms > snap->updated_ms ? now_ms - snap->updated_ms : 0, age, sizeof(age));
	if (snap->error != NULL && snap->error_ms != 0)
		util_age(now_ms > snap->error_ms ? now_ms - snap->error_ms : 0, err_age, sizeof(err_age));
	snprintf(buf, cap, "%s|%s|%s", snapshot_state_name(st), age, err_age);
}

bool pane_clock_changed(struct pane *pane, uint64_t now_ms)
{
	char now_text[sizeof(pane->clock)];
	pane_clock_text(pane, now_ms, now_text, sizeof(now_text));
	return strcmp(now_text, pane->clock) != 0;
}

/* The top border: "┌ 1 host ─ ok 2s ────────── TLS verify off ┐". */
static void pane_draw_frame(struct pane *pane, uint64_t now_ms)
{
	WINDOW *f = pane->frame;
	const struct snapshot *snap = &pane->src->snap;
	int w = pane->w;
	enum role border = pane->focused ? ROLE_BORDER_FOCUS : ROLE_BORDER;
	widgets_box(f, border);

	char title[160];
	snprintf(title, sizeof(title), " %d %s ", pane->index + 1, pane_title(pane));
	int x = 1, room = w - 2;
	int used = widgets_text_nopad(f, 0, x, room, title, pane->focused ? ROLE_TITLE_FOCUS : ROLE_TITLE);
	x += used, room -= used;

	enum pane_state st = pane_state_now(pane, now_ms);
	char state[48], age[16] = "";
	if (snap->updated_ms != 0)
		util_age(now_ms > snap->updated_ms ? now_ms - snap->updated_ms : 0, age, sizeof(age));
	snprintf(state, sizeof(state), " %s%s%s ", pane_state_label(pane, st), age[0] ? " " : "", age);
	if (room > 2) {
		x += 1, room -= 1; /* one border cell between title and state */
		used = widgets_text_nopad(f, 0, x, room, state, pane_state_role(st));
		x += used, room -= used;
	}

	if (snap->warning != NULL && room > 6) {
		char badge[120];
		snprintf(badge, sizeof(badge), " ! %s ", snap->warning);
		int bw = widgets_width(badge);
		if (bw > room - 2)
			bw = room - 2;
		widgets_text_nopad(f, 0, w - 1 - bw, bw, badge, ROLE_BADGE);
	}

	/* Error and note lines, inside the frame above the body. */
	int row = 1;
	if (snap->error != NULL && row < pane->h - 1) {
		char line[600];
		pane_error_text(pane, now_ms, line, sizeof(line));
		/* the reserved error rows get the message wrapped, the last row clipped */
		int rows = pane->reserved - (snap->note != NULL && snap->data != NULL ? 1 : 0);
		const char *p = line;
		for (int i = 0; p != NULL && i < (rows > 0 ? rows : 1) && row < pane->h - 1; i++) {
			size_t len;
			const char *next = widgets_wrap(p, w - 2, &len);
			bool last = i + 1 >= rows;
			char *part = xstrndup(p, last ? strlen(p) : len);
			widgets_text(f, row++, 1, w - 2, part, ROLE_ERROR);
			free(part);
			p = next;
		}
	}
	if (snap->note != NULL && snap->data != NULL && row < pane->h - 1)
		widgets_text(f, row++, 1, w - 2, snap->note, ROLE_DIM);
	pane_clock_text(pane, now_ms, pane->clock, sizeof(pane->clock));
}

/* Before the first data: the note (wrapped), or what is going on. */
static void pane_draw_placeholder(struct pane *pane, WINDOW *win, int h, int w, uint64_t now_ms)
{
	const struct snapshot *snap = &pane->src->snap;
	const char *text = snap->note;
	enum role role = ROLE_NORMAL;
	if (text == NULL && snap->error == NULL) {
		text = "waiting for data...";
		role = ROLE_DIM;
	}
	/* a long note scrolls like any body: count its wrapped lines, clamp */
	int total = 0;
	for (const char *q = text; q != NULL; total++) {
		size_t len;
		q = widgets_wrap(q, w, &len);
	}
	if (pane->scroll > total - h)
		pane->scroll = total - h > 0 ? total - h : 0;
	int y = 0, line_no = 0;
	const char *p = text;
	while (p != NULL && y < h) {
		size_t len;
		const char *next = widgets_wrap(p, w, &len);
		if (line_no++ >= pane->scroll) {
			char *line = xstrndup(p, len);
			widgets_text(win, y++, 0, w, line, role);
			free(line);
		}
		p = next;
	}
	for (; y < h; y++)
		widgets_fill(win, y, 0, w, ROLE_NORMAL);
}

void pane_draw(struct pane *pane, uint64_t now_ms, bool frame_only)
{
	if (pane->frame == NULL)
		return;
	const struct snapshot *snap = &pane->src->snap;
	int want = pane_error_rows(pane, now_ms) + (snap->note != NULL && snap->data != NULL ? 1 : 0);
	if (want > pane->h - 3)
		want = pane->h - 3 > 0 ? pane->h - 3 : 0;
	if (want != pane->reserved) {
		pane->reserved = want;
		pane_make_body(pane);
		frame_only = false;
	}
	pane_draw_frame(pane, now_ms);
	wnoutrefresh(pane->frame);
	pane->frame_dirty = false;
	if (frame_only)
		return;
	if (pane->win != NULL) {
		int h, w;
		getmaxyx(pane->win, h, w);
		if (snap->data != NULL)
			pane->ops->draw(pane, pane->win, h, w);
		else
			pane_draw_placeholder(pane, pane->win, h, w, now_ms);
		wnoutrefresh(pane->win);
	}
	pane->drawn_generation = snap->generation;
	pane->dirty = false;
}

bool pane_scroll_key(struct pane *pane, int key)
{
	int page = pane_body_rows(pane) - 1;
	if (page < 1)
		page = 1;
	switch (key) {
	case KEY_UP: pane->scroll--; break;
	case KEY_DOWN: pane->scroll++; break;
	case KEY_PPAGE: pane->scroll -= page; break;
	case KEY_NPAGE: pane->scroll += page; break;
	case KEY_HOME: pane->scroll = 0; break;
	case KEY_END:
		/* The draw hook clamps to the last full page. */
		pane->scroll = INT_MAX / 2;
		break;
	default: return false;
	}
	if (pane->scroll < 0)
		pane->scroll = 0;
	pane->dirty = true;
	return true;
}

char *pane_summary(const struct pane *pane, uint64_t now_ms)
{
	const struct snapshot *snap = &pane->src->snap;
	const struct pane_config *cfg = pane->src->cfg;
	enum pane_state st = pane_state_now(pane, now_ms);
	char updated[40] = "never", age[16] = "";
	if (snap->updated_ms != 0) {
		util_rfc3339(snap->updated_wall, updated, sizeof(updated));
		util_age(now_ms > snap->updated_ms ? now_ms - snap->updated_ms : 0, age, sizeof(age));
	}
	char *text = xasprintf("pane %s (kind %s, source %s)\nstate: %s\nlast data: %s%s%s%s\n", cfg->id,
	                       cfg->kind, cfg->source != NULL ? cfg->source : "-", snapshot_state_name(st),
	                       updated, age[0] ? " (" : "", age, age[0] ? " ago)" : "");
	const char *extra[3][2] = {{"error: ", snap->error}, {"warning: ", snap->warning}, {"", snap->note}};
	for (int i = 0; i < 3; i++) {
		if (extra[i][1] == NULL)
			continue;
		char *more = xasprintf("%s\n%s%s", text, extra[i][0], extra[i][1]);
		free(text);
		text = more;
	}
	return text;
}
