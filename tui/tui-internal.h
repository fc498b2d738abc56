/* tui-internal: what the files of tui/ share among themselves and no one
 * else sees: the tui object, the screen, the keymap, the overlays, and the
 * pane frame functions. tui/tui.h is the app's view of all this. */
#ifndef SITREP_TUI_INTERNAL_H
#define SITREP_TUI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>
#include <uv.h>

#include "sitrep/core/event-bus.h"
#include "sitrep/core/health.h"
#include "tui/layout.h"
#include "tui/pane.h"
#include "sitrep/core/snapshot.h"
#include "tui/theme.h"

struct app;
struct config_key;

/* screen.c: the terminal itself. */
struct screen {
	SCREEN *sp;
	WINDOW *input; /* 1x1 pad never drawn: getch on it never refreshes anything */
	char term[64]; /* the terminal type in use after fallback */
	bool utf8;
	int colors; /* 0 under NO_COLOR or on a terminal without colour */
	bool mouse;
};

/* Opens the terminal on stdin/stdout. 0, or -1 with a message in err. */
int screen_open(struct screen *scr, bool mouse, char *err, size_t errcap);
/* Restores the terminal (endwin, handlers back to default). */
void screen_close(struct screen *scr);
/* The largest screen sitrep draws: a bigger terminal gets a dashboard of this
 * size in its top left corner (documented in docs/sitrep.1). */
#define SCREEN_MAX_ROWS 500
#define SCREEN_MAX_COLS 1000
/* The terminal size from the tty (TIOCGWINSZ), clamped to the above; 0 when known. */
int screen_query_size(int *rows, int *cols);

/* keymap.c: key specs to actions. The dashboard's own actions are
 * core/keys.c's keys_ui in this order (KEYMAP_QUIT is keys_ui[0]); verbs come
 * from the kind tables. */
struct verb;
enum keymap_action {
	KEYMAP_NONE,
	KEYMAP_QUIT,
	KEYMAP_HELP,
	KEYMAP_ZOOM,
	KEYMAP_NEXT_PANE,
	KEYMAP_PREV_PANE,
	KEYMAP_REFRESH,
	KEYMAP_UP,
	KEYMAP_DOWN,
	KEYMAP_PAGE_UP,
	KEYMAP_PAGE_DOWN,
	KEYMAP_TOP,
	KEYMAP_BOTTOM,
	KEYMAP_DETAIL,
	KEYMAP_FILTER,
	KEYMAP_NEXT_MATCH,
	KEYMAP_PREV_MATCH,
	KEYMAP_TIMELINE,
	KEYMAP_TOGGLE_VIEW,
	KEYMAP_EXPORT,
	KEYMAP_ANNOTATE,
	KEYMAP_VERB, /* a kind's verb: the binding names which */
	KEYMAP_COUNT
};

#define KEYMAP_MAX 96

struct keymap {
	struct {
		int key;
		enum keymap_action action;
		const struct verb *verb; /* for KEYMAP_VERB */
	} bind[KEYMAP_MAX];
	int n;
};

/* The defaults of the key contract (core/keys.c, docs/sitrep.1). */
void keymap_init(struct keymap *km);
/* Applies config rebinding: an action named there loses its default keys.
 * Unknown action names and key specs are skipped (the config loader reports them). */
void keymap_apply(struct keymap *km, const struct config_key *keys, size_t n);
/* The action of a key (after keymap_normalize), KEYMAP_NONE if unbound; for
 * KEYMAP_VERB the verb goes to *verb (when verb is not NULL). */
enum keymap_action keymap_lookup(const struct keymap *km, int key, const struct verb **verb);
/* Folds equivalent codes together (CR and KEY_ENTER are Enter, DEL is Backspace). */
int keymap_normalize(int key);
/* "q", "Tab", "F5", ... to a key code; -1 when not a key spec. */
int keymap_parse(const char *spec);
/* A key code's name as written in the config ("S-Tab", "PgDn", "q"). */
const char *keymap_key_name(int key, char *buf, size_t cap);
/* The default key of an action, as passed to pane key hooks. */
int keymap_canonical(enum keymap_action action);
/* The default key of a verb. */
int keymap_verb_canonical(const struct verb *verb);
/* Every key bound to a verb, like keymap_keys_of. */
const char *keymap_keys_of_verb(const struct keymap *km, const struct verb *verb, char *buf, size_t cap);
const char *keymap_action_name(enum keymap_action action);
const char *keymap_action_help(enum keymap_action action);
/* "j, Down" into buf: every key bound to action; "" when none. */
const char *keymap_keys_of(const struct keymap *km, enum keymap_action action, char *buf, size_t cap);

