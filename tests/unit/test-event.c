/* Unit tests of the event bus: delivery by type mask and in subscription
 * order, unsubscribe, events published from inside a subscriber queued
 * (delivered after, never nested), names both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sitrep/core/event-bus.h"
#include "sitrep/core/util.h"

static char seen[256];

static void record(const struct event *ev, void *arg)
{
	size_t n = strlen(seen);
	snprintf(seen + n, sizeof(seen) - n, "%s:%s%s%s;", (const char *)arg, event_type_name(ev->type),
	         ev->name != NULL ? "/" : "", ev->name != NULL ? ev->name : "");
}

static struct event_bus *reentrant_bus;
static int depth, max_depth;

static void republish(const struct event *ev, void *arg)
{
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	record(ev, arg);
	if (ev->type == EVENT_DEPLOY) {
		char name[] = "new_error"; /* the queue keeps its own copy */
		struct event more = {.type = EVENT_STATE, .name = name, .text = "from inside"};
		event_publish(reentrant_bus, &more);
		memset(name, 'x', sizeof(name) - 1);
		/* still inside the first delivery: the new event waits */
		assert_null(strstr(seen, "state"));
	}
	depth--;
}

static void test_masks_and_order(void **state)
{
	struct event_bus bus = {0};
	seen[0] = '\0';
	assert_int_equal(event_subscribe(&bus, EVENT_BIT(EVENT_DEPLOY), record, "a"), 0);
	assert_int_equal(event_subscribe(&bus, EVENT_ALL, record, "b"), 0);
	struct event ev = {.type = EVENT_DEPLOY};
	event_publish(&bus, &ev);
	ev.type = EVENT_STATE;
	ev.name = "alert_firing"; /* a kind's word: the bus carries it, knows it not */
	event_publish(&bus, &ev);
	assert_string_equal(seen, "a:deploy;b:deploy;b:state/alert_firing;");
	ev.name = NULL;
	event_unsubscribe(&bus, record, "a");
	seen[0] = '\0';
	ev.type = EVENT_DEPLOY;
	event_publish(&bus, &ev);
	assert_string_equal(seen, "b:deploy;");
	event_publish(NULL, &ev); /* no app: nothing, no crash */
	event_bus_clear(&bus);
}

static int64_t stamped;

static void stamp(const struct event *ev, void *arg)
{
	stamped = ev->time_ms;
}

/* An event without a time gets the wall clock's; one with a time keeps it. */
static void test_time_filled(void **state)
{
	struct event_bus bus = {0};
	assert_int_equal(event_subscribe(&bus, EVENT_ALL, stamp, NULL), 0);
	struct event ev = {.type = EVENT_DEPLOY};
	int64_t before = (int64_t)time(NULL) * 1000;
	event_publish(&bus, &ev);
	assert_true(stamped >= before - 1000 && stamped <= before + 2000);
	ev.time_ms = 42;
	event_publish(&bus, &ev);
	assert_true(stamped == 42);
	event_bus_clear(&bus);
}

static void test_no_nesting(void **state)
{
	struct event_bus bus = {0};
	reentrant_bus = &bus;
	seen[0] = '\0';
	depth = max_depth = 0;
	assert_int_equal(event_subscribe(&bus, EVENT_ALL, republish, "r"), 0);
	struct event ev = {.type = EVENT_DEPLOY};
	event_publish(&bus, &ev);
	assert_string_equal(seen, "r:deploy;r:state/new_error;");
	assert_int_equal(max_depth, 1);
	event_bus_clear(&bus);
}

static void test_names(void **state)
{
	for (int t = 0; t < EVENT_TYPE_COUNT; t++)
		assert_int_equal(event_type_from_name(event_type_name((enum event_type)t)), t);
	assert_int_equal(event_type_from_name("nonsense"), -1);
	assert_int_equal(event_level_from_name("crit"), EVENT_CRIT);
	assert_string_equal(event_level_name(EVENT_WARN), "warn");
}

/* The list grows as panes subscribe: a config with many logs, cdn and
 * database panes (each one a subscriber) is never refused a slot, and every
 * subscriber hears, in order. What cannot be honoured is refused, and the
 * caller is told. */
static void test_list_grows(void **state)
{
	struct event_bus bus = {0};
	static char args[200][8];
	for (int i = 0; i < 200; i++) {
		snprintf(args[i], sizeof(args[i]), "%d", i);
		assert_int_equal(event_subscribe(&bus, EVENT_ALL, record, args[i]), 0);
	}
	seen[0] = '\0';
	struct event ev = {.type = EVENT_DEPLOY};
	event_publish(&bus, &ev);
	assert_non_null(strstr(seen, "0:deploy;1:deploy;"));
	size_t n = 0;
	for (const char *p = seen; (p = strstr(p, ":deploy;")) != NULL; p++)
		n++;
	/* seen holds 256 bytes: the first subscribers' marks, in order, and no
	 * subscriber past the old limit of 16 was dropped */
	assert_true(n >= 16 || strlen(seen) >= sizeof(seen) - 16);
	assert_int_equal(bus.nsubs, 200);
	assert_int_equal(event_subscribe(&bus, EVENT_ALL, record, args[7]), -1); /* twice */
	assert_int_equal(event_subscribe(&bus, 0, record, "none"), -1);          /* no type */
	assert_int_equal(event_subscribe(&bus, EVENT_ALL, NULL, "none"), -1);
	assert_int_equal(event_subscribe(NULL, EVENT_ALL, record, "none"), -1);
	event_unsubscribe(&bus, record, args[0]);
	assert_int_equal(bus.nsubs, 199);
	event_bus_clear(&bus);
	assert_int_equal(bus.nsubs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_masks_and_order), cmocka_unit_test(test_time_filled),
	    cmocka_unit_test(test_no_nesting),      cmocka_unit_test(test_names),
	    cmocka_unit_test(test_list_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
