/* standalone: a main() for the fuzz targets in the normal build. It replays
 * every file of the target's seed corpus (FUZZ_CORPUS, or the directories
 * and files given as arguments) through LLVMFuzzerTestOneInput and prints one
 * TAP line per file, so the corpus, including the inputs of bugs found by
 * fuzzing, runs as a regression test in `make test`. A crash, a sanitizer
 * report or an abort() from a broken invariant fails the run. Each input is
 * copied into a buffer of its exact size so ASan sees any overread. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "sitrep/core/util.h"

static int standalone_count;
static int standalone_failed;

static void standalone_run_file(const char *path)
{
	size_t len = 0;
	char *text = util_read_file(path, 16 * 1024 * 1024, &len);
	standalone_count++;
	if (text == NULL) {
		printf("not ok %d - %s: %s\n", standalone_count, path, strerror(errno));
		standalone_failed++;
		return;
	}
	/* exact size, no NUL after it: parsers must not read past len */
	uint8_t *data = xmalloc(len > 0 ? len : 1);
	memcpy(data, text, len);
	free(text);
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	printf("ok %d - %s\n", standalone_count, path);
	fflush(stdout);
}

static int standalone_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir in name order. */
static void standalone_run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		printf("not ok %d - cannot open %s: %s\n", ++standalone_count, dir, strerror(errno));
		standalone_failed++;
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap * 2 + 16;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), standalone_cmp);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			standalone_run_file(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		standalone_run_dir(FUZZ_CORPUS);
	} else {
		for (int i = 1; i < argc; i++) {
			struct stat st;
			if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
				standalone_run_dir(argv[i]);
			else
				standalone_run_file(argv[i]);
		}
	}
	if (standalone_count == 0) {
		printf("not ok 1 - no seed inputs\n");
		standalone_count = 1;
		standalone_failed = 1;
	}
	printf("1..%d\n", standalone_count);
	return standalone_failed > 0 ? 1 : 0;
}
