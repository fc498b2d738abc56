/* Unit tests for core/health.c's causes: the status line's hint lists the
 * panes' hints by their kind's hint_rank (causes before symptoms), the
 * critical panes first within a rank, unranked kinds last; "cause" is set
 * only when a hint below HINT_SYMPTOM is in the list. The real kinds'
 * ranks keep the order an on-call engineer reads: the deploy, what it put
 * at risk (no backup since it), what broke, what it did. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/core/config.h"
#include "sitrep/core/health.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

/* A fake kind's data is its hint text; its level is crit when the text
 * starts with '!'. */
static char *fake_hint(const void *data)
{
	return xstrdup(data);
}

static enum level fake_level(const void *data)
{
	return ((const char *)data)[0] == '!' ? LEVEL_CRIT : LEVEL_WARN;
}

static const struct kind_ops fake_change = {
    .name = "change", .hint = fake_hint, .level = fake_level, .hint_rank = 10};
static const struct kind_ops fake_broken = {
    .name = "broken", .hint = fake_hint, .level = fake_level, .hint_rank = 20};
static const struct kind_ops fake_symptom = {
    .name = "symptom", .hint = fake_hint, .level = fake_level, .hint_rank = HINT_SYMPTOM};
static const struct kind_ops fake_unranked = {.name = "unranked", .hint = fake_hint, .level = fake_level};

struct fixture {
	struct pane_config cfg[8];
	struct source src[8];
	size_t n;
};

static void add(struct fixture *f, const char *id, const struct kind_ops *kind, const char *text)
{
	size_t i = f->n++;
	f->cfg[i].id = (char *)id;
	f->src[i].cfg = &f->cfg[i];
	f->src[i].snap.kind = kind;
	f->src[i].snap.data = (void *)text;
	f->src[i].snap.updated_ms = 1;
}

static char *joined(struct fixture *f, bool *cause)
{
	char **causes;
	size_t n;
	health_causes(f->src, f->n, &causes, &n, cause);
	char *out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%s", out, i > 0 ? " | " : "", causes[i]);
		free(out);
		out = next;
	}
	health_causes_free(causes, n);
	return out;
}

static void test_rank_order(void **state)
{
	(void)state;
	struct fixture f = {0};
	add(&f, "u", &fake_unranked, "unranked");
	add(&f, "s", &fake_symptom, "symptom");
	add(&f, "b1", &fake_broken, "broken warn");
	add(&f, "c", &fake_change, "change");
	add(&f, "b2", &fake_broken, "!broken crit");
	bool cause = false;
	char *out = joined(&f, &cause);
	assert_string_equal(out, "c: change | b2: !broken crit | b1: broken warn | s: symptom | u: unranked");
	assert_true(cause);
	free(out);
}

static void test_symptoms_only(void **state)
{
	(void)state;
	struct fixture f = {0};
	add(&f, "s", &fake_symptom, "symptom");
	add(&f, "u", &fake_unranked, "unranked");
	bool cause = true;
	char *out = joined(&f, &cause);
	assert_string_equal(out, "s: symptom | u: unranked");
	assert_false(cause);
	free(out);
}

static int rank_of(const char *name)
{
	const struct kind_ops *k = kind_find(name);
	assert_non_null(k);
	return k->hint_rank;
}

/* Every real kind that has a hint has a rank; the order is the triage
 * order: the deploy, what broke, then "no backup since r3" (a cause, not
 * a symptom: it used to rank after the host and the logs, last). */
static void test_real_kinds(void **state)
{
	(void)state;
	for (size_t i = 0; kind_at(i) != NULL; i++)
		if (kind_at(i)->hint != NULL)
			assert_true(kind_at(i)->hint_rank > 0);
	assert_true(rank_of("deploys") < rank_of("cdn"));
	assert_true(rank_of("cdn") < rank_of("database"));
	assert_true(rank_of("database") < rank_of("checks"));
	assert_true(rank_of("checks") < rank_of("alerts"));
	assert_true(rank_of("alerts") < rank_of("backups"));
	assert_true(rank_of("backups") < HINT_SYMPTOM);
	assert_true(rank_of("logs") >= HINT_SYMPTOM);
	assert_true(rank_of("metrics") >= HINT_SYMPTOM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rank_order),
	    cmocka_unit_test(test_symptoms_only),
	    cmocka_unit_test(test_real_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
