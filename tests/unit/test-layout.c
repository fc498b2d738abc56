/* Unit tests of the pane layout maths: grid, stacked, too small, zoom, odd
 * counts, and that shown panes tile the area above the status bar exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tui/layout.h"

#define MAXP 16

/* Every shown pane lies inside the area, no two overlap, and together they
 * cover every cell of the area when all panes are shown. */
static void check_tiling(int w, int h, int n, const struct layout_rect *p, bool all_shown)
{
	static unsigned char grid[300][300];
	memset(grid, 0, sizeof(grid));
	for (int i = 0; i < n; i++) {
		if (p[i].h == 0)
			continue;
		assert_true(p[i].w > 0);
		assert_true(p[i].y >= 0 && p[i].x >= 0);
		assert_true(p[i].y + p[i].h <= h - 1);
		assert_true(p[i].x + p[i].w <= w);
		assert_true(p[i].h >= LAYOUT_PANE_MIN_H);
		for (int y = p[i].y; y < p[i].y + p[i].h; y++)
			for (int x = p[i].x; x < p[i].x + p[i].w; x++) {
				assert_int_equal(grid[y][x], 0);
				grid[y][x] = 1;
			}
	}
	if (!all_shown)
		return;
	for (int y = 0; y < h - 1; y++)
		for (int x = 0; x < w; x++)
			assert_int_equal(grid[y][x], 1);
}

static void test_grid_four(void **state)
{
	struct layout_rect p[MAXP], st;
	assert_int_equal(layout_compute(120, 40, 4, -1, -1, p, &st), LAYOUT_GRID);
	assert_int_equal(st.y, 39);
	assert_int_equal(st.h, 1);
	assert_int_equal(st.w, 120);
	/* 2 x 2: two rows of 39 / 2 lines, two columns of 60. */
	assert_int_equal(p[0].y, 0);
	assert_int_equal(p[0].x, 0);
	assert_int_equal(p[0].w, 60);
	assert_int_equal(p[1].y, 0);
	assert_int_equal(p[1].x, 60);
	assert_int_equal(p[1].w, 60);
	assert_int_equal(p[2].y, p[0].h);
	assert_int_equal(p[3].x, 60);
	assert_int_equal(p[0].h + p[2].h, 39);
	check_tiling(120, 40, 4, p, true);
}

static void test_grid_odd_spans(void **state)
{
	struct layout_rect p[MAXP], st;
	assert_int_equal(layout_compute(150, 50, 5, -1, -1, p, &st), LAYOUT_GRID);
	/* Three rows; the fifth pane spans the last one. */
	assert_int_equal(p[4].x, 0);
	assert_int_equal(p[4].w, 150);
	assert_int_equal(p[2].y, p[3].y);
	assert_int_equal(p[4].y, p[2].y + p[2].h);
	check_tiling(150, 50, 5, p, true);

	assert_int_equal(layout_compute(100, 30, 3, -1, -1, p, &st), LAYOUT_GRID);
	assert_int_equal(p[2].w, 100);
	check_tiling(100, 30, 3, p, true);
}

static void test_stacked_narrow(void **state)
{
	struct layout_rect p[MAXP], st;
	assert_int_equal(layout_compute(99, 40, 3, -1, -1, p, &st), LAYOUT_STACKED);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(p[i].x, 0);
		assert_int_equal(p[i].w, 99);
	}
	/* Equal heights (39 = 13 * 3). */
	assert_int_equal(p[0].h, 13);
	assert_int_equal(p[1].h, 13);
	assert_int_equal(p[2].h, 13);
	check_tiling(99, 40, 3, p, true);

	/* Uneven: the remainder goes to the first rows, differing by at most one. */
	assert_int_equal(layout_compute(60, 20, 2, -1, -1, p, &st), LAYOUT_STACKED);
	assert_int_equal(p[0].h, 10);
	assert_int_equal(p[1].h, 9);
	check_tiling(60, 20, 2, p, true);
}

static void test_single_pane(void **state)
{
	struct layout_rect p[MAXP], st;
	assert_int_equal(layout_compute(200, 50, 1, -1, -1, p, &st), LAYOUT_STACKED);
	assert_int_equal(p[0].w, 200);
	assert_int_equal(p[0].h, 49);
	check_tiling(200, 50, 1, p, true);
}

static void test_too_small(void **state)
{
	struct layout_rect p[MAXP], st;
	assert_int_equal(layout_compute(39, 40, 2, -1, -1, p, &st), LAYOUT_TOO_SMALL);
	assert_int_equal(p[0].h, 0);
	assert_int_equal(p[1].h, 0);
	assert_int_equal(st.h, 0);
	assert_int_equal(layout_compute(80, 9, 2, -1, -1, p, &st), LAYOUT_TOO_SMALL);
	assert_int_equal(layout_compute(0, 0, 2, -1, -1, p, &st), LAYOUT_TOO_SMALL);
	/* Exactly the minimum is usable. */
	assert_int_equal(layout_compute(40, 10, 2, -1, -1, p, &st), LAYOUT_STACKED);
	check_tiling(40, 10, 2, p, true);
}

static void test_zoom(void **state)
{
	struct layout_rect p[MAXP], st;
	assert_int_equal(layout_compute(120, 40, 4, 2, 2, p, &st), LAYOUT_ZOOM);
	assert_int_equal(p[2].y, 0);
	assert_int_equal(p[2].x, 0);
	assert_int_equal(p[2].w, 120);
	assert_int_equal(p[2].h, 39);
	assert_int_equal(p[0].h, 0);
	assert_int_equal(p[1].h, 0);
	assert_int_equal(p[3].h, 0);
	/* An out-of-range zoom index is ignored. */
	assert_int_equal(layout_compute(120, 40, 4, 7, -1, p, &st), LAYOUT_GRID);
}

static void test_hidden_rows_follow_focus(void **state)
{
	struct layout_rect p[MAXP], st;
	/* 19 rows of area fit four panes of at least 4 rows; six are asked for. */
	assert_int_equal(layout_compute(60, 20, 6, -1, -1, p, &st), LAYOUT_STACKED);
	int shown = 0;
	for (int i = 0; i < 6; i++)
		shown += p[i].h > 0;
	assert_int_equal(shown, 4);
	assert_true(p[0].h > 0);
	assert_int_equal(p[5].h, 0);
	check_tiling(60, 20, 6, p, false);

	/* Focusing the last pane scrolls the window of rows to it. */
	layout_compute(60, 20, 6, -1, 5, p, &st);
	assert_true(p[5].h > 0);
	assert_int_equal(p[0].h, 0);
	assert_int_equal(p[2].y, 0);
	check_tiling(60, 20, 6, p, false);
}

static void test_empty(void **state)
{
	struct layout_rect p[MAXP], st;
	assert_int_equal(layout_compute(80, 24, 0, -1, -1, p, &st), LAYOUT_EMPTY);
	assert_int_equal(st.y, 23);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grid_four),
	    cmocka_unit_test(test_grid_odd_spans),
	    cmocka_unit_test(test_stacked_narrow),
	    cmocka_unit_test(test_single_pane),
	    cmocka_unit_test(test_too_small),
	    cmocka_unit_test(test_zoom),
	    cmocka_unit_test(test_hidden_rows_follow_focus),
	    cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
