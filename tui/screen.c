/* screen: opening and restoring the terminal. Five things make this more
 * than initscr():
 *  - TERM may name a type this machine has no terminfo for (or a broken
 *    one, e.g. after ssh from another system): try it, then common types
 *    that nearly every terminal emulates, and never exit from inside curses;
 *  - colours and glyphs follow what the terminal and locale can do: NO_COLOR
 *    turns colour off, a non-UTF-8 locale gets ASCII glyphs;
 *  - whatever signal ends sitrep, the user's terminal comes back: out of the
 *    alternate screen, cursor visible, attributes, keypad and mouse modes
 *    reset, the tty modes as we found them. endwin() is not
 *    async-signal-safe, so the bytes that undo our setup are computed at start
 *    from terminfo and written with write(2) from a handler installed on every
 *    signal whose default action ends the process (the crash signals and
 *    QUIT, TRAP, SYS, XCPU, XFSZ, USR1, USR2, ALRM, VTALRM, PROF, POLL, PWR,
 *    STKFLT and the real-time signals). The handler then re-raises the
 *    signal with its default action, so sitrep dies of that signal (exit
 *    status 128+N in a shell, a core dump where the default dumps core).
 *    Signals somebody already handles (INT, TERM and HUP take the clean
 *    shutdown through a uv_signal_t in app.c) or ignores (PIPE) are left
 *    alone;
 *  - the job-control stops (Ctrl-Z's TSTP, and TTIN and TTOU: a background
 *    job that reads the terminal or sets its modes, or anyone with kill)
 *    give the terminal back before stopping, when it is ours to give: from
 *    the background nothing is written. A SIGSTOP from outside cannot be
 *    caught, and whoever held the terminal meanwhile (a shell) may have put
 *    it back in cooked mode with echo and left the alternate screen. On SIGCONT a handler puts back our tty
 * modes and terminal modes (again precomputed bytes and tcsetattr, both async-signal-safe) and sends sitrep a
 * SIGWINCH, whose existing path in tui.c relays out and repaints everything from scratch;
 *  - the size handed to ncurses is the tty's, clamped to SCREEN_MAX_COLS x
 *    SCREEN_MAX_ROWS: ncurses keeps every cell several times over, and a
 *    10000x10000 terminal would cost gigabytes. A bigger terminal shows the
 *    dashboard at the clamp, in its top left corner. */
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

#include "sitrep/core/util.h"
#include "tui-internal.h"

#define SCREEN_MOUSE_OFF "\033[?1000l\033[?1002l\033[?1006l"

static char screen_restore[512];
static size_t screen_restore_len;
static char screen_resume[512]; /* what puts our terminal modes back after SIGCONT */
static const int screen_stop_sigs[] = {SIGTSTP, SIGTTIN, SIGTTOU};
static struct sigaction screen_old_stop[ARRAY_LEN(screen_stop_sigs)];
static bool screen_stop_ours[ARRAY_LEN(screen_stop_sigs)];
static size_t screen_resume_len;
static struct termios screen_saved_tio; /* as we found it */
static struct termios screen_prog_tio;  /* as we run it: raw, no echo */
static bool screen_have_tio, screen_have_prog_tio;
static volatile sig_atomic_t screen_active;
/* Signals whose default action ends the process and that a terminal user
 * can meet; the real-time signals are added in screen_install_handlers. */
static const int screen_fatal[] = {
    SIGSEGV,   SIGABRT, SIGBUS,  SIGFPE,  SIGILL,  SIGQUIT,   SIGTRAP, SIGSYS,
    SIGXCPU,   SIGXFSZ, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,
#ifdef SIGPOLL
    SIGPOLL,
#endif
#ifdef SIGPWR
    SIGPWR,
#endif
#ifdef SIGSTKFLT
    SIGSTKFLT,
#endif
    SIGHUP,    SIGINT,  SIGTERM, SIGPIPE,
};
#define SCREEN_NCRASH      5 /* the first five above */
#define SCREEN_MAX_SIGNALS 128
static int screen_sigs[SCREEN_MAX_SIGNALS];
static struct sigaction screen_old_sa[SCREEN_MAX_SIGNALS];
static size_t screen_nsigs;
static struct sigaction screen_old_cont;
static bool screen_handlers;

