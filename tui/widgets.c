/* widgets: the drawing primitives. Everything panes put on screen goes
 * through here so that three things hold everywhere: text is clipped by
 * display width (wide and combining characters included) and padded, so a
 * redraw overwrites every cell without erasing; colours come from theme roles
 * reduced to what the terminal has; glyphs fall back to ASCII when the locale
 * is not UTF-8. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "sitrep/kinds/metrics.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"

static bool widgets_is_utf8;
static attr_t widgets_attrs[ROLE_COUNT];
static attr_t widgets_status_attrs[ROLE_COUNT];

/* Without colours, meaning is carried by attributes; these are added to the
 * theme's own so that warn/crit/error stay distinct under NO_COLOR. */
static const attr_t widgets_mono[ROLE_COUNT] = {
    [ROLE_TITLE] = A_BOLD,
    [ROLE_TITLE_FOCUS] = A_BOLD | A_REVERSE,
    [ROLE_BORDER] = A_DIM,
    [ROLE_BORDER_FOCUS] = A_BOLD,
    [ROLE_VALUE] = A_BOLD,
    [ROLE_WARN] = A_BOLD | A_UNDERLINE,
    [ROLE_CRIT] = A_BOLD | A_REVERSE,
    [ROLE_STALE] = A_DIM | A_UNDERLINE,
    [ROLE_ERROR] = A_BOLD | A_REVERSE,
    [ROLE_SELECTION] = A_REVERSE,
    [ROLE_DIM] = A_DIM,
    [ROLE_STATUS] = A_REVERSE,
    [ROLE_BADGE] = A_BOLD | A_REVERSE,
    [ROLE_HELP] = A_REVERSE,
    [ROLE_DEPLOY_MARKER] = A_BOLD,
};

static attr_t widgets_style_flags(const struct role_style *st)
{
	attr_t a = 0;
	if (st->bold)
		a |= A_BOLD;
	if (st->underline)
		a |= A_UNDERLINE;
	if (st->reverse)
		a |= A_REVERSE;
	if (st->dim)
		a |= A_DIM;
	return a;
}

void widgets_setup(bool utf8, const struct theme *theme, int colors)
{
	widgets_is_utf8 = utf8;
	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct role_style *st = &theme->roles[r];
		attr_t a = widgets_style_flags(st);
		if (colors < 8) {
			widgets_attrs[r] = a | widgets_mono[r];
			/* Marks keep their own attributes inside the reversed status bar. */
			widgets_status_attrs[r] = (a | widgets_mono[r]) ^ widgets_mono[ROLE_STATUS];
			continue;
		}
		short fg = theme_reduce_color(st->fg, colors);
		/* A role without a background sits on the theme's normal background. */
		short bg = theme_reduce_color(st->bg >= 0 ? st->bg : theme->roles[ROLE_NORMAL].bg, colors);
		if (fg < 0 && r != ROLE_NORMAL)
			fg = theme_reduce_color(theme->roles[ROLE_NORMAL].fg, colors);
		/* Reduction can fold two colours into one: keep text readable. */
		if (fg >= 0 && fg == bg)
			fg = (bg == 0) ? 7 : 0;
		init_pair((short)(r + 1), fg, bg);
		widgets_attrs[r] = a | COLOR_PAIR(r + 1);

		/* The same foreground on the status bar's background. */
		const struct role_style *sb = &theme->roles[ROLE_STATUS];
		short sbg = theme_reduce_color(sb->bg >= 0 ? sb->bg : theme->roles[ROLE_NORMAL].bg, colors);
		short sfg = fg >= 0 ? fg : theme_reduce_color(sb->fg, colors);
		if (sfg >= 0 && sfg == sbg)
			sfg = (sbg == 0) ? 7 : 0;
		init_pair((short)(ROLE_COUNT + r + 1), sfg, sbg);
		widgets_status_attrs[r] =
		    (a & ~A_REVERSE) | widgets_style_flags(sb) | COLOR_PAIR(ROLE_COUNT + r + 1);
	}
}

