/* slowdns: an LD_PRELOAD shim for the name-lookup tests. getaddrinfo sleeps
 * SLOWDNS_SECONDS (default 60) and fails for names ending in slow.invalid,
 * fails at once for nx.invalid, and answers 127.0.0.1 for lo.invalid. A
 * lookup made on the process's main thread (the loop's) of any .invalid name
 * appends the name to SLOWDNS_MAIN_LOG, so a test can tell that no lookup
 * ever ran on the loop. Everything else goes to the real getaddrinfo. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n >= m && strcmp(s + n - m, tail) == 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
	static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	if (real == NULL)
		real = (int (*)(const char *, const char *, const struct addrinfo *, struct addrinfo **))dlsym(
		    RTLD_NEXT, "getaddrinfo");
	if (node != NULL && ends_with(node, ".invalid") && syscall(SYS_gettid) == getpid()) {
		const char *log = getenv("SLOWDNS_MAIN_LOG");
		FILE *f = log != NULL ? fopen(log, "a") : NULL;
		if (f != NULL) {
			fprintf(f, "%s\n", node);
			fclose(f);
		}
	}
	if (node != NULL && ends_with(node, "slow.invalid")) {
		const char *s = getenv("SLOWDNS_SECONDS");
		sleep(s != NULL ? (unsigned)atoi(s) : 60);
		return EAI_AGAIN;
	}
	if (node != NULL && ends_with(node, "nx.invalid"))
		return EAI_NONAME;
	if (node != NULL && ends_with(node, "lo.invalid"))
		return real("127.0.0.1", service, hints, res);
	return real(node, service, hints, res);
}