static void screen_write_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(STDOUT_FILENO, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/* Async-signal-safe: write(2), tcsetattr(3), sigaction(2), sigprocmask(2) and
 * raise(3) only. */
static void screen_fatal_handler(int sig)
{
	int saved = errno;
	if (screen_active) {
		screen_active = 0;
		if (screen_restore_len > 0)
			screen_write_all(screen_restore, screen_restore_len);
		if (screen_have_tio)
			tcsetattr(STDIN_FILENO, TCSADRAIN, &screen_saved_tio);
	}
	errno = saved;
	/* SA_RESETHAND put the default action back: this ends the process as the
	 * signal would have, with a core dump where that is the default. A
	 * signal blocked in this handler is delivered when it returns. */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
}

/* Async-signal-safe as above, plus kill(2). */
static void screen_cont_handler(int sig)
{
	(void)sig;
	int saved = errno;
	if (screen_active) {
		if (screen_have_prog_tio)
			tcsetattr(STDIN_FILENO, TCSADRAIN, &screen_prog_tio);
		screen_write_all(screen_resume, screen_resume_len);
		/* The resize path repaints every cell (clearok) on its next pass. */
		kill(getpid(), SIGWINCH);
	}
	errno = saved;
}

static void screen_append_to(char *buf, size_t cap, size_t *len, const char *s)
{
	if (s == NULL || s == (const char *)-1)
		return;
	size_t n = strlen(s);
	if (*len + n >= cap)
		return;
	memcpy(buf + *len, s, n);
	*len += n;
}

static void screen_append(const char *s)
{
	screen_append_to(screen_restore, sizeof(screen_restore), &screen_restore_len, s);
}

static void screen_append_resume(const char *s)
{
	screen_append_to(screen_resume, sizeof(screen_resume), &screen_resume_len, s);
}

/* The bytes that undo our terminal setup, from the terminfo in use, and the
 * bytes that redo it after a stop. */
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

	screen_resume_len = 0;
	screen_append_resume(tigetstr("smcup"));
	screen_append_resume(tigetstr("smkx"));
	screen_append_resume(tigetstr("civis"));
	if (mouse)
		screen_append_resume("\033[?1000h\033[?1006h");
}

/* Is sitrep's process group the terminal's foreground one? Only then is the
 * terminal ours to restore or to take back: from the background a write or
 * tcsetattr would change the screen and modes of whoever is in front (the
 * shell). A terminal that is not our controlling one has no foreground
 * group: ours, as before. Async-signal-safe (tcgetpgrp, getpgrp). */
static bool screen_foreground(void)
{
	pid_t fg = tcgetpgrp(STDIN_FILENO);
	return fg < 0 || fg == getpgrp();
}

/* The job-control stops: Ctrl-Z (TSTP), and TTIN and TTOU, which the kernel
 * sends to a background job that reads the terminal or sets its modes (and
 * anyone may send with kill). Each gives the terminal back to the shell when
 * we hold it, then stops for real; the SIGCONT handler puts our modes back
 * and repaints. Ours rather than ncurses' own (which covers only TSTP, and
 * only where it is at its default), because ncurses blocks and unblocks
 * SIGTSTP around every doupdate when it owns it: two system calls a frame.
 * Async-signal-safe as above. */
static void screen_stop_handler(int sig)
{
	int saved = errno;
	if (screen_active && screen_foreground()) {
		if (screen_restore_len > 0)
			screen_write_all(screen_restore, screen_restore_len);
		if (screen_have_tio)
			tcsetattr(STDIN_FILENO, TCSADRAIN, &screen_saved_tio);
	}
	struct sigaction sa, ours;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, &ours);
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(sig); /* stopped here until SIGCONT */
	sigaction(sig, &ours, NULL);
	/* Without job control (an orphaned process group: sitrep started by
	 * tmux or a service, no shell to return to) the kernel discards the stop:
	 * take the terminal back at once. After a real stop the SIGCONT handler
	 * has done the same; twice is harmless. Continued in the background
	 * (`bg`), its tcsetattr raises TTOU and we stop again, terminal untouched:
	 * a dashboard never paints over the shell in front of it. */
	screen_cont_handler(SIGCONT);
	errno = saved;
}

/* Before newterm, so that ncurses leaves SIGTSTP to us. A stop signal that
 * whoever started us ignores or handles stays theirs. */
static void screen_install_stops(void)
{
	for (size_t i = 0; i < ARRAY_LEN(screen_stop_sigs); i++) {
		struct sigaction cur;
		screen_stop_ours[i] = false;
		if (sigaction(screen_stop_sigs[i], NULL, &cur) != 0 || cur.sa_handler != SIG_DFL ||
		    (cur.sa_flags & SA_SIGINFO) != 0)
			continue;
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = screen_stop_handler;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		if (sigaction(screen_stop_sigs[i], &sa, &screen_old_stop[i]) == 0)
			screen_stop_ours[i] = true;
	}
}