attr_t widgets_status_attr(enum role role)
{
	if ((int)role < 0 || role >= ROLE_COUNT)
		return A_NORMAL;
	return widgets_status_attrs[role];
}

bool widgets_utf8(void)
{
	return widgets_is_utf8;
}

attr_t widgets_attr(enum role role)
{
	if ((int)role < 0 || role >= ROLE_COUNT)
		return A_NORMAL;
	return widgets_attrs[role];
}

enum role widgets_level_role(int level)
{
	switch (level) {
	case LEVEL_OK: return ROLE_OK;
	case LEVEL_WARN: return ROLE_WARN;
	case LEVEL_CRIT: return ROLE_CRIT;
	default: return ROLE_DIM;
	}
}

/* Decodes one UTF-8 character from s; sets *len (>= 1). Invalid input gives
 * U+FFFD for one byte, so the caller always advances. */
static wchar_t widgets_decode(const unsigned char *s, int *len)
{
	unsigned c = s[0];
	int n;
	wchar_t wc;
	if (c < 0x80) {
		*len = 1;
		return (wchar_t)c;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, wc = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, wc = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, wc = c & 0x07;
	} else {
		*len = 1;
		return 0xfffd;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*len = 1;
			return 0xfffd;
		}
		wc = (wc << 6) | (s[i] & 0x3f);
	}
	*len = n;
	return wc;
}

/* Columns of one character in the current mode; replacement char in *out. */
static int widgets_char(wchar_t wc, wchar_t *out)
{
	if (!widgets_is_utf8) {
		*out = (wc >= 0x20 && wc < 0x7f) ? wc : L'?';
		return 1;
	}
	int cw = wcwidth(wc);
	if (cw < 0) {
		*out = L'?';
		return 1;
	}
	*out = wc;
	return cw;
}

int widgets_width(const char *text)
{
	int cols = 0;
	const unsigned char *s = (const unsigned char *)text;
	while (*s != '\0') {
		int len;
		wchar_t out;
		cols += widgets_char(widgets_decode(s, &len), &out);
		s += len;
	}
	return cols;
}

size_t widgets_fit(const char *text, int w, int *cols)
{
	const unsigned char *s = (const unsigned char *)text;
	int used = 0;
	while (*s != '\0' && *s != '\n') {
		int len;
		wchar_t out;
		int cw = widgets_char(widgets_decode(s, &len), &out);
		if (used + cw > w)
			break;
		used += cw;
		s += len;
	}
	if (cols != NULL)
		*cols = used;
	return (size_t)(s - (const unsigned char *)text);
}

char *widgets_cut(const char *text, int w)
{
	int cols;
	size_t all = widgets_fit(text, w, &cols);
	if (text[all] == '\0' || w <= 0)
		return xstrndup(text, w <= 0 ? 0 : all);
	const char *ell = widgets_utf8() ? "\u2026" : "...";
	int ew = widgets_utf8() ? 1 : 3;
	if (w <= ew)
		return xstrndup(ell, widgets_utf8() ? strlen(ell) : (size_t)w);
	size_t fit = widgets_fit(text, w - ew, &cols);
	size_t cut = fit;
	/* a word boundary in the second half of what fits, when there is one;
	 * the next character being a space makes the end of fit one too */
	if (text[fit] != ' ') {
		size_t sp = fit;
		while (sp > 0 && text[sp - 1] != ' ')
			sp--;
		/* a long word (a URL, an escaped byte run) is cut inside rather
		 * than dropped whole with the room it would have used */
		size_t word = sp;
		while (text[word] != '\0' && text[word] != ' ')
			word++;
		if (sp > 0 && (int)sp * 2 >= (int)fit && word - sp <= 16)
			cut = sp;
	}
	/* no dangling separators before the ellipsis: "a ·…" reads as a cut */
	while (cut > 0) {
		unsigned char c = (unsigned char)text[cut - 1];
		if (c == ' ' || c == ',' || c == ':' || c == ';')
			cut--;
		else if (cut >= 2 && (unsigned char)text[cut - 2] == 0xC2 && c == 0xB7) /* · */
			cut -= 2;
		else if (cut >= 3 && (unsigned char)text[cut - 3] == 0xE2 &&
		         (unsigned char)text[cut - 2] == 0x86 && c == 0x92) /* → */
			cut -= 3;
		else
			break;
	}
	char *out = xmalloc(cut + strlen(ell) + 1);
	memcpy(out, text, cut);
	strcpy(out + cut, ell);
	return out;
}

