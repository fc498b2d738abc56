/* widgets: the drawing primitives every pane uses: role attributes, text
 * clipped to display columns, sparklines, bars. Glyphs fall back to ASCII when
 * the locale is not UTF-8. */
#ifndef SITREP_WIDGETS_H
#define SITREP_WIDGETS_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

#include "tui/theme.h"

/* Set once by the screen at start. */
void widgets_setup(bool utf8, const struct theme *theme, int colors);
bool widgets_utf8(void);
/* The attribute (colour pair and flags) of a role. */
attr_t widgets_attr(enum role role);
/* Display width of UTF-8 text (sanitized text: every char is printable). */
int widgets_width(const char *text);
/* Draws text at (y, x) clipped to w columns and pads with spaces to w.
 * Returns the columns the text used. */
int widgets_text(WINDOW *win, int y, int x, int w, const char *text, enum role role);
/* Same without padding; returns columns used. */
int widgets_text_nopad(WINDOW *win, int y, int x, int w, const char *text, enum role role);
/* widgets_text_nopad with an explicit attribute (see widgets_status_attr). */
int widgets_text_attr(WINDOW *win, int y, int x, int w, const char *text, attr_t attr);
/* A role's foreground on the status bar's background, for marks in the status bar. */
attr_t widgets_status_attr(enum role role);
/* Bytes of the longest prefix of text that fits in w columns, stopping at a
 * newline; its width in *cols (may be NULL). */
size_t widgets_fit(const char *text, int w, int *cols);
/* Word wrap: the length in bytes of the next line of at most w columns
 * (breaking at a space when it can); returns where the line after it starts,
 * or NULL at the end of the text. */
const char *widgets_wrap(const char *text, int w, size_t *len);
/* text made to fit w columns: whole when it fits, else cut at the last word
 * boundary (a space) in its second half, or mid-word when a single word is
 * longer than that, and ended with an ellipsis ("…", "..." without UTF-8),
 * trailing spaces and separators dropped before it. Caller frees. */
char *widgets_cut(const char *text, int w);
/* widgets_text of widgets_cut(text, w). Returns the columns used. */
int widgets_text_cut(WINDOW *win, int y, int x, int w, const char *text, enum role role);
/* One column of a list row. Each has a minimum below which it is not drawn
 * at all, the width it would like, and a priority (0 first): the columns
 * get their minimum in priority order while there is room (one space
 * between columns), then grow toward what they want in the same order; a
 * fill column (its want: its text's width) takes what is left after that.
 * w is the result (0: hidden). */
struct widgets_col {
	int min, want, prio;
	bool fill;
	int w;
};
void widgets_columns(struct widgets_col *cols, size_t n, int w);
/* Draws the row's cells from column x0: text[i] in cols[i] (cut at a word
 * with "…", padded), role[i], the gaps in gap_role; the rest of w filled. */
void widgets_row(WINDOW *win, int y, int x0, int w, const struct widgets_col *cols, size_t n,
                 const char *const *text, const enum role *role, enum role gap_role);
/* A sparkline of the last w values (NaN: gap), scaled to [lo, hi]; lo == hi:
 * auto-scale over the values shown. */
void widgets_sparkline(WINDOW *win, int y, int x, int w, const double *values, size_t n, double lo, double hi,
                       enum role role);
/* Deploy markers over a sparkline drawn at (y, x) w cells wide: each of
 * cells is a sample counted from the newest (0: the rightmost cell); those
 * inside the w cells get the marker glyph (a heavy vertical bar, '|'
 * without UTF-8) in the deploy_marker role. */
void widgets_sparkline_marks(WINDOW *win, int y, int x, int w, const int *cells, size_t ncells);
/* A horizontal bar filled to pct (0..100). */
void widgets_bar(WINDOW *win, int y, int x, int w, double pct, enum role role);
/* Role for a metrics level. */
enum role widgets_level_role(int level);

/* Blanks w cells from (y, x) in the role's colours. */
void widgets_fill(WINDOW *win, int y, int x, int w, enum role role);
/* A border around the whole window (line drawing, or +-| without UTF-8). */
void widgets_box(WINDOW *win, enum role role);
/* Horizontal line of w cells (a border piece). */
void widgets_hline(WINDOW *win, int y, int x, int w, enum role role);
/* Formats a value with its unit for display: "12.3%", "1.5G", "3.2kB/s"-like
 * bytes for "B" units, "NaN", "+Inf". Returns buf. */
char *widgets_format_value(char *buf, size_t cap, double value, const char *unit);

#endif
