/* dialog: a centred popup over the panes, for the details of a selected row,
 * the help, and the one confirmation. The text is wrapped to the popup's
 * width at draw time (so a resize rewraps it) and scrolls with the movement
 * keys; Esc closes. The popup is its own window queued after the panes, so a
 * pane redrawn underneath never shows through.
 *
 * A confirmation needs two more things: a footer pinned under the body that
 * never scrolls away (the prompt), and a record of what has really been on
 * the screen. That record is kept per byte of the text, not per wrapped row
 * or scroll position, so a resize (which rewraps and moves every row) keeps
 * exactly what was shown and nothing more; the rows still unseen are counted
 * again at the current width. Only a draw that reached the screen marks
 * anything: a terminal too small for the popup shows, and marks, nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/util.h"
#include "tui/widgets.h"
#include "tui-internal.h"

#define DIALOG_MAX_W 100
#define DIALOG_MIN_W 36

struct dialog *dialog_open(const char *title, char *text)
{
	struct dialog *dlg = xcalloc(1, sizeof(*dlg));
	dlg->title = xstrdup(title != NULL ? title : "");
	dlg->text = text != NULL ? text : xstrdup("");
	dlg->text_len = strlen(dlg->text);
	dlg->dirty = true;
	return dlg;
}

void dialog_close(struct dialog *dlg)
{
	if (dlg == NULL)
		return;
	if (dlg->win != NULL)
		delwin(dlg->win);
	free(dlg->title);
	free(dlg->text);
	free(dlg->footer);
	free(dlg->seen);
	free(dlg);
}

void dialog_set_footer(struct dialog *dlg, char *footer)
{
	if (dlg->footer != NULL && footer != NULL && strcmp(dlg->footer, footer) == 0) {
		free(footer);
		return;
	}
	free(dlg->footer);
	dlg->footer = footer;
	dlg->dirty = true;
}

void dialog_track_seen(struct dialog *dlg)
{
	if (dlg->seen == NULL)
		dlg->seen = xcalloc(dlg->text_len + 1, 1);
}

void dialog_forget_window(struct dialog *dlg)
{
	if (dlg->win != NULL)
		delwin(dlg->win);
	dlg->win = NULL;
	dlg->dirty = true;
}

bool dialog_on_screen(const struct dialog *dlg)
{
	return dlg != NULL && dlg->win != NULL;
}

/* Calls out(ctx, row, line, len, next) for each wrapped row (next: where the
 * following row starts, NULL after the last); returns the number of rows. */
typedef void (*dialog_row_fn)(void *ctx, int row, const char *line, size_t len, const char *next);

static int dialog_wrap(const char *text, int w, dialog_row_fn out, void *ctx)
{
	int rows = 0;
	const char *p = text;
	while (p != NULL) {
		size_t len;
		const char *next = widgets_wrap(p, w, &len);
		if (out != NULL)
			out(ctx, rows, p, len, next);
		rows++;
		p = next;
	}
	return rows;
}

static int dialog_longest(const char *text)
{
	int longest = 0;
	const char *p = text;
	while (p != NULL && *p != '\0') {
		int cols;
		size_t n = widgets_fit(p, 10000, &cols);
		if (cols > longest)
			longest = cols;
		p = p[n] == '\n' ? p + n + 1 : NULL;
	}
	return longest;
}

