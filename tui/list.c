/* list: the list engine every list-like pane sits on (see tui/list.h).
 *
 * The rows shown are the model's rows that pass the filter, worked out again
 * only when the model's generation, the filter or the pane's view changed;
 * without a filter they are the model's rows themselves and nothing is
 * copied. The selection is an index into the rows shown (pane->selected) plus
 * the key of its row: after the rows were worked out again the selection
 * moves to wherever that key is now, so a refresh that reorders the rows
 * leaves the same row selected. Drawing asks the pane for each visible row
 * only, and never allocates. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/list.h"
#include "tui/pane.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"

#define LIST_EDIT_MAX 200
#define LIST_KEY_ESC  27

struct list {
	struct pane *pane;
	const struct list_ops *ops;
	unsigned flags;

	/* The rows shown: model rows, or NULL when every row is shown. */
	size_t *rows;
	size_t nrows, cap;
	uint64_t gen;
	bool valid;

	/* The selected row's key, when there is a selection with a key. */
	char key[LIST_KEY_MAX];
	bool has_key;
	int visible; /* rows drawn last time, for paging */

	/* The filter: what is being typed, what is applied. */
	bool editing;
	char edit[LIST_EDIT_MAX + 1];
	size_t elen;
	char filter[LIST_EDIT_MAX + 1];
	char error[160];
	pcre2_code *re;
	pcre2_match_data *md;
};

struct list *list_new(struct pane *pane, const struct list_ops *ops, unsigned flags)
{
	struct list *l = xcalloc(1, sizeof(*l));
	l->pane = pane;
	l->ops = ops;
	l->flags = flags;
	l->visible = 1;
	return l;
}

void list_free(struct list *l)
{
	if (l == NULL)
		return;
	pcre2_code_free(l->re);
	pcre2_match_data_free(l->md);
	free(l->rows);
	free(l);
}

void list_view_free(struct pane *pane)
{
	if (pane->view == NULL)
		return;
	/* the view's first member: C lets a struct be read through it */
	list_free(*(struct list **)pane->view);
	free(pane->view);
	pane->view = NULL;
}

void list_set_flags(struct list *l, unsigned flags)
{
	l->flags = flags;
}

bool list_match(const struct list *l, const char *text)
{
	if (l->re == NULL)
		return true;
	return pcre2_match(l->re, (PCRE2_SPTR)text, strlen(text), 0, 0, l->md, NULL) >= 0;
}

static size_t list_model_row(const struct list *l, size_t shown)
{
	return l->rows != NULL ? l->rows[shown] : shown;
}

static const char *list_row_key(struct list *l, size_t shown, char *buf)
{
	buf[0] = '\0';
	const char *k = l->ops->row_key(l->pane, list_model_row(l, shown), buf, LIST_KEY_MAX);
	return k != NULL ? k : "";
}

/* Notes the key of the selected row, so the selection can find it again. */
static void list_remember(struct list *l)
{
	l->has_key = false;
	int sel = l->pane->selected;
	if (l->ops->row_key == NULL || sel < 0 || (size_t)sel >= l->nrows)
		return;
	char buf[LIST_KEY_MAX];
	snprintf(l->key, sizeof(l->key), "%s", list_row_key(l, (size_t)sel, buf));
	l->has_key = true;
}

/* Puts the selection back on the row of its key after the rows changed:
 * where it was first (the usual case), else wherever it went. A row that is
 * gone leaves the selection at its place, on the row that took it. */
static void list_follow(struct list *l)
{
	struct pane *pane = l->pane;
	if (l->has_key) {
		char buf[LIST_KEY_MAX];
		int sel = pane->selected;
		bool found = sel >= 0 && (size_t)sel < l->nrows &&
		             strcmp(list_row_key(l, (size_t)sel, buf), l->key) == 0;
		for (size_t i = 0; !found && i < l->nrows; i++) {
			if (strcmp(list_row_key(l, i, buf), l->key) == 0) {
				pane->selected = (int)i;
				found = true;
			}
		}
	}
	if (pane->selected >= (int)l->nrows)
		pane->selected = (int)l->nrows - 1;
	if ((l->flags & LIST_ALWAYS_SELECT) && pane->selected < 0 && l->nrows > 0)
		pane->selected = 0;
	list_remember(l);
}

