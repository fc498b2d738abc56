/* keymap: which key runs which action. The defaults are those of DESIGN.md;
 * the config's "keys" object rebinds an action by name ("quit": "Q"), which
 * replaces that action's default keys. Pane key hooks never see the user's
 * key for a bound action but the action's default key, so a pane written
 * against the defaults keeps working under any rebinding. */
#include <stdio.h>
#include <string.h>

#include "sitrep/config.h"
#include "sitrep/util.h"
#include "tui-internal.h"

#define KEY_ESC 27

static const struct {
	const char *name;
	const char *help;
} keymap_actions[KEYMAP_COUNT] = {
    [KEYMAP_NONE] = {"none", ""},
    [KEYMAP_QUIT] = {"quit", "quit sitrep"},
    [KEYMAP_HELP] = {"help", "this help"},
    [KEYMAP_ZOOM] = {"zoom", "zoom the focused pane to the whole screen, or back"},
    [KEYMAP_NEXT_PANE] = {"next_pane", "focus the next pane"},
    [KEYMAP_PREV_PANE] = {"prev_pane", "focus the previous pane"},
    [KEYMAP_REFRESH] = {"refresh", "refresh the focused pane now (all panes without focus)"},
    [KEYMAP_UP] = {"up", "move up / scroll up"},
    [KEYMAP_DOWN] = {"down", "move down / scroll down"},
    [KEYMAP_PAGE_UP] = {"page_up", "one page up"},
    [KEYMAP_PAGE_DOWN] = {"page_down", "one page down"},
    [KEYMAP_TOP] = {"top", "to the top"},
    [KEYMAP_BOTTOM] = {"bottom", "to the bottom"},
    [KEYMAP_DETAIL] = {"detail", "details of the selected row"},
    [KEYMAP_FILTER] = {"filter", "filter the focused pane"},
    [KEYMAP_NEXT_MATCH] = {"next_match", "next match"},
    [KEYMAP_PREV_MATCH] = {"prev_match", "previous match"},
    [KEYMAP_TIMELINE] = {"timeline", "show the incident timeline"},
    [KEYMAP_TOGGLE_VIEW] = {"toggle_view", "switch the focused pane's view"},
    [KEYMAP_PURGE] = {"purge", "purge stale or selected CDN assets"},
    [KEYMAP_PURGE_ALL] = {"purge_all", "purge everything from the CDN"},
    [KEYMAP_RESTART] = {"restart", "restart the service"},
    [KEYMAP_ROLLBACK] = {"rollback", "roll back the deploy"},
    [KEYMAP_SILENCE] = {"silence", "silence the selected alert"},
    [KEYMAP_EXPORT] = {"export", "export the timeline as Markdown"},
};

static const struct {
	enum keymap_action action;
	int key;
} keymap_defaults[] = {
    {KEYMAP_QUIT, 'q'},           {KEYMAP_HELP, '?'},
    {KEYMAP_ZOOM, 'z'},           {KEYMAP_NEXT_PANE, '\t'},
    {KEYMAP_PREV_PANE, KEY_BTAB}, {KEYMAP_REFRESH, 'R'},
    {KEYMAP_UP, KEY_UP},          {KEYMAP_UP, 'k'},
    {KEYMAP_DOWN, KEY_DOWN},      {KEYMAP_DOWN, 'j'},
    {KEYMAP_PAGE_UP, KEY_PPAGE},  {KEYMAP_PAGE_DOWN, KEY_NPAGE},
    {KEYMAP_TOP, KEY_HOME},       {KEYMAP_TOP, 'g'},
    {KEYMAP_BOTTOM, KEY_END},     {KEYMAP_BOTTOM, 'G'},
    {KEYMAP_DETAIL, '\n'},        {KEYMAP_FILTER, '/'},
    {KEYMAP_NEXT_MATCH, 'n'},     {KEYMAP_PREV_MATCH, 'N'},
    {KEYMAP_TIMELINE, 't'},       {KEYMAP_TOGGLE_VIEW, 'v'},
    {KEYMAP_PURGE, 'p'},          {KEYMAP_PURGE_ALL, 'P'},
    {KEYMAP_RESTART, 'r'},        {KEYMAP_ROLLBACK, 'b'},
    {KEYMAP_SILENCE, 's'},        {KEYMAP_EXPORT, 'e'},
};

static const struct {
	const char *name;
	int key;
} keymap_names[] = {
    {"Tab", '\t'},        {"S-Tab", KEY_BTAB},
    {"Enter", '\n'},      {"Esc", KEY_ESC},
    {"Space", ' '},       {"Up", KEY_UP},
    {"Down", KEY_DOWN},   {"Left", KEY_LEFT},
    {"Right", KEY_RIGHT}, {"PgUp", KEY_PPAGE},
    {"PgDn", KEY_NPAGE},  {"Home", KEY_HOME},
    {"End", KEY_END},     {"Backspace", KEY_BACKSPACE},
    {"Delete", KEY_DC},   {"Insert", KEY_IC},
};

