/* replay.c - main() for a fuzz harness in builds without libFuzzer: runs
 * every regular file in each directory given (sorted, dotfiles skipped)
 * through LLVMFuzzerTestOneInput once, so the plain and sanitizer builds
 * replay the corpus and every regression input on each test run. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				fclose(f);
				fprintf(stderr, "replay: out of memory reading %s\n", path);
				return -1;
			}
			buf = grown;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	/* An exact-size copy, so ASan sees a read one byte past the input. */
	uint8_t *exact = malloc(len ? len : 1);
	if (exact && len)
		memcpy(exact, buf, len);
	free(buf);
	if (!exact)
		return -1;
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int replay_dir(const char *dir, int *files)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot read directory %s: %s\n", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				rc = -1;
			(*files)++;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int files = 0, rc = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR...\n  runs every file of each DIR through the harness\n",
			argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (replay_dir(argv[i], &files) < 0)
			rc = 1;
	printf("replayed %d input(s)\n", files);
	if (files == 0) {
		fprintf(stderr, "replay: no inputs found; the corpus is missing\n");
		return 1;
	}
	return rc;
}