/* The popup's size and place on this screen; false when it cannot be drawn. */
static bool dialog_geometry(const struct dialog *dlg, struct dialog_geom *g)
{
	int w = dialog_longest(dlg->text) + 4;
	if (dlg->footer != NULL && dialog_longest(dlg->footer) + 4 > w)
		w = dialog_longest(dlg->footer) + 4;
	int tw = widgets_width(dlg->title) + 6;
	if (w < tw)
		w = tw;
	if (w < DIALOG_MIN_W)
		w = DIALOG_MIN_W;
	if (w > DIALOG_MAX_W)
		w = DIALOG_MAX_W;
	if (w > COLS - 2)
		w = COLS - 2;
	g->w = w;
	g->iw = w - 4;
	if (g->iw < 1)
		return false;
	g->rows = dialog_wrap(dlg->text, g->iw, NULL, NULL);
	g->frows = dlg->footer != NULL ? dialog_wrap(dlg->footer, g->iw, NULL, NULL) : 0;
	/* the footer sits under a rule of its own */
	int fixed = 2 + (g->frows > 0 ? g->frows + 1 : 0);
	int h = g->rows + fixed;
	if (h > LINES - 2)
		h = LINES - 2;
	g->h = h;
	g->body_h = h - fixed;
	g->y = (LINES - h) / 2;
	g->x = (COLS - w) / 2;
	return g->body_h >= 1;
}

bool dialog_measure(const struct dialog *dlg, struct dialog_geom *g)
{
	memset(g, 0, sizeof(*g));
	return dialog_geometry(dlg, g);
}

/* The bytes of the text a wrapped row stands for in the seen record: the
 * row, and the spaces or newline the wrap consumed after it; an empty last
 * row (the text ends with a newline) is its terminating NUL, the record's
 * extra byte. */
static void dialog_row_span(const struct dialog *dlg, const char *line, const char *next, size_t *from,
                            size_t *to)
{
	*from = (size_t)(line - dlg->text);
	*to = next != NULL ? (size_t)(next - dlg->text) : dlg->text_len;
	if (*to == *from)
		*to = *from + 1;
}

struct dialog_draw_ctx {
	struct dialog *dlg;
	int w;
	int first; /* the window row of wrapped row 0 */
	int skip;  /* rows scrolled away */
	int limit; /* rows drawn */
	enum role role;
	bool mark; /* record what is drawn as seen */
};

static void dialog_draw_row(void *ctx, int row, const char *line, size_t len, const char *next)
{
	struct dialog_draw_ctx *c = ctx;
	struct dialog *dlg = c->dlg;
	int y = row - c->skip;
	if (y < 0 || y >= c->limit)
		return;
	char *one = xstrndup(line, len);
	widgets_text(dlg->win, c->first + y, 2, c->w, one, c->role);
	free(one);
	if (c->mark && dlg->seen != NULL) {
		size_t from, to;
		dialog_row_span(dlg, line, next, &from, &to);
		memset(dlg->seen + from, 1, to - from);
	}
}