int keymap_normalize(int key)
{
	switch (key) {
	case '\r':
	case KEY_ENTER: return '\n';
	case 127:
	case 8: return KEY_BACKSPACE;
	default: return key;
	}
}

int keymap_parse(const char *spec)
{
	if (spec == NULL || spec[0] == '\0')
		return -1;
	if (spec[1] == '\0') {
		unsigned char c = (unsigned char)spec[0];
		return (c > ' ' && c < 127) ? c : -1;
	}
	for (size_t i = 0; i < ARRAY_LEN(keymap_names); i++)
		if (strcmp(keymap_names[i].name, spec) == 0)
			return keymap_names[i].key;
	if (spec[0] == 'F') {
		int n = 0;
		for (const char *p = spec + 1; *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			n = n * 10 + (*p - '0');
			if (n > 12)
				return -1;
		}
		return n >= 1 ? KEY_F(n) : -1;
	}
	return -1;
}

const char *keymap_key_name(int key, char *buf, size_t cap)
{
	for (size_t i = 0; i < ARRAY_LEN(keymap_names); i++)
		if (keymap_names[i].key == key) {
			snprintf(buf, cap, "%s", keymap_names[i].name);
			return buf;
		}
	if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(buf, cap, "F%d", key - KEY_F0);
	else if (key > ' ' && key < 127)
		snprintf(buf, cap, "%c", key);
	else
		snprintf(buf, cap, "#%d", key);
	return buf;
}

static void keymap_bind(struct keymap *km, int key, enum keymap_action action)
{
	/* One action per key: a new binding takes the key from any other action. */
	for (int i = 0; i < km->n; i++)
		if (km->bind[i].key == key) {
			km->bind[i].action = action;
			return;
		}
	if (km->n < KEYMAP_MAX) {
		km->bind[km->n].key = key;
		km->bind[km->n].action = action;
		km->n++;
	}
}

static void keymap_unbind_action(struct keymap *km, enum keymap_action action)
{
	int out = 0;
	for (int i = 0; i < km->n; i++)
		if (km->bind[i].action != action)
			km->bind[out++] = km->bind[i];
	km->n = out;
}

void keymap_init(struct keymap *km)
{
	km->n = 0;
	for (size_t i = 0; i < ARRAY_LEN(keymap_defaults); i++)
		keymap_bind(km, keymap_defaults[i].key, keymap_defaults[i].action);
}

static enum keymap_action keymap_find_action(const char *name)
{
	for (int a = KEYMAP_NONE + 1; a < KEYMAP_COUNT; a++)
		if (strcmp(keymap_actions[a].name, name) == 0)
			return (enum keymap_action)a;
	return KEYMAP_NONE;
}

void keymap_apply(struct keymap *km, const struct config_key *keys, size_t n)
{
	bool cleared[KEYMAP_COUNT] = {false};
	for (size_t i = 0; i < n; i++) {
		enum keymap_action a = keymap_find_action(keys[i].name);
		int key = keymap_parse(keys[i].key);
		if (a == KEYMAP_NONE || key < 0)
			continue;
		if (!cleared[a]) {
			keymap_unbind_action(km, a);
			cleared[a] = true;
		}
		keymap_bind(km, key, a);
	}
}

enum keymap_action keymap_lookup(const struct keymap *km, int key)
{
	key = keymap_normalize(key);
	for (int i = 0; i < km->n; i++)
		if (km->bind[i].key == key)
			return km->bind[i].action;
	return KEYMAP_NONE;
}

int keymap_canonical(enum keymap_action action)
{
	for (size_t i = 0; i < ARRAY_LEN(keymap_defaults); i++)
		if (keymap_defaults[i].action == action)
			return keymap_defaults[i].key;
	return -1;
}

const char *keymap_action_name(enum keymap_action action)
{
	if ((int)action < 0 || action >= KEYMAP_COUNT)
		return "?";
	return keymap_actions[action].name;
}

const char *keymap_action_help(enum keymap_action action)
{
	if ((int)action < 0 || action >= KEYMAP_COUNT)
		return "";
	return keymap_actions[action].help;
}

const char *keymap_keys_of(const struct keymap *km, enum keymap_action action, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < km->n; i++) {
		if (km->bind[i].action != action)
			continue;
		char name[16];
		keymap_key_name(km->bind[i].key, name, sizeof(name));
		int w = snprintf(buf + used, cap - used, "%s%s", used > 0 ? ", " : "", name);
		if (w < 0 || (size_t)w >= cap - used)
			break;
		used += (size_t)w;
	}
	return buf;
}