/* Works the rows shown out again when the model or the filter changed. */
static void list_sync(struct list *l)
{
	struct pane *pane = l->pane;
	uint64_t gen = l->ops->generation != NULL ? l->ops->generation(pane)
	               : pane->src != NULL        ? pane->src->snap.generation
	                                          : 0;
	if (l->valid && l->gen == gen)
		return;
	size_t n = l->ops->count(pane);
	if (l->re == NULL || l->ops->match == NULL) {
		free(l->rows);
		l->rows = NULL;
		l->cap = 0;
		l->nrows = n;
	} else {
		if (n > l->cap || l->rows == NULL) {
			l->cap = n > 0 ? n : 1;
			l->rows = xrealloc(l->rows, l->cap * sizeof(*l->rows));
		}
		l->nrows = 0;
		for (size_t i = 0; i < n; i++)
			if (l->ops->match(pane, i, l))
				l->rows[l->nrows++] = i;
	}
	l->gen = gen;
	l->valid = true;
	list_follow(l);
}

size_t list_count(struct list *l)
{
	list_sync(l);
	return l->nrows;
}

bool list_selected_row(struct list *l, size_t *row)
{
	list_sync(l);
	int sel = l->pane->selected;
	if (sel < 0 || (size_t)sel >= l->nrows)
		return false;
	*row = list_model_row(l, (size_t)sel);
	return true;
}

void list_reset(struct list *l)
{
	l->pane->selected = -1;
	l->pane->scroll = 0;
	l->has_key = false;
	l->valid = false;
	pane_mark_dirty(l->pane);
}

/* Applies a typed filter: a case-insensitive regex, "" for none. A regex
 * that does not compile is reported and the rows stay unfiltered. */
static void list_set_filter(struct list *l, const char *text)
{
	pcre2_code_free(l->re);
	pcre2_match_data_free(l->md);
	l->re = NULL;
	l->md = NULL;
	l->error[0] = '\0';
	l->filter[0] = '\0';
	l->valid = false;
	if (text[0] == '\0')
		return;
	int code;
	PCRE2_SIZE off;
	l->re = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS | PCRE2_UTF, &code,
	                      &off, NULL);
	if (l->re == NULL) {
		char err[120];
		pcre2_get_error_message(code, (PCRE2_UCHAR *)err, sizeof(err));
		snprintf(l->error, sizeof(l->error), "bad regex: %s", err);
		return;
	}
	pcre2_jit_compile(l->re, PCRE2_JIT_COMPLETE);
	l->md = pcre2_match_data_create_from_pattern(l->re, NULL);
	snprintf(l->filter, sizeof(l->filter), "%s", text);
}

/* Moves the selection to sel (kept among the rows) and notes its row. */
static bool list_select(struct list *l, int sel)
{
	pane_select(l->pane, sel, (int)l->nrows);
	list_remember(l);
	return true;
}

/* Every key while the filter is typed: Enter applies it (and starts the
 * selection afresh among the matches), Esc leaves the old filter. */
static bool list_edit_key(struct list *l, int ch)
{
	struct pane *pane = l->pane;
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		l->editing = false;
		pane->grab_keys = false;
		l->edit[l->elen] = '\0';
		list_set_filter(l, l->edit);
		pane->selected = -1;
		pane->scroll = 0;
		l->has_key = false;
	} else if (ch == LIST_KEY_ESC) {
		l->editing = false;
		pane->grab_keys = false;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (l->elen > 0)
			l->edit[--l->elen] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && l->elen < LIST_EDIT_MAX) {
		l->edit[l->elen++] = (char)ch;
		l->edit[l->elen] = '\0';
	}
	pane_mark_dirty(pane);
	return true;
}

