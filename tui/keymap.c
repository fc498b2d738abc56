/* keymap: which key runs which action. The defaults are the key contract (core/keys.c, docs/sitrep.1);
 * the config's "keys" object rebinds an action by name ("quit": "Q"), which
 * replaces that action's default keys. Pane key hooks never see the user's
 * key for a bound action but the action's default key, so a pane written
 * against the defaults keeps working under any rebinding. The names, default
 * keys and help of the dashboard's actions are core/keys.c's; the verbs' are
 * the kind tables'. */
#include <stdio.h>
#include <string.h>

#include "sitrep/core/config.h"
#include "sitrep/core/keys.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/util.h"
#include "tui-internal.h"

#define KEY_ESC 27

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

_Static_assert(KEYMAP_VERB == 21, "keys_ui (core/keys.c) lists KEYMAP_QUIT .. KEYMAP_ANNOTATE in enum order");

static void keymap_bind(struct keymap *km, int key, enum keymap_action action, const struct verb *verb)
{
	/* One action per key: a new binding takes the key from any other action. */
	for (int i = 0; i < km->n; i++)
		if (km->bind[i].key == key) {
			km->bind[i].action = action;
			km->bind[i].verb = verb;
			return;
		}
	if (km->n < KEYMAP_MAX) {
		km->bind[km->n].key = key;
		km->bind[km->n].action = action;
		km->bind[km->n].verb = verb;
		km->n++;
	}
}

/* Two kinds may share a verb's name and key ("terminate", K: a database
 * session, a host process): the key is bound once, the focused pane's kind
 * resolves the name (tui_verb). So a binding serves every verb of its name:
 * the help shows the key for both, and rebinding the name moves both. */
static bool keymap_same_verb(const struct verb *a, const struct verb *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a->name, b->name) == 0);
}

static void keymap_unbind(struct keymap *km, enum keymap_action action, const struct verb *verb)
{
	int out = 0;
	for (int i = 0; i < km->n; i++)
		if (km->bind[i].action != action || !keymap_same_verb(km->bind[i].verb, verb))
			km->bind[out++] = km->bind[i];
	km->n = out;
}

/* Binds every key of a space-separated spec list. */
static void keymap_bind_specs(struct keymap *km, const char *specs, enum keymap_action action,
                              const struct verb *verb)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", specs);
	char *save = NULL;
	for (char *tok = strtok_r(buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		int key = keymap_parse(tok);
		if (key >= 0)
			keymap_bind(km, key, action, verb);
	}
}

static int keymap_first_key(const char *specs)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", specs);
	buf[strcspn(buf, " ")] = '\0';
	return keymap_parse(buf);
}

void keymap_init(struct keymap *km)
{
	km->n = 0;
	for (size_t i = 0; i < keys_nui; i++)
		keymap_bind_specs(km, keys_ui[i].keys, (enum keymap_action)(KEYMAP_QUIT + (int)i), NULL);
	for (size_t k = 0; kind_at(k) != NULL; k++)
		for (size_t v = 0; v < kind_at(k)->nverbs; v++)
			keymap_bind_specs(km, kind_at(k)->verbs[v]->key, KEYMAP_VERB, kind_at(k)->verbs[v]);
}

static enum keymap_action keymap_find_action(const char *name)
{
	for (size_t i = 0; i < keys_nui; i++)
		if (strcmp(keys_ui[i].name, name) == 0)
			return (enum keymap_action)(KEYMAP_QUIT + (int)i);
	return KEYMAP_NONE;
}

void keymap_apply(struct keymap *km, const struct config_key *keys, size_t n)
{
	/* Each action named loses its default keys once, then gets the new ones:
	 * help and behaviour agree on the rebinding. */
	const void *cleared[KEYMAP_MAX];
	size_t ncleared = 0;
	for (size_t i = 0; i < n; i++) {
		enum keymap_action a = keymap_find_action(keys[i].name);
		const struct verb *verb = a == KEYMAP_NONE ? kind_verb_find(keys[i].name, NULL) : NULL;
		if (verb != NULL)
			a = KEYMAP_VERB;
		int key = keymap_parse(keys[i].key);
		if (a == KEYMAP_NONE || key < 0)
			continue;
		const void *id = verb != NULL ? (const void *)verb : (const void *)&keys_ui[a - KEYMAP_QUIT];
		bool done = false;
		for (size_t c = 0; c < ncleared; c++)
			done = done || cleared[c] == id;
		if (!done && ncleared < KEYMAP_MAX) {
			keymap_unbind(km, a, verb);
			cleared[ncleared++] = id;
		}
		keymap_bind(km, key, a, verb);
	}
}

enum keymap_action keymap_lookup(const struct keymap *km, int key, const struct verb **verb)
{
	key = keymap_normalize(key);
	for (int i = 0; i < km->n; i++)
		if (km->bind[i].key == key) {
			if (verb != NULL)
				*verb = km->bind[i].verb;
			return km->bind[i].action;
		}
	return KEYMAP_NONE;
}

int keymap_canonical(enum keymap_action action)
{
	if (action < KEYMAP_QUIT || action >= KEYMAP_VERB)
		return -1;
	return keymap_first_key(keys_ui[action - KEYMAP_QUIT].keys);
}

int keymap_verb_canonical(const struct verb *verb)
{
	return verb != NULL ? keymap_first_key(verb->key) : -1;
}

const char *keymap_action_name(enum keymap_action action)
{
	if (action < KEYMAP_QUIT || action >= KEYMAP_VERB)
		return "?";
	return keys_ui[action - KEYMAP_QUIT].name;
}

const char *keymap_action_help(enum keymap_action action)
{
	if (action < KEYMAP_QUIT || action >= KEYMAP_VERB)
		return "";
	return keys_ui[action - KEYMAP_QUIT].help;
}

static const char *keymap_keys_matching(const struct keymap *km, enum keymap_action action,
                                        const struct verb *verb, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < km->n; i++) {
		if (km->bind[i].action != action || !keymap_same_verb(km->bind[i].verb, verb))
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

const char *keymap_keys_of(const struct keymap *km, enum keymap_action action, char *buf, size_t cap)
{
	return keymap_keys_matching(km, action, NULL, buf, cap);
}

const char *keymap_keys_of_verb(const struct keymap *km, const struct verb *verb, char *buf, size_t cap)
{
	return keymap_keys_matching(km, KEYMAP_VERB, verb, buf, cap);
}