void widgets_columns(struct widgets_col *cols, size_t n, int w)
{
	int left = w, shown = 0;
	for (size_t i = 0; i < n; i++)
		cols[i].w = 0;
	int maxp = 0;
	for (size_t i = 0; i < n; i++)
		maxp = cols[i].prio > maxp ? cols[i].prio : maxp;
	/* the minimums, most important first; a column that does not fit is
	 * hidden, a less important one may still fit after it */
	for (int p = 0; p <= maxp; p++)
		for (size_t i = 0; i < n; i++) {
			if (cols[i].prio != p || cols[i].min <= 0)
				continue;
			int need = cols[i].min + (shown > 0 ? 1 : 0);
			if (need <= left) {
				cols[i].w = cols[i].min;
				left -= need;
				shown++;
			}
		}
	for (int p = 0; p <= maxp; p++)
		for (size_t i = 0; i < n; i++) {
			if (cols[i].prio != p || cols[i].w == 0 || cols[i].want <= cols[i].w)
				continue;
			int more = cols[i].want - cols[i].w;
			if (more > left)
				more = left;
			cols[i].w += more;
			left -= more;
		}
	for (size_t i = 0; i < n && left > 0; i++)
		if (cols[i].fill && cols[i].w > 0) {
			cols[i].w += left;
			left = 0;
		}
}

void widgets_row(WINDOW *win, int y, int x0, int w, const struct widgets_col *cols, size_t n,
                 const char *const *text, const enum role *role, enum role gap_role)
{
	int x = 0;
	for (size_t i = 0; i < n && x < w; i++) {
		if (cols[i].w <= 0)
			continue;
		if (x > 0) {
			widgets_fill(win, y, x0 + x, 1, gap_role);
			x++;
		}
		int cw = cols[i].w < w - x ? cols[i].w : w - x;
		widgets_text_cut(win, y, x0 + x, cw, text[i] != NULL ? text[i] : "", role[i]);
		x += cw;
	}
	if (x < w)
		widgets_fill(win, y, x0 + x, w - x, gap_role);
}

int widgets_text_cut(WINDOW *win, int y, int x, int w, const char *text, enum role role)
{
	char *cut = widgets_cut(text, w);
	int used = widgets_text(win, y, x, w, cut, role);
	free(cut);
	return used;
}

const char *widgets_wrap(const char *text, int w, size_t *len)
{
	if (w < 1)
		w = 1;
	size_t fit = widgets_fit(text, w, NULL);
	if (text[fit] == '\0') {
		*len = fit;
		return NULL;
	}
	if (text[fit] == '\n') {
		*len = fit;
		return text + fit + 1;
	}
	/* Break at the last space that fits, else mid-word. */
	size_t brk = fit;
	while (brk > 0 && text[brk] != ' ')
		brk--;
	if (brk == 0 && text[0] != ' ') {
		if (fit == 0) { /* a character wider than w: emit it anyway */
			int clen;
			widgets_decode((const unsigned char *)text, &clen);
			fit = (size_t)clen;
		}
		*len = fit;
		return text + fit;
	}
	*len = brk;
	const char *next = text + brk;
	while (*next == ' ')
		next++;
	return *next == '\0' ? NULL : next;
}

int widgets_text_nopad(WINDOW *win, int y, int x, int w, const char *text, enum role role)
{
	return widgets_text_attr(win, y, x, w, text, widgets_attr(role));
}