static void screen_install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = screen_fatal_handler;
	/* While restoring, no second terminating signal cuts the write short. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_LEN(screen_fatal); i++)
		sigaddset(&sa.sa_mask, screen_fatal[i]);
	sa.sa_flags = (int)SA_RESETHAND;
	screen_nsigs = 0;
	int extra[SCREEN_MAX_SIGNALS];
	size_t nextra = 0;
#ifdef SIGRTMIN
	for (int s = SIGRTMIN; s <= SIGRTMAX && nextra < ARRAY_LEN(extra); s++)
		extra[nextra++] = s;
#endif
	for (size_t i = 0; i < ARRAY_LEN(screen_fatal) + nextra; i++) {
		int sig = i < ARRAY_LEN(screen_fatal) ? screen_fatal[i] : extra[i - ARRAY_LEN(screen_fatal)];
		struct sigaction old;
		if (screen_nsigs >= SCREEN_MAX_SIGNALS || sigaction(sig, NULL, &old) != 0)
			continue;
		/* The crash signals are always ours (as before: the terminal first,
		 * even under a sanitizer's handler); for the others, a handler or
		 * SIG_IGN somebody else installed stays. */
		bool crash = i < SCREEN_NCRASH;
		if (!crash && ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL))
			continue;
		if (sigaction(sig, &sa, &screen_old_sa[screen_nsigs]) == 0)
			screen_sigs[screen_nsigs++] = sig;
	}
	struct sigaction cont;
	memset(&cont, 0, sizeof(cont));
	cont.sa_handler = screen_cont_handler;
	sigemptyset(&cont.sa_mask);
	cont.sa_flags = SA_RESTART;
	sigaction(SIGCONT, &cont, &screen_old_cont);
	screen_handlers = true;
}

static void screen_remove_handlers(void)
{
	if (!screen_handlers)
		return;
	/* Only where the handler is still ours: libuv may have taken a signal
	 * since (uv_signal_start), and its handler must stay. */
	for (size_t i = 0; i < screen_nsigs; i++) {
		struct sigaction cur;
		if (sigaction(screen_sigs[i], NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) == 0 &&
		    cur.sa_handler == screen_fatal_handler)
			sigaction(screen_sigs[i], &screen_old_sa[i], NULL);
	}
	screen_nsigs = 0;
	sigaction(SIGCONT, &screen_old_cont, NULL);
	for (size_t i = 0; i < ARRAY_LEN(screen_stop_sigs); i++) {
		if (screen_stop_ours[i])
			sigaction(screen_stop_sigs[i], &screen_old_stop[i], NULL);
		screen_stop_ours[i] = false;
	}
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
	*rows = ws.ws_row > SCREEN_MAX_ROWS ? SCREEN_MAX_ROWS : ws.ws_row;
	*cols = ws.ws_col > SCREEN_MAX_COLS ? SCREEN_MAX_COLS : ws.ws_col;
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
	screen_install_stops();
	/* The size comes from the tty, clamped, never from LINES and COLUMNS
	 * or unclamped: ncurses allocates every cell of the screen three times
	 * over, and a 10000x10000 window would take gigabytes. newterm starts
	 * at terminfo's size, then the clamped tty size. */
	use_env(FALSE);
	scr->sp = newterm(scr->term, stdout, stdin);
	if (scr->sp == NULL) {
		snprintf(err, errcap, "cannot initialise the terminal (TERM=%s)", scr->term);
		return -1;
	}
	set_term(scr->sp);
	int rows, cols;
	if (screen_query_size(&rows, &cols) == 0 && (rows != LINES || cols != COLS))
		resizeterm(rows, cols);
	/* A frame is one write: with typeahead checking on, doupdate polls
	 * stdin and flushes its output before every changed row (a write and a
	 * poll per row). Keys are read by the loop, never waited for here. */
	typeahead(-1);
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	curs_set(0);
	keypad(stdscr, TRUE);
	leaveok(stdscr, TRUE);
	/* ncurses flushes after every cursor move until the screen has been
	 * through endwin once (it cannot tell a terminfo program's mvcur from
	 * its own): one round trip now makes each later doupdate one write. */
	endwin();
	doupdate();

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
	/* cbreak/noecho/nonl took effect at once: these are the modes to put
	 * back after a stop. */
	screen_have_prog_tio = tcgetattr(STDIN_FILENO, &screen_prog_tio) == 0;
	screen_active = 1;
	screen_install_handlers();
	return 0;
}

void screen_close(struct screen *scr)
{
	if (scr->sp == NULL)
		return;
	screen_active = 0;
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