void dialog_draw(struct dialog *dlg, bool force)
{
	struct dialog_geom g;
	if (!dialog_measure(dlg, &g) || g.h < 3) {
		/* nothing of it is on the screen now */
		dialog_forget_window(dlg);
		return;
	}
	int h = g.h, w = g.w, iw = g.iw, rows = g.rows;
	if (dlg->win == NULL || getmaxy(dlg->win) != h || getmaxx(dlg->win) != w ||
	    getbegy(dlg->win) != g.y || getbegx(dlg->win) != g.x) {
		if (dlg->win != NULL)
			delwin(dlg->win);
		dlg->win = newwin(h, w, g.y, g.x);
		dlg->dirty = true;
		if (dlg->win == NULL)
			return;
		leaveok(dlg->win, TRUE);
	}
	if (!dlg->dirty) {
		if (force) {
			touchwin(dlg->win);
			wnoutrefresh(dlg->win);
		}
		return;
	}
	dlg->rows = rows;
	dlg->body_h = g.body_h;
	dlg->iw = iw;
	if (dlg->scroll > rows - dlg->body_h)
		dlg->scroll = rows - dlg->body_h;
	if (dlg->scroll < 0)
		dlg->scroll = 0;

	widgets_box(dlg->win, ROLE_BORDER_FOCUS);
	for (int r = 1; r < h - 1; r++) {
		widgets_fill(dlg->win, r, 1, 1, ROLE_HELP);
		widgets_fill(dlg->win, r, w - 2, 1, ROLE_HELP);
	}
	char title[200];
	snprintf(title, sizeof(title), " %s ", dlg->title);
	widgets_text_nopad(dlg->win, 0, 2, w - 4, title, ROLE_TITLE_FOCUS);
	struct dialog_draw_ctx ctx = {dlg, iw, 1, dlg->scroll, dlg->body_h, ROLE_HELP, true};
	dialog_wrap(dlg->text, iw, dialog_draw_row, &ctx);
	for (int r = rows - dlg->scroll; r < dlg->body_h; r++)
		widgets_fill(dlg->win, 1 + r, 2, iw, ROLE_HELP);
	if (g.frows > 0) {
		int rule = 1 + dlg->body_h;
		widgets_fill(dlg->win, rule, 1, w - 2, ROLE_HELP);
		widgets_hline(dlg->win, rule, 2, iw, ROLE_DIM);
		struct dialog_draw_ctx fctx = {dlg, iw, rule + 1, 0, g.frows, ROLE_TITLE_FOCUS, false};
		dialog_wrap(dlg->footer, iw, dialog_draw_row, &fctx);
	}
	char hint[96];
	const char *keys = dlg->scroll_keys != NULL ? dlg->scroll_keys : "j/k";
	const char *close = dlg->footer != NULL ? "" : "Esc close  ";
	if (rows > dlg->body_h)
		snprintf(hint, sizeof(hint), " %s%s scroll %d/%d ", close, keys, dlg->scroll + dlg->body_h,
		         rows);
	else
		snprintf(hint, sizeof(hint), " %s", dlg->footer != NULL ? "" : "Esc close ");
	int hw = widgets_width(hint);
	if (hw > 1 && hw < w - 4)
		widgets_text_nopad(dlg->win, h - 1, w - 2 - hw, hw, hint, ROLE_DIM);
	touchwin(dlg->win);
	wnoutrefresh(dlg->win);
	dlg->dirty = false;
}

struct dialog_unseen_ctx {
	const struct dialog *dlg;
	int unseen;
};

static void dialog_count_unseen(void *ctx, int row, const char *line, size_t len, const char *next)
{
	(void)row, (void)len;
	struct dialog_unseen_ctx *c = ctx;
	size_t from, to;
	dialog_row_span(c->dlg, line, next, &from, &to);
	if (memchr(c->dlg->seen + from, 0, to - from) != NULL)
		c->unseen++;
}

int dialog_unseen_rows(const struct dialog *dlg)
{
	if (dlg->seen == NULL)
		return 0;
	int iw = dlg->iw;
	if (iw < 1) {
		struct dialog_geom g;
		iw = dialog_measure(dlg, &g) ? g.iw : 1;
	}
	struct dialog_unseen_ctx ctx = {dlg, 0};
	dialog_wrap(dlg->text, iw, dialog_count_unseen, &ctx);
	return ctx.unseen;
}

bool dialog_scroll(struct dialog *dlg, enum keymap_action action)
{
	int page = dlg->body_h > 1 ? dlg->body_h - 1 : 1;
	int before = dlg->scroll;
	switch (action) {
	case KEYMAP_UP: dlg->scroll--; break;
	case KEYMAP_DOWN: dlg->scroll++; break;
	case KEYMAP_PAGE_UP: dlg->scroll -= page; break;
	case KEYMAP_PAGE_DOWN: dlg->scroll += page; break;
	case KEYMAP_TOP: dlg->scroll = 0; break;
	case KEYMAP_BOTTOM: dlg->scroll = dlg->rows; break;
	default: return false;
	}
	if (dlg->scroll > dlg->rows - dlg->body_h)
		dlg->scroll = dlg->rows - dlg->body_h;
	if (dlg->scroll < 0)
		dlg->scroll = 0;
	if (dlg->scroll != before)
		dlg->dirty = true;
	return true;
}

bool dialog_key(struct dialog *dlg, enum keymap_action action, int key)
{
	if (key == 27 || action == KEYMAP_QUIT || action == KEYMAP_DETAIL || action == KEYMAP_HELP)
		return true;
	dialog_scroll(dlg, action);
	return false;
}