int widgets_text_attr(WINDOW *win, int y, int x, int w, const char *text, attr_t attr)
{
	if (w <= 0 || text == NULL)
		return 0;
	wchar_t buf[256];
	int nbuf = 0, cols = 0;
	const unsigned char *s = (const unsigned char *)text;
	wattrset(win, attr);
	wmove(win, y, x);
	while (*s != '\0') {
		int len;
		wchar_t out;
		int cw = widgets_char(widgets_decode(s, &len), &out);
		if (cols + cw > w)
			break;
		/* Zero-width characters join the previous cell; never lead with one. */
		if (cw == 0 && nbuf == 0 && cols == 0) {
			s += len;
			continue;
		}
		buf[nbuf++] = out;
		cols += cw;
		s += len;
		if (nbuf == (int)ARRAY_LEN(buf) - 1) {
			waddnwstr(win, buf, nbuf);
			nbuf = 0;
		}
	}
	if (nbuf > 0)
		waddnwstr(win, buf, nbuf);
	wattrset(win, A_NORMAL);
	return cols;
}

void widgets_fill(WINDOW *win, int y, int x, int w, enum role role)
{
	if (w <= 0)
		return;
	wattrset(win, widgets_attr(role));
	mvwhline(win, y, x, ' ', w);
	wattrset(win, A_NORMAL);
}

int widgets_text(WINDOW *win, int y, int x, int w, const char *text, enum role role)
{
	int used = widgets_text_nopad(win, y, x, w, text, role);
	widgets_fill(win, y, x + used, w - used, role);
	return used;
}

static void widgets_put(WINDOW *win, int y, int x, const wchar_t *glyph, attr_t attr)
{
	cchar_t cc;
	setcchar(&cc, glyph, attr, 0, NULL);
	/* setcchar takes the pair from attr only on some builds: pass it both ways. */
	cc.attr = attr;
	mvwadd_wch(win, y, x, &cc);
}

void widgets_sparkline(WINDOW *win, int y, int x, int w, const double *values, size_t n, double lo, double hi,
                       enum role role)
{
	static const wchar_t *const blocks[8] = {L"\u2581", L"\u2582", L"\u2583", L"\u2584",
	                                         L"\u2585", L"\u2586", L"\u2587", L"\u2588"};
	static const char ascii[] = " .:-=+*#";
	if (w <= 0)
		return;
	size_t shown = n < (size_t)w ? n : (size_t)w;
	const double *v = values + (n - shown);
	if (lo == hi) {
		bool any = false;
		for (size_t i = 0; i < shown; i++) {
			if (!isfinite(v[i]))
				continue;
			if (!any || v[i] < lo)
				lo = v[i];
			if (!any || v[i] > hi)
				hi = v[i];
			any = true;
		}
		/* A flat line is scaled from zero: a positive one fills, zero sits on
		 * the floor (an idle network must not look saturated). */
		if (any && lo == hi) {
			if (hi > 0)
				lo = 0;
			else
				hi = lo + 1;
		}
	}
	attr_t attr = widgets_attr(role);
	/* Right-aligned: the newest sample is always at the right edge. */
	int pad = w - (int)shown;
	widgets_fill(win, y, x, pad, role);
	wattrset(win, attr);
	for (size_t i = 0; i < shown; i++) {
		int cx = x + pad + (int)i;
		int level = -1;
		if (isfinite(v[i]) && hi > lo) {
			double f = (v[i] - lo) / (hi - lo);
			f = f < 0 ? 0 : f > 1 ? 1 : f;
			level = (int)lround(f * 7);
		}
		if (level < 0)
			mvwaddch(win, y, cx, ' ');
		else if (widgets_is_utf8)
			widgets_put(win, y, cx, blocks[level], attr);
		else
			mvwaddch(win, y, cx, (chtype)ascii[level]);
	}
	wattrset(win, A_NORMAL);
}

void widgets_sparkline_marks(WINDOW *win, int y, int x, int w, const int *cells, size_t ncells)
{
	attr_t attr = widgets_attr(ROLE_DEPLOY_MARKER);
	for (size_t i = 0; i < ncells; i++) {
		if (cells[i] < 0 || cells[i] >= w)
			continue;
		int cx = x + w - 1 - cells[i];
		if (widgets_is_utf8)
			widgets_put(win, y, cx, L"\u2503", attr);
		else
			mvwaddch(win, y, cx, '|' | attr);
	}
}