/* dialog.c: a centred popup over the panes (details, help, the confirmation). */
struct dialog {
	char *title;
	char *text; /* owned; lines separated by '\n', wrapped at draw time */
	size_t text_len;
	char *footer;            /* owned, may be NULL: pinned under the body, never scrolled */
	const char *scroll_keys; /* named in the border's hint; NULL: "j/k" */
	unsigned char *seen;     /* owned, per byte of text: 1 once drawn on screen (dialog_track_seen) */
	int scroll;
	int rows; /* wrapped rows at the last draw */
	int body_h;
	int iw; /* the text's width at the last draw */
	WINDOW *win;
	bool dirty;
};

/* The popup's geometry on the current screen. */
struct dialog_geom {
	int w, h, y, x;
	int iw;     /* text width */
	int rows;   /* the text's wrapped rows */
	int frows;  /* the footer's */
	int body_h; /* rows of text visible at once */
};

/* Takes ownership of text. */
struct dialog *dialog_open(const char *title, char *text);
/* Replaces the footer (ownership taken; NULL removes it). */
void dialog_set_footer(struct dialog *dlg, char *footer);
/* From now on, records which bytes of the text have been drawn on screen. */
void dialog_track_seen(struct dialog *dlg);
/* Rows of the text (wrapped at the last drawn width) with a byte never drawn. */
int dialog_unseen_rows(const struct dialog *dlg);
/* The geometry dialog_draw would use now; false when the popup cannot be shown. */
bool dialog_measure(const struct dialog *dlg, struct dialog_geom *g);
/* Draws (when dirty) and queues the popup with wnoutrefresh; force re-queues
 * it after panes below were drawn. Too small a screen draws nothing. */
void dialog_draw(struct dialog *dlg, bool force);
/* The windows are gone (a resize): the popup is off screen until drawn again. */
void dialog_forget_window(struct dialog *dlg);
/* Drawn on the screen now (a window of its own; none while a resize or too small a screen hides it). */
bool dialog_on_screen(const struct dialog *dlg);
/* A move action (up, down, pages, top, bottom) scrolls; false for anything else. */
bool dialog_scroll(struct dialog *dlg, enum keymap_action action);
/* A key while open: true when the dialog should close. */
bool dialog_key(struct dialog *dlg, enum keymap_action action, int key);
void dialog_close(struct dialog *dlg);

/* help.c: the text of the help overlay, built from the live keymap. Caller frees. */
char *help_text(const struct keymap *km, bool read_only, bool replay);

/* pane.c: frames, geometry and drawing of one pane. */
/* Moves the pane to r (h == 0 hides it); windows are recreated. */
void pane_place(struct pane *pane, const struct layout_rect *r);
/* Draws the pane (frame and body, or the frame alone) and queues it with wnoutrefresh. */
void pane_draw(struct pane *pane, uint64_t now_ms, bool frame_only);
/* Recomputes the frame's clock text; true when it differs from what is on screen. */
bool pane_clock_changed(struct pane *pane, uint64_t now_ms);
/* The title shown: the config's title or the pane id. */
const char *pane_title(const struct pane *pane);
/* The state now, with staleness from the source's refresh interval. */
enum pane_state pane_state_now(const struct pane *pane, uint64_t now_ms);
enum role pane_state_role(enum pane_state state);
/* The state word shown: snapshot_state_name, or "note" for note-only panes. */
const char *pane_state_label(const struct pane *pane, enum pane_state state);
/* What the frame and the status bar say of a pane: its health (the worst
 * level of what it shows: "ok", "warn", "crit"; empty without data) and the
 * freshness of its data ("2s", "stale 40s", "error 5s", "init", "note"),
 * each with its role. */
