// A vfork child changes what a tracer sees of it (its signal mask, a pending signal it
// ignores, its name) before it execs; the parent waits, resumes, and checks the exit.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t child = vfork();
    if (child == 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        signal(SIGUSR2, SIG_IGN);
        kill(getpid(), SIGUSR2);
        prctl(PR_SET_NAME, "vfork-child");
        char *args[] = { "true", NULL };
        execv("/bin/true", args);
        _exit(127);
    }
    int st;
    if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0) { printf("vfork_state: bad end 0x%x\n", st); return 1; }
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("vfork_state: child exec'd and exited 0; parent mask %s\n", sigismember(&now, SIGUSR1) ? "CHANGED" : "untouched");
    return sigismember(&now, SIGUSR1) ? 1 : 0;
}
