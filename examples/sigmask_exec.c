// The blocked-signal mask and ignored signals survive execve: the program blocks SIGUSR1 and
// ignores SIGUSR2, execs itself, and the new image checks both.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "after") == 0) {
        sigset_t now;
        sigprocmask(SIG_BLOCK, NULL, &now);
        struct sigaction sa;
        sigaction(SIGUSR2, NULL, &sa);
        int blocked = sigismember(&now, SIGUSR1) == 1 && sigismember(&now, SIGTERM) == 0;
        int ignored = sa.sa_handler == SIG_IGN;
        printf("sigmask_exec: after exec: SIGUSR1 %s, SIGUSR2 %s\n", blocked ? "blocked" : "NOT BLOCKED",
               ignored ? "ignored" : "NOT IGNORED");
        return blocked && ignored ? 0 : 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGUSR2, SIG_IGN);
    char *args[] = { argv[0], "after", NULL };
    execv("/proc/self/exe", args);
    perror("execv");
    return 2;
}