struct pane_badge {
	char health[8];
	enum role health_role;
	char age[32];
	enum role age_role;
	enum level level;
	enum pane_state state;
};
void pane_badge(const struct pane *pane, uint64_t now_ms, struct pane_badge *b);
/* Text for Enter when the pane has no detail hook or nothing selected. Caller frees. */
char *pane_summary(const struct pane *pane, uint64_t now_ms);
/* Generic scrolling for panes without a key hook; true when the key was a move. */
bool pane_scroll_key(struct pane *pane, int key);
void pane_destroy(struct pane *pane);

/* statusbar.c */
struct tui;
void statusbar_draw(struct tui *tui, WINDOW *win, uint64_t now_ms);

/* The TUI object (tui.c). */
struct tui {
	struct app *app;
	uv_loop_t *loop;
	uv_poll_t input;
	uv_signal_t winch;
	uv_timer_t resize_timer;
	uv_timer_t clock_timer;
	uv_prepare_t prepare;
	int open_handles; /* freed when the last close callback ran */
	bool input_open;
	bool stopping;

	struct screen screen;
	bool screen_open;
	struct theme theme;
	struct keymap keymap;

	struct pane *panes;
	int npanes;
	struct layout_rect *rects;
	enum layout_mode mode;
	int focus; /* -1: none */
	int zoom;  /* -1: none */

	WINDOW *status;
	bool status_dirty;
	bool full_redraw;
	struct dialog *dialog;
	bool dialog_is_help;
	bool dialog_is_timeline; /* the timeline view, refreshed as events arrive */
	bool dialog_is_progress; /* a running action's output (progress.c) */
	char *progress;          /* that output, owned; the newest PROGRESS_MAX bytes */
	int progress_pane;
	bool progress_ended;
	uint64_t timeline_drawn_gen; /* the timeline generation it shows */
	struct action *confirm;      /* the action waiting for confirmation, owned (confirm.c) */
	int confirm_pane;
	char confirm_typed[128];
	bool confirm_escalated; /* the list does not fit: typed instead of y, until closed */
	char hint[256];         /* the latest warn/crit event, for the status line */
	bool hint_once;         /* ... an occurrence (a new error group, a spike): news no live cause says */
	int64_t hint_ms;
	int hint_pane;          /* the pane the hint's event was about, -1: none */
	char hint_subject[128]; /* and its subject, to clear it when that recovers */
	uint64_t hint_gen;      /* bumped when hint changes */
	/* statusbar.c's hint as last built: the kinds' hints are asked at most
	 * once a second (the status bar redraws at every publish) */
	char *hint_cached;
	bool hint_cached_cause;
	int64_t hint_cached_sec;
	uint64_t hint_cached_gen;
	bool quit_armed; /* q pressed once while an action is in flight */

	char message[256];
	uint64_t message_until;
	/* The latest action's line on the status line, beside the hint: "purge
	 * running 3s" while it runs (act_started != 0), then its outcome until
	 * act_until (tui.c, from the action events). */
	char act_msg[256];
	char act_verb[64];
	uint64_t act_started;
	uint64_t act_until;
	enum role act_role;
	/* `a`: the note being typed (tui.c), shown on the status line */
	bool note_editing;
	char note[512];
	size_t note_len;
	int idle_wakeups;
};

/* confirm.c: the one confirmation dialog. confirm_open takes ownership of a
 * (prepared: its effect filled), shows it, and sends it through the gate on
 * y once all of it has been on the screen (or on the typed phrase); n or Esc
 * cancels, recorded; the move keys scroll. */
void confirm_open(struct tui *tui, struct pane *pane, struct action *a);
bool confirm_active(const struct tui *tui);
/* A key while the dialog is open; action is the key's keymap action. */
void confirm_key(struct tui *tui, int key, enum keymap_action action);
/* Draws the dialog (dialog_draw's force) with its prompt up to date. */
void confirm_draw(struct tui *tui, bool force);
/* Cancels a pending confirmation (recorded with why); nothing when none. */
void confirm_cancel(struct tui *tui, const char *why);

/* progress.c: a running action's output (a restart's), shown as it comes;
 * it opens on the first line, never over another dialog, and stays after
 * the end with the outcome until a key closes it. */
void progress_event(struct tui *tui, const struct event *ev);
void progress_closed(struct tui *tui);

/* A line for the status bar for a few seconds. */
void tui_message(struct tui *tui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