bool list_key(struct list *l, int ch)
{
	struct pane *pane = l->pane;
	if (l->editing)
		return list_edit_key(l, ch);
	list_sync(l);
	int n = (int)l->nrows;
	int page = l->visible - 1 > 0 ? l->visible - 1 : 1;
	bool follow = (l->flags & LIST_FOLLOW_END) != 0;
	/* Where a move starts without a selection: the end a following list
	 * shows, else the top. */
	int from = pane->selected >= 0 ? pane->selected : follow ? n - 1 : 0;
	switch (ch) {
	case '/':
		if (l->ops->match == NULL)
			return false;
		l->editing = true;
		pane->grab_keys = true;
		snprintf(l->edit, sizeof(l->edit), "%s", l->filter);
		l->elen = strlen(l->edit);
		pane_mark_dirty(pane);
		return true;
	case LIST_KEY_ESC:
		if (l->filter[0] == '\0' && l->error[0] == '\0')
			return false;
		list_set_filter(l, "");
		list_sync(l);
		pane_mark_dirty(pane);
		return true;
	case 'n':
	case 'N':
		if (l->ops->match == NULL)
			return false;
		if (n == 0)
			return true;
		/* The rows shown are the matches: step through them, wrapping. */
		if (pane->selected < 0)
			return list_select(l, ch == 'n' ? 0 : n - 1);
		return list_select(l, (pane->selected + (ch == 'n' ? 1 : n - 1)) % n);
	case KEY_UP: return list_select(l, pane->selected >= 0 ? from - 1 : from);
	case KEY_DOWN: return list_select(l, pane->selected >= 0 ? from + 1 : from);
	case KEY_PPAGE: return list_select(l, from - page);
	case KEY_NPAGE: return list_select(l, from + page);
	case KEY_HOME: return list_select(l, 0);
	case KEY_END:
		if (follow) {
			pane->selected = -1;
			l->has_key = false;
			pane_mark_dirty(pane);
			return true;
		}
		return list_select(l, n - 1);
	default: return false;
	}
}

void list_draw(struct list *l, WINDOW *win, int y, int h, int w)
{
	struct pane *pane = l->pane;
	list_sync(l);
	if (h < 1) {
		l->visible = 1;
		return;
	}
	l->visible = h;
	int n = (int)l->nrows;
	if (pane->selected < 0 && (l->flags & LIST_FOLLOW_END))
		pane->scroll = n - h;
	pane_clamp_scroll(pane, n, h);
	int end = y + h;
	for (int r = pane->scroll; r < n && y < end; r++, y++)
		l->ops->draw_row(pane, win, y, w, list_model_row(l, (size_t)r),
		                 pane->focused && r == pane->selected);
	if (n == 0 && y < end) {
		enum role role = ROLE_DIM;
		const char *text = "";
		if (l->re != NULL)
			text = "(nothing matches the filter)";
		else if (l->ops->empty != NULL)
			text = l->ops->empty(pane, &role);
		widgets_text(win, y++, 0, w, text, role);
	}
	for (; y < end; y++)
		widgets_fill(win, y, 0, w, ROLE_NORMAL);
}

char *list_detail(struct list *l)
{
	size_t row;
	if (l->ops->detail == NULL || !list_selected_row(l, &row))
		return NULL;
	return l->ops->detail(l->pane, row);
}

const char *list_editing(const struct list *l)
{
	return l->editing ? l->edit : NULL;
}

const char *list_filter(const struct list *l)
{
	return l->filter;
}

const char *list_filter_error(const struct list *l)
{
	return l->error[0] != '\0' ? l->error : NULL;
}

bool list_has_status(const struct list *l)
{
	return l->editing || l->filter[0] != '\0' || l->error[0] != '\0';
}

void list_draw_status(struct list *l, WINDOW *win, int y, int w)
{
	char line[LIST_EDIT_MAX + 80];
	enum role role = ROLE_LABEL;
	if (l->editing) {
		snprintf(line, sizeof(line), "/%s_", l->edit);
	} else if (l->error[0] != '\0') {
		snprintf(line, sizeof(line), "%s  Esc: clear", l->error);
		role = ROLE_ERROR;
	} else if (l->filter[0] != '\0') {
		list_sync(l);
		snprintf(line, sizeof(line), "/%s (%zu of %zu)  n/N: next/prev  Esc: clear", l->filter,
		         l->nrows, l->ops->count(l->pane));
	} else {
		line[0] = '\0';
	}
	widgets_text(win, y, 0, w, line, role);
}

void list_draw_with_status(struct list *list, WINDOW *win, int y, int h, int w)
{
	bool status = list_has_status(list) && h > 1;
	list_draw(list, win, y, h - status, w);
	if (status)
		list_draw_status(list, win, y + h - 1, w);
}
