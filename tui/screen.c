/* screen: opening and restoring the terminal. Three things make this more
 * than initscr():
 *  - TERM may name a type this machine has no terminfo for (or a broken
 *    one, e.g. after ssh from another system): try it, then common types
 *    that nearly every terminal emulates, and never exit from inside curses;
 *  - colours and glyphs follow what the terminal and locale can do: NO_COLOR
 *    turns colour off, a non-UTF-8 locale gets ASCII glyphs;
 *  - a crash must not leave the user's terminal in the alternate screen with
 *    the cursor hidden. endwin() is not async-signal-safe, so the bytes that
 *    undo our setup are computed at start from terminfo and written with
 *    write(2) from the fatal-signal handler, which then re-raises. */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#include "sitrep/util.h"
#include "tui-internal.h"

#define SCREEN_MOUSE_OFF "\033[?1000l\033[?1002l\033[?1006l"

static char screen_restore[512];
static size_t screen_restore_len;
static struct termios screen_saved_tio;
static bool screen_have_tio;
static const int screen_fatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
static struct sigaction screen_old_fatal[ARRAY_LEN(screen_fatal)];
static bool screen_handlers;

/* Async-signal-safe: write(2), tcsetattr(3) and raise(3) only. */
static void screen_fatal_handler(int sig)
{
	int saved = errno;
	if (screen_restore_len > 0) {
		ssize_t w = write(STDOUT_FILENO, screen_restore, screen_restore_len);
		(void)w;
	}
	if (screen_have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &screen_saved_tio);
	errno = saved;
	/* SA_RESETHAND put the default action back: this ends the process as the
	 * signal would have, with a core dump where enabled. */
	raise(sig);
}

static void screen_append(const char *s)
{
	if (s == NULL || s == (const char *)-1)
		return;
	size_t n = strlen(s);
	if (screen_restore_len + n >= sizeof(screen_restore))
		return;
	memcpy(screen_restore + screen_restore_len, s, n);
	screen_restore_len += n;
}

/* The bytes that undo our terminal setup, from the terminfo in use. */
static void screen_build_restore(bool mouse)
{
	screen_restore_len = 0;
	if (mouse)
		screen_append(SCREEN_MOUSE_OFF);
	screen_append(tigetstr("sgr0"));
	screen_append(tigetstr("rmkx"));
	screen_append(tigetstr("cnorm"));
	screen_append(tigetstr("rmcup"));
	/* The cursor may be anywhere; put it on a fresh line. */
	screen_append("\r\n");
}

static void screen_install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = screen_fatal_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = (int)(SA_RESETHAND | SA_NODEFER);
	for (size_t i = 0; i < ARRAY_LEN(screen_fatal); i++)
		sigaction(screen_fatal[i], &sa, &screen_old_fatal[i]);
	screen_handlers = true;
}

static void screen_remove_handlers(void)
{
	if (!screen_handlers)
		return;
	for (size_t i = 0; i < ARRAY_LEN(screen_fatal); i++)
		sigaction(screen_fatal[i], &screen_old_fatal[i], NULL);
	screen_handlers = false;
}

/* Does terminfo know this type well enough to draw a dashboard? */
static bool screen_term_usable(const char *name)
{
	int err = 0;
	if (name == NULL || name[0] == '\0')
		return false;
	if (setupterm(name, STDOUT_FILENO, &err) != OK || err != 1)
		return false;
	/* Without cursor addressing nothing can be drawn in place. */
	const char *cup = tigetstr("cup");
	bool ok = cup != NULL && cup != (const char *)-1;
	del_curterm(cur_term);
	return ok;
}

static bool screen_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs != NULL && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

int screen_query_size(int *rows, int *cols)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0)
		return -1;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return 0;
}

int screen_open(struct screen *scr, bool mouse, char *err, size_t errcap)
{
	memset(scr, 0, sizeof(*scr));
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errcap, "the dashboard needs a terminal (try --once for plain output)");
		return -1;
	}
	setlocale(LC_ALL, "");
	scr->utf8 = screen_locale_utf8();

	const char *env_term = getenv("TERM");
	const char *candidates[] = {env_term, "xterm-256color", "xterm", "vt100", "ansi", "dumb"};
	const char *chosen = NULL;
	for (size_t i = 0; i < ARRAY_LEN(candidates) && chosen == NULL; i++)
		if (screen_term_usable(candidates[i]))
			chosen = candidates[i];
	if (chosen == NULL) {
		snprintf(err, errcap,
		         "no usable terminal description for TERM=%s (tried xterm-256color, "
		         "xterm, vt100)",
		         env_term != NULL ? env_term : "(unset)");
		return -1;
	}
	snprintf(scr->term, sizeof(scr->term), "%s", chosen);

	screen_have_tio = tcgetattr(STDIN_FILENO, &screen_saved_tio) == 0;
	/* ESC alone must act at once, not after ncurses' default second. */
	set_escdelay(25);
	scr->sp = newterm(scr->term, stdout, stdin);
	if (scr->sp == NULL) {
		snprintf(err, errcap, "cannot initialise the terminal (TERM=%s)", scr->term);
		return -1;
	}
	set_term(scr->sp);
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	curs_set(0);
	keypad(stdscr, TRUE);
	leaveok(stdscr, TRUE);

	const char *no_color = getenv("NO_COLOR");
	if ((no_color == NULL || no_color[0] == '\0') && has_colors()) {
		start_color();
		use_default_colors();
		scr->colors = COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : COLORS >= 8 ? 8 : 0;
		/* Roles use two pairs each (normal and on the status bar). */
		if (COLOR_PAIRS < 2 * ROLE_COUNT + 1)
			scr->colors = 0;
	}

	/* A pad: wgetch never refreshes a pad, so input cannot paint over a pane. */
	scr->input = newpad(1, 1);
	keypad(scr->input, TRUE);
	nodelay(scr->input, TRUE);
	leaveok(scr->input, TRUE);

	if (mouse) {
		mmask_t got =
		    mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
		scr->mouse = got != 0;
		mouseinterval(0);
	}
	screen_build_restore(scr->mouse);
	screen_install_handlers();
	return 0;
}

void screen_close(struct screen *scr)
{
	if (scr->sp == NULL)
		return;
	if (scr->mouse)
		mousemask(0, NULL);
	if (scr->input != NULL)
		delwin(scr->input);
	scr->input = NULL;
	curs_set(1);
	endwin();
	/* Some terminfo entries lack rmcup/cnorm parts; make sure of the basics. */
	if (scr->mouse) {
		ssize_t w = write(STDOUT_FILENO, SCREEN_MOUSE_OFF, strlen(SCREEN_MOUSE_OFF));
		(void)w;
	}
	delscreen(scr->sp);
	scr->sp = NULL;
	if (screen_have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &screen_saved_tio);
	screen_remove_handlers();
}
