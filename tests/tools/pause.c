/* The pod sandbox process of hack/node.sh's real node (containerd's sandbox_image): it
 * holds the pod's namespaces and does nothing else. As PID 1 of a pod that shares its
 * process namespace it also reaps the orphans handed to it. SIGTERM and SIGINT end it
 * with status 0; every other signal is left at its default.
 *
 * All three signals stay blocked and are taken with sigwaitinfo(), so there is no handler
 * and no race between a check and a sleep. A PID 1 drops signals whose action is the
 * default, but blocked signals are queued all the same, so this works as PID 1 too. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* pause_reap: collects every child that has exited, without waiting for the others. */
static void pause_reap(void)
{
	for (;;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);
		if (pid > 0)
			continue;
		if (pid < 0 && errno == EINTR)
			continue;
		return; /* 0: children left, all running; -1 ECHILD: none at all */
	}
}

int main(int argc, char **argv)
{
	sigset_t set;

	if (argc > 1) {
		if (strcmp(argv[1], "-v") == 0) {
			puts("svclink-pause 1");
			return 0;
		}
		fputs("usage: pause [-v]\n", stderr);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
		perror("pause: sigprocmask");
		return 1;
	}
	/* Orphans may have arrived before the mask was set: their SIGCHLD would be lost. */
	pause_reap();
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig < 0)
			continue; /* EINTR: a stop/continue signal */
		if (sig == SIGCHLD) {
			pause_reap();
			continue;
		}
		return 0;
	}
}
