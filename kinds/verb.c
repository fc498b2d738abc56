/* verb: a verb's argument grammar read as data. `sitrep do` parses its
 * words here, and the usage line, --help and the completions are written
 * from the same struct verb_arg rows, so a verb's syntax is written once
 * (kind.h). The meaning of what was given (a PATH starts with /, a PID is a
 * number) stays with the verb's parse(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/kind.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

static void verb_args_add(struct verb_args *out, size_t i, const char *word)
{
	out->arg[i].words = xrealloc(out->arg[i].words, (out->arg[i].n + 1) * sizeof(*out->arg[i].words));
	out->arg[i].words[out->arg[i].n++] = word;
}

static int verb_args_option(const struct verb *v, const char *word)
{
	for (size_t i = 0; i < v->nargs; i++)
		if (v->args[i].name[0] == '-' && strcmp(v->args[i].name, word) == 0)
			return (int)i;
	return -1;
}

/* The next positional arg that still takes a word, from *pos on. */
static int verb_args_positional(const struct verb *v, const struct verb_args *out, size_t *pos)
{
	for (; *pos < v->nargs; (*pos)++) {
		const struct verb_arg *arg = &v->args[*pos];
		if (arg->name[0] == '-')
			continue;
		if (arg->many || out->arg[*pos].n == 0)
			return (int)*pos;
	}
	return -1;
}

/* "what 'word'what2": the word as the user may not have seen it, made visible. */
static int verb_args_fail(char *err, size_t cap, const char *what, const char *word, const char *after)
{
	char *shown = sanitize_str(word);
	snprintf(err, cap, "%s'%s'%s", what, shown, after);
	free(shown);
	return -1;
}

/* "PID|--group QUERYID": the words of group g, or of the one arg i. */
static char *verb_args_group_words(const struct verb *v, size_t i)
{
	char *out = xstrdup("");
	for (size_t j = 0; j < v->nargs; j++) {
		const struct verb_arg *arg = &v->args[j];
		if (j != i && (v->args[i].group == 0 || arg->group != v->args[i].group))
			continue;
		char *next = xasprintf("%s%s%s%s%s%s", out, out[0] != '\0' ? "|" : "", arg->name,
		                       arg->value != NULL ? " " : "", arg->value != NULL ? arg->value : "",
		                       arg->many ? "..." : "");
		free(out);
		out = next;
	}
	return out;
}

static bool verb_args_required(const struct verb *v, size_t i)
{
	for (size_t j = 0; j < v->nargs; j++)
		if ((j == i || (v->args[i].group != 0 && v->args[j].group == v->args[i].group)) &&
		    v->args[j].required)
			return true;
	return false;
}

/* The first arg of i's group (i itself when it has none). */
static size_t verb_args_group_first(const struct verb *v, size_t i)
{
	for (size_t j = 0; v->args[i].group != 0 && j < i; j++)
		if (v->args[j].group == v->args[i].group)
			return j;
	return i;
}

/* Two words of one group, or a required word (group) missing. */
static int verb_args_check(const struct verb *v, const struct verb_args *out, char *err, size_t cap)
{
	for (size_t i = 0; i < v->nargs; i++) {
		if (verb_args_group_first(v, i) != i)
			continue;
		const char *given = NULL;
		for (size_t j = i; j < v->nargs; j++) {
			if (j != i && (v->args[i].group == 0 || v->args[j].group != v->args[i].group))
				continue;
			if (out->arg[j].n == 0)
				continue;
			if (given != NULL) {
				char *words = verb_args_group_words(v, i);
				snprintf(err, cap, "%s and %s exclude each other (%s)", given,
				         v->args[j].name, words);
				free(words);
				return -1;
			}
			given = v->args[j].name;
		}
		if (given == NULL && verb_args_required(v, i)) {
			char *words = verb_args_group_words(v, i);
			snprintf(err, cap, "needs %s", words);
			free(words);
			return -1;
		}
	}
	return 0;
}