void widgets_bar(WINDOW *win, int y, int x, int w, double pct, enum role role)
{
	static const wchar_t *const eighths[8] = {L" ",      L"\u258f", L"\u258e", L"\u258d",
	                                          L"\u258c", L"\u258b", L"\u258a", L"\u2589"};
	if (w <= 0)
		return;
	if (!isfinite(pct) || pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	attr_t attr = widgets_attr(role), dim = widgets_attr(ROLE_DIM);
	int units = (int)lround(pct / 100.0 * w * 8);
	int full = units / 8, part = units % 8;
	for (int i = 0; i < w; i++) {
		int cx = x + i;
		if (i < full) {
			if (widgets_is_utf8)
				widgets_put(win, y, cx, L"\u2588", attr);
			else
				mvwaddch(win, y, cx, '#' | attr);
		} else if (i == full && part > 0 && widgets_is_utf8) {
			widgets_put(win, y, cx, eighths[part], attr);
		} else if (widgets_is_utf8) {
			widgets_put(win, y, cx, L"\u00b7", dim);
		} else {
			mvwaddch(win, y, cx, '.' | dim);
		}
	}
}

void widgets_hline(WINDOW *win, int y, int x, int w, enum role role)
{
	attr_t attr = widgets_attr(role);
	for (int i = 0; i < w; i++) {
		if (widgets_is_utf8)
			widgets_put(win, y, x + i, L"\u2500", attr);
		else
			mvwaddch(win, y, x + i, '-' | attr);
	}
}

void widgets_box(WINDOW *win, enum role role)
{
	int h, w;
	getmaxyx(win, h, w);
	if (h < 2 || w < 2)
		return;
	attr_t attr = widgets_attr(role);
	widgets_hline(win, 0, 1, w - 2, role);
	widgets_hline(win, h - 1, 1, w - 2, role);
	for (int y = 1; y < h - 1; y++) {
		if (widgets_is_utf8) {
			widgets_put(win, y, 0, L"\u2502", attr);
			widgets_put(win, y, w - 1, L"\u2502", attr);
		} else {
			mvwaddch(win, y, 0, '|' | attr);
			mvwaddch(win, y, w - 1, '|' | attr);
		}
	}
	if (widgets_is_utf8) {
		widgets_put(win, 0, 0, L"\u250c", attr);
		widgets_put(win, 0, w - 1, L"\u2510", attr);
		widgets_put(win, h - 1, 0, L"\u2514", attr);
		widgets_put(win, h - 1, w - 1, L"\u2518", attr);
	} else {
		mvwaddch(win, 0, 0, '+' | attr);
		mvwaddch(win, 0, w - 1, '+' | attr);
		mvwaddch(win, h - 1, 0, '+' | attr);
		mvwaddch(win, h - 1, w - 1, '+' | attr);
	}
}

char *widgets_format_value(char *buf, size_t cap, double value, const char *unit)
{
	if (unit == NULL)
		unit = "";
	if (isnan(value)) {
		snprintf(buf, cap, "NaN");
		return buf;
	}
	if (isinf(value)) {
		snprintf(buf, cap, "%sInf", value > 0 ? "+" : "-");
		return buf;
	}
	if (unit[0] == 'B') {
		char b[32];
		util_bytes(value, b, sizeof(b));
		/* util_bytes writes "512B" or "1.5K": the unit supplies the B. */
		size_t bl = strlen(b);
		if (bl > 0 && b[bl - 1] == 'B')
			b[bl - 1] = '\0';
		snprintf(buf, cap, "%s%s", b, unit);
		return buf;
	}
	double a = fabs(value);
	const char *si = "";
	if (strcmp(unit, "%") != 0 && a >= 10000) {
		static const char *const sfx[] = {"k", "M", "G", "T", "P"};
		int i = -1;
		while (a >= 1000 && i < 4) {
			a /= 1000;
			value /= 1000;
			i++;
		}
		si = sfx[i];
	}
	int prec = a >= 100 ? 0 : a >= 10 ? 1 : 2;
	if (a == floor(a) && *si == '\0' && a < 1e15)
		prec = 0;
	snprintf(buf, cap, "%.*f%s%s", prec, value, si, unit);
	return buf;
}
