/*
 * pexec: first process inside the sandbox. Runs the command, reaps it and every
 * descendant (child subreaper), and writes the totals the engine cannot see from outside
 * bwrap's PID namespace to argv[1]: "<wait status> <user µs> <system µs> <max RSS KiB>".
 * Exits as the command did (128+signal for a signal death).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 3) { fprintf(stderr, "usage: pexec RUSAGE_FILE CMD...\n"); return 2; }
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t p = fork();
	if (p < 0) { perror("pexec: fork"); return 126; }
	if (p == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "pexec: cannot execute %s: %m\n", argv[2]);
		_exit(127);
	}
	int st = 0, s;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
	/* orphans of the program were reparented here: reap them too so rusage counts them */
	for (;;) { pid_t q = wait(&s); if (q < 0 && errno != EINTR) break; }
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	FILE *f = fopen(argv[1], "w");
	if (f) {
		fprintf(f, "%d %lld %lld %ld\n", st,
			(long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
			(long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, ru.ru_maxrss);
		fclose(f);
	}
	if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