int verb_args_parse(const struct verb *v, int argc, char **argv, struct verb_args *out, char *err, size_t cap)
{
	memset(out, 0, sizeof(*out));
	out->verb = v;
	size_t pos = 0;
	bool words_only = false; /* after "--", a word starting with - is a word */
	for (int k = 0; k < argc; k++) {
		const char *w = argv[k];
		if (!words_only && strcmp(w, "--") == 0) {
			words_only = true;
			continue;
		}
		int i = words_only || w[0] != '-' || w[1] == '\0' ? -1 : verb_args_option(v, w);
		if (i < 0 && !words_only && w[0] == '-' && w[1] != '\0') {
			verb_args_free(out);
			return verb_args_fail(err, cap, "unknown option ", w, "");
		}
		if (i >= 0) {
			const struct verb_arg *arg = &v->args[i];
			if (arg->value == NULL) {
				verb_args_add(out, (size_t)i, "");
				continue;
			}
			if (k + 1 >= argc) {
				snprintf(err, cap, "%s needs a %s", arg->name, arg->value);
				verb_args_free(out);
				return -1;
			}
			if (out->arg[i].n > 0) {
				verb_args_free(out);
				return verb_args_fail(err, cap, "", arg->name, " given twice");
			}
			verb_args_add(out, (size_t)i, argv[++k]);
			continue;
		}
		int p = verb_args_positional(v, out, &pos);
		if (p < 0) {
			verb_args_free(out);
			return verb_args_fail(err, cap, "unexpected ", w, "");
		}
		verb_args_add(out, (size_t)p, w);
	}
	if (verb_args_check(v, out, err, cap) != 0) {
		verb_args_free(out);
		return -1;
	}
	return 0;
}

void verb_args_free(struct verb_args *args)
{
	for (size_t i = 0; i < VERB_ARGS_MAX; i++) {
		free(args->arg[i].words);
		args->arg[i].words = NULL;
		args->arg[i].n = 0;
	}
}

size_t verb_args_all(const struct verb_args *args, const char *name, const char *const **words)
{
	for (size_t i = 0; args->verb != NULL && i < args->verb->nargs; i++)
		if (strcmp(args->verb->args[i].name, name) == 0) {
			*words = args->arg[i].words;
			return args->arg[i].n;
		}
	*words = NULL;
	return 0;
}

const char *verb_args_get(const struct verb_args *args, const char *name)
{
	const char *const *words;
	return verb_args_all(args, name, &words) > 0 ? words[0] : NULL;
}

char *verb_usage(const struct verb *v)
{
	char *out = xstrdup("");
	for (size_t i = 0; i < v->nargs; i++) {
		if (verb_args_group_first(v, i) != i)
			continue;
		char *words = verb_args_group_words(v, i);
		bool req = verb_args_required(v, i);
		char *next = xasprintf("%s%s%s%s%s", out, out[0] != '\0' ? " " : "", req ? "" : "[", words,
		                       req ? "" : "]");
		free(words);
		free(out);
		out = next;
	}
	return out;
}

int verb_parse(const struct verb *v, struct action *a, int argc, char **argv, char *err, size_t cap)
{
	struct verb_args args;
	if (verb_args_parse(v, argc, argv, &args, err, cap) != 0)
		return -1;
	int rc = v->parse != NULL ? v->parse(a, &args, err, cap) : 0;
	verb_args_free(&args);
	if (rc != 0 && err[0] == '\0')
		snprintf(err, cap, "bad arguments");
	return rc;
}

char *verb_help(const struct verb *v)
{
	char *out = xstrdup("");
	for (size_t i = 0; i < v->nargs; i++) {
		const struct verb_arg *arg = &v->args[i];
		char *word = xasprintf("%s%s%s%s", arg->name, arg->value != NULL ? " " : "",
		                       arg->value != NULL ? arg->value : "", arg->many ? "..." : "");
		char *next = xasprintf("%s  %-22s %s\n", out, word, arg->help != NULL ? arg->help : "");
		free(word);
		free(out);
		out = next;
	}
	return out;
}

int verb_complete(FILE *out, const char *name)
{
	for (size_t k = 0; kind_at(k) != NULL; k++) {
		const struct kind_ops *kind = kind_at(k);
		for (size_t i = 0; i < kind->nverbs; i++) {
			const struct verb *v = kind->verbs[i];
			if (!v->cli)
				continue;
			if (name == NULL) {
				fprintf(out, "%s\t%s\n", v->name, v->help);
				continue;
			}
			if (strcmp(v->name, name) != 0)
				continue;
			for (size_t j = 0; j < v->nargs; j++) {
				const struct verb_arg *arg = &v->args[j];
				fprintf(out, "%s\t%s\t%s\t%s\n", arg->name,
				        arg->value != NULL ? arg->value : "-", arg->many ? "..." : "-",
				        arg->help != NULL ? arg->help : "");
			}
			return 0;
		}
	}
	return name == NULL ? 0 : -1;
}
